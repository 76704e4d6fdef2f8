//! Finding test and benchmark files and parsing them into the test tree.
//!
//! The walk never follows a symlink out of the root or into a loop, skips
//! virtualenvs and tool directories, and sorts everything so the output is
//! deterministic (`walk`). Files are parsed on all cores (std threads, one
//! tree-sitter parser each: `read`). This module puts the tree together:
//! what the command line asked for, ignores, package clashes, selection.

pub mod conftest;
mod ignore;
pub mod list;
mod read;
mod walk;

use read::parse_all;
pub(crate) use walk::skip_dir;
use walk::{explicit, walk, Found, Matchers};

use crate::config::Config;
use crate::filter::glob::Glob;
use crate::ids;
use crate::tree::{CollectionError, FileNode, ItemKind, TestItem};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

/// Directory names never walked into (besides hidden ones and virtualenvs).
pub const SKIP_DIRS: &[&str] = &[
    "__pycache__",
    "node_modules",
    "venv",
    "build",
    "dist",
    "site-packages",
];

/// What to discover.
#[derive(Debug, Clone)]
pub struct DiscoverOptions {
    pub config: Config,
    /// Paths from the command line (files, directories, or ids such as
    /// `tests/test_a.py::Suite`), relative to `cwd`. Empty: the config's
    /// `paths`, else `tests/` when it exists, else the root.
    pub paths: Vec<String>,
    /// Where relative command-line paths start.
    pub cwd: PathBuf,
    /// Parse whole files with tree-sitter rather than their skeleton, so
    /// syntax errors inside function bodies are reported too.
    pub full_parse: bool,
    /// Parser threads; 0 means one per core.
    pub threads: usize,
}

impl DiscoverOptions {
    pub fn new(config: Config) -> DiscoverOptions {
        let cwd = config.root.clone();
        DiscoverOptions {
            config,
            paths: Vec::new(),
            cwd,
            full_parse: false,
            threads: 0,
        }
    }
}

/// The result of a discovery.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub root: PathBuf,
    /// The display tree, files sorted by path.
    pub files: Vec<FileNode>,
    /// Every item, sorted by id.
    pub items: Vec<TestItem>,
    /// Collection errors (also attached to their file nodes), sorted by path.
    pub errors: Vec<CollectionError>,
    /// Command-line paths that do not exist (a usage error for the CLI).
    pub missing_paths: Vec<String>,
    /// Command-line ids (`file::name`) that name nothing in a file that
    /// parsed: a typo, a usage error as for pytest.
    pub missing_ids: Vec<String>,
    /// Wall time of walk + parse.
    pub elapsed: Duration,
}

impl Discovery {
    /// Keep only the items for which `keep` is true (files with an error
    /// are always kept; suites and files left empty are dropped).
    pub fn restrict(&mut self, keep: impl Fn(&TestItem) -> bool) {
        self.items.retain(&keep);
        self.files = restrict_files(&self.files, &keep);
    }

    /// `file::test[case]` asked for on the command line, where the parse
    /// could not expand `test`'s cases: an item for that case alone, which
    /// the worker finds by its id at import.
    fn add_requested_cases(&mut self, requested: &[&str]) {
        let mut added = false;
        for p in requested {
            if self.items.iter().any(|it| ids::is_under(&it.id, p)) {
                continue;
            }
            // Benchmark entries get their `params=` cases at import too.
            let Some(base) = self.items.iter().find(|it| {
                let case = ids::case_of(p, &it.id).is_some_and(|c| !c.is_empty());
                // A case `load_tests` adds: `path::load_tests::<case id>`.
                let added = ids::relative(p, &it.id).is_some_and(|c| !c.is_empty());
                (it.has_import_cases() && (case || added)) || (it.kind == ItemKind::Bench && case)
            }) else {
                continue;
            };
            let case = base.case(p);
            if let Some(f) = self.files.iter_mut().find(|f| f.path == case.path) {
                match f
                    .suites
                    .iter_mut()
                    .find(|s| Some(&s.name) == case.suite.as_ref())
                {
                    Some(s) => s.items.push(case.clone()),
                    None => f.items.push(case.clone()),
                }
            }
            self.items.push(case);
            added = true;
        }
        if added {
            self.items.sort_by(|a, b| a.id.cmp(&b.id));
        }
    }
}

/// A copy of `files` with only the items `keep` accepts.
pub fn restrict_files(files: &[FileNode], keep: impl Fn(&TestItem) -> bool) -> Vec<FileNode> {
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let mut f2 = FileNode {
            path: f.path.clone(),
            kind: f.kind,
            error: f.error.clone(),
            suites: Vec::new(),
            items: f.items.iter().filter(|i| keep(i)).cloned().collect(),
            uncollected: f.uncollected.clone(),
        };
        for s in &f.suites {
            let items: Vec<TestItem> = s.items.iter().filter(|i| keep(i)).cloned().collect();
            if !items.is_empty() {
                let mut s2 = s.clone();
                s2.items = items;
                f2.suites.push(s2);
            }
        }
        if f2.error.is_some() || !f2.items.is_empty() || !f2.suites.is_empty() {
            out.push(f2);
        }
    }
    out
}

