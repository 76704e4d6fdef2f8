//! Atomic report files: a reader (or a run killed half-way through writing)
//! sees either the previous file or the complete new one, never a truncated one.

use super::ReportError;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

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
        f.write_all(contents)?;
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
    fn missing_directory_is_a_one_line_error() {
        let d = scratch("missing");
        let p = d.join("no/such/dir/r.json");
        let e = write_atomic(&p, b"x").unwrap_err();
        assert!(e.0.starts_with("cannot write report to "), "{e}");
        assert!(!e.0.contains('\n'));
        fs::remove_dir_all(&d).unwrap();
    }
}
