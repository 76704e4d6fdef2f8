//! One run, from what the user asked for to the report: configuration,
//! discovery, selection, partition, `--lf`/`--ff`, the scheduler's plan, and
//! at the end the [`RunReport`] and the updated cache. The CLI and the TUI
//! both go through here, so a run means the same thing in both.

use crate::bench::{self, RawBenchResult};
use crate::cache::{self, History};
use crate::config::{self, Config};
use crate::discovery::list::{self, ListRequest};
use crate::error::UsageError;
use crate::events::Event;
use crate::filter::{FilterSpec, Mode, Selector};
use crate::graph::{select::Affected, Changed};
use crate::ids;
use crate::order;
use crate::partition::{partition, PartitionSpec};
use crate::record::Summary;
use crate::report::{RunMeta, RunReport, Selection, SlowNote, SCHEMA_VERSION};
use crate::scheduler::{
    build_units, drive, units, Control, Launcher, ProcessLauncher, SchedulerConfig, State, Unit,
};
use crate::tree::{CollectionError, TestItem, Uncollected};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// What to run, as the CLI or the TUI asks for it (JSON from Python).
///
/// Besides `cwd`, `paths`, `mode`, `ids`, `python` and `meta`, each field
/// is a run option of the table in `dbtest/options.py` (`request=True`),
/// of the same name and type; `tests/e2e/test_options.py` checks that the
/// two agree, and an unknown field is an error rather than ignored.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunRequest {
    /// Where the command was started; the config is looked up from here.
    pub cwd: PathBuf,
    pub paths: Vec<String>,
    /// `all`, `unit`, `integration`, `tests` or `bench`.
    pub mode: Option<String>,
    /// Run exactly these ids (or prefixes of ids): TUI selections, reruns.
    pub ids: Option<Vec<String>>,
    /// The interpreter workers run on (the CLI's own, normally).
    pub python: PathBuf,
    /// Facts only Python knows: versions, platform, the command line.
    pub meta: RunMeta,
    /// Watch mode: the files its events named (root-relative); selects as
    /// `changed` does, with these paths instead of git's.
    pub changed_paths: Option<Vec<String>>,
    /// Environment the workers get besides the config's: what the CLI's
    /// `--cov` options set up (`dbtest/cli/coverage_setup.py`). Workers
    /// started ahead of the run are adopted only with the same.
    pub worker_env: Vec<(String, String)>,

    // The run options.
    pub pattern: Option<String>,
    /// As given: each may list several, separated by commas (`--tags a,b`).
    pub tags: Vec<String>,
    pub expr: Option<String>,
    /// `-m`: pytest's mark expression.
    pub markexpr: Option<String>,
    pub workers: Option<u32>,
    pub async_concurrency: Option<u32>,
    pub timeout: Option<f64>,
    pub setup_timeout: Option<f64>,
    pub slow_timeout: Option<f64>,
    pub run_timeout: Option<f64>,
    pub retries: Option<u32>,
    pub fail_fast: bool,
    pub max_fail: Option<u32>,
    /// `-s`: output goes straight through.
    pub no_capture: bool,
    pub last_failed: bool,
    pub failed_first: bool,
    /// `--changed [REF]`: only what the changes since REF affect.
    pub changed: Option<String>,
    /// `--doctest-modules`: on, whatever the config says.
    pub doctest_modules: bool,
    /// `--shuffle`: random order, from `seed` (see [`crate::order`]).
    pub shuffle: bool,
    /// `--seed`: a number, or `last`; implies `shuffle`.
    pub seed: Option<String>,
    pub partition: Option<String>,
    pub bench_time: Option<f64>,
    pub bench_min_samples: Option<u32>,
    pub bench_warmup: Option<f64>,
    pub bench_processes: Option<u32>,
    /// `--bench-equivalence` as given (`2%`, `2`): parsed in `prepare`.
    pub bench_equivalence: Option<String>,
    pub quick: bool,
    pub bench_memory: bool,
    /// `time` (the default) or `instructions` (valgrind's callgrind).
    pub instrument: Option<String>,
}

impl RunRequest {
    /// `tags` split at commas, blanks dropped.
    pub fn tag_list(&self) -> Vec<String> {
        crate::filter::split_tags(&self.tags)
    }
}

/// The selection as the worker needs it to decide, after import, the items
/// whose tags are computed (see `filter::Selector::verdict`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FilterRequest {
    pub pattern: Option<String>,
    pub tags: Vec<String>,
    pub expr: Option<String>,
    pub mode: String,
    pub integration_dirs: Vec<String>,
    pub integration_tags: Vec<String>,
}

