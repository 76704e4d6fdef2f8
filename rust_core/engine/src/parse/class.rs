//! Classes: a `TestSuite` or `unittest.TestCase` subclass becomes a suite
//! of its test methods, inherited ones included when the base is in this
//! file; a class that looks like tests but whose base lives elsewhere becomes
//! one placeholder the import expands. Nested classes are suites of their own.

use super::decorators::FuncInfo;
use super::ir::{Class, Expr, Stmt};
use super::items::{items_into, Overrides};
use super::lit::{lit, string_list, Lit};
use super::walk::{apply_marks, dotted, Walker};
use crate::config::names::NameRule;
use crate::tree::{Dynamic, ItemKind, SuiteKind, SuiteNode, TestItem, TestStyle, Uncollected};
use std::collections::HashSet;

/// Facts about a class needed to resolve subclasses in the same file.
#[derive(Debug, Clone)]
pub(super) struct ClassFacts {
    /// None: not a test class (a mixin/helper), unless `unknown` is set.
    kind: Option<SuiteKind>,
    unknown_base: bool,
    methods: Vec<FuncInfo>,
    tags: Vec<String>,
    dynamic_tags: bool,
    /// `__test__ = True`/`False` in its body or inherited (None: not set).
    test_attr: Option<bool>,
}

/// Bases that say nothing about tests.
const NEUTRAL_BASES: &[&str] = &[
    "object",
    "ABC",
    "Generic",
    "Protocol",
    "Exception",
    "NamedTuple",
    "TypedDict",
    "Enum",
];

/// What a class's bases say.
#[derive(Default)]
struct Bases {
    kind: Option<SuiteKind>,
    /// A base this parse cannot see (another module's class, a call...).
    unknown: bool,
    /// Test methods of bases in this file, overridden ones replaced.
    inherited: Vec<FuncInfo>,
    tags: Vec<String>,
    dynamic_tags: bool,
    /// The `__test__` of the first base of this file that sets it.
    test_attr: Option<bool>,
}

/// What a class's body holds.
struct Body<'c> {
    defs: Vec<FuncInfo>,
    /// The last literal `tags = [...]`.
    tags: Option<Vec<String>>,
    /// Whether the last `tags = ...` is computed (None: no `tags`).
    dynamic_tags: Option<bool>,
    nested: Vec<&'c Class>,
    /// A `def __init__`: pytest does not collect such a class.
    has_init: bool,
    /// A literal `__test__ = True`/`False` (pytest: a test class whatever
    /// its name / not collected, by the author's choice).
    test_attr: Option<bool>,
    /// What `pytestmark = ...` in the body says.
    marks: Option<FuncInfo>,
}

/// The class-level facts shared by every test of one class.
struct Shared<'s> {
    qual: &'s str,
    line: u32,
    tags: &'s [String],
    dynamic: &'s [Dynamic],
}

