//! The import statements of a Python file, read statically (nothing runs):
//! what the import graph (`crate::graph`) is built from.
//!
//! Every logical line is looked at, at any depth: an import inside a
//! function, a `try:` or an `if TYPE_CHECKING:` block still ties the file to
//! that module, and selecting too much is the safe side of "affected".
//! Lines come from the skeleton scanner's lexer (strings, brackets and
//! continuations handled); a file it cannot lex is read line by line.

use super::scan;
use serde::{Deserialize, Serialize};

/// One imported module: `import a.b`, or `from ..a import b, c`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    /// Leading dots of a relative import; 0 for an absolute one.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub level: u32,
    /// The dotted module after the dots; empty for `from . import x`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub module: String,
    /// `from M import a, b`: the names, any of which may be a submodule of
    /// M; empty for `import M` and `from M import *`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The imports of `src`, in source order.
pub fn imports(src: &str) -> Vec<Import> {
    let bytes = src.as_bytes();
    let spans = scan::logical_spans(bytes).unwrap_or_else(|_| physical_lines(bytes));
    let mut out = Vec::new();
    for (start, end) in spans {
        let line = &src[start..end];
        // Most lines are not imports: a cheap look first.
        if line.contains("import") {
            statements(&tokens(line), &mut out);
        }
    }
    out
}

/// Keywords of a block header that may carry a statement after its colon
/// (`try: import x`).
const COMPOUND: &[&str] = &[
    "if", "elif", "else", "try", "except", "finally", "with", "for", "while",
];

fn physical_lines(src: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &c) in src.iter().enumerate() {
        if c == b'\n' {
            out.push((start, i));
            start = i + 1;
        }
    }
    out.push((start, src.len()));
    out
}

#[derive(Debug, PartialEq)]
enum Tok<'a> {
    Word(&'a str),
    Dot,
    Comma,
    Open,
    Close,
    Star,
    Colon,
    Semi,
    Other,
}

/// The tokens of one logical line (comments, continuations and strings skipped).
fn tokens(line: &str) -> Vec<Tok<'_>> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'\'' | b'"' => {
                // Not part of an import; skipped so a `;` inside does not split.
                i += 1;
                while i < b.len() && b[i] != c {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                out.push(Tok::Other);
            }
            b'.' => out.push(Tok::Dot),
            b',' => out.push(Tok::Comma),
            b'(' => out.push(Tok::Open),
            b')' => out.push(Tok::Close),
            b'*' => out.push(Tok::Star),
            b':' => out.push(Tok::Colon),
            b';' => out.push(Tok::Semi),
            _ if c == b'_' || c.is_ascii_alphanumeric() || c >= 0x80 => {
                let start = i;
                while i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric() || b[i] >= 0x80)
                {
                    i += 1;
                }
                out.push(Tok::Word(&line[start..i]));
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' | b'\\' | b'\x0c' => {}
            _ => out.push(Tok::Other),
        }
        i += 1;
    }
    out
}

