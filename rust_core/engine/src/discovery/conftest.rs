//! What a suite's `conftest.py` files ask of pytest that dbtest does not do:
//! their hooks (`def pytest_*`), `pytest_plugins`, and a `collect_ignore`
//! set under a condition or from a computed value (`discovery::ignore`
//! applies the literal ones). dbtest uses their
//! fixtures and never runs their hooks; each file that has some is named in
//! one warning at the start of the run, never left silent.

use std::collections::BTreeSet;
use std::path::Path;

/// The `conftest.py` files above `test_paths` (relative to `root`, `/`
/// separated), outermost first, each once.
pub fn conftests<'a>(root: &Path, test_paths: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut dirs: BTreeSet<&str> = BTreeSet::new();
    for p in test_paths {
        let mut dir = p.rsplit_once('/').map_or("", |(d, _)| d);
        while dirs.insert(dir) && !dir.is_empty() {
            dir = dir.rsplit_once('/').map_or("", |(d, _)| d);
        }
    }
    dirs.into_iter()
        .map(|d| {
            if d.is_empty() {
                "conftest.py".to_string()
            } else {
                format!("{d}/conftest.py")
            }
        })
        .filter(|rel| root.join(rel).is_file())
        .collect()
}

/// The hooks a conftest defines at module level and whether it names
/// `pytest_plugins`, read from its text (no import).
pub fn hooks_in(text: &str) -> (Vec<String>, bool) {
    let mut hooks = Vec::new();
    let mut plugins = false;
    for line in text.lines() {
        let rest = line.strip_prefix("async ").unwrap_or(line);
        if let Some(name) = rest.strip_prefix("def pytest_") {
            let name: String = name
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            hooks.push(format!("pytest_{name}"));
        } else if line.starts_with("pytest_plugins") {
            plugins = true;
        }
    }
    (hooks, plugins)
}

/// One warning per conftest file that has hooks or plugins.
pub fn warnings<'a>(root: &Path, test_paths: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    for rel in conftests(root, test_paths) {
        let Ok(text) = std::fs::read_to_string(root.join(&rel)) else {
            continue;
        };
        let (hooks, plugins) = hooks_in(&text);
        let mut what = Vec::new();
        if !hooks.is_empty() {
            what.push(format!("pytest hooks not run: {}", hooks.join(", ")));
        }
        if plugins {
            what.push("pytest_plugins not loaded".to_string());
        }
        let unread = crate::parse::collect_ignore::read(&text).unread;
        if !unread.is_empty() {
            let lines: Vec<String> = unread.iter().map(u32::to_string).collect();
            what.push(format!(
                "collect_ignore changed where dbtest cannot read it (line {}): not applied",
                lines.join(", ")
            ));
        }
        if !what.is_empty() {
            out.push(format!("{rel}: {}", what.join("; ")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::hooks_in;

    #[test]
    fn hooks_and_plugins_are_read_from_module_level_defs() {
        let text = "import pytest\n\ndef pytest_configure(config):\n    pass\n\nasync def pytest_runtest_setup(item): ...\n\nclass X:\n    def pytest_not_module_level(self): ...\n\npytest_plugins = ['a']\n\n@pytest.fixture\ndef db(): ...\n";
        let (hooks, plugins) = hooks_in(text);
        assert_eq!(hooks, ["pytest_configure", "pytest_runtest_setup"]);
        assert!(plugins);
    }
}
