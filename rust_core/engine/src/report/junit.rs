//! JUnit XML in the dialect Jenkins, GitLab and the common GitHub test-report
//! actions read (`tests/reports/junit.xsd` is the schema the tests validate
//! against).
//!
//! One `<testsuite>` per file; outcomes map as
//! failed / strict xpassed → `<failure>`, error / timeout / crashed → `<error>`
//! (the `type` attribute is the outcome), skipped / xfailed / cancelled →
//! `<skipped>`; passed and non-strict xpassed have no child. Errors outside any
//! test (collection errors, run errors) become an extra `<testcase>` with an
//! `<error>` in their file's suite so CI shows them too; they count in `tests`
//! and `errors`. So does a benchmark entry that errored (measured entries
//! are not tests and are left out).

use super::text::{clean, first_line};
use super::RunReport;
use crate::ids;
use crate::record::{Outcome, TestRecord};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Escape text content for XML 1.0. Characters XML 1.0 forbids (controls,
/// U+FFFE/U+FFFF) never reach the output: [`clean`] turns them into visible
/// escapes first. `>` is escaped too so that `]]>` cannot appear.
pub fn escape_text(s: &str) -> String {
    escape(s, false)
}

/// Escape an attribute value (double-quoted). Newlines and tabs become
/// character references, since attribute-value normalisation would otherwise
/// turn them into spaces.
pub fn escape_attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, attr: bool) -> String {
    let s = clean(s);
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\n' if attr => out.push_str("&#10;"),
            '\t' if attr => out.push_str("&#9;"),
            _ => out.push(c),
        }
    }
    out
}

/// `2024-11-21T06:20:00` (UTC, no zone suffix, as Jenkins writes it) from Unix seconds.
pub fn iso_timestamp(unix: f64) -> String {
    let secs = if unix.is_finite() && unix > 0.0 {
        unix.floor() as i64
    } else {
        0
    };
    crate::utc::datetime(secs)
}

/// Split an id into JUnit's `classname` (dotted module, plus the suite class)
/// and `name` (the test, with its parameters).
pub fn classname_and_name(id: &str, path: &str) -> (String, String) {
    let module = path.strip_suffix(".py").unwrap_or(path).replace('/', ".");
    let names = ids::names(id);
    match names.split_last() {
        Some((_, suites)) if !suites.is_empty() => (
            format!("{module}.{}", suites.join(".")),
            ids::leaf(id).to_string(),
        ),
        Some(_) => (module, ids::leaf(id).to_string()),
        None => (module, id.to_string()),
    }
}

/// A duration the XSD accepts (`xs:decimal`, >= 0): NaN and infinities,
/// which would print as `NaN`/`inf`, become 0.
fn secs(d: f64) -> f64 {
    if d.is_finite() && d > 0.0 {
        d
    } else {
        0.0
    }
}

enum Kind {
    Pass,
    Failure,
    Error,
    Skipped,
}

fn kind(r: &TestRecord) -> Kind {
    match r.outcome {
        Outcome::Passed => Kind::Pass,
        Outcome::Xpassed if !r.strict => Kind::Pass,
        Outcome::Failed | Outcome::Xpassed => Kind::Failure,
        Outcome::Error | Outcome::Timeout | Outcome::Crashed => Kind::Error,
        Outcome::Skipped | Outcome::Xfailed | Outcome::Cancelled => Kind::Skipped,
    }
}

#[derive(Default)]
struct Totals {
    tests: u64,
    failures: u64,
    errors: u64,
    skipped: u64,
    time: f64,
}

impl Totals {
    fn attrs(&self) -> String {
        format!(
            "tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\"",
            self.tests, self.failures, self.errors, self.skipped, self.time
        )
    }
}

/// A pseudo test case for an error that belongs to no single test.
struct Incident {
    classname: String,
    name: String,
    line: u32,
    kind: &'static str,
    message: String,
    body: String,
}

/// Render a report as JUnit XML.
pub fn render(report: &RunReport) -> String {
    let mut by_file: BTreeMap<&str, (Vec<&TestRecord>, Vec<Incident>)> = BTreeMap::new();
    for r in &report.tests {
        by_file.entry(r.path.as_str()).or_default().0.push(r);
    }
    for e in &report.collection_errors {
        let (classname, _) = classname_and_name(&e.path, &e.path);
        by_file
            .entry(e.path.as_str())
            .or_default()
            .1
            .push(Incident {
                classname,
                name: "collection".into(),
                line: e.line,
                kind: "collection",
                message: first_line(&e.message),
                body: e.message.clone(),
            });
    }
    for e in &report.run_errors {
        let path = ids::path_of(&e.scope);
        // The scope is a file or a suite: the suite (if any) is the classname.
        let (classname, name) = classname_and_name(&ids::child(&e.scope, "run error"), path);
        let mut body = e.message.clone();
        if let Some(tb) = &e.traceback {
            body.push_str("\n\n");
            body.push_str(tb);
        }
        by_file.entry(path).or_default().1.push(Incident {
            classname,
            name,
            line: 0,
            kind: "run_error",
            message: first_line(&e.message),
            body,
        });
    }

    for b in report.benchmarks.iter().filter(|b| b.error.is_some()) {
        let message = b.error.clone().unwrap_or_default();
        let (classname, name) = classname_and_name(&b.id, &b.path);
        by_file
            .entry(b.path.as_str())
            .or_default()
            .1
            .push(Incident {
                classname,
                name,
                line: 0,
                kind: "benchmark_error",
                message: first_line(&message),
                body: message,
            });
    }

    let timestamp = iso_timestamp(report.meta.start);
    let mut suites = String::new();
    let mut all = Totals::default();
    for (path, (mut records, incidents)) in by_file {
        records.sort_by(|a, b| a.id.cmp(&b.id));
        let mut t = Totals::default();
        let mut cases = String::new();
        for r in records {
            t.tests += 1;
            t.time += secs(r.duration);
            match kind(r) {
                Kind::Failure => t.failures += 1,
                Kind::Error => t.errors += 1,
                Kind::Skipped => t.skipped += 1,
                Kind::Pass => {}
            }
            let slow = report
                .slow
                .iter()
                .find(|n| n.what == r.id)
                .map(|n| n.seconds);
            write_case(&mut cases, r, slow);
        }
        for inc in incidents {
            t.tests += 1;
            t.errors += 1;
            let _ = writeln!(
                cases,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\" time=\"0.000\">\n      <error type=\"{}\" message=\"{}\">{}</error>\n    </testcase>",
                escape_attr(&inc.classname),
                escape_attr(&inc.name),
                escape_attr(path),
                inc.line,
                inc.kind,
                escape_attr(&inc.message),
                escape_text(&inc.body)
            );
        }
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" {} timestamp=\"{timestamp}\" file=\"{}\">",
            escape_attr(path),
            t.attrs(),
            escape_attr(path)
        );
        suites.push_str(&cases);
        suites.push_str("  </testsuite>\n");
        all.tests += t.tests;
        all.failures += t.failures;
        all.errors += t.errors;
        all.skipped += t.skipped;
    }
    // The run's wall time, not the sum of test times (tests ran in parallel).
    all.time = secs(report.meta.duration);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"dbtest\" {} timestamp=\"{timestamp}\">",
        all.attrs()
    );
    out.push_str(&suites);
    out.push_str("</testsuites>\n");
    out
}

