//! Literal values read from the source: the strings, numbers and lists of
//! decorator arguments, `tags = [...]` and group names.

use super::ir::Expr;

/// A literal value read from the source.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Lit {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    None,
    Seq(Vec<Option<Lit>>),
    /// An object of none of the kinds above (a dict, a lambda, `...`).
    Object,
    /// A constant whose value this parse does not compute exactly (a
    /// complex number, an int past 64 bits, arithmetic, a string with a
    /// `\N{...}` escape or fields): its case id is the value's `str()`,
    /// known only at import.
    Unsure,
}

/// The value of a literal expression; None for anything else.
pub(super) fn lit(e: &Expr) -> Option<Lit> {
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
        Expr::Object => Some(Lit::Object),
        Expr::True => Some(Lit::Bool(true)),
        Expr::False => Some(Lit::Bool(false)),
        Expr::None => Some(Lit::None),
        Expr::Unary { op, arg } => match (op.as_deref(), lit(arg.as_deref()?)?) {
            (Some("-"), Lit::Int(i)) => Some(Lit::Int(-i)),
            (Some("-"), Lit::Float(f)) => Some(Lit::Float(-f)),
            (Some("+"), v @ (Lit::Int(_) | Lit::Float(_))) => Some(v),
            (_, Lit::Unsure) => Some(Lit::Unsure),
            _ => None,
        },
        Expr::Paren(c) => lit(c.first()?),
        Expr::List(c) | Expr::Tuple(c) | Expr::Set(c) => {
            Some(Lit::Seq(c.iter().map(lit).collect()))
        }
        _ => None,
    }
}

/// A list of strings, or one string.
pub(super) fn string_list(e: &Expr) -> Option<Vec<String>> {
    match lit(e)? {
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
