//! The walker over a file's syntax tree: the module level (imports and
//! aliases, test functions, classes, benchmark groups) into the file node.

use super::class::ClassFacts;
use super::ir::{Def, Expr, Stmt};
use super::items::{draft, items_into, Overrides};
use crate::tree::{FileNode, ItemKind, SuiteKind, TestStyle};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Walk the statements of a file into `file`.
pub(super) fn walk(path: &str, file: &mut FileNode, stmts: &[Stmt], kind: ItemKind) {
    let mut walker = Walker {
        path,
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

    fn module(&mut self, stmts: &[Stmt], kind: ItemKind) {
        // Most module-level defs of a test file are tests: size the list once.
        let defs = stmts.iter().filter(|s| matches!(s, Stmt::Def(_))).count();
        self.file.items.reserve(defs);
        let mut defined: HashSet<&str> = HashSet::new();
        for stmt in stmts {
            match stmt {
                Stmt::Import(_) | Stmt::FromImport { .. } => self.import(stmt),
                Stmt::Assign { .. } => self.module_assignment(stmt),
                Stmt::Class(c) => self.class(c, None),
                // An undecorated def in a bench file adds nothing.
                Stmt::Def(d) if kind == ItemKind::Test => {
                    // A second `def` of a test's name replaces the first, as
                    // in Python. (Only defs that can be tests: the skeleton
                    // parse sees no others.)
                    let candidate = d.name.starts_with("test") || !d.decorators.is_empty();
                    if candidate && !defined.insert(d.name.as_str()) {
                        self.file.items.retain(|it| it.name != d.name);
                    }
                    self.module_function(d)
                }
                Stmt::Def(d) => self.bench_function(d),
                Stmt::Other => {}
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
        let info = self.def_info(def);
        if !(info.test_decorated || info.name.starts_with("test_") || info.name == "test") {
            return;
        }
        let d = draft(info);
        items_into(
            &mut self.file.items,
            self.path,
            None,
            TestStyle::Function,
            ItemKind::Test,
            &d,
            &[],
            Overrides::default(),
        );
    }
}
