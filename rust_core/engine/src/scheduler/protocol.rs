//! Messages between the scheduler and a worker: JSON objects, one per line,
//! on the worker's own pipes (see docs/architecture.md, "Worker protocol").

use crate::record::{Outcome, TestRecord};
use serde::{Deserialize, Serialize};

/// Scheduler -> worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    Run {
        unit: u64,
        path: String,
        ids: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        timeout: Option<f64>,
        retries: u32,
        exclusive: bool,
        /// `test` or `bench`.
        kind: String,
        /// Measuring options for benchmark units.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bench: Option<serde_json::Value>,
        /// `{"filter": FilterRequest, "ids": [...]}`: ids whose tags are
        /// computed at import; the worker applies the filter to them then.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        refine: Option<serde_json::Value>,
    },
    Cancel,
    Shutdown,
}

/// Worker -> scheduler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "ev", rename_all = "snake_case")]
pub enum Message {
    Ready {
        pid: u32,
    },
    Started {
        #[serde(default)]
        unit: u64,
        id: String,
        #[serde(default)]
        start: f64,
        #[serde(default)]
        timeout: Option<f64>,
        #[serde(default = "one")]
        attempt: u32,
        #[serde(default)]
        sync: bool,
    },
    Output {
        id: String,
        stream: String,
        data: String,
    },
    Retrying {
        id: String,
        attempt: u32,
        outcome: Outcome,
    },
    Finished {
        #[serde(default)]
        unit: u64,
        record: TestRecord,
    },
    RunError {
        scope: String,
        message: String,
        #[serde(default)]
        traceback: Option<String>,
    },
    BenchProgress {
        id: String,
        phase: String,
        #[serde(default)]
        samples: u64,
    },
    /// Raw measurements of one benchmark entry; the engine computes the statistics.
    BenchResult(Box<crate::bench::RawBenchResult>),
    /// A requested id whose tags, known after import, do not match the filter.
    Deselected {
        #[serde(default)]
        unit: u64,
        id: String,
    },
    UnitDone {
        unit: u64,
    },
}

fn one() -> u32 {
    1
}

impl Request {
    pub fn to_line(&self) -> String {
        let mut s = serde_json::to_string(self).expect("requests always serialize");
        s.push('\n');
        s
    }
}

impl Message {
    pub fn parse(line: &str) -> Result<Message, String> {
        serde_json::from_str(line).map_err(|e| format!("bad worker message: {e}: {line:.200}"))
    }
}
