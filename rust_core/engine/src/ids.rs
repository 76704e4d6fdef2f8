//! The test-id grammar, written once: nothing else in the engine splits or
//! joins an id by hand (`dbtest/ids.py` is its Python twin, checked against
//! it by `tests/execution/test_ids.py`).
//!
//! ```text
//! id     = path ( "::" name )* [ "[" params "]" ]
//! ```
//!
//! - `path` is the file, relative to the root, `/`-separated: everything
//!   before the first `::` (a path never holds `::`).
//! - the names are the suite (`Outer::Inner` when nested) or benchmark
//!   group, then the test or entry; a doctest's one name is dotted
//!   (`module.Class.method`), a `load_tests` case is `load_tests::<case id>`.
//!   Names hold neither `::` nor `[`.
//! - `params` is the parametrize case id: from the first `[` after the path
//!   to the final `]`, so it may itself hold `::`, `[` and `]`; it may be
//!   empty (`t[]`).
//!
//! An id also names everything under it ([`is_under`]): `path.py` (the
//! file), `path.py::Suite` (the suite), `path.py::test` (all its cases).

/// Between the path and each name.
pub const SEP: &str = "::";

/// An id taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts<'a> {
    pub path: &'a str,
    /// Suite(s), then the test's own name; empty for a path alone.
    pub names: Vec<&'a str>,
    /// The case id, without brackets.
    pub params: Option<&'a str>,
}

/// The file of an id: `tests/a.py` of `tests/a.py::S::t[1]`.
pub fn path_of(id: &str) -> &str {
    split_path(id).0
}

/// The path, and the rest after its `::` (None for a path alone):
/// `("a.py", Some("S::t[1]"))`.
pub fn split_path(id: &str) -> (&str, Option<&str>) {
    match id.split_once(SEP) {
        Some((path, rest)) => (path, Some(rest)),
        None => (id, None),
    }
}

/// The id without its path: `S::t[1]` (empty for a path alone).
pub fn local(id: &str) -> &str {
    split_path(id).1.unwrap_or("")
}

/// The id without its case, and the case: `("a.py::t", Some("1"))` for
/// `a.py::t[1]`. Only a bracket after the path that the id ends by closing
/// opens a case.
pub fn split_params(id: &str) -> (&str, Option<&str>) {
    let (path, rest) = split_path(id);
    let Some(rest) = rest else {
        return (id, None);
    };
    match rest.find('[') {
        Some(i) if rest.ends_with(']') => {
            let at = path.len() + SEP.len() + i;
            (&id[..at], Some(&id[at + 1..id.len() - 1]))
        }
        _ => (id, None),
    }
}

/// The id without its case: `a.py::t` of `a.py::t[1]`.
pub fn base(id: &str) -> &str {
    split_params(id).0
}

/// The case id, without brackets: `1` of `a.py::t[1]`.
pub fn params(id: &str) -> Option<&str> {
    split_params(id).1
}

/// The names between the path and the case: `["S", "t"]` of `a.py::S::t[1]`.
pub fn names(id: &str) -> Vec<&str> {
    match local(base(id)) {
        "" => Vec::new(),
        l => l.split(SEP).collect(),
    }
}

/// The id taken apart; [`join`] puts it back together.
pub fn split(id: &str) -> Parts<'_> {
    Parts {
        path: path_of(id),
        names: names(id),
        params: params(id),
    }
}

/// The id of `path`, its names and its case.
pub fn join(path: &str, names: &[&str], params: Option<&str>) -> String {
    let len = path.len()
        + names.iter().map(|n| n.len() + SEP.len()).sum::<usize>()
        + params.map_or(0, |p| p.len() + 2);
    let mut id = String::with_capacity(len);
    id.push_str(path);
    for n in names {
        id.push_str(SEP);
        id.push_str(n);
    }
    if let Some(p) = params {
        push_params(&mut id, p);
    }
    id
}

/// `base[params]`.
pub fn with_params(base: &str, params: &str) -> String {
    let mut id = String::with_capacity(base.len() + params.len() + 2);
    id.push_str(base);
    push_params(&mut id, params);
    id
}

