//! Discovery run again on the same project: the same answer while nothing
//! changes, every edit seen at once (there is no cache of parsed trees to go
//! stale), and the cache file an older version wrote ignored.

use dbtest_engine::config::Config;
use dbtest_engine::discovery::{discover, DiscoverOptions, Discovery};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where versions before the fast parse path kept the parsed trees.
const OLD_CACHE: &str = ".dbtest/parse-cache.json";

/// A fresh project with a `tests/` directory, removed when dropped.
struct Project {
    root: PathBuf,
}

impl Project {
    fn new(name: &str) -> Project {
        let root = std::env::temp_dir().join(format!("dbtest-rerun-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("tests")).unwrap();
        Project { root }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn discover(&self) -> Discovery {
        discover(&DiscoverOptions::new(Config::defaults(self.root.clone())))
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

fn ids(d: &Discovery) -> Vec<String> {
    d.items.iter().map(|i| i.id.clone()).collect()
}

/// Everything a discovery reports except its timing.
fn snapshot(d: &Discovery) -> String {
    serde_json::to_string(&(&d.files, &d.items, &d.errors, &d.missing_paths)).unwrap()
}

/// Set a file's modification time.
fn set_mtime(path: &Path, t: SystemTime) {
    let f = fs::File::options().write(true).open(path).unwrap();
    f.set_modified(t).unwrap();
}

const SUITE: &str = "\
from dbtest import TestSuite, test

class TestDb(TestSuite):
    @test(tags=[\"db\"])
    async def test_insert(self):
        pass

    @test
    def test_select(self):
        pass

def test_plain():
    pass

@test(params=[1, 2])
def test_param(x):
    pass
";

#[test]
fn the_same_project_gives_the_same_answer_every_time() {
    let p = Project::new("same");
    fs::write(p.path("tests/test_suite.py"), SUITE).unwrap();
    fs::write(p.path("tests/test_broken.py"), "def test_x(:\n    pass\n").unwrap();
    for i in 0..40 {
        fs::write(
            p.path(&format!("tests/test_m{i:02}.py")),
            format!("def test_a{i}():\n    pass\n\nasync def test_b{i}():\n    pass\n"),
        )
        .unwrap();
    }
    let first = p.discover();
    assert_eq!(first.files.len(), 42);
    assert_eq!(first.errors.len(), 1, "the syntax error is reported");
    // Several threads parse: their order of completion must not show.
    for _ in 0..3 {
        assert_eq!(snapshot(&p.discover()), snapshot(&first));
    }
}

#[test]
fn an_edit_is_seen_even_with_the_same_size_and_time() {
    let p = Project::new("edit");
    let file = p.path("tests/test_a.py");
    fs::write(&file, "def test_one():\n    pass\n").unwrap();
    let stamp = SystemTime::now() - Duration::from_secs(60);
    set_mtime(&file, stamp);
    assert_eq!(ids(&p.discover()), vec!["tests/test_a.py::test_one"]);

    // Same length, same modification time: what a size+mtime key would miss.
    fs::write(&file, "def test_two():\n    pass\n").unwrap();
    set_mtime(&file, stamp);
    assert_eq!(ids(&p.discover()), vec!["tests/test_a.py::test_two"]);
}

#[test]
fn deleted_and_added_files_are_seen() {
    let p = Project::new("files");
    fs::write(p.path("tests/test_a.py"), "def test_a():\n    pass\n").unwrap();
    fs::write(p.path("tests/test_b.py"), "def test_b():\n    pass\n").unwrap();
    assert_eq!(
        ids(&p.discover()),
        vec!["tests/test_a.py::test_a", "tests/test_b.py::test_b"]
    );
    fs::remove_file(p.path("tests/test_b.py")).unwrap();
    fs::write(p.path("tests/test_c.py"), "def test_c():\n    pass\n").unwrap();
    assert_eq!(
        ids(&p.discover()),
        vec!["tests/test_a.py::test_a", "tests/test_c.py::test_c"]
    );
}

#[test]
fn a_cache_file_left_by_an_older_version_is_ignored() {
    let p = Project::new("legacy");
    let file = p.path("tests/test_a.py");
    fs::write(&file, "def test_one():\n    pass\n").unwrap();
    set_mtime(&file, SystemTime::now() - Duration::from_secs(60));
    let real = p.discover();
    assert!(
        !p.path(OLD_CACHE).exists(),
        "discovery wrote a cache of parsed trees"
    );

    // The document the removed cache wrote, matching the file's size and
    // time and this engine's version, but holding a tree with another name:
    // if discovery read it, `test_cached` would come back.
    let meta = fs::metadata(&file).unwrap();
    let mtime_ns = meta
        .modified()
        .unwrap()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let mut node = serde_json::to_value(&real.files[0]).unwrap();
    let text = node.to_string().replace("test_one", "test_cached");
    node = serde_json::from_str(&text).unwrap();
    let legacy = serde_json::json!({
        "engine": env!("CARGO_PKG_VERSION"),
        "files": {
            "tests/test_a.py": {
                "stamp": {"size": meta.len(), "mtime_ns": mtime_ns as u64},
                "kind": real.files[0].kind,
                "full": false,
                "node": node,
            }
        }
    });
    let cache = p.path(OLD_CACHE);
    fs::create_dir_all(cache.parent().unwrap()).unwrap();
    fs::write(&cache, legacy.to_string()).unwrap();
    assert_eq!(snapshot(&p.discover()), snapshot(&real));

    // A damaged one is no different, and neither is touched.
    fs::write(&cache, b"{ not json").unwrap();
    assert_eq!(snapshot(&p.discover()), snapshot(&real));
    assert_eq!(fs::read(&cache).unwrap(), b"{ not json");
}
