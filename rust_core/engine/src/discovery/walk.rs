//! The walk: which files under the targets are read, and for what (tests,
//! benchmarks, doctests), never leaving the root through a symlink.

use super::{rel_string, SKIP_DIRS};
use crate::config::Config;
use crate::filter::glob::Glob;
use crate::tree::ItemKind;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The last component of a walked path (`Path::file_name` parses the whole
/// path into components, which shows in profiles at 1,000 files).
fn name_of(path: &Path) -> &std::ffi::OsStr {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let b = path.as_os_str().as_bytes();
        if let Some(i) = b.iter().rposition(|&c| c == b'/') {
            let name = &b[i + 1..];
            if !name.is_empty() && name != b"." && name != b".." {
                return std::ffi::OsStr::from_bytes(name);
            }
        }
    }
    path.file_name().unwrap_or(path.as_os_str())
}

pub(super) struct Matchers {
    test: Vec<Glob>,
    bench: Vec<Glob>,
    exclude: Vec<(Glob, bool)>,
    doctest_modules: bool,
    doctest_glob: Vec<Glob>,
}

/// Whether a file's doctests are read, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Doctests {
    No,
    /// A Python module's docstrings (`--doctest-modules`).
    Module,
    /// A text file, one test (`--doctest-glob`).
    Text,
}

/// What a walked file is read for: its tests (of `kind`), its doctests, or both.
#[derive(Clone, Copy, Debug)]
pub(super) struct Reading {
    pub(super) kind: ItemKind,
    pub(super) tests: bool,
    pub(super) doctests: Doctests,
}

impl Matchers {
    pub(super) fn new(c: &Config) -> Matchers {
        let g = |v: &Vec<String>| v.iter().map(|p| Glob::new(p)).collect();
        Matchers {
            test: g(&c.test_files),
            bench: g(&c.bench_files),
            // A pattern with a `/` matches the relative path, else any component.
            exclude: c
                .exclude
                .iter()
                .map(|p| {
                    let p = p.trim_end_matches('/');
                    (Glob::new(p), p.contains('/'))
                })
                .collect(),
            doctest_modules: c.doctest_modules,
            doctest_glob: g(&c.doctest_glob),
        }
    }

    /// What a file of this name is read for, if anything.
    fn reading(&self, name: &str) -> Option<Reading> {
        let kind = self.kind(name);
        let doctests = if self.doctest_glob.iter().any(|g| g.matches(name)) {
            Doctests::Text
        } else if self.doctest_modules
            && name.ends_with(".py")
            && name != "setup.py"
            && name != "__main__.py"
            && kind != Some(ItemKind::Bench)
        {
            Doctests::Module
        } else {
            Doctests::No
        };
        match (kind, doctests) {
            (None, Doctests::No) => None,
            (Some(kind), d) => Some(Reading {
                kind,
                tests: d != Doctests::Text,
                doctests: d,
            }),
            (None, d) => Some(Reading {
                kind: ItemKind::Test,
                tests: false,
                doctests: d,
            }),
        }
    }

    pub(super) fn kind(&self, name: &str) -> Option<ItemKind> {
        if self.test.iter().any(|g| g.matches(name)) {
            Some(ItemKind::Test)
        } else if self.bench.iter().any(|g| g.matches(name)) {
            Some(ItemKind::Bench)
        } else {
            None
        }
    }

    fn excluded(&self, rel: &str) -> bool {
        self.exclude.iter().any(|(g, whole)| {
            if *whole {
                g.matches(rel)
            } else {
                rel.split('/').any(|c| g.matches(c))
            }
        })
    }
}

/// A file to parse, or an error found while walking.
#[derive(Clone)]
pub(super) enum Found {
    File(PathBuf, Reading),
    Error(ItemKind, String),
}

pub(crate) fn skip_dir(path: &Path, name: &str) -> bool {
    SKIP_DIRS.contains(&name)
        || (name.starts_with('.') && name != "." && name != "..")
        || path.join("pyvenv.cfg").exists()
}

/// Walk one directory into `found` (keyed by relative path).
pub(super) fn walk(
    dir: &Path,
    root: &Path,
    root_canon: &Path,
    m: &Matchers,
    found: &mut BTreeMap<String, Found>,
    conftests: &mut Vec<String>,
) {
    // Unsorted: `found` is keyed by relative path, which orders the files.
    let it = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 {
                return true;
            }
            let name = name_of(e.path()).to_string_lossy();
            if !m.exclude.is_empty() && m.excluded(&rel_string(root, e.path())) {
                return false;
            }
            if e.path_is_symlink() {
                // Never leave the root through a link.
                match std::fs::canonicalize(e.path()) {
                    Ok(t) if t.starts_with(root_canon) => {}
                    Ok(_) => return false,
                    Err(_) => return true, // dangling: reported below as unreadable
                }
            }
            !(e.file_type().is_dir() && skip_dir(e.path(), &name))
        });
    for entry in it {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                // Loops are skipped silently (walkdir detects them); a
                // dangling link or unreadable directory is reported when its
                // name says it would hold tests.
                if err.loop_ancestor().is_some() {
                    continue;
                }
                if let Some(p) = err.path() {
                    let name = p
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    if let Some(kind) = m.kind(&name) {
                        let msg = err
                            .io_error()
                            .map(|e| e.to_string())
                            .unwrap_or_else(|| err.to_string());
                        found.insert(
                            rel_string(root, p),
                            Found::Error(kind, format!("cannot read file: {msg}")),
                        );
                    }
                }
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let raw = name_of(entry.path());
        let name = raw.to_string_lossy();
        if name == "conftest.py" {
            conftests.push(rel_string(root, entry.path()));
        }
        let Some(reading) = m.reading(&name) else {
            continue;
        };
        let rel = rel_string(root, entry.path());
        if raw.to_str().is_none() {
            found.insert(
                rel,
                Found::Error(
                    reading.kind,
                    "file name is not valid UTF-8; rename it so its tests can be addressed by id"
                        .to_string(),
                ),
            );
            continue;
        }
        found.insert(rel, Found::File(entry.into_path(), reading));
    }
}

/// How a file named on the command line is read: for its tests whatever
/// its name, and for its doctests as configured; a `.txt` or `.rst` file
/// is a doctest file, as for pytest.
pub(super) fn explicit(m: &Matchers, name: &str) -> Reading {
    if name.ends_with(".txt") || name.ends_with(".rst") {
        return Reading {
            kind: ItemKind::Test,
            tests: false,
            doctests: Doctests::Text,
        };
    }
    let found = m.reading(name);
    Reading {
        kind: found.map_or(ItemKind::Test, |r| r.kind),
        tests: true,
        doctests: found.map_or(Doctests::No, |r| r.doctests),
    }
}
