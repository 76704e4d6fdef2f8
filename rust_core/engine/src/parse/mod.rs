//! The static parse of one test or benchmark file into a [`FileNode`],
//! without importing anything.
//!
//! The file is first reduced to its skeleton by [`scan`] (structural lines
//! only, same line numbers). The skeleton is read into a small syntax tree
//! ([`ir`]) by the hand-written [`fast`] parser when every line is in its
//! subset, else by tree-sitter's Python grammar (error tolerant, Python 3.12
//! syntax, and the source of syntax-error messages); the walker below turns
//! that tree into a [`FileNode`] either way. `full` parses always go through
//! tree-sitter. Which forms are understood statically is documented in
//! `docs/discovery.md`.

pub mod fast;
pub mod ir;
pub mod scan;

use crate::tree::{
    CollectionError, Dynamic, FileNode, ItemKind, SuiteKind, SuiteNode, TestItem, TestStyle,
};
use ir::{Class, Def, Expr, Stmt};
use std::borrow::Cow;
use std::collections::HashMap;
use tree_sitter::{Node, Parser};

/// A tree-sitter parser set up for Python. Not `Sync`: one per thread.
pub fn new_parser() -> Parser {
    let mut p = Parser::new();
    p.set_language(&tree_sitter_python::LANGUAGE.into())
        .expect("the bundled Python grammar matches the tree-sitter ABI");
    p
}

/// Which front end reads the skeleton into the IR the walker reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontEnd {
    /// [`fast`] when it takes the file, else tree-sitter (what discovery uses).
    Auto,
    /// Always tree-sitter.
    TreeSitter,
    /// Only [`fast`]: `None` when it declines (for tests and measurements).
    FastOnly,
}

impl FrontEnd {
    /// The front end of an ordinary parse: tree-sitter for a `full` parse
    /// (the fast parser reads skeletons only), else whichever takes the file.
    fn for_parse(full: bool) -> FrontEnd {
        if full {
            FrontEnd::TreeSitter
        } else {
            FrontEnd::Auto
        }
    }
}

/// Parse `src` (the file at `path`, relative to the root) into a file node.
///
/// `full` parses the whole text with tree-sitter instead of the skeleton, so
/// syntax errors inside function bodies are reported too (slower).
pub fn parse_file(
    parser: &mut Parser,
    path: &str,
    kind: ItemKind,
    src: &str,
    full: bool,
) -> FileNode {
    let front = FrontEnd::for_parse(full);
    parse_file_with(parser, path, kind, src, full, front).expect("only FrontEnd::FastOnly declines")
}

/// [`parse_file`] with a chosen front end; None only when `front` is
/// [`FrontEnd::FastOnly`] and the fast parser declines the file (`full`
/// always uses tree-sitter, as the fast parser reads skeletons only).
pub fn parse_file_with(
    parser: &mut Parser,
    path: &str,
    kind: ItemKind,
    src: &str,
    full: bool,
    front: FrontEnd,
) -> Option<FileNode> {
    parse_inner(
        ParserRef::Given(parser),
        &mut scan::Scratch::default(),
        &mut fast::Scratch::default(),
        path,
        kind,
        src,
        full,
        front,
    )
}

/// What a thread parsing many files keeps from one file to the next: a
/// tree-sitter parser, made only when a file needs one (creating it costs
/// about as much as the fast parse of a small file, and most files never
/// need one), and the scanner's buffers.
#[derive(Default)]
pub struct Scratch {
    parser: Option<Parser>,
    scan: scan::Scratch,
    fast: fast::Scratch,
}

/// [`parse_file`] reusing `scratch` (same result).
pub fn parse_file_reusing(
    scratch: &mut Scratch,
    path: &str,
    kind: ItemKind,
    src: &str,
    full: bool,
) -> FileNode {
    let front = FrontEnd::for_parse(full);
    parse_inner(
        ParserRef::Lazy(&mut scratch.parser),
        &mut scratch.scan,
        &mut scratch.fast,
        path,
        kind,
        src,
        full,
        front,
    )
    .expect("only FrontEnd::FastOnly declines")
}

