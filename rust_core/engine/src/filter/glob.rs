//! Minimal globs: `*` (any run of characters, `/` included) and `?` (one
//! character). Enough for file-name patterns, excludes and `-k`.

/// A compiled glob; matching is anchored at both ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    pat: Vec<u8>,
}

impl Glob {
    pub fn new(pattern: &str) -> Glob {
        Glob {
            pat: pattern.as_bytes().to_vec(),
        }
    }

    /// Whether a string has glob metacharacters.
    pub fn is_glob(s: &str) -> bool {
        s.contains(['*', '?'])
    }

    /// Whole-string match. Linear-time two-pointer algorithm with one
    /// backtrack point, so hostile patterns cannot blow up.
    pub fn matches(&self, text: &str) -> bool {
        let (p, t) = (&self.pat[..], text.as_bytes());
        let (mut pi, mut ti) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while ti < t.len() {
            if pi < p.len() && p[pi] == b'*' {
                star = Some((pi, ti));
                pi += 1;
            } else if pi < p.len() && p[pi] == b'?' {
                pi += 1;
                ti += char_len(t[ti]);
            } else if pi < p.len() && p[pi] == t[ti] {
                pi += 1;
                ti += 1;
            } else if let Some((sp, st)) = star {
                let next = st + char_len(t[st]);
                star = Some((sp, next));
                pi = sp + 1;
                ti = next;
            } else {
                return false;
            }
        }
        while pi < p.len() && p[pi] == b'*' {
            pi += 1;
        }
        pi == p.len() && ti == t.len()
    }
}

/// Length of the UTF-8 sequence that starts with byte `b` (so `?` and `*`
/// step over whole characters).
fn char_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::Glob;

    #[test]
    fn basics() {
        let cases = [
            ("test_*.py", "test_a.py", true),
            ("test_*.py", "test_.py", true),
            ("test_*.py", "atest_a.py", false),
            ("*_test.py", "db_test.py", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a?c", "aéc", true),
            ("*a*b*c*", "xxaxxbxxcxx", true),
            ("*a*b*c*", "xxaxxcxxbxx", false),
            ("", "", true),
            ("*", "", true),
            ("**", "a/b", true),
            ("a", "ab", false),
        ];
        for (p, t, want) in cases {
            assert_eq!(Glob::new(p).matches(t), want, "{p} vs {t}");
        }
    }
}
