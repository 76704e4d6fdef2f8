//! The typed event stream from the scheduler to its consumers (the console,
//! the reports, the TUI). Serialized with `type` as the tag; see `docs/events.md`.

use crate::bench::BenchEntryResult;
use crate::record::{Summary, TestRecord};
use crate::report::{RunReport, Segment, Verdict};
use crate::tree::{CollectionError, TestItem};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// First event of a run: what was selected.
    RunStarted {
        selected: Vec<TestItem>,
        collection_errors: Vec<CollectionError>,
        workers: u32,
        /// `--shuffle`'s seed, for the console to print first.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seed: Option<u64>,
    },
    WorkerStarted {
        worker: u32,
        pid: u32,
    },
    /// A worker died (or was killed for a timeout) while running tests.
    WorkerCrashed {
        worker: u32,
        pid: u32,
        reason: String,
    },
    /// A fresh process took the slot of a crashed one.
    WorkerReplaced {
        worker: u32,
        pid: u32,
    },
    TestStarted {
        id: String,
        worker: u32,
        attempt: u32,
    },
    /// Captured output as it arrives (for live views); bounded per test.
    Output {
        id: String,
        stream: String,
        data: String,
    },
    /// A test (`what` is its id) or a phase of user code (`what` says which,
    /// e.g. `setup_suite tests/x.py::Users`) has run `seconds` so far, past
    /// `slow-timeout`; announced once per period.
    Slow {
        worker: u32,
        what: String,
        seconds: f64,
    },
    /// A failed attempt that will be retried.
    TestRetrying {
        id: String,
        attempt: u32,
        outcome: crate::record::Outcome,
    },
    TestFinished {
        record: TestRecord,
    },
    /// Selected statically, but its tags (computed at import) do not match:
    /// it does not run and has no record.
    Deselected {
        id: String,
    },
    /// An error outside any one test (e.g. a failing `teardown_suite`).
    RunError {
        scope: String,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        traceback: Option<String>,
    },
    BenchProgress {
        id: String,
        phase: String,
        #[serde(default)]
        samples: u64,
    },
    BenchFinished {
        // Boxed: an entry with its samples is far larger than any other event.
        result: Box<BenchEntryResult>,
    },
    /// Last: the report is ready. `verdict` and `summary_line` are the
    /// report's own (`RunReport::summary_line`), for views that show them.
    RunFinished {
        summary: Summary,
        duration: f64,
        interrupted: bool,
        verdict: Verdict,
        summary_line: Vec<Segment>,
    },
}

impl Event {
    /// The last event of the run that made `report`.
    pub fn run_finished(report: &RunReport) -> Event {
        Event::RunFinished {
            summary: report.summary.clone(),
            duration: report.meta.duration,
            interrupted: report.meta.interrupted,
            verdict: report.verdict(),
            summary_line: report.summary_line(&Default::default()),
        }
    }
}

/// An event in the lean form a progress display needs: a `test_finished`
/// carries only the record's `id`, `outcome`, `duration`, `flaky` and
/// `attempts`, and `run_started` the number of selected items (`total`)
/// instead of the items. Every other event is unchanged.
///
/// The console reads the full records from the report at the end; on 10,000
/// trivial tests this form cuts what Python parses during the run by half.
pub struct Progress<'a>(pub &'a Event);

impl Serialize for Progress<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Started<'a> {
            r#type: &'static str,
            total: usize,
            collection_errors: &'a [CollectionError],
            workers: u32,
            #[serde(skip_serializing_if = "Option::is_none")]
            seed: Option<u64>,
        }
        #[derive(Serialize)]
        struct Slim<'a> {
            id: &'a str,
            outcome: crate::record::Outcome,
            duration: f64,
            flaky: bool,
            attempts: u32,
        }
        #[derive(Serialize)]
        struct Finished<'a> {
            r#type: &'static str,
            record: Slim<'a>,
        }
        match self.0 {
            Event::RunStarted {
                selected,
                collection_errors,
                workers,
                seed,
            } => Started {
                r#type: "run_started",
                total: selected.len(),
                collection_errors,
                workers: *workers,
                seed: *seed,
            }
            .serialize(s),
            Event::TestFinished { record } => Finished {
                r#type: "test_finished",
                record: Slim {
                    id: &record.id,
                    outcome: record.outcome,
                    duration: record.duration,
                    flaky: record.flaky,
                    attempts: record.attempts,
                },
            }
            .serialize(s),
            other => other.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Outcome, TestRecord};
    use serde_json::json;

    #[test]
    fn progress_form_cuts_records_and_the_selected_tree() {
        let mut record = TestRecord::new("t.py::a", "t.py", 3, Outcome::Failed);
        record.stdout = "lots of output".into();
        record.attempts = 2;
        let finished = Event::TestFinished { record };
        assert_eq!(
            serde_json::to_value(Progress(&finished)).unwrap(),
            json!({"type": "test_finished", "record": {
                "id": "t.py::a", "outcome": "failed", "duration": 0.0,
                "flaky": false, "attempts": 2}})
        );
        let started = Event::RunStarted {
            selected: vec![],
            collection_errors: vec![],
            workers: 2,
            seed: None,
        };
        assert_eq!(
            serde_json::to_value(Progress(&started)).unwrap(),
            json!({"type": "run_started", "total": 0, "collection_errors": [], "workers": 2})
        );
        let other = Event::Deselected { id: "x".into() };
        assert_eq!(
            serde_json::to_value(Progress(&other)).unwrap(),
            serde_json::to_value(&other).unwrap()
        );
    }
}