impl FilterRequest {
    fn from_spec(spec: &FilterSpec, mode: &str) -> FilterRequest {
        FilterRequest {
            pattern: spec.pattern.clone(),
            tags: spec.tags.clone(),
            expr: spec.expr.clone(),
            mode: mode.to_string(),
            integration_dirs: spec.integration_dirs.clone(),
            integration_tags: spec.integration_tags.clone(),
        }
    }

    /// The selector it describes.
    pub fn selector(&self) -> Result<Selector, UsageError> {
        let mode: Mode = if self.mode.is_empty() {
            Mode::All
        } else {
            self.mode.parse()?
        };
        let expr = self.expr.clone().unwrap_or_default();
        Selector::new(FilterSpec {
            pattern: self.pattern.clone(),
            tags: self.tags.clone(),
            expr: self.expr.clone(),
            // Already in `expr` (`configured` put it there).
            markexpr: None,
            mode,
            integration_dirs: self.integration_dirs.clone(),
            integration_tags: self.integration_tags.clone(),
        })
        .map_err(|source| UsageError::Filter { source, expr })
    }
}

/// A run ready to start.
pub struct Prepared {
    pub root: PathBuf,
    pub selected: Vec<TestItem>,
    pub collection_errors: Vec<CollectionError>,
    /// Classes that look like tests and are not collected (said, not dropped).
    pub uncollected: Vec<Uncollected>,
    pub config: SchedulerConfig,
    pub units: Vec<Unit>,
    pub history: History,
    pub meta: RunMeta,
    pub capture: bool,
    pub python: PathBuf,
    /// The config's `durations` (how many slowest tests to show), for the
    /// console when the command line does not say.
    pub durations: Option<u32>,
    /// Things the user should know before the run (one line each): options
    /// of the pytest configuration dbtest does not apply.
    pub warnings: Vec<String>,
    /// With `--changed` or in watch mode: what changed, and why everything
    /// is selected when it is (one line each).
    pub notes: Vec<String>,
    /// What the workers take from the pytest configuration (environment).
    worker_env: Vec<(String, String)>,
    /// How many were selected before `--partition` took this shard's share:
    /// an empty shard is fine, an empty selection is not.
    pub selected_unsharded: usize,
    /// `git rev-parse HEAD`, asked on a thread of its own: a process start
    /// (~5 ms) that nothing needs before the report.
    git_commit: Mutex<Option<JoinHandle<Option<String>>>>,
}

/// Async units per worker unless configured. I/O-bound tests overlap their
/// waiting; 16 keeps a worker's connections and sockets within what a local
/// database or service accepts by default (PostgreSQL allows 100).
pub const DEFAULT_ASYNC_CONCURRENCY: u32 = 16;

