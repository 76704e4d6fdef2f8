//! Discovery bindings: `list_tree` (rendered `dbtest list` output),
//! `discover` (the same tree as a JSON string) and `Discovery`, a discovery
//! held in the engine that the TUI filters on each keystroke. Conversions only.

use crate::errors::{usage_error, UsageError};
use dbtest_engine::discovery::list::{self, ListRequest, Listed};
use dbtest_engine::filter::{FilterSpec, Mode};
use pyo3::prelude::*;
use std::path::PathBuf;

fn filter_spec(
    pattern: Option<String>,
    tags: Vec<String>,
    expr: Option<String>,
    markexpr: Option<String>,
    mode: &str,
) -> PyResult<FilterSpec> {
    let mode: Mode = mode.parse().map_err(usage_error)?;
    Ok(FilterSpec {
        pattern,
        tags: dbtest_engine::filter::split_tags(&tags),
        expr,
        markexpr,
        mode,
        ..FilterSpec::default()
    })
}

#[allow(clippy::too_many_arguments)]
fn request(
    paths: Vec<String>,
    root_dir: Option<String>,
    pattern: Option<String>,
    tags: Vec<String>,
    expr: Option<String>,
    markexpr: Option<String>,
    mode: &str,
    full_parse: bool,
) -> PyResult<ListRequest> {
    let filter = filter_spec(pattern, tags, expr, markexpr, mode)?;
    let start_dir = match root_dir {
        Some(d) => PathBuf::from(d),
        None => std::env::current_dir()
            .map_err(|e| usage_error(dbtest_engine::error::UsageError::CurrentDir(e)))?,
    };
    Ok(ListRequest {
        start_dir,
        paths,
        filter,
        full_parse,
        changed: None,
        doctest_modules: false,
    })
}

/// Config + discovery + filter, rendered as `format` ("text" or "json").
/// Raises `UsageError` for a bad config, filter or path.
#[pyfunction]
#[pyo3(signature = (paths=Vec::new(), root_dir=None, pattern=None, tags=Vec::new(), expr=None, markexpr=None, mode="all", format="text", color=false, full_parse=false, changed=None, doctest_modules=false))]
#[allow(clippy::too_many_arguments)]
fn list_tree(
    py: Python<'_>,
    paths: Vec<String>,
    root_dir: Option<String>,
    pattern: Option<String>,
    tags: Vec<String>,
    expr: Option<String>,
    markexpr: Option<String>,
    mode: &str,
    format: &str,
    color: bool,
    full_parse: bool,
    changed: Option<String>,
    doctest_modules: bool,
) -> PyResult<String> {
    if format != "text" && format != "json" {
        return Err(UsageError::new_err(format!(
            "unknown format '{format}' (text, json)"
        )));
    }
    let mut req = request(
        paths, root_dir, pattern, tags, expr, markexpr, mode, full_parse,
    )?;
    // `--changed [REF]` (git's changes since REF).
    req.changed = changed.map(dbtest_engine::graph::Changed::Since);
    req.doctest_modules = doctest_modules;
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
#[pyo3(signature = (paths=Vec::new(), root_dir=None, pattern=None, tags=Vec::new(), expr=None, markexpr=None, mode="all", full_parse=false))]
#[allow(clippy::too_many_arguments)]
fn discover(
    py: Python<'_>,
    paths: Vec<String>,
    root_dir: Option<String>,
    pattern: Option<String>,
    tags: Vec<String>,
    expr: Option<String>,
    markexpr: Option<String>,
    mode: &str,
    full_parse: bool,
) -> PyResult<String> {
    let req = request(
        paths, root_dir, pattern, tags, expr, markexpr, mode, full_parse,
    )?;
    py.detach(move || list::list(&req).map(|l| list::render_json(&l)))
        .map_err(usage_error)
}

/// A whole discovery (config, tree, items) held by the engine: the tree is
/// read once, then `select` answers which ids a filter selects without
/// walking the disk or parsing again. Discover anew to see file changes.
#[pyclass(module = "dbtest._core", frozen)]
pub struct Discovery {
    listed: Listed,
}

#[pymethods]
impl Discovery {
    /// Load the config and discover everything under `paths` (the config's
    /// paths when empty). Raises `UsageError` for a bad config or path.
    #[new]
    #[pyo3(signature = (paths=Vec::new(), root_dir=None, full_parse=false))]
    fn new(
        py: Python<'_>,
        paths: Vec<String>,
        root_dir: Option<String>,
        full_parse: bool,
    ) -> PyResult<Discovery> {
        let req = request(
            paths,
            root_dir,
            None,
            Vec::new(),
            None,
            None,
            "all",
            full_parse,
        )?;
        let listed = py.detach(move || list::list(&req)).map_err(usage_error)?;
        Ok(Discovery { listed })
    }

    /// The project root the config search found.
    #[getter]
    fn root(&self) -> String {
        self.listed.discovery.root.to_string_lossy().into_owned()
    }

    /// The tree as the JSON document of `dbtest list --format json`
    /// (files, suites, items and errors; schema in docs/discovery.md).
    fn tree_json(&self, py: Python<'_>) -> String {
        py.detach(|| list::render_json(&self.listed))
    }

    /// Ids of the items the filter selects, in id order (items whose tags
    /// only the import knows are included, as for a run). Raises
    /// `UsageError` for a malformed expression or mode.
    #[pyo3(signature = (pattern=None, tags=Vec::new(), expr=None, mode="all"))]
    fn select(
        &self,
        py: Python<'_>,
        pattern: Option<String>,
        tags: Vec<String>,
        expr: Option<String>,
        mode: &str,
    ) -> PyResult<Vec<String>> {
        let spec = filter_spec(pattern, tags, expr, None, mode)?;
        py.detach(|| {
            self.listed
                .select_ids(&spec)
                .map(|ids| ids.into_iter().map(str::to_string).collect())
        })
        .map_err(usage_error)
    }

    /// Number of items (tests and benchmark entries).
    fn __len__(&self) -> usize {
        self.listed.discovery.items.len()
    }
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

/// pytest's `python_classes` or `python_functions`: the engine's rule, so
/// the worker collects after import exactly what the static parse listed.
#[pyclass(frozen, module = "dbtest._core")]
struct NameRule(dbtest_engine::config::names::NameRule);

#[pymethods]
impl NameRule {
    #[new]
    fn new(patterns: Vec<String>) -> NameRule {
        NameRule(dbtest_engine::config::names::NameRule::new(&patterns))
    }

    /// The rule of `python_classes` (`"classes"`) or `python_functions`
    /// (`"functions"`) when the project sets neither.
    #[staticmethod]
    fn default(which: &str) -> PyResult<NameRule> {
        use dbtest_engine::config::names::PythonNames;
        let d = PythonNames::default();
        match which {
            "classes" => Ok(NameRule(d.classes)),
            "functions" => Ok(NameRule(d.functions)),
            other => Err(UsageError::new_err(format!(
                "unknown name rule '{other}' (known: classes, functions)"
            ))),
        }
    }

    /// Whether `name` is a test's name by this rule.
    fn __call__(&self, name: &str) -> bool {
        self.0.matches(name)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NameRule>()?;
    m.add_function(wrap_pyfunction!(filter_items, m)?)?;
    m.add_function(wrap_pyfunction!(list_tree, m)?)?;
    m.add_function(wrap_pyfunction!(discover, m)?)?;
    m.add_class::<Discovery>()?;
    Ok(())
}