impl Walker<'_> {
    /// A class at module level, or nested in another class (`outer` is the
    /// qualified name of the enclosing class).
    pub(super) fn class(&mut self, def: &Class, outer: Option<&str>) {
        let Some(simple) = def.name.clone() else {
            return;
        };
        let qual = match outer {
            Some(o) => crate::ids::child(o, &simple),
            None => simple.clone(),
        };
        let bases = self.bases(def.bases.as_deref());
        // Class-level decorators: @skip, @xfail, @test(tags=...) apply to all.
        let class_info = self.func_info(&simple, def.line, false, &def.decorators);
        let Some(body) = &def.body else {
            return;
        };
        let mut body = self.body(body);
        let kind = bases.kind;
        // Test methods under `if`/`try` in the body, in source order.
        let own: HashSet<&str> = body.defs.iter().map(|f| f.name.as_str()).collect();
        let hidden = self.hidden_methods(def.line, kind, &own);
        if !hidden.is_empty() {
            body.defs.extend(hidden);
            body.defs.sort_by_key(|f| f.line);
        }
        // The nearest `__test__`: the class's own, else its bases'.
        let test_attr = body.test_attr.or(bases.test_attr);
        let not_test = test_attr == Some(false);
        // A base from elsewhere may be a TestCase (whose methods are
        // `test*` whatever the class is called) or a plain test class.
        let is_test_class = self.names.classes.matches(&simple) || test_attr == Some(true);
        let looks_like_tests = body
            .defs
            .iter()
            .any(|f| f.test_decorated || f.name.starts_with("test"))
            || is_test_class;
        // pytest's rule (`python_classes`, by default the `Test` prefix): a
        // plain class so named, with no base this parse cannot see.
        let plain = kind.is_none() && !bases.unknown && is_test_class;
        let methods = test_methods(kind, bases.inherited, body.defs, &self.names.functions);
        let mut dynamic_tags = body.dynamic_tags.unwrap_or(bases.dynamic_tags);
        let mut suite_tags = body.tags.unwrap_or(bases.tags);
        suite_tags.extend(class_info.tags.iter().cloned());
        suite_tags.sort();
        suite_tags.dedup();
        if class_info.dynamic.contains(&Dynamic::Tags) {
            dynamic_tags = true;
        }
        let mut suite_dynamic = Vec::new();
        if dynamic_tags {
            suite_dynamic.push(Dynamic::Tags);
        }
        let shared = Shared {
            qual: &qual,
            line: def.line,
            tags: &suite_tags,
            dynamic: &suite_dynamic,
        };
        let ov = Overrides {
            skip: class_info.skip.as_ref(),
            xfail: class_info.xfail,
            dynamic_tags,
        };
        let collected = !(not_test || plain && body.has_init);
        let style = match kind {
            Some(SuiteKind::Unittest) => TestStyle::Unittest,
            Some(_) => TestStyle::Suite,
            None => TestStyle::Class,
        };
        let mut suite = (kind.is_some() || plain)
            .then_some(())
            .filter(|_| collected && !methods.is_empty())
            .map(|_| {
                self.suite(
                    kind.unwrap_or(SuiteKind::Suite),
                    style,
                    &shared,
                    &methods,
                    ov,
                )
            });
        if let Some(node) = suite.as_mut().filter(|_| style == TestStyle::Class) {
            for item in &mut node.items {
                apply_marks(item, &class_info);
                if let Some(marks) = &body.marks {
                    apply_marks(item, marks);
                }
            }
        }
        if plain && body.has_init && !not_test && !methods.is_empty() {
            self.file.uncollected.push(Uncollected {
                path: self.path.to_string(),
                name: qual.clone(),
                line: def.line,
                reason: "has an __init__ constructor".to_string(),
            });
        }
        // A TestCase with a base from another module (a mixin) may inherit
        // tests this parse cannot see: one placeholder stands for them all.
        let unittest_mixin = kind == Some(SuiteKind::Unittest) && bases.unknown && collected;
        if unittest_mixin {
            suite = None;
        }
        let placeholder = (suite.is_none()
            && (kind.is_none() || unittest_mixin)
            && bases.unknown
            && (looks_like_tests || unittest_mixin)
            && !not_test)
            .then(|| self.placeholder(&simple, &shared, &class_info, unittest_mixin));
        // Kept for subclasses later in the file (top-level classes are found
        // by their simple name, which is then also `qual`).
        let facts = ClassFacts {
            kind,
            unknown_base: bases.unknown && kind.is_none(),
            methods,
            tags: suite_tags.clone(),
            dynamic_tags,
            test_attr,
        };
        self.classes.insert(qual.clone(), facts);
        if let Some(node) = suite.or(placeholder) {
            self.file.suites.push(node);
        }
        for n in body.nested {
            self.class(n, Some(&qual));
        }
    }

    /// Resolve a class's bases: a dbtest or unittest base, a class of this
    /// file (whose facts are inherited), a neutral base, or unknown.
    fn bases(&self, args: Option<&[Expr]>) -> Bases {
        let mut b = Bases::default();
        for arg in args.unwrap_or_default() {
            let target = match arg {
                Expr::Keyword { .. } => continue, // metaclass=...
                Expr::Subscript(value) => value.as_deref(),
                other => Some(other),
            };
            let Some(dotted) = target.and_then(dotted) else {
                b.unknown = true;
                continue;
            };
            let last = dotted.rsplit('.').next().unwrap_or(&dotted).to_string();
            let resolved = self
                .aliases
                .get(dotted.as_ref())
                .cloned()
                .unwrap_or_else(|| dotted.to_string());
            let rlast = resolved.rsplit('.').next().unwrap_or(&resolved).to_string();
            if rlast == "TestSuite" {
                b.kind = b.kind.or(Some(SuiteKind::Suite));
            } else if rlast.ends_with("TestCase") {
                b.kind = b.kind.or(Some(SuiteKind::Unittest));
            } else if let Some(facts) = self.classes.get(dotted.as_ref()).cloned() {
                if facts.kind.is_some() {
                    b.kind = b.kind.or(facts.kind);
                }
                b.unknown |= facts.unknown_base;
                for m in facts.methods {
                    b.inherited.retain(|x: &FuncInfo| x.name != m.name);
                    b.inherited.push(m);
                }
                b.tags.extend(facts.tags);
                b.dynamic_tags |= facts.dynamic_tags;
                // The first base that sets it, as Python's attribute lookup
                // finds it (in the MRO of simple hierarchies).
                b.test_attr = b.test_attr.or(facts.test_attr);
            } else if !NEUTRAL_BASES.contains(&last.as_str()) {
                b.unknown = true;
            }
        }
        b
    }

    /// The defs, `tags` and nested classes of a class body.
    fn body<'c>(&self, stmts: &'c [Stmt]) -> Body<'c> {
        let mut body = Body {
            defs: Vec::new(),
            tags: None,
            dynamic_tags: None,
            nested: Vec::new(),
            has_init: false,
            test_attr: None,
            marks: None,
        };
        for stmt in stmts {
            match stmt {
                Stmt::Def(d) if d.name == "__init__" => body.has_init = true,
                Stmt::Def(d) => body.defs.push(self.def_info(d)),
                Stmt::Assign {
                    left: Some((left, true)),
                    right: Some(value),
                    line,
                } if left == "pytestmark" => body.marks = Some(self.pytestmark_info(value, *line)),
                Stmt::Assign {
                    left: Some((left, true)),
                    right,
                    ..
                } if left == "__test__" => {
                    body.test_attr = match right.as_ref().and_then(lit) {
                        Some(Lit::Bool(b)) => Some(b),
                        _ => None,
                    }
                }
                Stmt::Class(c) => body.nested.push(c),
                Stmt::Assign {
                    left: Some((left, _)),
                    right,
                    ..
                } if left == "tags" => match right.as_ref().and_then(string_list) {
                    Some(t) => {
                        body.tags = Some(t);
                        body.dynamic_tags = Some(false);
                    }
                    None => body.dynamic_tags = Some(true),
                },
                _ => {}
            }
        }
        body
    }

    /// The suite of a test class and its methods.
    fn suite(
        &self,
        kind: SuiteKind,
        style: TestStyle,
        shared: &Shared<'_>,
        methods: &[FuncInfo],
        ov: Overrides<'_>,
    ) -> SuiteNode {
        let mut items = Vec::with_capacity(methods.len());
        for d in methods {
            items_into(
                &mut items,
                self.path,
                Some(shared.qual),
                style,
                ItemKind::Test,
                d,
                shared.tags,
                ov,
            );
        }
        SuiteNode {
            name: shared.qual.to_string(),
            kind,
            line: shared.line,
            tags: shared.tags.to_vec(),
            dynamic: shared.dynamic.to_vec(),
            items,
        }
    }

    /// The base lives in another module: one placeholder stands for every
    /// test the class has after import.
    fn placeholder(
        &self,
        simple: &str,
        shared: &Shared<'_>,
        class_info: &FuncInfo,
        unittest: bool,
    ) -> SuiteNode {
        let mut dynamic = shared.dynamic.to_vec();
        dynamic.push(Dynamic::Inherited);
        let item = TestItem {
            id: crate::ids::child(self.path, shared.qual),
            kind: ItemKind::Test,
            style: if unittest {
                TestStyle::Unittest
            } else {
                TestStyle::Suite
            },
            path: self.path.to_string(),
            suite: Some(shared.qual.to_string()),
            name: simple.to_string(),
            params: None,
            line: shared.line,
            tags: shared.tags.to_vec(),
            is_async: false,
            timeout: None,
            retries: None,
            skip: class_info.skip.clone(),
            xfail: class_info.xfail,
            dynamic: dynamic.clone(),
            together: false,
        };
        SuiteNode {
            name: shared.qual.to_string(),
            kind: if unittest {
                SuiteKind::Unittest
            } else {
                SuiteKind::Suite
            },
            line: shared.line,
            tags: shared.tags.to_vec(),
            dynamic,
            items: vec![item],
        }
    }
}

