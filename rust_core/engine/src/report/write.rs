//! Atomic report files: a reader (or a run killed half-way through writing)
//! sees either the previous file or the complete new one, never a truncated one.

use super::ReportError;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Testing hook, not a user setting: `DBTEST_TESTING_PAUSE_WRITE=NAME:MARKER`
/// makes a write to a file named `NAME` stop half-way through its contents,
/// create the file `MARKER` and sleep, so that a test can kill the process in
/// the middle of a write and check that the previous file is intact
/// (tests/e2e/test_shards.py). Read once; unset, it costs one load per write.
pub const PAUSE_WRITE_ENV: &str = "DBTEST_TESTING_PAUSE_WRITE";

struct PauseWrite {
    name: std::ffi::OsString,
    marker: PathBuf,
}

/// `NAME:MARKER`, split at the first `:` (a file name has none; a marker
/// path on Windows may).
fn parse_pause(spec: &str) -> Option<PauseWrite> {
    let (name, marker) = spec.split_once(':')?;
    (!name.is_empty() && !marker.is_empty()).then(|| PauseWrite {
        name: name.into(),
        marker: marker.into(),
    })
}

fn pause_for(path: &Path) -> Option<&'static PauseWrite> {
    static PAUSE: OnceLock<Option<PauseWrite>> = OnceLock::new();
    PAUSE
        .get_or_init(|| parse_pause(&std::env::var(PAUSE_WRITE_ENV).ok()?))
        .as_ref()
        .filter(|p| path.file_name() == Some(p.name.as_os_str()))
}

/// Write `contents` to `f`; under the testing hook, the first half, flushed,
/// then the marker, then a sleep long enough for any test to kill us.
fn write_contents(f: &mut fs::File, path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let Some(pause) = pause_for(path) else {
        return f.write_all(contents);
    };
    let (head, tail) = contents.split_at(contents.len() / 2);
    f.write_all(head)?;
    f.sync_all()?;
    fs::write(&pause.marker, path.to_string_lossy().as_bytes())?;
    std::thread::sleep(std::time::Duration::from_secs(120));
    f.write_all(tail)
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // Same directory as the target: rename(2) is only atomic within one filesystem.
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

/// Write `contents` to `path` atomically: a temporary file in the same
/// directory, flushed to disk (fsync), then renamed over `path`; on Unix the
/// directory is fsynced too so the rename survives a power loss.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), ReportError> {
    let shown = path.display();
    if path.file_name().is_none() {
        return Err(ReportError(format!(
            "cannot write report to {shown}: not a file path"
        )));
    }
    let tmp = temp_path(path);
    let result = (|| -> std::io::Result<()> {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        write_contents(&mut f, path, contents)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        #[cfg(unix)]
        {
            let dir = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            // Best effort: some filesystems refuse to fsync a directory.
            if let Ok(d) = fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        ReportError(format!("cannot write report to {shown}: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("dbtest-write-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn replaces_whole_file_and_leaves_no_temp() {
        let d = scratch("replace");
        let p = d.join("r.json");
        fs::write(&p, "old, longer contents").unwrap();
        write_atomic(&p, b"new").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        let names: Vec<_> = fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn pause_spec_is_name_then_marker() {
        let p = parse_pause("r.json:C:\\tmp\\paused").unwrap();
        assert_eq!(p.name, "r.json");
        assert_eq!(p.marker, PathBuf::from("C:\\tmp\\paused"));
        assert!(parse_pause("r.json").is_none());
        assert!(parse_pause(":marker").is_none());
        assert!(parse_pause("r.json:").is_none());
    }

    #[test]
    fn missing_directory_is_a_one_line_error() {
        let d = scratch("missing");
        let p = d.join("no/such/dir/r.json");
        let e = write_atomic(&p, b"x").unwrap_err();
        assert!(e.0.starts_with("cannot write report to "), "{e}");
        assert!(!e.0.contains('\n'));
        fs::remove_dir_all(&d).unwrap();
    }
}
