//! Finding test and benchmark files and parsing them into the test tree.
//!
//! The walk never follows a symlink out of the root or into a loop, skips
//! virtualenvs and tool directories, and sorts everything so the output is
//! deterministic. Files are parsed on all cores (std threads, one tree-sitter
//! parser each).

pub mod conftest;
mod ignore;
pub mod list;

use crate::config::{names::PythonNames, Config};
use crate::filter::glob::Glob;
use crate::ids;
use crate::parse;
use crate::tree::{CollectionError, FileNode, ItemKind, TestItem, Uncollected};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
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

struct Matchers {
    test: Vec<Glob>,
    bench: Vec<Glob>,
    exclude: Vec<(Glob, bool)>,
    doctest_modules: bool,
    doctest_glob: Vec<Glob>,
}

/// Whether a file's doctests are read, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Doctests {
    No,
    /// A Python module's docstrings (`--doctest-modules`).
    Module,
    /// A text file, one test (`--doctest-glob`).
    Text,
}

/// What a walked file is read for: its tests (of `kind`), its doctests, or both.
#[derive(Clone, Copy, Debug)]
struct Reading {
    kind: ItemKind,
    tests: bool,
    doctests: Doctests,
}

impl Matchers {
    fn new(c: &Config) -> Matchers {
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

    fn kind(&self, name: &str) -> Option<ItemKind> {
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
enum Found {
    File(PathBuf, Reading),
    Error(ItemKind, String),
}

pub(crate) fn skip_dir(path: &Path, name: &str) -> bool {
    SKIP_DIRS.contains(&name)
        || (name.starts_with('.') && name != "." && name != "..")
        || path.join("pyvenv.cfg").exists()
}

/// Walk one directory into `found` (keyed by relative path).
fn walk(
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

/// Decode a source file as Python would: UTF-8, or Latin-1 when a PEP 263
/// coding line says so. Borrows in the common (UTF-8) case.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, String> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Cow::Borrowed(s)),
        Err(e) => {
            let head: Vec<&[u8]> = bytes.splitn(3, |b| *b == b'\n').take(2).collect();
            let latin1 = head.iter().any(|l| {
                let l = String::from_utf8_lossy(l).to_ascii_lowercase();
                l.trim_start().starts_with('#')
                    && l.contains("coding")
                    && ["latin-1", "latin1", "iso-8859-1", "iso8859-1"]
                        .iter()
                        .any(|c| l.contains(c))
            });
            if latin1 {
                Ok(Cow::Owned(bytes.iter().map(|&b| b as char).collect()))
            } else {
                let valid = e.valid_up_to();
                let line = bytes[..valid].iter().filter(|b| **b == b'\n').count() + 1;
                Err(format!(
                    "line {line}: file is not valid UTF-8 and declares no Latin-1 coding"
                ))
            }
        }
    }
}

/// Read the whole file at `path` into `buf` (reused across files), returning
/// its length. Unlike `fs::read` this asks the kernel for no size hint: two
/// syscalls fewer per file, and no allocation once `buf` is big enough.
fn read_into(path: &Path, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut f = std::fs::File::open(path)?;
    let mut n = 0;
    loop {
        if n == buf.len() {
            buf.resize((buf.len() * 2).max(16 * 1024), 0);
        }
        match f.read(&mut buf[n..]) {
            Ok(0) => return Ok(n),
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// One parser thread's state, reused from file to file, and the run's
/// name rules.
struct Worker<'a> {
    parse: parse::Scratch,
    buf: Vec<u8>,
    names: &'a PythonNames,
}

impl Worker<'_> {
    fn new(names: &PythonNames) -> Worker<'_> {
        Worker {
            parse: parse::Scratch::default(),
            buf: Vec::new(),
            names,
        }
    }
}

/// What one parser thread produced: its files (index into the work list,
/// node, number of items) in increasing index order, and copies of their
/// items, each file's sorted by id, in one buffer. One buffer per thread
/// rather than one per file: large allocations interleaved with the many
/// small frees of parsing make glibc consolidate its free lists every time.
#[derive(Default)]
struct Batch {
    files: Vec<(usize, FileNode, usize)>,
    items: Vec<TestItem>,
}

fn parse_one(w: &mut Worker<'_>, i: usize, rel: &str, found: &Found, full: bool, out: &mut Batch) {
    let error_node = |kind, line, message: String| FileNode {
        path: rel.to_string(),
        kind,
        error: Some(CollectionError {
            path: rel.to_string(),
            line,
            message,
        }),
        suites: Vec::new(),
        items: Vec::new(),
        uncollected: Vec::new(),
    };
    let (node, tests) = match found {
        Found::Error(kind, msg) => (error_node(*kind, 0, msg.clone()), true),
        Found::File(abs, r) => match read_into(abs, &mut w.buf) {
            Err(e) => (
                error_node(r.kind, 0, format!("cannot read file: {e}")),
                true,
            ),
            Ok(n) => match decode(&w.buf[..n]) {
                Err(msg) => (error_node(r.kind, 0, msg), r.tests),
                Ok(src) => (
                    parse_reading(&mut w.parse, w.names, (rel, abs), *r, &src, full),
                    r.tests,
                ),
            },
        },
    };
    let mut node = node;
    let n = node.all_items().count();
    if n == 0 && !tests && node.error.is_none() {
        return; // a module read only for doctests, which has none
    }
    if n == 0 && node.kind == ItemKind::Test && node.error.is_none() && node.uncollected.is_empty()
    {
        // A test file that yields nothing is said, never dropped in silence.
        node.uncollected.push(Uncollected::empty_file(rel));
    }
    out.files.push((i, node, n));
}

/// How a file named on the command line is read: for its tests whatever
/// its name, and for its doctests as configured; a `.txt` or `.rst` file
/// is a doctest file, as for pytest.
fn explicit(m: &Matchers, name: &str) -> Reading {
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

/// The node of a file: its tests and, as asked, its doctests.
fn parse_reading(
    scratch: &mut parse::Scratch,
    names: &PythonNames,
    (rel, abs): (&str, &Path),
    r: Reading,
    src: &str,
    full: bool,
) -> FileNode {
    let mut node = if r.tests {
        parse::parse_file_reusing(scratch, rel, r.kind, src, full, names)
    } else {
        FileNode {
            path: rel.to_string(),
            kind: r.kind,
            error: None,
            suites: Vec::new(),
            items: Vec::new(),
            uncollected: Vec::new(),
        }
    };
    match r.doctests {
        Doctests::No => {}
        Doctests::Module => {
            let module = module_name(abs);
            parse::doctests::module_into(scratch, rel, &module, src, &mut node);
        }
        Doctests::Text => parse::doctests::text_into(rel, src, &mut node),
    }
    node
}

/// The dotted name a file is imported under (pytest's rule, as the worker's
/// `_module_name`): its stem, after the names of the packages holding it.
fn module_name(abs: &Path) -> String {
    let stem = abs.file_stem().map(|s| s.to_string_lossy().into_owned());
    // A package's `__init__.py` is the package itself.
    let mut parts: Vec<String> = stem.into_iter().filter(|s| s != "__init__").collect();
    let mut dir = abs.parent();
    while let Some(d) = dir.filter(|d| d.join("__init__.py").is_file()) {
        match d.file_name() {
            Some(name) => parts.push(name.to_string_lossy().into_owned()),
            None => break,
        }
        dir = d.parent();
    }
    parts.reverse();
    parts.join(".")
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

/// Parse every file: the nodes in work order, copies of all items (each
/// file's sorted by id) in the same order, and whether that whole list is
/// sorted by id.
fn parse_all(
    work: &[(String, Found)],
    full: bool,
    threads: usize,
    names: &PythonNames,
) -> (Vec<FileNode>, Vec<TestItem>, bool) {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let threads = if threads == 0 { cores } else { threads };
    // Thread start-up costs more than parsing a handful of files.
    let threads = threads.min(work.len().div_ceil(32)).max(1);
    // Chunks of files are claimed from a shared counter (so a slow file does
    // not hold up a whole fixed share); the calling thread works too.
    const CHUNK: usize = 8;
    let next = AtomicUsize::new(0);
    let run = || {
        let mut w = Worker::new(names);
        let mut out = Batch::default();
        loop {
            let i = next.fetch_add(CHUNK, Ordering::Relaxed);
            if i >= work.len() {
                break;
            }
            for (j, (rel, f)) in work.iter().enumerate().skip(i).take(CHUNK) {
                parse_one(&mut w, j, rel, f, full, &mut out);
            }
        }
        // Copies made after parsing, in one pass: ids and tags of
        // neighbouring items then sit close in memory, which the filter
        // (run over every item) notices.
        drop(w);
        out.items.reserve_exact(out.files.iter().map(|f| f.2).sum());
        for (_, node, _) in &out.files {
            let start = out.items.len();
            out.items.extend(node.all_items().cloned());
            out.items[start..].sort_by(|a, b| a.id.cmp(&b.id));
        }
        out
    };
    let batches = if threads == 1 {
        vec![run()]
    } else {
        std::thread::scope(|s| {
            let others: Vec<_> = (1..threads).map(|_| s.spawn(run)).collect();
            let mut batches = vec![run()];
            for h in others {
                match h.join() {
                    Ok(b) => batches.push(b),
                    Err(e) => std::panic::resume_unwind(e),
                }
            }
            batches
        })
    };
    // Each batch holds its files in increasing order: merge them, moving
    // nodes and items (never cloning).
    let total = batches.iter().map(|b| b.items.len()).sum();
    let mut files = Vec::with_capacity(work.len());
    let mut items: Vec<TestItem> = Vec::with_capacity(total);
    let mut sorted = true;
    let mut streams: Vec<_> = batches
        .into_iter()
        .map(|b| (b.files.into_iter().peekable(), b.items.into_iter()))
        .collect();
    while let Some(k) = (0..streams.len())
        .filter_map(|k| Some((k, streams[k].0.peek()?.0)))
        .min_by_key(|&(_, i)| i)
        .map(|(k, _)| k)
    {
        let (nodes, its) = &mut streams[k];
        let Some((_, node, n)) = nodes.next() else {
            break;
        };
        let start = items.len();
        items.extend(its.by_ref().take(n));
        if let (Some(last), Some(first)) = (start.checked_sub(1), items.get(start)) {
            sorted &= items[last].id <= first.id;
        }
        files.push(node);
    }
    (files, items, sorted)
}
