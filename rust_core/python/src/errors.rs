//! The one Python exception for bad input, and the exit codes.

use dbtest_engine::exit_code::ExitCode;
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

// Bad input from the user (an option, the config, a filter, a path, a
// partition, a baseline, a report): every `dbtest_engine::error::UsageError`
// becomes one, and the CLI raises it for its own checks too. The CLI prints
// its message as is and exits with its `exit_code`. A ValueError: the value
// given was bad.
create_exception!(
    _core,
    UsageError,
    PyValueError,
    "Bad input from the user (config, filter, paths...): a one-line message; exit code 4."
);

/// An engine error (any `dbtest_engine::error::UsageError`, or one of the
/// errors it is made of) as the Python `UsageError`.
pub fn usage_error(e: impl std::fmt::Display) -> PyErr {
    UsageError::new_err(e.to_string())
}

/// `EXIT_CODES`: `(code, name, meaning)` for each of `dbtest_engine::exit_code`,
/// and `UsageError` (with its `exit_code`).
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let codes: Vec<(i32, &str, &str)> = ExitCode::ALL
        .iter()
        .map(|c| (c.code(), c.name(), c.meaning()))
        .collect();
    m.add("EXIT_CODES", codes)?;
    let usage = m.py().get_type::<UsageError>();
    usage.setattr("exit_code", ExitCode::UsageError.code())?;
    m.add("UsageError", usage)?;
    Ok(())
}
