//! Messages between the scheduler and a worker: JSON objects, one per line,
//! on the worker's own pipes (see docs/architecture.md, "Worker protocol").

use super::stacks::StackHook;
use crate::record::{Outcome, TestRecord};
use serde::{Deserialize, Serialize};

/// Scheduler -> worker.
// One request a unit, serialized at once: boxing `run`'s fields buys nothing.
#[allow(clippy::large_enum_variant)]
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
        /// Ids of tests defined under `if`/`try`: one the import did not
        /// define is `skipped`, not an error.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        conditional: Vec<String>,
        /// With `--max-fail`/`-x`: failures left before the run stops, as
        /// the scheduler counted them when it sent the unit. The worker
        /// stops starting tests once it has seen that many of its own,
        /// without waiting for the `cancel` that follows.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fail_budget: Option<u32>,
        /// `--async-concurrency`: a suite's own `concurrency` is capped at
        /// it, so that 1 makes everything strictly serial.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        concurrency_cap: Option<u32>,
        /// `setup-timeout`: the worker cancels an async phase (a hook, a
        /// wider fixture) past it; a sync one the scheduler cuts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        setup_timeout: Option<f64>,
        /// Phases of this unit's file (or of the session) that already hung
        /// in this run and got their worker killed: they fail at once.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        hung: Vec<String>,
        /// `--shuffle`'s seed: the worker orders the tests from it (unless
        /// `keep_order`) and resets `random` before each test.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seed: Option<u64>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        keep_order: bool,
        /// pytest's `python_classes` and `python_functions` when they are
        /// not its defaults, `{"classes": [...], "functions": [...]}`: the
        /// worker collects by them after import (`dbtest/execution/names.py`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        names: Option<serde_json::Value>,
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
        /// The stack-dump hook the scheduler uses before killing it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stacks: Option<StackHook>,
    },
    /// User code beyond a test begins: an import, a suite or class hook, a
    /// fixture wider than a test. Without `test`, the unit's next
    /// `started`, `finished`, `phase` or `unit_done` ends it; with `test`,
    /// it runs inside that test (whose own timeout pauses) and `phase_end`
    /// ends it. Without `unit`, it belongs to the worker (teardown after
    /// `shutdown`).
    Phase(PhaseStart),
    PhaseEnd {
        #[serde(default)]
        unit: Option<u64>,
        test: String,
    },
    Started(Started),
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
    Finished(Finished),
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
    /// After `shutdown`: teardown is done; `threads` are the non-daemon
    /// threads still running, which the process's exit will wait for.
    Closed {
        #[serde(default)]
        threads: Vec<String>,
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

/// `phase`: see [`Message::Phase`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseStart {
    #[serde(default)]
    pub unit: Option<u64>,
    /// What runs, e.g. `import tests/x.py`, `setup_suite tests/x.py::Users`,
    /// `fixture db (module)`.
    pub what: String,
    /// A plain function (cut by killing the worker) or a coroutine (cut by
    /// the worker, which cancels it).
    #[serde(default)]
    pub sync: bool,
    #[serde(default)]
    pub test: Option<String>,
    /// The stack-dump hook of the process that runs it, when that is not
    /// the worker (the hooks of a benchmark group, in a measuring process).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stacks: Option<StackHook>,
}

/// `started`: a test began in the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Started {
    #[serde(default)]
    pub unit: u64,
    pub id: String,
    #[serde(default)]
    pub start: f64,
    #[serde(default)]
    pub timeout: Option<f64>,
    #[serde(default = "one")]
    pub attempt: u32,
    #[serde(default)]
    pub sync: bool,
}

/// `finished`: a test's final record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finished {
    #[serde(default)]
    pub unit: u64,
    pub record: TestRecord,
}

impl Message {
    pub fn parse(line: &str) -> Result<Message, String> {
        let bad = |e: serde_json::Error| format!("bad worker message: {e}: {line:.200}");
        // The two messages every test sends are read straight into their
        // struct, skipping serde's buffering of internally tagged enums (a
        // generic tree of the whole message first: twice the work). The
        // worker writes `ev` first; anything else takes the general path.
        if line.starts_with(r#"{"ev":"finished","#) {
            if let Ok(m) = serde_json::from_str(line) {
                return Ok(Message::Finished(m));
            }
        } else if line.starts_with(r#"{"ev":"started","#) {
            if let Ok(m) = serde_json::from_str(line) {
                return Ok(Message::Started(m));
            }
        } else if line.starts_with(r#"{"ev":"phase","#) {
            if let Ok(m) = serde_json::from_str(line) {
                return Ok(Message::Phase(m));
            }
        }
        serde_json::from_str(line).map_err(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Outcome;

    #[test]
    fn the_fast_path_reads_what_the_general_one_reads() {
        let lines = [
            r#"{"ev":"finished","unit":3,"record":{"id":"a.py::t","outcome":"passed","duration":1e-05,"start":17.5,"path":"a.py","line":2}}"#,
            r#"{"ev":"finished","unit":3,"record":{"id":"a.py::t","outcome":"failed","duration":0.5,"start":17.5,"path":"a.py","line":2,"stdout":"x","attempts":2,"tags":["db"]}}"#,
            r#"{"ev":"started","unit":4,"id":"a.py::u","start":18.25,"attempt":1,"sync":true}"#,
            r#"{"ev":"started","unit":4,"id":"a.py::u","start":18.25,"timeout":2.0,"attempt":2,"sync":false}"#,
            r#"{"ev":"phase","unit":5,"what":"import a.py","sync":true}"#,
            r#"{"ev":"phase","unit":5,"what":"fixture db (module)","sync":false,"test":"a.py::u"}"#,
        ];
        for line in lines {
            let general: Message = serde_json::from_str(line).unwrap();
            assert_eq!(Message::parse(line).unwrap(), general, "{line}");
        }
        match Message::parse(lines[1]).unwrap() {
            Message::Finished(Finished { record, .. }) => {
                assert_eq!(record.outcome, Outcome::Failed);
                assert_eq!(record.attempts, 2);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_lines_are_errors_on_either_path() {
        assert!(Message::parse(r#"{"ev":"finished","unit":3}"#).is_err());
        assert!(Message::parse(r#"{"ev":"started","#).is_err());
        assert!(Message::parse("hello").is_err());
    }
}