/// `a/./b/../c` -> `a/c`, without touching the file system.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `path` relative to `root` with `/` separators (or the path itself when it
/// is outside the root).
fn rel_string(root: &Path, path: &Path) -> String {
    // Walked paths are `root` + `/` + names: a byte prefix test avoids
    // parsing both paths into components for every file.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let (r, p) = (root.as_os_str().as_bytes(), path.as_os_str().as_bytes());
        if let Some(rest) = p.strip_prefix(r) {
            let rest = if r.ends_with(b"/") || rest.is_empty() {
                Some(rest)
            } else {
                rest.strip_prefix(b"/")
            };
            // `a//b` or `a/./b` would need normalizing: leave those to std.
            if let Some(rest) = rest.filter(|x| !x.starts_with(b"/") && !x.starts_with(b"./")) {
                return String::from_utf8_lossy(rest).into_owned();
            }
        }
    }
    let rel = path.strip_prefix(root).unwrap_or(path);
    let s = rel.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        s.into_owned()
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// Walk, parse and assemble the tree.
pub fn discover(opts: &DiscoverOptions) -> Discovery {
    let start = Instant::now();
    let cfg = &opts.config;
    let root = normalize(&std::path::absolute(&cfg.root).unwrap_or_else(|_| cfg.root.clone()));
    let root_canon = std::fs::canonicalize(&root).unwrap_or_else(|_| root.clone());
    let m = Matchers::new(cfg);
    let cwd = normalize(&std::path::absolute(&opts.cwd).unwrap_or_else(|_| opts.cwd.clone()));

    // (absolute path, id prefix restriction)
    let mut targets: Vec<(PathBuf, Option<String>)> = Vec::new();
    let mut missing = Vec::new();
    if !opts.paths.is_empty() {
        for p in &opts.paths {
            let (file, rest) = ids::split_path(p);
            let abs = normalize(&cwd.join(file));
            if !abs.exists() {
                missing.push(p.clone());
                continue;
            }
            let prefix = rest.map(|r| ids::child(&rel_string(&root, &abs), r));
            targets.push((abs, prefix));
        }
    } else if !cfg.paths.is_empty() {
        for p in &cfg.paths {
            let abs = normalize(&root.join(p));
            if abs.exists() {
                targets.push((abs, None));
            } else {
                missing.push(p.clone());
            }
        }
    } else if root.join("tests").is_dir() {
        targets.push((root.join("tests"), None));
    } else {
        targets.push((root.clone(), None));
    }

    let mut found: BTreeMap<String, Found> = BTreeMap::new();
    let mut conftests = Vec::new();
    for (abs, _) in &targets {
        if abs.is_dir() {
            walk(abs, &root, &root_canon, &m, &mut found, &mut conftests);
        } else {
            // An explicit file is collected whatever its name.
            let name = abs
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            found.insert(
                rel_string(&root, abs),
                Found::File(abs.clone(), explicit(&m, &name)),
            );
        }
    }

    drop_ignored(&root, &targets, conftests, &mut found);

    // Every file is parsed on every discovery: with the fast parse path that
    // costs less than reading back a cache of trees would.
    let work: Vec<(String, Found)> = found.into_iter().collect();
    let (mut files, mut items, sorted) =
        parse_all(&work, opts.full_parse, opts.threads, &cfg.names);
    let clashes = package_clashes(&work, &root);
    if !clashes.is_empty() {
        for f in files.iter_mut() {
            if let Some(message) = clashes.get(&f.path) {
                f.suites.clear();
                f.items.clear();
                f.error = Some(CollectionError {
                    path: f.path.clone(),
                    line: 1,
                    message: message.clone(),
                });
            }
        }
        items.retain(|it| !clashes.contains_key(&it.path));
    }
    // Each file's items are sorted and files come in path order, so the
    // concatenation is nearly always sorted by id already; a stable sort of
    // it gives exactly the order a stable sort of everything would.
    if !sorted {
        items.sort_by(|a, b| a.id.cmp(&b.id));
    }
    if !cfg.keep_together.is_empty() {
        keep_together(&mut files, &mut items, &cfg.keep_together);
    }
    let mut d = Discovery {
        root,
        errors: files.iter().filter_map(|f| f.error.clone()).collect(),
        items,
        files,
        missing_paths: missing,
        missing_ids: Vec::new(),
        elapsed: Duration::ZERO,
    };
    let prefixes: Vec<&str> = targets.iter().filter_map(|(_, p)| p.as_deref()).collect();
    for p in &prefixes {
        // Matched by an item, or under one (a case the parse could not
        // expand); a file that did not parse cannot say.
        let known = d
            .items
            .iter()
            .any(|it| ids::is_under(&it.id, p) || ids::is_under(p, &it.id))
            || d.errors.iter().any(|e| ids::is_under(p, &e.path));
        if !known {
            d.missing_ids.push((*p).to_string());
        }
    }
    d.add_requested_cases(&prefixes);
    if !prefixes.is_empty() {
        let whole: Vec<String> = targets
            .iter()
            .filter(|(_, p)| p.is_none())
            .map(|(a, _)| rel_string(&d.root, a))
            .collect();
        d.restrict(|it| {
            prefixes.iter().any(|p| ids::is_under(&it.id, p))
                || whole
                    .iter()
                    .any(|w| it.path == *w || it.path.starts_with(&format!("{w}/")) || w.is_empty())
        });
    }
    d.elapsed = start.elapsed();
    d
}

