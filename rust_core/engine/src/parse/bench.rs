//! Benchmark files: `g = BenchmarkGroup("name", ...)` groups at module
//! level, and the functions `@g.add(...)` registers in them.

use super::ir::{Def, Expr, Stmt};
use super::items::{items_into, Overrides};
use super::lit::{lit, string_list, Lit};
use super::walk::{dotted, Walker};
use crate::tree::{Dynamic, ItemKind, SuiteKind, SuiteNode, TestStyle};

impl Walker<'_> {
    /// `g = BenchmarkGroup("name", tags=[...])` at module level, also
    /// wrapped as `g = register_group(BenchmarkGroup(...))`.
    pub(super) fn module_assignment(&mut self, stmt: &Stmt) {
        let Stmt::Assign {
            line,
            left: Some((var, true)),
            right: Some(Expr::Call { func, args }),
        } = stmt
        else {
            return;
        };
        let Some(mut func) = func.as_deref().and_then(dotted) else {
            return;
        };
        let mut args = args;
        if func.rsplit('.').next() == Some("register_group") {
            let inner = args
                .iter()
                .flatten()
                .find(|a| !matches!(a, Expr::Keyword { .. } | Expr::Comment));
            let Some(Expr::Call {
                func: Some(f),
                args: a,
            }) = inner
            else {
                return;
            };
            let Some(f) = dotted(f) else {
                return;
            };
            func = f;
            args = a;
        }
        if func.rsplit('.').next() != Some("BenchmarkGroup") {
            return;
        }
        let mut name = var.clone();
        let mut tags = Vec::new();
        let mut dynamic = Vec::new();
        for (i, a) in args.iter().flatten().enumerate() {
            if let Expr::Keyword { name: k, value: v } = a {
                match (k.as_deref(), v.as_deref()) {
                    (Some("name"), Some(v)) => {
                        if let Some(Lit::Str(s)) = lit(v) {
                            name = s
                        }
                    }
                    (Some("tags"), Some(v)) => match string_list(v) {
                        Some(t) => tags = t,
                        None => dynamic.push(Dynamic::Tags),
                    },
                    _ => {}
                }
            } else if i == 0 {
                if let Some(Lit::Str(s)) = lit(a) {
                    name = s;
                }
            }
        }
        tags.sort();
        tags.dedup();
        self.groups.insert(var.clone(), self.file.suites.len());
        self.file.suites.push(SuiteNode {
            name,
            kind: SuiteKind::Group,
            line: *line,
            tags,
            dynamic,
            items: Vec::new(),
        });
    }

    pub(super) fn bench_function(&mut self, def: &Def) {
        let mut d = self.def_info(def);
        if d.bench.is_empty() {
            return;
        }
        let entries = std::mem::take(&mut d.bench);
        for (var, entry) in entries {
            let Some(&idx) = self.groups.get(&var) else {
                continue;
            };
            d.name = entry;
            let group = &mut self.file.suites[idx];
            let start = group.items.len();
            items_into(
                &mut group.items,
                self.path,
                Some(&group.name),
                TestStyle::Bench,
                ItemKind::Bench,
                &d,
                &group.tags,
                Overrides::default(),
            );
            for it in &mut group.items[start..] {
                for x in &group.dynamic {
                    if !it.dynamic.contains(x) {
                        it.dynamic.push(*x);
                    }
                }
            }
        }
    }
}
