//! The typed event stream from the scheduler to its consumers (the console,
//! the reports, the TUI). Serialized with `type` as the tag; see `docs/events.md`.

use crate::bench::BenchEntryResult;
use crate::record::{Summary, TestRecord};
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
        result: BenchEntryResult,
    },
    RunFinished {
        summary: Summary,
        duration: f64,
        interrupted: bool,
    },
}
