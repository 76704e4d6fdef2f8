//! What the decorators of a `def` or `class` say: `@test(...)` options,
//! `@skip`/`@skip_if`/`skipUnless`, `@xfail`/`expectedFailure`,
//! `@parametrize` (its ids computed in `params`) and a benchmark group's
//! `@group.add`. A decorator is recognized by the dbtest,
//! unittest or pytest name it refers to, through the file's imports.

use super::ir::{Def, Expr};
use super::lit::{lit, string_list, Lit};
use super::params;
use super::walk::{dotted, Walker};
use crate::tree::Dynamic;

/// What the decorators and name of one `def` say; for an accepted test
/// method, also its draft until the owning class's id is known.
#[derive(Debug, Default, Clone)]
pub(super) struct FuncInfo {
    pub(super) name: String,
    pub(super) line: u32,
    pub(super) is_async: bool,
    pub(super) test_decorated: bool,
    /// `@pytest.fixture` or dbtest's `@fixture`: never a test, whatever its
    /// name (pytest's `getfixturemarker`).
    pub(super) fixture: bool,
    pub(super) tags: Vec<String>,
    pub(super) timeout: Option<f64>,
    pub(super) retries: Option<u32>,
    pub(super) skip: Option<String>,
    pub(super) xfail: bool,
    pub(super) dynamic: Vec<Dynamic>,
    /// None: not parametrized; Some(empty): an empty literal list of cases.
    pub(super) cases: Option<Vec<String>>,
    /// `@group.add(...)`: (group variable, entry name).
    pub(super) bench: Vec<(String, String)>,
}

impl FuncInfo {
    pub(super) fn add_dynamic(&mut self, d: Dynamic) {
        if !self.dynamic.contains(&d) {
            self.dynamic.push(d);
        }
    }
}

/// The argument list of one decorator call (None: not called).
#[derive(Clone, Copy)]
struct Args<'e>(Option<&'e [Expr]>);

impl<'e> Args<'e> {
    /// The `i`-th positional argument.
    fn positional(self, i: usize) -> Option<&'e Expr> {
        self.0.and_then(|a| {
            a.iter()
                .filter(|c| !matches!(c, Expr::Keyword { .. } | Expr::Comment))
                .nth(i)
        })
    }

    /// The value of the keyword argument `name=...`.
    fn keyword(self, name: &str) -> Option<&'e Expr> {
        self.0
            .and_then(|a| a.iter().find_map(|c| kwarg(c, name)))
            .flatten()
    }

    /// `*args` or `**kwargs`: options this parse cannot see.
    fn has_splat(self) -> bool {
        self.0.is_some_and(|a| {
            a.iter()
                .any(|c| matches!(c, Expr::ListSplat | Expr::DictSplat))
        })
    }
}

