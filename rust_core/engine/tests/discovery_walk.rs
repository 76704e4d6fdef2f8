//! The walker: patterns, exclusions, symlinks, unreadable files, odd names.

use dbtest_engine::config::{self, Config};
use dbtest_engine::discovery::{discover, DiscoverOptions, Discovery};
use std::fs;
use std::path::{Path, PathBuf};

/// A fresh project directory under the system temp dir.
struct Project {
    root: PathBuf,
}

impl Project {
    fn new(name: &str) -> Project {
        let root = std::env::temp_dir().join(format!("dbtest-walk-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        Project { root }
    }

    fn write(&self, rel: &str, text: &str) -> &Project {
        let p = self.root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
        self
    }

    fn discover(&self) -> Discovery {
        let cfg = config::load(&self.root).unwrap();
        discover(&DiscoverOptions::new(cfg))
    }

    fn discover_with(&self, f: impl FnOnce(&mut Config)) -> Discovery {
        let mut cfg = config::load(&self.root).unwrap();
        f(&mut cfg);
        discover(&DiscoverOptions::new(cfg))
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

fn paths(d: &Discovery) -> Vec<&str> {
    d.files.iter().map(|f| f.path.as_str()).collect()
}

const T: &str = "def test_a():\n    pass\n";

#[test]
fn patterns_defaults_and_sorting() {
    let p = Project::new("patterns");
    p.write("b/test_two.py", T)
        .write("a/one_test.py", T)
        .write("a/test_one.py", T)
        .write("a/helper.py", T)
        .write("a/test_data.txt", T)
        .write(
            "bench_speed.py",
            "from dbtest import BenchmarkGroup\ng = BenchmarkGroup('g')\n@g.add\ndef e(): ...\n",
        );
    let d = p.discover();
    assert_eq!(
        paths(&d),
        vec![
            "a/one_test.py",
            "a/test_one.py",
            "b/test_two.py",
            "bench_speed.py"
        ]
    );
    let ids: Vec<&str> = d.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "a/one_test.py::test_a",
            "a/test_one.py::test_a",
            "b/test_two.py::test_a",
            "bench_speed.py::g::e"
        ]
    );
    // Determinism: a second run gives the same tree.
    assert_eq!(p.discover().files, d.files);
}

#[test]
fn tests_dir_is_the_default_path_and_config_paths_win() {
    let p = Project::new("defaults");
    p.write("tests/test_in.py", T).write("test_outside.py", T);
    assert_eq!(paths(&p.discover()), vec!["tests/test_in.py"]);
    p.write(
        "pyproject.toml",
        "[tool.dbtest]\npaths = [\".\"]\ntest-files = [\"test_*.py\", \"check_*.py\"]\n",
    )
    .write("check_more.py", T);
    assert_eq!(
        paths(&p.discover()),
        vec!["check_more.py", "test_outside.py", "tests/test_in.py"]
    );
}

#[test]
fn skipped_directories_and_excludes() {
    let p = Project::new("exclude");
    for dir in [
        "__pycache__",
        ".git",
        ".venv",
        "venv",
        "node_modules",
        "build",
        "dist",
        "myenv",
        "legacy",
        "keep/old",
    ] {
        p.write(&format!("{dir}/test_hidden.py"), T);
    }
    p.write("myenv/pyvenv.cfg", "home = /usr\n")
        .write("keep/test_kept.py", T)
        .write("test_top.py", T);
    let d = p.discover_with(|c| c.exclude = vec!["legacy".into(), "keep/old/*".into()]);
    assert_eq!(paths(&d), vec!["keep/test_kept.py", "test_top.py"]);
}

#[cfg(unix)]
#[test]
fn symlink_loop_and_escape_are_not_followed() {
    use std::os::unix::fs::symlink;
    let p = Project::new("symlinks");
    let outside = Project::new("symlinks-outside");
    outside.write("test_outside.py", T);
    p.write("pkg/test_in.py", T);
    symlink(&p.root, p.root.join("pkg/loop")).unwrap(); // a loop back to the root
    symlink(&outside.root, p.root.join("escape")).unwrap(); // a link out of the root
    symlink(p.root.join("pkg"), p.root.join("alias")).unwrap(); // inside: followed
    let d = p.discover();
    assert_eq!(paths(&d), vec!["alias/test_in.py", "pkg/test_in.py"]);
    assert!(d.errors.is_empty(), "{:?}", d.errors);
}

#[cfg(unix)]
#[test]
fn unreadable_and_dangling_files_are_collection_errors() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let p = Project::new("unreadable");
    p.write("test_ok.py", T).write("test_locked.py", T);
    symlink(p.root.join("nowhere.py"), p.root.join("test_dangling.py")).unwrap();
    let locked = p.root.join("test_locked.py");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads files whatever their mode: only then is the locked one readable.
    let locked_is_readable = fs::read(&locked).is_ok();
    let d = p.discover();
    let errs: Vec<(&str, &str)> = d
        .errors
        .iter()
        .map(|e| (e.path.as_str(), e.message.as_str()))
        .collect();
    assert!(
        errs.iter()
            .any(|(path, m)| *path == "test_dangling.py" && m.starts_with("cannot read file")),
        "{errs:?}"
    );
    if !locked_is_readable {
        assert!(
            errs.iter()
                .any(|(path, m)| *path == "test_locked.py" && m.contains("ermission")),
            "{errs:?}"
        );
    }
    assert!(d.items.iter().any(|i| i.id == "test_ok.py::test_a"));
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o644)).unwrap();
}

