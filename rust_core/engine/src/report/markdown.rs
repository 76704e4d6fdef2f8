//! The Markdown report: for a pull-request comment or a GitHub job summary.
//!
//! Everything user-supplied is escaped: in text and table cells every
//! character Markdown gives a meaning to is backslash-escaped, `<`, `>` and
//! `&` become entities (so `<script>` stays text and cannot open an HTML
//! block), newlines become `<br>` inside cells; inside `<summary>` (raw HTML)
//! only HTML escaping applies; code blocks use a fence longer than any
//! backtick run in their content. Control characters are shown as `\x1b`.

use super::summary::{self, Tally};
use super::text::{clean, first_line, one_line, seconds, sig3};
use super::{RunReport, Verdict};
use crate::bench::instrument::Instrument;
use crate::bench::BenchEntryResult;
use crate::record::{Outcome, Summary, TestRecord};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// How many tests the "Slowest tests" table lists.
pub const SLOWEST: usize = 10;

/// Escape text for Markdown inline content, including GFM table cells.
pub fn inline(s: &str) -> String {
    let s = clean(s);
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.trim_end_matches('\n').chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '$' | '!' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' => out.push_str("<br>"),
            '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Escape text for raw HTML (e.g. inside `<summary>`), on one line.
pub fn html(s: &str) -> String {
    let s = one_line(s);
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// Longest captured text (output, traceback) a Markdown report shows per
/// block: job summaries are capped at 1 MiB, and the end of the output is
/// what explains a failure, so the tail is kept.
pub const MAX_BLOCK_LINES: usize = 200;
pub const MAX_BLOCK_BYTES: usize = 32 * 1024;

/// The last `MAX_BLOCK_LINES` lines / `MAX_BLOCK_BYTES` bytes of `text`, with
/// a note saying how much was left out.
pub fn tail(text: &str) -> std::borrow::Cow<'_, str> {
    let text = text.trim_end_matches('\n');
    let lines: Vec<&str> = text.split('\n').collect();
    let mut kept = 0;
    let mut bytes = 0;
    for l in lines.iter().rev() {
        if kept == MAX_BLOCK_LINES || bytes + l.len() + 1 > MAX_BLOCK_BYTES {
            break;
        }
        kept += 1;
        bytes += l.len() + 1;
    }
    if kept == lines.len() {
        return std::borrow::Cow::Borrowed(text);
    }
    let omitted = lines.len() - kept;
    let mut out = format!(
        "[… {omitted} earlier line{} not shown]\n",
        if omitted == 1 { "" } else { "s" }
    );
    if kept == 0 {
        // One enormous line: keep its end, on a char boundary.
        let last = lines[lines.len() - 1];
        let mut start = last.len().saturating_sub(MAX_BLOCK_BYTES);
        while !last.is_char_boundary(start) {
            start += 1;
        }
        out.push_str(&last[start..]);
    } else {
        out.push_str(&lines[lines.len() - kept..].join("\n"));
    }
    std::borrow::Cow::Owned(out)
}

/// A fenced code block whose fence cannot be closed by its content.
pub fn code_block(out: &mut String, content: &str, info: &str) {
    let content = clean(&tail(content)).into_owned();
    let mut longest = 0;
    let mut run = 0;
    for c in content.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat((longest + 1).max(3));
    let _ = writeln!(out, "{fence}{info}");
    out.push_str(content.trim_end_matches('\n'));
    let _ = writeln!(out, "\n{fence}");
}

fn outcome_label(r: &TestRecord) -> String {
    let mut s = r.outcome.as_str().to_string();
    if r.outcome == Outcome::Xpassed && r.strict {
        s.push_str(" (strict)");
    }
    if r.flaky {
        s.push_str(" (flaky)");
    }
    if r.attempts > 1 {
        let _ = write!(s, ", {} attempts", r.attempts);
    }
    s
}

fn headline_icon(v: Verdict) -> &'static str {
    match v {
        Verdict::Passed => "✅",
        Verdict::Failed => "❌",
        Verdict::Interrupted => "⚠️",
    }
}

/// The id without its file: `Suite::test[1]`.
fn short_id(r: &TestRecord) -> &str {
    crate::ids::relative(&r.id, &r.path).unwrap_or(&r.id)
}

