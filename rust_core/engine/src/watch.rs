//! Watch mode's file events: the operating system's (inotify, FSEvents,
//! ReadDirectoryChangesW, through `notify`), filtered to the project's own
//! files and debounced, so an editor's or formatter's several writes make
//! one batch. What a batch affects is `crate::graph`'s to say.

use notify::{EventKind, RecursiveMode, Watcher as _};
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Default quiet time after the last event before a batch is given.
pub const DEFAULT_DELAY: Duration = Duration::from_millis(200);

/// Directory names left out besides what discovery never walks into
/// (`crate::discovery::skip_dir`: hidden ones, virtualenvs, `__pycache__`,
/// build output): a Rust `target/`, whose builds write thousands of files.
const EXTRA_SKIPPED: &[&str] = &["target"];

/// Whether a directory is left out, as discovery leaves it out (one rule).
fn skipped_dir(path: &Path, name: &str) -> bool {
    EXTRA_SKIPPED.contains(&name) || crate::discovery::skip_dir(path, name)
}

/// Whether a root-relative path is left out: under a skipped or hidden
/// directory, a hidden file (editor swap files), or an editor backup (`~`).
pub fn ignored(rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    let Some((last, dirs)) = parts.split_last() else {
        return true;
    };
    let dir_skipped = |name: &&str| {
        name.starts_with('.')
            || EXTRA_SKIPPED.contains(name)
            || crate::discovery::SKIP_DIRS.contains(name)
    };
    dirs.iter().any(dir_skipped) || last.starts_with('.') || last.ends_with('~')
}

/// Collects paths and gives them as one batch once `delay` has passed with
/// no new event (a trailing debounce). Time is passed in, so tests need no
/// clock.
#[derive(Debug)]
pub struct Debouncer {
    delay: Duration,
    pending: BTreeSet<String>,
    last: Option<Instant>,
}

impl Debouncer {
    pub fn new(delay: Duration) -> Debouncer {
        Debouncer {
            delay,
            pending: BTreeSet::new(),
            last: None,
        }
    }

    /// An event for `path` at `now`: the quiet time starts again.
    pub fn push(&mut self, path: String, now: Instant) {
        self.pending.insert(path);
        self.last = Some(now);
    }

    /// How long from `now` until [`Debouncer::take`] gives a batch; None
    /// when nothing is pending.
    pub fn due_in(&self, now: Instant) -> Option<Duration> {
        let last = self.last?;
        Some((last + self.delay).saturating_duration_since(now))
    }

    /// The pending paths, sorted, once the quiet time has passed.
    pub fn take(&mut self, now: Instant) -> Option<Vec<String>> {
        if self.due_in(now)? > Duration::ZERO {
            return None;
        }
        self.last = None;
        Some(std::mem::take(&mut self.pending).into_iter().collect())
    }
}

/// Why the watcher could not start: bad input or an exhausted system
/// limit (inotify watches), exit code 4.
#[derive(Debug, thiserror::Error)]
#[error("cannot watch {path}: {source}")]
pub struct WatchError {
    path: String,
    #[source]
    source: notify::Error,
}

/// The project's files as they change, in debounced batches.
pub struct FileWatcher {
    watcher: notify::RecommendedWatcher,
    events: Receiver<notify::Result<notify::Event>>,
    root: PathBuf,
    /// Absolute paths whose events are the run's own writes (its reports).
    outputs: Vec<PathBuf>,
    /// The directories watched: one non-recursive watch each, so the
    /// skipped trees (a `.venv` of thousands of directories, `.git`) cost
    /// no watch, which a recursive watch of the root would spend.
    watched: HashSet<PathBuf>,
    debouncer: Debouncer,
}

impl FileWatcher {
    /// Watch the project under `root`, leaving out what discovery leaves
    /// out and `outputs` (files or directories the runs write, absolute or
    /// relative to `root`: a rerun must not be triggered by the reports of
    /// the run before).
    pub fn new(
        root: &Path,
        delay: Duration,
        outputs: &[PathBuf],
    ) -> Result<FileWatcher, WatchError> {
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let (tx, events) = channel();
        let watcher = notify::recommended_watcher(move |e| {
            let _ = tx.send(e);
        })
        .map_err(|source| WatchError {
            path: root.display().to_string(),
            source,
        })?;
        let outputs = outputs.iter().map(|p| absolute(&root, p)).collect();
        let mut w = FileWatcher {
            watcher,
            events,
            root: root.clone(),
            outputs,
            watched: HashSet::new(),
            debouncer: Debouncer::new(delay),
        };
        w.watch_tree(&root)?;
        Ok(w)
    }