/// Leave out what the conftests' `collect_ignore`/`collect_ignore_glob`
/// name (`walked`: the conftests inside the walk; those above it are added).
/// As in pytest, a path given explicitly is collected even when ignored.
fn drop_ignored(
    root: &Path,
    targets: &[(PathBuf, Option<String>)],
    mut walked: Vec<String>,
    found: &mut BTreeMap<String, Found>,
) {
    let given: Vec<String> = targets.iter().map(|(a, _)| rel_string(root, a)).collect();
    for t in &given {
        walked.extend(conftest::conftests(root, std::iter::once(t.as_str())));
    }
    walked.sort();
    walked.dedup();
    let ignores = ignore::Ignores::load(root, walked.iter().map(String::as_str));
    if ignores.is_empty() {
        return;
    }
    let under =
        |p: &str, dir: &str| dir.is_empty() || p == dir || p.starts_with(&format!("{dir}/"));
    found.retain(|rel, _| match ignores.covering(rel) {
        None => true,
        // Kept when a given path is the ignored one or inside it.
        Some(ignored) => given.iter().any(|g| under(g, ignored) && under(rel, g)),
    });
}

/// Mark the tests of the files `keep-together` names (globs on the path):
/// each such module runs as one unit.
fn keep_together(files: &mut [FileNode], items: &mut [TestItem], globs: &[String]) {
    let globs: Vec<Glob> = globs.iter().map(|g| Glob::new(g)).collect();
    let kept = |path: &str| globs.iter().any(|g| g.matches(path));
    let tests = |it: &&mut TestItem| it.kind == ItemKind::Test && kept(&it.path);
    for it in items.iter_mut().filter(tests) {
        it.together = true;
    }
    for f in files.iter_mut() {
        let suites = f.suites.iter_mut().flat_map(|s| s.items.iter_mut());
        for it in f.items.iter_mut().chain(suites).filter(tests) {
            it.together = true;
        }
    }
}

/// Test files in packages whose top-level name another package of test files
/// also has (`libs/a/tests/` and `libs/b/tests/`, each with `__init__.py`):
/// one process can import only one package of that name, so which one a
/// file got would depend on which ran first in its worker. The package
/// first in path order keeps the name; the files of the others get this
/// collection error, as pytest fails to import them.
fn package_clashes(work: &[(String, Found)], root: &Path) -> BTreeMap<String, String> {
    let mut has_init: std::collections::HashMap<PathBuf, bool> = std::collections::HashMap::new();
    let mut is_package = |dir: &Path| -> bool {
        *has_init
            .entry(dir.to_path_buf())
            .or_insert_with(|| dir.join("__init__.py").is_file())
    };
    // Top-level package name -> the package directories of that name, and
    // the files in each.
    let mut by_name: BTreeMap<String, BTreeMap<PathBuf, Vec<String>>> = BTreeMap::new();
    for (rel, found) in work {
        let Found::File(abs, r) = found else { continue };
        if !r.tests {
            continue; // source modules read for doctests are not test packages
        }
        let mut top = None;
        let mut dir = abs.parent();
        while let Some(d) = dir {
            if !is_package(d) {
                break;
            }
            top = Some(d.to_path_buf());
            dir = d.parent();
        }
        let Some(top) = top else { continue };
        let name = top
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        by_name
            .entry(name)
            .or_default()
            .entry(top)
            .or_default()
            .push(rel.clone());
    }
    let mut out = BTreeMap::new();
    for (name, dirs) in by_name {
        if dirs.len() < 2 {
            continue;
        }
        let mut dirs = dirs.into_iter();
        let (first, _) = dirs.next().expect("two or more");
        let first = rel_string(root, &first);
        for (dir, files) in dirs {
            let message = format!(
                "package '{name}' in {} has the same name as the package in {first}: one \
                 process can import only one of them; rename one, or remove its __init__.py",
                rel_string(root, &dir)
            );
            for f in files {
                out.insert(f, message.clone());
            }
        }
    }
    out
}
