//! Config + discovery + filter in one call, and the rendering of the result
//! as text or JSON (`dbtest list`; schema in `docs/discovery.md`). Rendering
//! lives in Rust because printing 10,000 tests through Python would dominate
//! the command's time.

use super::{discover, DiscoverOptions, Discovery};
use crate::config::{self, Config};
use crate::error::UsageError;
use crate::filter::{FilterSpec, Selector};
use crate::graph::select::Affected;
use crate::graph::Changed;
use crate::tree::{FileNode, ItemKind, SuiteKind, TestItem};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What `dbtest list` (and the TUI) asks for.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    /// Where the config search starts and relative paths are resolved.
    pub start_dir: PathBuf,
    pub paths: Vec<String>,
    /// `integration_dirs`/`integration_tags` are taken from the config.
    pub filter: FilterSpec,
    pub full_parse: bool,
    /// `--changed`: only the tests a change affects (`crate::graph`).
    pub changed: Option<Changed>,
    /// `--doctest-modules`: on, whatever the config says.
    pub doctest_modules: bool,
}

/// The selected part of a discovery.
#[derive(Debug, Clone)]
pub struct Listed {
    pub config: Config,
    /// Restricted to the selected items (files with errors are kept).
    pub discovery: Discovery,
    /// Number of items before filtering.
    pub discovered: usize,
    pub filter_elapsed: Duration,
    /// With `--changed`: what the change affects, and why.
    pub affected: Option<Affected>,
}

/// `spec` completed by the config: what makes a test an integration test,
/// and the selection of the pytest configuration's `addopts` (`-m`, a
/// one-word `-k`), which a command line's `-k` replaces.
pub fn configured(spec: &FilterSpec, cfg: &Config) -> FilterSpec {
    let mut out = FilterSpec {
        integration_dirs: cfg.integration_dirs.clone(),
        integration_tags: cfg.integration_tags.clone(),
        ..spec.clone()
    };
    // `-m` on the command line replaces the config's, as a later `-m` does for pytest.
    let markexpr = out
        .markexpr
        .take()
        .or_else(|| cfg.pytest.as_ref()?.markexpr.clone());
    if let Some(m) = markexpr {
        let marks = crate::config::pytest::markexpr_filter(&m);
        out.expr = Some(match &out.expr {
            Some(e) => format!("({e}) & ({marks})"),
            None => marks,
        });
    }
    if let Some(py) = &cfg.pytest {
        if let Some(k) = py.keyword.as_ref().filter(|k| !k.contains(' ')) {
            out.pattern.get_or_insert_with(|| k.clone());
        }
    }
    out
}

/// `spec` compiled against the config (a malformed expression is a usage error).
fn selector(spec: &FilterSpec, cfg: &Config) -> Result<Selector, UsageError> {
    let spec = configured(spec, cfg);
    let expr = spec.expr.clone().unwrap_or_default();
    Selector::new(spec).map_err(|source| UsageError::Filter { source, expr })
}

/// Load the config, discover, filter.
pub fn list(req: &ListRequest) -> Result<Listed, UsageError> {
    list_with(req, config::load(&req.start_dir)?)
}

/// [`list`] with the config already loaded from `req.start_dir`.
pub fn list_with(req: &ListRequest, mut cfg: Config) -> Result<Listed, UsageError> {
    cfg.doctest_modules |= req.doctest_modules;
    // Compiled before the walk: a typo in `-E` fails at once.
    let selector = selector(&req.filter, &cfg)?;
    let mut opts = DiscoverOptions::new(cfg.clone());
    opts.paths = req.paths.clone();
    opts.cwd = req.start_dir.clone();
    opts.full_parse = req.full_parse;
    let mut d = discover(&opts);
    if !d.missing_paths.is_empty() {
        return Err(UsageError::MissingPaths(d.missing_paths));
    }
    if !d.missing_ids.is_empty() {
        return Err(UsageError::MissingIds(d.missing_ids));
    }
    let discovered = d.items.len();
    // The figure reported as filter time is the selection itself; pruning
    // the display tree afterwards is output work.
    let t = Instant::now();
    let keep = selector.select_indices(&d.items);
    let filter_elapsed = t.elapsed();
    if keep.len() != d.items.len() {
        let selected: Vec<_> = keep.iter().map(|&i| d.items[i].clone()).collect();
        let ids: std::collections::HashSet<&str> = selected.iter().map(|i| i.id.as_str()).collect();
        d.files = super::restrict_files(&d.files, |it| ids.contains(it.id.as_str()));
        drop(ids);
        d.items = selected;
    }
    let affected = match &req.changed {
        Some(changed) => {
            let a = crate::graph::affected_by(&d.root, changed)?;
            if a.everything.is_none() {
                d.files.retain(|f| a.selects(&f.path));
                d.items.retain(|it| a.selects(&it.path));
                d.errors.retain(|e| a.selects(&e.path));
            }
            Some(a)
        }
        None => None,
    };
    Ok(Listed {
        config: cfg,
        discovery: d,
        discovered,
        filter_elapsed,
        affected,
    })
}

