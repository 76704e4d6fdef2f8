//! Exceptions shared by every binding module, and the exit codes.

use dbtest_engine::exit_code::ExitCode;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

// Bad input from the user (config, filter, path, partition): the CLI prints
// its message as is and exits with code 4.
create_exception!(
    _core,
    UsageError,
    PyException,
    "Bad input from the user (config, filter, paths): a one-line message; exit code 4."
);

/// `EXIT_CODES`: `(code, name, meaning)` for each of `dbtest_engine::exit_code`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let codes: Vec<(i32, &str, &str)> = ExitCode::ALL
        .iter()
        .map(|c| (c.code(), c.name(), c.meaning()))
        .collect();
    m.add("EXIT_CODES", codes)?;
    m.add("UsageError", m.py().get_type::<UsageError>())?;
    Ok(())
}
