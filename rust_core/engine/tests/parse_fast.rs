//! The fast front end (`parse/fast.rs`) against tree-sitter: whenever it
//! takes a file, the file node must be exactly tree-sitter's; and it must take
//! the common shapes, or the speedup silently disappears.

use dbtest_engine::parse::{new_parser, parse_file, parse_file_with, FrontEnd};
use dbtest_engine::tree::{Dynamic, FileNode, ItemKind};
use std::path::{Path, PathBuf};

const PATH: &str = "tests/test_x.py";

fn both(src: &str, kind: ItemKind) -> (FileNode, Option<FileNode>) {
    let mut p = new_parser();
    let ts = parse_file_with(&mut p, PATH, kind, src, false, FrontEnd::TreeSitter).unwrap();
    let fast = parse_file_with(&mut p, PATH, kind, src, false, FrontEnd::FastOnly);
    if let Some(f) = &fast {
        assert_eq!(f, &ts, "fast and tree-sitter disagree for:\n{src}");
    }
    (ts, fast)
}

/// The fast path takes `src` and agrees with tree-sitter.
fn taken(src: &str) -> FileNode {
    let (ts, fast) = both(src, ItemKind::Test);
    assert!(fast.is_some(), "fast path declined:\n{src}");
    ts
}

/// The fast path declines `src` (tree-sitter answers).
fn declined(src: &str) -> FileNode {
    let (ts, fast) = both(src, ItemKind::Test);
    assert!(fast.is_none(), "fast path should decline:\n{src}");
    // And discovery's default path still gives tree-sitter's answer.
    let auto = parse_file(&mut new_parser(), PATH, ItemKind::Test, src, false);
    assert_eq!(auto, ts);
    ts
}

fn ids(f: &FileNode) -> Vec<String> {
    f.all_items()
        .map(|i| i.id.trim_start_matches("tests/test_x.py::").to_string())
        .collect()
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn py_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            py_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "py") {
            out.push(p);
        }
    }
}

fn kind_of(p: &Path) -> ItemKind {
    let name = p.file_name().unwrap().to_string_lossy();
    if name.starts_with("bench_") {
        ItemKind::Bench
    } else {
        ItemKind::Test
    }
}

/// Differential: every fixture and example file, as a test and as a bench
/// file. Returns the files the fast path declined.
fn differential(dir: &str) -> (usize, Vec<String>) {
    let mut files = Vec::new();
    py_files(&repo().join(dir), &mut files);
    let mut declined = Vec::new();
    for f in &files {
        let Ok(src) = std::fs::read_to_string(f) else {
            continue; // non-UTF-8 fixtures are discovery's business
        };
        for kind in [ItemKind::Test, ItemKind::Bench] {
            let (_, fast) = both(&src, kind);
            if fast.is_none() && kind == kind_of(f) {
                declined.push(f.display().to_string());
            }
        }
    }
    (files.len(), declined)
}

#[test]
fn fixtures_agree_with_tree_sitter() {
    let (n, _) = differential("tests/fixtures");
    assert!(n >= 20, "expected the fixture projects, found {n} files");
}

#[test]
fn examples_agree_and_are_all_taken() {
    let (n, declined) = differential("examples");
    assert!(n >= 5, "expected the example project, found {n} files");
    assert!(declined.is_empty(), "fast path declined: {declined:?}");
}

// The three shapes of perf/corpus.py (kept in step with it by hand).
const BODY: &str = "        value = {\"key\": I, \"items\": [1, 2, 3], \"name\": \"case-I\"}\n        total = sum(x * 2 for x in value[\"items\"])\n        assert total == 12, f\"unexpected total {total}\"\n        assert value[\"name\"].startswith(\"case\")\n";

fn body(i: usize, indent: &str) -> String {
    BODY.replace('I', &i.to_string())
        .replace("        ", indent)
}

fn suite_file(n: usize, tests: usize) -> String {
    let mut out = format!(
        "import asyncio\n\nfrom dbtest import TestSuite, test\n\n\nclass TestSuite{n}(TestSuite):\n    tags = [\"db\", \"group{}\"]\n\n    def setup(self):\n        self.state = {{}}\n\n",
        n % 7
    );
    for i in 0..tests {
        if i % 2 == 1 {
            out += &format!("    @test(tags=[\"t{}\"], timeout=5)\n    async def check_{i}(self):\n        await asyncio.sleep(0)\n", i % 5);
        } else {
            out += &format!("    def test_case_{i}(self):\n");
        }
        out += &body(i, "        ");
        out += "\n";
    }
    out
}

fn function_file(tests: usize) -> String {
    let mut out = "import asyncio\n\nfrom dbtest import parametrize\n\n\n".to_string();
    for i in 0..tests {
        match i % 3 {
            0 => out += &format!("@parametrize(\"x\", [1])\ndef test_fn_{i}(x):\n"),
            1 => out += &format!("async def test_fn_{i}():\n    await asyncio.sleep(0)\n"),
            _ => out += &format!("def test_fn_{i}():\n"),
        }
        out += &body(i, "    ");
        out += "\n";
    }
    out
}

