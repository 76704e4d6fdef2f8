//! A discovery held for repeated selections (the TUI's filter): each filter
//! gives the same ids as a fresh `list` with it, malformed filters are usage
//! errors, and no selection walks the disk again.

use dbtest_engine::discovery::list::{list, ListRequest, Listed};
use dbtest_engine::error::UsageError;
use dbtest_engine::filter::FilterSpec;
use std::fs;
use std::path::PathBuf;

/// A fresh project with a `tests/` directory, removed when dropped.
struct Project {
    root: PathBuf,
}

impl Project {
    fn new(name: &str) -> Project {
        let root =
            std::env::temp_dir().join(format!("dbtest-select-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("tests/integration")).unwrap();
        fs::write(
            root.join("tests/test_suite.py"),
            "\
from dbtest import TestSuite, test

class TestDb(TestSuite):
    tags = [\"db\"]

    @test(tags=[\"slow\"])
    def test_insert(self):
        pass

    def test_select(self):
        pass

def test_plain():
    pass
",
        )
        .unwrap();
        fs::write(
            root.join("tests/integration/test_api.py"),
            "def test_call():\n    pass\n",
        )
        .unwrap();
        Project { root }
    }

    fn list(&self, filter: FilterSpec) -> Result<Listed, UsageError> {
        list(&ListRequest {
            start_dir: self.root.clone(),
            filter,
            ..ListRequest::default()
        })
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

fn spec(pattern: Option<&str>, tags: &[&str], expr: Option<&str>) -> FilterSpec {
    FilterSpec {
        pattern: pattern.map(str::to_string),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        expr: expr.map(str::to_string),
        ..FilterSpec::default()
    }
}

#[test]
fn a_held_discovery_selects_what_a_fresh_list_selects() {
    let p = Project::new("same");
    let held = p.list(FilterSpec::default()).unwrap();
    assert_eq!(held.discovery.items.len(), 4);
    let unit = FilterSpec {
        mode: "unit".parse().unwrap(),
        ..FilterSpec::default()
    };
    for filter in [
        FilterSpec::default(),
        spec(Some("select"), &[], None),
        spec(Some("*::test_*"), &[], None),
        spec(None, &["slow"], None),
        spec(None, &[], Some("tag(db) & !tag(slow)")),
        spec(Some("test_"), &["db"], Some("!tag(slow)")),
        unit,
    ] {
        let fresh = p.list(filter.clone()).unwrap();
        let want: Vec<&str> = fresh
            .discovery
            .items
            .iter()
            .map(|i| i.id.as_str())
            .collect();
        assert_eq!(held.select_ids(&filter).unwrap(), want, "{filter:?}");
    }
}

#[test]
fn a_malformed_expression_is_the_same_usage_error() {
    let p = Project::new("bad");
    let held = p.list(FilterSpec::default()).unwrap();
    let bad = spec(None, &[], Some("tag("));
    let fresh = p.list(bad.clone()).err().unwrap().to_string();
    let err = held.select_ids(&bad).err().unwrap();
    assert!(matches!(err, UsageError::Filter { .. }));
    assert_eq!(err.to_string(), fresh);
    assert!(fresh.contains("invalid filter at column"), "{fresh}");
}

#[test]
fn selecting_never_walks_the_disk_again() {
    let p = Project::new("nowalk");
    let held = p.list(FilterSpec::default()).unwrap();
    fs::write(
        p.root.join("tests/test_new.py"),
        "def test_select_new():\n    pass\n",
    )
    .unwrap();
    fs::remove_file(p.root.join("tests/integration/test_api.py")).unwrap();
    // The held tree is the one discovered: new and deleted files appear only
    // when the caller discovers again.
    assert_eq!(
        held.select_ids(&spec(Some("select"), &[], None)).unwrap(),
        vec!["tests/test_suite.py::TestDb::test_select"]
    );
    assert_eq!(
        held.select_ids(&spec(Some("call"), &[], None)).unwrap(),
        vec!["tests/integration/test_api.py::test_call"]
    );
}
