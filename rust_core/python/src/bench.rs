//! Benchmark statistics, comparisons and baselines: JSON in, JSON out.

use crate::errors::usage_error;
use dbtest_engine::bench::instrument::Instrument;
use dbtest_engine::bench::{
    self, baseline, compare, paired, stats, BenchEntryResult, RawBenchResult,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::path::Path;

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// Statistics of samples (seconds per call) as a dict of `BenchStats`.
#[pyfunction]
#[pyo3(signature = (samples, calls_per_sample = 1))]
fn bench_stats<'py>(
    py: Python<'py>,
    samples: Vec<f64>,
    calls_per_sample: u64,
) -> PyResult<Bound<'py, PyAny>> {
    if samples.is_empty() {
        return Err(value_error("bench_stats needs at least one sample"));
    }
    let json =
        serde_json::to_string(&stats::compute(&samples, calls_per_sample)).map_err(value_error)?;
    py.import("json")?.call_method1("loads", (json,))
}

/// Raw `bench_result` messages (a JSON list) to analyzed `BenchEntryResult`s.
#[pyfunction]
#[pyo3(signature = (raw_results_json, margin = paired::DEFAULT_EQUIVALENCE))]
fn bench_analyze(raw_results_json: &str, margin: f64) -> PyResult<String> {
    let raw: Vec<RawBenchResult> = serde_json::from_str(raw_results_json)
        .map_err(|e| value_error(format!("invalid benchmark results: {e}")))?;
    serde_json::to_string(&bench::analyze(&raw, margin)).map_err(value_error)
}

/// The current results (JSON list of `BenchEntryResult`) against a baseline
/// (the JSON of a saved baseline, or a bare list of entries), with the
/// regression verdicts at `threshold` (a fraction).
#[pyfunction]
fn bench_compare(current_json: &str, baseline_json: &str, threshold: f64) -> PyResult<String> {
    let current: Vec<BenchEntryResult> = serde_json::from_str(current_json)
        .map_err(|e| value_error(format!("invalid benchmark results: {e}")))?;
    let (name, entries) = match serde_json::from_str::<baseline::Baseline>(baseline_json) {
        Ok(b) => (b.name, b.entries),
        Err(_) => (
            "baseline".to_string(),
            serde_json::from_str::<Vec<BenchEntryResult>>(baseline_json)
                .map_err(|e| value_error(format!("invalid baseline: {e}")))?,
        ),
    };
    let report = compare::regression_gate(
        &name,
        &entries,
        &current,
        threshold,
        paired::DEFAULT_EQUIVALENCE,
    );
    serde_json::to_string(&report).map_err(value_error)
}

/// Mann-Whitney U of `x` and its two-sided p-value (normal approximation
/// with tie and continuity corrections).
#[pyfunction]
fn bench_mann_whitney(x: Vec<f64>, y: Vec<f64>) -> (f64, f64) {
    let r = compare::mann_whitney_u(&x, &y);
    (r.statistic, r.p_value)
}

/// Welch's t statistic and its two-sided p-value.
#[pyfunction]
fn bench_welch(x: Vec<f64>, y: Vec<f64>) -> (f64, f64) {
    let r = compare::welch_t(&x, &y);
    (r.statistic, r.p_value)
}

/// Wilcoxon signed-rank statistic min(W+, W-) of `d` and its two-sided
/// p-value (normal approximation with the tie correction).
#[pyfunction]
fn bench_wilcoxon(d: Vec<f64>) -> (f64, f64) {
    let r = paired::wilcoxon(&d);
    (r.statistic, r.p_value)
}

/// Speedup median(baseline) / median(current) and its 95% bootstrap CI.
#[pyfunction]
fn bench_speedup(baseline: Vec<f64>, current: Vec<f64>) -> (f64, f64, f64) {
    compare::speedup(&baseline, &current)
}

/// `5%`, `5` or `0.05` to the fraction 0.05.
#[pyfunction]
fn bench_parse_threshold(text: &str) -> PyResult<f64> {
    compare::parse_threshold(text).map_err(usage_error)
}

/// Refuses, as a run would before measuring anything, an unknown
/// `--instrument`, `instructions` without valgrind on `PATH`, or a
/// malformed `--bench-equivalence` (a one-line `UsageError`).
#[pyfunction]
#[pyo3(signature = (instrument = None, equivalence = None))]
fn bench_check_options(instrument: Option<&str>, equivalence: Option<&str>) -> PyResult<()> {
    let (instrument, _) = bench::instrument::resolve(instrument).map_err(usage_error)?;
    dbtest_engine::session::equivalence(equivalence, instrument).map_err(usage_error)?;
    Ok(())
}

/// Writes `.dbtest/benchmarks/NAME.json` under `root`; returns its path.
#[pyfunction]
#[pyo3(signature = (root, name, results_json, machine_json, commit = None))]
fn bench_save_baseline(
    root: &str,
    name: &str,
    results_json: &str,
    machine_json: &str,
    commit: Option<String>,
) -> PyResult<String> {
    let entries: Vec<BenchEntryResult> = serde_json::from_str(results_json)
        .map_err(|e| value_error(format!("invalid benchmark results: {e}")))?;
    let machine: baseline::MachineInfo = serde_json::from_str(machine_json)
        .map_err(|e| value_error(format!("invalid machine info: {e}")))?;
    baseline::save(Path::new(root), name, machine, commit, entries)
        .map(|p| p.display().to_string())
        .map_err(usage_error)
}

/// The saved baseline NAME under `root`, as JSON; with `instrument`
/// (`--instrument`), refused unless it measured with the same.
#[pyfunction]
#[pyo3(signature = (root, name, instrument = None))]
fn bench_load_baseline(root: &str, name: &str, instrument: Option<&str>) -> PyResult<String> {
    let b = match instrument {
        None => baseline::load(Path::new(root), name),
        Some(text) => {
            let instrument: Instrument = text.parse().map_err(usage_error)?;
            baseline::load_for(Path::new(root), name, instrument)
        }
    }
    .map_err(usage_error)?;
    serde_json::to_string(&b).map_err(value_error)
}

/// Raise UsageError unless NAME can name a baseline file.
#[pyfunction]
fn bench_validate_baseline_name(name: &str) -> PyResult<()> {
    baseline::validate_name(name).map_err(usage_error)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(bench_parse_threshold, m)?)?;
    m.add_function(wrap_pyfunction!(bench_check_options, m)?)?;
    m.add_function(wrap_pyfunction!(bench_load_baseline, m)?)?;
    m.add_function(wrap_pyfunction!(bench_validate_baseline_name, m)?)?;
    Ok(())
}

/// What only tests call: the statistics and the JSON-in, JSON-out forms of
/// what a run does in Rust (`RunHandle.save_baseline`, `compare_baseline`).
pub fn register_testing(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(bench_stats, m)?)?;
    m.add_function(wrap_pyfunction!(bench_analyze, m)?)?;
    m.add_function(wrap_pyfunction!(bench_compare, m)?)?;
    m.add_function(wrap_pyfunction!(bench_mann_whitney, m)?)?;
    m.add_function(wrap_pyfunction!(bench_welch, m)?)?;
    m.add_function(wrap_pyfunction!(bench_wilcoxon, m)?)?;
    m.add_function(wrap_pyfunction!(bench_speedup, m)?)?;
    m.add_function(wrap_pyfunction!(bench_save_baseline, m)?)?;
    Ok(())
}
