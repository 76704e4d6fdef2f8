//! Expressions of one logical line, by recursive descent: names, calls,
//! literals and collections become their IR; one with an operator at its
//! top is `Expr::Other` (the walker reads none of them).

use super::lex::{Kind, Tok, BINOPS};
use crate::parse::ir::Expr;

/// Python keywords (and tree-sitter-python's Python 2 statement words): never
/// a name in the subset.
const KEYWORDS: &[&str] = &[
    "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
    "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda",
    "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", "print",
    "exec", "True", "False", "None",
];

/// A recursive-descent parser over one logical line.
pub(super) struct P<'t> {
    pub(super) toks: &'t [Tok],
    pub(super) text: &'t str,
    pub(super) i: usize,
}

impl<'t> P<'t> {
    pub(super) fn peek(&self) -> Option<&'t Tok> {
        self.toks.get(self.i)
    }

    pub(super) fn at_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Tok { kind: Kind::Op(o), .. }) if *o == op)
    }

    pub(super) fn eat_op(&mut self, op: &str) -> bool {
        let at = self.at_op(op);
        self.i += at as usize;
        at
    }

    pub(super) fn expect_op(&mut self, op: &str) -> Option<()> {
        self.eat_op(op).then_some(())
    }

    pub(super) fn at_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(t) if t.kind == Kind::Name && self.src(t) == w)
    }

    pub(super) fn src(&self, t: &Tok) -> &'t str {
        &self.text[t.start..t.end]
    }

    pub(super) fn done(&self) -> bool {
        self.i == self.toks.len()
    }

    /// A name that is not a keyword.
    pub(super) fn name(&mut self) -> Option<String> {
        let t = self.peek()?;
        let w = self.src(t);
        if t.kind != Kind::Name || KEYWORDS.contains(&w) {
            return None;
        }
        self.i += 1;
        Some(w.to_string())
    }

    /// `a.b.c` as its source text (spaces included, as tree-sitter's node text).
    pub(super) fn dotted_text(&mut self) -> Option<String> {
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
    pub(super) fn expr(&mut self) -> Option<Expr> {
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
    pub(super) fn operand(&mut self) -> Option<Expr> {
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

    pub(super) fn primary(&mut self) -> Option<Expr> {
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

    pub(super) fn atom(&mut self) -> Option<Expr> {
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
                Some(Expr::Object)
            }
            _ => None,
        }
    }

    /// A collection element: an expression or `*expr`.
    pub(super) fn element(&mut self) -> Option<Expr> {
        if self.eat_op("*") {
            self.expr()?;
            return Some(Expr::ListSplat);
        }
        self.expr()
    }

    /// Comma-separated elements up to `close` (consumed), trailing comma allowed.
    pub(super) fn items(&mut self, close: &str, splats: bool) -> Option<Vec<Expr>> {
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

    /// After `{`: a set, or a dict (whose contents the walker never looks into).
    pub(super) fn brace(&mut self) -> Option<Expr> {
        if self.eat_op("}") {
            return Some(Expr::Object);
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
                return Some(Expr::Object);
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
                return Some(Expr::Object);
            }
        }
    }

    /// Call arguments up to `close`: positional before keywords, as Python requires.
    pub(super) fn args(&mut self, close: &str) -> Option<Vec<Expr>> {
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
}
