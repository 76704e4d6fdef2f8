//! The parse cache: unchanged files are not parsed again, changed, fresh and
//! deleted ones are handled, and a damaged cache is simply ignored.

use dbtest_engine::config::Config;
use dbtest_engine::discovery::{discover, DiscoverOptions, Discovery};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

fn project(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dbtest-pcache-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("tests")).unwrap();
    dir
}

/// Write a file whose modification time is a minute ago (not "hot").
fn write_old(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    let f = fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(60))
        .unwrap();
}

fn run(root: &Path) -> Discovery {
    let mut opts = DiscoverOptions::new(Config::defaults(root.to_path_buf()));
    opts.cache = true;
    discover(&opts)
}

fn ids(d: &Discovery) -> Vec<String> {
    d.items.iter().map(|i| i.id.clone()).collect()
}

fn cache_file(root: &Path) -> PathBuf {
    root.join(".dbtest/parse-cache.json")
}

#[test]
fn unchanged_files_come_from_the_cache() {
    let root = project("reuse");
    write_old(&root.join("tests/test_a.py"), "def test_one():\n    pass\n");
    let first = run(&root);
    assert_eq!(ids(&first), vec!["tests/test_a.py::test_one"]);
    assert!(cache_file(&root).exists());

    // Tamper with the cached tree: if discovery returns it, it was reused.
    let text = fs::read_to_string(cache_file(&root)).unwrap();
    fs::write(cache_file(&root), text.replace("test_one", "test_cached")).unwrap();
    assert_eq!(ids(&run(&root)), vec!["tests/test_a.py::test_cached"]);

    // An edit (new size and time) is parsed again.
    write_old(
        &root.join("tests/test_a.py"),
        "def test_two():\n    pass\n\n",
    );
    assert_eq!(ids(&run(&root)), vec!["tests/test_a.py::test_two"]);
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn files_written_just_now_are_not_trusted() {
    let root = project("hot");
    fs::write(root.join("tests/test_hot.py"), "def test_x():\n    pass\n").unwrap();
    write_old(&root.join("tests/test_old.py"), "def test_y():\n    pass\n");
    run(&root);
    let text = fs::read_to_string(cache_file(&root)).unwrap();
    assert!(text.contains("test_old.py"));
    assert!(
        !text.contains("test_hot.py"),
        "a file modified a moment ago was cached"
    );
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn deleted_files_leave_the_cache_and_damage_is_ignored() {
    let root = project("prune");
    write_old(&root.join("tests/test_a.py"), "def test_a():\n    pass\n");
    write_old(&root.join("tests/test_b.py"), "def test_b():\n    pass\n");
    run(&root);
    fs::remove_file(root.join("tests/test_b.py")).unwrap();
    write_old(&root.join("tests/test_c.py"), "def test_c():\n    pass\n");
    assert_eq!(
        ids(&run(&root)),
        vec!["tests/test_a.py::test_a", "tests/test_c.py::test_c"]
    );
    assert!(!fs::read_to_string(cache_file(&root))
        .unwrap()
        .contains("test_b.py"));

    fs::write(cache_file(&root), b"{ not json").unwrap();
    assert_eq!(ids(&run(&root)).len(), 2);
    fs::remove_dir_all(&root).unwrap();
}
