//! `dbtest report merge`: the shard reports of one CI run into one report.
//!
//! - Every input must have the same schema version, and no test id (or
//!   benchmark id) may appear in two inputs: overlapping shards are a
//!   configuration mistake, so they are refused rather than silently merged.
//! - Tests and benchmarks are sorted by id; the summary is recomputed from the
//!   records (the shards' own summaries are not trusted).
//! - Collection errors are deduplicated (every shard collects the whole tree,
//!   so each reports the same ones); identical run errors too.
//! - `meta`: `start` is the earliest shard start, `duration` the longest shard
//!   duration (the shards run side by side, so the slowest one is the wall
//!   time of the matrix), `workers` the sum, `interrupted` if any shard was;
//!   versions, platform, command and commit come from the first input;
//!   `selection.partition` is cleared and `merged_from` lists the inputs
//!   (flattened when an input is itself a merged report).

use super::{ReportError, RunReport};
use std::collections::{HashMap, HashSet};

/// Merge `(name, report)` pairs; names are what errors and `merged_from` show.
pub fn merge(inputs: Vec<(String, RunReport)>) -> Result<RunReport, ReportError> {
    let Some((first_name, first)) = inputs.first() else {
        return Err(ReportError("nothing to merge: no reports given".into()));
    };
    let version = first.schema_version;
    let first_name = first_name.clone();
    let mut meta = first.meta.clone();
    meta.selection.partition = None;
    meta.merged_from.clear();
    meta.workers = 0;
    meta.duration = 0.0;
    meta.interrupted = false;

    let mut seen_tests: HashMap<String, String> = HashMap::new();
    let mut seen_benches: HashMap<String, String> = HashMap::new();
    let mut seen_collection = HashSet::new();
    let mut seen_run_errors = HashSet::new();
    let mut out = RunReport {
        schema_version: version,
        meta: Default::default(),
        summary: Default::default(),
        tests: Vec::new(),
        collection_errors: Vec::new(),
        run_errors: Vec::new(),
        benchmarks: Vec::new(),
        slow: Vec::new(),
        uncollected: Vec::new(),
    };
    for (name, report) in inputs {
        if report.schema_version != version {
            return Err(ReportError(format!(
                "cannot merge {name} (schema version {}) with {first_name} (schema version {version})",
                report.schema_version
            )));
        }
        let m = &report.meta;
        if m.start > 0.0 && (meta.start <= 0.0 || m.start < meta.start) {
            meta.start = m.start;
        }
        meta.duration = meta.duration.max(m.duration);
        meta.workers += m.workers;
        meta.interrupted |= m.interrupted;
        if meta.git_commit.is_none() {
            meta.git_commit = m.git_commit.clone();
        }
        if m.merged_from.is_empty() {
            meta.merged_from.push(name.clone());
        } else {
            meta.merged_from.extend(m.merged_from.iter().cloned());
        }
        for t in report.tests {
            if let Some(other) = seen_tests.insert(t.id.clone(), name.clone()) {
                return Err(ReportError(format!(
                    "test id {} is in both {other} and {name}: the shards overlap",
                    super::text::one_line(&t.id)
                )));
            }
            out.tests.push(t);
        }
        for b in report.benchmarks {
            if let Some(other) = seen_benches.insert(b.id.clone(), name.clone()) {
                return Err(ReportError(format!(
                    "benchmark id {} is in both {other} and {name}: the shards overlap",
                    super::text::one_line(&b.id)
                )));
            }
            out.benchmarks.push(b);
        }
        for e in report.collection_errors {
            if seen_collection.insert((e.path.clone(), e.line, e.message.clone())) {
                out.collection_errors.push(e);
            }
        }
        // Every shard discovers the same files: their notes are one list.
        for u in report.uncollected {
            if !out.uncollected.contains(&u) {
                out.uncollected.push(u);
            }
        }
        // Each shard ran its own tests: their SLOW notes add up.
        out.slow.extend(report.slow);
        for e in report.run_errors {
            if seen_run_errors.insert((e.scope.clone(), e.message.clone(), e.traceback.clone())) {
                out.run_errors.push(e);
            }
        }
    }
    out.tests.sort_by(|a, b| a.id.cmp(&b.id));
    out.benchmarks.sort_by(|a, b| a.id.cmp(&b.id));
    out.collection_errors
        .sort_by(|a, b| (&a.path, a.line, &a.message).cmp(&(&b.path, b.line, &b.message)));
    out.run_errors
        .sort_by(|a, b| (&a.scope, &a.message).cmp(&(&b.scope, &b.message)));
    out.meta = meta;
    out.recompute_summary();
    Ok(out)
}
