//! The project's import graph, from the static parse of every Python file
//! under the root (imports only; nothing runs), and the tests a change
//! affects: `--changed`, watch mode and the TUI's `o`.
//!
//! - `resolve`: which project file an import statement names;
//! - `cache`: each file's imports in `.dbtest/`, keyed by mtime and size;
//! - `select`: the selection rule (changed files, their importers, and the
//!   changes the graph cannot see, which select everything);
//! - `git`: the changed files since a git ref.

pub mod cache;
pub mod git;
pub mod resolve;
pub mod select;

use crate::parse::imports::{imports, Import};
use cache::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};

/// Which project files each file imports, directly.
#[derive(Debug, Clone, Default)]
pub struct ImportGraph {
    /// By root-relative path (`/`), every Python file of the project.
    pub deps: BTreeMap<String, BTreeSet<String>>,
    pub stats: BuildStats,
}

/// What a build did, for measurements (`perf/bench_changed.py`).
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildStats {
    pub files: usize,
    /// Files read and parsed (the others came from the cache).
    pub parsed: usize,
    pub elapsed: Duration,
}

impl ImportGraph {
    /// Who imports each file, directly.
    pub fn importers(&self) -> HashMap<&str, Vec<&str>> {
        let mut rev: HashMap<&str, Vec<&str>> = HashMap::new();
        for (file, deps) in &self.deps {
            for d in deps {
                rev.entry(d.as_str()).or_default().push(file.as_str());
            }
        }
        rev
    }
}

/// A Python file found under the root.
struct Walked {
    rel: String,
    abs: PathBuf,
    mtime: u64,
    size: u64,
}

/// Every `*.py` under `root`, skipping what discovery skips (hidden
/// directories, virtualenvs, `__pycache__`, build output).
fn walk(root: &Path) -> Vec<Walked> {
    let it = walkdir::WalkDir::new(root).into_iter().filter_entry(|e| {
        e.depth() == 0
            || !e.file_type().is_dir()
            || !crate::discovery::skip_dir(e.path(), &e.file_name().to_string_lossy())
    });
    let mut out = Vec::new();
    for e in it.flatten() {
        let name = e.file_name().to_string_lossy();
        if !e.file_type().is_file() || !name.ends_with(".py") {
            continue;
        }
        let Ok(meta) = e.metadata() else { continue };
        let Ok(rel) = e.path().strip_prefix(root) else {
            continue;
        };
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        out.push(Walked {
            rel: rel
                .to_string_lossy()
                .replace(std::path::MAIN_SEPARATOR, "/"),
            abs: e.into_path(),
            mtime,
            size: meta.len(),
        });
    }
    out
}

/// The imports of each walked file: from the cache when its mtime and size
/// match, else parsed (on every core).
fn entries(walked: &[Walked], mut old: HashMap<String, Entry>) -> (HashMap<String, Entry>, usize) {
    let mut out = HashMap::with_capacity(walked.len());
    let mut todo: Vec<&Walked> = Vec::new();
    for w in walked {
        match old.remove(&w.rel) {
            Some(e) if e.mtime == w.mtime && e.size == w.size => {
                out.insert(w.rel.clone(), e);
            }
            _ => todo.push(w),
        }
    }
    let parsed = todo.len();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = todo.len().div_ceil(threads).max(1);
    let results: Vec<Vec<(String, Entry)>> = std::thread::scope(|s| {
        let handles: Vec<_> = todo
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(|w| (w.rel.clone(), parse(w))).collect()))
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    out.extend(results.into_iter().flatten());
    (out, parsed)
}

fn parse(w: &Walked) -> Entry {
    // An unreadable file imports nothing; reading it again is the next build's.
    let (mtime, imports) = match std::fs::read(&w.abs) {
        Ok(bytes) => (w.mtime, imports(&String::from_utf8_lossy(&bytes))),
        Err(_) => (0, Vec::<Import>::new()),
    };
    Entry {
        mtime,
        size: w.size,
        imports,
    }
}

