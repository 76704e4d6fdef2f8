//! `[tool.dbtest]` in the nearest `pyproject.toml`.
//!
//! Every key is known up front (including those later features read) so that
//! a typo is an error naming the key and the file, never silently ignored.

use std::path::{Path, PathBuf};

/// Default file-name globs for test files.
pub const DEFAULT_TEST_FILES: &[&str] = &["test_*.py", "*_test.py"];
/// Default file-name globs for benchmark files.
pub const DEFAULT_BENCH_FILES: &[&str] = &["bench_*.py"];

/// Every key `[tool.dbtest]` accepts.
pub const KNOWN_KEYS: &[&str] = &[
    "paths",
    "test-files",
    "bench-files",
    "exclude",
    "workers",
    "timeout",
    "teardown-timeout",
    "setup-timeout",
    "slow-timeout",
    "run-timeout",
    "retries",
    "async-concurrency",
    "fail-fast",
    "max-fail",
    "integration-dirs",
    "integration-tags",
    "bench-time",
    "bench-min-samples",
    "bench-warmup",
    "durations",
    "doctest-modules",
    "doctest-glob",
    "doctest-optionflags",
    "keep-together",
];

/// doctest's option flags by name (`doctest.OPTIONFLAGS_BY_NAME`).
pub const DOCTEST_FLAGS: &[&str] = &[
    "DONT_ACCEPT_TRUE_FOR_1",
    "DONT_ACCEPT_BLANKLINE",
    "NORMALIZE_WHITESPACE",
    "ELLIPSIS",
    "SKIP",
    "IGNORE_EXCEPTION_DETAIL",
    "REPORT_UDIFF",
    "REPORT_CDIFF",
    "REPORT_NDIFF",
    "REPORT_ONLY_FIRST_FAILURE",
    "FAIL_FAST",
];

/// The option flags of a doctest when none are configured (pytest's default).
pub const DEFAULT_DOCTEST_FLAGS: &[&str] = &["ELLIPSIS"];

/// The text files pytest reads as doctests unless `--doctest-glob` says otherwise.
pub const PYTEST_DOCTEST_GLOB: &str = "test*.txt";

/// The effective configuration. Paths in `paths` are relative to `root`.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Directory of the `pyproject.toml` found, or the start directory.
    pub root: PathBuf,
    /// The `pyproject.toml` the values came from, if any.
    pub file: Option<PathBuf>,
    /// Where to look for tests; empty means `tests/` if present, else the root.
    pub paths: Vec<String>,
    pub test_files: Vec<String>,
    pub bench_files: Vec<String>,
    /// Globs of paths to skip (see `docs/discovery.md`).
    pub exclude: Vec<String>,
    pub workers: Option<u32>,
    /// Per-test timeout, seconds.
    pub timeout: Option<f64>,
    /// Seconds a worker's module and session teardown may take after its last test.
    pub teardown_timeout: Option<f64>,
    /// Seconds an import, a suite or class hook, or a fixture wider than a
    /// test may run (default: `timeout`).
    pub setup_timeout: Option<f64>,
    /// Seconds after which a test or phase is announced as SLOW (default 60).
    pub slow_timeout: Option<f64>,
    /// Seconds the whole run may take.
    pub run_timeout: Option<f64>,
    pub retries: Option<u32>,
    pub async_concurrency: Option<u32>,
    pub fail_fast: Option<bool>,
    pub max_fail: Option<u32>,
    pub integration_dirs: Vec<String>,
    pub integration_tags: Vec<String>,
    /// Seconds of measurement per benchmark entry.
    pub bench_time: Option<f64>,
    pub bench_min_samples: Option<u32>,
    /// Seconds of warm-up per benchmark entry.
    pub bench_warmup: Option<f64>,
    /// Show the N slowest tests.
    pub durations: Option<u32>,
    /// Every `.py` file's docstrings with examples are tests (`--doctest-modules`).
    pub doctest_modules: bool,
    /// Text files whose examples are one test each (`--doctest-glob`).
    pub doctest_glob: Vec<String>,
    /// doctest option flags by name, for the doctests of both kinds.
    pub doctest_optionflags: Vec<String>,
    /// Globs of the test files whose tests run as one unit, in the
    /// module's order (`keep-together`: `"module"` is every file).
    pub keep_together: Vec<String>,
    /// Which classes and functions of a test file are tests (pytest's
    /// `python_classes` and `python_functions`; its defaults without one).
    pub names: names::PythonNames,
    /// The project's pytest configuration, where it has one (its
    /// `testpaths`, `python_files` and name rules already applied where
    /// `[tool.dbtest]` is silent).
    pub pytest: Option<pytest::PytestConfig>,
}