/// Turn a request into a plan. Errors are the user's (bad config, filter,
/// path or partition): one message, exit code 4.
pub fn prepare(req: &RunRequest) -> Result<Prepared, UsageError> {
    let cwd = if req.cwd.as_os_str().is_empty() {
        std::env::current_dir().map_err(UsageError::CurrentDir)?
    } else {
        req.cwd.clone()
    };
    // The same config, discovery and selection as `dbtest list`.
    let mode_name = req.mode.as_deref().unwrap_or("all");
    let tags = req.tag_list();
    let spec = FilterSpec {
        pattern: req.pattern.clone(),
        tags: tags.clone(),
        expr: req.expr.clone(),
        markexpr: req.markexpr.clone(),
        mode: mode_name.parse()?,
        ..FilterSpec::default()
    };
    let cfg = match take_early_config(&cwd) {
        Some(cfg) => cfg,
        None => config::load(&cwd)?,
    };
    let listed = list::list_with(
        &ListRequest {
            start_dir: cwd,
            paths: req.paths.clone(),
            filter: spec.clone(),
            full_parse: false,
            changed: changed_request(req),
            doctest_modules: req.doctest_modules,
        },
        cfg,
    )?;
    let notes = listed
        .affected
        .as_ref()
        .map(change_notes)
        .unwrap_or_default();
    let cfg = listed.config;
    let found = listed.discovery;
    let filter_request = FilterRequest::from_spec(&list::configured(&spec, &cfg), mode_name);
    let mut selected = found.items;
    if let Some(ids) = &req.ids {
        selected = select_ids(&selected, ids);
    }

    let history = cache::load(&found.root);
    if req.last_failed && !history.failed.is_empty() {
        // As pytest does: with no recorded failures, --lf runs everything.
        let failed: Vec<String> = history.failed.iter().cloned().collect();
        selected = select_ids(&selected, &failed);
    }
    let selected_unsharded = selected.len();
    if let Some(p) = &req.partition {
        let spec = PartitionSpec::parse(p)?;
        selected = partition(&selected, spec, Some(&history.durations));
    }

    let instrument = bench::instrument::resolve(req.instrument.as_deref())?;
    let seed = order::resolve(req.shuffle, req.seed.as_deref(), &found.root)?;
    let workers = worker_count(req.workers, &cfg);
    let max_fail = if req.fail_fast || cfg.fail_fast == Some(true) {
        Some(1)
    } else {
        req.max_fail.or(cfg.max_fail)
    };
    let sched = SchedulerConfig {
        workers,
        async_concurrency: req
            .async_concurrency
            .or(cfg.async_concurrency)
            .unwrap_or(DEFAULT_ASYNC_CONCURRENCY)
            .max(1),
        timeout: req.timeout.or(cfg.timeout),
        setup_timeout: req.setup_timeout.or(cfg.setup_timeout),
        slow_timeout: Some(
            req.slow_timeout
                .or(cfg.slow_timeout)
                .unwrap_or(crate::scheduler::state::DEFAULT_SLOW_TIMEOUT),
        ),
        run_timeout: req.run_timeout.or(cfg.run_timeout),
        shutdown_grace: cfg
            .teardown_timeout
            .unwrap_or(SchedulerConfig::default().shutdown_grace),
        retries: req.retries.or(cfg.retries).unwrap_or(0),
        max_fail,
        bench_equivalence: equivalence(req.bench_equivalence.as_deref(), instrument.0)?,
        bench: bench_options(req, &cfg, instrument),
        refine: serde_json::to_value(&filter_request).ok(),
        seed,
        names: worker_names(&cfg.names),
        ..SchedulerConfig::default()
    };
    let mut planned = match seed {
        None => build_units(&selected, workers, &history.durations),
        Some(seed) => {
            let mut shuffled = selected.clone();
            order::shuffle_items(&mut shuffled, seed);
            let mut units = build_units(&shuffled, workers, &Default::default());
            order::shuffle_units(&mut units, seed);
            units
        }
    };
    if req.failed_first {
        let first: HashSet<String> = history.failed.iter().cloned().collect();
        let next_id = planned.iter().map(|u| u.id).max().unwrap_or(0) + 1;
        units::failed_first(&mut planned, &first, next_id);
    }

    let mut meta = req.meta.clone();
    meta.workers = workers;
    meta.seed = seed;
    meta.selection = Selection {
        paths: req.paths.clone(),
        pattern: req.pattern.clone(),
        tags,
        filter: req.expr.clone(),
        partition: req.partition.clone(),
        mode: req.mode.clone().unwrap_or_else(|| "all".into()),
    };
    let git_root = found.root.clone();
    let git_commit = std::thread::spawn(move || bench::baseline::git_commit(&git_root));

    let hooks =
        crate::discovery::conftest::warnings(&found.root, selected.iter().map(|i| i.path.as_str()));
    let warnings = [pytest_warnings(&cfg), hooks].concat();
    Ok(Prepared {
        root: found.root,
        selected,
        uncollected: found
            .files
            .iter()
            .flat_map(|f| f.uncollected.iter().cloned())
            .collect(),
        collection_errors: found.errors,
        config: sched,
        units: planned,
        history,
        meta,
        capture: !req.no_capture,
        python: if req.python.as_os_str().is_empty() {
            PathBuf::from("python3")
        } else {
            req.python.clone()
        },
        durations: cfg.durations,
        warnings,
        notes,
        worker_env: [pytest_env(&cfg), req.worker_env.clone()].concat(),
        selected_unsharded,
        git_commit: Mutex::new(Some(git_commit)),
    })
}

/// Where a run's changed files come from: watch mode's paths, else git's.
fn changed_request(req: &RunRequest) -> Option<Changed> {
    match (&req.changed_paths, &req.changed) {
        (Some(paths), _) => Some(Changed::Paths(paths.clone())),
        (None, Some(reference)) => Some(Changed::Since(reference.clone())),
        (None, None) => None,
    }
}

/// What changed, and why everything is selected when it is.
fn change_notes(a: &Affected) -> Vec<String> {
    let mut notes = vec![a.header()];
    notes.extend(
        a.everything
            .iter()
            .map(|why| format!("everything selected: {why}")),
    );
    notes
}

