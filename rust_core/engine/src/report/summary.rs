//! How a run is summed up, said once for every view: the verdict, the exit
//! code, and the words of the summary line (`FAILED: 2 failed, 1 error,
//! 3 passed, 1 collection error (6 tests in 1.25 s)`). The live console, the
//! TUI, and the console and Markdown reports all take their words from here.
//!
//! Text comes as [`Segment`]s: the words, and the [`Role`] that tells a view
//! how to style them (a view without styles joins the words).

use super::text::seconds;
use super::RunReport;
use crate::exit_code::ExitCode;
use crate::record::{Outcome, Summary};
use serde::{Deserialize, Serialize};

/// The one-word result of a run, as the headline of every format shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Passed,
    Failed,
    Interrupted,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Interrupted => "interrupted",
        }
    }
}

/// What a piece of text is; a view maps each role to its own style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[serde(rename = "")]
    Plain,
    Passed,
    Failed,
    Error,
    Skipped,
    Xfailed,
    Xpassed,
    Timeout,
    Crashed,
    Cancelled,
    Flaky,
    CollectionError,
    RunError,
    Benchmark,
    BenchmarkError,
    Regression,
    /// The coverage total under `--cov-fail-under`.
    CoverageUnder,
    Slow,
    Leaked,
    /// Classes that look like tests and were not collected.
    Uncollected,
    /// "no tests ran".
    NoTests,
    VerdictPassed,
    VerdictFailed,
    VerdictInterrupted,
}

impl Role {
    /// Every role, for views that check they style each one.
    pub const ALL: [Role; 24] = [
        Role::Plain,
        Role::Passed,
        Role::Failed,
        Role::Error,
        Role::Skipped,
        Role::Xfailed,
        Role::Xpassed,
        Role::Timeout,
        Role::Crashed,
        Role::Cancelled,
        Role::Flaky,
        Role::CollectionError,
        Role::RunError,
        Role::Benchmark,
        Role::BenchmarkError,
        Role::Regression,
        Role::CoverageUnder,
        Role::Slow,
        Role::Leaked,
        Role::Uncollected,
        Role::NoTests,
        Role::VerdictPassed,
        Role::VerdictFailed,
        Role::VerdictInterrupted,
    ];

    pub fn outcome(o: Outcome) -> Role {
        match o {
            Outcome::Passed => Role::Passed,
            Outcome::Failed => Role::Failed,
            Outcome::Error => Role::Error,
            Outcome::Skipped => Role::Skipped,
            Outcome::Xfailed => Role::Xfailed,
            Outcome::Xpassed => Role::Xpassed,
            Outcome::Timeout => Role::Timeout,
            Outcome::Crashed => Role::Crashed,
            Outcome::Cancelled => Role::Cancelled,
        }
    }

    pub fn verdict(v: Verdict) -> Role {
        match v {
            Verdict::Passed => Role::VerdictPassed,
            Verdict::Failed => Role::VerdictFailed,
            Verdict::Interrupted => Role::VerdictInterrupted,
        }
    }

    /// The role's name, as it is serialized (`""` for plain text).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Plain => "",
            Role::Passed => "passed",
            Role::Failed => "failed",
            Role::Error => "error",
            Role::Skipped => "skipped",
            Role::Xfailed => "xfailed",
            Role::Xpassed => "xpassed",
            Role::Timeout => "timeout",
            Role::Crashed => "crashed",
            Role::Cancelled => "cancelled",
            Role::Flaky => "flaky",
            Role::CollectionError => "collection_error",
            Role::RunError => "run_error",
            Role::Benchmark => "benchmark",
            Role::BenchmarkError => "benchmark_error",
            Role::Regression => "regression",
            Role::CoverageUnder => "coverage_under",
            Role::Slow => "slow",
            Role::Leaked => "leaked",
            Role::Uncollected => "uncollected",
            Role::NoTests => "no_tests",
            Role::VerdictPassed => "verdict_passed",
            Role::VerdictFailed => "verdict_failed",
            Role::VerdictInterrupted => "verdict_interrupted",
        }
    }
}

/// Words and how to style them; serialized as `[text, role]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment(pub String, pub Role);

/// The words of segments, without their styles.
pub fn plain(segments: &[Segment]) -> String {
    segments.iter().map(|s| s.0.as_str()).collect()
}

/// What a summary counts: tests by outcome, and what failed outside them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Tests by outcome (its `run_errors` is not read: the two kinds below are).
    pub tests: Summary,
    pub collection_errors: u64,
    pub run_errors: u64,
    /// Benchmark entries, errored ones included.
    pub benchmarks: u64,
    pub benchmark_errors: u64,
    /// Entries slower than `--fail-on-regression` allows.
    pub regressions: u64,
    /// Classes that look like tests and were not collected.
    pub uncollected: u64,
    /// Test files in which no test was found.
    pub empty_files: u64,
}

