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

use super::ir::{self, Class, Def, Expr, Stmt};

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

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Name,
    Int,
    Float,
    Str,
    Op(&'static str),
}

#[derive(Debug, Clone)]
struct Tok {
    kind: Kind,
    start: usize,
    end: usize,
    line: u32,
    /// A string token's value (None for bytes).
    value: Option<String>,
}

/// Splits the skeleton into logical lines of tokens.
struct Lines<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    line: u32,
}

/// Operator tokens taken, longest first.
const OPS: &[&str] = &[
    "...", "**", "//", "<<", ">>", "==", "!=", "<=", ">=", "(", ")", "[", "]", "{", "}", ",", ":",
    ".", "=", "@", "*", "-", "+", "~", "/", "%", "|", "&", "^", "<", ">",
];

/// Binary operators: an expression using one is nothing the walker reads.
const BINOPS: &[&str] = &[
    "**", "//", "<<", ">>", "==", "!=", "<=", ">=", "@", "*", "-", "+", "/", "%", "|", "&", "^",
    "<", ">",
];

fn is_ident_start(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphabetic()
}

fn is_ident(c: u8) -> bool {
    is_ident_start(c) || c.is_ascii_digit()
}

impl<'a> Lines<'a> {
    /// The next logical line's tokens into `out`, and its indentation; None
    /// (outer) to decline, Some(None) at the end.
    fn next(&mut self, out: &mut Vec<Tok>) -> Option<Option<usize>> {
        let s = self.s;
        out.clear();
        loop {
            // Indentation; blank lines are skipped.
            let start = self.pos;
            while self.pos < s.len() && s[self.pos] == b' ' {
                self.pos += 1;
            }
            match s.get(self.pos) {
                None => return Some(None),
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                    continue;
                }
                Some(b'\r') if s.get(self.pos + 1) == Some(&b'\n') => {
                    self.pos += 2;
                    self.line += 1;
                    continue;
                }
                Some(b'\t' | b'\x0c') => return None,
                _ => {}
            }
            let indent = self.pos - start;
            let mut depth = 0usize;
            while let Some(&c) = s.get(self.pos) {
                match c {
                    b'\n' => {
                        self.pos += 1;
                        self.line += 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    b' ' | b'\r' => self.pos += 1,
                    b'#' => {
                        if depth > 0 {
                            return None;
                        }
                        while self.pos < s.len() && s[self.pos] != b'\n' {
                            self.pos += 1;
                        }
                    }
                    b'\'' | b'"' => out.push(self.string(self.pos)?),
                    _ if is_ident_start(c) => {
                        let t0 = self.pos;
                        while self.pos < s.len() && is_ident(s[self.pos]) {
                            self.pos += 1;
                        }
                        if matches!(s.get(self.pos), Some(b'\'' | b'"')) {
                            out.push(self.string(t0)?);
                        } else {
                            out.push(self.tok(Kind::Name, t0));
                        }
                    }
                    _ if c.is_ascii_digit()
                        || (c == b'.' && s.get(self.pos + 1).is_some_and(u8::is_ascii_digit)) =>
                    {
                        out.push(self.number()?);
                    }
                    _ => {
                        let rest = &s[self.pos..];
                        let op = OPS.iter().find(|o| rest.starts_with(o.as_bytes()))?;
                        // Augmented assignments, `->` and `:=` are not taken.
                        let next = rest.get(op.len());
                        let comparison = matches!(*op, "==" | "!=" | "<=" | ">=" | "<" | ">");
                        if (next == Some(&b'=') && !comparison)
                            || (*op == "-" && next == Some(&b'>'))
                        {
                            return None;
                        }
                        let t0 = self.pos;
                        self.pos += op.len();
                        match *op {
                            "(" | "[" | "{" => depth += 1,
                            ")" | "]" | "}" => depth = depth.checked_sub(1)?,
                            _ => {}
                        }
                        out.push(self.tok(Kind::Op(op), t0));
                    }
                }
            }
            if depth != 0 {
                return None;
            }
            if out.is_empty() {
                continue; // a comment-only line
            }
            return Some(Some(indent));
        }
    }

    fn tok(&self, kind: Kind, start: usize) -> Tok {
        Tok {
            kind,
            start,
            end: self.pos,
            line: self.line,
            value: None,
        }
    }