/// Read the import statements among `toks` (`;`-separated, possibly after
/// a block header's colon) into `out`.
fn statements(toks: &[Tok<'_>], out: &mut Vec<Import>) {
    let mut i = 0;
    while i < toks.len() {
        match toks[i] {
            Tok::Word("import") => i = import(toks, i + 1, out),
            Tok::Word("from") => i = from(toks, i + 1, out),
            Tok::Word(w) if COMPOUND.contains(&w) => {
                // Past the header's colon (outside brackets).
                let mut depth = 0i32;
                while i < toks.len() && !(depth == 0 && toks[i] == Tok::Colon) {
                    match toks[i] {
                        Tok::Open => depth += 1,
                        Tok::Close => depth -= 1,
                        _ => {}
                    }
                    i += 1;
                }
                i += 1;
                continue;
            }
            _ => {}
        }
        // Anything else up to the next `;` is not an import.
        while i < toks.len() && toks[i] != Tok::Semi {
            i += 1;
        }
        i += 1;
    }
}

/// A dotted name at `i`: the name and the position after it.
fn dotted(toks: &[Tok<'_>], mut i: usize) -> Option<(String, usize)> {
    let mut name = String::new();
    loop {
        let Some(Tok::Word(w)) = toks.get(i) else {
            return None;
        };
        name.push_str(w);
        i += 1;
        if toks.get(i) != Some(&Tok::Dot) {
            return Some((name, i));
        }
        name.push('.');
        i += 1;
    }
}

/// Past an optional `as alias`.
fn skip_alias(toks: &[Tok<'_>], i: usize) -> usize {
    match (toks.get(i), toks.get(i + 1)) {
        (Some(Tok::Word("as")), Some(Tok::Word(_))) => i + 2,
        _ => i,
    }
}

/// `import a.b [as c], d` from after `import`.
fn import(toks: &[Tok<'_>], mut i: usize, out: &mut Vec<Import>) -> usize {
    while let Some((module, next)) = dotted(toks, i) {
        out.push(Import {
            level: 0,
            module,
            names: Vec::new(),
        });
        i = skip_alias(toks, next);
        if toks.get(i) != Some(&Tok::Comma) {
            break;
        }
        i += 1;
    }
    i
}

/// `from [dots][module] import names` from after `from`.
fn from(toks: &[Tok<'_>], mut i: usize, out: &mut Vec<Import>) -> usize {
    let mut level = 0;
    while toks.get(i) == Some(&Tok::Dot) {
        level += 1;
        i += 1;
    }
    let module = match dotted(toks, i) {
        Some((m, next)) if m != "import" => {
            i = next;
            m
        }
        _ => String::new(),
    };
    if toks.get(i) != Some(&Tok::Word("import")) || (level == 0 && module.is_empty()) {
        return i;
    }
    i += 1;
    if toks.get(i) == Some(&Tok::Open) {
        i += 1;
    }
    let mut names = Vec::new();
    loop {
        match toks.get(i) {
            Some(Tok::Word(w)) => {
                names.push(w.to_string());
                i = skip_alias(toks, i + 1);
            }
            Some(Tok::Star) => i += 1,
            _ => break,
        }
        match toks.get(i) {
            Some(Tok::Comma) => i += 1,
            Some(Tok::Close) => {
                i += 1;
                break;
            }
            _ => break,
        }
    }
    out.push(Import {
        level,
        module,
        names,
    });
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imp(level: u32, module: &str, names: &[&str]) -> Import {
        Import {
            level,
            module: module.into(),
            names: names.iter().map(|n| n.to_string()).collect(),
        }
    }

    #[test]
    fn every_form_of_import() {
        let src = "import os, a.b as c\nfrom . import x, y as z\nfrom ..pkg.mod import (\n    one,  # why\n    two,\n)\nfrom m import *\n";
        assert_eq!(
            imports(src),
            vec![
                imp(0, "os", &[]),
                imp(0, "a.b", &[]),
                imp(1, "", &["x", "y"]),
                imp(2, "pkg.mod", &["one", "two"]),
                imp(0, "m", &[]),
            ]
        );
    }

    #[test]
    fn imports_in_blocks_and_after_semicolons_count_strings_do_not() {
        let src = "def f():\n    import inner\ntry: import fast\nexcept ImportError: pass\nx = 'import no'; import yes\n\"\"\"\nimport docstring\n\"\"\"\nif TYPE_CHECKING:\n    from typing_only import T\n";
        let got: Vec<String> = imports(src).into_iter().map(|i| i.module).collect();
        assert_eq!(got, ["inner", "fast", "yes", "typing_only"]);
    }

    #[test]
    fn a_file_that_does_not_lex_is_read_line_by_line() {
        let src = "import a\nx = (\nfrom b import c\n";
        let got: Vec<String> = imports(src).into_iter().map(|i| i.module).collect();
        assert_eq!(got, ["a", "b"]);
    }

    #[test]
    fn raise_from_is_not_an_import() {
        assert!(imports("raise X from e\nyield from g()\n").is_empty());
    }
}