fn write_case(out: &mut String, r: &TestRecord, slow: Option<f64>) {
    let (classname, name) = classname_and_name(&r.id, &r.path);
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\" time=\"{:.3}\"",
        escape_attr(&classname),
        escape_attr(&name),
        escape_attr(&r.path),
        r.line,
        secs(r.duration)
    );
    let message = r.message.as_deref().unwrap_or("");
    let mut body = String::new();
    // LEAK and SLOW notes, as properties (they come first in a testcase).
    let mut props = Vec::new();
    if let Some(leak) = &r.leak {
        props.push(("leak", leak.clone()));
    }
    if let Some(seconds) = slow {
        props.push(("slow", format!("{seconds}")));
    }
    if !props.is_empty() {
        body.push_str("      <properties>\n");
        for (name, value) in props {
            let _ = writeln!(
                body,
                "        <property name=\"{name}\" value=\"{}\"/>",
                escape_attr(&value)
            );
        }
        body.push_str("      </properties>\n");
    }
    match kind(r) {
        Kind::Pass => {}
        Kind::Failure | Kind::Error => {
            let tag = if matches!(kind(r), Kind::Failure) {
                "failure"
            } else {
                "error"
            };
            let headline = match first_line(message) {
                l if l.is_empty() => r.outcome.as_str().to_string(),
                l => l,
            };
            let mut detail = message.to_string();
            if let Some(tb) = &r.traceback {
                if !detail.is_empty() {
                    detail.push_str("\n\n");
                }
                detail.push_str(tb);
            }
            let _ = writeln!(
                body,
                "      <{tag} type=\"{}\" message=\"{}\">{}</{tag}>",
                r.outcome.as_str(),
                escape_attr(&headline),
                escape_text(&detail)
            );
        }
        Kind::Skipped => {
            let reason = match first_line(message) {
                l if l.is_empty() => r.outcome.as_str().to_string(),
                l if l.starts_with(r.outcome.as_str()) => l,
                l => format!("{}: {l}", r.outcome.as_str()),
            };
            let _ = writeln!(
                body,
                "      <skipped message=\"{}\"/>",
                escape_attr(&reason)
            );
        }
    }
    if !r.stdout.is_empty() {
        let _ = writeln!(
            body,
            "      <system-out>{}</system-out>",
            escape_text(&r.stdout)
        );
    }
    let mut err = r.stderr.clone();
    for l in &r.logs {
        if !err.is_empty() && !err.ends_with('\n') {
            err.push('\n');
        }
        let _ = writeln!(err, "{} {}: {}", l.level, l.logger, l.message);
    }
    if !err.is_empty() {
        let _ = writeln!(body, "      <system-err>{}</system-err>", escape_text(&err));
    }
    if body.is_empty() {
        out.push_str("/>\n");
    } else {
        out.push_str(">\n");
        out.push_str(&body);
        out.push_str("    </testcase>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_never_emit_forbidden_characters() {
        assert_eq!(
            escape_text("a<b>&]]>\u{1b}\u{0}\u{ffff}"),
            "a&lt;b&gt;&amp;]]&gt;\\x1b\\x00\\uffff"
        );
        assert_eq!(escape_attr("\"x\"\n\ty"), "&quot;x&quot;&#10;&#9;y");
    }

    #[test]
    fn timestamps() {
        assert_eq!(iso_timestamp(0.0), "1970-01-01T00:00:00");
        assert_eq!(iso_timestamp(1_732_170_000.9), "2024-11-21T06:20:00");
        assert_eq!(iso_timestamp(951_782_400.0), "2000-02-29T00:00:00");
    }

    #[test]
    fn classnames() {
        let p = "tests/test_db.py";
        assert_eq!(
            classname_and_name("tests/test_db.py::Users::test_insert[a::b]", p),
            ("tests.test_db.Users".into(), "test_insert[a::b]".into())
        );
        assert_eq!(
            classname_and_name("tests/test_db.py::test_fn", p),
            ("tests.test_db".into(), "test_fn".into())
        );
    }
}