impl Walker<'_> {
    pub(super) fn def_info(&self, d: &Def) -> FuncInfo {
        self.func_info(&d.name, d.line, d.is_async, &d.decorators)
    }

    /// Read the decorators and header of one `def` (or `class`).
    pub(super) fn func_info(
        &self,
        name: &str,
        line: u32,
        is_async: bool,
        decos: &[Expr],
    ) -> FuncInfo {
        let mut info = FuncInfo {
            name: name.to_string(),
            line,
            is_async,
            ..Default::default()
        };
        // Decorators apply bottom-up; pytest orders stacked parametrize ids
        // with the innermost first.
        let mut param_sets: Vec<Option<Vec<String>>> = Vec::new();
        for deco in decos.iter().rev() {
            let (callee, args) = match deco {
                Expr::Call { func, args } => (func.as_deref(), args.as_deref()),
                e => (Some(e), None),
            };
            let Some(dotted) = callee.and_then(dotted) else {
                continue;
            };
            if let Some((var, "add")) = dotted.rsplit_once('.') {
                if self.groups.contains_key(var) {
                    bench_entry(&mut info, var, args);
                    continue;
                }
            }
            if let Some(mark) = self.pytest_mark(&dotted) {
                let args = Args(args);
                if args.has_splat() {
                    info.add_dynamic(Dynamic::Options);
                }
                self.pytest_mark_into(&mut info, &mark, args, &mut param_sets);
                continue;
            }
            if self.resolve(&dotted) == "pytest.fixture" {
                info.fixture = true;
                continue;
            }
            let Some(api) = self.api_name(&dotted) else {
                continue;
            };
            let args = Args(args);
            if args.has_splat() {
                info.add_dynamic(Dynamic::Options);
            }
            match api {
                "test" => test_options(&mut info, args),
                "fixture" => info.fixture = true,
                "skip" => {
                    let reason = args.positional(0).or_else(|| args.keyword("reason"));
                    info.skip = Some(match reason.map(lit) {
                        Some(Some(Lit::Str(s))) => s,
                        _ => "skipped".to_string(),
                    });
                }
                "skip_if" | "skipIf" | "skipUnless" => skip_if(&mut info, api, args),
                "xfail" | "expectedFailure" => info.xfail = true,
                "parametrize" => {
                    let names = args.positional(0).or_else(|| args.keyword("argnames"));
                    let values = args.positional(1).or_else(|| args.keyword("argvalues"));
                    let ids = args.keyword("ids");
                    param_sets.push(params::decorator_cases(names, values, ids, None));
                }
                _ => {}
            }
        }
        if !param_sets.is_empty() {
            match params::combine(param_sets) {
                Some(cases) => info.cases = Some(cases),
                None => info.add_dynamic(Dynamic::Params),
            }
        }
        info.tags.sort();
        info.tags.dedup();
        info
    }
}

impl Walker<'_> {
    /// Read the marks of `pytestmark = mark` / `pytestmark = [marks]` (a
    /// module's or a class's) as if they decorated each test.
    pub(super) fn pytestmark_info(&self, value: &Expr, line: u32) -> FuncInfo {
        let decos: Vec<Expr> = match value {
            Expr::List(v) | Expr::Tuple(v) => v.clone(),
            e => vec![e.clone()],
        };
        let mut info = self.func_info("pytestmark", line, false, &decos);
        // A mark this parse cannot name (a variable, a call) is the import's.
        let known = |e: &Expr| {
            let callee = match e {
                Expr::Call { func, .. } => func.as_deref(),
                e => Some(e),
            };
            callee
                .and_then(dotted)
                .is_some_and(|d| self.pytest_mark(&d).is_some())
        };
        if !decos.iter().all(|e| matches!(e, Expr::Comment) || known(e)) {
            info.add_dynamic(Dynamic::Options);
            info.add_dynamic(Dynamic::Tags);
        }
        info
    }

    /// One `@pytest.mark.<mark>(...)`: as pytest evaluates it where the
    /// arguments are literals, left to the import otherwise.
    fn pytest_mark_into(
        &self,
        info: &mut FuncInfo,
        mark: &str,
        args: Args<'_>,
        param_sets: &mut Vec<Option<Vec<String>>>,
    ) {
        let condition = || args.positional(0).or_else(|| args.keyword("condition"));
        match mark {
            "skip" => {
                let reason = args.keyword("reason").or_else(|| args.positional(0));
                info.skip = Some(match reason.map(lit) {
                    Some(Some(Lit::Str(s))) => s,
                    None => "unconditional skip".to_string(),
                    _ => return info.add_dynamic(Dynamic::Options),
                });
            }
            // A string or computed condition is evaluated at import.
            "skipif" => match condition().map(lit) {
                Some(Some(Lit::Bool(false))) => {}
                _ => info.add_dynamic(Dynamic::Options),
            },
            "xfail" => {
                match condition().map(lit) {
                    None | Some(Some(Lit::Bool(true))) => info.xfail = true,
                    Some(Some(Lit::Bool(false))) => {}
                    _ => info.add_dynamic(Dynamic::Options),
                }
                // run=False skips; raises= and strict= change the verdict.
                if args.keyword("run").is_some() {
                    info.add_dynamic(Dynamic::Options);
                }
            }
            "parametrize" => {
                let names = args.positional(0).or_else(|| args.keyword("argnames"));
                let values = args.positional(1).or_else(|| args.keyword("argvalues"));
                let ids = args.keyword("ids");
                let is_param =
                    |e: &Expr| dotted(e).is_some_and(|d| self.api_name(&d) == Some("param"));
                if params::case_marks(values, &is_param) {
                    info.add_dynamic(Dynamic::Options);
                }
                param_sets.push(params::decorator_cases(names, values, ids, Some(&is_param)));
            }
            "timeout" => match args
                .positional(0)
                .or_else(|| args.keyword("timeout"))
                .map(lit)
            {
                Some(Some(Lit::Int(i))) if i > 0 => info.timeout = Some(i as f64),
                Some(Some(Lit::Float(f))) if f > 0.0 => info.timeout = Some(f),
                _ => info.add_dynamic(Dynamic::Options),
            },
            "usefixtures" | "filterwarnings" => {}
            custom => info.tags.push(custom.to_string()),
        }
    }
}

