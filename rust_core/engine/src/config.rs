//! `[tool.dbtest]` in the nearest `pyproject.toml`.
//!
//! Every key is known up front (including those later features read) so that
//! a typo is an error naming the key and the file, never silently ignored.

use std::fmt;
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
];

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
        }
    }
}

/// A bad `pyproject.toml`: Display is one line naming the file (and key).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(k) => write!(
                f,
                "{}: [tool.dbtest] key '{}': {}",
                self.file.display(),
                k,
                self.message
            ),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

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
                key: None,
                message: format!("cannot read: {e}"),
            })?;
            return from_str(&text, d.to_path_buf(), candidate);
        }
        dir = d.parent();
    }
    Ok(Config::defaults(start))
}

/// Parse the text of a `pyproject.toml` living in `root` (`file` names it in errors).
pub fn from_str(text: &str, root: PathBuf, file: PathBuf) -> Result<Config, ConfigError> {
    let err = |key: Option<&str>, message: String| ConfigError {
        file: file.clone(),
        key: key.map(str::to_string),
        message,
    };
    let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        // toml's messages span several lines; the first one carries the gist.
        let first = e.message().lines().next().unwrap_or("").to_string();
        let line = e
            .span()
            .map(|s| format!(" (line {})", text[..s.start].matches('\n').count() + 1))
            .unwrap_or_default();
        err(None, format!("invalid TOML{line}: {first}"))
    })?;
    let mut cfg = Config::defaults(root);
    cfg.file = Some(file.clone());
    let Some(tool) = doc.get("tool").and_then(|t| t.get("dbtest")) else {
        return Ok(cfg);
    };
    let Some(table) = tool.as_table() else {
        return Err(err(None, "[tool.dbtest] must be a table".to_string()));
    };
    for (key, value) in table {
        let k = Some(key.as_str());
        match key.as_str() {
            "paths" => cfg.paths = strings(value).map_err(|m| err(k, m))?,
            "test-files" => cfg.test_files = strings(value).map_err(|m| err(k, m))?,
            "bench-files" => cfg.bench_files = strings(value).map_err(|m| err(k, m))?,
            "exclude" => cfg.exclude = strings(value).map_err(|m| err(k, m))?,
            "integration-dirs" => cfg.integration_dirs = strings(value).map_err(|m| err(k, m))?,
            "integration-tags" => cfg.integration_tags = strings(value).map_err(|m| err(k, m))?,
            "workers" => cfg.workers = Some(count(value, 1).map_err(|m| err(k, m))?),
            "retries" => cfg.retries = Some(count(value, 0).map_err(|m| err(k, m))?),
            "async-concurrency" => {
                cfg.async_concurrency = Some(count(value, 1).map_err(|m| err(k, m))?)
            }
            "max-fail" => cfg.max_fail = Some(count(value, 1).map_err(|m| err(k, m))?),
            "bench-min-samples" => {
                cfg.bench_min_samples = Some(count(value, 1).map_err(|m| err(k, m))?)
            }
            "durations" => cfg.durations = Some(count(value, 0).map_err(|m| err(k, m))?),
            "timeout" => cfg.timeout = Some(seconds(value, false).map_err(|m| err(k, m))?),
            "teardown-timeout" => {
                cfg.teardown_timeout = Some(seconds(value, false).map_err(|m| err(k, m))?)
            }
            "bench-time" => cfg.bench_time = Some(seconds(value, false).map_err(|m| err(k, m))?),
            "bench-warmup" => cfg.bench_warmup = Some(seconds(value, true).map_err(|m| err(k, m))?),
            "fail-fast" => match value.as_bool() {
                Some(b) => cfg.fail_fast = Some(b),
                None => {
                    return Err(err(
                        k,
                        format!("expected a boolean, got {}", type_name(value)),
                    ))
                }
            },
            _ => {
                return Err(err(
                    k,
                    format!("unknown key (known keys: {})", KNOWN_KEYS.join(", ")),
                ))
            }
        }
    }
    Ok(cfg)
}

fn type_name(v: &toml::Value) -> &'static str {
    v.type_str()
}

fn strings(v: &toml::Value) -> Result<Vec<String>, String> {
    let bad = || format!("expected a list of strings, got {}", type_name(v));
    let arr = v.as_array().ok_or_else(bad)?;
    arr.iter()
        .map(|x| x.as_str().map(str::to_string).ok_or_else(bad))
        .collect()
}

fn count(v: &toml::Value, min: i64) -> Result<u32, String> {
    match v.as_integer() {
        Some(n) if n >= min && n <= u32::MAX as i64 => Ok(n as u32),
        Some(n) => Err(format!("expected an integer >= {min}, got {n}")),
        None => Err(format!("expected an integer, got {}", type_name(v))),
    }
}

fn seconds(v: &toml::Value, allow_zero: bool) -> Result<f64, String> {
    let x = match v {
        toml::Value::Integer(n) => *n as f64,
        toml::Value::Float(f) => *f,
        _ => {
            return Err(format!(
                "expected a number of seconds, got {}",
                type_name(v)
            ))
        }
    };
    if x.is_finite() && (x > 0.0 || (allow_zero && x == 0.0)) {
        Ok(x)
    } else {
        Err(format!("expected a positive number of seconds, got {x}"))
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
            assert_eq!(e.key.as_deref(), Some(key), "{text}");
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
