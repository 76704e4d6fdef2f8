//! `dbtest._core`: a thin PyO3 layer over `dbtest-engine`. Conversions only;
//! no engine logic lives here. One module per area of the engine.

use pyo3::prelude::*;

mod bench;
mod callgrind;
mod changes;
mod discovery;
mod errors;
mod ids;
mod report;
mod run;
mod testing;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    discovery::register(m)?;
    report::register(m)?;
    bench::register(m)?;
    callgrind::register(m)?;
    changes::register(m)?;
    run::register(m)?;
    testing::register(m)?;
    Ok(())
}
