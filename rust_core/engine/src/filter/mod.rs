//! Selecting items: `-k/--pattern`, `--tags`, `-E/--filter` expressions and
//! the unit/integration/bench modes. All given criteria must hold.

pub mod expr;
pub mod glob;

use crate::tree::{Dynamic, ItemKind, TestItem};
use glob::Glob;

/// Which kinds of items a command works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Tests and benchmarks.
    #[default]
    All,
    /// Tests that are not integration tests.
    Unit,
    /// Tests under an integration directory or with an integration tag.
    Integration,
    /// Benchmark entries only.
    Bench,
    /// Tests only.
    Tests,
}

/// A mode name that is none of [`Mode`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown mode '{0}' (all, unit, integration, bench, tests)")]
pub struct UnknownMode(pub String);

impl std::str::FromStr for Mode {
    type Err = UnknownMode;
    fn from_str(s: &str) -> Result<Mode, UnknownMode> {
        Ok(match s {
            "all" => Mode::All,
            "unit" => Mode::Unit,
            "integration" => Mode::Integration,
            "bench" => Mode::Bench,
            "tests" => Mode::Tests,
            _ => return Err(UnknownMode(s.to_string())),
        })
    }
}

/// A malformed filter: `position` is a 0-based character column in the expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid filter at column {}: {message}", position + 1)]
pub struct FilterError {
    pub position: usize,
    pub message: String,
}

impl FilterError {
    /// The expression with a caret line under the error position.
    pub fn render(&self, expr: &str) -> String {
        format!("{expr}\n{}^", " ".repeat(self.position))
    }
}

/// What to select; every field is optional.
#[derive(Debug, Clone)]
pub struct FilterSpec {
    /// `-k`: a glob (`*`, `?`) or a substring of the id.
    pub pattern: Option<String>,
    /// `--tags`: any of these.
    pub tags: Vec<String>,
    /// `-E`: an expression.
    pub expr: Option<String>,
    /// `-m`: pytest's mark expression, which replaces the pytest config's
    /// (`discovery::list::configured` turns it into `expr`).
    pub markexpr: Option<String>,
    pub mode: Mode,
    /// Directory names that make a test an integration test.
    pub integration_dirs: Vec<String>,
    /// Tags that make a test an integration test.
    pub integration_tags: Vec<String>,
}

impl Default for FilterSpec {
    fn default() -> FilterSpec {
        FilterSpec {
            pattern: None,
            tags: Vec::new(),
            expr: None,
            markexpr: None,
            mode: Mode::All,
            integration_dirs: vec!["integration".to_string()],
            integration_tags: vec!["integration".to_string()],
        }
    }
}

/// `--tags` values as given (`["db,slow", "x"]`) to the tags (`db`, `slow`,
/// `x`): each may list several separated by commas; blanks are dropped.
pub fn split_tags(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

enum Pattern {
    Substring(String),
    Glob(Glob),
}

/// A compiled selection.
pub struct Selector {
    pattern: Option<Pattern>,
    tags: Vec<String>,
    expr: Option<expr::Expr>,
    mode: Mode,
    integration_dirs: Vec<String>,
    integration_tags: Vec<String>,
}

impl Selector {
    pub fn new(spec: FilterSpec) -> Result<Selector, FilterError> {
        let pattern = spec.pattern.filter(|p| !p.is_empty()).map(|p| {
            if Glob::is_glob(&p) {
                Pattern::Glob(Glob::new(&p))
            } else {
                Pattern::Substring(p)
            }
        });
        let expr = match spec.expr.as_deref().map(str::trim) {
            Some(e) if !e.is_empty() => Some(expr::parse(spec.expr.as_deref().unwrap_or(e))?),
            _ => None,
        };
        Ok(Selector {
            pattern,
            tags: spec
                .tags
                .iter()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
            expr,
            mode: spec.mode,
            integration_dirs: spec.integration_dirs,
            integration_tags: spec.integration_tags,
        })
    }

    /// Whether `it` lies under an integration directory or has an integration tag.
    pub fn is_integration(&self, it: &TestItem) -> bool {
        is_integration(it, &self.integration_dirs, &self.integration_tags)
    }

    /// Certainly selected. An item whose tags are computed at import may be
    /// undecided: see [`Selector::verdict`].
    pub fn matches(&self, it: &TestItem) -> bool {
        self.verdict(it) == Some(true)
    }

    /// Selected (`Some(true)`), not selected (`Some(false)`), or undecided
    /// until import because the item's tags are computed (`None`): the
    /// worker then applies the same selector to the imported item.
    pub fn verdict(&self, it: &TestItem) -> Option<bool> {
        let unknown_tags = it.dynamic.contains(&Dynamic::Tags);
        let mode = match self.mode {
            Mode::All => Some(true),
            Mode::Tests => Some(it.kind == ItemKind::Test),
            Mode::Bench => Some(it.kind == ItemKind::Bench),
            Mode::Unit | Mode::Integration if it.kind != ItemKind::Test => Some(false),
            Mode::Unit | Mode::Integration => {
                let integration = if self.is_integration(it) {
                    Some(true)
                } else if unknown_tags {
                    None
                } else {
                    Some(false)
                };
                if self.mode == Mode::Unit {
                    integration.map(|v| !v)
                } else {
                    integration
                }
            }
        };
        if mode == Some(false) {
            return Some(false);
        }
        match &self.pattern {
            Some(Pattern::Substring(s)) if !it.id.contains(s.as_str()) => return Some(false),
            // A glob matches the whole id or any tail from a name on.
            Some(Pattern::Glob(g)) if !crate::ids::tails(&it.id).any(|t| g.matches(t)) => {
                return Some(false)
            }
            _ => {}
        }
        let tags = if self.tags.is_empty() || it.tags.iter().any(|t| self.tags.contains(t)) {
            Some(true)
        } else if unknown_tags {
            None
        } else {
            return Some(false);
        };
        let expr = match &self.expr {
            None => Some(true),
            Some(e) if unknown_tags => e.eval3(it),
            Some(e) => Some(e.eval(it)),
        };
        // Kleene AND of the three.
        let parts = [mode, tags, expr];
        if parts.contains(&Some(false)) {
            Some(false)
        } else if parts.iter().all(|p| *p == Some(true)) {
            Some(true)
        } else {
            None
        }
    }

    /// Indices of the selected items, in order.
    /// Indices of the selected items (undecided ones included: the worker
    /// decides them after import), in order.
    pub fn select_indices(&self, items: &[TestItem]) -> Vec<usize> {
        (0..items.len())
            .filter(|&i| self.verdict(&items[i]) != Some(false))
            .collect()
    }

    /// The selected items (undecided ones included), in order.
    pub fn select(&self, items: &[TestItem]) -> Vec<TestItem> {
        items
            .iter()
            .filter(|i| self.verdict(i) != Some(false))
            .cloned()
            .collect()
    }
}

/// Integration tests: a directory component of the path is one of `dirs`,
/// or a tag is one of `tags`.
pub fn is_integration(it: &TestItem, dirs: &[String], tags: &[String]) -> bool {
    let mut parts: Vec<&str> = it.path.split('/').collect();
    parts.pop(); // the file name itself
    parts.iter().any(|p| dirs.iter().any(|d| d == p)) || it.tags.iter().any(|t| tags.contains(t))
}
