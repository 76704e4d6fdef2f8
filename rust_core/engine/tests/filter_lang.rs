//! The filter language, `-k`, `--tags` and modes.

use dbtest_engine::filter::{FilterSpec, Mode, Selector};
use dbtest_engine::tree::{ItemKind, TestItem, TestStyle};

fn item(id: &str, tags: &[&str], kind: ItemKind) -> TestItem {
    let (path, rest) = id.split_once("::").unwrap();
    let parts: Vec<&str> = rest.split("::").collect();
    let (suite, name) = if parts.len() > 1 {
        (
            Some(parts[..parts.len() - 1].join("::")),
            parts[parts.len() - 1],
        )
    } else {
        (None, parts[0])
    };
    let (name, params) = match name.split_once('[') {
        Some((n, p)) => (n, Some(p.trim_end_matches(']').to_string())),
        None => (name, None),
    };
    let mut it = TestItem::new_test(path, suite.as_deref(), name);
    it.id = id.to_string();
    it.kind = kind;
    it.style = if kind == ItemKind::Bench {
        TestStyle::Bench
    } else {
        TestStyle::Suite
    };
    it.params = params;
    it.tags = tags.iter().map(|t| t.to_string()).collect();
    it
}

fn corpus() -> Vec<TestItem> {
    vec![
        item(
            "tests/test_db.py::Users::test_insert",
            &["db"],
            ItemKind::Test,
        ),
        item(
            "tests/test_db.py::Users::test_delete",
            &["db", "slow"],
            ItemKind::Test,
        ),
        item("tests/test_math.py::test_add[1-2]", &[], ItemKind::Test),
        item(
            "tests/test_math.py::test_add[3-4]",
            &["fast"],
            ItemKind::Test,
        ),
        item(
            "tests/integration/test_api.py::test_call",
            &[],
            ItemKind::Test,
        ),
        item(
            "tests/test_net.py::test_remote",
            &["integration"],
            ItemKind::Test,
        ),
        item(
            "benches/bench_json.py::json::dumps",
            &["io"],
            ItemKind::Bench,
        ),
    ]
}

fn select(spec: FilterSpec) -> Vec<String> {
    let items = corpus();
    let s = Selector::new(spec).unwrap();
    s.select(&items).into_iter().map(|i| i.id).collect()
}

fn expr(e: &str) -> Vec<String> {
    select(FilterSpec {
        expr: Some(e.to_string()),
        ..FilterSpec::default()
    })
}

fn short(ids: Vec<String>) -> Vec<String> {
    ids.into_iter()
        .map(|i| i.rsplit("::").next().unwrap().to_string())
        .collect()
}

#[test]
fn matchers() {
    assert_eq!(short(expr("test(=test_insert)")), vec!["test_insert"]);
    assert_eq!(
        short(expr("test(=Users::test_delete)")),
        vec!["test_delete"]
    );
    assert_eq!(short(expr("test(=test_add[3-4])")), vec!["test_add[3-4]"]);
    assert_eq!(short(expr("test(~remote)")), vec!["test_remote"]);
    assert_eq!(short(expr("test(remote)")), vec!["test_remote"]);
    assert_eq!(short(expr(r"test(/add\[\d-2\]$/)")), vec!["test_add[1-2]"]);
    assert_eq!(short(expr("test(#test_?elete)")), vec!["test_delete"]);
    assert_eq!(short(expr("tag(slow)")), vec!["test_delete"]);
    assert_eq!(short(expr("tag(~as)")), vec!["test_add[3-4]"]);
    assert_eq!(short(expr("tag(#d?)")), vec!["test_insert", "test_delete"]);
    assert_eq!(short(expr("file(=tests/test_math.py)")).len(), 2);
    assert_eq!(short(expr("file(#*/integration/*)")), vec!["test_call"]);
    assert_eq!(short(expr("suite(=Users)")).len(), 2);
    assert_eq!(short(expr("suite(json)")), vec!["dumps"]);
    assert_eq!(short(expr("kind(bench)")), vec!["dumps"]);
    assert_eq!(expr("kind(test)").len(), 6);
    assert_eq!(
        short(expr("test(\"a)b\") | test(='test_call')")),
        vec!["test_call"]
    );
    assert_eq!(short(expr(r"file(/^benches\//)")), vec!["dumps"]);
}