    /// A string literal starting at `t0` (its prefix), the quote at `pos`.
    fn string(&mut self, t0: usize) -> Option<Tok> {
        let s = self.s;
        let prefix = &s[t0..self.pos];
        if prefix.len() > 2
            || prefix
                .iter()
                .any(|c| !matches!(c.to_ascii_lowercase(), b'r' | b'b' | b'u'))
        {
            return None; // f/t-strings and non-prefixes
        }
        let q = s[self.pos];
        let triple = s.get(self.pos + 1) == Some(&q) && s.get(self.pos + 2) == Some(&q);
        let qlen = if triple { 3 } else { 1 };
        let line = self.line;
        let body0 = self.pos + qlen;
        let mut i = body0;
        loop {
            let c = *s.get(i)?;
            if c == b'\\' {
                // A continuation inside a string: leave it to tree-sitter.
                if matches!(s.get(i + 1), Some(b'\n' | b'\r') | None) {
                    return None;
                }
                i += 2;
            } else if c == q && (!triple || s[i..].starts_with(&[q, q, q])) {
                break;
            } else {
                if c == b'\n' {
                    if !triple {
                        return None;
                    }
                    self.line += 1;
                }
                i += 1;
            }
        }
        let value = ir::string_value(&self.text[t0..body0], self.text.get(body0..i)?);
        self.pos = i + qlen;
        Some(Tok {
            kind: Kind::Str,
            start: t0,
            end: self.pos,
            line,
            value,
        })
    }

    fn number(&mut self) -> Option<Tok> {
        let s = self.s;
        let t0 = self.pos;
        let mut prev = 0u8;
        while let Some(&c) = s.get(self.pos) {
            let exp_sign = matches!(c, b'+' | b'-') && matches!(prev, b'e' | b'E');
            if !(c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || exp_sign) {
                break;
            }
            prev = c;
            self.pos += 1;
        }
        let t = &self.text[t0..self.pos];
        let lower = t.to_ascii_lowercase();
        let digits_ok = |body: &str, ok: fn(&u8) -> bool| {
            !body.is_empty() && body.bytes().all(|c| c == b'_' || ok(&c))
        };
        let kind = if let Some(h) = lower.strip_prefix("0x") {
            digits_ok(h, u8::is_ascii_hexdigit).then_some(Kind::Int)?
        } else if let Some(o) = lower.strip_prefix("0o") {
            digits_ok(o, |c| (b'0'..=b'7').contains(c)).then_some(Kind::Int)?
        } else if let Some(b) = lower.strip_prefix("0b") {
            digits_ok(b, |c| matches!(c, b'0' | b'1')).then_some(Kind::Int)?
        } else if lower.bytes().all(|c| c.is_ascii_digit() || c == b'_') {
            // `007` is a syntax error in Python 3.
            if lower.len() > 1 && lower.starts_with('0') && lower.bytes().any(|c| c != b'0') {
                return None;
            }
            Kind::Int
        } else {
            // A decimal float: digits, one `.`, an exponent; no `j`, no `_` at odd places.
            let (mant, exp) = match lower.split_once('e') {
                Some((m, e)) => (m, Some(e)),
                None => (lower.as_str(), None),
            };
            let mant_ok = mant.bytes().filter(|c| *c == b'.').count() <= 1
                && mant.bytes().any(|c| c.is_ascii_digit())
                && mant.bytes().all(|c| c.is_ascii_digit() || c == b'.');
            let exp_ok = exp.is_none_or(|e| {
                let e = e.strip_prefix(['+', '-']).unwrap_or(e);
                !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit())
            });
            (mant_ok && exp_ok).then_some(Kind::Float)?
        };
        Some(self.tok(kind, t0))
    }
}

/// Python keywords (and tree-sitter-python's Python 2 statement words): never
/// a name in the subset.
const KEYWORDS: &[&str] = &[
    "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
    "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda",
    "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", "print",
    "exec", "True", "False", "None",
];

/// A recursive-descent parser over one logical line.
struct P<'t> {
    toks: &'t [Tok],
    text: &'t str,
    i: usize,
}

