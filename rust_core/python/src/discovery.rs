//! Discovery bindings: `list_tree` (rendered `dbtest list` output) and
//! `discover` (the same tree as a JSON string, for the TUI). Conversions only.

use crate::errors::{usage_error, UsageError};
use dbtest_engine::discovery::list::{self, ListRequest};
use dbtest_engine::filter::{FilterSpec, Mode};
use pyo3::prelude::*;
use std::path::PathBuf;

#[allow(clippy::too_many_arguments)]
fn request(
    paths: Vec<String>,
    root_dir: Option<String>,
    pattern: Option<String>,
    tags: Vec<String>,
    expr: Option<String>,
    mode: &str,
    full_parse: bool,
) -> PyResult<ListRequest> {
    let mode: Mode = mode.parse().map_err(usage_error)?;
    let start_dir = match root_dir {
        Some(d) => PathBuf::from(d),
        None => std::env::current_dir()
            .map_err(|e| usage_error(dbtest_engine::error::UsageError::CurrentDir(e)))?,
    };
    Ok(ListRequest {
        start_dir,
        paths,
        filter: FilterSpec {
            pattern,
            tags: dbtest_engine::filter::split_tags(&tags),
            expr,
            mode,
            ..FilterSpec::default()
        },
        full_parse,
    })
}

/// Config + discovery + filter, rendered as `format` ("text" or "json").
/// Raises `UsageError` for a bad config, filter or path.
#[pyfunction]
#[pyo3(signature = (paths=Vec::new(), root_dir=None, pattern=None, tags=Vec::new(), expr=None, mode="all", format="text", color=false, full_parse=false))]
#[allow(clippy::too_many_arguments)]
fn list_tree(
    py: Python<'_>,
    paths: Vec<String>,
    root_dir: Option<String>,
    pattern: Option<String>,
    tags: Vec<String>,
    expr: Option<String>,
    mode: &str,
    format: &str,
    color: bool,
    full_parse: bool,
) -> PyResult<String> {
    if format != "text" && format != "json" {
        return Err(UsageError::new_err(format!(
            "unknown format '{format}' (text, json)"
        )));
    }
    let req = request(paths, root_dir, pattern, tags, expr, mode, full_parse)?;
    let json = format == "json";
    py.detach(move || {
        list::list(&req).map(|l| {
            if json {
                list::render_json(&l)
            } else {
                list::render_text(&l, color)
            }
        })
    })
    .map_err(usage_error)
}

/// The selected tree as the JSON document of `dbtest list --format json`
/// (schema in docs/discovery.md). Raises `UsageError` like `list_tree`.
#[pyfunction]
#[pyo3(signature = (paths=Vec::new(), root_dir=None, pattern=None, tags=Vec::new(), expr=None, mode="all", full_parse=false))]
#[allow(clippy::too_many_arguments)]
fn discover(
    py: Python<'_>,
    paths: Vec<String>,
    root_dir: Option<String>,
    pattern: Option<String>,
    tags: Vec<String>,
    expr: Option<String>,
    mode: &str,
    full_parse: bool,
) -> PyResult<String> {
    let req = request(paths, root_dir, pattern, tags, expr, mode, full_parse)?;
    py.detach(move || list::list(&req).map(|l| list::render_json(&l)))
        .map_err(usage_error)
}

/// Whether each item (TestItem JSON, as the worker collects them after
/// import) is selected by the run's filter (`session::FilterRequest` JSON).
#[pyfunction]
fn filter_items(filter_json: &str, items_json: &str) -> PyResult<Vec<bool>> {
    let request: dbtest_engine::session::FilterRequest = serde_json::from_str(filter_json)
        .map_err(|e| UsageError::new_err(format!("bad filter: {e}")))?;
    let selector = request.selector().map_err(usage_error)?;
    let items: Vec<dbtest_engine::tree::TestItem> = serde_json::from_str(items_json)
        .map_err(|e| UsageError::new_err(format!("bad items: {e}")))?;
    Ok(items.iter().map(|i| selector.matches(i)).collect())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(filter_items, m)?)?;
    m.add_function(wrap_pyfunction!(list_tree, m)?)?;
    m.add_function(wrap_pyfunction!(discover, m)?)?;
    Ok(())
}
