//! Saved baselines: `.dbtest/benchmarks/NAME.json`, with enough about the
//! machine and the commit to tell whether a comparison is fair.

use super::instrument::Instrument;
use super::BenchEntryResult;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const BASELINE_VERSION: u32 = 1;

/// Where the results were measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MachineInfo {
    pub platform: String,
    pub python: String,
    pub cpu_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub name: String,
    /// UTC, RFC 3339.
    pub date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub machine: MachineInfo,
    /// What the entries measured: absent for time (every baseline saved
    /// before the field existed), `instructions` for callgrind's counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrument: Option<String>,
    pub entries: Vec<BenchEntryResult>,
}

/// A baseline that cannot be named, saved or loaded.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("invalid baseline name {0:?}: use letters, digits, '-', '_' and '.' (not first)")]
    InvalidName(String),
    #[error("no saved baseline {name:?} (expected {}); create it with --save-baseline {name}", path.display())]
    NotFound { name: String, path: PathBuf },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a dbtest baseline: {source}", path.display())]
    NotABaseline {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{} was written by a newer dbtest (baseline version {version})", path.display())]
    TooNew { path: PathBuf, version: u32 },
    /// Seconds and instruction counts have no ratio that means anything.
    #[error("baseline {name:?} measured {saved}, this run measures {current}: compare with a baseline saved with --instrument {current}")]
    OtherInstrument {
        name: String,
        saved: &'static str,
        current: &'static str,
    },
}

/// A baseline name becomes a file name: keep it to a safe alphabet so
/// `--save-baseline ../x` cannot write outside `.dbtest/benchmarks`.
pub fn validate_name(name: &str) -> Result<(), BaselineError> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(BaselineError::InvalidName(name.to_string()))
    }
}

pub fn baseline_path(root: &Path, name: &str) -> PathBuf {
    root.join(".dbtest")
        .join("benchmarks")
        .join(format!("{name}.json"))
}

/// The commit checked out at `root`, if it is a git repository.
pub fn git_commit(root: &Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(root)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// Current UTC time as RFC 3339 (`2026-11-21T06:31:35Z`).
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    format_rfc3339(secs)
}

/// Unix seconds to RFC 3339 UTC.
pub fn format_rfc3339(secs: i64) -> String {
    format!("{}Z", crate::utc::datetime(secs))
}

/// Builds and writes a baseline; returns the path written.
pub fn save(
    root: &Path,
    name: &str,
    machine: MachineInfo,
    commit: Option<String>,
    entries: Vec<BenchEntryResult>,
) -> Result<PathBuf, BaselineError> {
    validate_name(name)?;
    // One run measures with one instrument: its entries all say which.
    let instrument = entries.iter().find_map(|e| e.instrument.clone());
    let baseline = Baseline {
        version: BASELINE_VERSION,
        name: name.to_string(),
        date: now_rfc3339(),
        commit: commit.or_else(|| git_commit(root)),
        machine,
        instrument,
        entries,
    };
    let path = baseline_path(root, name);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| BaselineError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let json = serde_json::to_string_pretty(&baseline).expect("a baseline serializes");
    // Write then rename, so an interrupted save never leaves half a baseline.
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, json + "\n").map_err(|source| BaselineError::Write {
        path: tmp.clone(),
        source,
    })?;
    std::fs::rename(&tmp, &path).map_err(|source| BaselineError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

pub fn load(root: &Path, name: &str) -> Result<Baseline, BaselineError> {
    validate_name(name)?;
    let path = baseline_path(root, name);
    let text = std::fs::read_to_string(&path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            BaselineError::NotFound {
                name: name.to_string(),
                path: path.clone(),
            }
        } else {
            BaselineError::Read {
                path: path.clone(),
                source,
            }
        }
    })?;
    let b: Baseline =
        serde_json::from_str(&text).map_err(|source| BaselineError::NotABaseline {
            path: path.clone(),
            source,
        })?;
    if b.version > BASELINE_VERSION {
        return Err(BaselineError::TooNew {
            path,
            version: b.version,
        });
    }
    Ok(b)
}

/// The saved baseline `name` under `root`, refused unless it measured
/// with `instrument`.
pub fn load_for(
    root: &Path,
    name: &str,
    instrument: Instrument,
) -> Result<Baseline, BaselineError> {
    let b = load(root, name)?;
    let saved = Instrument::of(b.instrument.as_deref());
    if saved != instrument {
        return Err(BaselineError::OtherInstrument {
            name: b.name,
            saved: saved.name(),
            current: instrument.name(),
        });
    }
    Ok(b)
}

/// `current` against the saved baseline `name` under `root`, with the
/// regression verdicts at `threshold` (a fraction); refused if the two
/// measured with different instruments.
pub fn compare_with_saved(
    root: &Path,
    name: &str,
    current: &[BenchEntryResult],
    threshold: f64,
    margin: f64,
) -> Result<super::compare::CompareReport, BaselineError> {
    let instrument = Instrument::of(current.iter().find_map(|e| e.instrument.as_deref()));
    let b = load_for(root, name, instrument)?;
    Ok(super::compare::regression_gate(
        &b.name, &b.entries, current, threshold, margin,
    ))
}