    /// How many directories are watched.
    pub fn watched_dirs(&self) -> usize {
        self.watched.len()
    }

    /// Add a watch for `dir` and every directory under it that is not left
    /// out; the files found (other than under `dir` = root) are returned,
    /// for a directory that appeared with files already in it.
    fn watch_tree(&mut self, dir: &Path) -> Result<Vec<PathBuf>, WatchError> {
        let mut dirs = Vec::new();
        let mut files = Vec::new();
        let it = walkdir::WalkDir::new(dir).into_iter().filter_entry(|e| {
            e.depth() == 0
                || !e.file_type().is_dir()
                || !(skipped_dir(e.path(), &e.file_name().to_string_lossy())
                    || self.is_output(e.path()))
        });
        for e in it.flatten() {
            if e.file_type().is_dir() {
                if !self.watched.contains(e.path()) {
                    dirs.push(e.into_path());
                }
            } else {
                files.push(e.into_path());
            }
        }
        let mut paths = self.watcher.paths_mut();
        for d in &dirs {
            if let Err(source) = paths.add(d, RecursiveMode::NonRecursive) {
                // Gone already: nothing to watch. Anything else (the inotify
                // watch limit) is an error the user can act on.
                if d.exists() {
                    let _ = paths.commit();
                    return Err(WatchError {
                        path: d.display().to_string(),
                        source,
                    });
                }
            }
        }
        paths.commit().map_err(|source| WatchError {
            path: dir.display().to_string(),
            source,
        })?;
        self.watched.extend(dirs);
        Ok(files)
    }

    fn is_output(&self, path: &Path) -> bool {
        self.outputs.iter().any(|o| path.starts_with(o))
    }