/// Render a report as Markdown.
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    let verdict = report.verdict();
    let _ = writeln!(
        out,
        "## {} dbtest: {}\n",
        headline_icon(verdict),
        verdict.as_str()
    );
    let m = &report.meta;
    let _ = writeln!(
        out,
        "**{}** · {} test{} in {} · {} worker{}\n",
        report.counts_phrase(),
        report.summary.total,
        if report.summary.total == 1 { "" } else { "s" },
        seconds(m.duration),
        m.workers,
        if m.workers == 1 { "" } else { "s" }
    );
    let mut facts = vec![format!("dbtest {}", inline(&m.dbtest_version))];
    if !m.python.is_empty() {
        facts.push(format!("Python {}", inline(&m.python)));
    }
    if !m.platform.is_empty() {
        facts.push(inline(&m.platform));
    }
    if let Some(c) = &m.git_commit {
        facts.push(format!("commit {}", inline(c)));
    }
    if let Some(p) = &m.selection.partition {
        facts.push(format!("partition {}", inline(p)));
    }
    if let Some(seed) = m.seed {
        // What a reader needs to repeat a CI run's order locally.
        facts.push(format!("random order: --seed {seed}"));
    }
    if !m.merged_from.is_empty() {
        facts.push(format!("merged from {} reports", m.merged_from.len()));
    }
    if m.interrupted {
        facts.push("interrupted: unfinished tests are cancelled".into());
    }
    let _ = writeln!(out, "<sub>{}</sub>\n", facts.join(" · "));

    failures_section(&mut out, report);
    errors_section(&mut out, report);
    slowest_section(&mut out, report);
    all_tests_section(&mut out, report);
    benchmarks_section(&mut out, &report.benchmarks);
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

fn failures_section(out: &mut String, report: &RunReport) {
    let failures = report.failures();
    if failures.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Failures ({})\n", failures.len());
    out.push_str("| Test | Outcome | Message | Duration |\n| --- | --- | --- | ---: |\n");
    for r in &failures {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            inline(&r.id),
            outcome_label(r),
            inline(&first_line(r.message.as_deref().unwrap_or(""))),
            seconds(r.duration)
        );
    }
    out.push('\n');
    for r in &failures {
        let _ = writeln!(
            out,
            "<details><summary>{} — {}</summary>\n",
            html(&r.id),
            html(&outcome_label(r))
        );
        let mut detail = r.message.clone().unwrap_or_default();
        if let Some(tb) = &r.traceback {
            if !detail.is_empty() {
                detail.push_str("\n\n");
            }
            detail.push_str(tb);
        }
        if !detail.is_empty() {
            code_block(out, &detail, "text");
            out.push('\n');
        }
        for (label, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
            if !text.is_empty() {
                let _ = writeln!(out, "**{label}**\n");
                code_block(out, text, "text");
                out.push('\n');
            }
        }
        if !r.logs.is_empty() {
            out.push_str("**logs**\n\n");
            let logs: Vec<String> = r
                .logs
                .iter()
                .map(|l| format!("{} {}: {}", l.level, l.logger, l.message))
                .collect();
            code_block(out, &logs.join("\n"), "text");
            out.push('\n');
        }
        out.push_str("</details>\n\n");
    }
}

fn errors_section(out: &mut String, report: &RunReport) {
    if report.collection_errors.is_empty() && report.run_errors.is_empty() {
        return;
    }
    let n = report.collection_errors.len() + report.run_errors.len();
    let _ = writeln!(out, "### Errors outside tests ({n})\n");
    out.push_str("| Where | Kind | Message |\n| --- | --- | --- |\n");
    for e in &report.collection_errors {
        let _ = writeln!(
            out,
            "| {}:{} | collection | {} |",
            inline(&e.path),
            e.line,
            inline(&e.message)
        );
    }
    for e in &report.run_errors {
        let _ = writeln!(
            out,
            "| {} | run error | {} |",
            inline(&e.scope),
            inline(&e.message)
        );
    }
    out.push('\n');
    for e in report.run_errors.iter().filter(|e| e.traceback.is_some()) {
        let _ = writeln!(
            out,
            "<details><summary>{} — traceback</summary>\n",
            html(&e.scope)
        );
        code_block(out, e.traceback.as_deref().unwrap_or(""), "text");
        out.push_str("\n</details>\n\n");
    }
}

