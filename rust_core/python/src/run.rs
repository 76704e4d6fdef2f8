//! Runs: `start_run(request_json)` prepares a run in the engine and drives
//! it on a Tokio runtime in a thread of its own; Python reads the events in
//! batches (JSON arrays) from the returned `RunHandle`, blocking with the
//! GIL released, or awaiting through pyo3-async-runtimes.

use crate::errors::usage_error;
use dbtest_engine::bench::baseline;
use dbtest_engine::events::{Event, Progress};
use dbtest_engine::report::{CoverageUnder, Gates, RunReport};
use dbtest_engine::scheduler::{Control, Launcher, WorkerEvent, WorkerEventKind, WorkerHandle};
use dbtest_engine::session::{self, prepare, RunRequest};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use std::io;
use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// Events handed to Python in one batch at most: large enough that 10,000
/// trivial tests cost few crossings, small enough to keep a UI live.
const MAX_BATCH: usize = 2048;

/// After the first event of a batch, how long to let more gather. Without
/// it, 10,000 trivial tests crossed into Python as ~2,500 batches of a few
/// events; a console or the TUI does not see 5 ms.
const LINGER: Duration = Duration::from_millis(5);

fn drain(rx: &Receiver<Event>, batch: &mut Vec<Event>) {
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(e) => batch.push(e),
            Err(_) => break,
        }
    }
}

#[pyclass(module = "dbtest._core")]
pub struct RunHandle {
    events: Arc<Mutex<Receiver<Event>>>,
    control: mpsc::UnboundedSender<Control>,
    report: Arc<Mutex<Option<RunReport>>>,
    selected: usize,
    root: String,
    durations: Option<u32>,
    warnings: Vec<String>,
    notes: Vec<String>,
    selected_unsharded: usize,
    /// `--bench-equivalence`, for comparisons with a saved baseline.
    bench_equivalence: f64,
}

fn next_batch_blocking(
    events: &Mutex<Receiver<Event>>,
    timeout: Duration,
    progress: bool,
) -> Result<Option<String>, String> {
    let rx = events
        .lock()
        .map_err(|_| "event stream poisoned".to_string())?;
    let first = match rx.recv_timeout(timeout) {
        Ok(e) => e,
        Err(RecvTimeoutError::Timeout) => return Ok(Some("[]".into())),
        Err(RecvTimeoutError::Disconnected) => return Ok(None),
    };
    let mut batch = vec![first];
    drain(&rx, &mut batch);
    if batch.len() < MAX_BATCH && !batch.iter().any(|e| matches!(e, Event::RunFinished { .. })) {
        // Sleep rather than block on the channel: a blocked receiver is woken
        // (a futex call on both sides) for every single event.
        std::thread::sleep(LINGER);
        drain(&rx, &mut batch);
    }
    let json = if progress {
        let lean: Vec<Progress> = batch.iter().map(Progress).collect();
        serde_json::to_string(&lean)
    } else {
        serde_json::to_string(&batch)
    };
    json.map(Some).map_err(|e| e.to_string())
}

#[pymethods]
impl RunHandle {
    /// The next events as a JSON array (`"[]"` when `timeout` seconds pass
    /// with none), or None once the run is over and every event was read.
    /// `progress` gives the lean form of the events (`events::Progress`).
    #[pyo3(signature = (timeout, progress = false))]
    fn next_batch(&self, py: Python<'_>, timeout: f64, progress: bool) -> PyResult<Option<String>> {
        let events = self.events.clone();
        let t = Duration::from_secs_f64(timeout.max(0.0));
        py.detach(move || next_batch_blocking(&events, t, progress))
            .map_err(PyRuntimeError::new_err)
    }

