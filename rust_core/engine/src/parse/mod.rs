//! The static parse of one test or benchmark file into a [`FileNode`],
//! without importing anything.
//!
//! The file is first reduced to its skeleton by [`scan`] (structural lines
//! only, same line numbers). The skeleton is read into a small syntax tree
//! ([`ir`]) by the hand-written [`fast`] parser when every line is in its
//! subset, else by tree-sitter's Python grammar (error tolerant, Python 3.12
//! syntax, and the source of syntax-error messages). The walker turns that
//! tree into a [`FileNode`] either way. `full` parses always go through
//! tree-sitter. Which forms are understood statically is documented in
//! `docs/discovery.md`.
//!
//! The walker, one module per concern:
//! - `walk`: the module level (imports, aliases, test functions);
//! - `class`: classes, their bases (in this file or not) and methods;
//! - `decorators`: what `@test`, `@skip`, `@xfail`, `@parametrize`... say;
//! - `params`: parametrize case ids (the twin of `dbtest/api/parametrize.py`);
//! - `bench`: benchmark groups and their entries;
//! - `hidden`: defs and classes under `if`/`try`, which only the import knows;
//! - `items`: the [`TestItem`](crate::tree::TestItem)s of an accepted test;
//! - `lit`: literal values read from the source.
//!
//! [`doctests`] finds the docstrings with examples, for `--doctest-modules`.

mod bench;
mod class;
pub mod collect_ignore;
mod decorators;
pub mod doctests;
pub mod fast;
mod hidden;
pub mod imports;
pub mod ir;
mod items;
mod lit;
mod params;
pub mod scan;
mod walk;

use crate::config::names::PythonNames;
use crate::tree::{CollectionError, FileNode, ItemKind};
use ir::Stmt;
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

/// Parse `src` (the file at `path`, relative to the root) into a file node,
/// by pytest's default name rules.
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
        (path, kind, src),
        full,
        front,
        &PythonNames::default(),
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

/// [`parse_file`] reusing `scratch`, by the project's name rules (`names`).
pub fn parse_file_reusing(
    scratch: &mut Scratch,
    path: &str,
    kind: ItemKind,
    src: &str,
    full: bool,
    names: &PythonNames,
) -> FileNode {
    let front = FrontEnd::for_parse(full);
    parse_inner(
        ParserRef::Lazy(&mut scratch.parser),
        &mut scratch.scan,
        &mut scratch.fast,
        (path, kind, src),
        full,
        front,
        names,
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

/// `file`: the path, kind and text of the file.
fn parse_inner(
    mut parser: ParserRef<'_>,
    scan: &mut scan::Scratch,
    fast_scratch: &mut fast::Scratch,
    (path, kind, src): (&str, ItemKind, &str),
    full: bool,
    front: FrontEnd,
    names: &PythonNames,
) -> Option<FileNode> {
    let mut node = FileNode {
        path: path.to_string(),
        kind,
        error: None,
        suites: Vec::new(),
        items: Vec::new(),
        uncollected: Vec::new(),
    };
    let error = |line: u32, message: String| CollectionError {
        path: path.to_string(),
        line,
        message,
    };
    let has_structure = match scan::skeleton_into(src, scan, &names.functions) {
        Ok(s) => s,
        Err(e) => {
            node.error = Some(error(e.line, format!("syntax error: {}", e.message)));
            return Some(node);
        }
    };
    // Defs under `if`/`try` are dropped from the skeleton but still named.
    if !has_structure && !full && scan.hidden().is_empty() {
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
    walk::walk(path, &mut node, &stmts, kind, names, scan.hidden());
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