/// The one warning about the pytest configuration dbtest does not apply.
fn pytest_warnings(cfg: &Config) -> Vec<String> {
    let Some(py) = cfg.pytest.as_ref().filter(|p| !p.ignored.is_empty()) else {
        return Vec::new();
    };
    let name = py
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    vec![format!(
        "not applied from the pytest configuration in {}: {}",
        name.unwrap_or_default(),
        py.ignored.join(", ")
    )]
}

/// The name rules for the workers, unless they are pytest's defaults (which
/// the worker then asks the binding for).
fn worker_names(names: &crate::config::names::PythonNames) -> Option<serde_json::Value> {
    (!names.is_default()).then(|| {
        serde_json::json!({
            "classes": names.classes.patterns(),
            "functions": names.functions.patterns(),
        })
    })
}

/// `xfail_strict` and `filterwarnings` of the pytest configuration, and the
/// doctest option flags, for the workers that apply them
/// (`dbtest/compat/settings.py`).
fn pytest_env(cfg: &Config) -> Vec<(String, String)> {
    let mut env = Vec::new();
    if cfg.doctest_optionflags != crate::config::DEFAULT_DOCTEST_FLAGS {
        let flags = cfg.doctest_optionflags.join(",");
        env.push(("DBTEST_DOCTEST_OPTIONFLAGS".into(), flags));
    }
    let Some(py) = &cfg.pytest else {
        return env;
    };
    if py.xfail_strict {
        env.push(("DBTEST_XFAIL_STRICT".into(), "1".into()));
    }
    if !py.filterwarnings.is_empty() {
        let list = serde_json::to_string(&py.filterwarnings).unwrap_or_default();
        env.push(("DBTEST_FILTERWARNINGS".into(), list));
    }
    env
}

/// The equivalence margin, a fraction: `--bench-equivalence` as given, else
/// the instrument's default (`bench::paired::default_equivalence`).
pub fn equivalence(
    given: Option<&str>,
    instrument: bench::instrument::Instrument,
) -> Result<f64, bench::compare::ThresholdError> {
    match given {
        Some(text) => bench::compare::parse_percent(text, "equivalence margin"),
        None => Ok(bench::paired::default_equivalence(instrument)),
    }
}

/// The measuring options the bench worker reads (`dbtest/benchmark/runner.py`):
/// the command line's, and under `config` the config's `bench-time`,
/// `bench-min-samples` and `bench-warmup`, which rank below a group's own
/// keywords.
fn bench_options(
    req: &RunRequest,
    cfg: &Config,
    (instrument, valgrind): (bench::instrument::Instrument, Option<PathBuf>),
) -> Option<serde_json::Value> {
    use serde_json::{Map, Value};
    // The three a group's keywords and the config may also set.
    let measuring = |time: Option<f64>, min_samples: Option<u32>, warmup: Option<f64>| {
        [
            ("time", time.map(Value::from)),
            ("min_samples", min_samples.map(Value::from)),
            ("warmup", warmup.map(Value::from)),
        ]
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_string(), value?)))
        .collect::<Map<String, Value>>()
    };
    let mut options = measuring(req.bench_time, req.bench_min_samples, req.bench_warmup);
    if let Some(n) = req.bench_processes {
        options.insert("processes".into(), n.into());
    }
    for (key, on) in [("quick", req.quick), ("memory", req.bench_memory)] {
        if on {
            options.insert(key.into(), true.into());
        }
    }
    if let Some(name) = instrument.field() {
        // The measuring processes run under this valgrind (instrument.py).
        options.insert("instrument".into(), name.into());
        if let Some(v) = valgrind {
            options.insert("valgrind".into(), v.display().to_string().into());
        }
    }
    let defaults = measuring(cfg.bench_time, cfg.bench_min_samples, cfg.bench_warmup);
    if !defaults.is_empty() {
        options.insert("config".into(), Value::Object(defaults));
    }
    (!options.is_empty()).then_some(Value::Object(options))
}

