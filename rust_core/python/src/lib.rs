//! `dbtest._core`: a thin PyO3 layer over `dbtest-engine`. Conversions only;
//! no engine logic lives here.

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
