//! The project's pytest configuration, read where `[tool.dbtest]` is silent:
//! a suite written for pytest keeps its selection and its rules.
//!
//! Found as pytest 9 finds it in the project root, the first of:
//! `pytest.toml`, `.pytest.toml` (table `[pytest]`), `pytest.ini`,
//! `.pytest.ini` (each the config even when empty), `pyproject.toml`
//! (`[tool.pytest]` with native TOML types, or `[tool.pytest.ini_options]`
//! with ini-style strings), `tox.ini` `[pytest]`, `setup.cfg`
//! `[tool:pytest]`. Keys read: `testpaths`, `python_files`,
//! `python_classes`, `python_functions`, `norecursedirs`, `xfail_strict`,
//! `filterwarnings`, `doctest_optionflags`, and from `addopts` the options
//! that map (`-m`, `-k`, `--doctest-modules`, `--doctest-glob`); any other
//! option of `addopts` (and a doctest flag only pytest knows, or a native
//! TOML value of the wrong type) is named in one warning, never an error.

use std::path::{Path, PathBuf};

use super::ConfigError;

/// What dbtest takes from the pytest configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PytestConfig {
    /// The file it came from.
    pub file: PathBuf,
    pub testpaths: Vec<String>,
    pub python_files: Vec<String>,
    /// `python_classes` and `python_functions` (None: not set; an empty
    /// list matches no name, as in pytest).
    pub python_classes: Option<Vec<String>>,
    pub python_functions: Option<Vec<String>>,
    pub norecursedirs: Vec<String>,
    /// `addopts = -m EXPR`: a marker expression (pytest's grammar).
    pub markexpr: Option<String>,
    /// `addopts = -k EXPR`.
    pub keyword: Option<String>,
    pub xfail_strict: bool,
    pub filterwarnings: Vec<String>,
    /// `addopts = --doctest-modules`.
    pub doctest_modules: bool,
    /// `addopts = --doctest-glob=PATTERN`, each given.
    pub doctest_glob: Vec<String>,
    /// `doctest_optionflags`, as written (pytest's own flags included).
    pub doctest_optionflags: Vec<String>,
    /// Options of `addopts` that dbtest does not apply (named once, as a warning).
    pub ignored: Vec<String>,
}

/// The keys dbtest reads (the others are pytest's or its plugins' alone).
const KEYS: &[&str] = &[
    "testpaths",
    "python_files",
    "python_classes",
    "python_functions",
    "norecursedirs",
    "xfail_strict",
    "filterwarnings",
    "doctest_optionflags",
    "addopts",
];

/// The pytest configuration of the project rooted at `root`, if it has one.
/// `pyproject` is the root's parsed `pyproject.toml`, when there is one. A
/// `pytest.toml` that is not valid TOML is an error, as a broken
/// `pyproject.toml` is.
pub fn find(
    root: &Path,
    pyproject: Option<&toml::Table>,
) -> Result<Option<PytestConfig>, ConfigError> {
    let read = |name: &str| std::fs::read_to_string(root.join(name)).ok();
    for name in ["pytest.toml", ".pytest.toml"] {
        if let Some(text) = read(name) {
            let file = root.join(name);
            let doc = super::parse_toml(&text, &file)?;
            return Ok(Some(from_pytest_toml(&doc, file)));
        }
    }
    for name in ["pytest.ini", ".pytest.ini"] {
        if let Some(text) = read(name) {
            // Always the config, even when its section is missing.
            let file = root.join(name);
            return Ok(Some(from_ini(&text, &["pytest"], file.clone()).unwrap_or(
                PytestConfig {
                    file,
                    ..PytestConfig::default()
                },
            )));
        }
    }
    if let Some(tool) = pyproject
        .and_then(|d| d.get("tool"))
        .and_then(|t| t.get("pytest"))
        .and_then(|t| t.as_table())
    {
        if let Some(cfg) = from_tool_pytest(tool, root.join("pyproject.toml")) {
            return Ok(Some(cfg));
        }
    }
    for (name, section) in [("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")] {
        if let Some(cfg) = read(name).and_then(|t| from_ini(&t, &[section], root.join(name))) {
            return Ok(Some(cfg));
        }
    }
    Ok(None)
}

