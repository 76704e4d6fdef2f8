//! The one rule of "what a change affects", for `--changed`, watch mode and
//! the TUI's `o`: the changed files themselves, and every file that imports
//! one of them, transitively, through the project's own modules. A change
//! the graph cannot see the effect of selects everything, and says why.

use super::ImportGraph;
use std::collections::{BTreeMap, VecDeque};

/// What a set of changed files affects.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Affected {
    /// The changed files, root-relative, as given.
    pub changed: Vec<String>,
    /// The git ref they changed since (None: named by watch mode).
    pub since: Option<String>,
    /// Why everything is selected, when it is (one line).
    pub everything: Option<String>,
    /// Each affected file, with the import chain that makes it so: the file,
    /// what it imports, ..., a changed file (one element when it changed).
    pub chains: BTreeMap<String, Vec<String>>,
}

impl Affected {
    /// Whether the tests of the file at `path` are selected.
    pub fn selects(&self, path: &str) -> bool {
        self.everything.is_some() || self.chains.contains_key(path)
    }

    /// One line: what changed (`changed since HEAD: a.py, b.py`).
    pub fn header(&self) -> String {
        let since = match &self.since {
            Some(r) => format!(" since {r}"),
            None => String::new(),
        };
        if self.changed.is_empty() {
            return format!("nothing changed{since}");
        }
        const SHOWN: usize = 5;
        let mut names = self.changed[..self.changed.len().min(SHOWN)].join(", ");
        if self.changed.len() > SHOWN {
            names.push_str(&format!(" and {} more", self.changed.len() - SHOWN));
        }
        format!("changed{since}: {names}")
    }

    /// `tests/test_a.py -> pkg/b.py -> pkg/c.py (changed)`.
    pub fn chain_text(&self, path: &str) -> Option<String> {
        let chain = self.chains.get(path)?;
        Some(format!("{} (changed)", chain.join(" -> ")))
    }
}

fn name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Why a changed file selects everything, if it does.
fn unseen(path: &str) -> Option<String> {
    if !path.ends_with(".py") {
        return Some(format!(
            "{path} changed, and the import graph cannot see what reads a file that is not Python"
        ));
    }
    if name(path) == "conftest.py" {
        return Some(format!(
            "{path} changed: its fixtures and hooks reach tests without an import"
        ));
    }
    None
}

/// What `changed` (root-relative paths) affects in `graph`.
pub fn affected(graph: &ImportGraph, changed: &[String]) -> Affected {
    let mut out = Affected {
        changed: changed.to_vec(),
        ..Affected::default()
    };
    out.everything = changed.iter().find_map(|p| unseen(p));
    let importers = graph.importers();
    let mut queue = VecDeque::new();
    for p in changed.iter().filter(|p| p.ends_with(".py")) {
        if out.chains.insert(p.clone(), vec![p.clone()]).is_none() {
            queue.push_back(p.clone());
        }
    }
    // Breadth first: each file gets its shortest chain.
    while let Some(file) = queue.pop_front() {
        let chain = out.chains[&file].clone();
        for &m in importers.get(file.as_str()).into_iter().flatten() {
            if !out.chains.contains_key(m) {
                let mut c = Vec::with_capacity(chain.len() + 1);
                c.push(m.to_string());
                c.extend(chain.iter().cloned());
                out.chains.insert(m.to_string(), c);
                queue.push_back(m.to_string());
            }
        }
    }
    if out.everything.is_none() {
        // A conftest.py that imports a changed module is a changed conftest.
        out.everything = out
            .chains
            .iter()
            .find(|(f, c)| name(f) == "conftest.py" && c.len() > 1)
            .map(|(f, c)| {
                format!(
                    "{f} imports {} (changed): its fixtures and hooks reach tests without an import",
                    c[c.len() - 1]
                )
            });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn graph(edges: &[(&str, &[&str])]) -> ImportGraph {
        let mut g = ImportGraph::default();
        for (f, deps) in edges {
            let d: BTreeSet<String> = deps.iter().map(|s| s.to_string()).collect();
            g.deps.insert(f.to_string(), d);
        }
        g
    }

    fn changed(paths: &[&str]) -> Vec<String> {
        paths.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn importers_are_affected_through_a_chain_and_others_are_not() {
        let g = graph(&[
            ("tests/test_a.py", &["pkg/b.py"]),
            ("pkg/b.py", &["pkg/c.py"]),
            ("pkg/c.py", &[]),
            ("tests/test_other.py", &["pkg/d.py"]),
            ("pkg/d.py", &[]),
        ]);
        let a = affected(&g, &changed(&["pkg/c.py"]));
        assert_eq!(a.everything, None);
        assert!(a.selects("tests/test_a.py"));
        assert!(!a.selects("tests/test_other.py"));
        assert_eq!(
            a.chain_text("tests/test_a.py").unwrap(),
            "tests/test_a.py -> pkg/b.py -> pkg/c.py (changed)"
        );
    }

    #[test]
    fn the_shortest_chain_is_shown_and_cycles_end() {
        let g = graph(&[
            ("t.py", &["a.py", "c.py"]),
            ("a.py", &["b.py"]),
            ("b.py", &["c.py", "a.py"]),
            ("c.py", &["b.py"]),
        ]);
        let a = affected(&g, &changed(&["c.py"]));
        assert_eq!(a.chains["t.py"], ["t.py", "c.py"]);
        assert_eq!(a.chains["a.py"], ["a.py", "b.py", "c.py"]);
    }

    #[test]
    fn what_the_graph_cannot_see_selects_everything() {
        let g = graph(&[("tests/conftest.py", &["helpers.py"]), ("helpers.py", &[])]);
        let a = affected(&g, &changed(&["pyproject.toml"]));
        assert!(a.everything.unwrap().starts_with("pyproject.toml changed"));
        let a = affected(&g, &changed(&["tests/conftest.py"]));
        assert!(a
            .everything
            .unwrap()
            .starts_with("tests/conftest.py changed"));
        let a = affected(&g, &changed(&["helpers.py"]));
        assert!(a
            .everything
            .unwrap()
            .starts_with("tests/conftest.py imports helpers.py"));
        assert_eq!(affected(&g, &[]).everything, None);
    }
}
