//! Statements: each logical line read as one, decorators attached to the
//! `def` or `class` they precede, class bodies nested by indentation.

use super::expr::P;
use super::lex::{Kind, Tok};
use crate::parse::ir::{Class, Def, Expr, Stmt};

impl P<'_> {
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
pub(super) struct Frame {
    pub(super) indent: usize,
    pub(super) stmts: Vec<Stmt>,
    pub(super) class: Option<Class>,
}

pub(super) struct Builder<'a> {
    pub(super) text: &'a str,
    pub(super) stack: Vec<Frame>,
    /// Decorators waiting for their `def`/`class` (at the same indentation).
    pub(super) decorators: Vec<Expr>,
    /// A class header whose body starts on the next line.
    pub(super) open_class: Option<Class>,
}

impl Builder<'_> {
    pub(super) fn close_frame(&mut self) -> Option<()> {
        let f = self.stack.pop()?;
        let mut class = f.class?;
        class.body = Some(f.stmts);
        self.stack.last_mut()?.stmts.push(Stmt::Class(class));
        Some(())
    }

    pub(super) fn line(&mut self, indent: usize, toks: &[Tok]) -> Option<()> {
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

    pub(super) fn finish(mut self) -> Option<Vec<Stmt>> {
        if self.open_class.is_some() || !self.decorators.is_empty() {
            return None;
        }
        while self.stack.len() > 1 {
            self.close_frame()?;
        }
        Some(self.stack.pop()?.stmts)
    }
}
