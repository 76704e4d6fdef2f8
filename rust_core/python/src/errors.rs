//! Exceptions shared by every binding module.

use pyo3::create_exception;
use pyo3::exceptions::PyException;

// Bad input from the user (config, filter, path, partition): the CLI prints
// its message as is and exits with code 4.
create_exception!(
    _core,
    UsageError,
    PyException,
    "Bad input from the user (config, filter, paths): a one-line message; exit code 4."
);
