//! `collect_ignore` and `collect_ignore_glob` of a `conftest.py`, read
//! statically: the paths (relative to the conftest's directory) pytest does
//! not collect.
//!
//! Read at module level: `NAME = [...]` (annotated too), `NAME += [...]`,
//! `NAME.append("x")`, `NAME.extend([...])`, with literal strings. Anything
//! else that touches the names (a change under an `if`, a computed value) is
//! not applied, and its line is returned so the run can say so: applying
//! what a condition guards could drop tests pytest runs, the worst mistake.

use super::ir::Stmt;
use super::{fast, lit, scan};

/// What one conftest asks not to collect.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CollectIgnore {
    /// `collect_ignore`, when the module sets it: paths relative to the
    /// conftest's directory.
    pub paths: Option<Vec<String>>,
    /// `collect_ignore_glob`, when set: globs relative to that directory.
    pub globs: Option<Vec<String>>,
    /// Lines that change either name in a way not read (not applied).
    pub unread: Vec<u32>,
}

const NAMES: [&str; 2] = ["collect_ignore", "collect_ignore_glob"];

/// The `collect_ignore` settings of a conftest's source.
pub fn read(src: &str) -> CollectIgnore {
    let mut out = CollectIgnore::default();
    if !src.contains("collect_ignore") {
        return out;
    }
    let bytes = src.as_bytes();
    let Ok(spans) = scan::logical_spans(bytes) else {
        return out;
    };
    for (start, end) in spans {
        let text = &src[start..end];
        if !text.contains("collect_ignore") {
            continue;
        }
        let line = 1 + bytes[..start].iter().filter(|&&b| b == b'\n').count() as u32;
        let indented = text.starts_with([' ', '\t']) || (start > 0 && bytes[start - 1] != b'\n');
        let change = (!indented).then(|| statement(text)).flatten();
        match change {
            Some((glob, replace, values)) => {
                let list = if glob { &mut out.globs } else { &mut out.paths };
                let list = list.get_or_insert_with(Vec::new);
                if replace {
                    list.clear();
                }
                list.extend(values);
            }
            None if mentions(text) => out.unread.push(line),
            None => {}
        }
    }
    out
}

/// Whether the line uses either name as a whole word.
fn mentions(text: &str) -> bool {
    text.match_indices("collect_ignore").any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        let after = &text[at + "collect_ignore".len()..];
        let after = after.strip_prefix("_glob").unwrap_or(after);
        !word(before) && !word(after.chars().next())
    })
}

/// A module-level change of either name: (is the glob list, replaces it, values).
fn statement(text: &str) -> Option<(bool, bool, Vec<String>)> {
    let text = text.trim();
    // Longest name first: `collect_ignore` is a prefix of the other.
    let (glob, rest) = NAMES.iter().rev().find_map(|n| {
        let rest = text.strip_prefix(n)?;
        (!rest.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
            .then(|| (*n == "collect_ignore_glob", rest.trim_start()))
    })?;
    let (replace, rhs) = if let Some(r) = rest.strip_prefix("+=") {
        (false, r.to_string())
    } else if let Some(r) = rest.strip_prefix(".append(") {
        (false, format!("[{}]", r.strip_suffix(')')?))
    } else if let Some(r) = rest.strip_prefix(".extend(") {
        (false, r.strip_suffix(')')?.to_string())
    } else if let Some(r) = rest.strip_prefix(':') {
        (true, r.split_once('=')?.1.to_string())
    } else {
        (true, rest.strip_prefix('=')?.to_string())
    };
    Some((glob, replace, strings(&rhs)?))
}

/// The literal strings of a list or tuple expression.
fn strings(expr: &str) -> Option<Vec<String>> {
    let stmts = fast::parse(&format!("_ = {}\n", expr.trim()))?;
    match stmts.first()? {
        Stmt::Assign { right: Some(e), .. } => lit::string_list(e),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::read;

    #[test]
    fn module_level_literals_are_read_in_order() {
        let src = "import sys\ncollect_ignore = ['setup.py', \"docs\"]\ncollect_ignore.append('old.py')\ncollect_ignore += ['a/b.py']\ncollect_ignore_glob: list[str] = ['*_py2.py']\ncollect_ignore_glob.extend(('gen/*',))\n";
        let got = read(src);
        assert_eq!(got.paths.unwrap(), ["setup.py", "docs", "old.py", "a/b.py"]);
        assert_eq!(got.globs.unwrap(), ["*_py2.py", "gen/*"]);
        assert!(got.unread.is_empty());
    }

    #[test]
    fn conditional_or_computed_changes_are_named_not_applied() {
        let src = "import sys\ncollect_ignore = []\nif sys.version_info < (3, 8):\n    collect_ignore.append('new.py')\ncollect_ignore_glob = [p for p in LIST]\nmy_collect_ignore = 1\n";
        let got = read(src);
        assert_eq!(got.paths, Some(vec![]));
        assert_eq!(got.globs, None);
        assert_eq!(got.unread, [4, 5]);
    }

    #[test]
    fn a_later_assignment_replaces() {
        let got = read("collect_ignore = ['a']\ncollect_ignore = ['b']\n");
        assert_eq!(got.paths.unwrap(), ["b"]);
    }
}