impl Config {
    /// The defaults for a project rooted at `root` with no `[tool.dbtest]`.
    pub fn defaults(root: PathBuf) -> Config {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        Config {
            root,
            file: None,
            paths: Vec::new(),
            test_files: strings(DEFAULT_TEST_FILES),
            bench_files: strings(DEFAULT_BENCH_FILES),
            exclude: Vec::new(),
            workers: None,
            timeout: None,
            teardown_timeout: None,
            setup_timeout: None,
            slow_timeout: None,
            run_timeout: None,
            retries: None,
            async_concurrency: None,
            fail_fast: None,
            max_fail: None,
            integration_dirs: vec!["integration".to_string()],
            integration_tags: vec!["integration".to_string()],
            bench_time: None,
            bench_min_samples: None,
            bench_warmup: None,
            durations: None,
            doctest_modules: false,
            doctest_glob: Vec::new(),
            doctest_optionflags: strings(DEFAULT_DOCTEST_FLAGS),
            keep_together: Vec::new(),
            names: names::PythonNames::default(),
            pytest: None,
        }
    }

    /// Take what the pytest configuration says where `[tool.dbtest]` said
    /// nothing (`set`: the keys it did set).
    fn with_pytest(
        mut self,
        set: &[&str],
        pyproject: Option<&toml::Table>,
    ) -> Result<Config, ConfigError> {
        let Some(py) = pytest::find(&self.root, pyproject)? else {
            return Ok(self);
        };
        if !set.contains(&"paths") && !py.testpaths.is_empty() {
            self.paths = py.testpaths.clone();
        }
        if !set.contains(&"test-files") && !py.python_files.is_empty() {
            self.test_files = py.python_files.clone();
        }
        if let Some(p) = &py.python_classes {
            self.names.classes = names::NameRule::new(p);
        }
        if let Some(p) = &py.python_functions {
            self.names.functions = names::NameRule::new(p);
        }
        if !set.contains(&"exclude") {
            // Directory-name globs, as dbtest's `exclude` patterns without a `/`.
            self.exclude.extend(py.norecursedirs.iter().cloned());
        }
        if !set.contains(&"doctest-modules") {
            self.doctest_modules = py.doctest_modules;
        }
        if !set.contains(&"doctest-glob") {
            self.doctest_glob = if py.doctest_glob.is_empty() {
                vec![PYTEST_DOCTEST_GLOB.to_string()]
            } else {
                py.doctest_glob.clone()
            };
        }
        if !set.contains(&"doctest-optionflags") && !py.doctest_optionflags.is_empty() {
            // Flags only pytest knows (NUMBER, ALLOW_UNICODE...) are named in
            // the addopts warning, not applied.
            self.doctest_optionflags = py
                .doctest_optionflags
                .iter()
                .filter(|f| DOCTEST_FLAGS.contains(&f.as_str()))
                .cloned()
                .collect();
        }
        self.pytest = Some(py);
        Ok(self)
    }
}

/// A bad `pyproject.toml`: Display is one line naming the file (and key).
#[derive(Debug, thiserror::Error)]
#[error("{}: {problem}", file.display())]
pub struct ConfigError {
    pub file: PathBuf,
    pub problem: ConfigProblem,
}

impl ConfigError {
    /// The `[tool.dbtest]` key at fault, if one is.
    pub fn key(&self) -> Option<&str> {
        match &self.problem {
            ConfigProblem::Key { key, .. } => Some(key),
            _ => None,
        }
    }
}

/// What is wrong with the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigProblem {
    #[error("cannot read: {0}")]
    Read(#[source] std::io::Error),
    /// toml's messages span several lines; `message` is the first one.
    #[error("invalid TOML{}: {message}", line.map(|n| format!(" (line {n})")).unwrap_or_default())]
    Toml {
        line: Option<usize>,
        message: String,
    },
    #[error("[tool.dbtest] must be a table")]
    NotATable,
    #[error("[tool.dbtest] key '{key}': {value}")]
    Key { key: String, value: ValueError },
}

/// A key's value that is not what the key takes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueError {
    #[error("unknown key (known keys: {})", KNOWN_KEYS.join(", "))]
    UnknownKey,
    #[error("expected {expected}, got {got}")]
    Type {
        expected: &'static str,
        got: &'static str,
    },
    #[error("expected an integer >= {min}, got {got}")]
    Range { min: i64, got: i64 },
    #[error("expected a positive number of seconds, got {0}")]
    NotPositive(f64),
    #[error("unknown value '{got}' (known: {expected})")]
    Choice { got: String, expected: String },
}

pub mod names;
pub mod pytest;