/// A parser given by the caller, or one made on first use.
enum ParserRef<'a> {
    Given(&'a mut Parser),
    Lazy(&'a mut Option<Parser>),
}

impl ParserRef<'_> {
    fn get(&mut self) -> &mut Parser {
        match self {
            ParserRef::Given(p) => p,
            ParserRef::Lazy(p) => p.get_or_insert_with(new_parser),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn parse_inner(
    mut parser: ParserRef<'_>,
    scan: &mut scan::Scratch,
    fast_scratch: &mut fast::Scratch,
    path: &str,
    kind: ItemKind,
    src: &str,
    full: bool,
    front: FrontEnd,
) -> Option<FileNode> {
    let mut node = FileNode {
        path: path.to_string(),
        kind,
        error: None,
        suites: Vec::new(),
        items: Vec::new(),
    };
    let error = |line: u32, message: String| CollectionError {
        path: path.to_string(),
        line,
        message,
    };
    let has_structure = match scan::skeleton_into(src, scan) {
        Ok(s) => s,
        Err(e) => {
            node.error = Some(error(e.line, format!("syntax error: {}", e.message)));
            return Some(node);
        }
    };
    if !has_structure && !full {
        return Some(node);
    }
    let skeleton = scan.text();
    let fast = match front {
        FrontEnd::Auto | FrontEnd::FastOnly if !full => fast::parse_reusing(skeleton, fast_scratch),
        _ => None,
    };
    let stmts = match fast {
        Some(stmts) => stmts,
        None if front == FrontEnd::FastOnly => return None,
        None => match tree_sitter_ir(parser.get(), if full { src } else { skeleton }) {
            Ok(stmts) => stmts,
            Err((line, message)) => {
                node.error = Some(error(line, message));
                return Some(node);
            }
        },
    };
    let mut walker = Walker {
        path,
        aliases: HashMap::new(),
        modules: HashMap::new(),
        classes: HashMap::new(),
        groups: HashMap::new(),
        file: &mut node,
    };
    walker.module(&stmts, kind);
    Some(node)
}

/// The IR of `text` through tree-sitter, or the first syntax error.
fn tree_sitter_ir(parser: &mut Parser, text: &str) -> Result<Vec<Stmt>, (u32, String)> {
    let Some(tree) = parser.parse(text, None) else {
        return Err((1, "the parser gave up on this file".to_string()));
    };
    let root = tree.root_node();
    if root.has_error() {
        return Err(first_error(root, text.as_bytes()));
    }
    Ok(ir::from_tree_sitter(root, text.as_bytes()))
}

/// Line and message of the first ERROR or MISSING node.
fn first_error(root: Node, src: &[u8]) -> (u32, String) {
    let mut cursor = root.walk();
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if n.is_missing() {
            return (
                n.start_position().row as u32 + 1,
                format!("syntax error: missing '{}'", n.kind()),
            );
        }
        if n.is_error() {
            let t = n.utf8_text(src).unwrap_or("");
            let t = t.lines().next().unwrap_or("").trim();
            let snippet: String = t.chars().take(40).collect();
            return (
                n.start_position().row as u32 + 1,
                format!("syntax error: invalid syntax near '{snippet}'"),
            );
        }
        if n.has_error() {
            let kids: Vec<Node> = n.children(&mut cursor).collect();
            stack.extend(kids.into_iter().rev());
        }
    }
    (1, "syntax error".to_string())
}

/// A literal value read from the source.
#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    None,
    Seq(Vec<Option<Lit>>),
    /// A constant whose value this parse does not compute exactly (a
    /// complex number, an int past 64 bits, arithmetic, a string with a
    /// `\N{...}` escape or fields): its case id is the value's `str()`,
    /// known only at import.
    Unsure,
}

impl Lit {
    /// The case-id fragment pytest would use, or None for "use argname+index".
    fn id(&self) -> Option<String> {
        Some(match self {
            Lit::Str(s) => s.clone(),
            Lit::Int(i) => i.to_string(),
            Lit::Float(f) => py_float(*f),
            Lit::Bool(b) => if *b { "True" } else { "False" }.to_string(),
            Lit::None => "None".to_string(),
            Lit::Seq(_) | Lit::Unsure => return None,
        })
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip, positional
/// for exponents from -4 to 15, else `d.ddde±XX` with two exponent digits.
fn py_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    // `{:e}` gives the shortest round-trip digits: "-1.25e-7".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::from(sign);
    if (-4..16).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            out.push_str(&"0".repeat((-exp - 1) as usize));
            out.push_str(&digits);
        } else {
            let point = exp as usize + 1;
            if digits.len() <= point {
                out.push_str(&digits);
                out.push_str(&"0".repeat(point - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..point]);
                out.push('.');
                out.push_str(&digits[point..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push_str(&format!(
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        ));
    }
    out
}

/// What the decorators and name of one `def` say.
#[derive(Debug, Default)]
struct FuncInfo {
    name: String,
    line: u32,
    is_async: bool,
    test_decorated: bool,
    tags: Vec<String>,
    timeout: Option<f64>,
    retries: Option<u32>,
    skip: Option<String>,
    xfail: bool,
    dynamic: Vec<Dynamic>,
    /// None: not parametrized; Some(empty): an empty literal list of cases.
    cases: Option<Vec<String>>,
    /// `@group.add(...)`: (group variable, entry name).
    bench: Vec<(String, String)>,
}

impl FuncInfo {
    fn add_dynamic(&mut self, d: Dynamic) {
        if !self.dynamic.contains(&d) {
            self.dynamic.push(d);
        }
    }
}

/// Facts about a class needed to resolve subclasses in the same file.
#[derive(Debug, Clone)]
struct ClassFacts {
    /// None: not a test class (a mixin/helper), unless `unknown` is set.
    kind: Option<SuiteKind>,
    unknown_base: bool,
    methods: Vec<TestItemDraft>,
    tags: Vec<String>,
    dynamic_tags: bool,
}

/// A method accepted as a test, before the owning class's id is known.
#[derive(Debug, Clone)]
struct TestItemDraft {
    name: String,
    line: u32,
    is_async: bool,
    tags: Vec<String>,
    timeout: Option<f64>,
    retries: Option<u32>,
    skip: Option<String>,
    xfail: bool,
    dynamic: Vec<Dynamic>,
    cases: Option<Vec<String>>,
}

struct Walker<'a> {
    path: &'a str,
    /// Local name -> imported name (`from dbtest import test as t`).
    aliases: HashMap<String, String>,
    /// Local name -> module (`import dbtest as d`, `import unittest`).
    modules: HashMap<String, String>,
    /// Module-level (and nested, qualified) classes seen so far.
    classes: HashMap<String, ClassFacts>,
    /// Benchmark group variable -> index into `file.suites`.
    groups: HashMap<String, usize>,
    file: &'a mut FileNode,
}

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

impl<'a> Walker<'a> {
    /// `a.b.c` for names/attributes, None for anything else.
    /// Borrowed for a plain name (the common case: no allocation).
    fn dotted(e: &Expr) -> Option<Cow<'_, str>> {
        match e {
            Expr::Name(n) => Some(Cow::Borrowed(n)),
            Expr::Attr(obj, attr) => Some(Cow::Owned(format!("{}.{attr}", Self::dotted(obj)?))),
            _ => None,
        }
    }

    /// The dbtest/unittest name a decorator or base refers to: `t` after
    /// `from dbtest import test as t` is `test`; `d.test` after
    /// `import dbtest as d` is `test`. Other qualified names are None.
    fn api_name<'s>(&'s self, dotted: &'s str) -> Option<&'s str> {
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

    fn lit(e: &Expr) -> Option<Lit> {
        match e {
            // No value: bytes, or a string with fields or a `\N{}` escape.
            Expr::Str(s) => Some(s.clone().map_or(Lit::Unsure, Lit::Str)),
            Expr::Concat(parts) => {
                let mut s = String::new();
                for c in parts {
                    match c {
                        Expr::Str(Some(v)) => s.push_str(v),
                        _ => return Some(Lit::Unsure),
                    }
                }
                Some(Lit::Str(s))
            }
            Expr::Int(t) | Expr::Float(t) if t.ends_with(['j', 'J']) => Some(Lit::Unsure),
            Expr::Int(t) => {
                let t = t.replace('_', "");
                let v = if let Some(h) = t.strip_prefix("0x").or(t.strip_prefix("0X")) {
                    i64::from_str_radix(h, 16).ok()
                } else if let Some(o) = t.strip_prefix("0o").or(t.strip_prefix("0O")) {
                    i64::from_str_radix(o, 8).ok()
                } else if let Some(b) = t.strip_prefix("0b").or(t.strip_prefix("0B")) {
                    i64::from_str_radix(b, 2).ok()
                } else {
                    t.parse().ok()
                };
                Some(v.map_or(Lit::Unsure, Lit::Int))
            }
            Expr::Float(t) => Some(t.replace('_', "").parse().map_or(Lit::Unsure, Lit::Float)),
            Expr::True => Some(Lit::Bool(true)),
            Expr::False => Some(Lit::Bool(false)),
            Expr::None => Some(Lit::None),
            Expr::Unary { op, arg } => match (op.as_deref(), Self::lit(arg.as_deref()?)?) {
                (Some("-"), Lit::Int(i)) => Some(Lit::Int(-i)),
                (Some("-"), Lit::Float(f)) => Some(Lit::Float(-f)),
                (Some("+"), v @ (Lit::Int(_) | Lit::Float(_))) => Some(v),
                (_, Lit::Unsure) => Some(Lit::Unsure),
                _ => None,
            },
            Expr::Paren(c) => Self::lit(c.first()?),
            Expr::List(c) | Expr::Tuple(c) | Expr::Set(c) => {
                Some(Lit::Seq(c.iter().map(Self::lit).collect()))
            }
            _ => None,
        }
    }

    fn string_list(e: &Expr) -> Option<Vec<String>> {
        match Self::lit(e)? {
            Lit::Seq(v) => v
                .into_iter()
                .map(|x| match x {
                    Some(Lit::Str(s)) => Some(s),
                    _ => None,
                })
                .collect(),
            Lit::Str(s) => Some(vec![s]),
            _ => None,
        }
    }

    fn module(&mut self, stmts: &[Stmt], kind: ItemKind) {
        // Most module-level defs of a test file are tests: size the list once.
        let defs = stmts.iter().filter(|s| matches!(s, Stmt::Def(_))).count();
        self.file.items.reserve(defs);
        let mut defined: std::collections::HashSet<&str> = std::collections::HashSet::new();
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

    /// `g = BenchmarkGroup("name", tags=[...])` at module level, also
    /// wrapped as `g = register_group(BenchmarkGroup(...))`.
    fn module_assignment(&mut self, stmt: &Stmt) {
        let Stmt::Assign {
            line,
            left: Some((var, true)),
            right: Some(Expr::Call { func, args }),
        } = stmt
        else {
            return;
        };
        let Some(mut func) = func.as_deref().and_then(Self::dotted) else {
            return;
        };
        let mut args = args;
        if func.rsplit('.').next() == Some("register_group") {
            let inner = args
                .iter()
                .flatten()
                .find(|a| !matches!(a, Expr::Keyword { .. } | Expr::Comment));
            let Some(Expr::Call {
                func: Some(f),
                args: a,
            }) = inner
            else {
                return;
            };
            let Some(f) = Self::dotted(f) else {
                return;
            };
            func = f;
            args = a;
        }
        if func.rsplit('.').next() != Some("BenchmarkGroup") {
            return;
        }
        let mut name = var.clone();
        let mut tags = Vec::new();
        let mut dynamic = Vec::new();
        for (i, a) in args.iter().flatten().enumerate() {
            if let Expr::Keyword { name: k, value: v } = a {
                match (k.as_deref(), v.as_deref()) {
                    (Some("name"), Some(v)) => {
                        if let Some(Lit::Str(s)) = Self::lit(v) {
                            name = s
                        }
                    }
                    (Some("tags"), Some(v)) => match Self::string_list(v) {
                        Some(t) => tags = t,
                        None => dynamic.push(Dynamic::Tags),
                    },
                    _ => {}
                }
            } else if i == 0 {
                if let Some(Lit::Str(s)) = Self::lit(a) {
                    name = s;
                }
            }
        }
        tags.sort();
        tags.dedup();
        self.groups.insert(var.clone(), self.file.suites.len());
        self.file.suites.push(SuiteNode {
            name,
            kind: SuiteKind::Group,
            line: *line,
            tags,
            dynamic,
            items: Vec::new(),
        });
    }

    /// Read the decorators and header of one `def` (or `class`).
    fn func_info(&self, name: &str, line: u32, is_async: bool, decos: &[Expr]) -> FuncInfo {
        let mut info = FuncInfo {
            name: name.to_string(),
            line,
            is_async,
            ..Default::default()
        };
        // Decorators apply bottom-up; pytest orders stacked parametrize ids
        // with the innermost first.
        let mut param_sets: Vec<Option<Vec<String>>> = Vec::new();
        for deco in decos.iter().rev() {
            let (callee, args) = match deco {
                Expr::Call { func, args } => (func.as_deref(), args.as_deref()),
                e => (Some(e), None),
            };
            let Some(dotted) = callee.and_then(Self::dotted) else {
                continue;
            };
            if let Some((var, "add")) = dotted.rsplit_once('.') {
                if self.groups.contains_key(var) {
                    let mut entry = info.name.clone();
                    if let Some(args) = args {
                        // `tags=[...]` of the entry, like `@test(tags=...)`.
                        for v in args.iter().filter_map(|a| kwarg(a, "tags")) {
                            match v.and_then(Self::string_list) {
                                Some(tags) => info.tags.extend(tags),
                                None => info.add_dynamic(Dynamic::Tags),
                            }
                        }
                        for (i, a) in args.iter().enumerate() {
                            let v = if matches!(a, Expr::Keyword { .. }) {
                                kwarg(a, "name").flatten()
                            } else {
                                (i == 0).then_some(a)
                            };
                            if let Some(Lit::Str(s)) = v.and_then(Self::lit) {
                                entry = s;
                            }
                        }
                    }
                    info.bench.push((var.to_string(), entry));
                    continue;
                }
            }
            let Some(api) = self.api_name(&dotted) else {
                continue;
            };
            let positional = |i: usize| -> Option<&Expr> {
                args.and_then(|a| {
                    a.iter()
                        .filter(|c| !matches!(c, Expr::Keyword { .. } | Expr::Comment))
                        .nth(i)
                })
            };
            let keyword = |name: &str| -> Option<&Expr> {
                args.and_then(|a| a.iter().find_map(|c| kwarg(c, name)))
                    .flatten()
            };
            let has_splat = args.is_some_and(|a| {
                a.iter()
                    .any(|c| matches!(c, Expr::ListSplat | Expr::DictSplat))
            });
            if has_splat {
                info.add_dynamic(Dynamic::Options);
            }
            match api {
                "test" => {
                    info.test_decorated = true;
                    if let Some(v) = keyword("tags") {
                        match Self::string_list(v) {
                            Some(t) => info.tags.extend(t),
                            None => info.add_dynamic(Dynamic::Tags),
                        }
                    }
                    if let Some(v) = keyword("timeout") {
                        match Self::lit(v) {
                            Some(Lit::Int(i)) => info.timeout = Some(i as f64),
                            Some(Lit::Float(f)) => info.timeout = Some(f),
                            Some(Lit::None) => {}
                            _ => info.add_dynamic(Dynamic::Options),
                        }
                    }
                    if let Some(v) = keyword("retries") {
                        match Self::lit(v) {
                            Some(Lit::Int(i)) if i >= 0 => info.retries = Some(i as u32),
                            _ => info.add_dynamic(Dynamic::Options),
                        }
                    }
                    if let Some(v) = keyword("skip") {
                        match Self::lit(v) {
                            Some(Lit::Str(s)) => info.skip = Some(s),
                            Some(Lit::Bool(true)) => info.skip = Some("skipped".to_string()),
                            Some(Lit::Bool(false) | Lit::None) => {}
                            _ => info.add_dynamic(Dynamic::Options),
                        }
                    }
                }
                "skip" => {
                    let reason = positional(0).or_else(|| keyword("reason"));
                    info.skip = Some(match reason.map(Self::lit) {
                        Some(Some(Lit::Str(s))) => s,
                        _ => "skipped".to_string(),
                    });
                }
                "skip_if" | "skipIf" | "skipUnless" => {
                    let cond = positional(0).or_else(|| keyword("condition"));
                    let reason = positional(1).or_else(|| keyword("reason"));
                    let when = api != "skipUnless";
                    match cond.and_then(Self::lit) {
                        Some(Lit::Bool(b)) if b == when => {
                            info.skip = Some(match reason.and_then(Self::lit) {
                                Some(Lit::Str(s)) => s,
                                _ => "skipped".to_string(),
                            })
                        }
                        Some(Lit::Bool(_)) => {}
                        _ => info.add_dynamic(Dynamic::Options),
                    }
                }
                "xfail" | "expectedFailure" => info.xfail = true,
                "parametrize" => {
                    let names = positional(0).or_else(|| keyword("argnames"));
                    let values = positional(1).or_else(|| keyword("argvalues"));
                    param_sets.push(Self::param_cases(names, values, keyword("ids")));
                }
                _ => {}
            }
        }
        if !param_sets.is_empty() {
            if param_sets.iter().any(Option::is_none) {
                info.add_dynamic(Dynamic::Params);
            } else {
                let mut cases: Vec<String> = vec![String::new()];
                for set in param_sets.into_iter().flatten() {
                    let mut next = Vec::with_capacity(cases.len() * set.len());
                    for c in &cases {
                        for s in &set {
                            next.push(if c.is_empty() {
                                s.clone()
                            } else {
                                format!("{c}-{s}")
                            });
                        }
                    }
                    cases = next;
                }
                dedupe_ids(&mut cases);
                info.cases = Some(cases);
            }
        }
        info.tags.sort();
        info.tags.dedup();
        info
    }

    fn def_info(&self, d: &Def) -> FuncInfo {
        self.func_info(&d.name, d.line, d.is_async, &d.decorators)
    }

    /// The case ids of one `@parametrize`, or None when not static.
    fn param_cases(
        names: Option<&Expr>,
        values: Option<&Expr>,
        ids: Option<&Expr>,
    ) -> Option<Vec<String>> {
        let names: Vec<String> = match Self::lit(names?)? {
            Lit::Str(s) => s
                .split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect(),
            Lit::Seq(v) => v
                .into_iter()
                .map(|x| match x {
                    Some(Lit::Str(s)) => Some(s),
                    _ => None,
                })
                .collect::<Option<_>>()?,
            _ => return None,
        };
        let (Expr::List(rows) | Expr::Tuple(rows)) = values? else {
            return None;
        };
        let rows: Vec<&Expr> = rows
            .iter()
            .filter(|c| !matches!(c, Expr::Comment))
            .collect();
        if rows
            .iter()
            .any(|r| matches!(r, Expr::ListSplat | Expr::ListComp))
        {
            return None;
        }
        let mut out: Vec<String> = Vec::with_capacity(rows.len());
        // `ids=[...]`: strings replace the generated id, `None` keeps it.
        let explicit: Option<Vec<Option<String>>> = match ids {
            Some(i) => match Self::lit(i)? {
                Lit::None => None,
                Lit::Seq(v) => Some(
                    v.into_iter()
                        .map(|x| match x {
                            Some(Lit::Str(s)) => Some(Some(s)),
                            Some(Lit::None) => Some(None),
                            _ => None,
                        })
                        .collect::<Option<Vec<_>>>()?,
                ),
                _ => return None,
            },
            None => None,
        };
        if explicit.as_ref().is_some_and(|e| e.len() != rows.len()) {
            return None;
        }
        for (idx, row) in rows.iter().enumerate() {
            if let Some(Some(given)) = explicit.as_ref().map(|e| e[idx].clone()) {
                out.push(given);
                continue;
            }
            // None: a value whose id only the import knows (the cases are dynamic).
            let one = |name: &str, v: Option<Lit>| match v {
                Some(Lit::Unsure) => None,
                v => Some(
                    v.and_then(|l| l.id())
                        .unwrap_or_else(|| format!("{name}{idx}")),
                ),
            };
            if names.len() == 1 {
                out.push(one(&names[0], Self::lit(row))?);
            } else {
                let (Expr::Tuple(k) | Expr::List(k) | Expr::Paren(k)) = row else {
                    return None;
                };
                if k.len() != names.len() {
                    return None;
                }
                let id: Vec<String> = names
                    .iter()
                    .zip(k)
                    .map(|(n, v)| one(n, Self::lit(v)))
                    .collect::<Option<_>>()?;
                out.push(id.join("-"));
            }
        }
        Some(out)
    }

    fn draft(info: FuncInfo) -> TestItemDraft {
        TestItemDraft {
            name: info.name,
            line: info.line,
            is_async: info.is_async,
            tags: info.tags,
            timeout: info.timeout,
            retries: info.retries,
            skip: info.skip,
            xfail: info.xfail,
            dynamic: info.dynamic,
            cases: info.cases,
        }
    }

    fn module_function(&mut self, def: &Def) {
        let info = self.def_info(def);
        if !(info.test_decorated || info.name.starts_with("test_") || info.name == "test") {
            return;
        }
        let d = Self::draft(info);
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

    fn bench_function(&mut self, def: &Def) {
        let info = self.def_info(def);
        if info.bench.is_empty() {
            return;
        }
        let entries = info.bench.clone();
        let mut d = Self::draft(info);
        for (var, entry) in entries {
            let Some(&idx) = self.groups.get(&var) else {
                continue;
            };
            d.name = entry;
            let group = &mut self.file.suites[idx];
            let start = group.items.len();
            items_into(
                &mut group.items,
                self.path,
                Some(&group.name),
                TestStyle::Bench,
                ItemKind::Bench,
                &d,
                &group.tags,
                Overrides::default(),
            );
            for it in &mut group.items[start..] {
                for x in &group.dynamic {
                    if !it.dynamic.contains(x) {
                        it.dynamic.push(*x);
                    }
                }
            }
        }
    }

    /// A class at module level, or nested in another class (`outer` is the
    /// qualified name of the enclosing class).
    fn class(&mut self, def: &Class, outer: Option<&str>) {
        let Some(simple) = def.name.clone() else {
            return;
        };
        let qual = match outer {
            Some(o) => format!("{o}::{simple}"),
            None => simple.clone(),
        };
        // Resolve the bases.
        let mut kind: Option<SuiteKind> = None;
        let mut unknown = false;
        let mut inherited: Vec<TestItemDraft> = Vec::new();
        let mut base_tags: Vec<String> = Vec::new();
        let mut dynamic_tags = false;
        if let Some(args) = &def.bases {
            for b in args {
                let target = match b {
                    Expr::Keyword { .. } => continue, // metaclass=...
                    Expr::Subscript(value) => value.as_deref(),
                    other => Some(other),
                };
                let Some(dotted) = target.and_then(Self::dotted) else {
                    unknown = true;
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
                    kind = kind.or(Some(SuiteKind::Suite));
                } else if rlast.ends_with("TestCase") {
                    kind = kind.or(Some(SuiteKind::Unittest));
                } else if let Some(facts) = self.classes.get(dotted.as_ref()).cloned() {
                    if facts.kind.is_some() {
                        kind = kind.or(facts.kind);
                    }
                    unknown |= facts.unknown_base;
                    for m in facts.methods {
                        inherited.retain(|x: &TestItemDraft| x.name != m.name);
                        inherited.push(m);
                    }
                    base_tags.extend(facts.tags);
                    dynamic_tags |= facts.dynamic_tags;
                } else if !NEUTRAL_BASES.contains(&last.as_str()) {
                    unknown = true;
                }
            }
        }
        // Class-level decorators: @skip, @xfail, @test(tags=...) apply to all.
        let class_info = self.func_info(&simple, def.line, false, &def.decorators);
        let Some(body) = &def.body else {
            return;
        };
        let mut own: Vec<FuncInfo> = Vec::new();
        let mut tags: Option<Vec<String>> = None;
        let mut nested: Vec<&Class> = Vec::new();
        for stmt in body {
            match stmt {
                Stmt::Def(d) => own.push(self.def_info(d)),
                Stmt::Class(c) => nested.push(c),
                Stmt::Assign {
                    left: Some((left, _)),
                    right,
                    ..
                } if left == "tags" => match right.as_ref().and_then(Self::string_list) {
                    Some(t) => {
                        tags = Some(t);
                        dynamic_tags = false;
                    }
                    None => dynamic_tags = true,
                },
                _ => {}
            }
        }
        let is_test_method = |k: Option<SuiteKind>, f: &FuncInfo| match k {
            Some(SuiteKind::Unittest) => f.name.starts_with("test"),
            _ => f.test_decorated || f.name.starts_with("test_"),
        };
        let looks_like_tests = own
            .iter()
            .any(|f| f.test_decorated || f.name.starts_with("test"))
            || simple.starts_with("Test");
        let mut methods = inherited;
        for f in own {
            let accepted = is_test_method(kind.or(Some(SuiteKind::Suite)), &f)
                || (kind.is_none() && f.name.starts_with("test"));
            methods.retain(|m| m.name != f.name);
            if accepted {
                methods.push(Self::draft(f));
            }
        }
        let mut suite_tags = tags.unwrap_or(base_tags);
        suite_tags.extend(class_info.tags.iter().cloned());
        suite_tags.sort();
        suite_tags.dedup();
        if class_info.dynamic.contains(&Dynamic::Tags) {
            dynamic_tags = true;
        }
        let line = def.line;
        let mut suite_dynamic = Vec::new();
        if dynamic_tags {
            suite_dynamic.push(Dynamic::Tags);
        }
        let ov = Overrides {
            skip: class_info.skip.as_ref(),
            xfail: class_info.xfail,
            dynamic_tags,
        };
        let mut suite = None;
        if let Some(k) = kind.filter(|_| !methods.is_empty()) {
            let style = if k == SuiteKind::Unittest {
                TestStyle::Unittest
            } else {
                TestStyle::Suite
            };
            let mut items = Vec::with_capacity(methods.len());
            for d in &methods {
                items_into(
                    &mut items,
                    self.path,
                    Some(&qual),
                    style,
                    ItemKind::Test,
                    d,
                    &suite_tags,
                    ov,
                );
            }
            suite = Some(SuiteNode {
                name: qual.clone(),
                kind: k,
                line,
                tags: suite_tags.clone(),
                dynamic: suite_dynamic.clone(),
                items,
            });
        }
        // Kept for subclasses later in the file (top-level classes are found
        // by their simple name, which is then also `qual`).
        let facts = ClassFacts {
            kind,
            unknown_base: unknown && kind.is_none(),
            methods,
            tags: suite_tags.clone(),
            dynamic_tags,
        };
        self.classes.insert(qual.clone(), facts);
        match suite {
            Some(node) => self.file.suites.push(node),
            None if kind.is_none() && unknown && looks_like_tests => {
                // The base lives in another module: one placeholder stands for
                // every test the class has after import.
                suite_dynamic.push(Dynamic::Inherited);
                let item = TestItem {
                    id: format!("{}::{qual}", self.path),
                    kind: ItemKind::Test,
                    style: TestStyle::Suite,
                    path: self.path.to_string(),
                    suite: Some(qual.clone()),
                    name: simple.clone(),
                    params: None,
                    line,
                    tags: suite_tags.clone(),
                    is_async: false,
                    timeout: None,
                    retries: None,
                    skip: class_info.skip.clone(),
                    xfail: class_info.xfail,
                    dynamic: suite_dynamic.clone(),
                };
                self.file.suites.push(SuiteNode {
                    name: qual.clone(),
                    kind: SuiteKind::Suite,
                    line,
                    tags: suite_tags.clone(),
                    dynamic: suite_dynamic,
                    items: vec![item],
                });
            }
            _ => {}
        }
        for n in nested {
            self.class(n, Some(&qual));
        }
    }
}

/// What a class's decorators and `tags` add to each of its methods.
#[derive(Debug, Default, Clone, Copy)]
struct Overrides<'o> {
    /// Used when the method has no skip reason of its own.
    skip: Option<&'o String>,
    xfail: bool,
    dynamic_tags: bool,
}

/// Push the items of one accepted function onto `out`: one, or one per
/// parametrize case. Strings are built to size and shared values are cloned
/// once per item only (this runs for every test of every file).
#[allow(clippy::too_many_arguments)]
fn items_into(
    out: &mut Vec<TestItem>,
    path: &str,
    suite: Option<&str>,
    style: TestStyle,
    kind: ItemKind,
    d: &TestItemDraft,
    extra_tags: &[String],
    ov: Overrides<'_>,
) {
    let mut tags: Vec<&String> = d.tags.iter().chain(extra_tags).collect();
    tags.sort();
    tags.dedup();
    let mut dynamic = d.dynamic.clone();
    if ov.dynamic_tags && !dynamic.contains(&Dynamic::Tags) {
        dynamic.push(Dynamic::Tags);
    }
    let skip = d.skip.as_ref().or(ov.skip);
    let suite_len = suite.map_or(0, |s| s.len() + 2);
    let mut prefix = String::with_capacity(path.len() + suite_len + 2 + d.name.len());
    prefix.push_str(path);
    if let Some(s) = suite {
        prefix.push_str("::");
        prefix.push_str(s);
    }
    prefix.push_str("::");
    prefix.push_str(&d.name);
    let make = |id: String, params: Option<String>| TestItem {
        id,
        kind,
        style,
        path: path.to_string(),
        suite: suite.map(str::to_string),
        name: d.name.clone(),
        params,
        line: d.line,
        tags: tags.iter().map(|t| (*t).clone()).collect(),
        is_async: d.is_async,
        timeout: d.timeout,
        retries: d.retries,
        skip: skip.cloned(),
        xfail: d.xfail || ov.xfail,
        dynamic: dynamic.clone(),
    };
    match &d.cases {
        // As at import: no cases is one skipped item, without brackets.
        Some(cases) if cases.is_empty() => {
            let mut item = make(prefix, None);
            item.skip
                .get_or_insert_with(|| "parametrize: no cases".to_string());
            out.push(item);
        }
        Some(cases) => {
            out.reserve(cases.len());
            for c in cases {
                let mut id = String::with_capacity(prefix.len() + c.len() + 2);
                id.push_str(&prefix);
                id.push('[');
                id.push_str(c);
                id.push(']');
                out.push(make(id, Some(c.clone())));
            }
        }
        None => out.push(make(prefix, None)),
    }
}

/// `Some(value)` when `a` is the keyword argument `want=value`.
fn kwarg<'e>(a: &'e Expr, want: &str) -> Option<Option<&'e Expr>> {
    match a {
        Expr::Keyword { name, value } if name.as_deref() == Some(want) => Some(value.as_deref()),
        _ => None,
    }
}

/// Duplicate case ids get a positional suffix (`a0`, `a1`), as at import.
fn dedupe_ids(ids: &mut [String]) {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for id in ids.iter() {
        *counts.entry(id.clone()).or_default() += 1;
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for id in ids.iter_mut() {
        if counts[id.as_str()] > 1 {
            let n = seen.entry(id.clone()).or_default();
            let new = format!("{id}{n}");
            *n += 1;
            *id = new;
        }
    }
}
