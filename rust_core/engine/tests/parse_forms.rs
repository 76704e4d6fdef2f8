//! The static parse: every form documented in docs/discovery.md.

mod common;

use common::{ids, item, parse, PATH};
use dbtest_engine::parse::{new_parser, parse_file};
use dbtest_engine::tree::{Dynamic, ItemKind, SuiteKind, TestStyle};

#[test]
fn suite_methods_decorated_or_named() {
    let f = parse(
        r#"
from dbtest import TestSuite, test

class Users(TestSuite):
    tags = ["db", "users"]

    @test
    def inserts(self): ...

    @test()
    async def deletes(self):
        await x

    def test_lookup(self):
        pass

    def helper(self):
        pass

    def setup(self):
        pass
"#,
    );
    assert_eq!(
        ids(&f),
        vec![
            "tests/test_x.py::Users::inserts",
            "tests/test_x.py::Users::deletes",
            "tests/test_x.py::Users::test_lookup"
        ]
    );
    let s = &f.suites[0];
    assert_eq!(
        (s.name.as_str(), s.kind, s.line),
        ("Users", SuiteKind::Suite, 4)
    );
    assert_eq!(s.tags, vec!["db", "users"]);
    let d = item(&f, "Users::deletes");
    assert!(d.is_async);
    assert_eq!(d.style, TestStyle::Suite);
    assert_eq!(d.tags, vec!["db", "users"]);
    assert_eq!(d.line, 11);
    assert_eq!(d.suite.as_deref(), Some("Users"));
}

#[test]
fn module_functions_sync_and_async() {
    let f = parse(
        "def test_a():\n    pass\n\nasync def test_b():\n    pass\n\ndef helper():\n    pass\n\ndef testing(): pass\n",
    );
    // pytest's rule: the `test` prefix, so `testing` is a test too.
    assert_eq!(
        ids(&f),
        vec![
            "tests/test_x.py::test_a",
            "tests/test_x.py::test_b",
            "tests/test_x.py::testing"
        ]
    );
    assert!(!item(&f, "test_a").is_async);
    assert!(item(&f, "test_b").is_async);
    assert_eq!(item(&f, "test_b").style, TestStyle::Function);
    assert_eq!(item(&f, "test_b").line, 4);
}

#[test]
fn unittest_classes() {
    let f = parse(
        r#"
import unittest
from unittest import IsolatedAsyncioTestCase

class T(unittest.TestCase):
    def testOne(self): pass
    def test_two(self): pass
    def setUp(self): pass

@unittest.skip("broken")
class A(IsolatedAsyncioTestCase):
    async def test_io(self): pass
    @unittest.expectedFailure
    def test_known(self): pass
    @unittest.skipIf(True, "never")
    def test_skipif(self): pass
"#,
    );
    assert_eq!(f.suites[0].kind, SuiteKind::Unittest);
    assert_eq!(
        ids(&f),
        vec![
            "tests/test_x.py::T::testOne",
            "tests/test_x.py::T::test_two",
            "tests/test_x.py::A::test_io",
            "tests/test_x.py::A::test_known",
            "tests/test_x.py::A::test_skipif"
        ]
    );
    assert_eq!(item(&f, "T::testOne").style, TestStyle::Unittest);
    assert_eq!(item(&f, "A::test_io").skip.as_deref(), Some("broken"));
    assert!(item(&f, "A::test_known").xfail);
    assert!(item(&f, "A::test_io").is_async);
}

#[test]
fn test_decorator_options() {
    let f = parse(
        r#"
from dbtest import test, skip, skip_if, xfail

@test(tags=["b", "a"], timeout=2.5, retries=2)
def t1(): pass

@test(skip="not today")
def t2(): pass

@test(tags=TAGS, timeout=compute())
def t3(): pass

@skip
def test_s1(): pass

@skip("why")
def test_s2(): pass

@skip_if(False, reason="x")
def test_s3(): pass

@skip_if(sys.platform == "win32", reason="posix")
def test_s4(): pass

@xfail(reason="bug", strict=True)
def test_x(): pass
"#,
    );
    let t1 = item(&f, "t1");
    assert_eq!(t1.tags, vec!["a", "b"]);
    assert_eq!(t1.timeout, Some(2.5));
    assert_eq!(t1.retries, Some(2));
    assert_eq!(item(&f, "t2").skip.as_deref(), Some("not today"));
    let t3 = item(&f, "t3");
    assert_eq!(t3.dynamic, vec![Dynamic::Tags, Dynamic::Options]);
    assert_eq!(item(&f, "test_s1").skip.as_deref(), Some("skipped"));
    assert_eq!(item(&f, "test_s2").skip.as_deref(), Some("why"));
    assert_eq!(item(&f, "test_s3").skip, None);
    assert_eq!(item(&f, "test_s4").skip, None);
    assert_eq!(item(&f, "test_s4").dynamic, vec![Dynamic::Options]);
    assert!(item(&f, "test_x").xfail);
}