#[test]
fn operators_and_precedence() {
    assert_eq!(short(expr("tag(db) & tag(slow)")), vec!["test_delete"]);
    assert_eq!(short(expr("tag(db) and tag(slow)")), vec!["test_delete"]);
    assert_eq!(short(expr("tag(db) - tag(slow)")), vec!["test_insert"]);
    assert_eq!(
        short(expr("tag(slow) | tag(fast)")),
        vec!["test_delete", "test_add[3-4]"]
    );
    assert_eq!(
        short(expr("tag(slow) or tag(fast)")),
        vec!["test_delete", "test_add[3-4]"]
    );
    assert_eq!(expr("not kind(test)").len(), 1);
    assert_eq!(expr("!kind(test)").len(), 1);
    assert_eq!(expr("! ! kind(bench)").len(), 1);
    // & binds tighter than |
    assert_eq!(
        short(expr("tag(fast) | tag(db) & tag(slow)")),
        vec!["test_delete", "test_add[3-4]"]
    );
    assert_eq!(
        short(expr("(tag(fast) | tag(db)) & not tag(slow)")),
        vec!["test_insert", "test_add[3-4]"]
    );
    assert_eq!(short(expr("  kind( bench )  ")), vec!["dumps"]);
}

#[test]
fn pattern_tags_and_modes() {
    let k = |p: &str| {
        short(select(FilterSpec {
            pattern: Some(p.into()),
            ..FilterSpec::default()
        }))
    };
    assert_eq!(k("insert"), vec!["test_insert"]);
    assert_eq!(k("test_add*"), vec!["test_add[1-2]", "test_add[3-4]"]);
    assert_eq!(k("Users::*"), vec!["test_insert", "test_delete"]);
    assert_eq!(k("*math*[?-4]"), vec!["test_add[3-4]"]);
    assert_eq!(k("tests/*"), k("tests/"));
    let tags = short(select(FilterSpec {
        tags: vec!["fast".into(), " slow ".into()],
        ..FilterSpec::default()
    }));
    assert_eq!(tags, vec!["test_delete", "test_add[3-4]"]);
    let mode = |m: Mode| {
        short(select(FilterSpec {
            mode: m,
            ..FilterSpec::default()
        }))
    };
    assert_eq!(mode(Mode::Integration), vec!["test_call", "test_remote"]);
    assert_eq!(mode(Mode::Unit).len(), 4);
    assert_eq!(mode(Mode::Bench), vec!["dumps"]);
    assert_eq!(mode(Mode::Tests).len(), 6);
    assert_eq!(mode(Mode::All).len(), 7);
    // Configurable integration markers.
    let custom = short(select(FilterSpec {
        mode: Mode::Integration,
        integration_dirs: vec![],
        integration_tags: vec!["slow".into()],
        ..FilterSpec::default()
    }));
    assert_eq!(custom, vec!["test_delete"]);
    // All criteria must hold together.
    let both = short(select(FilterSpec {
        pattern: Some("_delete".into()),
        tags: vec!["db".into()],
        expr: Some("suite(Users)".into()),
        mode: Mode::Unit,
        ..FilterSpec::default()
    }));
    assert_eq!(both, vec!["test_delete"]);
}

#[test]
fn error_positions() {
    let cases: &[(&str, usize, &str)] = &[
        ("", 0, "expected an expression"),
        ("tag(db) &", 9, "found the end"),
        ("tag(db) & (", 11, "found the end"),
        ("(tag(db)", 8, "expected ')'"),
        ("tag(db))", 7, "unmatched ')'"),
        ("tags(db)", 0, "unknown function 'tags'"),
        ("tag db", 4, "expected '('"),
        ("tag()", 4, "expected a value"),
        ("tag(db", 6, "expected ')' to close tag("),
        ("test(/[/)", 5, "invalid regex"),
        ("test(/abc)", 5, "unterminated /regex/"),
        ("kind(suite)", 5, "kind() takes"),
        ("tag(a) tag(b)", 7, "unexpected 't'"),
        ("tag(a) && tag(b)", 8, "unexpected '&'"),
        ("test(\"x)", 5, "unterminated string"),
        ("not", 3, "found the end"),
        ("tag(é) & ?", 9, "unexpected '?'"),
    ];
    for (e, pos, msg) in cases {
        let err = Selector::new(FilterSpec {
            expr: Some(e.to_string()),
            ..FilterSpec::default()
        })
        .err();
        if e.is_empty() {
            assert!(err.is_none(), "an empty expression selects everything");
            continue;
        }
        let err = err.unwrap_or_else(|| panic!("{e:?} should fail"));
        assert_eq!(err.position, *pos, "{e:?}: {err}");
        assert!(err.message.contains(msg), "{e:?}: {err}");
        assert!(!err.to_string().contains('\n'));
        let rendered = err.render(e);
        let caret_line = rendered.lines().nth(1).unwrap();
        assert_eq!(caret_line.chars().count(), pos + 1);
        assert!(caret_line.ends_with('^'));
    }
}