/// Find the nearest `pyproject.toml` at or above `start_dir` and read its
/// `[tool.dbtest]` table. No file means defaults rooted at `start_dir`.
pub fn load(start_dir: &Path) -> Result<Config, ConfigError> {
    let start = std::path::absolute(start_dir).unwrap_or_else(|_| start_dir.to_path_buf());
    let mut dir = Some(start.as_path());
    while let Some(d) = dir {
        let candidate = d.join("pyproject.toml");
        if candidate.is_file() {
            let text = std::fs::read_to_string(&candidate).map_err(|e| ConfigError {
                file: candidate.clone(),
                problem: ConfigProblem::Read(e),
            })?;
            return from_str(&text, d.to_path_buf(), candidate);
        }
        dir = d.parent();
    }
    Config::defaults(start).with_pytest(&[], None)
}

/// Parse the text of a `pyproject.toml` living in `root` (`file` names it in errors).
pub fn from_str(text: &str, root: PathBuf, file: PathBuf) -> Result<Config, ConfigError> {
    let err = |problem: ConfigProblem| ConfigError {
        file: file.clone(),
        problem,
    };
    let doc = parse_toml(text, &file)?;
    let mut cfg = Config::defaults(root);
    cfg.file = Some(file.clone());
    let Some(tool) = doc.get("tool").and_then(|t| t.get("dbtest")) else {
        return cfg.with_pytest(&[], Some(&doc));
    };
    let Some(table) = tool.as_table() else {
        return Err(err(ConfigProblem::NotATable));
    };
    for (key, value) in table {
        read_key(&mut cfg, key, value).map_err(|value| {
            err(ConfigProblem::Key {
                key: key.clone(),
                value,
            })
        })?;
    }
    let set: Vec<&str> = table.keys().map(String::as_str).collect();
    cfg.with_pytest(&set, Some(&doc))
}

/// A TOML document, or the error naming `file` and the line at fault.
fn parse_toml(text: &str, file: &Path) -> Result<toml::Table, ConfigError> {
    text.parse().map_err(|e: toml::de::Error| ConfigError {
        file: file.to_path_buf(),
        problem: ConfigProblem::Toml {
            line: e.span().map(|s| text[..s.start].matches('\n').count() + 1),
            message: e.message().lines().next().unwrap_or("").to_string(),
        },
    })
}

/// Set the config's field for `key` from `value`.
fn read_key(cfg: &mut Config, key: &str, value: &toml::Value) -> Result<(), ValueError> {
    match key {
        "paths" => cfg.paths = strings(value)?,
        "test-files" => cfg.test_files = strings(value)?,
        "bench-files" => cfg.bench_files = strings(value)?,
        "exclude" => cfg.exclude = strings(value)?,
        "integration-dirs" => cfg.integration_dirs = strings(value)?,
        "integration-tags" => cfg.integration_tags = strings(value)?,
        "workers" => cfg.workers = Some(count(value, 1)?),
        "retries" => cfg.retries = Some(count(value, 0)?),
        "async-concurrency" => cfg.async_concurrency = Some(count(value, 1)?),
        "max-fail" => cfg.max_fail = Some(count(value, 1)?),
        "bench-min-samples" => cfg.bench_min_samples = Some(count(value, 1)?),
        "durations" => cfg.durations = Some(count(value, 0)?),
        "timeout" => cfg.timeout = Some(seconds(value, false)?),
        "teardown-timeout" => cfg.teardown_timeout = Some(seconds(value, false)?),
        "setup-timeout" => cfg.setup_timeout = Some(seconds(value, false)?),
        "slow-timeout" => cfg.slow_timeout = Some(seconds(value, false)?),
        "run-timeout" => cfg.run_timeout = Some(seconds(value, false)?),
        "bench-time" => cfg.bench_time = Some(seconds(value, false)?),
        "bench-warmup" => cfg.bench_warmup = Some(seconds(value, true)?),
        "doctest-modules" => {
            cfg.doctest_modules = value.as_bool().ok_or(ValueError::Type {
                expected: "a boolean",
                got: type_name(value),
            })?
        }
        "doctest-glob" => cfg.doctest_glob = strings(value)?,
        "keep-together" => {
            cfg.keep_together = match value.as_str() {
                Some("module") => vec!["*".to_string()],
                Some("class") => Vec::new(),
                Some(other) => {
                    return Err(ValueError::Choice {
                        got: other.to_string(),
                        expected: "\"class\", \"module\", or a list of path globs".into(),
                    })
                }
                None => strings(value)?,
            }
        }
        "doctest-optionflags" => {
            let flags = strings(value)?;
            if let Some(bad) = flags.iter().find(|f| !DOCTEST_FLAGS.contains(&f.as_str())) {
                return Err(ValueError::Choice {
                    got: bad.clone(),
                    expected: DOCTEST_FLAGS.join(", "),
                });
            }
            cfg.doctest_optionflags = flags;
        }
        "fail-fast" => {
            cfg.fail_fast = Some(value.as_bool().ok_or(ValueError::Type {
                expected: "a boolean",
                got: type_name(value),
            })?)
        }
        _ => return Err(ValueError::UnknownKey),
    }
    Ok(())
}