/// `@test(tags=..., timeout=..., retries=..., skip=...)`.
fn test_options(info: &mut FuncInfo, args: Args<'_>) {
    info.test_decorated = true;
    if let Some(v) = args.keyword("tags") {
        match string_list(v) {
            Some(t) => info.tags.extend(t),
            None => info.add_dynamic(Dynamic::Tags),
        }
    }
    if let Some(v) = args.keyword("timeout") {
        match lit(v) {
            Some(Lit::Int(i)) => info.timeout = Some(i as f64),
            Some(Lit::Float(f)) => info.timeout = Some(f),
            Some(Lit::None) => {}
            _ => info.add_dynamic(Dynamic::Options),
        }
    }
    if let Some(v) = args.keyword("retries") {
        match lit(v) {
            Some(Lit::Int(i)) if i >= 0 => info.retries = Some(i as u32),
            _ => info.add_dynamic(Dynamic::Options),
        }
    }
    if let Some(v) = args.keyword("skip") {
        match lit(v) {
            Some(Lit::Str(s)) => info.skip = Some(s),
            Some(Lit::Bool(true)) => info.skip = Some("skipped".to_string()),
            Some(Lit::Bool(false) | Lit::None) => {}
            _ => info.add_dynamic(Dynamic::Options),
        }
    }
}

/// `@skip_if(cond, reason)`, unittest's `skipIf` and `skipUnless`: decided
/// here when the condition is a literal bool, else at import.
fn skip_if(info: &mut FuncInfo, api: &str, args: Args<'_>) {
    let cond = args.positional(0).or_else(|| args.keyword("condition"));
    let reason = args.positional(1).or_else(|| args.keyword("reason"));
    let when = api != "skipUnless";
    match cond.and_then(lit) {
        Some(Lit::Bool(b)) if b == when => {
            info.skip = Some(match reason.and_then(lit) {
                Some(Lit::Str(s)) => s,
                _ => "skipped".to_string(),
            })
        }
        Some(Lit::Bool(_)) => {}
        _ => info.add_dynamic(Dynamic::Options),
    }
}

/// `@group.add(name, tags=[...])`: the entry's name and tags.
fn bench_entry(info: &mut FuncInfo, var: &str, args: Option<&[Expr]>) {
    let mut entry = info.name.clone();
    if let Some(args) = args {
        // `tags=[...]` of the entry, like `@test(tags=...)`.
        for v in args.iter().filter_map(|a| kwarg(a, "tags")) {
            match v.and_then(string_list) {
                Some(tags) => info.tags.extend(tags),
                None => info.add_dynamic(Dynamic::Tags),
            }
        }
        for (i, a) in args.iter().enumerate() {
            let v = if matches!(a, Expr::Keyword { .. }) {
                kwarg(a, "name").flatten()
            } else {
                (i == 0).then_some(a)
            };
            if let Some(Lit::Str(s)) = v.and_then(lit) {
                entry = s;
            }
        }
    }
    info.bench.push((var.to_string(), entry));
}

/// `Some(value)` when `a` is the keyword argument `want=value`.
fn kwarg<'e>(a: &'e Expr, want: &str) -> Option<Option<&'e Expr>> {
    match a {
        Expr::Keyword { name, value } if name.as_deref() == Some(want) => Some(value.as_deref()),
        _ => None,
    }
}