/// Build the graph of the project at `root`, reading `.dbtest/imports.json`
/// and writing it back when anything was parsed. `gone` are files that no
/// longer exist but are still imported (deleted modules a change names):
/// resolution still finds them, so their importers are affected.
pub fn build(root: &Path, gone: &[String]) -> ImportGraph {
    let start = Instant::now();
    let walked = walk(root);
    let old = cache::load(root);
    let stale = old.files.len() != walked.len();
    let (entries, parsed) = entries(&walked, old.files);
    let mut files: HashSet<String> = entries.keys().cloned().collect();
    files.extend(gone.iter().filter(|g| g.ends_with(".py")).cloned());
    let index = resolve::Index {
        has_src: files.iter().any(|f| f.starts_with("src/")),
        files: &files,
    };
    let mut deps = BTreeMap::new();
    for (file, entry) in &entries {
        let mut out = BTreeSet::new();
        out.extend(index.implicit(file));
        for imp in &entry.imports {
            index.resolve(file, imp, &mut out);
        }
        out.remove(file);
        deps.insert(file.clone(), out);
    }
    let stats = BuildStats {
        files: entries.len(),
        parsed,
        elapsed: Duration::ZERO,
    };
    if parsed > 0 || stale {
        cache::save(root, entries);
    }
    ImportGraph {
        deps,
        stats: BuildStats {
            elapsed: start.elapsed(),
            ..stats
        },
    }
}

/// Where the changed files come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Changed {
    /// `--changed [REF]`: git's changes since REF (`HEAD` without one).
    Since(String),
    /// Watch mode: the paths its events named, root-relative.
    Paths(Vec<String>),
}

/// What `changed` affects in the project at `root`: the changed files, the
/// graph (built or read from `.dbtest/`), the selection.
pub fn affected_by(root: &Path, changed: &Changed) -> Result<select::Affected, git::ChangedError> {
    let paths = match changed {
        Changed::Since(reference) => git::changed_since(root, reference)?,
        Changed::Paths(p) => p.clone(),
    };
    let gone: Vec<String> = paths
        .iter()
        .filter(|p| !root.join(p).exists())
        .cloned()
        .collect();
    let graph = build(root, &gone);
    let mut a = select::affected(&graph, &paths);
    a.since = match changed {
        Changed::Since(r) => Some(r.clone()),
        Changed::Paths(_) => None,
    };
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warm_build_parses_only_what_changed() {
        let root = std::env::temp_dir().join(format!("dbtest-graph-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        std::fs::create_dir_all(root.join(".venv/lib")).unwrap();
        let write = |p: &str, s: &str| std::fs::write(root.join(p), s).unwrap();
        write("pkg/__init__.py", "");
        write("pkg/c.py", "import os\n");
        write("pkg/b.py", "from . import c\n");
        write("test_a.py", "import pkg.b\n");
        write(".venv/lib/skipped.py", "import pkg\n");

        let g = build(&root, &[]);
        assert_eq!((g.stats.files, g.stats.parsed), (4, 4));
        let want: BTreeSet<String> = ["pkg/__init__.py", "pkg/b.py"].map(String::from).into();
        assert_eq!(g.deps["test_a.py"], want);
        let warm = build(&root, &[]);
        assert_eq!(warm.stats.parsed, 0);
        assert_eq!(warm.deps, g.deps);
        // Another size: re-parsed whatever the clock's resolution.
        write("pkg/c.py", "import os, sys\n");
        assert_eq!(build(&root, &[]).stats.parsed, 1);
        // A deleted module is still imported by name.
        std::fs::remove_file(root.join("pkg/c.py")).unwrap();
        let gone = build(&root, &["pkg/c.py".to_string()]);
        assert!(gone.deps["pkg/b.py"].contains("pkg/c.py"));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