fn type_name(v: &toml::Value) -> &'static str {
    v.type_str()
}

fn strings(v: &toml::Value) -> Result<Vec<String>, ValueError> {
    let bad = || ValueError::Type {
        expected: "a list of strings",
        got: type_name(v),
    };
    let arr = v.as_array().ok_or_else(bad)?;
    arr.iter()
        .map(|x| x.as_str().map(str::to_string).ok_or_else(bad))
        .collect()
}

fn count(v: &toml::Value, min: i64) -> Result<u32, ValueError> {
    match v.as_integer() {
        Some(n) if n >= min && n <= u32::MAX as i64 => Ok(n as u32),
        Some(n) => Err(ValueError::Range { min, got: n }),
        None => Err(ValueError::Type {
            expected: "an integer",
            got: type_name(v),
        }),
    }
}

fn seconds(v: &toml::Value, allow_zero: bool) -> Result<f64, ValueError> {
    let x = match v {
        toml::Value::Integer(n) => *n as f64,
        toml::Value::Float(f) => *f,
        _ => {
            return Err(ValueError::Type {
                expected: "a number of seconds",
                got: type_name(v),
            })
        }
    };
    if x.is_finite() && (x > 0.0 || (allow_zero && x == 0.0)) {
        Ok(x)
    } else {
        Err(ValueError::NotPositive(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        from_str(
            text,
            PathBuf::from("/p"),
            PathBuf::from("/p/pyproject.toml"),
        )
    }

    #[test]
    fn defaults_without_table() {
        let c = parse("[project]\nname = 'x'\n").unwrap();
        assert_eq!(c.test_files, vec!["test_*.py", "*_test.py"]);
        assert_eq!(c.integration_dirs, vec!["integration"]);
        assert_eq!(c.workers, None);
    }

    #[test]
    fn reads_every_known_key() {
        let c = parse(
            r#"[tool.dbtest]
paths = ["t"]
test-files = ["check_*.py"]
bench-files = ["b_*.py"]
exclude = ["legacy"]
workers = 3
timeout = 2
teardown-timeout = 45
retries = 1
async-concurrency = 8
fail-fast = true
max-fail = 2
integration-dirs = ["it"]
integration-tags = ["slow"]
bench-time = 0.5
bench-min-samples = 10
bench-warmup = 0
durations = 5
"#,
        )
        .unwrap();
        assert_eq!(c.paths, vec!["t"]);
        assert_eq!(c.test_files, vec!["check_*.py"]);
        assert_eq!(c.workers, Some(3));
        assert_eq!(c.timeout, Some(2.0));
        assert_eq!(c.teardown_timeout, Some(45.0));
        assert_eq!(c.fail_fast, Some(true));
        assert_eq!(c.bench_warmup, Some(0.0));
        assert_eq!(c.integration_tags, vec!["slow"]);
        assert_eq!(c.durations, Some(5));
    }

    #[test]
    fn unknown_key_names_key_and_file() {
        let e = parse("[tool.dbtest]\nworkerz = 2\n").unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("'workerz'") && s.contains("/p/pyproject.toml"),
            "{s}"
        );
        assert!(!s.contains('\n'));
    }

    #[test]
    fn wrong_types() {
        for (text, key) in [
            ("workers = \"4\"", "workers"),
            ("workers = 0", "workers"),
            ("timeout = -1", "timeout"),
            ("teardown-timeout = \"1m\"", "teardown-timeout"),
            ("paths = \"tests\"", "paths"),
            ("exclude = [1]", "exclude"),
            ("fail-fast = 1", "fail-fast"),
        ] {
            let e = parse(&format!("[tool.dbtest]\n{text}\n")).unwrap_err();
            assert_eq!(e.key(), Some(key), "{text}");
            assert!(!e.to_string().contains('\n'));
        }
    }

    #[test]
    fn invalid_toml_is_one_line() {
        let e = parse("[tool.dbtest\nx=").unwrap_err();
        assert!(e.to_string().contains("invalid TOML (line 1)"), "{e}");
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn load_walks_upward() {
        let dir = std::env::temp_dir().join(format!("dbtest-cfg-{}", std::process::id()));
        let sub = dir.join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(dir.join("pyproject.toml"), "[tool.dbtest]\nworkers = 2\n").unwrap();
        let c = load(&sub).unwrap();
        assert_eq!(c.root, dir);
        assert_eq!(c.workers, Some(2));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
