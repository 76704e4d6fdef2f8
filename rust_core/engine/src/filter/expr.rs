//! The `-E/--filter` expression language (grammar in `docs/filters.md`):
//!
//! ```text
//! or      := and (("|" | "or") and)*
//! and     := unary (("&" | "and") unary | "-" unary)*
//! unary   := ("!" | "not") unary | primary
//! primary := "(" or ")" | FUNC "(" matcher ")"
//! FUNC    := test | tag | file | suite | kind
//! matcher := "=" text | "~" text | "/" regex "/" | "#" glob | text
//! ```

use super::glob::Glob;
use super::FilterError;
use crate::tree::{Dynamic, ItemKind, TestItem};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Test,
    Tag,
    File,
    Suite,
    Kind,
}

#[derive(Debug, Clone)]
pub enum Matcher {
    Exact(String),
    Contains(String),
    Regex(regex::Regex),
    Glob(Glob),
}

impl Matcher {
    fn matches(&self, s: &str) -> bool {
        match self {
            Matcher::Exact(v) => s == v,
            Matcher::Contains(v) => s.contains(v.as_str()),
            Matcher::Regex(r) => r.is_match(s),
            Matcher::Glob(g) => g.matches(s),
        }
    }
}

/// A parsed expression.
#[derive(Debug, Clone)]
pub enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Pred(Field, Matcher),
    Kind(ItemKind),
}

impl Expr {
    pub fn eval(&self, it: &TestItem) -> bool {
        match self {
            Expr::Or(a, b) => a.eval(it) || b.eval(it),
            Expr::And(a, b) => a.eval(it) && b.eval(it),
            Expr::Not(a) => !a.eval(it),
            Expr::Kind(k) => it.kind == *k,
            Expr::Pred(field, m) => match field {
                Field::Test => match m {
                    Matcher::Exact(_) | Matcher::Glob(_) => {
                        crate::ids::tails(&it.id).any(|t| m.matches(t))
                    }
                    _ => m.matches(&it.id),
                },
                Field::Tag => it.tags.iter().any(|t| m.matches(t)),
                Field::File => m.matches(&it.path),
                Field::Suite => it.suite.as_deref().is_some_and(|s| m.matches(s)),
                Field::Kind => false,
            },
        }
    }

    /// Three-valued (Kleene) evaluation for an item whose tags are computed
    /// at import (`dynamic` has `Tags`): `None` means the answer depends on
    /// the tags found at import. The tags known statically (a suite's) are a
    /// subset of the real ones, so a match on them is already certain.
    pub fn eval3(&self, it: &TestItem) -> Option<bool> {
        match self {
            Expr::Or(a, b) => match (a.eval3(it), b.eval3(it)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
            Expr::And(a, b) => match (a.eval3(it), b.eval3(it)) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            Expr::Not(a) => a.eval3(it).map(|v| !v),
            Expr::Pred(Field::Tag, m) if it.dynamic.contains(&Dynamic::Tags) => {
                it.tags.iter().any(|t| m.matches(t)).then_some(true)
            }
            _ => Some(self.eval(it)),
        }
    }
}

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    src: &'a str,
}

