//! Saved baselines: `.dbtest/benchmarks/NAME.json`, with enough about the
//! machine and the commit to tell whether a comparison is fair.

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
    pub entries: Vec<BenchEntryResult>,
}

/// A baseline name becomes a file name: keep it to a safe alphabet so
/// `--save-baseline ../x` cannot write outside `.dbtest/benchmarks`.
pub fn validate_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid baseline name {name:?}: use letters, digits, '-', '_' and '.' (not first)"
        ))
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
) -> Result<PathBuf, String> {
    validate_name(name)?;
    let baseline = Baseline {
        version: BASELINE_VERSION,
        name: name.to_string(),
        date: now_rfc3339(),
        commit: commit.or_else(|| git_commit(root)),
        machine,
        entries,
    };
    let path = baseline_path(root, name);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let json = serde_json::to_string_pretty(&baseline).map_err(|e| e.to_string())?;
    // Write then rename, so an interrupted save never leaves half a baseline.
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, json + "\n")
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

pub fn load(root: &Path, name: &str) -> Result<Baseline, String> {
    validate_name(name)?;
    let path = baseline_path(root, name);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "no saved baseline {name:?} (expected {}); create it with --save-baseline {name}",
                path.display()
            )
        } else {
            format!("cannot read {}: {e}", path.display())
        }
    })?;
    let b: Baseline = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a dbtest baseline: {e}", path.display()))?;
    if b.version > BASELINE_VERSION {
        return Err(format!(
            "{} was written by a newer dbtest (baseline version {})",
            path.display(),
            b.version
        ));
    }
    Ok(b)
}