fn unittest_file(n: usize, tests: usize) -> String {
    let mut out = format!("import unittest\n\n\nclass TestCase{n}(unittest.TestCase):\n");
    for i in 0..tests {
        out += &format!("    def test_u_{i}(self):\n");
        out += &body(i, "        ");
        out += "\n";
    }
    out
}

#[test]
fn perf_corpus_shapes_are_taken() {
    for n in 0..6 {
        let s = taken(&suite_file(n, 10));
        assert_eq!(s.all_items().count(), 10);
        let f = taken(&function_file(10));
        assert_eq!(f.all_items().count(), 10);
        assert!(ids(&f).contains(&"test_fn_0[1]".to_string()));
        let u = taken(&unittest_file(n, 10));
        assert_eq!(u.all_items().count(), 10);
    }
}

#[test]
fn unsupported_forms_fall_back() {
    let cases = [
        // Walrus, comprehensions, lambdas in decorator arguments.
        "from dbtest import test\n@test(timeout=(t := 60))\ndef test_a(): pass\n",
        "from dbtest import parametrize\n@parametrize('x', [i for i in range(3)])\ndef test_a(x): pass\n",
        // f-strings, comments inside brackets, continuations.
        "from dbtest import test\n@test(skip=f'why')\ndef test_a(): pass\n",
        "from dbtest import test\n@test(tags=['a',  # why\n 'b'])\ndef test_a(): pass\n",
        "from dbtest import \\\n    test\n@test\ndef test_a(): pass\n",
        // Annotated and augmented class-level tags, chained assignment.
        "from dbtest import TestSuite\nclass S(TestSuite):\n    tags: list = ['a']\n    def test_a(self): pass\n",
        "from dbtest import TestSuite\nclass S(TestSuite):\n    tags += ['a']\n    def test_a(self): pass\n",
        // Type parameters, lambdas, keyword arguments before positionals.
        "from dbtest import TestSuite\nclass S[T](TestSuite):\n    def test_a(self): pass\n",
        "from dbtest import test\n@test(timeout=lambda: 1)\ndef test_a(): pass\n",
        "from dbtest import skip\n@skip(reason='r', 'x')\ndef test_a(): pass\n",
        // Tabs in indentation, non-ASCII names.
        "class TestA:\n\tdef test_a(self): pass\n",
        "def test_é(): pass\n",
    ];
    for src in cases {
        declined(src);
    }
}

#[test]
fn syntax_errors_are_reported_as_before() {
    // Errors the fast parser does not take: tree-sitter reports them, with
    // the same line and message as before.
    for (src, line) in [
        (
            "from dbtest import test\n@test(\n    tags=['a'] 'b')\ndef test_a(): pass\n",
            3,
        ),
        ("import\n\ndef test_a(): pass\n", 1),
        ("class TestA(Base Base):\n    def test_a(self): pass\n", 1),
    ] {
        let f = declined(src);
        let e = f.error.unwrap_or_else(|| panic!("no error for {src:?}"));
        assert_eq!(e.line, line, "{src:?}: {e:?}");
        assert!(e.message.starts_with("syntax error"), "{e:?}");
    }
    // The scanner's errors come before either front end.
    let (ts, fast) = both("x = (1,\ndef test_a(): pass\n", ItemKind::Test);
    assert_eq!(fast.as_ref(), Some(&ts));
    assert!(ts.error.unwrap().message.contains("was never closed"));
}

#[test]
fn aliases_and_imports() {
    let f = taken(
        "from dbtest import test as t, TestSuite as TS\nimport dbtest as d\nimport unittest\nfrom other import test as foreign\nfrom .helpers import (x, y as z,)\nfrom __future__ import annotations\n\n@t\ndef one(): ...\n@d.test(tags=['x'])\ndef two(): ...\n@foreign\ndef three(): ...\nclass A(TS):\n    @t\n    def a(self): ...\nclass B(unittest.TestCase):\n    def test_b(self): ...\n",
    );
    assert_eq!(ids(&f), ["A::a", "B::test_b", "one", "two"]);
    assert_eq!(f.items[1].tags, ["x"]);
}

#[test]
fn operators_make_values_dynamic() {
    let f = taken(
        "import sys\nfrom dbtest import test, skip_if\n@skip_if(sys.platform == 'win32' and not X, 'r')\n@test(timeout=2 * 60, tags=['a'] + B, retries=-1 if A else 2)\ndef test_a(): ...\n@test(skip=x is not None, timeout=-(3))\ndef test_b(): ...\n",
    );
    assert_eq!(f.items[0].dynamic, [Dynamic::Tags, Dynamic::Options]);
    assert_eq!(f.items[1].dynamic, [Dynamic::Options]);
}

