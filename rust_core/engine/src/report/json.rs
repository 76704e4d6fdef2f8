//! The JSON report: the canonical form every other format is rendered from.

use super::{ReportError, RunReport, SCHEMA_VERSION};
use std::borrow::Cow;

/// Serialize a report as pretty-printed JSON (2-space indent, trailing newline).
pub fn to_json(report: &RunReport) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("a RunReport always serializes");
    s.push('\n');
    s
}

/// Parse a saved report. The schema version is checked before anything else so
/// that a report from another dbtest version gets a clear error rather than a
/// confusing missing-field one. Lone surrogate escapes are tolerated (see
/// [`replace_lone_surrogate_escapes`]).
pub fn parse(text: &str) -> Result<RunReport, ReportError> {
    let text = replace_lone_surrogate_escapes(text);
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| ReportError(format!("not a JSON document: {e}")))?;
    let obj = value.as_object().ok_or_else(|| {
        ReportError("not a dbtest report: the JSON document is not an object".into())
    })?;
    match obj.get("schema_version") {
        None => {
            return Err(ReportError(
                "not a dbtest report: no \"schema_version\" field".into(),
            ))
        }
        Some(v) => match v.as_u64() {
            Some(n) if n == u64::from(SCHEMA_VERSION) => {}
            _ => {
                return Err(ReportError(format!(
                    "report schema version {v} is not supported (this dbtest reads version {SCHEMA_VERSION})"
                )))
            }
        },
    }
    serde_json::from_value(value)
        .map_err(|e| ReportError(format!("invalid dbtest report: {}", one_line_err(&e))))
}

fn one_line_err(e: &serde_json::Error) -> String {
    e.to_string().replace('\n', " ")
}

/// Replace `\uD800`..`\uDFFF` escapes that do not form a valid surrogate pair
/// by `\uFFFD`.
///
/// Why: a Rust `String` cannot hold a lone surrogate, and serde_json rejects
/// such escapes, but Python's `json.dumps` writes them for strings that carry
/// `surrogateescape`d bytes (undecodable output of a test, a file name). One
/// bad byte in one test's output must not make the whole report unreadable,
/// so it becomes U+FFFD, the same as invalid UTF-8 read from a pipe.
pub fn replace_lone_surrogate_escapes(text: &str) -> Cow<'_, str> {
    if !text.contains("\\u") && !text.contains("\\U") {
        return Cow::Borrowed(text);
    }
    let b = text.as_bytes();
    let hex4 = |i: usize| -> Option<u32> {
        let s = text.get(i..i + 4)?;
        if s.bytes().all(|c| c.is_ascii_hexdigit()) {
            u32::from_str_radix(s, 16).ok()
        } else {
            None
        }
    };
    let mut out: Option<String> = None;
    let mut copied = 0; // bytes of `text` already copied into `out`
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        // An escape: `\\`, `\"`, ... are two bytes; only `\u` is interesting.
        if i + 1 < b.len() && b[i + 1] == b'u' {
            if let Some(cp) = hex4(i + 2) {
                let is_high = (0xD800..0xDC00).contains(&cp);
                let is_low = (0xDC00..0xE000).contains(&cp);
                if is_high {
                    let pair = b.get(i + 6) == Some(&b'\\')
                        && b.get(i + 7) == Some(&b'u')
                        && hex4(i + 8).is_some_and(|lo| (0xDC00..0xE000).contains(&lo));
                    if pair {
                        i += 12;
                        continue;
                    }
                }
                if is_high || is_low {
                    let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                    o.push_str(&text[copied..i]);
                    o.push_str("\\ufffd");
                    i += 6;
                    copied = i;
                    continue;
                }
                i += 6;
                continue;
            }
        }
        i += 2;
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut o) => {
            o.push_str(&text[copied..]);
            Cow::Owned(o)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogates_become_replacement_char() {
        let s = r#"["a\udcffb", "\ud83d\ude00", "\ud800", "\\udcff", "x\udc80\udc81"]"#;
        let fixed = replace_lone_surrogate_escapes(s);
        let v: Vec<String> = serde_json::from_str(&fixed).unwrap();
        assert_eq!(
            v,
            vec![
                "a\u{fffd}b",
                "😀",
                "\u{fffd}",
                "\\udcff",
                "x\u{fffd}\u{fffd}"
            ]
        );
    }

    #[test]
    fn nothing_to_fix_is_borrowed() {
        assert!(matches!(
            replace_lone_surrogate_escapes(r#"{"a": "\u00e9"}"#),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn schema_version_is_checked_first() {
        let e = parse(r#"{"schema_version": 2}"#).unwrap_err();
        assert_eq!(
            e.0,
            "report schema version 2 is not supported (this dbtest reads version 1)"
        );
        assert!(parse("[1]").unwrap_err().0.contains("not an object"));
        assert!(parse("{").unwrap_err().0.starts_with("not a JSON document"));
        assert!(parse("{}").unwrap_err().0.contains("schema_version"));
        let e = parse(r#"{"schema_version": 1}"#).unwrap_err();
        assert!(
            e.0.starts_with("invalid dbtest report: missing field"),
            "{e}"
        );
        assert!(!e.0.contains('\n'));
    }
}