impl Listed {
    /// Ids of the listed items that `spec` selects (undecided ones included,
    /// as in [`list`]), in id order: the filter evaluated again on the items
    /// already parsed, without walking the disk (the TUI, on each keystroke).
    pub fn select_ids(&self, spec: &FilterSpec) -> Result<Vec<&str>, UsageError> {
        let items = &self.discovery.items;
        let keep = selector(spec, &self.config)?.select_indices(items);
        Ok(keep.into_iter().map(|i| items[i].id.as_str()).collect())
    }
}

#[derive(Serialize)]
struct Counts {
    tests: usize,
    benches: usize,
    files: usize,
    errors: usize,
    discovered: usize,
    /// Classes that look like tests and are not collected (each named).
    uncollected: usize,
    /// Test files in which no test was found (each named).
    empty_files: usize,
}

#[derive(Serialize)]
struct Timing {
    discovery_ms: f64,
    filter_ms: f64,
}

#[derive(Serialize)]
struct JsonList<'a> {
    version: u32,
    root: String,
    files: &'a [FileNode],
    errors: &'a [crate::tree::CollectionError],
    counts: Counts,
    timing: Timing,
    #[serde(skip_serializing_if = "Option::is_none")]
    changed: Option<&'a Affected>,
}

fn notes(d: &crate::discovery::Discovery) -> impl Iterator<Item = &crate::tree::Uncollected> {
    d.files.iter().flat_map(|f| f.uncollected.iter())
}

fn counts(l: &Listed) -> Counts {
    let d = &l.discovery;
    Counts {
        tests: d.items.iter().filter(|i| i.kind == ItemKind::Test).count(),
        benches: d.items.iter().filter(|i| i.kind == ItemKind::Bench).count(),
        files: d.files.len(),
        errors: d.errors.len(),
        discovered: l.discovered,
        uncollected: notes(d).filter(|u| !u.is_file()).count(),
        empty_files: notes(d).filter(|u| u.is_file()).count(),
    }
}

/// The JSON document of `dbtest list --format json` (schema version 1).
pub fn render_json(l: &Listed) -> String {
    let d = &l.discovery;
    let errors: Vec<_> = d.files.iter().filter_map(|f| f.error.clone()).collect();
    let doc = JsonList {
        version: 1,
        root: d.root.to_string_lossy().into_owned(),
        files: &d.files,
        errors: &errors,
        counts: Counts {
            errors: errors.len(),
            ..counts(l)
        },
        timing: Timing {
            discovery_ms: d.elapsed.as_secs_f64() * 1e3,
            filter_ms: l.filter_elapsed.as_secs_f64() * 1e3,
        },
        changed: l.affected.as_ref(),
    };
    // Sized up front: growing a multi-megabyte string by doubling copies it
    // about as many times as there are doublings.
    let mut out = Vec::with_capacity(256 * d.items.len() + 128 * d.files.len() + 256);
    match serde_json::to_writer(&mut out, &doc) {
        // serde_json writes valid UTF-8 only.
        Ok(()) => String::from_utf8(out).unwrap_or_default(),
        Err(e) => format!("{{\"error\": \"{e}\"}}"),
    }
}

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn item_line(out: &mut String, st: &Style, indent: &str, it: &TestItem, suite_tags: &[String]) {
    let mut name = it.name.clone();
    if let Some(p) = &it.params {
        let _ = write!(name, "[{p}]");
    }
    let _ = write!(out, "{indent}{name}");
    let own: Vec<&String> = it.tags.iter().filter(|t| !suite_tags.contains(t)).collect();
    if !own.is_empty() {
        let tags: Vec<&str> = own.iter().map(|s| s.as_str()).collect();
        let _ = write!(
            out,
            " {}",
            st.paint("35", &format!("[{}]", tags.join(", ")))
        );
    }
    let mut notes: Vec<String> = Vec::new();
    if it.is_async {
        notes.push("async".into());
    }
    if let Some(r) = &it.skip {
        notes.push(format!("skip: {r}"));
    }
    if it.xfail {
        notes.push("xfail".into());
    }
    if let Some(t) = it.timeout {
        notes.push(format!("timeout {t}s"));
    }
    if !it.dynamic.is_empty() {
        let d: Vec<&str> = it
            .dynamic
            .iter()
            .map(|d| match d {
                crate::tree::Dynamic::Tags => "tags",
                crate::tree::Dynamic::Params => "params",
                crate::tree::Dynamic::Inherited => "inherited",
                crate::tree::Dynamic::Options => "options",
                crate::tree::Dynamic::LoadTests => "load_tests",
                crate::tree::Dynamic::Conditional => "defined under if/try",
            })
            .collect();
        notes.push(format!("resolved at import: {}", d.join(", ")));
    }
    if !notes.is_empty() {
        let _ = write!(
            out,
            " {}",
            st.paint("2", &format!("({})", notes.join("; ")))
        );
    }
    out.push('\n');
}

