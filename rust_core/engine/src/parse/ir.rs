//! The small syntax tree the [`Walker`](super) reads: just the statements and
//! expressions that say something about tests, in source order.
//!
//! Two front ends build it: [`from_tree_sitter`] (any Python, through
//! tree-sitter) and [`super::fast`] (a hand-written parser for the common
//! subset, several times faster). The walker that turns it into a
//! [`FileNode`](crate::tree::FileNode) is shared, so both paths give the same
//! answer for the same tree; the differential tests compare the trees' results.
//!
//! The shape mirrors tree-sitter's node kinds where the walker distinguishes
//! them (e.g. a comment inside brackets, a parenthesized expression vs a
//! tuple); every kind the walker never looks at is [`Expr::Other`].

use tree_sitter::Node;

/// An expression, as far as the walker looks into it.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Name(String),
    /// `object.attribute`.
    Attr(Box<Expr>, String),
    /// `func(args)`; `args` are the argument list's children (positional
    /// values, [`Expr::Keyword`], splats, comments).
    Call {
        func: Option<Box<Expr>>,
        args: Option<Vec<Expr>>,
    },
    /// `name=value` inside an argument list.
    Keyword {
        name: Option<String>,
        value: Option<Box<Expr>>,
    },
    /// A string literal's value; None for an f-string with fields or bytes.
    Str(Option<String>),
    /// Adjacent string literals.
    Concat(Vec<Expr>),
    /// Integer literal text (`0x1F`, `1_000`).
    Int(String),
    /// Float literal text.
    Float(String),
    True,
    False,
    None,
    Unary {
        op: Option<String>,
        arg: Option<Box<Expr>>,
    },
    /// `( ... )` that is not a tuple: its children.
    Paren(Vec<Expr>),
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    Set(Vec<Expr>),
    /// `value[...]`: only the value matters (class bases such as `Generic[T]`).
    Subscript(Option<Box<Expr>>),
    ListSplat,
    DictSplat,
    ListComp,
    /// A display that builds an object of none of the literal kinds: a
    /// dict, a lambda, `...`, a dict/set comprehension or generator.
    Object,
    Comment,
    Other,
}

/// A statement at module level or in a class body.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    /// `import a.b, c as d`: (dotted name, alias).
    Import(Vec<(String, Option<String>)>),
    /// `from module import name as alias` (a plain name is its own alias).
    FromImport {
        module: String,
        names: Vec<(String, String)>,
    },
    /// `left = right` (possibly annotated).
    Assign {
        line: u32,
        /// Source text of the target, and whether it is a plain name.
        left: Option<(String, bool)>,
        right: Option<Expr>,
    },
    Def(Def),
    Class(Class),
    Other,
}

/// A `def` header with its decorators (each decorator's expression).
#[derive(Debug, Clone, PartialEq)]
pub struct Def {
    pub line: u32,
    pub name: String,
    pub is_async: bool,
    pub decorators: Vec<Expr>,
}

/// A `class` with its decorators, bases and body.
#[derive(Debug, Clone, PartialEq)]
pub struct Class {
    pub line: u32,
    pub name: Option<String>,
    pub bases: Option<Vec<Expr>>,
    pub decorators: Vec<Expr>,
    pub body: Option<Vec<Stmt>>,
}

fn named(n: Node) -> impl Iterator<Item = Node> {
    (0..n.named_child_count() as u32).filter_map(move |i| n.named_child(i))
}

fn line(n: Node) -> u32 {
    n.start_position().row as u32 + 1
}

/// Builds the IR from a tree-sitter tree of a file without errors.
struct Conv<'a> {
    src: &'a [u8],
}

/// The module's statements from a tree-sitter `module` node.
pub fn from_tree_sitter(root: Node, src: &[u8]) -> Vec<Stmt> {
    let c = Conv { src };
    named(root).map(|s| c.stmt(s)).collect()
}

impl<'a> Conv<'a> {
    fn text(&self, n: Node) -> String {
        std::str::from_utf8(&self.src[n.byte_range()])
            .unwrap_or("")
            .to_string()
    }

    fn stmt(&self, n: Node) -> Stmt {
        match n.kind() {
            "import_statement" => Stmt::Import(
                named(n)
                    .filter_map(|c| match c.kind() {
                        "dotted_name" => Some((self.text(c), None)),
                        "aliased_import" => match (
                            c.child_by_field_name("name"),
                            c.child_by_field_name("alias"),
                        ) {
                            (Some(a), Some(b)) => Some((self.text(a), Some(self.text(b)))),
                            _ => None,
                        },
                        _ => None,
                    })
                    .collect(),
            ),
            "import_from_statement" => {
                let mut cursor = n.walk();
                let names = n
                    .children_by_field_name("name", &mut cursor)
                    .filter_map(|c| match c.kind() {
                        "aliased_import" => match (
                            c.child_by_field_name("name"),
                            c.child_by_field_name("alias"),
                        ) {
                            (Some(a), Some(b)) => Some((self.text(a), self.text(b))),
                            _ => None,
                        },
                        _ => Some((self.text(c), self.text(c))),
                    })
                    .collect();
                Stmt::FromImport {
                    module: n
                        .child_by_field_name("module_name")
                        .map(|m| self.text(m))
                        .unwrap_or_default(),
                    names,
                }
            }
            "expression_statement" => match named(n).next().filter(|a| a.kind() == "assignment") {
                Some(asg) => Stmt::Assign {
                    line: line(n),
                    left: asg
                        .child_by_field_name("left")
                        .map(|l| (self.text(l), l.kind() == "identifier")),
                    right: asg.child_by_field_name("right").map(|r| self.expr(r)),
                },
                None => Stmt::Other,
            },
            "function_definition" => self.def(n, Vec::new()),
            "class_definition" => self.class(n, Vec::new()),
            "decorated_definition" => {
                let decos: Vec<Expr> = named(n)
                    .filter(|c| c.kind() == "decorator")
                    .filter_map(|d| named(d).next().map(|e| self.expr(e)))
                    .collect();
                match n.child_by_field_name("definition") {
                    Some(d) if d.kind() == "function_definition" => self.def(d, decos),
                    Some(d) if d.kind() == "class_definition" => self.class(d, decos),
                    _ => Stmt::Other,
                }
            }
            _ => Stmt::Other,
        }
    }

