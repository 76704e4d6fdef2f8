//! pytest's `collect_ignore` and `collect_ignore_glob`, from the
//! `conftest.py` files of the walk, applied to the files it found: a suite
//! that keeps `setup.py` or a Python-2-only module out of pytest's
//! collection keeps it out of dbtest's.

use crate::filter::glob::Glob;
use crate::parse::collect_ignore;
use std::collections::HashMap;
use std::path::Path;

/// Each conftest's settings, by its directory (relative to the root, `""`
/// for the root), as paths and globs relative to the root.
#[derive(Debug, Default)]
pub struct Ignores {
    paths: HashMap<String, Vec<String>>,
    globs: HashMap<String, Vec<Glob>>,
}

impl Ignores {
    /// Read the conftests (paths relative to `root`, `/` separated).
    pub fn load<'a>(root: &Path, conftests: impl Iterator<Item = &'a str>) -> Ignores {
        let mut out = Ignores::default();
        for rel in conftests {
            let Ok(text) = std::fs::read_to_string(root.join(rel)) else {
                continue;
            };
            let read = collect_ignore::read(&text);
            let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
            if let Some(paths) = read.paths {
                let paths = paths.iter().map(|p| join(dir, p)).collect();
                out.paths.insert(dir.to_string(), paths);
            }
            if let Some(globs) = read.globs {
                let globs = globs.iter().map(|g| Glob::new(&join(dir, g))).collect();
                out.globs.insert(dir.to_string(), globs);
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && self.globs.is_empty()
    }

    /// The ignored path `rel` is (or is under), if any. As pytest reads
    /// them, each path (a file, or a directory above it) is checked against
    /// the nearest conftest above it that sets the name: a closer
    /// `collect_ignore` replaces, not extends, one further up.
    pub fn covering<'r>(&self, rel: &'r str) -> Option<&'r str> {
        let mut at = Some(rel);
        while let Some(p) = at {
            let parent = p.rsplit_once('/').map_or("", |(d, _)| d);
            let by_path = nearest(&self.paths, parent).is_some_and(|v| v.iter().any(|i| i == p));
            let by_glob =
                nearest(&self.globs, parent).is_some_and(|v| v.iter().any(|g| g.matches(p)));
            if by_path || by_glob {
                return Some(p);
            }
            at = (!parent.is_empty()).then_some(parent);
        }
        None
    }
}

/// The value set by the conftest nearest above `dir` (itself included).
fn nearest<'m, T>(by_dir: &'m HashMap<String, T>, dir: &str) -> Option<&'m T> {
    let mut d = dir;
    loop {
        if let Some(v) = by_dir.get(d) {
            return Some(v);
        }
        if d.is_empty() {
            return None;
        }
        d = d.rsplit_once('/').map_or("", |(p, _)| p);
    }
}

/// `dir/path`, with `.` and `..` resolved, relative to the root.
fn join(dir: &str, path: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_conftest_setting_a_name_wins() {
        let dir = std::env::temp_dir().join(format!("dbtest-ignore-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("tests/sub")).unwrap();
        std::fs::write(
            dir.join("conftest.py"),
            "collect_ignore = ['tests/test_x.py', 'setup.py']\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("tests/conftest.py"),
            "collect_ignore = ['./legacy', '../tools']\ncollect_ignore_glob = ['*_py2.py']\n",
        )
        .unwrap();
        let ig = Ignores::load(&dir, ["conftest.py", "tests/conftest.py"].into_iter());
        assert_eq!(ig.covering("setup.py"), Some("setup.py"));
        assert_eq!(ig.covering("tests/legacy/test_a.py"), Some("tests/legacy"));
        assert_eq!(
            ig.covering("tests/sub/test_b_py2.py"),
            Some("tests/sub/test_b_py2.py")
        );
        assert_eq!(ig.covering("tests/test_c.py"), None);
        assert_eq!(ig.covering("test_py2.py"), None);
        // tests/conftest.py's list replaces the root's for paths under tests/.
        assert_eq!(ig.covering("tests/test_x.py"), None);
        // `../tools` from tests/ is checked only for paths whose nearest
        // conftest is tests/conftest.py: tools/ is the root's business.
        assert_eq!(ig.covering("tools/x.py"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