    /// The next batch of changed files (root-relative, sorted), waiting at
    /// most `timeout`; None when none is ready by then (what is pending
    /// stays for the next call).
    pub fn next_batch(&mut self, timeout: Duration) -> Option<Vec<String>> {
        let deadline = Instant::now() + timeout;
        loop {
            let now = Instant::now();
            if let Some(batch) = self.debouncer.take(now) {
                let batch = self.existing(batch);
                if !batch.is_empty() {
                    return Some(batch);
                }
            }
            if now >= deadline {
                return None;
            }
            let wait = deadline - now;
            let wait = self.debouncer.due_in(now).map_or(wait, |d| d.min(wait));
            match self.events.recv_timeout(wait) {
                Ok(Ok(event)) => self.note(event),
                // An overflowed queue or a lost watch: nothing to name.
                Ok(Err(_)) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    fn note(&mut self, event: notify::Event) {
        // Reading a file is not changing it (the rerun reads them all).
        if matches!(event.kind, EventKind::Access(_)) {
            return;
        }
        let now = Instant::now();
        for p in event.paths {
            if self.is_output(&p) {
                continue;
            }
            let Some(rel) = self.relative(&p) else {
                continue;
            };
            if ignored(&rel) {
                continue;
            }
            if p.is_dir() {
                if self.watched.contains(&p) || skipped_dir(&p, &rel_name(&rel)) {
                    continue;
                }
                // A new directory (created, or moved in): watch it, and its
                // files are changes, written before its watch existed.
                let files = self.watch_tree(&p).unwrap_or_default();
                for f in files {
                    if let Some(rel) = self.relative(&f).filter(|r| !ignored(r)) {
                        self.debouncer.push(rel, now);
                    }
                }
                continue;
            }
            if matches!(event.kind, EventKind::Remove(_)) {
                // A directory removed takes its watch with it.
                self.watched.remove(&p);
            }
            self.debouncer.push(rel, now);
        }
    }

    fn relative(&self, p: &Path) -> Option<String> {
        let rel = p.strip_prefix(&self.root).ok()?;
        let rel = rel
            .to_string_lossy()
            .replace(std::path::MAIN_SEPARATOR, "/");
        (!rel.is_empty()).then_some(rel)
    }

    /// Drop what is gone and is not Python (an editor's temporary files)
    /// and directories (their files have events of their own). A deleted
    /// Python module stays: its importers are affected.
    fn existing(&self, batch: Vec<String>) -> Vec<String> {
        batch
            .into_iter()
            .filter(|rel| {
                let p = self.root.join(rel);
                if rel.ends_with(".py") {
                    !p.is_dir()
                } else {
                    p.is_file()
                }
            })
            .collect()
    }
}

fn rel_name(rel: &str) -> String {
    rel.rsplit('/').next().unwrap_or(rel).to_string()
}

/// `p` made absolute against `root` and canonical as the events' paths
/// are, also when it does not exist yet (a report the first run writes).
fn absolute(root: &Path, p: &Path) -> PathBuf {
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        root.join(p)
    };
    if let Ok(c) = std::fs::canonicalize(&p) {
        return c;
    }
    match (p.parent().map(std::fs::canonicalize), p.file_name()) {
        (Some(Ok(parent)), Some(name)) => parent.join(name),
        _ => p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_events_is_one_batch_after_the_quiet_time() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut d = Debouncer::new(ms(200));
        assert_eq!(d.due_in(t0), None);
        d.push("a.py".into(), t0);
        d.push("b.py".into(), t0 + ms(150));
        d.push("a.py".into(), t0 + ms(300));
        // 200 ms after the last event, not the first.
        assert_eq!(d.take(t0 + ms(450)), None);
        assert_eq!(d.due_in(t0 + ms(450)), Some(ms(50)));
        assert_eq!(
            d.take(t0 + ms(500)),
            Some(vec!["a.py".into(), "b.py".into()])
        );
        assert_eq!(d.take(t0 + ms(900)), None);
        assert_eq!(d.due_in(t0 + ms(900)), None);
    }

    #[test]
    fn caches_vcs_and_editor_files_are_ignored() {
        for p in [
            ".git/index",
            ".dbtest/imports.json",
            "pkg/__pycache__/a.cpython-311.pyc",
            ".venv/lib/x.py",
            "pkg/.a.py.swp",
            "pkg/a.py~",
            "node_modules/x/y.js",
            "target/debug/build.rs",
            "build/lib/pkg/a.py",
        ] {
            assert!(ignored(p), "{p}");
        }
        for p in [
            "pkg/a.py",
            "pyproject.toml",
            "tests/data/build.json",
            "a/target.py",
        ] {
            assert!(!ignored(p), "{p}");
        }
    }

    #[test]
    fn a_write_under_the_root_is_seen_and_its_burst_coalesced() {
        let root = std::env::temp_dir().join(format!("dbtest-watch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for d in [".dbtest", ".venv/lib/site", "pkg/__pycache__", "out"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        let outputs = [root.join("report.json"), PathBuf::from("out")];
        let mut w = FileWatcher::new(&root, Duration::from_millis(300), &outputs).unwrap();
        // The root and pkg: not the caches, the virtualenv or the output directory.
        assert_eq!(w.watched_dirs(), 2);
        for i in 0..5 {
            std::fs::write(root.join("a.py"), format!("x = {i}\n")).unwrap();
            std::fs::write(root.join(".dbtest/cache.json"), "{}").unwrap();
            std::fs::write(root.join("report.json"), "{}").unwrap();
            std::fs::write(root.join("out/junit.xml"), "").unwrap();
            std::fs::write(root.join("pkg/__pycache__/a.pyc"), "").unwrap();
        }
        std::fs::write(root.join("pkg/b.py"), "").unwrap();
        // Generous deadline: the test waits for the event, it does not time it.
        let batch = w.next_batch(Duration::from_secs(30));
        assert_eq!(
            batch,
            Some(vec!["a.py".to_string(), "pkg/b.py".to_string()])
        );

        // A directory that appears is watched, and what it holds is a change,
        // written before its watch or after.
        std::fs::create_dir_all(root.join("new/sub")).unwrap();
        std::fs::write(root.join("new/sub/c.py"), "").unwrap();
        let batch = w.next_batch(Duration::from_secs(30));
        assert_eq!(batch, Some(vec!["new/sub/c.py".to_string()]));
        std::fs::write(root.join("new/sub/c.py"), "x = 1\n").unwrap();
        let batch = w.next_batch(Duration::from_secs(30));
        assert_eq!(batch, Some(vec!["new/sub/c.py".to_string()]));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