    fn def(&self, n: Node, decorators: Vec<Expr>) -> Stmt {
        Stmt::Def(Def {
            line: line(n),
            name: n
                .child_by_field_name("name")
                .map(|c| self.text(c))
                .unwrap_or_default(),
            is_async: n.child(0).is_some_and(|c| c.kind() == "async"),
            decorators,
        })
    }

    fn class(&self, n: Node, decorators: Vec<Expr>) -> Stmt {
        Stmt::Class(Class {
            line: line(n),
            name: n.child_by_field_name("name").map(|c| self.text(c)),
            bases: n
                .child_by_field_name("superclasses")
                .map(|a| self.children(a)),
            decorators,
            body: n
                .child_by_field_name("body")
                .map(|b| named(b).map(|s| self.stmt(s)).collect()),
        })
    }

    fn children(&self, n: Node) -> Vec<Expr> {
        named(n).map(|c| self.expr(c)).collect()
    }

    fn boxed(&self, n: Option<Node>) -> Option<Box<Expr>> {
        n.map(|c| Box::new(self.expr(c)))
    }

    fn expr(&self, n: Node) -> Expr {
        match n.kind() {
            "identifier" => Expr::Name(self.text(n)),
            "attribute" => match (
                n.child_by_field_name("object"),
                n.child_by_field_name("attribute"),
            ) {
                (Some(o), Some(a)) => Expr::Attr(Box::new(self.expr(o)), self.text(a)),
                _ => Expr::Other,
            },
            "call" => Expr::Call {
                func: self.boxed(n.child_by_field_name("function")),
                args: n.child_by_field_name("arguments").map(|a| self.children(a)),
            },
            "keyword_argument" => Expr::Keyword {
                name: n.child_by_field_name("name").map(|k| self.text(k)),
                value: self.boxed(n.child_by_field_name("value")),
            },
            "string" => Expr::Str(self.string(n)),
            "concatenated_string" => Expr::Concat(self.children(n)),
            "integer" => Expr::Int(self.text(n)),
            "float" => Expr::Float(self.text(n)),
            "true" => Expr::True,
            "false" => Expr::False,
            "none" => Expr::None,
            "unary_operator" => Expr::Unary {
                op: n.child_by_field_name("operator").map(|o| self.text(o)),
                arg: self.boxed(n.child_by_field_name("argument")),
            },
            "parenthesized_expression" => Expr::Paren(self.children(n)),
            "list" => Expr::List(self.children(n)),
            "tuple" => Expr::Tuple(self.children(n)),
            "set" => Expr::Set(self.children(n)),
            "subscript" => Expr::Subscript(self.boxed(n.child_by_field_name("value"))),
            "list_splat" => Expr::ListSplat,
            "dictionary_splat" => Expr::DictSplat,
            "list_comprehension" => Expr::ListComp,
            "dictionary"
            | "dictionary_comprehension"
            | "set_comprehension"
            | "generator_expression"
            | "lambda"
            | "ellipsis" => Expr::Object,
            "comment" => Expr::Comment,
            _ => Expr::Other,
        }
    }

    /// The value of a plain (non-f, non-bytes) string literal.
    fn string(&self, n: Node) -> Option<String> {
        let mut prefix = String::new();
        let mut body = String::new();
        for c in named(n) {
            match c.kind() {
                "string_start" => prefix = self.text(c),
                "string_content" => body.push_str(&self.text(c)),
                "string_end" => {}
                _ => return None, // interpolation: an f-string with fields
            }
        }
        string_value(&prefix, &body)
    }
}

/// A string literal's value from its opening (prefix and quotes) and its raw
/// body: None for bytes and for a `\N{name}` escape (no table of Unicode
/// names here); escapes decoded unless raw. An f-string without fields is a
/// constant.
pub fn string_value(start: &str, body: &str) -> Option<String> {
    let p = start.trim_end_matches(['\'', '"']).to_ascii_lowercase();
    if p.contains('b') {
        return None;
    }
    if p.contains('r') {
        return Some(body.to_string());
    }
    unescape(body)
}

/// Decode the escapes of a non-raw string body as Python does (unknown
/// escapes are kept verbatim); None for `\N{...}`.
fn unescape(s: &str) -> Option<String> {
    if !s.contains('\\') {
        return Some(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = it.next() else {
            out.push('\\');
            break;
        };
        let simple = match e {
            'n' => Some('\n'),
            't' => Some('\t'),
            'r' => Some('\r'),
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'v' => Some('\u{b}'),
            '\\' | '\'' | '"' => Some(e),
            _ => None,
        };
        if let Some(ch) = simple {
            out.push(ch);
            continue;
        }
        match e {
            '\n' => {}
            'N' => return None,
            '0'..='7' => {
                // Up to three octal digits.
                let mut v = e.to_digit(8)?;
                for _ in 0..2 {
                    match it.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            it.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(v)?);
            }
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = (0..n).filter_map(|_| it.next()).collect();
                if hex.len() != n {
                    return None; // a syntax error in Python
                }
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
            }
            o => {
                out.push('\\');
                out.push(o);
            }
        }
    }
    Some(out)
}
