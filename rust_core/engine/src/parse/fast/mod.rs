//! A hand-written parser for the skeleton of ordinary test files, building the
//! same [`ir`](super::ir) tree tree-sitter's would, several times faster.
//!
//! Why: even on the skeleton, tree-sitter (~6 MB/s, plus a tree allocation per
//! file) was about 80% of cold discovery's CPU time. Test files are
//! overwhelmingly written in a tiny, regular subset of Python, and the
//! skeleton ([`super::scan`]) is already reduced to one-line headers, so a
//! direct parser of that subset is cheap.
//!
//! Forms taken (anything else makes it *decline* the whole file, which then
//! goes through tree-sitter, so no answer ever depends on this parser's
//! coverage):
//! - `import a.b [as c], ...`, `from [.]mod import name [as alias], ...` (with
//!   or without parentheses), `from mod import *`, `from __future__ import ...`;
//! - `def name(): ...` / `async def name(): ...` (the skeleton's header form);
//! - `class Name:`, `class Name(bases, kw=...):` (a body follows, or is
//!   `pass`/`...` on the same line);
//! - `@expr` decorators;
//! - `name = expr` (suite `tags = [...]`, `g = BenchmarkGroup("name", ...)`);
//! - `pass` and `...`; a trailing comment at the end of a line.
//!
//! Expressions: names, dotted names, calls (positional, `kw=value`, `*a`,
//! `**k`), subscripts of a name (`Generic[T]`), strings (any prefix but f/t,
//! adjacent strings), integers and floats, `True`/`False`/`None`, unary
//! `-`/`+`/`~`, parenthesized expressions, tuples, lists, sets and dicts.
//! Operators, comprehensions, lambdas, f-strings, comments inside brackets,
//! backslash continuations, annotations and tabs in indentation all decline.
//!
//! The parser reads a skeleton in three layers: `lex` splits it into
//! logical lines of tokens, `stmt` reads each line as a statement and
//! nests them into blocks, and `expr` reads the expressions (decorators,
//! bases, right-hand sides) of a line.

mod expr;
mod lex;
mod stmt;

use super::ir::Stmt;
use lex::{Lines, Tok};
use stmt::{Builder, Frame};

/// Parse a skeleton (from [`super::scan::skeleton`]) into the IR, or None
/// when it holds a form outside the subset above.
pub fn parse(skeleton: &str) -> Option<Vec<Stmt>> {
    parse_reusing(skeleton, &mut Scratch::default())
}

/// The token buffer of [`parse_reusing`], kept from one file to the next.
#[derive(Debug, Default)]
pub struct Scratch {
    toks: Vec<Tok>,
}

/// [`parse`] with a token buffer reused across files (same result).
pub fn parse_reusing(skeleton: &str, scratch: &mut Scratch) -> Option<Vec<Stmt>> {
    let mut lines = Lines {
        s: skeleton.as_bytes(),
        text: skeleton,
        pos: 0,
        line: 1,
    };
    let mut b = Builder {
        text: skeleton,
        stack: vec![Frame {
            indent: 0,
            stmts: Vec::new(),
            class: None,
        }],
        decorators: Vec::new(),
        open_class: None,
    };
    let toks = &mut scratch.toks;
    while let Some(indent) = lines.next(toks)? {
        b.line(indent, toks)?;
    }
    b.finish()
}