/// `pytest.toml`: the `[pytest]` table, native TOML types. Options written
/// outside it (pytest refuses the file) are named, not read.
fn from_pytest_toml(doc: &toml::Table, file: PathBuf) -> PytestConfig {
    let table = doc.get("pytest").and_then(|t| t.as_table());
    let mut cfg = match table {
        Some(t) => from_native(t, file),
        None => PytestConfig {
            file,
            ..PytestConfig::default()
        },
    };
    let stray: Vec<&str> = doc
        .iter()
        .filter(|(_, v)| !v.is_table())
        .map(|(k, _)| k.as_str())
        .collect();
    if table.is_none() && !stray.is_empty() {
        cfg.ignored
            .push(format!("{} (outside the [pytest] table)", stray.join(", ")));
    }
    cfg
}

/// `[tool.pytest]` of a pyproject.toml: native TOML types, or the ini-style
/// strings of its `ini_options` table (None when `[tool.pytest]` has no key
/// and no `ini_options`: pytest then looks on, to tox.ini and setup.cfg).
/// pytest refuses both at once; dbtest reads the native one and says so.
fn from_tool_pytest(tool: &toml::Table, file: PathBuf) -> Option<PytestConfig> {
    let native: toml::Table = tool
        .iter()
        .filter(|(k, _)| k.as_str() != "ini_options")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let ini = tool.get("ini_options").and_then(|t| t.as_table());
    if native.is_empty() {
        return ini.map(|t| from_toml(t, file));
    }
    let mut cfg = from_native(&native, file);
    if ini.is_some() {
        cfg.ignored
            .push("[tool.pytest.ini_options] (beside [tool.pytest], which is read)".to_string());
    }
    Some(cfg)
}

/// A table of pytest 9's TOML mode: lists where pytest takes lists, a
/// boolean for `xfail_strict`, nothing split or coerced. A value of another
/// type (pytest's usage error) is named, not applied.
fn from_native(table: &toml::Table, file: PathBuf) -> PytestConfig {
    let mut cfg = PytestConfig {
        file,
        ..PytestConfig::default()
    };
    for (key, v) in table {
        if !KEYS.contains(&key.as_str()) {
            continue;
        }
        let value = match v {
            toml::Value::Boolean(b) if key == "xfail_strict" => Value::Text(b.to_string()),
            toml::Value::Array(a) if key != "xfail_strict" && a.iter().all(|x| x.is_str()) => {
                Value::List(
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect(),
                )
            }
            other => {
                let wants = if key == "xfail_strict" {
                    "a boolean"
                } else {
                    "a list of strings"
                };
                cfg.ignored
                    .push(format!("{key} = {other} (native TOML: {wants})"));
                continue;
            }
        };
        apply(&mut cfg, key, value);
    }
    cfg
}

/// One key's value: a string or a list of strings, as pytest's `ini`
/// options take them (`linelist`/`args` split the string form).
enum Value {
    Text(String),
    List(Vec<String>),
}

impl Value {
    /// A `linelist` (`filterwarnings`): one entry per line.
    fn lines(self) -> Vec<String> {
        match self {
            Value::Text(t) => t
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
            Value::List(v) => v,
        }
    }

    /// An `args` list (`testpaths`, `python_files`, `addopts`): a string
    /// split on whitespace (quotes kept together); a TOML list as it is.
    fn args(self) -> Vec<String> {
        match self {
            Value::Text(t) => split_args(&t),
            Value::List(v) => v,
        }
    }

    fn flag(self) -> bool {
        match self {
            Value::Text(t) => {
                matches!(t.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes")
            }
            Value::List(_) => false,
        }
    }
}

/// `[tool.pytest.ini_options]`: ini mode, each value a string (split as an
/// ini file's is) or a list of strings.
fn from_toml(table: &toml::Table, file: PathBuf) -> PytestConfig {
    let mut cfg = PytestConfig {
        file,
        ..PytestConfig::default()
    };
    for (key, v) in table {
        let value = match v {
            toml::Value::String(s) => Value::Text(s.clone()),
            toml::Value::Boolean(b) => Value::Text(b.to_string()),
            toml::Value::Array(a) => Value::List(
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
            ),
            other => Value::Text(other.to_string()),
        };
        apply(&mut cfg, key, value);
    }
    cfg
}

/// The keys of the first of `sections` in an INI text (None: no such section).
fn from_ini(text: &str, sections: &[&str], file: PathBuf) -> Option<PytestConfig> {
    let mut cfg = PytestConfig {
        file,
        ..PytestConfig::default()
    };
    let mut inside = false;
    let mut found = false;
    let mut current: Option<(String, String)> = None;
    let flush = |cfg: &mut PytestConfig, cur: &mut Option<(String, String)>| {
        if let Some((k, v)) = cur.take() {
            apply(cfg, &k, Value::Text(v));
        }
    };
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            flush(&mut cfg, &mut current);
            inside = sections.contains(&name.trim());
            found |= inside;
            continue;
        }
        if !inside || trimmed.is_empty() {
            continue;
        }
        // An indented line continues the value above (a multi-line value).
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = current.as_mut() {
                v.push('\n');
                v.push_str(trimmed);
                continue;
            }
        }
        flush(&mut cfg, &mut current);
        let split = trimmed.find(['=', ':']);
        if let Some(at) = split {
            let key = trimmed[..at].trim().to_string();
            let value = trimmed[at + 1..].trim().to_string();
            current = Some((key, value));
        }
    }
    flush(&mut cfg, &mut current);
    found.then_some(cfg)
}

