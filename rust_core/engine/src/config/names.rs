//! pytest's name rules for what inside a test file is a test:
//! `python_classes` (default `Test`) and `python_functions` (default `test`).
//!
//! Each is a list of patterns; a name matches when it starts with one of
//! them, or, for a pattern holding `*`, `?` or `[`, when it matches it as
//! `fnmatch` does (`*`, `?`, `[seq]`, `[!seq]`, case-sensitive), exactly as
//! pytest's `_matches_prefix_or_glob_option`. The static parse and the
//! worker (through the binding) both ask this one rule.

/// The default of `python_classes`.
pub const PYTEST_CLASSES: &str = "Test";
/// The default of `python_functions`.
pub const PYTEST_FUNCTIONS: &str = "test";

/// One list of patterns (`python_classes` or `python_functions`).
#[derive(Debug, Clone, PartialEq)]
pub struct NameRule {
    patterns: Vec<String>,
    /// The patterns with glob characters, compiled.
    globs: Vec<Vec<Tok>>,
}

/// pytest's two name rules.
#[derive(Debug, Clone, PartialEq)]
pub struct PythonNames {
    pub classes: NameRule,
    pub functions: NameRule,
}

impl Default for PythonNames {
    fn default() -> PythonNames {
        PythonNames {
            classes: NameRule::new(&[PYTEST_CLASSES]),
            functions: NameRule::new(&[PYTEST_FUNCTIONS]),
        }
    }
}

impl PythonNames {
    /// Whether both rules are pytest's defaults.
    pub fn is_default(&self) -> bool {
        *self == PythonNames::default()
    }
}

impl NameRule {
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> NameRule {
        let patterns: Vec<String> = patterns.iter().map(|p| p.as_ref().to_string()).collect();
        let globs = patterns
            .iter()
            .filter(|p| p.contains(['*', '?', '[']))
            .map(|p| compile(p))
            .collect();
        NameRule { patterns, globs }
    }

    /// The patterns as configured.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Whether `name` is a test's name by this rule.
    pub fn matches(&self, name: &str) -> bool {
        // A glob pattern is tried as a prefix too, as pytest does.
        self.patterns.iter().any(|p| name.starts_with(p.as_str()))
            || (!self.globs.is_empty() && {
                let chars: Vec<char> = name.chars().collect();
                self.globs.iter().any(|g| glob_match(g, &chars))
            })
    }
}

/// One element of a compiled `fnmatch` pattern.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// `*`: any run of characters.
    Star,
    /// `?`: one character.
    Any,
    /// `[...]`: one character in (or, negated, not in) the ranges.
    Set {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    Char(char),
}

/// Compile as `fnmatch.translate` reads a pattern: a `[` with no closing
/// `]` is a literal, a `]` first in a set belongs to it, `!` negates.
fn compile(pattern: &str) -> Vec<Tok> {
    let p: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < p.len() {
        let c = p[i];
        i += 1;
        match c {
            '*' => {
                if out.last() != Some(&Tok::Star) {
                    out.push(Tok::Star);
                }
            }
            '?' => out.push(Tok::Any),
            '[' => {
                let mut j = i;
                if p.get(j) == Some(&'!') {
                    j += 1;
                }
                if p.get(j) == Some(&']') {
                    j += 1;
                }
                while j < p.len() && p[j] != ']' {
                    j += 1;
                }
                if j >= p.len() {
                    out.push(Tok::Char('['));
                    continue;
                }
                let negated = p[i] == '!';
                let inner = &p[i + usize::from(negated)..j];
                let mut ranges = Vec::new();
                let mut k = 0;
                while k < inner.len() {
                    if k + 2 < inner.len() && inner[k + 1] == '-' {
                        // A reversed range matches nothing, as in Python.
                        if inner[k] <= inner[k + 2] {
                            ranges.push((inner[k], inner[k + 2]));
                        }
                        k += 3;
                    } else {
                        ranges.push((inner[k], inner[k]));
                        k += 1;
                    }
                }
                out.push(Tok::Set { negated, ranges });
                i = j + 1;
            }
            c => out.push(Tok::Char(c)),
        }
    }
    out
}

/// Whole-name match; every token but `*` takes one character, so one
/// backtrack point (the last `*`) suffices and the match is linear.
fn glob_match(p: &[Tok], t: &[char]) -> bool {
    let one = |tok: &Tok, c: char| match tok {
        Tok::Any => true,
        Tok::Char(x) => *x == c,
        Tok::Set { negated, ranges } => {
            ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)) != *negated
        }
        Tok::Star => false,
    };
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == Tok::Star {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && one(&p[pi], t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            star = Some((sp, st + 1));
            pi = sp + 1;
            ti = st + 1;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == Tok::Star {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(patterns: &[&str], name: &str) -> bool {
        NameRule::new(patterns).matches(name)
    }

    #[test]
    fn a_plain_pattern_is_a_prefix() {
        assert!(m(&["test"], "test"));
        assert!(m(&["test"], "tests_x"));
        assert!(m(&["Test"], "TestThing"));
        assert!(!m(&["Test"], "MyTest"));
        assert!(!m(&["test"], "Test_x"), "case-sensitive");
        assert!(m(&["check", "test"], "check_a"));
        assert!(!m(&[] as &[&str], "test_a"));
    }

    #[test]
    fn a_glob_pattern_matches_the_whole_name() {
        assert!(m(&["*Suite"], "AddSuite"));
        assert!(m(&["*Suite"], "Suite"));
        assert!(!m(&["*Suite"], "SuiteOfThings"));
        assert!(m(&["check_*"], "check_a"));
        assert!(!m(&["check_*"], "check"));
        assert!(m(&["*_check"], "db_check"));
        assert!(m(&["t?st"], "test"));
        assert!(!m(&["t?st"], "toast"));
        assert!(m(&["*a*b*"], "xxaxxbxx"));
        assert!(!m(&["*a*b*"], "xxbxxaxx"));
    }

    #[test]
    fn sets_as_fnmatch_reads_them() {
        assert!(m(&["[CT]heck*"], "Check_a"));
        assert!(m(&["[CT]heck*"], "Theck"));
        assert!(!m(&["[CT]heck*"], "check"));
        assert!(m(&["[!c]heck*"], "Check"));
        assert!(!m(&["[!c]heck*"], "check"));
        assert!(m(&["x[a-c]"], "xb"));
        assert!(!m(&["x[a-c]"], "xd"));
        assert!(m(&["x[a-]"], "x-"));
        assert!(!m(&["x[c-a]"], "xb"), "a reversed range matches nothing");
        assert!(m(&["x[]]"], "x]"));
        // An unclosed `[` is a literal.
        assert!(m(&["x[a*"], "x[abc"));
        assert!(!m(&["x[a*"], "xa"));
    }

    #[test]
    fn a_glob_is_a_prefix_too_as_in_pytest() {
        // pytest tries `startswith` before `fnmatch` for every pattern.
        assert!(m(&["te?t"], "te?t_odd"));
    }

    #[test]
    fn defaults() {
        let d = PythonNames::default();
        assert!(d.is_default());
        assert!(d.classes.matches("TestX") && !d.classes.matches("Xtest"));
        assert!(d.functions.matches("test_x") && d.functions.matches("tests_x"));
        assert_eq!(d.functions.patterns(), ["test"]);
    }
}