    /// Awaitable form of `next_batch`, for asyncio consumers (the TUI).
    #[pyo3(signature = (timeout, progress = false))]
    fn next_batch_async<'py>(
        &self,
        py: Python<'py>,
        timeout: f64,
        progress: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let events = self.events.clone();
        let t = Duration::from_secs_f64(timeout.max(0.0));
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            tokio::task::spawn_blocking(move || next_batch_blocking(&events, t, progress))
                .await
                .map_err(|e| PyRuntimeError::new_err(e.to_string()))?
                .map_err(PyRuntimeError::new_err)
        })
    }

    /// Stop gracefully: nothing new starts, running tests are cancelled.
    fn cancel(&self) {
        let _ = self.control.send(Control::Cancel);
    }

    /// Stop now: workers are killed.
    fn kill(&self) {
        let _ = self.control.send(Control::Kill);
    }

    /// The report (JSON) once the run has finished.
    fn report_json(&self) -> Option<String> {
        let report = self.report.lock().ok()?;
        serde_json::to_string(report.as_ref()?).ok()
    }

    /// The report cut to what an end-of-run display shows (JSON): the
    /// failures and the `slowest` longest tests (`RunReport::highlights`).
    fn highlights_json(&self, slowest: usize) -> Option<String> {
        let report = self.report.lock().ok()?;
        serde_json::to_string(&report.as_ref()?.highlights(slowest)).ok()
    }

    /// The finished run's report rendered as `format` (json, markdown,
    /// junit, console), from the report itself rather than its JSON.
    fn render(&self, format: &str) -> PyResult<Option<String>> {
        let Ok(report) = self.report.lock() else {
            return Ok(None);
        };
        report
            .as_ref()
            .map(|r| dbtest_engine::report::render(r, format))
            .transpose()
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.0))
    }

    /// Save the finished run's benchmark results as the baseline `name`
    /// (`machine_json`: where they were measured); returns its path.
    /// Raises `UsageError` when it cannot be written.
    fn save_baseline(&self, name: &str, machine_json: &str) -> PyResult<Option<String>> {
        let machine: baseline::MachineInfo = serde_json::from_str(machine_json)
            .map_err(|e| PyRuntimeError::new_err(format!("invalid machine info: {e}")))?;
        let Some((benchmarks, commit)) = self.report.lock().ok().and_then(|r| {
            let r = r.as_ref()?;
            Some((r.benchmarks.clone(), r.meta.git_commit.clone()))
        }) else {
            return Ok(None);
        };
        baseline::save(Path::new(&self.root), name, machine, commit, benchmarks)
            .map(|p| Some(p.display().to_string()))
            .map_err(usage_error)
    }

    /// The finished run's benchmark results against the saved baseline
    /// `name` at `threshold` (a fraction): the comparison's JSON.
    fn compare_baseline(&self, name: &str, threshold: f64) -> PyResult<Option<String>> {
        let Ok(guard) = self.report.lock() else {
            return Ok(None);
        };
        let Some(report) = guard.as_ref() else {
            return Ok(None);
        };
        let compared = baseline::compare_with_saved(
            Path::new(&self.root),
            name,
            &report.benchmarks,
            threshold,
            self.bench_equivalence,
        )
        .map_err(usage_error)?;
        serde_json::to_string(&compared)
            .map(Some)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))
    }

    /// How the finished run ended (JSON of `report::Conclusion`: verdict,
    /// exit code, summary line), with `regressions` entries past
    /// `--fail-on-regression` and, when coverage.py found the total under
    /// `--cov-fail-under`, `coverage_under` = (the total as shown, the required percent).
    #[pyo3(signature = (regressions, coverage_under=None))]
    fn conclusion_json(
        &self,
        regressions: u64,
        coverage_under: Option<(String, f64)>,
    ) -> Option<String> {
        let gates = Gates {
            regressions,
            coverage_under: coverage_under
                .map(|(total, required)| CoverageUnder { total, required }),
        };
        let report = self.report.lock().ok()?;
        let conclusion = report.as_ref()?.conclusion(&gates, self.selected_unsharded);
        serde_json::to_string(&conclusion).ok()
    }

    /// How many tests and entries were selected.
    #[getter]
    fn selected(&self) -> usize {
        self.selected
    }

    /// The project root the run resolved (where `.dbtest/` lives).
    #[getter]
    fn root(&self) -> &str {
        &self.root
    }

    /// The config's `durations`: how many slowest tests to show, if set.
    #[getter]
    fn durations(&self) -> Option<u32> {
        self.durations
    }

    /// What the user should know before the run, one line each.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// What changed and why everything is selected (`--changed`, watch mode).
    #[getter]
    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }

    /// How many were selected before `--partition` (equal to `selected` without it).
    #[getter]
    fn selected_unsharded(&self) -> usize {
        self.selected_unsharded
    }
}