/// xorshift64*: a tiny deterministic PRNG so the property test needs no crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_input_never_panics() {
    const PIECES: &[&str] = &[
        "test(", "tag(", "file(", "suite(", "kind(", ")", "(", "&", "|", "-", "!", "not ", "and ",
        "or ", "=", "~", "/", "#", "*", "?", "db", "test", "bench", " ", "\"", "'", "\\", "[", "]",
        "é", "∑", "\t", "x", "0", ".*", "{", "::",
    ];
    let items = corpus();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut ok = 0;
    for _ in 0..20_000 {
        let n = 1 + rng.below(12);
        let s: String = (0..n).map(|_| PIECES[rng.below(PIECES.len())]).collect();
        match Selector::new(FilterSpec {
            expr: Some(s.clone()),
            pattern: Some(s.clone()),
            ..FilterSpec::default()
        }) {
            Ok(sel) => {
                ok += 1;
                let _ = sel.select(&items);
            }
            Err(e) => {
                assert!(e.position <= s.chars().count(), "{s:?}: {e}");
                let _ = e.render(&s);
            }
        }
    }
    // The generator must reach valid expressions too, or the test is hollow.
    assert!(ok > 100, "only {ok} valid expressions generated");
}

/// Items whose tags are computed at import are undecided by a filter that
/// depends on tags, unless what is known already decides them.
#[test]
fn computed_tags_are_decided_at_import() {
    use dbtest_engine::tree::Dynamic;
    let mut dynamic = item("t/test_d.py::S::test_x", &["suite_tag"], ItemKind::Test);
    dynamic.dynamic.push(Dynamic::Tags);
    let known = item("t/test_d.py::S::test_y", &["suite_tag"], ItemKind::Test);
    let verdict = |spec: FilterSpec, it: &TestItem| Selector::new(spec).unwrap().verdict(it);
    let tags = |t: &str| FilterSpec {
        tags: vec![t.into()],
        ..FilterSpec::default()
    };
    let expr = |e: &str| FilterSpec {
        expr: Some(e.into()),
        ..FilterSpec::default()
    };

    // A tag that may come at import: undecided; one already known: selected.
    assert_eq!(verdict(tags("db"), &dynamic), None);
    assert_eq!(verdict(tags("suite_tag"), &dynamic), Some(true));
    assert_eq!(verdict(tags("db"), &known), Some(false));
    // Kleene logic in expressions.
    assert_eq!(verdict(expr("not tag(db)"), &dynamic), None);
    assert_eq!(
        verdict(expr("tag(db) | test(~test_x)"), &dynamic),
        Some(true)
    );
    assert_eq!(
        verdict(expr("tag(db) & file(~nowhere)"), &dynamic),
        Some(false)
    );
    assert_eq!(verdict(expr("not tag(suite_tag)"), &dynamic), Some(false));
    // Filters that do not look at tags decide at once.
    assert_eq!(verdict(expr("test(~test_x)"), &dynamic), Some(true));
    // Undecided items stay selected (the worker decides), certain misses do not.
    let s = Selector::new(tags("db")).unwrap();
    let picked: Vec<String> = s
        .select(&[dynamic.clone(), known.clone()])
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(picked, vec![dynamic.id.clone()]);
    assert!(!s.matches(&dynamic), "matches() is only what is certain");
    // unit/integration depend on tags too.
    let unit = FilterSpec {
        mode: Mode::Unit,
        ..FilterSpec::default()
    };
    assert_eq!(verdict(unit, &dynamic), None);
}