/// Keep the items named by `ids`: exact ids, prefixes (a file, a suite, all
/// cases of a test), and cases of dynamic items known only after import.
pub fn select_ids(items: &[TestItem], ids: &[String]) -> Vec<TestItem> {
    let mut out: Vec<TestItem> = Vec::new();
    let mut seen = HashSet::new();
    for q in ids {
        let mut matched = false;
        for it in items.iter().filter(|it| ids::is_under(&it.id, q)) {
            matched = true;
            if seen.insert(it.id.clone()) {
                out.push(it.clone());
            }
        }
        if !matched {
            if let Some(it) = items.iter().find(|it| ids::is_under(q, &it.id)) {
                if it.has_import_cases() {
                    // `q` is a case of an item the parse could not expand.
                    if seen.insert(q.clone()) {
                        out.push(it.case(q));
                    }
                } else if seen.insert(it.id.clone()) {
                    // Something the item reported under it, such as a
                    // unittest subtest (`test_x[i=1]`): the item runs again.
                    out.push(it.clone());
                }
            }
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// Start the workers of a run that is about to be requested, so their
/// start-up overlaps the CLI's own (see [`crate::scheduler::prewarm`]).
/// Returns how many were started; a config error starts none (the run
/// itself will report it). `extra_env` is the request's `worker_env`.
pub fn prewarm(
    cwd: &Path,
    python: &Path,
    workers: Option<u32>,
    capture: bool,
    extra_env: &[(String, String)],
) -> u32 {
    let Some((n, launcher)) = early_launcher(cwd, python, workers, capture, extra_env) else {
        return 0;
    };
    match crate::scheduler::prewarm(&launcher, n) {
        Ok(()) => n,
        Err(_) => 0,
    }
}

/// The config read to start the workers ahead of the run, for the run to
/// use rather than read the file a second time: taken once, by the first
/// run (or early start) from the same directory.
static EARLY_CONFIG: Mutex<Option<(PathBuf, Config)>> = Mutex::new(None);

fn keep_early_config(cwd: &Path, cfg: &Config) {
    if let Ok(mut slot) = EARLY_CONFIG.lock() {
        *slot = Some((std::path::absolute(cwd).unwrap_or_default(), cfg.clone()));
    }
}

fn take_early_config(cwd: &Path) -> Option<Config> {
    let mut slot = EARLY_CONFIG.lock().ok()?;
    let (dir, _) = slot.as_ref()?;
    if *dir != std::path::absolute(cwd).ok()? {
        return None;
    }
    slot.take().map(|(_, cfg)| cfg)
}

/// How many workers to start before the run is planned, and the launcher
/// the run will use; `None` on a config error (the run itself reports it).
fn early_launcher(
    cwd: &Path,
    python: &Path,
    workers: Option<u32>,
    capture: bool,
    extra_env: &[(String, String)],
) -> Option<(u32, ProcessLauncher)> {
    let cfg = match take_early_config(cwd) {
        Some(cfg) => cfg,
        None => config::load(cwd).ok()?,
    };
    keep_early_config(cwd, &cfg);
    // At most 64: an optimisation must not flood a machine on a typo.
    let n = worker_count(workers, &cfg).min(64);
    Some((
        n,
        launcher_for(
            python,
            &cfg.root,
            capture,
            &[pytest_env(&cfg), extra_env.to_vec()].concat(),
        ),
    ))
}

/// What the CLI's zygote needs to fork the coming run's workers itself
/// (see [`crate::scheduler::adopt_forked`]): how many, the directory they
/// run in and the environment they add. `None` on a config error.
pub struct PreforkPlan {
    pub workers: u32,
    pub root: std::path::PathBuf,
    pub env: Vec<(String, String)>,
}

/// The plan for forking the workers [`prewarm`] would start.
pub fn prefork_plan(
    cwd: &Path,
    python: &Path,
    workers: Option<u32>,
    capture: bool,
    extra_env: &[(String, String)],
) -> Option<PreforkPlan> {
    let (workers, launcher) = early_launcher(cwd, python, workers, capture, extra_env)?;
    Some(PreforkPlan {
        workers,
        root: launcher.cwd,
        env: launcher.env,
    })
}

/// Pool the workers forked for a [`prefork_plan`] (its python, root and
/// environment), for the run's launcher to adopt (Unix: see `prefork.py`).
#[cfg(unix)]
pub fn adopt_forked(
    python: &Path,
    root: &Path,
    env: Vec<(String, String)>,
    zygote: i32,
    status: std::os::fd::OwnedFd,
    pipes: Vec<[std::os::fd::OwnedFd; 3]>,
) -> std::io::Result<()> {
    // The plan's own environment, as they were forked with it: the run's
    // launcher (the same `launcher_for`) has the same key.
    let mut launcher = ProcessLauncher::new(python.to_path_buf(), root.to_path_buf());
    launcher.env = env;
    crate::scheduler::adopt_forked(&launcher, zygote, status, pipes)
}

/// Workers of a run: asked for, else the config's, else one per core.
fn worker_count(requested: Option<u32>, cfg: &Config) -> u32 {
    requested
        .or(cfg.workers)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get() as u32)
                .unwrap_or(1)
        })
        .max(1)
}