fn push_params(id: &mut String, params: &str) {
    id.push('[');
    id.push_str(params);
    id.push(']');
}

/// `scope::name`: a suite of a file, a test of a suite.
pub fn child(scope: &str, name: &str) -> String {
    join(scope, &[name], None)
}

/// What the id lies in: a case's test (`a.py::S::t` of `a.py::S::t[1]`), a
/// test's suite (`a.py::S`), a suite's file (`a.py`); None for a file.
pub fn parent(id: &str) -> Option<&str> {
    match split_params(id) {
        (base, Some(_)) => Some(base),
        (base, None) => base.rsplit_once(SEP).map(|(p, _)| p),
    }
}

/// The last name with its case, as pytest names an item: `t[1]` of
/// `a.py::S::t[1]` (the path, for a path alone).
pub fn leaf(id: &str) -> &str {
    let (base, _) = split_params(id);
    match base.rfind(SEP) {
        Some(i) => &id[i + SEP.len()..],
        None => id,
    }
}

/// The id relative to `scope`, when it lies under it by name:
/// `S::t[1]` of `a.py::S::t[1]` under `a.py`.
pub fn relative<'a>(id: &'a str, scope: &str) -> Option<&'a str> {
    id.strip_prefix(scope)?.strip_prefix(SEP)
}

/// The case of `id` when it is `base[case]`.
pub fn case_of<'a>(id: &'a str, base: &str) -> Option<&'a str> {
    id.strip_prefix(base)?.strip_prefix('[')?.strip_suffix(']')
}

/// Whether `id` is `prefix` or lies under it (`prefix::...`,
/// `prefix[...]`): what selecting `prefix` selects.
pub fn is_under(id: &str, prefix: &str) -> bool {
    match id.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with(SEP) || rest.starts_with('['),
        None => false,
    }
}

/// A case the parse listed, multiplied at import by parametrized fixtures
/// or a class's cases: `t[1]` is answered by `t[sqlite-1]` and `t[1-x]`.
pub fn extends_case(id: &str, requested: &str) -> bool {
    let (base, Some(case)) = split_params(requested) else {
        return false;
    };
    let Some(got) = case_of(id, base) else {
        return false;
    };
    got.len() > case.len() && format!("-{got}-").contains(&format!("-{case}-"))
}