#[test]
fn odd_decorator_spellings() {
    let f = parse(
        r#"
import dbtest
import dbtest as dt
from dbtest import test as check

class S(dbtest.TestSuite):
    @ test ( tags = [ "a" ] )
    def one(self): pass

    @dbtest.test
    def two(self): pass

    @dt.test(tags=("t",))
    def three(self): pass

    @check
    def four(self): pass

    @other.test
    def not_a_test(self): pass

    @test  # a comment
    def five(
        self,
    ): pass
"#,
    );
    assert_eq!(
        f.all_items().map(|i| i.name.as_str()).collect::<Vec<_>>(),
        vec!["one", "two", "three", "four", "five"]
    );
    assert_eq!(item(&f, "S::one").tags, vec!["a"]);
    assert_eq!(item(&f, "S::three").tags, vec!["t"]);
}

#[test]
fn parametrize_ids_match_the_runtime_rule() {
    let f = parse(
        r#"
from dbtest import parametrize

@parametrize("n", [1, -2, 2.5, "x", None, True, [1], {}])
def test_one(n): pass

# A name may hold a str or an int: only the import knows its id.
@parametrize("n", [1, obj])
def test_name(n): pass

@parametrize("a, b", [(1, "u"), (2, "v")])
def test_two(a, b): pass

@parametrize(("a", "b"), [[1, 2]], ids=["first"])
def test_ids(a, b): pass

@parametrize("x", [1, 2])
@parametrize("y", ["a", "b"])
def test_stack(x, y): pass

@parametrize("v", ["a", "a"])
def test_dup(v): pass

@parametrize("v", CASES)
def test_dyn(v): pass

@parametrize("v", [1, 2], ids=[None, "two"])
def test_partial_ids(v): pass
"#,
    );
    let got: Vec<String> = f
        .items
        .iter()
        .map(|i| i.id.replace("tests/test_x.py::", ""))
        .collect();
    assert_eq!(
        got,
        vec![
            "test_one[1]",
            "test_one[-2]",
            "test_one[2.5]",
            "test_one[x]",
            "test_one[None]",
            "test_one[True]",
            "test_one[n6]",
            "test_one[n7]",
            "test_name",
            "test_two[1-u]",
            "test_two[2-v]",
            "test_ids[first]",
            // bottom-most decorator first in the id, and it varies slowest
            "test_stack[a-1]",
            "test_stack[a-2]",
            "test_stack[b-1]",
            "test_stack[b-2]",
            "test_dup[a0]",
            "test_dup[a1]",
            "test_dyn",
            "test_partial_ids[1]",
            "test_partial_ids[two]",
        ]
    );
    let one = item(&f, "test_one[x]");
    assert_eq!(one.params.as_deref(), Some("x"));
    assert_eq!(one.name, "test_one");
    assert_eq!(item(&f, "test_dyn").dynamic, vec![Dynamic::Params]);
    assert_eq!(item(&f, "test_dyn").params, None);
}

#[test]
fn an_empty_case_list_is_one_skipped_item_as_at_import() {
    let f = parse(
        r#"
from dbtest import parametrize, skip

@parametrize("v", [])
def test_empty(v): pass

@parametrize("x", [1, 2])
@parametrize("y", [])
def test_empty_product(x, y): pass

@skip("not today")
@parametrize("v", [])
def test_empty_skipped(v): pass
"#,
    );
    assert_eq!(
        ids(&f),
        vec![
            "tests/test_x.py::test_empty",
            "tests/test_x.py::test_empty_product",
            "tests/test_x.py::test_empty_skipped",
        ]
    );
    let empty = item(&f, "test_empty");
    assert_eq!(empty.skip.as_deref(), Some("parametrize: no cases"));
    assert_eq!(empty.params, None);
    assert_eq!(
        item(&f, "test_empty_product").skip.as_deref(),
        Some("parametrize: no cases")
    );
    assert_eq!(
        item(&f, "test_empty_skipped").skip.as_deref(),
        Some("not today")
    );
}