/// A class's test methods: the inherited ones, then its own, a method of
/// the class replacing an inherited one of the same name. A TestCase's are
/// unittest's (`test*`, whatever `python_functions` says, as under pytest),
/// a `TestSuite`'s dbtest's (`test_*` or `@test`), a plain class's pytest's
/// (`functions`, or `@test`).
/// Whether a method is a test of a class of this kind: unittest's loader
/// takes every `test*` name, a plain class pytest's function rule, a
/// dbtest suite `test_*`; a decorated test always is, a fixture never.
pub(super) fn is_test_method(kind: Option<SuiteKind>, functions: &NameRule, f: &FuncInfo) -> bool {
    !f.fixture
        && match kind {
            Some(SuiteKind::Unittest) => f.name.starts_with("test"),
            None => f.test_decorated || functions.matches(&f.name),
            _ => f.test_decorated || f.name.starts_with("test_"),
        }
}

fn test_methods(
    kind: Option<SuiteKind>,
    inherited: Vec<FuncInfo>,
    defs: Vec<FuncInfo>,
    functions: &NameRule,
) -> Vec<FuncInfo> {
    let mut methods = inherited;
    let mut run_test = None;
    for f in defs {
        let accepted = is_test_method(kind, functions, &f);
        methods.retain(|m| m.name != f.name);
        if accepted {
            methods.push(f);
        } else if kind == Some(SuiteKind::Unittest) && f.name == "runTest" {
            run_test = Some(f);
        }
    }
    // unittest's loader: a TestCase with no test* method runs its runTest.
    if methods.is_empty() {
        methods.extend(run_test);
    }
    methods
}