fn apply(cfg: &mut PytestConfig, key: &str, value: Value) {
    match key {
        "testpaths" => cfg.testpaths = value.args(),
        "python_files" => cfg.python_files = value.args(),
        "norecursedirs" => cfg.norecursedirs = value.args(),
        "xfail_strict" => cfg.xfail_strict = value.flag(),
        "filterwarnings" => cfg.filterwarnings = value.lines(),
        "doctest_optionflags" => {
            cfg.doctest_optionflags = value.args();
            for f in &cfg.doctest_optionflags {
                if !super::DOCTEST_FLAGS.contains(&f.as_str()) {
                    cfg.ignored.push(format!("doctest_optionflags {f}"));
                }
            }
        }
        "addopts" => addopts(cfg, value.args()),
        "python_classes" => cfg.python_classes = Some(value.args()),
        "python_functions" => cfg.python_functions = Some(value.args()),
        _ => {}
    }
}

/// The options of `addopts` that map to dbtest's; the rest are noted.
fn addopts(cfg: &mut PytestConfig, args: Vec<String>) {
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        match flag.as_str() {
            "-m" => cfg.markexpr = inline.or_else(|| it.next()),
            "-k" => match inline.or_else(|| it.next()) {
                // A `-k` expression (`a and not b`) is pytest's own grammar.
                Some(k) if k.contains(' ') => cfg.ignored.push(format!("-k '{k}'")),
                k => cfg.keyword = k,
            },
            "--doctest-modules" => cfg.doctest_modules = true,
            "--doctest-glob" => cfg.doctest_glob.extend(inline.or_else(|| it.next())),
            // dbtest reports every failing example of a docstring anyway.
            "--doctest-continue-on-failure" => {}
            // Plugins pytest would not load, and pytest's own display and
            // traceback options: nothing for dbtest to do.
            "-p" => {
                it.next();
            }
            f if f.starts_with("-p") => {}
            "-q" | "-v" | "-vv" | "-ra" | "-rA" | "-rs" | "-rxXs" | "--strict-markers"
            | "--strict-config" | "--strict" => {}
            f if f.starts_with("--tb") || f.starts_with("-r") => {}
            _ => cfg.ignored.push(a),
        }
    }
}

/// pytest's `-m` grammar (`and`, `or`, `not`, parentheses, mark names) in
/// dbtest's filter language: each mark name becomes `tag(=name)`.
pub fn markexpr_filter(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len() * 2);
    let mut word = String::new();
    let emit = |out: &mut String, word: &mut String| {
        if word.is_empty() {
            return;
        }
        match word.as_str() {
            "and" | "or" | "not" => out.push_str(word),
            w => {
                out.push_str("tag(=");
                out.push_str(w);
                out.push(')');
            }
        }
        word.clear();
    };
    for c in expr.chars() {
        if c.is_alphanumeric() || c == '_' || c == '-' || c == '.' {
            word.push(c);
        } else {
            emit(&mut out, &mut word);
            out.push(c);
        }
    }
    emit(&mut out, &mut word);
    out
}

