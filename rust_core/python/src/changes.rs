//! Watch mode and the import graph: `Watcher`, the debounced file events
//! of `dbtest_engine::watch` (the CLI's `--watch`, the TUI's `w`), and
//! `build_import_graph` (what `perf/bench_changed.py` times). Conversions only.

use crate::errors::usage_error;
use dbtest_engine::watch::FileWatcher;
use pyo3::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// The files under a root as they change, in debounced batches.
#[pyclass(module = "dbtest._core")]
pub struct Watcher {
    inner: Mutex<FileWatcher>,
}

#[pymethods]
impl Watcher {
    /// Watch the project at `root` (what discovery walks); a batch is given
    /// `delay_ms` after its last event; `outputs` (files or directories the
    /// runs write) are left out. Raises `UsageError` when the system
    /// refuses a watch.
    #[new]
    #[pyo3(signature = (root, delay_ms = 200, outputs = Vec::new()))]
    fn new(py: Python<'_>, root: &str, delay_ms: u64, outputs: Vec<String>) -> PyResult<Watcher> {
        let outputs: Vec<PathBuf> = outputs.into_iter().map(PathBuf::from).collect();
        let delay = Duration::from_millis(delay_ms);
        // The walk of a large tree: without the GIL.
        let w = py
            .detach(|| FileWatcher::new(Path::new(root), delay, &outputs))
            .map_err(usage_error)?;
        Ok(Watcher {
            inner: Mutex::new(w),
        })
    }

    /// The next batch of changed files (root-relative, sorted), waiting at
    /// most `timeout` seconds with the GIL released; None when none came.
    #[pyo3(signature = (timeout = 0.25))]
    fn next_change(&self, py: Python<'_>, timeout: f64) -> Option<Vec<String>> {
        let timeout = Duration::from_secs_f64(timeout.max(0.0));
        py.detach(|| self.inner.lock().ok()?.next_batch(timeout))
    }
}

/// Build (or refresh from `.dbtest/imports.json`) the import graph of the
/// project at `root`: `{"files", "parsed", "edges", "elapsed_ms"}`.
#[pyfunction]
fn build_import_graph(py: Python<'_>, root: &str) -> HashMap<&'static str, f64> {
    let g = py.detach(|| dbtest_engine::graph::build(Path::new(root), &[]));
    let edges: usize = g.deps.values().map(|d| d.len()).sum();
    HashMap::from([
        ("files", g.stats.files as f64),
        ("parsed", g.stats.parsed as f64),
        ("edges", edges as f64),
        ("elapsed_ms", g.stats.elapsed.as_secs_f64() * 1e3),
    ])
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Watcher>()?;
    m.add_function(wrap_pyfunction!(build_import_graph, m)?)
}
