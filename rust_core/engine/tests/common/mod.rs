//! Helpers of the parse tests: one parse through every front end, and
//! lookups by id.

use dbtest_engine::parse::{new_parser, parse_file, parse_file_with, FrontEnd};
use dbtest_engine::tree::{FileNode, ItemKind, TestItem};

pub const PATH: &str = "tests/test_x.py";

/// Parse with the skeleton path and check the full parse agrees on valid input.
pub fn parse(src: &str) -> FileNode {
    let mut p = new_parser();
    let fast = parse_file(&mut p, PATH, ItemKind::Test, src, false);
    let full = parse_file(&mut p, PATH, ItemKind::Test, src, true);
    // Discovery's default (the fast front end when it takes the skeleton)
    // must equal tree-sitter on the same skeleton, error or not.
    let ts = parse_file_with(
        &mut p,
        PATH,
        ItemKind::Test,
        src,
        false,
        FrontEnd::TreeSitter,
    );
    assert_eq!(Some(&fast), ts.as_ref(), "front ends disagree for:\n{src}");
    if fast.error.is_none() && full.error.is_none() {
        assert_eq!(fast, full, "skeleton and full parse disagree for:\n{src}");
    }
    fast
}

pub fn ids(f: &FileNode) -> Vec<String> {
    f.all_items().map(|i| i.id.clone()).collect()
}

pub fn item<'a>(f: &'a FileNode, id: &str) -> &'a TestItem {
    f.all_items()
        .find(|i| i.id == format!("{PATH}::{id}"))
        .unwrap_or_else(|| panic!("no item {id} in {:?}", ids(f)))
}
