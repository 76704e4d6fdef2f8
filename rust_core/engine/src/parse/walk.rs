//! The walker over a file's syntax tree: the module level (imports and
//! aliases, test functions, classes, benchmark groups) into the file node.

use super::class::ClassFacts;
use super::decorators::FuncInfo;
use super::ir::{Def, Expr, Stmt};
use super::items::{items_into, Overrides};
use super::lit::{lit, Lit};
use super::scan::Hidden;
use crate::config::names::PythonNames;
use crate::tree::{Dynamic, FileNode, ItemKind, SuiteKind, TestItem, TestStyle};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Walk the statements of a file into `file`.
pub(super) fn walk(
    path: &str,
    file: &mut FileNode,
    stmts: &[Stmt],
    kind: ItemKind,
    names: &PythonNames,
    hidden: &[Hidden],
) {
    let mut walker = Walker {
        path,
        names,
        hidden,
        aliases: HashMap::new(),
        modules: HashMap::new(),
        classes: HashMap::new(),
        groups: HashMap::new(),
        file,
    };
    walker.module(stmts, kind);
}

pub(super) struct Walker<'a> {
    pub(super) path: &'a str,
    /// pytest's `python_classes` and `python_functions`.
    pub(super) names: &'a PythonNames,
    /// Defs and classes the skeleton dropped with an `if`/`try` block.
    pub(super) hidden: &'a [Hidden],
    /// Local name -> imported name (`from dbtest import test as t`).
    pub(super) aliases: HashMap<String, String>,
    /// Local name -> module (`import dbtest as d`, `import unittest`).
    pub(super) modules: HashMap<String, String>,
    /// Module-level (and nested, qualified) classes seen so far.
    pub(super) classes: HashMap<String, ClassFacts>,
    /// Benchmark group variable -> index into `file.suites`.
    pub(super) groups: HashMap<String, usize>,
    pub(super) file: &'a mut FileNode,
}

/// `a.b.c` for names/attributes, None for anything else.
/// Borrowed for a plain name (the common case: no allocation).
pub(super) fn dotted(e: &Expr) -> Option<Cow<'_, str>> {
    match e {
        Expr::Name(n) => Some(Cow::Borrowed(n)),
        Expr::Attr(obj, attr) => Some(Cow::Owned(format!("{}.{attr}", dotted(obj)?))),
        _ => None,
    }
}

