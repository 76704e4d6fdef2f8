//! Reading callgrind's output files: the event totals of one dump, which
//! is all the instruction-count mode needs (docs/benchmarks.md).
//!
//! The format (callgrind's "Callgrind Format Specification"): header lines
//! `key: value`, among them `events: Ir ...` naming the counters and
//! `summary: N ...` giving their totals; then the cost lines; at the end an
//! optional `totals: N ...`, the sum of the cost lines. The summary is what
//! counts: it is callgrind's own counter since the last zeroing, where the
//! cost lines of a dump taken with calls still open (zeroed in one frame,
//! dumped in another) can add up to a few dozen more, as callgrind 3.19
//! writes them. A value missing at the end of either line is zero.

use std::path::{Path, PathBuf};

/// One dump's totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// `(event name, total)`, in the file's order (`Ir` first by default).
    pub events: Vec<(String, u64)>,
    /// What triggered the dump: `Client Request: LABEL`, `Program termination`.
    pub trigger: Option<String>,
}

impl Totals {
    /// The total of `event`, if the file counted it.
    pub fn get(&self, event: &str) -> Option<u64> {
        self.events
            .iter()
            .find(|(e, _)| e == event)
            .map(|(_, v)| *v)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CallgrindError {
    #[error("cannot read callgrind output {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("not callgrind output: {0}")]
    Format(String),
}

fn numbers(line: &str, key: &str) -> Result<Vec<u64>, CallgrindError> {
    line.split_whitespace()
        .map(|v| {
            v.parse::<u64>()
                .map_err(|_| CallgrindError::Format(format!("{key}: {v:?} is not a count")))
        })
        .collect()
}

/// The totals in the text of one callgrind output file.
pub fn parse_totals(text: &str) -> Result<Totals, CallgrindError> {
    let mut names: Option<Vec<String>> = None;
    let mut summary: Option<Vec<u64>> = None;
    let mut totals: Option<Vec<u64>> = None;
    let mut trigger = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("events:") {
            names = Some(rest.split_whitespace().map(str::to_string).collect());
        } else if let Some(rest) = line.strip_prefix("summary:") {
            summary = Some(numbers(rest, "summary")?);
        } else if let Some(rest) = line.strip_prefix("totals:") {
            totals = Some(numbers(rest, "totals")?);
        } else if let Some(rest) = line.strip_prefix("desc: Trigger:") {
            trigger = Some(rest.trim().to_string());
        }
    }
    let names = names
        .filter(|n| !n.is_empty())
        .ok_or_else(|| CallgrindError::Format("no `events:` line".into()))?;
    let values = match (summary, totals) {
        (Some(v), _) | (None, Some(v)) => v,
        (None, None) => {
            return Err(CallgrindError::Format(
                "no `summary:` or `totals:` line".into(),
            ))
        }
    };
    if values.len() > names.len() {
        return Err(CallgrindError::Format(format!(
            "{} totals for {} events",
            values.len(),
            names.len()
        )));
    }
    let events = names
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n, values.get(i).copied().unwrap_or(0)))
        .collect();
    Ok(Totals { events, trigger })
}

/// The totals of the callgrind output file at `path`.
pub fn read_totals(path: &Path) -> Result<Totals, CallgrindError> {
    let text = std::fs::read_to_string(path).map_err(|source| CallgrindError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_totals(&text)
}