impl<'t> P<'t> {
    fn peek(&self) -> Option<&'t Tok> {
        self.toks.get(self.i)
    }

    fn at_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Tok { kind: Kind::Op(o), .. }) if *o == op)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        let at = self.at_op(op);
        self.i += at as usize;
        at
    }

    fn expect_op(&mut self, op: &str) -> Option<()> {
        self.eat_op(op).then_some(())
    }

    fn at_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(t) if t.kind == Kind::Name && self.src(t) == w)
    }

    fn src(&self, t: &Tok) -> &'t str {
        &self.text[t.start..t.end]
    }

    fn done(&self) -> bool {
        self.i == self.toks.len()
    }

    /// A name that is not a keyword.
    fn name(&mut self) -> Option<String> {
        let t = self.peek()?;
        let w = self.src(t);
        if t.kind != Kind::Name || KEYWORDS.contains(&w) {
            return None;
        }
        self.i += 1;
        Some(w.to_string())
    }

    /// `a.b.c` as its source text (spaces included, as tree-sitter's node text).
    fn dotted_text(&mut self) -> Option<String> {
        let start = self.peek()?.start;
        self.name()?;
        while self.eat_op(".") {
            self.name()?;
        }
        Some(self.text[start..self.toks[self.i - 1].end].to_string())
    }

    /// An expression. One with a binary, comparison, boolean or conditional
    /// operator at its top is [`Expr::Other`] (the walker reads none of
    /// them), so precedence does not matter.
    fn expr(&mut self) -> Option<Expr> {
        let first = self.operand()?;
        let mut operators = false;
        loop {
            let t = self.peek();
            let binop = matches!(t, Some(Tok { kind: Kind::Op(o), .. }) if BINOPS.contains(o));
            if binop || ["and", "or", "in"].iter().any(|w| self.at_word(w)) {
                self.i += 1;
            } else if self.at_word("is") {
                self.i += 1;
                if self.at_word("not") {
                    self.i += 1;
                }
            } else if self.at_word("not") {
                self.i += 1;
                if !self.at_word("in") {
                    return None;
                }
                self.i += 1;
            } else if self.at_word("if") {
                self.i += 1;
                self.expr()?;
                if !self.at_word("else") {
                    return None;
                }
                self.i += 1;
                self.expr()?;
                return Some(Expr::Other);
            } else {
                break;
            }
            self.operand()?;
            operators = true;
        }
        Some(if operators { Expr::Other } else { first })
    }

    /// A primary with any prefix operators (`-x`, `not x`).
    fn operand(&mut self) -> Option<Expr> {
        if self.at_word("not") {
            self.i += 1;
            self.operand()?;
            return Some(Expr::Other);
        }
        for op in ["-", "+", "~"] {
            if self.eat_op(op) {
                let arg = self.operand()?;
                return Some(Expr::Unary {
                    op: Some(op.to_string()),
                    arg: Some(Box::new(arg)),
                });
            }
        }
        self.primary()
    }

    fn primary(&mut self) -> Option<Expr> {
        let mut e = self.atom()?;
        loop {
            if self.eat_op(".") {
                let attr = self.name()?;
                e = Expr::Attr(Box::new(e), attr);
            } else if self.eat_op("(") {
                let args = self.args(")")?;
                e = Expr::Call {
                    func: Some(Box::new(e)),
                    args: Some(args),
                };
            } else if self.eat_op("[") {
                // Only `name[...]` (class bases such as `Generic[T]`).
                if !matches!(e, Expr::Name(_) | Expr::Attr(..)) {
                    return None;
                }
                self.items("]", false)?;
                e = Expr::Subscript(Some(Box::new(e)));
            } else {
                return Some(e);
            }
        }
    }

    fn atom(&mut self) -> Option<Expr> {
        let t = self.peek()?;
        match t.kind {
            Kind::Name => {
                let e = match self.src(t) {
                    "True" => Expr::True,
                    "False" => Expr::False,
                    "None" => Expr::None,
                    _ => return self.name().map(Expr::Name),
                };
                self.i += 1;
                Some(e)
            }
            Kind::Int => {
                self.i += 1;
                Some(Expr::Int(self.src(t).to_string()))
            }
            Kind::Float => {
                self.i += 1;
                Some(Expr::Float(self.src(t).to_string()))
            }
            Kind::Str => {
                let mut parts = Vec::new();
                while let Some(t) = self.peek().filter(|t| t.kind == Kind::Str) {
                    parts.push(Expr::Str(t.value.clone()));
                    self.i += 1;
                }
                Some(if parts.len() == 1 {
                    parts.pop()?
                } else {
                    Expr::Concat(parts)
                })
            }
            Kind::Op("(") => {
                self.i += 1;
                if self.eat_op(")") {
                    return Some(Expr::Tuple(Vec::new()));
                }
                let first = self.element()?;
                if self.eat_op(")") {
                    // `(*a)` is not an expression.
                    return (first != Expr::ListSplat).then_some(Expr::Paren(vec![first]));
                }
                self.expect_op(",")?;
                let mut items = vec![first];
                items.extend(self.items(")", true)?);
                Some(Expr::Tuple(items))
            }
            Kind::Op("[") => {
                self.i += 1;
                Some(Expr::List(self.items("]", true)?))
            }
            Kind::Op("{") => {
                self.i += 1;
                self.brace()
            }
            Kind::Op("...") => {
                self.i += 1;
                Some(Expr::Other)
            }
            _ => None,
        }
    }

    /// A collection element: an expression or `*expr`.
    fn element(&mut self) -> Option<Expr> {
        if self.eat_op("*") {
            self.expr()?;
            return Some(Expr::ListSplat);
        }
        self.expr()
    }

    /// Comma-separated elements up to `close` (consumed), trailing comma allowed.
    fn items(&mut self, close: &str, splats: bool) -> Option<Vec<Expr>> {
        let mut out = Vec::new();
        loop {
            if self.eat_op(close) {
                return Some(out);
            }
            let e = if splats {
                self.element()?
            } else {
                self.expr()?
            };
            out.push(e);
            if !self.eat_op(",") {
                self.expect_op(close)?;
                return Some(out);
            }
        }
    }

    /// After `{`: a set, or a dict (which the walker never looks into).
    fn brace(&mut self) -> Option<Expr> {
        if self.eat_op("}") {
            return Some(Expr::Other);
        }
        let dict = self.at_op("**") || {
            let save = self.i;
            let first = self.element();
            let is_dict = first.is_some() && self.at_op(":");
            self.i = save;
            is_dict
        };
        if !dict {
            return Some(Expr::Set(self.items("}", true)?));
        }
        loop {
            if self.eat_op("}") {
                return Some(Expr::Other);
            }
            if self.eat_op("**") {
                self.expr()?;
            } else {
                self.expr()?;
                self.expect_op(":")?;
                self.expr()?;
            }
            if !self.eat_op(",") {
                self.expect_op("}")?;
                return Some(Expr::Other);
            }
        }
    }

    /// Call arguments up to `close`: positional before keywords, as Python requires.
    fn args(&mut self, close: &str) -> Option<Vec<Expr>> {
        let mut out = Vec::new();
        let mut keywords = false;
        loop {
            if self.eat_op(close) {
                return Some(out);
            }
            let a = if self.eat_op("**") {
                self.expr()?;
                keywords = true;
                Expr::DictSplat
            } else if self.eat_op("*") {
                if keywords {
                    return None;
                }
                self.expr()?;
                Expr::ListSplat
            } else if matches!(
                self.toks.get(self.i + 1),
                Some(Tok {
                    kind: Kind::Op("="),
                    ..
                })
            ) {
                let name = self.name()?;
                self.i += 1;
                keywords = true;
                Expr::Keyword {
                    name: Some(name),
                    value: Some(Box::new(self.expr()?)),
                }
            } else {
                if keywords {
                    return None;
                }
                self.expr()?
            };
            out.push(a);
            if !self.eat_op(",") {
                self.expect_op(close)?;
                return Some(out);
            }
        }
    }

    /// `import a.b as c, d`
    fn import(&mut self) -> Option<Stmt> {
        let mut names = Vec::new();
        loop {
            let name = self.dotted_text()?;
            let alias = if self.at_word("as") {
                self.i += 1;
                Some(self.name()?)
            } else {
                None
            };
            names.push((name, alias));
            if !self.eat_op(",") {
                break;
            }
        }
        Some(Stmt::Import(names))
    }

    /// `from .mod import (a as b, c)`
    fn import_from(&mut self) -> Option<Stmt> {
        let start = self.peek()?.start;
        let mut dots = false;
        while self.eat_op(".") {
            dots = true;
        }
        if !(dots && self.at_word("import")) {
            self.dotted_text()?;
        }
        let module = self.text[start..self.toks[self.i - 1].end].to_string();
        if !self.at_word("import") {
            return None;
        }
        self.i += 1;
        let mut names = Vec::new();
        if self.eat_op("*") {
            return self.done().then_some(Stmt::FromImport { module, names });
        }
        let paren = self.eat_op("(");
        loop {
            if paren && self.eat_op(")") {
                break;
            }
            let name = self.name()?;
            let alias = if self.at_word("as") {
                self.i += 1;
                self.name()?
            } else {
                name.clone()
            };
            names.push((name, alias));
            if !self.eat_op(",") {
                if paren {
                    self.expect_op(")")?;
                }
                break;
            }
        }
        if names.is_empty() {
            return None;
        }
        if module == "__future__" {
            // tree-sitter's future_import_statement, which says nothing about tests.
            return Some(Stmt::Other);
        }
        Some(Stmt::FromImport { module, names })
    }
}

