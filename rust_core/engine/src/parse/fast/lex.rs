//! The skeleton split into logical lines of tokens (brackets join lines);
//! a token outside the subset declines the file.

use crate::parse::ir;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Name,
    Int,
    Float,
    Str,
    Op(&'static str),
}

#[derive(Debug, Clone)]
pub(super) struct Tok {
    pub(super) kind: Kind,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) line: u32,
    /// A string token's value (None for bytes).
    pub(super) value: Option<String>,
}

/// Splits the skeleton into logical lines of tokens.
pub(super) struct Lines<'a> {
    pub(super) s: &'a [u8],
    pub(super) text: &'a str,
    pub(super) pos: usize,
    pub(super) line: u32,
}

/// Operator tokens taken, longest first.
const OPS: &[&str] = &[
    "...", "**", "//", "<<", ">>", "==", "!=", "<=", ">=", "(", ")", "[", "]", "{", "}", ",", ":",
    ".", "=", "@", "*", "-", "+", "~", "/", "%", "|", "&", "^", "<", ">",
];

/// Binary operators: an expression using one is nothing the walker reads.
pub(super) const BINOPS: &[&str] = &[
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
    pub(super) fn next(&mut self, out: &mut Vec<Tok>) -> Option<Option<usize>> {
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
