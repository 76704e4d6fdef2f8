//! The static doctest finder names what `doctest.DocTestFinder` finds.

use dbtest_engine::parse::{doctests, Scratch};
use dbtest_engine::tree::{FileNode, ItemKind, TestStyle};

fn found(src: &str) -> FileNode {
    let mut node = FileNode {
        path: "pkg/m.py".into(),
        kind: ItemKind::Test,
        error: None,
        suites: Vec::new(),
        items: Vec::new(),
        uncollected: Vec::new(),
    };
    doctests::module_into(&mut Scratch::default(), "pkg/m.py", "pkg.m", src, &mut node);
    node
}

fn names(node: &FileNode) -> Vec<&str> {
    node.items.iter().map(|i| i.name.as_str()).collect()
}

#[test]
fn docstrings_with_examples_by_qualified_name() {
    let src = r#""""Module.

>>> 1
1
"""
import x

def f():
    """
    >>> f()
    """

def g():
    """No example."""

@decorator
async def h():
    '''>>> h'''

class C:
    """>>> C"""
    def m(self):
        """
        >>> m
        """
    class Inner:
        def deep(self):
            """>>> deep"""
    def no(self):
        def inner():
            """>>> never: the finder does not look into functions"""

if x:
    def under_if():
        """>>> 1"""
else:
    def under_if():
        """>>> 2"""
"#;
    let node = found(src);
    assert_eq!(
        names(&node),
        [
            "pkg.m",
            "pkg.m.f",
            "pkg.m.h",
            "pkg.m.C",
            "pkg.m.C.m",
            "pkg.m.C.Inner.deep",
            "pkg.m.under_if"
        ]
    );
    assert!(node.items.iter().all(|i| i.style == TestStyle::Doctest));
    assert_eq!(node.items[0].id, "pkg/m.py::pkg.m");
    assert_eq!(
        node.items[2].line, 16,
        "a decorated def starts at its decorator"
    );
}

#[test]
fn f_strings_bytes_and_later_strings_are_no_docstrings() {
    let src = "x = 1\n\"\"\">>> 1\"\"\"\n\ndef f():\n    f\"\"\">>> 1\"\"\"\n\ndef g():\n    b\"\"\">>> 1\"\"\"\n\ndef k():\n    # a comment first\n    r\"\"\">>> 1\"\"\"\n";
    assert_eq!(names(&found(src)), ["pkg.m.k"]);
}

#[test]
fn a_syntax_error_is_the_files_error() {
    let node = found("def f(:\n    \"\"\">>> 1\"\"\"\n");
    assert!(node.items.is_empty());
    assert!(node.error.unwrap().message.starts_with("syntax error"));
}

#[test]
fn a_text_file_is_one_test_when_it_has_an_example() {
    let mut node = found("");
    doctests::text_into(
        "docs/test_a.txt",
        "Words.\n\n    >>> 1 + 1\n    2\n",
        &mut node,
    );
    doctests::text_into("docs/test_b.txt", "No example.\n", &mut node);
    assert_eq!(node.items.len(), 1);
    assert_eq!(node.items[0].id, "docs/test_a.txt::test_a.txt");
}