/// The tree as indented text with a count line (ANSI colours when `color`).
pub fn render_text(l: &Listed, color: bool) -> String {
    let st = Style { on: color };
    let d = &l.discovery;
    let mut out = String::with_capacity(64 * (d.items.len() + d.files.len()) + 128);
    if let Some(a) = &l.affected {
        let _ = writeln!(out, "{}", st.paint("2", &a.header()));
        if let Some(why) = &a.everything {
            let _ = writeln!(
                out,
                "{}",
                st.paint("33", &format!("everything selected: {why}"))
            );
        }
    }
    for f in &d.files {
        out.push_str(&st.paint("1", &f.path));
        // With --changed, the import chain that selected the file.
        if let Some(chain) = l.affected.as_ref().and_then(|a| a.chains.get(&f.path)) {
            let rest = &chain[1..];
            let text = if rest.is_empty() {
                " (changed)".to_string()
            } else {
                format!(" -> {} (changed)", rest.join(" -> "))
            };
            out.push_str(&st.paint("2", &text));
        }
        out.push('\n');
        if let Some(e) = &f.error {
            let at = if e.line > 0 {
                format!("line {}: ", e.line)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "  {}",
                st.paint("31", &format!("collection error: {at}{}", e.message))
            );
        }
        for s in &f.suites {
            let label = match s.kind {
                SuiteKind::Group => format!("group {}", s.name),
                SuiteKind::Unittest => format!("{} (unittest)", s.name),
                SuiteKind::Suite => s.name.clone(),
            };
            let _ = write!(out, "  {}", st.paint("36", &label));
            if !s.tags.is_empty() {
                let _ = write!(
                    out,
                    " {}",
                    st.paint("35", &format!("[{}]", s.tags.join(", ")))
                );
            }
            out.push('\n');
            for it in &s.items {
                item_line(&mut out, &st, "    ", it, &s.tags);
            }
        }
        for it in &f.items {
            item_line(&mut out, &st, "  ", it, &[]);
        }
        for u in &f.uncollected {
            let note = if u.is_file() {
                format!("not collected: {}", u.reason)
            } else {
                format!("{} (line {}): not collected: {}", u.name, u.line, u.reason)
            };
            let _ = writeln!(out, "  {}", st.paint("33", &note));
        }
    }
    let c = counts(l);
    let mut line = plural(c.tests, "test", "tests");
    if c.benches > 0 {
        let _ = write!(line, ", {}", plural(c.benches, "benchmark", "benchmarks"));
    }
    let _ = write!(line, " in {}", plural(c.files, "file", "files"));
    if c.tests + c.benches != c.discovered {
        let _ = write!(line, " (selected from {})", c.discovered);
    }
    let phrases =
        crate::report::summary::uncollected_phrases(c.empty_files as u64, c.uncollected as u64);
    for phrase in phrases {
        let _ = write!(line, ", {}", st.paint("33", &phrase));
    }
    if c.errors > 0 {
        let _ = write!(
            line,
            ", {}",
            st.paint(
                "31",
                &plural(c.errors, "collection error", "collection errors")
            )
        );
    }
    let _ = writeln!(
        line,
        " [discovered in {:.1} ms]",
        d.elapsed.as_secs_f64() * 1e3
    );
    out.push_str(&line);
    out
}
