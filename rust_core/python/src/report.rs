//! Reports: render, merge and write saved `RunReport` JSON; shard selection.
//! Conversions only; the logic is in `dbtest_engine::report` and `partition`.

use dbtest_engine::partition::{self, PartitionSpec};
use dbtest_engine::report::{self, json, merge, summary, write};
use dbtest_engine::tree::TestItem;
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::PyString;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

/// Reports are the user's input: their errors are `UsageError`s (a ValueError).
fn value_error(e: impl std::fmt::Display) -> PyErr {
    crate::errors::usage_error(e)
}

/// Render the JSON of a `RunReport` as `json`, `markdown`, `junit` or `console`.
/// Raises `ValueError` (one line) for an unreadable report or an unknown format.
#[pyfunction]
fn render_report(report_json: &str, format: &str) -> PyResult<String> {
    let report = json::parse(report_json).map_err(value_error)?;
    report::render(&report, format).map_err(value_error)
}

/// Untrusted text (a test's name, message or output) made safe to show:
/// control characters become visible escapes (`\x1b`), line endings `\n`
/// (`report::text::clean`, the rule of every report). The same object back
/// when nothing changes.
#[pyfunction]
fn clean<'py>(text: &Bound<'py, PyString>) -> Bound<'py, PyString> {
    let s = text.to_string_lossy();
    match (report::text::clean(&s), &s) {
        (Cow::Borrowed(_), Cow::Borrowed(_)) => text.clone(),
        (cleaned, _) => PyString::new(text.py(), &cleaned),
    }
}

/// Check that `format` is a report format (`REPORT_FORMATS`); raises
/// `UsageError` naming the known ones.
#[pyfunction]
fn check_report_format(format: &str) -> PyResult<()> {
    report::check_format(format).map_err(value_error)
}

/// The counts of a live view (`{"passed": 3, "failed": 1, "run_errors": 1}`:
/// outcome names, `flaky`, `collection_errors`, `run_errors`, `benchmarks`,
/// `benchmark_errors`, `regressions`) said as every summary says them:
/// `(text, role)` pieces (`report::summary::counts`). Raises `ValueError`
/// for an unknown name.
#[pyfunction]
fn counts_line(counts: HashMap<String, u64>) -> PyResult<Vec<(String, &'static str)>> {
    let tally = summary::Tally::from_counts(counts.iter().map(|(k, v)| (k.as_str(), *v)))
        .map_err(value_error)?;
    Ok(pieces(summary::counts(&tally)))
}

fn pieces(segments: Vec<summary::Segment>) -> Vec<(String, &'static str)> {
    segments.into_iter().map(|s| (s.0, s.1.as_str())).collect()
}

/// Every role a piece of summary text can have (`""` is plain text).
#[pyfunction]
fn summary_roles() -> Vec<&'static str> {
    summary::Role::ALL.iter().map(|r| r.as_str()).collect()
}

/// Merge shard reports (their JSON texts; `names` label them in errors and in
/// `meta.merged_from`) into the JSON of one report. Raises `ValueError` on a
/// schema-version mismatch, duplicated test ids or an unreadable report.
#[pyfunction]
fn merge_reports(reports: Vec<String>, names: Vec<String>) -> PyResult<String> {
    if reports.len() != names.len() {
        return Err(value_error(format!(
            "merge_reports: {} reports but {} names",
            reports.len(),
            names.len()
        )));
    }
    let mut parsed = Vec::with_capacity(reports.len());
    for (text, name) in reports.iter().zip(names) {
        let r = json::parse(text).map_err(|e| value_error(format!("{name}: {e}")))?;
        parsed.push((name, r));
    }
    let merged = merge::merge(parsed).map_err(value_error)?;
    Ok(json::to_json(&merged))
}

/// Write `text` to `path` atomically (temporary file in the same directory,
/// fsync, rename). Raises `OSError` with a one-line message.
#[pyfunction]
fn write_atomic(py: Python<'_>, path: &str, text: &str) -> PyResult<()> {
    let bytes = text.as_bytes().to_vec();
    let path = path.to_string();
    py.detach(move || write::write_atomic(Path::new(&path), &bytes))
        .map_err(|e| PyOSError::new_err(e.to_string()))
}

/// Check a `--partition` spec; returns its canonical form (`auto` resolved
/// from the environment). Raises `ValueError` with a one-line message.
#[pyfunction]
fn parse_partition(spec: &str) -> PyResult<String> {
    PartitionSpec::parse(spec)
        .map(|s| s.to_string())
        .map_err(value_error)
}

/// The ids of the share `spec` selects from `items_json` (a JSON list of
/// `TestItem`s), balanced by `durations` (id -> seconds) when given.
#[pyfunction]
#[pyo3(signature = (items_json, spec, durations = None))]
fn partition_ids(
    items_json: &str,
    spec: &str,
    durations: Option<HashMap<String, f64>>,
) -> PyResult<Vec<String>> {
    let items: Vec<TestItem> = serde_json::from_str(items_json)
        .map_err(|e| value_error(format!("invalid test items: {e}")))?;
    let spec = PartitionSpec::parse(spec).map_err(value_error)?;
    Ok(partition::partition(&items, spec, durations.as_ref())
        .into_iter()
        .map(|i| i.id)
        .collect())
}

/// A benchmark's time per call, as every report writes it (`1.23 ms`);
/// `-` for none.
#[pyfunction]
#[pyo3(signature = (seconds))]
fn format_time(seconds: Option<f64>) -> String {
    seconds.map_or_else(|| "-".to_string(), report::text::time_per_call)
}

/// Operations per second, short (`123.45k`); `-` for none.
#[pyfunction]
#[pyo3(signature = (ops))]
fn format_ops(ops: Option<f64>) -> String {
    ops.map_or_else(|| "-".to_string(), report::text::ops_per_second)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("REPORT_FORMATS", report::FORMATS.to_vec())?;
    m.add_function(wrap_pyfunction!(render_report, m)?)?;
    m.add_function(wrap_pyfunction!(check_report_format, m)?)?;
    m.add_function(wrap_pyfunction!(clean, m)?)?;
    m.add_function(wrap_pyfunction!(format_time, m)?)?;
    m.add_function(wrap_pyfunction!(format_ops, m)?)?;
    m.add_function(wrap_pyfunction!(counts_line, m)?)?;
    m.add_function(wrap_pyfunction!(summary_roles, m)?)?;
    m.add_function(wrap_pyfunction!(merge_reports, m)?)?;
    m.add_function(wrap_pyfunction!(write_atomic, m)?)?;
    Ok(())
}

/// What only tests call (`dbtest._core._testing`): the shard selection.
pub fn register_testing(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(parse_partition, m)?)?;
    m.add_function(wrap_pyfunction!(partition_ids, m)?)?;
    Ok(())
}