/// The id and each of its tails from a name on, so a pattern can name a
/// test without its file: `a.py::S::t[x::y]`, `S::t[x::y]`, `t[x::y]`.
pub fn tails(id: &str) -> impl Iterator<Item = &str> {
    let end = base(id).len();
    std::iter::once(id).chain(
        id[..end]
            .match_indices(SEP)
            .map(move |(i, _)| &id[i + SEP.len()..]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts<'a>(path: &'a str, names: &[&'a str], params: Option<&'a str>) -> Parts<'a> {
        Parts {
            path,
            names: names.to_vec(),
            params,
        }
    }

    #[test]
    fn splits_and_joins_back() {
        let table: &[(&str, Parts<'_>)] = &[
            ("a.py", parts("a.py", &[], None)),
            ("a.py::t", parts("a.py", &["t"], None)),
            ("a/b.py::S::t[1]", parts("a/b.py", &["S", "t"], Some("1"))),
            ("a.py::O::I::t", parts("a.py", &["O", "I", "t"], None)),
            // A case id may hold the grammar's own separators.
            ("a.py::S::t[x::y]", parts("a.py", &["S", "t"], Some("x::y"))),
            ("a.py::t[a[0]]", parts("a.py", &["t"], Some("a[0]"))),
            ("a.py::t[a]b]", parts("a.py", &["t"], Some("a]b"))),
            ("a.py::t[]", parts("a.py", &["t"], Some(""))),
            ("a.py::t[[]", parts("a.py", &["t"], Some("["))),
            // Doctests and load_tests cases.
            ("m.py::m.C.f", parts("m.py", &["m.C.f"], None)),
            ("d.txt::d.txt", parts("d.txt", &["d.txt"], None)),
            (
                "t.py::load_tests::t.C.test_x",
                parts("t.py", &["load_tests", "t.C.test_x"], None),
            ),
            // A bracket the id does not end by closing opens no case; a
            // bracket in the path is the path's.
            ("a.py::t[1", parts("a.py", &["t[1"], None)),
            ("a[1].py", parts("a[1].py", &[], None)),
            ("a[1].py::t[2]", parts("a[1].py", &["t"], Some("2"))),
            ("", parts("", &[], None)),
        ];
        for (id, want) in table {
            assert_eq!(&split(id), want, "{id}");
            assert_eq!(join(want.path, &want.names, want.params), *id, "{id}");
        }
    }

    #[test]
    fn parents_lead_up_to_the_file() {
        let mut chain = vec![];
        let mut id = Some("a.py::O::I::t[x::y]");
        while let Some(i) = id {
            chain.push(i);
            id = parent(i);
        }
        assert_eq!(
            chain,
            [
                "a.py::O::I::t[x::y]",
                "a.py::O::I::t",
                "a.py::O::I",
                "a.py::O",
                "a.py"
            ]
        );
    }

    #[test]
    fn leaf_is_pytests_item_name() {
        assert_eq!(leaf("a.py::S::t[x::y]"), "t[x::y]");
        assert_eq!(leaf("a.py::t"), "t");
        assert_eq!(leaf("a.py"), "a.py");
        assert_eq!(local("a.py::S::t[1]"), "S::t[1]");
        assert_eq!(local("a.py"), "");
    }

    #[test]
    fn under_is_selection() {
        assert!(is_under("a.py::S::t[1]", "a.py"));
        assert!(is_under("a.py::S::t[1]", "a.py::S"));
        assert!(is_under("a.py::S::t[1]", "a.py::S::t"));
        assert!(is_under("a.py::S::t[1]", "a.py::S::t[1]"));
        assert!(!is_under("a.py::S::tt", "a.py::S::t"));
        assert!(!is_under("a.py::S2::t", "a.py::S"));
        assert!(!is_under("a.pyx::t", "a.py"));
        assert!(!is_under("a.py::t", "a.py::t[1]"));
    }

    #[test]
    fn extended_cases() {
        assert!(extends_case("t.py::t[sqlite-1]", "t.py::t[1]"));
        assert!(extends_case("t.py::t[1-x]", "t.py::t[1]"));
        assert!(extends_case("t.py::t[pg-1-x]", "t.py::t[1]"));
        assert!(extends_case("t.py::t[a::b-x]", "t.py::t[a::b]"));
        assert!(!extends_case("t.py::t[11]", "t.py::t[1]"));
        assert!(!extends_case("t.py::t[2-x]", "t.py::t[1]"));
        assert!(!extends_case("t.py::tt[x-1]", "t.py::t[1]"));
        assert!(!extends_case("t.py::t[1]", "t.py::t[1]"));
        assert!(!extends_case("t.py::t[1-x]", "t.py::t"));
    }

    #[test]
    fn tails_start_at_names_not_inside_a_case() {
        let t: Vec<_> = tails("a.py::S::t[x::y]").collect();
        assert_eq!(t, ["a.py::S::t[x::y]", "S::t[x::y]", "t[x::y]"]);
        assert_eq!(tails("a.py").collect::<Vec<_>>(), ["a.py"]);
    }

    #[test]
    fn relative_and_case_of() {
        assert_eq!(relative("a.py::S::t", "a.py"), Some("S::t"));
        assert_eq!(relative("a.py::S::t", "a.py::S"), Some("t"));
        assert_eq!(relative("a.pyx::t", "a.py"), None);
        assert_eq!(case_of("a.py::t[1]", "a.py::t"), Some("1"));
        assert_eq!(case_of("a.py::t[]", "a.py::t"), Some(""));
        assert_eq!(case_of("a.py::t", "a.py::t"), None);
        assert_eq!(with_params("a.py::t", "x::y"), "a.py::t[x::y]");
        assert_eq!(child("a.py", "S"), "a.py::S");
    }
}