/// Prepare and start a run. Raises `UsageError` for bad input.
#[pyfunction]
#[pyo3(signature = (request_json, in_process = false))]
fn start_run(py: Python<'_>, request_json: &str, in_process: bool) -> PyResult<RunHandle> {
    let mut request: RunRequest = serde_json::from_str(request_json)
        .map_err(|e| PyRuntimeError::new_err(format!("bad run request: {e}")))?;
    if in_process {
        // One worker thread: threads of one interpreter share sys.modules, so
        // two would race importing the same test file (and share the GIL anyway).
        request.workers = Some(1);
    }
    let prepared = py.detach(|| prepare(&request)).map_err(usage_error)?;
    let selected = prepared.selected.len();
    let root = prepared.root.to_string_lossy().into_owned();
    let durations = prepared.durations;
    let warnings = prepared.warnings.clone();
    let notes = prepared.notes.clone();
    let selected_unsharded = prepared.selected_unsharded;
    let bench_equivalence = prepared.config.bench_equivalence;
    let launcher: Arc<dyn Launcher> = if in_process {
        Arc::new(InProcessLauncher {
            root: root.clone(),
            capture: prepared.capture,
            env: prepared.worker_env().to_vec(),
        })
    } else {
        Arc::new(prepared.process_launcher())
    };

    let (etx, erx) = std::sync::mpsc::channel::<Event>();
    let (ctx, crx) = mpsc::unbounded_channel::<Control>();
    let report = Arc::new(Mutex::new(None));
    let report_slot = report.clone();
    std::thread::Builder::new()
        .name("dbtest-scheduler".into())
        .spawn(move || {
            session::execute(prepared, launcher, etx, crx, |r| {
                if let Ok(mut slot) = report_slot.lock() {
                    *slot = Some(r);
                }
            })
        })
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start the scheduler: {e}")))?;
    Ok(RunHandle {
        events: Arc::new(Mutex::new(erx)),
        control: ctx,
        report,
        selected,
        root,
        durations,
        warnings,
        notes,
        selected_unsharded,
        bench_equivalence,
    })
}

/// `--in-process`: the worker is a thread of this process running the same
/// `dbtest.worker.serve` loop over an in-memory connection.
struct InProcessLauncher {
    root: String,
    /// `-s` turns capture off (a process worker reads DBTEST_CAPTURE).
    capture: bool,
    /// What a process worker would find in its environment.
    env: Vec<(String, String)>,
}

#[pyclass(module = "dbtest._core")]
struct InProcessConnection {
    requests: Mutex<mpsc::UnboundedReceiver<String>>,
    events: mpsc::UnboundedSender<WorkerEvent>,
    slot: u32,
    gen: u64,
}

#[pymethods]
impl InProcessConnection {
    /// Next request line, or None when the scheduler is done with us.
    fn recv(&self, py: Python<'_>) -> Option<String> {
        py.detach(|| self.requests.lock().ok()?.blocking_recv())
    }

    /// One or more message lines (the worker may send several at once).
    fn send(&self, data: &str) {
        for line in data.lines().filter(|l| !l.trim().is_empty()) {
            let _ = self.events.send(WorkerEvent {
                slot: self.slot,
                gen: self.gen,
                kind: WorkerEventKind::Line(line.to_string()),
            });
        }
    }

    /// The worker loop ended (`how` says how).
    fn close(&self, how: String) {
        let _ = self.events.send(WorkerEvent {
            slot: self.slot,
            gen: self.gen,
            kind: WorkerEventKind::Exited(how),
        });
    }
}

