//! Which of the project's files an import statement names, found against
//! the set of files (nothing is imported). A module that is not one of the
//! project's files (the standard library, a third-party package) names
//! nothing and is left out of the graph.
//!
//! Absolute imports are looked up, in order, where the worker's `sys.path`
//! has them (`dbtest/execution/collect.py`): the directory above the
//! topmost package holding the importing file (pytest's rootdir insertion),
//! the project root, and `src/` (an installed src-layout project).

use crate::parse::imports::Import;
use std::collections::{BTreeSet, HashSet};

/// The project's files by root-relative path (`/`-separated).
pub struct Index<'a> {
    pub files: &'a HashSet<String>,
    /// Whether `src/` holds any file.
    pub has_src: bool,
}

/// The directory part of a relative path (`""` at the root).
pub fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

fn join(dir: &str, rest: &str) -> String {
    if dir.is_empty() || rest.is_empty() {
        format!("{dir}{rest}")
    } else {
        format!("{dir}/{rest}")
    }
}

impl Index<'_> {
    /// `dir/a/b.py` or `dir/a/b/__init__.py` for `a.b` under `dir`.
    fn module(&self, dir: &str, dotted: &str) -> Option<String> {
        let base = join(dir, &dotted.replace('.', "/"));
        [format!("{base}.py"), format!("{base}/__init__.py")]
            .into_iter()
            .find(|p| self.files.contains(p))
    }

    fn is_package(&self, dir: &str) -> bool {
        self.files.contains(&join(dir, "__init__.py"))
    }

    /// The directory the worker puts on `sys.path` for `file`: above the
    /// topmost package holding it.
    fn base_dir<'p>(&self, file: &'p str) -> &'p str {
        let mut dir = parent(file);
        while !dir.is_empty() && self.is_package(dir) {
            dir = parent(dir);
        }
        dir
    }

    /// Every file of the project that importing `dotted` (then `names` from
    /// it) executes, under `dir`: each package on the way, the module, and
    /// the names that are submodules.
    fn under(&self, dir: &str, dotted: &str, names: &[String], out: &mut BTreeSet<String>) -> bool {
        let mut found = false;
        let mut prefix = String::new();
        for part in dotted.split('.').filter(|p| !p.is_empty()) {
            if !prefix.is_empty() {
                prefix.push('.');
            }
            prefix.push_str(part);
            if let Some(f) = self.module(dir, &prefix) {
                out.insert(f);
                found = true;
            }
        }
        let pkg = join(dir, &dotted.replace('.', "/"));
        for n in names {
            if let Some(f) = self.module(&pkg, n) {
                out.insert(f);
                found = true;
            }
        }
        found
    }

    /// The project's files `imp`, written in `file`, names.
    pub fn resolve(&self, file: &str, imp: &Import, out: &mut BTreeSet<String>) {
        if imp.level > 0 {
            // `.` is the package holding `file` (for `__init__.py`, itself).
            let mut anchor = parent(file);
            for _ in 1..imp.level {
                anchor = parent(anchor);
            }
            if let Some(init) = self.module(anchor, "__init__") {
                out.insert(init);
            }
            self.under(anchor, &imp.module, &imp.names, out);
            return;
        }
        let mut roots = vec![self.base_dir(file), ""];
        if self.has_src {
            roots.push("src");
        }
        let mut seen = HashSet::new();
        for dir in roots.into_iter().filter(|d| seen.insert(*d)) {
            // The first entry of `sys.path` that has the module wins.
            if self.under(dir, &imp.module, &imp.names, out) {
                return;
            }
        }
    }

    /// What importing `file` itself executes first: the `__init__.py` of
    /// the package holding it (that one imports its own parent's).
    pub fn implicit(&self, file: &str) -> Option<String> {
        let dir = if file.ends_with("/__init__.py") || file == "__init__.py" {
            if file == "__init__.py" {
                return None;
            }
            parent(parent(file))
        } else {
            parent(file)
        };
        let init = join(dir, "__init__.py");
        (init != file && self.files.contains(&init)).then_some(init)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[&str]) -> HashSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn resolve(idx: &Index, file: &str, imp: Import) -> Vec<String> {
        let mut out = BTreeSet::new();
        idx.resolve(file, &imp, &mut out);
        out.into_iter().collect()
    }

    fn imp(level: u32, module: &str, names: &[&str]) -> Import {
        Import {
            level,
            module: module.into(),
            names: names.iter().map(|n| n.to_string()).collect(),
        }
    }

    #[test]
    fn absolute_imports_name_each_package_on_the_way() {
        let f = files(&[
            "pkg/__init__.py",
            "pkg/sub/__init__.py",
            "pkg/sub/c.py",
            "t/test_a.py",
        ]);
        let idx = Index {
            files: &f,
            has_src: false,
        };
        let got = resolve(&idx, "t/test_a.py", imp(0, "pkg.sub.c", &[]));
        assert_eq!(
            got,
            ["pkg/__init__.py", "pkg/sub/__init__.py", "pkg/sub/c.py"]
        );
        // `from pkg.sub import c`: c is a submodule.
        let got = resolve(
            &idx,
            "t/test_a.py",
            imp(0, "pkg.sub", &["c", "not_a_module"]),
        );
        assert_eq!(
            got,
            ["pkg/__init__.py", "pkg/sub/__init__.py", "pkg/sub/c.py"]
        );
        // Third-party and standard-library modules name nothing.
        assert!(resolve(&idx, "t/test_a.py", imp(0, "os.path", &[])).is_empty());
    }

    #[test]
    fn the_importers_own_directory_comes_first() {
        // tests/ is not a package: its directory is on sys.path, before the root.
        let f = files(&[
            "tests/helpers.py",
            "helpers.py",
            "tests/test_a.py",
            "src/lib.py",
        ]);
        let idx = Index {
            files: &f,
            has_src: true,
        };
        assert_eq!(
            resolve(&idx, "tests/test_a.py", imp(0, "helpers", &[])),
            ["tests/helpers.py"]
        );
        assert_eq!(
            resolve(&idx, "helpers.py", imp(0, "helpers", &[])),
            ["helpers.py"]
        );
        assert_eq!(
            resolve(&idx, "tests/test_a.py", imp(0, "lib", &[])),
            ["src/lib.py"]
        );
    }

    #[test]
    fn relative_imports_climb_from_the_package() {
        let f = files(&[
            "p/__init__.py",
            "p/a.py",
            "p/q/__init__.py",
            "p/q/b.py",
            "p/x.py",
        ]);
        let idx = Index {
            files: &f,
            has_src: false,
        };
        assert_eq!(
            resolve(&idx, "p/q/b.py", imp(1, "", &["nope"])),
            ["p/q/__init__.py"]
        );
        assert_eq!(
            resolve(&idx, "p/q/b.py", imp(2, "a", &[])),
            ["p/__init__.py", "p/a.py"]
        );
        assert_eq!(
            resolve(&idx, "p/a.py", imp(1, "", &["x"])),
            ["p/__init__.py", "p/x.py"]
        );
        // In a package's __init__.py, `.` is the package itself.
        assert_eq!(
            resolve(&idx, "p/q/__init__.py", imp(1, "b", &[])),
            ["p/q/__init__.py", "p/q/b.py"]
        );
    }

    #[test]
    fn a_module_runs_its_packages_init_first() {
        let f = files(&["p/__init__.py", "p/q/__init__.py", "p/q/b.py", "top.py"]);
        let idx = Index {
            files: &f,
            has_src: false,
        };
        assert_eq!(idx.implicit("p/q/b.py").as_deref(), Some("p/q/__init__.py"));
        assert_eq!(
            idx.implicit("p/q/__init__.py").as_deref(),
            Some("p/__init__.py")
        );
        assert_eq!(idx.implicit("p/__init__.py"), None);
        assert_eq!(idx.implicit("top.py"), None);
    }
}
