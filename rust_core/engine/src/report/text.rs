//! Text hygiene shared by every renderer.
//!
//! Test names and captured output are user-supplied and may hold anything a
//! Rust `String` can: control characters (ANSI colour codes, NUL, BEL),
//! U+FFFE/U+FFFF, stray carriage returns. Renderers never emit those raw: a
//! control character would corrupt a terminal or make an XML file invalid.
//! They are replaced by a visible Python-style escape (`\x1b`, `\ufffe`), which
//! keeps the information and is valid everywhere. Line endings are normalised
//! to `\n` (a lone `\r` from a progress bar becomes a line break).
//!
//! Lone surrogates cannot be in a Rust `String`; they arrive as JSON escapes
//! (`"\udcff"`, what Python's `json.dumps` writes for `surrogateescape`d
//! bytes) and are replaced by U+FFFD when a report is parsed (see
//! [`crate::report::json::replace_lone_surrogate_escapes`]).

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` is replaced by [`clean`]: C0 controls except tab and newline,
/// DEL, C1 controls (U+0080..U+009F, which include the 8-bit CSI some
/// terminals honour), and the non-characters U+FFFE/U+FFFF that XML 1.0 forbids.
pub fn is_unprintable(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}')
}

/// The visible escape for an unprintable character.
pub fn escape_char(c: char, out: &mut String) {
    let n = c as u32;
    if n < 0x100 {
        let _ = write!(out, "\\x{n:02x}");
    } else {
        let _ = write!(out, "\\u{n:04x}");
    }
}

/// Normalise line endings and replace unprintable characters by visible
/// escapes. Tabs and newlines are kept. Borrowed when nothing changes.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c == '\r' || is_unprintable(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else if is_unprintable(c) {
            escape_char(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`clean`], then newlines and tabs folded into single spaces: for one-line
/// places (headings, summaries, attribute-like positions).
pub fn one_line(s: &str) -> String {
    let cleaned = clean(s);
    let mut out = String::with_capacity(cleaned.len());
    let mut last_space = false;
    for c in cleaned.trim().chars() {
        if c == '\n' || c == '\t' || c == ' ' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    out
}

/// The first non-empty line of a message (cleaned), for tables.
pub fn first_line(s: &str) -> String {
    let cleaned = clean(s);
    cleaned
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_string()
}

/// A duration in seconds for people: `0.003 s`, `1.25 s`, `2 min 5.0 s`.
pub fn seconds(d: f64) -> String {
    if !d.is_finite() || d < 0.0 {
        return "-".to_string();
    }
    if d >= 60.0 {
        let m = (d / 60.0).floor();
        return format!("{m:.0} min {:.1} s", d - m * 60.0);
    }
    if d >= 10.0 {
        format!("{d:.1} s")
    } else if d >= 0.1 {
        format!("{d:.2} s")
    } else {
        format!("{d:.3} s")
    }
}

/// A time per call (seconds) in the most readable unit, 3 significant
/// digits: the one rule for every benchmark time dbtest shows (reports,
/// console tables and the TUI, through `_core.format_time`).
pub fn time_per_call(t: f64) -> String {
    if !t.is_finite() {
        return "-".to_string();
    }
    let (v, unit) = if t.abs() >= 1.0 {
        (t, "s")
    } else if t.abs() >= 1e-3 {
        (t * 1e3, "ms")
    } else if t.abs() >= 1e-6 {
        (t * 1e6, "µs")
    } else {
        (t * 1e9, "ns")
    };
    format!("{} {unit}", sig3(v))
}

/// Operations per second, short (`950.0`, `123.45k`, `4.50M`); `-` for
/// none. The one rule for ops (console tables and the TUI).
pub fn ops_per_second(ops: f64) -> String {
    if !ops.is_finite() || ops <= 0.0 {
        return "-".to_string();
    }
    for (suffix, scale) in [("G", 1e9), ("M", 1e6), ("k", 1e3)] {
        if ops >= scale {
            return format!("{:.2}{suffix}", ops / scale);
        }
    }
    format!("{ops:.1}")
}

/// Three significant digits without an exponent.
pub fn sig3(v: f64) -> String {
    if !v.is_finite() {
        return "-".to_string();
    }
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_ops_have_one_rule() {
        assert_eq!(time_per_call(0.001234), "1.23 ms");
        assert_eq!(time_per_call(12.3e-9), "12.3 ns");
        assert_eq!(time_per_call(-0.0025), "-2.50 ms");
        assert_eq!(time_per_call(f64::NAN), "-");
        assert_eq!(ops_per_second(123_456.0), "123.46k");
        assert_eq!(ops_per_second(950.0), "950.0");
        assert_eq!(ops_per_second(0.0), "-");
    }

    #[test]
    fn clean_replaces_controls_and_normalises_newlines() {
        assert_eq!(clean("a\u{1b}[31mb"), "a\\x1b[31mb");
        assert_eq!(clean("a\r\nb\rc"), "a\nb\nc");
        assert_eq!(
            clean("\u{0}\u{7f}\u{9b}\u{fffe}\u{ffff}"),
            "\\x00\\x7f\\x9b\\ufffe\\uffff"
        );
        assert!(matches!(clean("tab\tnl\nok é 😀"), Cow::Borrowed(_)));
    }

    #[test]
    fn one_line_folds_whitespace() {
        assert_eq!(one_line("  a\n\n b\tc "), "a b c");
        assert_eq!(first_line("\n\n  first \nsecond"), "first");
    }

    #[test]
    fn durations_and_times() {
        assert_eq!(seconds(0.0012), "0.001 s");
        assert_eq!(seconds(1.234), "1.23 s");
        assert_eq!(seconds(125.0), "2 min 5.0 s");
        assert_eq!(time_per_call(0.000_001_5), "1.50 µs");
        assert_eq!(time_per_call(0.0123), "12.3 ms");
        assert_eq!(time_per_call(f64::NAN), "-");
    }
}