fn slowest_section(out: &mut String, report: &RunReport) {
    let mut timed: Vec<&TestRecord> = report.tests.iter().filter(|r| r.duration > 0.0).collect();
    if timed.is_empty() {
        return;
    }
    timed.sort_by(|a, b| {
        b.duration
            .total_cmp(&a.duration)
            .then_with(|| a.id.cmp(&b.id))
    });
    timed.truncate(SLOWEST);
    let _ = writeln!(out, "### Slowest tests\n");
    out.push_str("| Test | Outcome | Duration |\n| --- | --- | ---: |\n");
    for r in timed {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            inline(&r.id),
            outcome_label(r),
            seconds(r.duration)
        );
    }
    out.push('\n');
}

fn all_tests_section(out: &mut String, report: &RunReport) {
    if report.tests.is_empty() {
        return;
    }
    let mut by_file: BTreeMap<&str, Vec<&TestRecord>> = BTreeMap::new();
    for r in &report.tests {
        by_file.entry(&r.path).or_default().push(r);
    }
    out.push_str("### All tests\n\n");
    for (path, mut records) in by_file {
        records.sort_by(|a, b| a.id.cmp(&b.id));
        let s = Summary::from_records(records.iter().copied());
        let failed = records.iter().any(|r| r.is_failure());
        let counts = summary::plain(&summary::counts(&Tally::tests(&s)));
        let _ = writeln!(
            out,
            "<details><summary>{} {} — {}</summary>\n",
            if failed { "❌" } else { "✅" },
            html(path),
            counts
        );
        out.push_str("| Test | Outcome | Duration |\n| --- | --- | ---: |\n");
        for r in records {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                inline(short_id(r)),
                outcome_label(r),
                seconds(r.duration)
            );
        }
        out.push_str("\n</details>\n\n");
    }
}

fn entry_label(b: &BenchEntryResult) -> String {
    match &b.params {
        Some(p) => format!("{}[{p}]", b.name),
        None => b.name.clone(),
    }
}

/// A label safe inside a Mermaid double-quoted string (Mermaid has no escape
/// for `"`), and inside the Markdown fence around the chart.
fn mermaid_label(s: &str) -> String {
    one_line(s)
        .chars()
        .map(|c| match c {
            '"' | '`' => '\'',
            '<' => '‹',
            '>' => '›',
            '[' => '(',
            ']' => ')',
            '#' | ';' | ',' => ' ',
            c => c,
        })
        .collect::<String>()
        .trim()
        .to_string()
}

fn benchmarks_section(out: &mut String, benches: &[BenchEntryResult]) {
    if benches.is_empty() {
        return;
    }
    let mut groups: BTreeMap<(&str, &str), Vec<&BenchEntryResult>> = BTreeMap::new();
    for b in benches {
        groups.entry((&b.path, &b.group)).or_default().push(b);
    }
    out.push_str("### Benchmarks\n\n");
    for ((path, group), mut entries) in groups {
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        let instrument = Instrument::of(entries.iter().find_map(|b| b.instrument.as_deref()));
        let _ = writeln!(out, "#### {} · {}\n", inline(path), inline(group));
        out.push_str("| Entry | Median | 95% CI | ops/s | vs baseline | Verdict |\n");
        out.push_str("| --- | ---: | --- | ---: | --- | --- |\n");
        for b in &entries {
            let mut name = inline(&entry_label(b));
            if b.is_baseline {
                name.push_str(" (baseline)");
            }
            match (&b.error, &b.stats) {
                (None, Some(st)) => {
                    let (vs, sig) = match &b.comparison {
                        Some(c) => (
                            format!(
                                "{}× \\[{}, {}\\]",
                                sig3(c.speedup),
                                sig3(c.ci_low),
                                sig3(c.ci_high)
                            ),
                            verdict_text(c),
                        ),
                        None if b.is_baseline => ("baseline".into(), "-".into()),
                        None => ("-".into(), "-".into()),
                    };
                    let _ = writeln!(
                        out,
                        "| {name} | {} | {} – {} | {} | {vs} | {sig} |",
                        instrument.per_call(st.median),
                        instrument.per_call(st.ci_low),
                        instrument.per_call(st.ci_high),
                        match instrument {
                            Instrument::Time => ops(st.ops_per_sec),
                            Instrument::Instructions => "-".into(),
                        },
                    );
                }
                (err, _) => {
                    let err = err_text(err.as_deref());
                    let _ = writeln!(out, "| {name} | error: {} | - | - | - | - |", inline(&err));
                }
            }
        }
        out.push('\n');
        chart(out, group, &entries, instrument);
    }
}

