//! Doctests, found statically: each docstring with an example (`>>>`) is one
//! test, named as `doctest.DocTestFinder` names it (and pytest after it):
//! `path.py::module.Class.method`, the module's own docstring
//! `path.py::module`. A text file with examples (`--doctest-glob`) is one
//! test, `path.txt::name.txt`.
//!
//! What the finder sees and the source does not (a `__test__` dict, a
//! docstring made at run time) is not listed; a listed docstring the
//! import does not have is an `error`, saying so (docs/discovery.md).

use super::Scratch;
use crate::tree::{CollectionError, FileNode, TestItem, TestStyle};
use std::collections::HashSet;
use tree_sitter::Node;

/// Whether `text` holds a doctest example: a line starting with `>>>`.
pub fn has_example(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        l == ">>>" || l.starts_with(">>> ")
    })
}

/// The doctest items of the module `module` (its dotted name) at `path`,
/// into `node`; a file that does not parse gets the syntax error.
pub fn module_into(
    scratch: &mut Scratch,
    path: &str,
    module: &str,
    src: &str,
    node: &mut FileNode,
) {
    if !src.contains(">>>") {
        return; // most modules: no example anywhere, nothing to parse
    }
    let parser = scratch.parser.get_or_insert_with(super::new_parser);
    let Some(tree) = parser.parse(src, None) else {
        return;
    };
    let root = tree.root_node();
    if root.has_error() {
        if node.error.is_none() {
            let (line, message) = super::first_error(root, src.as_bytes());
            node.error = Some(CollectionError {
                path: path.to_string(),
                line,
                message,
            });
        }
        return;
    }
    let mut found = Found {
        path,
        src: src.as_bytes(),
        seen: HashSet::new(),
        items: Vec::new(),
    };
    if let Some(doc) = docstring(root, found.src) {
        if has_example(doc) {
            found.push(module.to_string(), 1);
        }
    }
    found.block(root, module, true);
    node.items.extend(found.items);
}

/// The one doctest of a text file with examples, into `node`.
pub fn text_into(path: &str, src: &str, node: &mut FileNode) {
    if has_example(src) {
        let name = path.rsplit('/').next().unwrap_or(path);
        node.items.push(item(path, name, 1));
    }
}

fn item(path: &str, name: &str, line: u32) -> TestItem {
    let mut it = TestItem::new_test(path, None, name);
    it.style = TestStyle::Doctest;
    it.line = line;
    it
}

struct Found<'a> {
    path: &'a str,
    src: &'a [u8],
    seen: HashSet<String>,
    items: Vec<TestItem>,
}

impl Found<'_> {
    fn push(&mut self, name: String, line: u32) {
        // A name defined twice (both arms of an `if`) is one object at import.
        if self.seen.insert(name.clone()) {
            self.items.push(item(self.path, &name, line));
        }
    }

    /// The functions and classes of a module or class body (`module_level`:
    /// also those under `if`/`try`/`with`, which are module attributes too).
    fn block(&mut self, body: Node, prefix: &str, module_level: bool) {
        let mut cursor = body.walk();
        for child in body.named_children(&mut cursor) {
            let (def, line) = match child.kind() {
                "decorated_definition" => match child.child_by_field_name("definition") {
                    Some(d) => (d, child.start_position().row as u32 + 1),
                    None => continue,
                },
                "function_definition" | "class_definition" => {
                    (child, child.start_position().row as u32 + 1)
                }
                "if_statement" | "try_statement" | "with_statement" | "else_clause"
                | "elif_clause" | "except_clause" | "finally_clause" | "block"
                    if module_level =>
                {
                    self.block(child, prefix, true);
                    continue;
                }
                _ => continue,
            };
            let Some(name) = def
                .child_by_field_name("name")
                .and_then(|n| n.utf8_text(self.src).ok())
            else {
                continue;
            };
            let qualified = format!("{prefix}.{name}");
            let Some(body) = def.child_by_field_name("body") else {
                continue;
            };
            if docstring(body, self.src).is_some_and(has_example) {
                self.push(qualified.clone(), line);
            }
            // The finder looks into classes (methods, nested classes), not
            // into functions.
            if def.kind() == "class_definition" {
                self.block(body, &qualified, false);
            }
        }
    }
}

/// The text of the docstring of a module or a body: its first statement,
/// when that is a plain string literal (not an f-string or bytes, which
/// Python never takes as a docstring).
fn docstring<'s>(body: Node, src: &'s [u8]) -> Option<&'s str> {
    let mut cursor = body.walk();
    let first = body
        .named_children(&mut cursor)
        .find(|n| n.kind() != "comment")?;
    if first.kind() != "expression_statement" {
        return None;
    }
    let string = first.named_child(0)?;
    if string.kind() != "string" {
        return None;
    }
    let text = string.utf8_text(src).ok()?;
    let open = text.find(['"', '\''])?;
    if text[..open].contains(['f', 'F', 'b', 'B']) {
        return None;
    }
    // The text between the quotes: an example may start right after them.
    let quotes = if text[open..].starts_with("\"\"\"") || text[open..].starts_with("'''") {
        3
    } else {
        1
    };
    text.get(open + quotes..text.len().saturating_sub(quotes))
}