/// One block being filled: the module, or the body of `class`.
struct Frame {
    indent: usize,
    stmts: Vec<Stmt>,
    class: Option<Class>,
}

struct Builder<'a> {
    text: &'a str,
    stack: Vec<Frame>,
    /// Decorators waiting for their `def`/`class` (at the same indentation).
    decorators: Vec<Expr>,
    /// A class header whose body starts on the next line.
    open_class: Option<Class>,
}

impl Builder<'_> {
    fn close_frame(&mut self) -> Option<()> {
        let f = self.stack.pop()?;
        let mut class = f.class?;
        class.body = Some(f.stmts);
        self.stack.last_mut()?.stmts.push(Stmt::Class(class));
        Some(())
    }

    fn line(&mut self, indent: usize, toks: &[Tok]) -> Option<()> {
        let top = self.stack.last()?.indent;
        if let Some(class) = self.open_class.take() {
            if indent <= top {
                return None;
            }
            self.stack.push(Frame {
                indent,
                stmts: Vec::new(),
                class: Some(class),
            });
        } else {
            while indent < self.stack.last()?.indent {
                if !self.decorators.is_empty() {
                    return None;
                }
                self.close_frame()?;
            }
            if indent != self.stack.last()?.indent {
                return None;
            }
        }
        let mut p = P {
            toks,
            text: self.text,
            i: 0,
        };
        let first = &toks[0];
        let line = first.line;
        let word = (first.kind == Kind::Name).then(|| p.src(first));
        let is_def = word == Some("def")
            || (word == Some("async") && toks.get(1).is_some_and(|t| p.src(t) == "def"));
        let is_class = word == Some("class");
        if !(self.decorators.is_empty() || is_def || is_class || p.at_op("@")) {
            return None;
        }
        let stmt = if p.eat_op("@") {
            let e = p.expr()?;
            if !p.done() {
                return None;
            }
            self.decorators.push(e);
            return Some(());
        } else if is_def {
            // The skeleton's form: `[async] def name(): ...`.
            let is_async = word == Some("async");
            p.i += 1 + is_async as usize;
            let name = p.name()?;
            for op in ["(", ")", ":", "..."] {
                p.expect_op(op)?;
            }
            if !p.done() {
                return None;
            }
            Stmt::Def(Def {
                line,
                name,
                is_async,
                decorators: std::mem::take(&mut self.decorators),
            })
        } else if is_class {
            p.i += 1;
            let name = p.name()?;
            let bases = if p.eat_op("(") {
                Some(p.args(")")?)
            } else {
                None
            };
            p.expect_op(":")?;
            let mut class = Class {
                line,
                name: Some(name),
                bases,
                decorators: std::mem::take(&mut self.decorators),
                body: None,
            };
            if p.done() {
                self.open_class = Some(class);
                return Some(());
            }
            // `class A: pass` / `class A: ...`
            if !(p.at_word("pass") || p.at_op("...")) {
                return None;
            }
            p.i += 1;
            if !p.done() {
                return None;
            }
            class.body = Some(vec![Stmt::Other]);
            Stmt::Class(class)
        } else if word == Some("import") {
            p.i += 1;
            p.import()?
        } else if word == Some("from") {
            p.i += 1;
            p.import_from()?
        } else if word == Some("pass") || p.at_op("...") {
            p.i += 1;
            Stmt::Other
        } else if word.is_some() && toks.get(1).is_some_and(|t| t.kind == Kind::Op("=")) {
            let left = p.name()?;
            p.i += 1;
            let right = p.expr()?;
            Stmt::Assign {
                line,
                left: Some((left, true)),
                right: Some(right),
            }
        } else {
            return None;
        };
        if !p.done() {
            return None;
        }
        self.stack.last_mut()?.stmts.push(stmt);
        Some(())
    }

    fn finish(mut self) -> Option<Vec<Stmt>> {
        if self.open_class.is_some() || !self.decorators.is_empty() {
            return None;
        }
        while self.stack.len() > 1 {
            self.close_frame()?;
        }
        Some(self.stack.pop()?.stmts)
    }
}