#[test]
fn parametrize_literal_lists() {
    let f = taken(
        "from dbtest import parametrize\n@parametrize('a, b', [(1, 'x'), (2.5, None), (-3, True), ([1], 0x10)], ids=[None, 'named', None, None])\ndef test_p(a, b): ...\n@parametrize(('k',), ('u', 'u', \"v\" 'w'))\n@parametrize('n', [1e3, +2])\ndef test_q(n, k): ...\n",
    );
    assert_eq!(
        ids(&f),
        [
            "test_p[1-x]",
            "test_p[named]",
            "test_p[-3-True]",
            "test_p[a3-16]",
            "test_q[1000.0-u0]",
            "test_q[1000.0-u1]",
            "test_q[1000.0-vw]",
            "test_q[2-u0]",
            "test_q[2-u1]",
            "test_q[2-vw]",
        ]
    );
    let g = taken("from dbtest import parametrize\n@parametrize('x', CASES)\ndef test_d(x): ...\n");
    assert_eq!(g.items[0].dynamic, [Dynamic::Params]);
}

#[test]
fn odd_decorator_spellings() {
    let f = taken(
        "import dbtest\nfrom dbtest import skip, xfail, test\n\n@ dbtest . test ( tags = ( 'a' , ) , )\n@skip ( )\ndef test_a ( ) :\n    pass\n@xfail\n@test(\n    retries=2,\n    skip=False,\n    timeout=1.5,\n    **OPTS,\n)\nasync def check(): ...\n@test(skip='it\\'s \\n off', tags={'s'}, timeout=None, extra={'k': [1, {2}]})\ndef test_c(): ...\n@unknown.deco[0]\ndef test_d(): ...\n",
    );
    assert_eq!(ids(&f), ["test_a", "check", "test_c", "test_d"]);
    assert_eq!(f.items[0].tags, ["a"]);
    assert_eq!(f.items[0].skip.as_deref(), Some("skipped"));
    assert!(f.items[1].xfail && f.items[1].is_async);
    assert_eq!(f.items[1].dynamic, [Dynamic::Options]);
    assert_eq!(f.items[2].skip.as_deref(), Some("it's \n off"));
}

#[test]
fn suites_groups_and_nesting() {
    let f = taken(
        "from dbtest import TestSuite, test, skip\nclass Base(TestSuite):\n    tags = ('b',)\n    def test_x(self): ...\n@skip('later')\nclass TestChild(Base):\n    \"\"\"Doc.\"\"\"\n    tags = TAGS\n    def test_y(self): ...\n    class Inner(TestSuite): pass\n    class TestMore(TestSuite):\n        @test\n        def m(self): ...\nclass TestRemote(elsewhere.Base, metaclass=Meta):\n    def test_r(self): ...\n",
    );
    assert_eq!(
        ids(&f),
        [
            "Base::test_x",
            "TestChild::test_x",
            "TestChild::test_y",
            "TestChild::TestMore::m",
            "TestRemote"
        ]
    );
    let mut p = new_parser();
    let bench = "from dbtest import BenchmarkGroup\ng = BenchmarkGroup('codec', tags=['io'])\nh = BenchmarkGroup(name='other', tags=T)\n@g.add\ndef enc(): ...\n@g.add('dec', tags=['x'])\n@h.add(name='n')\ndef dec(): ...\n";
    let ts = parse_file_with(
        &mut p,
        "benchmarks/bench_x.py",
        ItemKind::Bench,
        bench,
        false,
        FrontEnd::TreeSitter,
    );
    let fast = parse_file_with(
        &mut p,
        "benchmarks/bench_x.py",
        ItemKind::Bench,
        bench,
        false,
        FrontEnd::FastOnly,
    );
    assert!(fast.is_some());
    assert_eq!(fast, ts);
    let ts = ts.unwrap();
    assert_eq!(ts.suites.len(), 2);
    assert_eq!(ts.suites[0].items.len(), 2);
}

/// A wider differential over any tree of Python files (e.g. a virtualenv's
/// site-packages): `DBTEST_DIFF_DIR=/path cargo test -p dbtest-engine --test
/// parse_fast -- --ignored`. Fails on the first disagreement.
#[test]
#[ignore]
fn differential_over_a_directory() {
    let Some(dir) = std::env::var_os("DBTEST_DIFF_DIR") else {
        return;
    };
    let mut files = Vec::new();
    py_files(Path::new(&dir), &mut files);
    let mut taken = 0;
    for f in &files {
        let Ok(src) = std::fs::read_to_string(f) else {
            continue;
        };
        let mut p = new_parser();
        for kind in [ItemKind::Test, ItemKind::Bench] {
            let ts = parse_file_with(&mut p, "t.py", kind, &src, false, FrontEnd::TreeSitter);
            let fast = parse_file_with(&mut p, "t.py", kind, &src, false, FrontEnd::FastOnly);
            if let Some(fast) = fast {
                assert_eq!(Some(fast), ts, "{}", f.display());
                taken += 1;
            }
        }
    }
    eprintln!(
        "{} files, {taken} parses taken by the fast path",
        files.len()
    );
}
