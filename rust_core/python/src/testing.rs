//! `dbtest._core._testing`: functions that exist only for the project's
//! own tests (contract checks, and engine pieces tested through Python).
//! Nothing in `dbtest/` calls them.

use dbtest_engine::scheduler::protocol::{Message, Request};
use dbtest_engine::session::RunRequest;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// The request as the engine reads it, written back as JSON: every field
/// of `RunRequest` with its value (defaults for those not given). Raises
/// ValueError for an unknown field or a value of the wrong type, so a test
/// can check the option table (`dbtest/options.py`) against the engine.
#[pyfunction]
fn run_request_echo(request_json: &str) -> PyResult<String> {
    let request: RunRequest = serde_json::from_str(request_json)
        .map_err(|e| PyValueError::new_err(format!("bad run request: {e}")))?;
    serde_json::to_string(&request).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// A worker's message line as the scheduler parses it
/// (`scheduler::protocol::Message::parse`), written back as JSON with every
/// field the engine keeps; ValueError for a line it refuses. The worker
/// protocol's contract test feeds it what the Python encoder writes.
#[pyfunction]
fn worker_message_echo(line: &str) -> PyResult<String> {
    let message = Message::parse(line).map_err(PyValueError::new_err)?;
    serde_json::to_string(&message).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The request line the scheduler sends a worker (`Request::to_line`) for
/// a request given as JSON; ValueError for one the engine cannot hold.
#[pyfunction]
fn worker_request_line(request_json: &str) -> PyResult<String> {
    let request: Request = serde_json::from_str(request_json)
        .map_err(|e| PyValueError::new_err(format!("bad worker request: {e}")))?;
    Ok(request.to_line())
}

/// Every key `[tool.dbtest]` accepts.
#[pyfunction]
fn config_keys() -> Vec<&'static str> {
    dbtest_engine::config::KNOWN_KEYS.to_vec()
}

/// Add the `_testing` submodule to `parent` (importable as `dbtest._core._testing`).
pub fn register(parent: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = parent.py();
    let m = PyModule::new(py, "_testing")?;
    m.add_function(wrap_pyfunction!(run_request_echo, &m)?)?;
    m.add_function(wrap_pyfunction!(config_keys, &m)?)?;
    m.add_function(wrap_pyfunction!(worker_message_echo, &m)?)?;
    m.add_function(wrap_pyfunction!(worker_request_line, &m)?)?;
    crate::bench::register_testing(&m)?;
    crate::report::register_testing(&m)?;
    crate::ids::register_testing(&m)?;
    parent.add_submodule(&m)?;
    py.import("sys")?
        .getattr("modules")?
        .set_item("dbtest._core._testing", &m)?;
    Ok(())
}