fn launcher_for(
    python: &Path,
    root: &Path,
    capture: bool,
    env: &[(String, String)],
) -> ProcessLauncher {
    let mut launcher = ProcessLauncher::new(python.to_path_buf(), root.to_path_buf());
    if !capture {
        launcher.env.push(("DBTEST_CAPTURE".into(), "0".into()));
    }
    // Started ahead of the run or by it, a worker gets the same environment.
    launcher.env.extend(env.iter().cloned());
    launcher
}

/// Carry a prepared run out on this thread: announce it (`RunStarted`),
/// drive the scheduler until it ends, build the report and hand it to
/// `keep`, then say `RunFinished`. The report is kept before the last
/// event, so a reader that sees `run_finished` can always ask for it.
pub fn execute(
    prepared: Prepared,
    launcher: Arc<dyn Launcher>,
    events: std::sync::mpsc::Sender<Event>,
    control: tokio::sync::mpsc::UnboundedReceiver<Control>,
    keep: impl FnOnce(RunReport),
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = events.send(Event::RunError {
                scope: "run".into(),
                message: format!("cannot start the scheduler's runtime: {e}"),
                traceback: None,
            });
            return;
        }
    };
    let start = unix_now();
    let clock = std::time::Instant::now();
    let _ = events.send(Event::RunStarted {
        selected: prepared.selected.clone(),
        collection_errors: prepared.collection_errors.clone(),
        workers: prepared.config.workers,
        seed: prepared.config.seed,
    });
    let (state, first) = prepared.start_state();
    let state = runtime.block_on(drive(state, first, launcher, events.clone(), control));
    let duration = clock.elapsed().as_secs_f64();
    let report = prepared.finish(&state, start, duration);
    let finished = Event::run_finished(&report);
    keep(report);
    let _ = events.send(finished);
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl Prepared {
    /// The scheduler's initial state for this plan.
    pub fn start_state(&self) -> (State, Vec<crate::scheduler::Action>) {
        State::new(self.config.clone(), &self.selected, self.units.clone())
    }

    /// The environment every worker of this plan gets besides the
    /// inherited one (the pytest configuration's, the request's): a worker
    /// in this process (`--in-process`) applies it to itself.
    pub fn worker_env(&self) -> &[(String, String)] {
        &self.worker_env
    }

    /// Real worker processes for this plan.
    pub fn process_launcher(&self) -> ProcessLauncher {
        launcher_for(&self.python, &self.root, self.capture, &self.worker_env)
    }

    /// The report of a finished (or interrupted) run; updates `.dbtest/`.
    pub fn finish(&self, state: &State, start: f64, duration: f64) -> RunReport {
        let mut tests = state.records().to_vec();
        tests.sort_by(|a, b| a.id.cmp(&b.id));
        // One result per entry: a unit run again after a crash measures its
        // group's baseline again; the last measurement stands.
        let mut raw: Vec<RawBenchResult> = Vec::new();
        for r in state.bench_raw() {
            raw.retain(|x| x.id != r.id);
            raw.push(r.clone());
        }
        let mut meta = self.meta.clone();
        if let Some(handle) = self.git_commit.lock().ok().and_then(|mut g| g.take()) {
            meta.git_commit = handle.join().ok().flatten();
        }
        meta.start = start;
        meta.duration = duration;
        meta.interrupted = state.interrupted();
        // A cache that cannot be written costs speed next time, nothing else.
        let sharded = self.meta.selection.partition.is_some();
        let _ = cache::update(&self.root, &self.history, &tests, !sharded);
        let mut report = RunReport {
            schema_version: SCHEMA_VERSION,
            meta,
            summary: Summary::default(),
            tests,
            collection_errors: self.collection_errors.clone(),
            uncollected: self.uncollected.clone(),
            run_errors: state.run_errors().to_vec(),
            benchmarks: bench::analyze(&raw, self.config.bench_equivalence),
            slow: state
                .slow()
                .iter()
                .map(|(what, seconds)| SlowNote {
                    what: what.clone(),
                    seconds: *seconds,
                })
                .collect(),
        };
        report.recompute_summary();
        report
    }
}
