//! `.dbtest/` in the project root: what earlier runs learned. Durations
//! order the queue longest-first and balance `slice` partitions; the last
//! failures drive `--lf` and `--ff`. A missing or damaged cache is simply
//! empty: it only ever makes a run faster, never changes its outcome.

use crate::record::{Outcome, TestRecord};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

pub const CACHE_DIR: &str = ".dbtest";
const DURATIONS: &str = "durations.json";
const LAST_FAILED: &str = "lastfailed.json";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// Seconds, by test id.
    pub durations: HashMap<String, f64>,
    /// Ids that failed when they last ran.
    pub failed: HashSet<String>,
}

#[derive(Serialize, Deserialize)]
struct FailedFile {
    failed: BTreeSet<String>,
}

pub fn cache_dir(root: &Path) -> PathBuf {
    root.join(CACHE_DIR)
}

pub fn load(root: &Path) -> History {
    let dir = cache_dir(root);
    let durations = std::fs::read(dir.join(DURATIONS))
        .ok()
        .and_then(|b| serde_json::from_slice::<HashMap<String, f64>>(&b).ok())
        .unwrap_or_default();
    let failed = std::fs::read(dir.join(LAST_FAILED))
        .ok()
        .and_then(|b| serde_json::from_slice::<FailedFile>(&b).ok())
        .map(|f| f.failed.into_iter().collect())
        .unwrap_or_default();
    History { durations, failed }
}

/// Merge this run's results into the history and write it. Like pytest's
/// cache, a test that was not run keeps its old entry, so running a subset
/// does not forget the other failures. With `record_durations` false (a
/// shard of a partitioned run) durations are left alone: `slice` balances by
/// them, and every shard must see the same ones or the shards would overlap.
pub fn update(
    root: &Path,
    previous: &History,
    records: &[TestRecord],
    record_durations: bool,
) -> io::Result<History> {
    let mut next = previous.clone();
    for r in records {
        match r.outcome {
            Outcome::Cancelled => continue,
            Outcome::Skipped => {
                next.failed.remove(&r.id);
                continue;
            }
            _ => {}
        }
        if record_durations && r.outcome != Outcome::Crashed {
            next.durations.insert(r.id.clone(), r.duration);
        }
        if r.is_failure() {
            next.failed.insert(r.id.clone());
        } else {
            next.failed.remove(&r.id);
        }
    }
    let dir = prepare_dir(root)?;
    let durations: BTreeMap<_, _> = next.durations.iter().collect();
    write_atomic(&dir.join(DURATIONS), &serde_json::to_vec(&durations)?)?;
    let failed = FailedFile {
        failed: next.failed.iter().cloned().collect(),
    };
    write_atomic(&dir.join(LAST_FAILED), &serde_json::to_vec_pretty(&failed)?)?;
    Ok(next)
}

/// Create `.dbtest/` under `root` if needed, kept out of version control
/// (as pytest does with its cache); returns its path.
pub fn prepare_dir(root: &Path) -> io::Result<PathBuf> {
    let dir = cache_dir(root);
    std::fs::create_dir_all(&dir)?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(&ignore, "# created by dbtest\n*\n")?;
    }
    Ok(dir)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    crate::report::write::write_atomic(path, bytes).map_err(|e| io::Error::other(e.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, outcome: Outcome, duration: f64) -> TestRecord {
        let mut r = TestRecord::new(id, "a.py", 1, outcome);
        r.duration = duration;
        r
    }

    #[test]
    fn failures_are_remembered_until_they_pass() {
        let dir = std::env::temp_dir().join(format!("dbtest-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let h = update(
            &dir,
            &History::default(),
            &[
                rec("a.py::x", Outcome::Failed, 0.5),
                rec("a.py::y", Outcome::Passed, 0.1),
            ],
            true,
        )
        .unwrap();
        assert!(h.failed.contains("a.py::x"));
        let loaded = load(&dir);
        assert_eq!(loaded, h);
        // A run of y only does not forget x.
        let h2 = update(&dir, &loaded, &[rec("a.py::y", Outcome::Passed, 0.2)], true).unwrap();
        assert!(h2.failed.contains("a.py::x"));
        assert_eq!(h2.durations["a.py::y"], 0.2);
        let h3 = update(&dir, &h2, &[rec("a.py::x", Outcome::Passed, 0.4)], false).unwrap();
        assert!(h3.failed.is_empty());
        // A shard does not move the durations every shard balances by.
        assert_eq!(h3.durations["a.py::x"], 0.5);
        assert!(dir.join(".dbtest/.gitignore").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_damaged_cache_is_empty() {
        let dir = std::env::temp_dir().join(format!("dbtest-cache-bad-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(CACHE_DIR)).unwrap();
        std::fs::write(dir.join(CACHE_DIR).join(DURATIONS), b"{not json").unwrap();
        assert_eq!(load(&dir), History::default());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
