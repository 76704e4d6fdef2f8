//! Reading and parsing the walked files: decoding as Python would, one
//! reused buffer and parser per thread, files parsed on all cores.

use super::walk::{Doctests, Found, Reading};
use crate::config::names::PythonNames;
use crate::parse;
use crate::tree::{CollectionError, FileNode, ItemKind, TestItem, Uncollected};
use std::borrow::Cow;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// Parse every file: the nodes in work order, copies of all items (each
/// file's sorted by id) in the same order, and whether that whole list is
/// sorted by id.
pub(super) fn parse_all(
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
