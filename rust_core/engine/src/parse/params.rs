//! Parametrize case ids, computed statically: the twin of
//! `dbtest/api/parametrize.py`, which computes them at import. Both follow
//! the rule documented there, and `tests/api/test_parametrize_ids.py` checks
//! that they give the same ids for the same literal values. Where a value's
//! id cannot be computed exactly here, the cases are left to the import
//! (`Dynamic::Params`): a case is never listed under a wrong id.

use super::ir::Expr;
use super::lit::{lit, Lit};
use std::collections::HashMap;

/// The case-id fragment of one value (Python's `_value_id`), or None for
/// "use argname+index".
fn value_id(value: &Lit) -> Option<String> {
    Some(match value {
        Lit::Str(s) => s.clone(),
        Lit::Int(i) => i.to_string(),
        Lit::Float(f) => py_float(*f),
        Lit::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        Lit::None => "None".to_string(),
        Lit::Seq(_) | Lit::Object | Lit::Unsure => return None,
    })
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

/// Recognizes `pytest.param` (through the file's imports).
pub(super) type IsParam<'a> = &'a dyn Fn(&Expr) -> bool;

/// The case ids of one `@parametrize`, or None when not static. With
/// `pytest` (which recognizes `pytest.param`), pytest's rule: strings
/// ASCII-escaped, `pytest.param(..., id=)` rows, duplicates numbered within
/// the mark.
pub(super) fn decorator_cases(
    names: Option<&Expr>,
    values: Option<&Expr>,
    ids: Option<&Expr>,
    pytest: Option<IsParam<'_>>,
) -> Option<Vec<String>> {
    let names: Vec<String> = match lit(names?)? {
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
        Some(i) => match lit(i)? {
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
    // pytest lists an empty set as one skipped case of its own making.
    if pytest.is_some() && rows.is_empty() {
        return None;
    }
    let escape = |s: String| {
        if pytest.is_some() {
            ascii_escaped(&s)
        } else {
            s
        }
    };
    for (idx, row) in rows.iter().enumerate() {
        let mut row: &Expr = row;
        let mut param_id = None;
        let unpacked;
        if let (
            Some(is_param),
            Expr::Call {
                func: Some(f),
                args,
            },
        ) = (pytest, row)
        {
            if is_param(f) {
                let (id, values) = param_row(args.as_deref().unwrap_or_default())?;
                param_id = id;
                unpacked = values;
                row = &unpacked;
            }
        }
        let given = param_id.or_else(|| explicit.as_ref().and_then(|e| e[idx].clone()));
        if let Some(given) = given {
            out.push(escape(given));
            continue;
        }
        // None: a value whose id only the import knows (the cases are
        // dynamic): one this parse cannot compute, or an expression (a name,
        // a call, arithmetic) that may well be a str or an int.
        let one = |name: &str, v: Option<Lit>| match v {
            Some(Lit::Unsure) | None => None,
            Some(Lit::Str(s)) => Some(escape(s)),
            Some(v) => Some(value_id(&v).unwrap_or_else(|| format!("{name}{idx}"))),
        };
        if names.len() == 1 {
            out.push(one(&names[0], lit(row))?);
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
                .map(|(n, v)| one(n, lit(v)))
                .collect::<Option<_>>()?;
            out.push(id.join("-"));
        }
    }
    if pytest.is_some() {
        pytest_unique(&mut out);
    }
    Some(out)
}

/// The parts of `pytest.param(v1, v2, id="x", marks=...)`: its literal id
/// (None: computed) and its values as one row (a tuple for several). None
/// when the id is not a literal or the values are splatted.
fn param_row(args: &[Expr]) -> Option<(Option<String>, Expr)> {
    let mut id = None;
    let mut values = Vec::new();
    for a in args {
        match a {
            Expr::Keyword { name, value } if name.as_deref() == Some("id") => {
                match value.as_deref().and_then(lit)? {
                    Lit::Str(s) => id = Some(s),
                    Lit::None => {}
                    _ => return None,
                }
            }
            Expr::Keyword { .. } | Expr::Comment => {}
            Expr::ListSplat | Expr::DictSplat => return None,
            v => values.push(v.clone()),
        }
    }
    let row = if values.len() == 1 {
        values.pop()?
    } else {
        Expr::Tuple(values)
    };
    Some((id, row))
}

/// Whether any row is a `pytest.param(..., marks=...)`: its skip or xfail
/// is the import's to apply.
pub(super) fn case_marks(values: Option<&Expr>, is_param: IsParam<'_>) -> bool {
    let Some(Expr::List(rows) | Expr::Tuple(rows)) = values else {
        return false;
    };
    rows.iter().any(|r| match r {
        Expr::Call {
            func: Some(f),
            args,
        } if is_param(f) => args
            .iter()
            .flatten()
            .any(|a| matches!(a, Expr::Keyword { name, .. } if name.as_deref() == Some("marks"))),
        _ => false,
    })
}

/// pytest's `ascii_escaped`: `str.encode("unicode_escape")` read as ASCII
/// (backslashes doubled, `\t`/`\n`/`\r`, `\xNN`, `\uNNNN`, `\UNNNNNNNN`).
pub(super) fn ascii_escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let n = c as u32;
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ if n < 0x20 || (0x7f..0x100).contains(&n) => out.push_str(&format!("\\x{n:02x}")),
            _ if n < 0x80 => out.push(c),
            _ if n < 0x10000 => out.push_str(&format!("\\u{n:04x}")),
            _ => out.push_str(&format!("\\U{n:08x}")),
        }
    }
    out
}

/// pytest's suffix for ids that repeat within one mark: a counter, after
/// `_` when the id ends in a digit, skipping ids already taken.
fn pytest_unique(ids: &mut [String]) {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for id in ids.iter() {
        *counts.entry(id.clone()).or_default() += 1;
    }
    if counts.values().all(|n| *n == 1) {
        return;
    }
    let mut next: HashMap<String, usize> = HashMap::new();
    for i in 0..ids.len() {
        let id = ids[i].clone();
        if counts[&id] < 2 {
            continue;
        }
        let sep = if id.ends_with(|c: char| c.is_ascii_digit()) {
            "_"
        } else {
            ""
        };
        let n = next.entry(id.clone()).or_default();
        let mut new = format!("{id}{sep}{n}");
        while ids.contains(&new) {
            *n += 1;
            new = format!("{id}{sep}{n}");
        }
        *n += 1;
        ids[i] = new;
    }
}

/// The case ids of stacked `@parametrize` decorators, bottom-most first
/// (their cartesian product, the bottom-most varying slowest), or None when
/// one of them is not static.
pub(super) fn combine(sets: Vec<Option<Vec<String>>>) -> Option<Vec<String>> {
    if sets.iter().any(Option::is_none) {
        return None;
    }
    let mut sets = sets.into_iter().flatten();
    let mut cases = sets.next()?;
    // An empty id is joined too (`"-".join(["", "x"])` is `-x`).
    for set in sets {
        let mut next = Vec::with_capacity(cases.len() * set.len());
        for c in &cases {
            for s in &set {
                next.push(format!("{c}-{s}"));
            }
        }
        cases = next;
    }
    dedupe_ids(&mut cases);
    Some(cases)
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