#[test]
fn a_function_defined_again_is_listed_once_as_its_last_definition() {
    let f = parse(
        r#"
from dbtest import test

def test_same(): assert False

@test(tags=["later"])
def test_same(): pass

@test
def check(): pass

@test(tags=["second"])
def check(): pass

def test_other(): pass
"#,
    );
    assert_eq!(
        ids(&f),
        vec![
            "tests/test_x.py::test_same",
            "tests/test_x.py::check",
            "tests/test_x.py::test_other"
        ]
    );
    assert_eq!(item(&f, "check").tags, vec!["second"]);
    assert_eq!(item(&f, "test_same").tags, vec!["later"]);
}

#[test]
fn benchmark_groups_and_entries() {
    let src = r#"
from dbtest import BenchmarkGroup, parametrize
import dbtest

json_group = BenchmarkGroup("json", tags=["io"])
other = dbtest.BenchmarkGroup(name="other")

@json_group.add("dumps")
def bench_dumps(): ...

@json_group.add
def loads(): ...

@other.add(name="sum")
@parametrize("n", [10, 100])
def summing(n): ...

@unknown.add("x")
def nope(): ...

wrapped = register_group(BenchmarkGroup("wrapped"))

@wrapped.add("w")
def w(): ...
"#;
    let mut p = new_parser();
    let f = parse_file(&mut p, "bench_j.py", ItemKind::Bench, src, false);
    assert_eq!(f.suites.len(), 3);
    assert_eq!(f.suites[0].kind, SuiteKind::Group);
    let ids: Vec<&str> = f.all_items().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "bench_j.py::json::dumps",
            "bench_j.py::json::loads",
            "bench_j.py::other::sum[10]",
            "bench_j.py::other::sum[100]",
            "bench_j.py::wrapped::w"
        ]
    );
    let d = f.all_items().next().unwrap();
    assert_eq!((d.kind, d.style), (ItemKind::Bench, TestStyle::Bench));
    assert_eq!(d.tags, vec!["io"]);
    assert_eq!(d.suite.as_deref(), Some("json"));
}

#[test]
fn benchmark_entry_tags_are_read() {
    let src = r#"
from dbtest import BenchmarkGroup

g = BenchmarkGroup("insert one", baseline="stdlib", tags=["db"])
TAGS = ["computed"]

@g.add("stdlib")
def a(): ...

@g.add("fast path", tags=["fast", "c"])
async def b(): ...

@g.add("dynamic", tags=TAGS)
def c(): ...
"#;
    let mut p = new_parser();
    let f = parse_file(&mut p, "bench_i.py", ItemKind::Bench, src, false);
    let tags: Vec<(String, Vec<String>, bool)> = f
        .all_items()
        .map(|i| {
            (
                i.name.clone(),
                i.tags.clone(),
                i.dynamic.contains(&Dynamic::Tags),
            )
        })
        .collect();
    assert_eq!(
        tags,
        vec![
            ("stdlib".into(), vec!["db".into()], false),
            (
                "fast path".into(),
                vec!["c".into(), "db".into(), "fast".into()],
                false
            ),
            ("dynamic".into(), vec!["db".into()], true),
        ]
    );
}

#[test]
fn nested_classes_and_inheritance() {
    let f = parse(
        r#"
from dbtest import TestSuite
from .base import RemoteBase

class Base(TestSuite):
    tags = ["base"]
    def test_shared(self): pass
    def test_overridden(self): pass

class Child(Base):
    def test_overridden(self): pass
    def test_own(self): pass

class Outer(TestSuite):
    def test_o(self): pass

    class Inner(TestSuite):
        def test_i(self): pass

class Helper:
    def test_not_collected(self): pass

class TestRemote(RemoteBase):
    def test_local(self): pass

def factory():
    class Hidden(TestSuite):
        def test_h(self): pass
"#,
    );
    assert_eq!(
        ids(&f),
        vec![
            "tests/test_x.py::Base::test_shared",
            "tests/test_x.py::Base::test_overridden",
            "tests/test_x.py::Child::test_shared",
            "tests/test_x.py::Child::test_overridden",
            "tests/test_x.py::Child::test_own",
            "tests/test_x.py::Outer::test_o",
            "tests/test_x.py::Outer::Inner::test_i",
            "tests/test_x.py::TestRemote",
        ]
    );
    assert_eq!(item(&f, "Child::test_shared").tags, vec!["base"]);
    assert_eq!(item(&f, "Child::test_overridden").line, 11);
    assert_eq!(
        item(&f, "Outer::Inner::test_i").suite.as_deref(),
        Some("Outer::Inner")
    );
    let remote = item(&f, "TestRemote");
    assert_eq!(remote.dynamic, vec![Dynamic::Inherited]);
}