#[cfg(unix)]
#[test]
fn non_utf8_file_name_and_content() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let p = Project::new("nonutf8");
    p.write("test_fine.py", T);
    let name = OsStr::from_bytes(b"test_\xff\xfe.py");
    fs::write(p.root.join(name), T).unwrap();
    fs::write(
        p.root.join("test_latin.py"),
        b"def test_a():\n    s = '\xe9'\n",
    )
    .unwrap();
    fs::write(
        p.root.join("test_declared.py"),
        b"# -*- coding: latin-1 -*-\ndef test_b():\n    s = '\xe9'\n",
    )
    .unwrap();
    let d = p.discover();
    let bad_name = d
        .errors
        .iter()
        .find(|e| e.message.contains("file name is not valid UTF-8"));
    assert!(bad_name.is_some(), "{:?}", d.errors);
    let latin = d
        .errors
        .iter()
        .find(|e| e.path == "test_latin.py")
        .expect("latin error");
    assert!(latin.message.contains("line 2"), "{latin:?}");
    assert!(d.items.iter().any(|i| i.id == "test_declared.py::test_b"));
    assert!(d.items.iter().any(|i| i.id == "test_fine.py::test_a"));
}

#[test]
fn syntax_error_file_does_not_hide_the_rest() {
    let p = Project::new("syntax");
    p.write("test_bad.py", "def test_x(:\n    pass\n")
        .write("test_good.py", T);
    let d = p.discover();
    assert_eq!(d.errors.len(), 1);
    assert_eq!(d.errors[0].path, "test_bad.py");
    assert_eq!(d.items.len(), 1);
    assert_eq!(paths(&d), vec!["test_bad.py", "test_good.py"]);
}

#[test]
fn command_line_paths_files_and_ids() {
    let p = Project::new("cli");
    p.write(
        "tests/test_a.py",
        "from dbtest import TestSuite\nclass S(TestSuite):\n    def test_1(self): pass\n    def test_2(self): pass\ndef test_f(): pass\n",
    )
    .write("tests/sub/test_b.py", T)
    .write("other/check.py", T);
    let run = |args: &[&str]| {
        let cfg = config::load(&p.root).unwrap();
        let mut o = DiscoverOptions::new(cfg);
        o.paths = args.iter().map(|s| s.to_string()).collect();
        o.cwd = p.root.clone();
        discover(&o)
    };
    let ids = |d: &Discovery| d.items.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
    assert_eq!(
        ids(&run(&["tests/sub"])),
        vec!["tests/sub/test_b.py::test_a"]
    );
    // An explicit file is collected whatever its name.
    assert_eq!(
        ids(&run(&["other/check.py"])),
        vec!["other/check.py::test_a"]
    );
    assert_eq!(
        ids(&run(&["tests/test_a.py::S"])),
        vec!["tests/test_a.py::S::test_1", "tests/test_a.py::S::test_2"]
    );
    assert_eq!(
        ids(&run(&["./tests/../tests/test_a.py::test_f"])),
        vec!["tests/test_a.py::test_f"]
    );
    let missing = run(&["nope", "tests"]);
    assert_eq!(missing.missing_paths, vec!["nope"]);
    assert!(Path::new(&p.root).exists());
}