fn err<T>(position: usize, message: impl Into<String>) -> Result<T, FilterError> {
    Err(FilterError {
        position,
        message: message.into(),
    })
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.chars.get(self.pos).copied()
    }

    /// The identifier at the cursor (without consuming it).
    fn word(&mut self) -> Option<String> {
        self.skip_ws();
        let mut end = self.pos;
        while self
            .chars
            .get(end)
            .is_some_and(|c| c.is_alphanumeric() || *c == '_')
        {
            end += 1;
        }
        (end > self.pos).then(|| self.chars[self.pos..end].iter().collect())
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if self.word().as_deref() == Some(w) {
            self.pos += w.chars().count();
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.and()?;
        loop {
            if self.peek() == Some('|') {
                self.pos += 1;
            } else if !self.eat_word("or") {
                return Ok(left);
            }
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.unary()?;
        loop {
            let negate = match self.peek() {
                Some('&') => {
                    self.pos += 1;
                    false
                }
                Some('-') => {
                    self.pos += 1;
                    true
                }
                _ if self.eat_word("and") => false,
                _ => return Ok(left),
            };
            let right = self.unary()?;
            let right = if negate {
                Expr::Not(Box::new(right))
            } else {
                right
            };
            left = Expr::And(Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        if self.peek() == Some('!') {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat_word("not") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, FilterError> {
        let at = {
            self.skip_ws();
            self.pos
        };
        match self.peek() {
            None => return err(at, "expected an expression, found the end"),
            Some('(') => {
                self.pos += 1;
                let e = self.or()?;
                if self.peek() != Some(')') {
                    let p = self.pos;
                    return err(
                        p,
                        format!("expected ')' to close the '(' at column {}", at + 1),
                    );
                }
                self.pos += 1;
                return Ok(e);
            }
            _ => {}
        }
        let Some(w) = self.word() else {
            let c = self.chars[at];
            return err(at, format!("unexpected '{c}': expected test(), tag(), file(), suite(), kind(), 'not' or '('"));
        };
        let field = match w.as_str() {
            "test" => Field::Test,
            "tag" => Field::Tag,
            "file" => Field::File,
            "suite" => Field::Suite,
            "kind" => Field::Kind,
            _ => {
                return err(
                    at,
                    format!("unknown function '{w}': expected test, tag, file, suite or kind"),
                )
            }
        };
        self.pos += w.chars().count();
        if self.peek() != Some('(') {
            let p = self.pos;
            return err(p, format!("expected '(' after '{w}'"));
        }
        self.pos += 1;
        let m = self.matcher(field)?;
        if self.peek() != Some(')') {
            let p = self.pos;
            return err(p, format!("expected ')' to close {w}("));
        }
        self.pos += 1;
        if field == Field::Kind {
            let value = match &m.1 {
                Matcher::Exact(v) | Matcher::Contains(v) => v.as_str(),
                _ => "",
            };
            return match value {
                "test" => Ok(Expr::Kind(ItemKind::Test)),
                "bench" => Ok(Expr::Kind(ItemKind::Bench)),
                _ => err(m.0, "kind() takes 'test' or 'bench'"),
            };
        }
        Ok(Expr::Pred(field, m.1))
    }

    /// The argument of a function call, with its position.
    fn matcher(&mut self, field: Field) -> Result<(usize, Matcher), FilterError> {
        self.skip_ws();
        let at = self.pos;
        let sigil = self.chars.get(self.pos).copied();
        match sigil {
            Some('/') => {
                self.pos += 1;
                let mut re = String::new();
                loop {
                    match self.chars.get(self.pos) {
                        None => return err(at, "unterminated /regex/"),
                        Some('\\') if self.chars.get(self.pos + 1) == Some(&'/') => {
                            re.push('/');
                            self.pos += 2;
                        }
                        Some('/') => {
                            self.pos += 1;
                            break;
                        }
                        Some(c) => {
                            re.push(*c);
                            self.pos += 1;
                        }
                    }
                }
                match regex::Regex::new(&re) {
                    Ok(r) => Ok((at, Matcher::Regex(r))),
                    Err(e) => {
                        let msg = e.to_string();
                        let last = msg
                            .lines()
                            .rev()
                            .find(|l| !l.trim().is_empty())
                            .unwrap_or("");
                        let last = last.trim().trim_start_matches("error:").trim();
                        err(at, format!("invalid regex: {last}"))
                    }
                }
            }
            Some(c @ ('=' | '~' | '#')) => {
                self.pos += 1;
                let text = self.text()?;
                Ok((
                    at,
                    match c {
                        '=' => Matcher::Exact(text),
                        '~' => Matcher::Contains(text),
                        _ => Matcher::Glob(Glob::new(&text)),
                    },
                ))
            }
            _ => {
                let text = self.text()?;
                // Bare values: substring for names and paths, exact for tags.
                Ok((
                    at,
                    match field {
                        Field::Tag | Field::Kind => Matcher::Exact(text),
                        _ => Matcher::Contains(text),
                    },
                ))
            }
        }
    }

    /// A quoted string or the raw text up to the closing `)`.
    fn text(&mut self) -> Result<String, FilterError> {
        self.skip_ws();
        let at = self.pos;
        if let Some(q @ ('"' | '\'')) = self.chars.get(self.pos).copied() {
            self.pos += 1;
            let mut s = String::new();
            loop {
                match self.chars.get(self.pos) {
                    None => return err(at, "unterminated string"),
                    Some('\\') if self.chars.get(self.pos + 1).is_some() => {
                        s.push(self.chars[self.pos + 1]);
                        self.pos += 2;
                    }
                    Some(c) if *c == q => {
                        self.pos += 1;
                        return Ok(s);
                    }
                    Some(c) => {
                        s.push(*c);
                        self.pos += 1;
                    }
                }
            }
        }
        let mut depth = 0usize;
        let start = self.pos;
        while let Some(&c) = self.chars.get(self.pos) {
            match c {
                '(' | '[' => depth += 1,
                ']' => depth = depth.saturating_sub(1),
                ')' if depth == 0 => break,
                ')' => depth -= 1,
                _ => {}
            }
            self.pos += 1;
        }
        let s: String = self.chars[start..self.pos]
            .iter()
            .collect::<String>()
            .trim()
            .to_string();
        if s.is_empty() {
            return err(at, "expected a value");
        }
        Ok(s)
    }
}

/// Parse an expression.
pub fn parse(src: &str) -> Result<Expr, FilterError> {
    let mut p = Parser {
        chars: src.chars().collect(),
        pos: 0,
        src,
    };
    let e = p.or()?;
    if let Some(c) = p.peek() {
        let at = p.pos;
        let hint = if c == ')' {
            "unmatched ')'".to_string()
        } else {
            format!("unexpected '{c}': expected '&', '|', '-', 'and' or 'or'")
        };
        return err(at, hint);
    }
    let _ = p.src;
    Ok(e)
}