impl Tally {
    /// The counts of a report.
    pub fn of(report: &RunReport) -> Tally {
        let collection = report.collection_errors.len() as u64;
        Tally {
            tests: report.summary.clone(),
            collection_errors: collection,
            // `summary.run_errors` counts both kinds (the schema's rule).
            run_errors: (report.run_errors.len() as u64)
                .max(report.summary.run_errors.saturating_sub(collection)),
            benchmarks: report.benchmarks.len() as u64,
            benchmark_errors: report
                .benchmarks
                .iter()
                .filter(|b| b.error.is_some())
                .count() as u64,
            regressions: 0,
            uncollected: report.uncollected.iter().filter(|u| !u.is_file()).count() as u64,
            empty_files: report.uncollected.iter().filter(|u| u.is_file()).count() as u64,
        }
    }

    /// Tests by outcome only (a file's, a suite's).
    pub fn tests(summary: &Summary) -> Tally {
        Tally {
            tests: summary.clone(),
            ..Tally::default()
        }
    }

    /// From `(name, count)` pairs, as a live view keeps them: outcome names,
    /// `flaky`, `slow`, `leaked`, `collection_errors`, `run_errors`, `benchmarks`,
    /// `benchmark_errors`, `regressions`, `uncollected`, `empty_files`. An unknown name is an error.
    pub fn from_counts<'a>(
        counts: impl IntoIterator<Item = (&'a str, u64)>,
    ) -> Result<Tally, String> {
        let mut t = Tally::default();
        for (name, n) in counts {
            let slot = match name {
                "flaky" => &mut t.tests.flaky,
                "slow" => &mut t.tests.slow,
                "leaked" => &mut t.tests.leaked,
                "collection_errors" => &mut t.collection_errors,
                "run_errors" => &mut t.run_errors,
                "benchmarks" => &mut t.benchmarks,
                "benchmark_errors" => &mut t.benchmark_errors,
                "regressions" => &mut t.regressions,
                "uncollected" => &mut t.uncollected,
                "empty_files" => &mut t.empty_files,
                other => match Outcome::ALL.iter().find(|o| o.as_str() == other) {
                    Some(o) => {
                        t.tests.add_outcome(*o, n);
                        continue;
                    }
                    None => return Err(format!("unknown count {other:?}")),
                },
            };
            *slot += n;
        }
        Ok(t)
    }
}

/// The order of the counts: what needs attention first, as pytest says
/// `2 failed, 10 passed`.
const ORDER: [Outcome; 9] = [
    Outcome::Failed,
    Outcome::Error,
    Outcome::Timeout,
    Outcome::Crashed,
    Outcome::Xpassed,
    Outcome::Passed,
    Outcome::Skipped,
    Outcome::Xfailed,
    Outcome::Cancelled,
];

/// `1 file with no test`, `2 classes not collected`: what discovery found
/// and could not collect, as the run summary and `dbtest list` say it.
pub fn uncollected_phrases(files: u64, classes: u64) -> Vec<String> {
    let mut out = Vec::new();
    if files > 0 {
        out.push(format!(
            "{files} {} with no test",
            if files == 1 { "file" } else { "files" }
        ));
    }
    if classes > 0 {
        let what = if classes == 1 { "class" } else { "classes" };
        out.push(format!("{classes} {what} not collected"));
    }
    out
}

/// `1 run error`, `2 run errors`.
fn noun(n: u64, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `2 failed, 1 error, 10 passed, 1 flaky, 1 collection error`: every
/// non-zero count, failures first; `no tests ran` when there is none.
/// Outcomes that are adjectives stay as they are (`2 failed`); the nouns
/// take a plural (`2 errors`, `2 timeouts`).
pub fn counts(t: &Tally) -> Vec<Segment> {
    let mut parts: Vec<Segment> = Vec::new();
    for o in ORDER {
        let n = t.tests.count(o);
        if n == 0 {
            continue;
        }
        let text = match o {
            Outcome::Error | Outcome::Timeout => noun(n, o.as_str()),
            _ => format!("{n} {}", o.as_str()),
        };
        parts.push(Segment(text, Role::outcome(o)));
    }
    if t.tests.flaky > 0 {
        parts.push(Segment(format!("{} flaky", t.tests.flaky), Role::Flaky));
    }
    if t.tests.slow > 0 {
        parts.push(Segment(format!("{} slow", t.tests.slow), Role::Slow));
    }
    if t.tests.leaked > 0 {
        parts.push(Segment(format!("{} leaked", t.tests.leaked), Role::Leaked));
    }
    for phrase in uncollected_phrases(t.empty_files, t.uncollected) {
        parts.push(Segment(phrase, Role::Uncollected));
    }
    for (n, word, role) in [
        (
            t.collection_errors,
            "collection error",
            Role::CollectionError,
        ),
        (t.run_errors, "run error", Role::RunError),
        (t.benchmarks, "benchmark", Role::Benchmark),
        (t.benchmark_errors, "benchmark error", Role::BenchmarkError),
        (t.regressions, "regression", Role::Regression),
    ] {
        if n > 0 {
            parts.push(Segment(noun(n, word), role));
        }
    }
    if parts.is_empty() {
        return vec![Segment("no tests ran".into(), Role::NoTests)];
    }
    let mut out = Vec::with_capacity(parts.len() * 2);
    for (i, p) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push(Segment(", ".into(), Role::Plain));
        }
        out.push(p);
    }
    out
}

