//! Golden tests: the fixed records of `golden/report_input.json` (every outcome,
//! unicode, hostile names and output, a lone surrogate escape, benchmarks)
//! rendered in every format. `UPDATE_GOLDEN=1 cargo test -p dbtest-engine
//! --test report_golden` rewrites the golden files; review the diff.

use dbtest_engine::report::{console, json, junit, markdown, RunReport};
use std::path::PathBuf;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn input() -> RunReport {
    let text = std::fs::read_to_string(golden_dir().join("report_input.json")).unwrap();
    json::parse(&text).expect("the golden input parses")
}

fn check_golden(name: &str, actual: &str) {
    let path = golden_dir().join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing golden file {name}; run with UPDATE_GOLDEN=1"));
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from the golden file at line {}:\n expected: {:?}\n   actual: {:?}",
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

/// No renderer may emit a control character (other than tab/newline) or a
/// non-character: they corrupt terminals and are invalid XML 1.0.
fn assert_printable(name: &str, s: &str) {
    for (i, c) in s.char_indices() {
        let bad = (c < ' ' && c != '\n' && c != '\t')
            || ('\u{7f}'..='\u{9f}').contains(&c)
            || c == '\u{fffe}'
            || c == '\u{ffff}';
        assert!(!bad, "{name}: unprintable {c:?} at byte {i}");
    }
}

#[test]
fn lone_surrogate_arrives_as_replacement_character() {
    let r = input();
    let t = r
        .tests
        .iter()
        .find(|t| t.id.contains("test_controls"))
        .unwrap();
    assert!(
        t.stdout
            .starts_with("bad bytes: \u{fffd}\u{fffd} and a pair 😀"),
        "{:?}",
        t.stdout
    );
}

#[test]
fn json_golden_and_round_trip() {
    let r = input();
    let text = json::to_json(&r);
    check_golden("report.json", &text);
    assert_eq!(json::parse(&text).unwrap(), r);
}

#[test]
fn markdown_golden() {
    let md = markdown::render(&input());
    assert_printable("markdown", &md);
    check_golden("report.md", &md);
}

#[test]
fn markdown_tables_keep_their_columns() {
    let md = markdown::render(&input());
    let mut columns = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            columns = None;
            continue;
        }
        // Unescaped pipes: `\|` is text, every other `|` separates cells.
        let mut pipes = 0;
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '|' => pipes += 1,
                _ => {}
            }
        }
        match columns {
            None => columns = Some(pipes),
            Some(n) => assert_eq!(pipes, n, "row breaks its table: {line}"),
        }
    }
}

#[test]
fn markdown_escapes_hostile_names() {
    let md = markdown::render(&input());
    // Outside code blocks (where text is literal) no user HTML survives.
    let mut fence: Option<usize> = None;
    let mut prose = String::new();
    for line in md.lines() {
        let ticks = line.chars().take_while(|c| *c == '`').count();
        match fence {
            None if ticks >= 3 => fence = Some(ticks),
            Some(n) if ticks >= n && line.trim_end().chars().all(|c| c == '`') => fence = None,
            None => {
                prose.push_str(line);
                prose.push('\n');
            }
            Some(_) => {}
        }
    }
    assert!(fence.is_none(), "unclosed code block");
    assert!(!prose.contains("<script>"), "raw <script> in markdown");
    assert!(!prose.contains("<b>bold"), "raw HTML from a message");
    assert!(!prose.contains("</details></summary>"));
    assert!(md.contains("&lt;script&gt;"));
    assert!(md.contains("### Failures (10)"), "{md}");
}

#[test]
fn junit_golden() {
    let xml = junit::render(&input());
    assert_printable("junit", &xml);
    assert!(!xml.contains("<script>") && !xml.replace("]]&gt;", "").contains("]]>"));
    check_golden("report.junit.xml", &xml);
}

#[test]
fn console_golden() {
    let text = console::render(&input());
    assert_printable("console", &text);
    assert!(text.trim_end().ends_with(
        "FAILED: 5 failed, 2 errors, 1 timeout, 1 crashed, 2 xpassed, 5 passed, 1 skipped, 1 xfailed, 1 cancelled, 1 flaky, 1 collection error, 1 run error, 3 benchmarks, 1 benchmark error (19 tests in 4.50 s)"
    ), "{text}");
    check_golden("report.console.txt", &text);
}

#[test]
fn a_benchmark_error_alone_fails_the_report_in_every_format() {
    let mut r = input();
    r.meta.interrupted = false;
    r.tests.retain(|t| !t.is_failure());
    r.run_errors.clear();
    r.collection_errors.clear();
    r.summary.run_errors = 0;
    assert!(r.benchmarks.iter().any(|b| b.error.is_some()));
    assert_eq!(r.verdict().as_str(), "failed");
    assert!(markdown::render(&r)
        .lines()
        .next()
        .unwrap()
        .contains("failed"));
    // The summary says why: the benchmark error is counted.
    assert!(console::render(&r)
        .trim_end()
        .lines()
        .last()
        .unwrap()
        .contains(", 1 benchmark error ("));
    assert!(junit::render(&r).contains("type=\"benchmark_error\""));
    r.benchmarks.iter_mut().for_each(|b| b.error = None);
    assert_eq!(r.verdict().as_str(), "passed");
}
