//! The run report (one document per run) and its renderers.
//!
//! The JSON form of [`RunReport`] is the schema in `docs/report-schema.json`;
//! every other format is rendered from it, so a saved JSON report can be
//! rendered again or merged with the reports of other shards.

use crate::bench::BenchEntryResult;
use crate::record::{Outcome, Summary, TestRecord};
use crate::tree::{CollectionError, Uncollected};
use serde::{Deserialize, Serialize};

pub mod console;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod merge;
pub mod summary;
pub mod text;
pub mod write;

pub use summary::{Conclusion, CoverageUnder, Gates, Role, Segment, Tally, Verdict};

pub const SCHEMA_VERSION: u32 = 1;

/// What was asked for: the command line's selection, for the record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    /// `all`, `unit`, `integration` or `bench`.
    #[serde(default)]
    pub mode: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    pub dbtest_version: String,
    pub python: String,
    pub platform: String,
    /// Unix time, seconds.
    pub start: f64,
    /// Wall time of the whole run, seconds.
    pub duration: f64,
    pub workers: u32,
    /// `--shuffle`'s seed: `--seed N` repeats the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub selection: Selection,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<String>,
    #[serde(default)]
    pub interrupted: bool,
    /// Set by `dbtest report merge`: the shards this report was merged from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
}

/// An error that belongs to no single test (a failing `teardown_suite`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunError {
    pub scope: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceback: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub schema_version: u32,
    pub meta: RunMeta,
    pub summary: Summary,
    pub tests: Vec<TestRecord>,
    #[serde(default)]
    pub collection_errors: Vec<CollectionError>,
    #[serde(default)]
    pub run_errors: Vec<RunError>,
    #[serde(default)]
    pub benchmarks: Vec<BenchEntryResult>,
    /// What ran past `slow-timeout` (tests by id, phases by what they ran),
    /// with the longest time it was announced at.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slow: Vec<SlowNote>,
    /// Classes that look like tests and were not collected, each with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uncollected: Vec<Uncollected>,
}

/// A test or phase that ran past `slow-timeout`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlowNote {
    pub what: String,
    pub seconds: f64,
}

impl RunReport {
    /// The report with only the test records an end-of-run display shows:
    /// the failures and the `slowest` longest tests that ran. Everything
    /// else is kept. The console asks for this rather than the whole report:
    /// parsing 10,000 passing records in Python cost more than the run's
    /// own bookkeeping.
    pub fn highlights(&self, slowest: usize) -> RunReport {
        let mut ran: Vec<&TestRecord> = self
            .tests
            .iter()
            .filter(|t| !matches!(t.outcome, Outcome::Skipped | Outcome::Cancelled))
            .collect();
        ran.sort_by(|a, b| b.duration.total_cmp(&a.duration));
        let slow: std::collections::HashSet<&str> =
            ran.iter().take(slowest).map(|t| t.id.as_str()).collect();
        RunReport {
            schema_version: self.schema_version,
            meta: self.meta.clone(),
            summary: self.summary.clone(),
            tests: self
                .tests
                .iter()
                .filter(|t| t.is_failure() || t.leak.is_some() || slow.contains(t.id.as_str()))
                .cloned()
                .collect(),
            collection_errors: self.collection_errors.clone(),
            run_errors: self.run_errors.clone(),
            benchmarks: self.benchmarks.clone(),
            slow: self.slow.clone(),
            uncollected: self.uncollected.clone(),
        }
    }
}

impl RunReport {
    /// Recompute `summary` from the records: counts by outcome, and
    /// `run_errors` = run errors + collection errors (both fail the run).
    pub fn recompute_summary(&mut self) {
        let mut s = Summary::from_records(&self.tests);
        s.run_errors = (self.run_errors.len() + self.collection_errors.len()) as u64;
        s.slow = self.slow.len() as u64;
        self.summary = s;
    }

    /// Records that fail the run, sorted by id (the order every renderer uses).
    pub fn failures(&self) -> Vec<&TestRecord> {
        let mut v: Vec<&TestRecord> = self.tests.iter().filter(|r| r.is_failure()).collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }
}

/// A report that cannot be read, merged or written; the message is one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportError(pub String);

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReportError {}

/// The formats [`render`] knows, as `--format` spells them: the one list
/// (`dbtest._core.REPORT_FORMATS` for the CLI's checks and help).
pub const FORMATS: [&str; 4] = ["console", "json", "markdown", "junit"];

/// Whether `format` is one of [`FORMATS`]; the error says which are.
pub fn check_format(format: &str) -> Result<(), ReportError> {
    if FORMATS.contains(&format) {
        Ok(())
    } else {
        Err(ReportError(format!(
            "--format must be one of {}, not '{format}'",
            FORMATS.join(", ")
        )))
    }
}

/// Render a report in the format named as `--format` names it.
pub fn render(report: &RunReport, format: &str) -> Result<String, ReportError> {
    check_format(format)?;
    Ok(match format {
        "json" => json::to_json(report),
        "markdown" => markdown::render(report),
        "junit" => junit::render(report),
        _ => console::render(report),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, outcome: Outcome, duration: f64) -> TestRecord {
        let mut r = TestRecord::new(id, "t.py", 1, outcome);
        r.duration = duration;
        r
    }

    #[test]
    fn highlights_keep_failures_and_the_slowest_that_ran() {
        let mut strict = rec("strict", Outcome::Xpassed, 0.0);
        strict.strict = true;
        let report = RunReport {
            schema_version: SCHEMA_VERSION,
            meta: RunMeta::default(),
            summary: Summary::default(),
            tests: vec![
                rec("fast", Outcome::Passed, 0.1),
                rec("slow", Outcome::Passed, 3.0),
                rec("skipped", Outcome::Skipped, 9.0),
                rec("failed", Outcome::Failed, 0.2),
                strict,
                rec("medium", Outcome::Passed, 1.0),
            ],
            collection_errors: vec![],
            run_errors: vec![],
            benchmarks: vec![],
            slow: vec![],
            uncollected: vec![],
        };
        let ids = |r: RunReport| r.tests.into_iter().map(|t| t.id).collect::<Vec<_>>();
        assert_eq!(ids(report.highlights(0)), ["failed", "strict"]);
        assert_eq!(
            ids(report.highlights(2)),
            ["slow", "failed", "strict", "medium"]
        );
        assert_eq!(report.highlights(100).tests.len(), 5); // never the skipped one
    }
}