/// What fails a run that its records do not say, known once it ended:
/// benchmark entries past `--fail-on-regression`, a coverage total under
/// `--cov-fail-under` (coverage.py decides that; the engine, what it does
/// to the run).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gates {
    pub regressions: u64,
    pub coverage_under: Option<CoverageUnder>,
}

/// A coverage total under the required one.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageUnder {
    /// As coverage.py shows it, at the config's precision (`71.43%`).
    pub total: String,
    /// `--cov-fail-under` (or `[report] fail_under`), in percent.
    pub required: f64,
}

impl Gates {
    fn fail(&self) -> bool {
        self.regressions > 0 || self.coverage_under.is_some()
    }
}

/// How a run ended, as every view says it: the verdict, the exit code and
/// the summary line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conclusion {
    pub verdict: Verdict,
    pub exit_code: i32,
    pub summary_line: Vec<Segment>,
}

impl RunReport {
    /// Interrupted wins; otherwise failed when any record fails the run
    /// (strict xpassed included), a benchmark entry errored, or an error
    /// outside the tests happened.
    pub fn verdict(&self) -> Verdict {
        if self.meta.interrupted {
            Verdict::Interrupted
        } else if self.summary.run_errors > 0
            || !self.run_errors.is_empty()
            || !self.collection_errors.is_empty()
            || self.tests.iter().any(|t| t.is_failure())
            || self.benchmarks.iter().any(|b| b.error.is_some())
        {
            Verdict::Failed
        } else {
            Verdict::Passed
        }
    }

    /// `3 failed, 1 error, 10 passed`: the counts of the summary line.
    pub fn counts_phrase(&self) -> String {
        plain(&counts(&Tally::of(self)))
    }

    /// `FAILED: 2 failed, 3 passed (5 tests in 1.25 s)`. The `gates` that
    /// failed are said (`2 regressions`, `coverage 71% under 90%`) and fail the run.
    pub fn summary_line(&self, gates: &Gates) -> Vec<Segment> {
        let verdict = self.verdict_with(gates);
        let mut tally = Tally::of(self);
        tally.regressions = gates.regressions;
        let mut line = vec![
            Segment(verdict.as_str().to_uppercase(), Role::verdict(verdict)),
            Segment(": ".into(), Role::Plain),
        ];
        line.extend(counts(&tally));
        if let Some(c) = &gates.coverage_under {
            let text = format!("coverage {} under {}%", c.total, c.required);
            line.push(Segment(", ".into(), Role::Plain));
            line.push(Segment(text, Role::CoverageUnder));
        }
        let total = self.summary.total;
        let took = seconds(self.meta.duration);
        let tail = if total == 0 {
            format!(" (in {took})")
        } else {
            format!(" ({} in {took})", noun(total, "test"))
        };
        line.push(Segment(tail, Role::Plain));
        line
    }

    /// The exit code of the run that made this report: `gates` as for
    /// [`RunReport::summary_line`]; `selected_unsharded`, how many tests
    /// and entries were selected before `--partition` took this shard's
    /// share (a shard left empty is not an error of its CI job; a selection
    /// that was empty before sharding is).
    pub fn exit_code(&self, gates: &Gates, selected_unsharded: usize) -> ExitCode {
        match self.verdict_with(gates) {
            Verdict::Interrupted => ExitCode::Interrupted,
            Verdict::Failed => ExitCode::TestsFailed,
            Verdict::Passed if selected_unsharded == 0 => ExitCode::NoTests,
            Verdict::Passed => ExitCode::Ok,
        }
    }

    /// Everything a view says at the end of the run.
    pub fn conclusion(&self, gates: &Gates, selected_unsharded: usize) -> Conclusion {
        Conclusion {
            verdict: self.verdict_with(gates),
            exit_code: self.exit_code(gates, selected_unsharded).code(),
            summary_line: self.summary_line(gates),
        }
    }

