//! How discovery assembles its answer: parser threads copy and sort each
//! file's items and the results are merged by moving, with a global sort only
//! when file order and id order disagree. Whatever the thread count, the
//! answer must be exactly that of sorting every item of the display tree.

use dbtest_engine::config::Config;
use dbtest_engine::discovery::{discover, DiscoverOptions, Discovery};
use dbtest_engine::tree::TestItem;
use std::fs;
use std::path::PathBuf;

/// A fresh project, removed when dropped.
struct Project {
    root: PathBuf,
}

impl Project {
    fn new(name: &str) -> Project {
        let root = std::env::temp_dir().join(format!("dbtest-order-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("tests")).unwrap();
        Project { root }
    }

    fn write(&self, rel: &str, src: &str) {
        let p = self.root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, src).unwrap();
    }

    fn discover(&self, threads: usize) -> Discovery {
        let mut o = DiscoverOptions::new(Config::defaults(self.root.clone()));
        o.threads = threads;
        discover(&o)
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// Items in display order within a file are not in id order: suites come
/// first, `test_10` before `test_2`, a later suite sorts before an earlier.
const FILE: &str = "\
from dbtest import TestSuite, test, parametrize
import unittest

def test_z(): pass
def test_10(): pass
def test_2(): pass

class TestB(TestSuite):
    tags = ['b', 'a']
    @test(tags=['x'])
    def zed(self): pass
    def test_a(self): pass

class TestA(unittest.TestCase):
    def test_q(self): pass

@parametrize('x', [2, 1, 'b a'])
def test_p(x): pass
";

/// What the old assembly computed: every item of the display tree in file
/// order, stably sorted by id.
fn reference(d: &Discovery) -> Vec<TestItem> {
    let mut items: Vec<TestItem> = d
        .files
        .iter()
        .flat_map(|f| f.all_items().cloned())
        .collect();
    items.sort_by(|a, b| a.id.cmp(&b.id));
    items
}

fn snapshot(d: &Discovery) -> String {
    serde_json::to_string(&(&d.files, &d.items, &d.errors)).unwrap()
}

#[test]
fn items_are_the_sorted_tree_whatever_the_thread_count() {
    let p = Project::new("threads");
    // 200 files: several chunks per thread, claimed in varying order.
    for n in 0..200 {
        p.write(&format!("tests/pkg{}/test_m{n}.py", n % 7), FILE);
    }
    p.write("tests/test_bad.py", "def test_x(:\n    pass\n");
    let one = p.discover(1);
    assert_eq!(one.items.len(), 200 * 9);
    assert_eq!(one.items, reference(&one));
    let paths: Vec<&str> = one.files.iter().map(|f| f.path.as_str()).collect();
    let mut sorted_paths = paths.clone();
    sorted_paths.sort();
    assert_eq!(paths, sorted_paths);
    assert_eq!(one.errors.len(), 1);
    for threads in [2, 3, 8] {
        let many = p.discover(threads);
        assert_eq!(snapshot(&many), snapshot(&one), "{threads} threads");
    }
}

#[test]
fn file_order_that_is_not_id_order_is_sorted() {
    // `test_a.py` < `test_a.py.x_test.py` as paths, but `.` < `:` puts the
    // second file's ids first: the concatenation of files is out of order.
    let p = Project::new("prefix");
    p.write("tests/test_a.py", "def test_one(): pass\n");
    p.write("tests/test_a.py.x_test.py", "def test_two(): pass\n");
    p.write("tests/test_a-b.py", "def test_three(): pass\n");
    for threads in [1, 2] {
        let d = p.discover(threads);
        let ids: Vec<&str> = d.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "tests/test_a-b.py::test_three",
                "tests/test_a.py.x_test.py::test_two",
                "tests/test_a.py::test_one",
            ]
        );
        assert_eq!(d.items, reference(&d));
        let paths: Vec<&str> = d.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "tests/test_a-b.py",
                "tests/test_a.py",
                "tests/test_a.py.x_test.py"
            ]
        );
    }
}

#[test]
fn a_suite_with_a_foreign_mixin_and_no_tests_lists_nothing() {
    // Known kind (TestSuite) plus an unknown base, but no test methods: no
    // placeholder item (that is only for classes of unknown kind).
    let p = Project::new("mixin");
    p.write(
        "tests/test_m.py",
        "from dbtest import TestSuite\nfrom helpers import Mixin\n\n\
         class TestEmpty(TestSuite, Mixin):\n    def helper(self): pass\n\n\
         class TestForeign(Mixin):\n    def test_x(self): pass\n",
    );
    let d = p.discover(1);
    let ids: Vec<&str> = d.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["tests/test_m.py::TestForeign"]);
}