impl Launcher for InProcessLauncher {
    fn launch(
        &self,
        slot: u32,
        gen: u64,
        events: mpsc::UnboundedSender<WorkerEvent>,
    ) -> io::Result<WorkerHandle> {
        let (tx, rx) = mpsc::unbounded_channel::<String>();
        let conn = InProcessConnection {
            requests: Mutex::new(rx),
            events: events.clone(),
            slot,
            gen,
        };
        Python::attach(|py| -> PyResult<()> {
            let worker = py.import("dbtest.worker")?;
            worker.call_method1(
                "serve_in_thread",
                (
                    Py::new(py, conn)?,
                    self.root.clone(),
                    self.capture,
                    self.env.clone(),
                ),
            )?;
            Ok(())
        })
        .map_err(|e| io::Error::other(e.to_string()))?;
        // A thread cannot be killed: closing its requests makes it stop after
        // the test it runs, and the scheduler goes on without waiting.
        let kill_events = events;
        let tx_for_kill = tx.clone();
        Ok(WorkerHandle {
            pid: std::process::id(),
            input: tx,
            kill: Box::new(move || {
                let _ = tx_for_kill.send("{\"op\":\"cancel\"}\n".into());
                let _ = kill_events.send(WorkerEvent {
                    slot,
                    gen,
                    kind: WorkerEventKind::Exited("stopped (in-process worker)".into()),
                });
            }),
        })
    }
}

/// Start the workers of the coming run now (see `session::prewarm`).
#[pyfunction]
#[pyo3(signature = (python, workers = None, capture = true, env = Vec::new()))]
fn prewarm_workers(
    py: Python<'_>,
    python: String,
    workers: Option<u32>,
    capture: bool,
    env: Vec<(String, String)>,
) -> u32 {
    py.detach(|| {
        let cwd = std::env::current_dir().unwrap_or_default();
        let python = std::path::Path::new(&python);
        dbtest_engine::session::prewarm(&cwd, python, workers, capture, &env)
    })
}

/// Workers, root directory and added environment of a prefork plan.
type PlanTuple = (u32, String, Vec<(String, String)>);

/// `(workers, root, env)` for forking the coming run's workers (see
/// `session::prefork_plan`); `None` on a config error.
#[pyfunction]
#[pyo3(signature = (python, workers = None, capture = true, env = Vec::new()))]
fn prefork_plan(
    python: String,
    workers: Option<u32>,
    capture: bool,
    env: Vec<(String, String)>,
) -> Option<PlanTuple> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let plan = dbtest_engine::session::prefork_plan(
        &cwd,
        std::path::Path::new(&python),
        workers,
        capture,
        &env,
    )?;
    Some((
        plan.workers,
        plan.root.to_string_lossy().into_owned(),
        plan.env,
    ))
}

/// Become the reaper of orphaned descendants (Linux); whether it worked.
#[pyfunction]
fn become_subreaper() -> bool {
    dbtest_engine::scheduler::become_subreaper()
}

/// Hand the forked workers to the coming run. Takes ownership of every
/// descriptor: `status` and, per worker, `(stdin, stdout, stderr)`. Unix
/// only: elsewhere `prefork.py` never forks, and the module has no such
/// function.
#[cfg(unix)]
#[pyfunction]
fn adopt_forked(
    python: String,
    root: String,
    env: Vec<(String, String)>,
    zygote: i32,
    status: i32,
    pipes: Vec<(i32, i32, i32)>,
) -> PyResult<()> {
    use std::os::fd::{FromRawFd, OwnedFd};
    // SAFETY: the caller hands over descriptors it opened and no longer uses.
    let own = |fd: i32| unsafe { OwnedFd::from_raw_fd(fd) };
    let pipes = pipes
        .into_iter()
        .map(|(i, o, e)| [own(i), own(o), own(e)])
        .collect();
    dbtest_engine::session::adopt_forked(
        std::path::Path::new(&python),
        std::path::Path::new(&root),
        env,
        zygote,
        own(status),
        pipes,
    )
    .map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(prewarm_workers, m)?)?;
    m.add_function(wrap_pyfunction!(prefork_plan, m)?)?;
    m.add_function(wrap_pyfunction!(become_subreaper, m)?)?;
    #[cfg(unix)]
    m.add_function(wrap_pyfunction!(adopt_forked, m)?)?;
    m.add_class::<RunHandle>()?;
    m.add_class::<InProcessConnection>()?;
    m.add_function(wrap_pyfunction!(start_run, m)?)?;
    Ok(())
}
