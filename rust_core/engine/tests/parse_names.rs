//! pytest's `python_classes` and `python_functions` in the static parse:
//! the rule of `config::names`, applied to module functions, plain classes
//! and their methods, and not to TestCase methods or dbtest's own forms.

use dbtest_engine::config::names::{NameRule, PythonNames};
use dbtest_engine::parse::{parse_file_reusing, Scratch};
use dbtest_engine::tree::ItemKind;

const PATH: &str = "checks/check_x.py";

fn ids(src: &str, names: &PythonNames, full: bool) -> Vec<String> {
    let node = parse_file_reusing(
        &mut Scratch::default(),
        PATH,
        ItemKind::Test,
        src,
        full,
        names,
    );
    assert!(node.error.is_none(), "{:?}", node.error);
    let mut out: Vec<String> = node
        .all_items()
        .map(|i| {
            i.id.trim_start_matches(PATH)
                .trim_start_matches("::")
                .to_string()
        })
        .collect();
    out.sort();
    out
}

const SRC: &str = r#"
import unittest
import pytest
from dbtest import TestSuite, test

def check_a(): pass
def test_b(): pass
def tests_c(): pass
def check(): pass
def helper(): pass

@pytest.fixture
def check_fixture(): return 1

@test
def anything(): pass

class CheckMath:
    def check_add(self): pass
    def test_sub(self): pass
    def testmul(self): pass
    @staticmethod
    def check_static(): pass

class AdditionSuite:
    def check_one(self): pass

class TestDefault:
    def test_never(self): pass

class Case(unittest.TestCase):
    def test_a(self): pass
    def check_b(self): pass

class Own(TestSuite):
    def test_own(self): pass
    def check_not(self): pass
"#;

#[test]
fn configured_rules_decide_functions_classes_and_methods() {
    let names = PythonNames {
        classes: NameRule::new(&["Check", "*Suite"]),
        functions: NameRule::new(&["check_*", "test_*"]),
    };
    let want = [
        "AdditionSuite::check_one",
        "Case::test_a",
        "CheckMath::check_add",
        "CheckMath::check_static",
        "CheckMath::test_sub",
        "Own::test_own",
        "anything",
        "check_a",
        "test_b",
    ];
    // The skeleton (with its own pre-filter of module-level defs) and a
    // full parse agree.
    assert_eq!(ids(SRC, &names, false), want);
    assert_eq!(ids(SRC, &names, true), want);
}

#[test]
fn the_defaults_are_pytests() {
    let want = [
        "Case::test_a",
        "Own::test_own",
        "TestDefault::test_never",
        "anything",
        "test_b",
        "tests_c",
    ];
    assert_eq!(ids(SRC, &PythonNames::default(), false), want);
}

#[test]
fn an_empty_rule_names_nothing() {
    let names = PythonNames {
        classes: NameRule::new(&[] as &[&str]),
        functions: NameRule::new(&[] as &[&str]),
    };
    assert_eq!(
        ids(SRC, &names, false),
        ["Case::test_a", "Own::test_own", "anything"]
    );
}