#[test]
fn python_312_syntax() {
    let f = parse(
        r#"
type Alias[T] = list[T]

def test_generic[T](x: T = None) -> T:
    match x:
        case [a, *rest]:
            pass
    return x

class S[T](TestSuite):
    async def test_g(self):
        print(f"{x["k"]!r:>{10}}")
"#,
    );
    assert!(f.error.is_none(), "{:?}", f.error);
    assert_eq!(
        ids(&f),
        vec![
            "tests/test_x.py::S::test_g",
            "tests/test_x.py::test_generic"
        ]
    );
}

#[test]
fn syntax_errors_become_collection_errors() {
    for (src, line) in [
        ("def test_a():\n    pass\n\ndef test_b(:\n    pass\n", 4),
        ("class A(TestSuite:\n    def test_x(self): pass\n", 1),
        ("def test_a():\n    x = 'unterminated\n", 2),
        ("def test_a():\n    pass\n  bad_dedent = 1\n", 3),
        ("@test(\ndef test_a(): pass\n", 1),
        ("def test_a()\n    pass\n", 1),
    ] {
        let f = parse(src);
        let e = f
            .error
            .as_ref()
            .unwrap_or_else(|| panic!("no error for {src:?}"));
        assert_eq!(e.line, line, "{src:?}: {e:?}");
        assert_eq!(e.path, PATH);
        assert!(e.message.starts_with("syntax error"), "{e:?}");
        assert!(f.items.is_empty() && f.suites.is_empty());
    }
}

#[test]
fn body_errors_only_with_full_parse() {
    let src = "def test_a():\n    x = = 1\n";
    let mut p = new_parser();
    assert!(parse_file(&mut p, PATH, ItemKind::Test, src, false)
        .error
        .is_none());
    let full = parse_file(&mut p, PATH, ItemKind::Test, src, true);
    assert_eq!(full.error.as_ref().map(|e| e.line), Some(2));
}

#[test]
fn strings_that_look_like_code_are_ignored() {
    let f = parse("DOC = '''\ndef test_fake():\n    pass\n'''\n\ndef test_real():\n    s = \"\"\"\nclass X(TestSuite):\n\"\"\"\n");
    assert_eq!(ids(&f), vec!["tests/test_x.py::test_real"]);
    assert_eq!(item(&f, "test_real").line, 6);
}

#[test]
fn tests_under_blocks_are_listed_as_conditional() {
    let f = parse(
        r#"
import unittest

if PY3:
    def test_a(): ...
else:
    def test_a(): ...
    def helper(): ...

def test_b(): ...

try:
    def test_b(): ...
except ImportError:
    pass

class Case(unittest.TestCase):
    def test_x(self): ...

    if PY3:
        def test_y(self): ...
        def not_a_test(self): ...

if PY3:
    class TestUnder:
        def test_c(self): ...
"#,
    );
    assert_eq!(
        ids(&f),
        vec![
            "tests/test_x.py::Case::test_x",
            "tests/test_x.py::Case::test_y",
            "tests/test_x.py::TestUnder",
            "tests/test_x.py::test_b",
            "tests/test_x.py::test_a",
        ]
    );
    // A name defined outside any block is that test, whatever a block adds.
    assert!(item(&f, "test_b").dynamic.is_empty());
    assert_eq!(item(&f, "test_a").dynamic, vec![Dynamic::Conditional]);
    assert_eq!(item(&f, "test_a").line, 5);
    assert_eq!(item(&f, "Case::test_y").dynamic, vec![Dynamic::Conditional]);
    assert_eq!(item(&f, "Case::test_y").style, TestStyle::Unittest);
    assert_eq!(
        item(&f, "TestUnder").dynamic,
        vec![Dynamic::Inherited, Dynamic::Conditional]
    );
}