    /// A gate fails only a run that passed: interrupted and failed say more.
    fn verdict_with(&self, gates: &Gates) -> Verdict {
        match self.verdict() {
            Verdict::Passed if gates.fail() => Verdict::Failed,
            v => v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{RunError, RunMeta, SCHEMA_VERSION};
    use crate::tree::CollectionError;

    fn report(summary: Summary) -> RunReport {
        RunReport {
            schema_version: SCHEMA_VERSION,
            meta: RunMeta {
                duration: 1.5,
                ..RunMeta::default()
            },
            summary,
            tests: vec![],
            collection_errors: vec![],
            run_errors: vec![],
            benchmarks: vec![],
            slow: vec![],
            uncollected: vec![],
        }
    }

    #[test]
    fn roles_serialize_as_their_names() {
        for r in Role::ALL {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
    }

    #[test]
    fn counts_put_failures_first_and_pluralize_nouns() {
        let t = Tally::from_counts([
            ("passed", 12),
            ("failed", 4),
            ("error", 2),
            ("timeout", 2),
            ("skipped", 2),
            ("flaky", 1),
            ("collection_errors", 1),
            ("run_errors", 2),
            ("benchmarks", 1),
        ])
        .unwrap();
        assert_eq!(
            plain(&counts(&t)),
            "4 failed, 2 errors, 2 timeouts, 12 passed, 2 skipped, 1 flaky, \
             1 collection error, 2 run errors, 1 benchmark"
        );
        assert_eq!(plain(&counts(&Tally::default())), "no tests ran");
        assert!(Tally::from_counts([("wat", 1)]).is_err());
    }

    #[test]
    fn classes_not_collected_are_counted_not_dropped() {
        let mut r = report(Summary::default());
        r.tests.push(crate::record::TestRecord::new(
            "t.py::t",
            "t.py",
            1,
            Outcome::Passed,
        ));
        r.uncollected.push(crate::tree::Uncollected {
            path: "t.py".into(),
            name: "TestInit".into(),
            line: 3,
            reason: "has an __init__ constructor".into(),
        });
        r.recompute_summary();
        assert_eq!(r.counts_phrase(), "1 passed, 1 class not collected");
        // Said, and the run still passes: pytest warns and goes on too.
        assert_eq!(r.verdict(), Verdict::Passed);
    }

    #[test]
    fn collection_and_run_errors_are_told_apart() {
        let mut r = report(Summary::default());
        r.collection_errors.push(CollectionError {
            path: "t.py".into(),
            line: 1,
            message: "syntax".into(),
        });
        r.run_errors.push(RunError {
            scope: "s".into(),
            message: "m".into(),
            traceback: None,
        });
        r.recompute_summary();
        assert_eq!(r.summary.run_errors, 2);
        assert_eq!(r.counts_phrase(), "1 collection error, 1 run error");
        assert_eq!(
            plain(&r.summary_line(&Gates::default())),
            "FAILED: 1 collection error, 1 run error (in 1.50 s)"
        );
        assert_eq!(r.exit_code(&Gates::default(), 0), ExitCode::TestsFailed);
    }

    #[test]
    fn verdict_and_exit_code() {
        let mut r = report(Summary {
            total: 3,
            passed: 3,
            ..Summary::default()
        });
        assert_eq!(
            plain(&r.summary_line(&Gates::default())),
            "PASSED: 3 passed (3 tests in 1.50 s)"
        );
        assert_eq!(r.exit_code(&Gates::default(), 3), ExitCode::Ok);
        // A shard left empty passes; a selection empty before sharding does not.
        assert_eq!(
            report(Summary::default()).exit_code(&Gates::default(), 4),
            ExitCode::Ok
        );
        assert_eq!(
            report(Summary::default()).exit_code(&Gates::default(), 0),
            ExitCode::NoTests
        );
        let regressed = Gates {
            regressions: 2,
            ..Gates::default()
        };
        assert_eq!(
            plain(&r.summary_line(&regressed)),
            "FAILED: 3 passed, 2 regressions (3 tests in 1.50 s)"
        );
        assert_eq!(r.exit_code(&regressed, 3), ExitCode::TestsFailed);
        let uncovered = Gates {
            coverage_under: Some(CoverageUnder {
                total: "71.43%".into(),
                required: 90.0,
            }),
            ..Gates::default()
        };
        assert_eq!(
            plain(&r.summary_line(&uncovered)),
            "FAILED: 3 passed, coverage 71.43% under 90% (3 tests in 1.50 s)"
        );
        assert_eq!(r.exit_code(&uncovered, 3), ExitCode::TestsFailed);
        r.meta.interrupted = true;
        assert_eq!(r.exit_code(&regressed, 3), ExitCode::Interrupted);
        assert_eq!(r.exit_code(&uncovered, 3), ExitCode::Interrupted);
        assert_eq!(
            r.summary_line(&Gates::default())[0],
            Segment("INTERRUPTED".into(), Role::VerdictInterrupted)
        );
    }
}
