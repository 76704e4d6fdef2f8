//! Plain-text rendering of a saved report (`dbtest report render --format
//! console`): what the live console shows at the end of a run, without colour
//! or any terminal control code. Control characters in captured output are
//! shown as `\x1b` so a saved report cannot drive the reader's terminal.

use super::text::{clean, one_line, seconds};
use super::{summary, RunReport};
use std::fmt::Write as _;

const WIDTH: usize = 72;

fn rule(out: &mut String, title: &str, fill: char) {
    let title = format!(" {title} ");
    let n = title.chars().count();
    let side = WIDTH.saturating_sub(n) / 2;
    let f = fill.to_string().repeat(side.max(3));
    let _ = writeln!(out, "{f}{title}{f}");
}

fn block(out: &mut String, text: &str) {
    let t = clean(text);
    let t = t.trim_end_matches('\n');
    if !t.is_empty() {
        out.push_str(t);
        out.push('\n');
    }
}

/// Render a report as plain text.
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    let m = &report.meta;
    let mut facts = vec![format!("dbtest {}", one_line(&m.dbtest_version))];
    if !m.python.is_empty() {
        facts.push(format!("Python {}", one_line(&m.python)));
    }
    if !m.platform.is_empty() {
        facts.push(one_line(&m.platform));
    }
    facts.push(format!(
        "{} worker{}",
        m.workers,
        if m.workers == 1 { "" } else { "s" }
    ));
    if let Some(c) = &m.git_commit {
        facts.push(format!("commit {}", one_line(c)));
    }
    if let Some(p) = &m.selection.partition {
        facts.push(format!("partition {}", one_line(p)));
    }
    if !m.merged_from.is_empty() {
        facts.push(format!(
            "merged from {}",
            one_line(&m.merged_from.join(", "))
        ));
    }
    let _ = writeln!(out, "{}", facts.join(" · "));

    let failures = report.failures();
    if !failures.is_empty() {
        out.push('\n');
        rule(&mut out, "FAILURES", '=');
        for (i, r) in failures.into_iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let mut label = r.outcome.as_str().to_string();
            if r.strict && r.outcome == crate::record::Outcome::Xpassed {
                label.push_str(", strict");
            }
            if r.attempts > 1 {
                let _ = write!(label, ", {} attempts", r.attempts);
            }
            rule(
                &mut out,
                &format!("{} ({label}, {})", one_line(&r.id), seconds(r.duration)),
                '_',
            );
            let _ = writeln!(out, "{}:{}", one_line(&r.path), r.line);
            if let Some(msg) = &r.message {
                block(&mut out, msg);
            }
            if let Some(tb) = &r.traceback {
                out.push('\n');
                block(&mut out, tb);
            }
            for (label, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
                if !text.is_empty() {
                    let _ = writeln!(out, "--- captured {label} ---");
                    block(&mut out, text);
                }
            }
            if !r.logs.is_empty() {
                out.push_str("--- captured logs ---\n");
                for l in &r.logs {
                    let _ = writeln!(
                        out,
                        "{} {}: {}",
                        one_line(&l.level),
                        one_line(&l.logger),
                        clean(&l.message)
                    );
                }
            }
        }
    }
    if !report.collection_errors.is_empty() || !report.run_errors.is_empty() {
        out.push('\n');
        rule(&mut out, "ERRORS OUTSIDE TESTS", '=');
        for e in &report.collection_errors {
            let _ = writeln!(
                out,
                "collection error {}:{}: {}",
                one_line(&e.path),
                e.line,
                clean(&e.message)
            );
        }
        for e in &report.run_errors {
            let _ = writeln!(
                out,
                "run error in {}: {}",
                one_line(&e.scope),
                clean(&e.message)
            );
            if let Some(tb) = &e.traceback {
                block(&mut out, tb);
            }
        }
    }
    out.push('\n');
    out.push_str(&summary::plain(
        &report.summary_line(&summary::Gates::default()),
    ));
    out.push('\n');
    out
}
