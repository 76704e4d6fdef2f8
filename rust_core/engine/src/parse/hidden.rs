//! Tests under compound statements (`if PY3:`, `try:`, `with ...:`): the
//! skeleton drops their blocks (the parse cannot tell which branch runs),
//! but a test there is still a test. Each becomes an item marked
//! [`Dynamic::Conditional`]: listed where it is, run if the import defined
//! it, `skipped` saying so if it did not. A class under such a block is one
//! placeholder the import expands. Nothing the source holds is lost.

use super::class::is_test_method;
use super::decorators::FuncInfo;
use super::scan::Hidden;
use super::walk::Walker;
use crate::tree::{Dynamic, SuiteKind, SuiteNode, TestItem, TestStyle};
use std::collections::HashSet;

impl Walker<'_> {
    /// Module-level tests under blocks, after the module's own: a name the
    /// module also defines outside any block is that test already.
    pub(super) fn hidden_module(&mut self) {
        let mut seen: HashSet<String> = self
            .file
            .items
            .iter()
            .map(|it| it.name.clone())
            .chain(self.file.suites.iter().map(|s| s.name.clone()))
            .collect();
        for h in self.hidden.iter().filter(|h| h.in_class.is_none()) {
            if !seen.insert(h.name.clone()) {
                continue;
            }
            if h.is_class {
                if self.names.classes.matches(&h.name) || h.name.contains("Test") {
                    let suite = self.hidden_class(h);
                    self.file.suites.push(suite);
                }
            } else if self.names.functions.matches(&h.name) {
                self.push_function(&conditional(h));
            }
        }
    }

    /// The test methods under blocks of the class whose header is at
    /// `class_line`, as drafts of methods (`own`: the names its body
    /// defines outside any block, which win). `kind` says which names are
    /// tests, as for the class's other methods.
    pub(super) fn hidden_methods(
        &self,
        class_line: u32,
        kind: Option<SuiteKind>,
        own: &HashSet<&str>,
    ) -> Vec<FuncInfo> {
        let mut seen = HashSet::new();
        self.hidden
            .iter()
            .filter(|h| h.in_class == Some(class_line) && !h.is_class)
            .filter(|h| !own.contains(h.name.as_str()) && seen.insert(h.name.as_str()))
            .map(conditional)
            .filter(|f| is_test_method(kind, &self.names.functions, f))
            .collect()
    }

    /// One placeholder for a class under a block: the import finds its tests.
    fn hidden_class(&self, h: &Hidden) -> SuiteNode {
        let mut item = TestItem::new_test(self.path, Some(&h.name), &h.name);
        item.id = crate::ids::child(self.path, &h.name);
        item.style = TestStyle::Suite;
        item.line = h.line;
        item.dynamic = vec![Dynamic::Inherited, Dynamic::Conditional];
        SuiteNode {
            name: h.name.clone(),
            kind: SuiteKind::Suite,
            line: h.line,
            tags: Vec::new(),
            dynamic: item.dynamic.clone(),
            items: vec![item],
        }
    }
}

/// The draft of a test that exists only if its block defined it.
fn conditional(h: &Hidden) -> FuncInfo {
    FuncInfo {
        name: h.name.clone(),
        line: h.line,
        is_async: h.is_async,
        dynamic: vec![Dynamic::Conditional],
        ..FuncInfo::default()
    }
}
