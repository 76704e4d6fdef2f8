//! The result of one test: the record every reporter, the console and the TUI
//! read. Field names are the JSON report schema (`docs/report-schema.json`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Each selected test ends with exactly one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Passed,
    Failed,
    Error,
    Skipped,
    Xfailed,
    Xpassed,
    Timeout,
    Crashed,
    Cancelled,
}

impl Outcome {
    pub const ALL: [Outcome; 9] = [
        Outcome::Passed,
        Outcome::Failed,
        Outcome::Error,
        Outcome::Skipped,
        Outcome::Xfailed,
        Outcome::Xpassed,
        Outcome::Timeout,
        Outcome::Crashed,
        Outcome::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Error => "error",
            Outcome::Skipped => "skipped",
            Outcome::Xfailed => "xfailed",
            Outcome::Xpassed => "xpassed",
            Outcome::Timeout => "timeout",
            Outcome::Crashed => "crashed",
            Outcome::Cancelled => "cancelled",
        }
    }

    /// Outcomes that make the run fail (exit code 1).
    /// `xpassed` only counts when the record is strict; see [`TestRecord::is_failure`].
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Outcome::Failed | Outcome::Error | Outcome::Timeout | Outcome::Crashed
        )
    }

    /// Outcomes that `--retries` re-runs.
    pub fn is_retryable(self) -> bool {
        self.is_failure()
    }
}

/// One captured `logging` record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRecord {
    pub level: String,
    pub logger: String,
    pub message: String,
    /// Unix time, seconds.
    pub time: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestRecord {
    pub id: String,
    pub outcome: Outcome,
    /// Passed only on a retry.
    #[serde(default)]
    pub flaky: bool,
    /// `xpassed` under `strict=True` fails the run.
    #[serde(default)]
    pub strict: bool,
    /// Wall time of the final attempt, seconds.
    pub duration: f64,
    /// Unix time the final attempt started, seconds.
    pub start: f64,
    #[serde(default = "one")]
    pub attempts: u32,
    /// Headline: assertion message with the diff, exception text, skip reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Traceback with source lines, dbtest's own frames hidden.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceback: Option<String>,
    #[serde(default)]
    pub stdout: String,
    #[serde(default)]
    pub stderr: String,
    #[serde(default)]
    pub logs: Vec<LogRecord>,
    pub path: String,
    pub line: u32,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Worker slot that ran the final attempt (None in-process or never run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<u32>,
    /// What the test left running after it ended: a non-daemon thread, a
    /// child process (a LEAK, as cargo-nextest calls it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leak: Option<String>,
    /// Extra facts a reporter may show (e.g. `signal`, `exit_code`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, serde_json::Value>,
}

fn one() -> u32 {
    1
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl TestRecord {
    /// A record with one attempt, no timing and no output; callers fill in
    /// what they know.
    pub fn new(
        id: impl Into<String>,
        path: impl Into<String>,
        line: u32,
        outcome: Outcome,
    ) -> Self {
        TestRecord {
            id: id.into(),
            outcome,
            flaky: false,
            strict: false,
            duration: 0.0,
            start: 0.0,
            attempts: 1,
            message: None,
            traceback: None,
            stdout: String::new(),
            stderr: String::new(),
            logs: Vec::new(),
            path: path.into(),
            line,
            tags: Vec::new(),
            worker: None,
            leak: None,
            extra: BTreeMap::new(),
        }
    }

    pub fn is_failure(&self) -> bool {
        self.outcome.is_failure() || (self.outcome == Outcome::Xpassed && self.strict)
    }
}

/// Counts by outcome; `total` equals the number of selected tests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub total: u64,
    pub passed: u64,
    pub failed: u64,
    pub error: u64,
    pub skipped: u64,
    pub xfailed: u64,
    pub xpassed: u64,
    pub timeout: u64,
    pub crashed: u64,
    pub cancelled: u64,
    pub flaky: u64,
    /// Errors outside any one test (teardown_suite, collection) that fail the run.
    #[serde(default)]
    pub run_errors: u64,
    /// Tests and phases that ran past `slow-timeout` (the report's `slow`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub slow: u64,
    /// Tests with a `leak` note.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub leaked: u64,
}

impl Summary {
    pub fn from_records<'a>(records: impl IntoIterator<Item = &'a TestRecord>) -> Summary {
        let mut s = Summary::default();
        for r in records {
            s.add(r);
        }
        s
    }

    pub fn add(&mut self, r: &TestRecord) {
        self.total += 1;
        if r.flaky {
            self.flaky += 1;
        }
        if r.leak.is_some() {
            self.leaked += 1;
        }
        *self.slot(r.outcome) += 1;
    }

    /// Count `n` more tests that ended with `o`.
    pub fn add_outcome(&mut self, o: Outcome, n: u64) {
        self.total += n;
        *self.slot(o) += n;
    }

    fn slot(&mut self, o: Outcome) -> &mut u64 {
        match o {
            Outcome::Passed => &mut self.passed,
            Outcome::Failed => &mut self.failed,
            Outcome::Error => &mut self.error,
            Outcome::Skipped => &mut self.skipped,
            Outcome::Xfailed => &mut self.xfailed,
            Outcome::Xpassed => &mut self.xpassed,
            Outcome::Timeout => &mut self.timeout,
            Outcome::Crashed => &mut self.crashed,
            Outcome::Cancelled => &mut self.cancelled,
        }
    }

    pub fn count(&self, o: Outcome) -> u64 {
        match o {
            Outcome::Passed => self.passed,
            Outcome::Failed => self.failed,
            Outcome::Error => self.error,
            Outcome::Skipped => self.skipped,
            Outcome::Xfailed => self.xfailed,
            Outcome::Xpassed => self.xpassed,
            Outcome::Timeout => self.timeout,
            Outcome::Crashed => self.crashed,
            Outcome::Cancelled => self.cancelled,
        }
    }
}