/// Split like a shell: whitespace separates, quotes group.
fn split_args(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            (None, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_sections_multiline_values_and_addopts() {
        let cfg = from_ini(
            "[metadata]\nname = x\n\n[tool:pytest]\ntestpaths = tests docs\naddopts = -m \"not slow\" -p no:cacheprovider --cov=x -ra\nfilterwarnings =\n    error\n    ignore::DeprecationWarning\nxfail_strict = true\n",
            &["tool:pytest"],
            PathBuf::from("setup.cfg"),
        )
        .unwrap();
        assert_eq!(cfg.testpaths, ["tests", "docs"]);
        assert_eq!(cfg.markexpr.as_deref(), Some("not slow"));
        assert_eq!(cfg.ignored, ["--cov=x"]);
        assert_eq!(cfg.filterwarnings, ["error", "ignore::DeprecationWarning"]);
        assert!(cfg.xfail_strict);
    }

    #[test]
    fn a_missing_section_is_no_config() {
        assert!(from_ini("[flake8]\nmax = 1\n", &["pytest"], PathBuf::new()).is_none());
    }

    #[test]
    fn toml_options_take_strings_and_lists() {
        let t: toml::Table = "addopts = [\"-m\", \"not property\"]\npython_files = \"check_*.py\"\nxfail_strict = true\n"
            .parse()
            .unwrap();
        let cfg = from_toml(&t, PathBuf::new());
        assert_eq!(cfg.markexpr.as_deref(), Some("not property"));
        assert_eq!(cfg.python_files, ["check_*.py"]);
        assert!(cfg.xfail_strict);
    }

    #[test]
    fn name_rules_are_read_not_warned_about() {
        let text = "[pytest]\npython_classes = Check *Suite\npython_functions = check_* test\n";
        let cfg = from_ini(text, &["pytest"], PathBuf::from("pytest.ini")).unwrap();
        assert_eq!(cfg.python_classes.unwrap(), ["Check", "*Suite"]);
        assert_eq!(cfg.python_functions.unwrap(), ["check_*", "test"]);
        assert!(cfg.ignored.is_empty(), "{:?}", cfg.ignored);
        let t: toml::Table = "python_classes = [\"Check\"]\n".parse().unwrap();
        let cfg = from_toml(&t, PathBuf::new());
        assert_eq!(cfg.python_classes.unwrap(), ["Check"]);
        assert_eq!(cfg.python_functions, None);
    }

    #[test]
    fn doctest_options_of_addopts_and_the_ini_flags() {
        let text = "[pytest]\naddopts = --doctest-modules --doctest-glob=*.rst --doctest-glob '*.md'\ndoctest_optionflags = NORMALIZE_WHITESPACE NUMBER\n";
        let cfg = from_ini(text, &["pytest"], PathBuf::from("pytest.ini")).unwrap();
        assert!(cfg.doctest_modules);
        assert_eq!(cfg.doctest_glob, ["*.rst", "*.md"]);
        assert_eq!(cfg.doctest_optionflags, ["NORMALIZE_WHITESPACE", "NUMBER"]);
        // pytest's own flag is said, not applied.
        assert_eq!(cfg.ignored, ["doctest_optionflags NUMBER"]);
    }

    fn tmp_root(files: &[(&str, &str)]) -> PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "dbtest-pytest-config-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        dir
    }

    fn found(files: &[(&str, &str)]) -> Option<PytestConfig> {
        let root = tmp_root(files);
        let pyproject = files
            .iter()
            .find(|(n, _)| *n == "pyproject.toml")
            .map(|(_, t)| t.parse::<toml::Table>().unwrap());
        let cfg = find(&root, pyproject.as_ref()).unwrap();
        std::fs::remove_dir_all(&root).unwrap();
        cfg
    }

    fn file_name(cfg: &PytestConfig) -> String {
        cfg.file.file_name().unwrap().to_string_lossy().into_owned()
    }

    #[test]
    fn files_are_found_in_pytest_9s_order() {
        let all = [
            ("pytest.toml", "[pytest]\ntestpaths = [\"a\"]\n"),
            (".pytest.toml", "[pytest]\ntestpaths = [\"b\"]\n"),
            ("pytest.ini", "[pytest]\ntestpaths = c\n"),
            (".pytest.ini", "[pytest]\ntestpaths = d\n"),
            ("pyproject.toml", "[tool.pytest]\ntestpaths = [\"e\"]\n"),
            ("tox.ini", "[pytest]\ntestpaths = f\n"),
            ("setup.cfg", "[tool:pytest]\ntestpaths = g\n"),
        ];
        // Each file wins over every one after it.
        for (i, (name, _)) in all.iter().enumerate() {
            let cfg = found(&all[i..]).unwrap();
            assert_eq!(file_name(&cfg), *name);
            assert_eq!(cfg.testpaths, [((b'a' + i as u8) as char).to_string()]);
        }
        // pytest.toml and pytest.ini are the config even when empty.
        let cfg = found(&[
            ("pytest.toml", ""),
            ("tox.ini", "[pytest]\ntestpaths = f\n"),
        ]);
        assert_eq!(file_name(&cfg.unwrap()), "pytest.toml");
        let cfg = found(&[(".pytest.ini", ""), ("setup.cfg", "[tool:pytest]\nx = 1\n")]);
        assert_eq!(file_name(&cfg.unwrap()), ".pytest.ini");
        // A pyproject.toml without a pytest table is passed over.
        let cfg = found(&[
            ("pyproject.toml", "[tool.other]\nx = 1\n[tool.pytest]\n"),
            ("tox.ini", "[pytest]\ntestpaths = f\n"),
        ]);
        assert_eq!(file_name(&cfg.unwrap()), "tox.ini");
        assert_eq!(found(&[("setup.cfg", "[flake8]\n")]), None);
    }

    #[test]
    fn native_toml_takes_lists_and_booleans_as_they_are() {
        let cfg = found(&[(
            "pytest.toml",
            "[pytest]\naddopts = [\"-m\", \"not slow\", \"--cov=x\"]\ntestpaths = [\"tests\"]\nxfail_strict = true\nfilterwarnings = [\"error\", \"ignore::DeprecationWarning\"]\nminversion = \"9.0\"\n",
        )])
        .unwrap();
        assert_eq!(cfg.markexpr.as_deref(), Some("not slow"));
        assert_eq!(cfg.testpaths, ["tests"]);
        assert!(cfg.xfail_strict);
        assert_eq!(cfg.filterwarnings, ["error", "ignore::DeprecationWarning"]);
        assert_eq!(cfg.ignored, ["--cov=x"]);
        // The ini forms are pytest's usage errors in TOML mode: named, not read.
        let cfg = found(&[(
            "pyproject.toml",
            "[tool.pytest]\naddopts = \"-m slow\"\nxfail_strict = \"true\"\ntestpaths = [\"t\"]\n",
        )])
        .unwrap();
        assert_eq!(cfg.markexpr, None);
        assert!(!cfg.xfail_strict);
        assert_eq!(cfg.testpaths, ["t"]);
        assert_eq!(
            cfg.ignored,
            [
                "addopts = \"-m slow\" (native TOML: a list of strings)",
                "xfail_strict = \"true\" (native TOML: a boolean)"
            ]
        );
    }

    #[test]
    fn ini_options_stay_ini_style_and_lose_to_the_native_table() {
        let ini =
            "[tool.pytest.ini_options]\naddopts = \"-m 'not slow'\"\nxfail_strict = \"true\"\n";
        let cfg = found(&[("pyproject.toml", ini)]).unwrap();
        assert_eq!(cfg.markexpr.as_deref(), Some("not slow"));
        assert!(cfg.xfail_strict);
        let both = format!("[tool.pytest]\ntestpaths = [\"t\"]\n{ini}");
        let cfg = found(&[("pyproject.toml", &both)]).unwrap();
        assert_eq!(cfg.testpaths, ["t"]);
        assert_eq!(cfg.markexpr, None);
        assert_eq!(
            cfg.ignored,
            ["[tool.pytest.ini_options] (beside [tool.pytest], which is read)"]
        );
    }

    #[test]
    fn a_broken_pytest_toml_is_an_error_and_stray_keys_are_named() {
        let root = tmp_root(&[("pytest.toml", "[pytest\n")]);
        let err = find(&root, None).unwrap_err();
        std::fs::remove_dir_all(&root).unwrap();
        assert!(err.file.ends_with("pytest.toml"));
        assert!(err.to_string().contains("line 1"), "{err}");
        let cfg = found(&[("pytest.toml", "testpaths = [\"t\"]\n")]).unwrap();
        assert!(cfg.testpaths.is_empty());
        assert_eq!(cfg.ignored, ["testpaths (outside the [pytest] table)"]);
    }

    #[test]
    fn marker_expressions_become_tag_filters() {
        assert_eq!(markexpr_filter("not slow"), "not tag(=slow)");
        assert_eq!(
            markexpr_filter("(db or net) and not flaky"),
            "(tag(=db) or tag(=net)) and not tag(=flaky)"
        );
    }
}
