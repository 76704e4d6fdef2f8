//! The static parse of pytest's vocabulary: plain `Test*` classes, marks
//! through every import form, `pytestmark`, pytest's parametrize ids.

mod common;

use common::{item, parse};
use dbtest_engine::tree::{Dynamic, FileNode, TestStyle};

/// The ids without the file, as the tests below write them.
fn ids(f: &FileNode) -> Vec<String> {
    common::ids(f)
        .into_iter()
        .map(|i| i.trim_start_matches("tests/test_x.py::").to_string())
        .collect()
}

#[test]
fn plain_test_classes_are_collected_with_their_test_methods() {
    let f = parse(
        r#"
class TestMath:
    def test_add(self): pass
    async def test_async(self): pass
    def testing(self): pass
    def helper(self): pass

class TestChild(TestMath):
    def test_more(self): pass

class Helper:
    def test_not_collected(self): pass

class TestWithInit:
    def __init__(self): pass
    def test_x(self): pass

class TestOptedOut:
    __test__ = False
    def test_y(self): pass
"#,
    );
    assert_eq!(
        ids(&f),
        vec![
            "TestMath::test_add",
            "TestMath::test_async",
            "TestMath::testing",
            "TestChild::test_add",
            "TestChild::test_async",
            "TestChild::testing",
            "TestChild::test_more",
        ]
    );
    let t = item(&f, "TestMath::test_async");
    assert_eq!((t.style, t.is_async), (TestStyle::Class, true));
    // The class with a constructor is said, not dropped in silence; the
    // opted-out one is the author's choice.
    let why: Vec<(&str, &str)> = f
        .uncollected
        .iter()
        .map(|u| (u.name.as_str(), u.reason.as_str()))
        .collect();
    assert_eq!(why, vec![("TestWithInit", "has an __init__ constructor")]);
}

#[test]
fn a_plain_class_with_a_base_elsewhere_is_known_at_import() {
    let f = parse("from base import Mixin\n\nclass TestX(Mixin):\n    def test_a(self): pass\n");
    let t = item(&f, "TestX");
    assert!(t.dynamic.contains(&Dynamic::Inherited));
}

#[test]
fn marks_are_read_through_every_import_form() {
    let f = parse(
        r#"
import pytest
import pytest as pt
from pytest import mark
from pytest import mark as m

@pytest.mark.skip(reason="later")
def test_skip(): pass

@pytest.mark.skip
def test_skip_bare(): pass

@mark.skip("positional")
def test_from_import(): pass

@pt.mark.xfail
def test_xfail(): pass

@m.slow
@m.db(transaction=True)
def test_custom(): pass

@pytest.mark.skipif(sys.version_info < (3, 14), reason="new")
def test_skipif_computed(): pass

@pytest.mark.skipif(False, reason="never")
def test_skipif_false(): pass

@pytest.mark.xfail(condition=False)
def test_xfail_false(): pass

@pytest.mark.xfail(run=False)
def test_xfail_notrun(): pass

@pytest.mark.timeout(5)
@pytest.mark.usefixtures("db")
def test_timeout(): pass
"#,
    );
    assert_eq!(item(&f, "test_skip").skip.as_deref(), Some("later"));
    assert_eq!(
        item(&f, "test_skip_bare").skip.as_deref(),
        Some("unconditional skip")
    );
    assert_eq!(
        item(&f, "test_from_import").skip.as_deref(),
        Some("positional")
    );
    assert!(item(&f, "test_xfail").xfail);
    assert_eq!(item(&f, "test_custom").tags, vec!["db", "slow"]);
    let computed = item(&f, "test_skipif_computed");
    assert!(computed.skip.is_none() && computed.dynamic.contains(&Dynamic::Options));
    let never = item(&f, "test_skipif_false");
    assert!(never.skip.is_none() && never.dynamic.is_empty());
    assert!(!item(&f, "test_xfail_false").xfail);
    assert!(item(&f, "test_xfail_notrun")
        .dynamic
        .contains(&Dynamic::Options));
    let t = item(&f, "test_timeout");
    assert_eq!((t.timeout, t.tags.is_empty()), (Some(5.0), true));
}

#[test]
fn pytestmark_applies_to_the_module_and_the_class() {
    let f = parse(
        r#"
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.skip(reason="module")]

def test_a(): pass

class TestC:
    pytestmark = pytest.mark.xfail
    def test_b(self): pass
"#,
    );
    let a = item(&f, "test_a");
    assert_eq!(
        (a.tags.clone(), a.skip.as_deref()),
        (vec!["slow".to_string()], Some("module"))
    );
    let b = item(&f, "TestC::test_b");
    assert!(b.xfail);
    assert_eq!(b.tags, vec!["slow"]);
}

#[test]
fn a_pytestmark_this_parse_cannot_read_is_left_to_the_import() {
    let f = parse("import pytest\n\npytestmark = MARKS\n\ndef test_a(): pass\n");
    let a = item(&f, "test_a");
    assert!(a.dynamic.contains(&Dynamic::Options) && a.dynamic.contains(&Dynamic::Tags));
}

#[test]
fn pytest_parametrize_ids_follow_pytest() {
    let f = parse(
        r#"
import pytest

@pytest.mark.parametrize("v", ["café", "a\tb", "x", 1, None, True, 2.5, (1, 2)])
def test_values(v): pass

@pytest.mark.parametrize("v", ["a", "a", "b1", "b1", 3, 3])
def test_duplicates(v): pass

@pytest.mark.parametrize("a, b", [pytest.param(1, 2, id="named"), pytest.param(3, 4), (5, "s")])
def test_param(a, b): pass

@pytest.mark.parametrize("v", [pytest.param(1, marks=pytest.mark.skip), 2])
def test_case_marks(v): pass

@pytest.mark.parametrize("x", [1, 2])
@pytest.mark.parametrize("y", ["a"])
def test_stacked(x, y): pass

@pytest.mark.parametrize("v", [ValueError, len])
def test_names(v): pass

@pytest.mark.parametrize("v", [])
def test_empty(v): pass

class TestK:
    @pytest.mark.parametrize("n", [1, 2], ids=["one", "two"])
    def test_m(self, n): pass
"#,
    );
    let got = ids(&f);
    let want = [
        "TestK::test_m[one]",
        "TestK::test_m[two]",
        r"test_values[caf\xe9]",
        r"test_values[a\tb]",
        "test_values[x]",
        "test_values[1]",
        "test_values[None]",
        "test_values[True]",
        "test_values[2.5]",
        "test_values[v7]",
        "test_duplicates[a0]",
        "test_duplicates[a1]",
        "test_duplicates[b1_0]",
        "test_duplicates[b1_1]",
        "test_duplicates[3_0]",
        "test_duplicates[3_1]",
        "test_param[named]",
        "test_param[3-4]",
        "test_param[5-s]",
        "test_case_marks[1]",
        "test_case_marks[2]",
        "test_stacked[a-1]",
        "test_stacked[a-2]",
        // A class or a function is named by its `__name__`, which only the
        // import knows for certain; an empty set is pytest's own case.
        "test_names",
        "test_empty",
    ];
    assert_eq!(got, want);
    assert!(item(&f, "test_case_marks[1]")
        .dynamic
        .contains(&Dynamic::Options));
    assert!(item(&f, "test_names").dynamic.contains(&Dynamic::Params));
}