/// The scale and unit of a chart of instruction counts up to `max`.
fn instructions_scale(max: f64) -> (f64, &'static str) {
    if max >= 1e9 {
        (1e-9, "G instructions")
    } else if max >= 1e6 {
        (1e-6, "M instructions")
    } else if max >= 1e3 {
        (1e-3, "k instructions")
    } else {
        (1.0, "instructions")
    }
}

/// The engine's verdict in words, with how the comparison was made.
fn verdict_text(c: &crate::bench::Comparison) -> String {
    let how = if c.paired { "paired" } else { "unpaired" };
    let p = p_value(c.p_value);
    match c.verdict.as_str() {
        "same" => format!(
            "same within noise (±{}%; {how}, p {p})",
            sig3(c.margin * 100.0)
        ),
        "faster" | "slower" => format!("{} ({how}, p {p})", c.verdict),
        _ if c.significant => format!("yes ({how}, p {p})"),
        _ => format!("undecided ({how}, p {p})"),
    }
}

fn err_text(e: Option<&str>) -> String {
    first_line(e.unwrap_or("no result"))
}

fn p_value(p: f64) -> String {
    if !p.is_finite() {
        "-".into()
    } else if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("= {p:.3}")
    }
}

fn ops(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    // Thousands separators: 1,234,567.
    let n = v.round() as u64;
    if n < 1000 {
        return sig3(v);
    }
    let digits = n.to_string();
    let mut groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .map(|c| std::str::from_utf8(c).expect("ASCII digits"))
        .collect();
    groups.reverse();
    groups.join(",")
}

fn chart(out: &mut String, group: &str, entries: &[&BenchEntryResult], instrument: Instrument) {
    let measured: Vec<(String, f64)> = entries
        .iter()
        .filter(|b| b.error.is_none())
        .filter_map(|b| {
            b.stats
                .as_ref()
                .map(|s| (mermaid_label(&entry_label(b)), s.median))
        })
        .filter(|(_, m)| m.is_finite())
        .collect();
    if measured.is_empty() {
        return;
    }
    let max = measured.iter().map(|(_, m)| *m).fold(0.0, f64::max);
    let (scale, unit) = if instrument == Instrument::Instructions {
        instructions_scale(max)
    } else if max >= 1.0 {
        (1.0, "s")
    } else if max >= 1e-3 {
        (1e3, "ms")
    } else if max >= 1e-6 {
        (1e6, "µs")
    } else {
        (1e9, "ns")
    };
    let labels: Vec<String> = measured.iter().map(|(l, _)| format!("\"{l}\"")).collect();
    let values: Vec<String> = measured
        .iter()
        .map(|(_, m)| format!("{:.4}", m * scale))
        .collect();
    out.push_str("```mermaid\nxychart-beta\n");
    let _ = writeln!(
        out,
        "    title \"{} (median, lower is faster)\"",
        mermaid_label(group)
    );
    let _ = writeln!(out, "    x-axis [{}]", labels.join(", "));
    let _ = writeln!(out, "    y-axis \"{unit} per call\"");
    let _ = writeln!(out, "    bar [{}]", values.join(", "));
    out.push_str("```\n\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_escapes_markdown_and_html() {
        assert_eq!(inline("a|b`c<script>&"), "a\\|b\\`c&lt;script&gt;&amp;");
        assert_eq!(inline("x\ny\u{1b}"), "x<br>y\\\\x1b");
        assert_eq!(
            inline("[link](http://x) *e* _u_"),
            "\\[link\\](http://x) \\*e\\* \\_u\\_"
        );
    }

    #[test]
    fn long_blocks_keep_their_tail() {
        let text: String = (0..500).map(|i| format!("line {i}\n")).collect();
        let t = tail(&text);
        assert!(
            t.starts_with("[… 300 earlier lines not shown]\nline 300\n"),
            "{t}"
        );
        assert!(t.ends_with("line 499"));
        let huge = "é".repeat(MAX_BLOCK_BYTES);
        let t = tail(&huge);
        assert!(t.len() <= MAX_BLOCK_BYTES + 64 && t.ends_with('é'));
        assert_eq!(tail("short\n"), "short");
    }

    #[test]
    fn code_fence_outgrows_content() {
        let mut s = String::new();
        code_block(&mut s, "a ```` b", "text");
        assert!(s.starts_with("`````text\n"), "{s}");
        assert!(s.ends_with("\n`````\n"));
    }

    #[test]
    fn mermaid_labels_cannot_break_out() {
        assert_eq!(mermaid_label("a\"b`c<d>[e],f\n"), "a'b'c‹d›(e) f");
    }
}
