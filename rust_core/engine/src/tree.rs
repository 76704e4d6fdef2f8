//! The test tree: what discovery knows about the project without importing it.
//!
//! Everything downstream (filters, the scheduler, reports, the TUI) keys on
//! [`TestItem::id`]. Ids look like `path/rel/to/root.py::Suite::name[params]`
//! (module-level: `path.py::name[params]`); paths always use `/`.

use serde::{Deserialize, Serialize};

/// Whether an item is a test or a benchmark entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    Test,
    Bench,
}

/// How a test is written, which decides how the worker executes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TestStyle {
    /// A method of a `dbtest.TestSuite` subclass.
    Suite,
    /// A module-level `test_*` function.
    Function,
    /// A method of a `unittest.TestCase` subclass.
    Unittest,
    /// A method of a plain `class Test...:` (pytest's style: no base, a
    /// fresh instance per test).
    Class,
    /// An entry of a `BenchmarkGroup`.
    Bench,
    /// A docstring's examples (`--doctest-modules`), or a text file's
    /// (`--doctest-glob`), run by `doctest`.
    Doctest,
}

/// Facts about an item that the static parse could not establish; the worker
/// refines them after import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dynamic {
    /// Tags come from a non-literal expression.
    Tags,
    /// `@parametrize` over a computed value: the item stands for all its cases.
    Params,
    /// A suite whose base class lives in another module: the item stands for
    /// every test the suite has after import.
    Inherited,
    /// Some other decorator argument (timeout, skip, ...) is not a literal.
    Options,
    /// A module's `load_tests`: the item stands for the cases it adds to
    /// the module's own (doctests, tests of other modules), known at import.
    #[serde(rename = "load_tests")]
    LoadTests,
    /// Defined inside a compound statement (`if`, `try`, `with`...): the
    /// test exists only if the block defined it when the module was
    /// imported; the run says `skipped` when it did not.
    Conditional,
}

/// A runnable leaf (or, when `dynamic` contains `Params`/`Inherited`, a
/// placeholder that stands for the leaves found at import time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestItem {
    pub id: String,
    pub kind: ItemKind,
    pub style: TestStyle,
    /// File path relative to the root, `/`-separated.
    pub path: String,
    /// Suite class (or benchmark group variable/name) the item belongs to.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub suite: Option<String>,
    /// Function name, or the benchmark entry's name.
    pub name: String,
    /// Parametrize case id, without brackets.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub params: Option<String>,
    /// 1-based line of the `def` (or of the first decorator).
    pub line: u32,
    /// Own tags plus the suite's tags, sorted and deduplicated.
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub is_async: bool,
    /// `@test(timeout=...)`, seconds.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub timeout: Option<f64>,
    /// `@test(retries=...)`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub retries: Option<u32>,
    /// Skip reason when statically skipped (`@skip`, `@test(skip=...)`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub skip: Option<String>,
    /// True when marked `@xfail`.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub xfail: bool,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub dynamic: Vec<Dynamic>,
    /// Runs in one unit with the rest of its module, in the module's order
    /// (config `keep-together`): for modules whose tests share state.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub together: bool,
}

impl TestItem {
    /// The item for one case `id` (`<self.id>[<case>]`, or another id under
    /// this one) of an item whose cases only the import knows: the same
    /// test, under that id, no longer standing for all its cases.
    pub fn case(&self, id: &str) -> TestItem {
        let mut case = self.clone();
        case.params = crate::ids::case_of(id, &self.id).map(str::to_string);
        case.id = id.to_string();
        case.dynamic
            .retain(|d| !matches!(d, Dynamic::Params | Dynamic::LoadTests));
        case
    }

    /// Whether the item stands for cases only the import knows (a computed
    /// `parametrize`, a `load_tests`): an id under it is one of them.
    pub fn has_import_cases(&self) -> bool {
        self.dynamic
            .iter()
            .any(|d| matches!(d, Dynamic::Params | Dynamic::LoadTests))
    }

    /// A sync test at line 1 with no tags or options: a suite method when
    /// `suite` is given, else a module-level function. Callers set the rest.
    pub fn new_test(path: &str, suite: Option<&str>, name: &str) -> TestItem {
        TestItem {
            id: match suite {
                Some(s) => crate::ids::join(path, &[s, name], None),
                None => crate::ids::join(path, &[name], None),
            },
            kind: ItemKind::Test,
            style: if suite.is_some() {
                TestStyle::Suite
            } else {
                TestStyle::Function
            },
            path: path.to_string(),
            suite: suite.map(str::to_string),
            name: name.to_string(),
            params: None,
            line: 1,
            tags: Vec::new(),
            is_async: false,
            timeout: None,
            retries: None,
            skip: None,
            xfail: false,
            dynamic: Vec::new(),
            together: false,
        }
    }
}

/// A syntax or read error for one file. Never fatal for the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionError {
    pub path: String,
    pub line: u32,
    pub message: String,
}

/// What a class (or benchmark group) in the display tree is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SuiteKind {
    /// A `dbtest.TestSuite` subclass.
    Suite,
    /// A `unittest.TestCase` subclass.
    Unittest,
    /// A `BenchmarkGroup`.
    Group,
}

/// A suite, unittest class or benchmark group with its items, in source order.
/// Nested classes appear as their own node with a `::`-joined name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteNode {
    /// Class name (`Outer::Inner` when nested) or the benchmark group's name.
    pub name: String,
    pub kind: SuiteKind,
    pub line: u32,
    /// Suite-level tags (already merged into each item's `tags`).
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub dynamic: Vec<Dynamic>,
    pub items: Vec<TestItem>,
}

/// One discovered file for display: its suites/groups and module-level items,
/// or the error that kept it from being parsed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileNode {
    /// Path relative to the root, `/`-separated.
    pub path: String,
    /// `test` for test files, `bench` for benchmark files.
    pub kind: ItemKind,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<CollectionError>,
    #[serde(default)]
    pub suites: Vec<SuiteNode>,
    /// Module-level test functions, in source order.
    #[serde(default)]
    pub items: Vec<TestItem>,
    /// What looks like tests but is not collected, and why: said, never
    /// dropped in silence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uncollected: Vec<Uncollected>,
}

impl Uncollected {
    /// The note of a test file in which the static parse found no test.
    pub fn empty_file(path: &str) -> Uncollected {
        Uncollected {
            path: path.to_string(),
            name: String::new(),
            line: 0,
            reason: EMPTY_FILE.to_string(),
        }
    }

    /// A whole file (not one class) that yields no test.
    pub fn is_file(&self) -> bool {
        self.name.is_empty()
    }
}

/// Why a test file yields nothing, as every view says it.
pub const EMPTY_FILE: &str =
    "no test found (tests made at import, by a function or setattr, are not seen by the static parse)";

/// A class that looks like tests and is not collected, or (`name` empty) a
/// test file that yields no test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uncollected {
    /// The file, relative to the root.
    pub path: String,
    /// The class's qualified name (`Outer::Inner`).
    pub name: String,
    pub line: u32,
    /// Why not, as a phrase: "has an __init__ constructor".
    pub reason: String,
}

impl FileNode {
    /// Every item of the file, suites first, in display order.
    pub fn all_items(&self) -> impl Iterator<Item = &TestItem> {
        self.suites
            .iter()
            .flat_map(|s| s.items.iter())
            .chain(self.items.iter())
    }
}
