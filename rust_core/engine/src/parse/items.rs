//! The [`TestItem`]s of one accepted test function or method: one, or one
//! per parametrize case, with its class's tags and marks applied.

use super::decorators::FuncInfo;
use crate::ids;
use crate::tree::{Dynamic, ItemKind, TestItem, TestStyle};

/// What a class's decorators and `tags` add to each of its methods.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Overrides<'o> {
    /// Used when the method has no skip reason of its own.
    pub(super) skip: Option<&'o String>,
    pub(super) xfail: bool,
    pub(super) dynamic_tags: bool,
}

/// Push the items of one accepted function onto `out`: one, or one per
/// parametrize case. Strings are built to size and shared values are cloned
/// once per item only (this runs for every test of every file).
#[allow(clippy::too_many_arguments)]
pub(super) fn items_into(
    out: &mut Vec<TestItem>,
    path: &str,
    suite: Option<&str>,
    style: TestStyle,
    kind: ItemKind,
    d: &FuncInfo,
    extra_tags: &[String],
    ov: Overrides<'_>,
) {
    let mut tags: Vec<&String> = d.tags.iter().chain(extra_tags).collect();
    tags.sort();
    tags.dedup();
    let mut dynamic = d.dynamic.clone();
    if ov.dynamic_tags && !dynamic.contains(&Dynamic::Tags) {
        dynamic.push(Dynamic::Tags);
    }
    let skip = d.skip.as_ref().or(ov.skip);
    let prefix = match suite {
        Some(s) => ids::join(path, &[s, &d.name], None),
        None => ids::join(path, &[&d.name], None),
    };
    let make = |id: String, params: Option<String>| TestItem {
        id,
        kind,
        style,
        path: path.to_string(),
        suite: suite.map(str::to_string),
        name: d.name.clone(),
        params,
        line: d.line,
        tags: tags.iter().map(|t| (*t).clone()).collect(),
        is_async: d.is_async,
        timeout: d.timeout,
        retries: d.retries,
        skip: skip.cloned(),
        xfail: d.xfail || ov.xfail,
        dynamic: dynamic.clone(),
        together: false,
    };
    match &d.cases {
        // As at import: no cases is one skipped item, without brackets.
        Some(cases) if cases.is_empty() => {
            let mut item = make(prefix, None);
            item.skip
                .get_or_insert_with(|| "parametrize: no cases".to_string());
            out.push(item);
        }
        Some(cases) => {
            out.reserve(cases.len());
            for c in cases {
                out.push(make(ids::with_params(&prefix, c), Some(c.clone())));
            }
        }
        None => out.push(make(prefix, None)),
    }
}
