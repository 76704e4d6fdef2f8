//! The engine's id grammar (`dbtest_engine::ids`) for `dbtest._core._testing`:
//! only `tests/execution/test_ids.py` calls it, to check `dbtest/ids.py`
//! against the engine.

use dbtest_engine::ids;
use pyo3::prelude::*;

/// `(path, names, params)` of an id.
#[pyfunction]
fn id_split(id: &str) -> (String, Vec<String>, Option<String>) {
    let p = ids::split(id);
    (
        p.path.to_string(),
        p.names.iter().map(|n| n.to_string()).collect(),
        p.params.map(str::to_string),
    )
}

#[pyfunction]
#[pyo3(signature = (path, names, params=None))]
fn id_join(path: &str, names: Vec<String>, params: Option<&str>) -> String {
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    ids::join(path, &names, params)
}

#[pyfunction]
fn id_parent(id: &str) -> Option<&str> {
    ids::parent(id)
}

#[pyfunction]
fn id_leaf(id: &str) -> &str {
    ids::leaf(id)
}

#[pyfunction]
fn id_local(id: &str) -> &str {
    ids::local(id)
}

#[pyfunction]
fn id_tails(id: &str) -> Vec<&str> {
    ids::tails(id).collect()
}

#[pyfunction]
fn id_relative<'a>(id: &'a str, scope: &str) -> Option<&'a str> {
    ids::relative(id, scope)
}

#[pyfunction]
fn id_case_of<'a>(id: &'a str, base: &str) -> Option<&'a str> {
    ids::case_of(id, base)
}

#[pyfunction]
fn id_is_under(id: &str, prefix: &str) -> bool {
    ids::is_under(id, prefix)
}

#[pyfunction]
fn id_extends_case(id: &str, requested: &str) -> bool {
    ids::extends_case(id, requested)
}

pub fn register_testing(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(id_split, m)?)?;
    m.add_function(wrap_pyfunction!(id_join, m)?)?;
    m.add_function(wrap_pyfunction!(id_parent, m)?)?;
    m.add_function(wrap_pyfunction!(id_leaf, m)?)?;
    m.add_function(wrap_pyfunction!(id_local, m)?)?;
    m.add_function(wrap_pyfunction!(id_tails, m)?)?;
    m.add_function(wrap_pyfunction!(id_relative, m)?)?;
    m.add_function(wrap_pyfunction!(id_case_of, m)?)?;
    m.add_function(wrap_pyfunction!(id_is_under, m)?)?;
    m.add_function(wrap_pyfunction!(id_extends_case, m)?)?;
    Ok(())
}