impl Walker<'_> {
    /// The dbtest/unittest name a decorator or base refers to: `t` after
    /// `from dbtest import test as t` is `test`; `d.test` after
    /// `import dbtest as d` is `test`. Other qualified names are None.
    pub(super) fn api_name<'s>(&'s self, dotted: &'s str) -> Option<&'s str> {
        match dotted.rsplit_once('.') {
            None => Some(self.aliases.get(dotted).map_or(dotted, String::as_str)),
            Some((prefix, last)) => {
                let head = prefix.split('.').next().unwrap_or(prefix);
                let module = self.modules.get(head).map(String::as_str).unwrap_or(head);
                let known = ["dbtest", "unittest", "pytest"];
                known
                    .iter()
                    .any(|m| {
                        module
                            .strip_prefix(m)
                            .is_some_and(|r| r.is_empty() || r.starts_with('.'))
                    })
                    .then_some(last)
            }
        }
    }

    /// A dotted name with its first part resolved through the file's
    /// imports: `pt.mark.slow` after `import pytest as pt` and `mark.slow`
    /// after `from pytest import mark` are both `pytest.mark.slow`.
    pub(super) fn resolve(&self, dotted: &str) -> String {
        let (head, rest) = dotted.split_once('.').unwrap_or((dotted, ""));
        let head = self
            .modules
            .get(head)
            .or_else(|| self.aliases.get(head))
            .map_or(head, String::as_str);
        if rest.is_empty() {
            head.to_string()
        } else {
            format!("{head}.{rest}")
        }
    }

    /// `slow` for a decorator that is `pytest.mark.slow` through the imports.
    pub(super) fn pytest_mark(&self, dotted: &str) -> Option<String> {
        let full = self.resolve(dotted);
        let mark = full.strip_prefix("pytest.mark.")?;
        (!mark.contains('.')).then(|| mark.to_string())
    }

    fn module(&mut self, stmts: &[Stmt], kind: ItemKind) {
        // Most module-level defs of a test file are tests: size the list once.
        let defs = stmts.iter().filter(|s| matches!(s, Stmt::Def(_))).count();
        self.file.items.reserve(defs);
        let mut defined: HashSet<&str> = HashSet::new();
        let mut module_marks = None;
        for stmt in stmts {
            match stmt {
                Stmt::Import(_) | Stmt::FromImport { .. } => self.import(stmt),
                Stmt::Assign {
                    left: Some((left, true)),
                    right: Some(value),
                    line,
                } if left == "pytestmark" => {
                    module_marks = Some(self.pytestmark_info(value, *line));
                }
                Stmt::Assign {
                    left: Some((left, false)),
                    right,
                    ..
                } if left.ends_with(".__test__") => {
                    // pytest reads `__test__` off the object: `f.__test__ =
                    // False` after `def f` takes it out. (True on a def not
                    // named as a test is not seen: the skeleton drops it.)
                    let name = left.trim_end_matches(".__test__").trim();
                    if matches!(right.as_ref().and_then(lit), Some(Lit::Bool(false))) {
                        self.file.items.retain(|it| it.name != name);
                        self.file.suites.retain(|s| s.name != name);
                    }
                }
                Stmt::Assign { .. } => self.module_assignment(stmt),
                Stmt::Class(c) => self.class(c, None),
                // An undecorated def in a bench file adds nothing.
                Stmt::Def(d) if kind == ItemKind::Test => {
                    // A second `def` of a test's name replaces the first, as
                    // in Python. (Only defs that can be tests: the skeleton
                    // parse sees no others.)
                    let candidate =
                        !d.decorators.is_empty() || self.names.functions.matches(&d.name);
                    if candidate && !defined.insert(d.name.as_str()) {
                        self.file.items.retain(|it| it.name != d.name);
                    }
                    self.module_function(d)
                }
                Stmt::Def(d) => self.bench_function(d),
                Stmt::Other => {}
            }
        }
        if kind == ItemKind::Test {
            self.hidden_module();
        }
        if let Some(marks) = module_marks {
            let suites = self.file.suites.iter_mut().flat_map(|s| s.items.iter_mut());
            for item in self.file.items.iter_mut().chain(suites) {
                apply_marks(item, &marks);
            }
        }
        if kind == ItemKind::Bench {
            // Benchmark files hold groups only; test classes there are ignored.
            self.file.suites.retain(|s| s.kind == SuiteKind::Group);
            self.file.items.clear();
        } else {
            self.file.suites.retain(|s| s.kind != SuiteKind::Group);
        }
    }

    fn import(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Import(names) => {
                for (name, alias) in names {
                    match alias {
                        None => {
                            let head = name.split('.').next().unwrap_or("").to_string();
                            self.modules.insert(head.clone(), head);
                        }
                        Some(alias) => {
                            self.modules.insert(alias.clone(), name.clone());
                        }
                    }
                }
            }
            Stmt::FromImport { module, names } => {
                for (name, alias) in names {
                    let (name, alias) = (name.clone(), alias.clone());
                    if module == "dbtest" || module.starts_with("dbtest.") || module == "unittest" {
                        self.aliases.insert(alias, name);
                    } else if name != alias {
                        // `from x import y as z`: z is a module or object we cannot see.
                        self.aliases.insert(alias, format!("{module}.{name}"));
                    } else {
                        self.aliases.remove(&alias);
                        self.aliases.insert(alias, format!("{module}.{name}"));
                    }
                }
            }
            _ => {}
        }
    }

    fn module_function(&mut self, def: &Def) {
        if def.name == "load_tests" && def.decorators.is_empty() {
            self.load_tests(def);
            return;
        }
        let info = self.def_info(def);
        // pytest's rule (`python_functions`, by default the `test` prefix).
        if info.fixture || !(info.test_decorated || self.names.functions.matches(&info.name)) {
            return;
        }
        self.push_function(&info);
    }

    /// The items of an accepted module-level test function.
    pub(super) fn push_function(&mut self, d: &FuncInfo) {
        items_into(
            &mut self.file.items,
            self.path,
            None,
            TestStyle::Function,
            ItemKind::Test,
            d,
            &[],
            Overrides::default(),
        );
    }
}

impl Walker<'_> {
    /// unittest's `load_tests` protocol: what the function returns is what
    /// runs. The module's own tests are listed as usual; one item stands
    /// for the cases it adds (doctests, other modules' tests), which only
    /// the import knows: `path::load_tests::<case id>`.
    fn load_tests(&mut self, def: &Def) {
        self.file.items.retain(|it| it.name != "load_tests");
        let mut item = TestItem::new_test(self.path, None, "load_tests");
        item.style = TestStyle::Unittest;
        item.line = def.line;
        item.dynamic.push(Dynamic::LoadTests);
        self.file.items.push(item);
    }
}

/// What a module's or class's `pytestmark` says, applied to one of its
/// tests (its own marks first, as pytest reads them nearest first).
pub(super) fn apply_marks(item: &mut TestItem, marks: &FuncInfo) {
    if item.skip.is_none() {
        item.skip.clone_from(&marks.skip);
    }
    item.xfail |= marks.xfail;
    if item.timeout.is_none() {
        item.timeout = marks.timeout;
    }
    for t in &marks.tags {
        if !item.tags.contains(t) {
            item.tags.push(t.clone());
        }
    }
    item.tags.sort();
    let mut dynamic = marks.dynamic.clone();
    // Cases a module or class adds: the import expands them.
    if marks.cases.is_some() {
        dynamic.push(Dynamic::Params);
    }
    for d in dynamic {
        if !item.dynamic.contains(&d) {
            item.dynamic.push(d);
        }
    }
}
