//! The scheduler's state machine, free of I/O and clocks.
//!
//! The driver feeds it what happens (a worker is ready, a message arrived, a
//! worker exited, time passed, the user pressed Ctrl-C) and carries out the
//! [`Action`]s it returns (start a worker, send it a request, kill it, emit an
//! event). Keeping it pure is what lets the tests drive every fault with a
//! fake worker, and the invariant it guards is simple to state: every selected
//! test ends with exactly one final record.

use super::protocol::{Finished, Message, Request, Started};
use super::units::Unit;
use crate::bench::RawBenchResult;
use crate::discovery::id_has_prefix;
use crate::events::Event;
use crate::record::{Outcome, TestRecord};
use crate::report::RunError;
use crate::tree::{ItemKind, TestItem};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

/// Tunables of one run.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    pub workers: u32,
    /// Async units one worker runs at once.
    pub async_concurrency: u32,
    /// Default per-test timeout, seconds.
    pub timeout: Option<f64>,
    /// Default retries for crashed and killed tests (the executor retries the rest).
    pub retries: u32,
    /// Stop after this many failures (`-x` is 1).
    pub max_fail: Option<u32>,
    /// How long past its timeout an async test may go before its worker is killed
    /// (the executor cancels it at the timeout; this covers a blocked loop).
    pub kill_grace: f64,
    /// How long a cancelled run waits for running tests before killing workers.
    pub cancel_grace: f64,
    /// How long workers get for module and session teardown after the
    /// last test (`teardown-timeout`).
    pub shutdown_grace: f64,
    /// Bytes of output kept per test and stream for crash reports.
    pub max_output: usize,
    /// Measuring options passed to benchmark units.
    pub bench: Option<serde_json::Value>,
    /// The run's filter (a `session::FilterRequest`), for the worker to
    /// decide items whose tags are only known after import.
    pub refine: Option<serde_json::Value>,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            workers: 2,
            async_concurrency: 16,
            timeout: None,
            retries: 0,
            max_fail: None,
            kill_grace: 2.0,
            cancel_grace: 5.0,
            shutdown_grace: 30.0,
            max_output: 1 << 20,
            bench: None,
            refine: None,
        }
    }
}

/// What the driver must do.
// Actions live for one turn of the loop; boxing the big one would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Spawn { slot: u32 },
    Send { slot: u32, request: Request },
    Kill { slot: u32 },
    Emit(Event),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotState {
    /// No process.
    Empty,
    Starting,
    Ready,
    /// Asked to shut down.
    Stopping,
}

#[derive(Debug, Clone, PartialEq)]
enum KillCause {
    Timeout {
        id: String,
        after: f64,
    },
    Cancel,
    /// Did not exit after `shutdown`.
    Shutdown,
}

#[derive(Debug, Clone)]
struct Running {
    attempt: u32,
    started_at: f64,
    start_unix: f64,
    timeout: Option<f64>,
    sync: bool,
    stdout: String,
    stderr: String,
}

#[derive(Debug, Clone)]
struct Flight {
    unit: Unit,
    /// Dispatch order: of a worker's exclusive units, only the earliest runs;
    /// the others wait in the worker's queue.
    seq: u64,
    /// Records received per requested id.
    got: BTreeMap<String, u32>,
    running: BTreeMap<String, Running>,
}

#[derive(Debug)]
struct Slot {
    state: SlotState,
    pid: u32,
    /// Has this slot's current process ever been ready?
    was_ready: bool,
    /// Has this slot ever had a process (for `worker_replaced`)?
    had_process: bool,
    flights: BTreeMap<u64, Flight>,
    kill: Option<KillCause>,
    /// Raw fd-level output before the worker got ready (start-up errors).
    startup_output: String,
    /// When the worker said its teardown was done (`closed`), and the
    /// non-daemon threads it still had then, which its exit waits for.
    closed_at: Option<f64>,
    lingering: Vec<String>,
}

impl Slot {
    fn new() -> Slot {
        Slot {
            state: SlotState::Empty,
            pid: 0,
            was_ready: false,
            had_process: false,
            flights: BTreeMap::new(),
            kill: None,
            startup_output: String::new(),
            closed_at: None,
            lingering: Vec::new(),
        }
    }

    fn busy_with(&self, path: &str) -> bool {
        self.flights.values().any(|f| f.unit.path == path)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Tests,
    /// Tests done; the test workers are stopping before the bench worker starts.
    ToBench,
    Bench,
    ShuttingDown,
    Done,
}

/// How many times a unit may be put back after its worker died.
const MAX_UNIT_REQUEUES: u32 = 3;
/// Seconds a worker may take to exit once its teardown is done: what its
/// interpreter's exit waits for is non-daemon threads a test left running.
const THREAD_GRACE: f64 = 5.0;
/// Workers that die before they are ready, in a row, before the run gives up.
const MAX_STARTUP_FAILURES: u32 = 3;
/// Exclusive units a worker holds at once (the running one and the ones sent
/// ahead, so that a worker finishing a short unit never waits for the round
/// trip to a scheduler that shares the CPU with it): at most this many...
const EXCLUSIVE_AHEAD_MAX: usize = 16;
/// ...while the recorded work they hold stays under this (seconds), so that
/// slow units stay in the queue and spread over the workers at the end...
const AHEAD_BUDGET: f64 = 0.02;
/// ...and this many when a unit's duration is unknown (no record yet).
const EXCLUSIVE_AHEAD_UNKNOWN: usize = 4;
/// How far the dispatcher looks down the queue for a unit that fits a worker.
const DISPATCH_LOOKAHEAD: usize = 256;

pub struct State {
    cfg: SchedulerConfig,
    items: HashMap<String, TestItem>,
    queue: VecDeque<Unit>,
    bench_queue: VecDeque<Unit>,
    slots: Vec<Slot>,
    records: Vec<TestRecord>,
    finals: HashSet<String>,
    /// Attempts consumed by crashes and kills, per test id.
    extra_attempts: HashMap<String, u32>,
    /// Ids re-queued alone to find which of several concurrent tests crashed.
    isolated: HashSet<String>,
    failures: u32,
    cancelling: Option<f64>,
    phase: Phase,
    phase_since: f64,
    next_unit: u64,
    /// Units handed to workers so far (gives each flight its `seq`).
    dispatched: u64,
    startup_failures: u32,
    run_errors: Vec<RunError>,
    bench_raw: Vec<RawBenchResult>,
    interrupted: bool,
    now: f64,
}

impl State {
    /// `units` must cover `items`; returns the first actions (start workers).
    pub fn new(cfg: SchedulerConfig, items: &[TestItem], units: Vec<Unit>) -> (State, Vec<Action>) {
        let next_unit = units.iter().map(|u| u.id).max().unwrap_or(0) + 1;
        let (bench, tests): (Vec<Unit>, Vec<Unit>) =
            units.into_iter().partition(|u| u.kind == ItemKind::Bench);
        let workers = cfg.workers.max(1);
        let mut st = State {
            items: items.iter().map(|i| (i.id.clone(), i.clone())).collect(),
            queue: tests.into(),
            bench_queue: bench.into(),
            slots: (0..workers).map(|_| Slot::new()).collect(),
            records: Vec::new(),
            finals: HashSet::new(),
            extra_attempts: HashMap::new(),
            isolated: HashSet::new(),
            failures: 0,
            cancelling: None,
            phase: Phase::Tests,
            phase_since: 0.0,
            next_unit,
            dispatched: 0,
            startup_failures: 0,
            run_errors: Vec::new(),
            bench_raw: Vec::new(),
            interrupted: false,
            now: 0.0,
            cfg,
        };
        let mut actions = Vec::new();
        if st.queue.is_empty() {
            st.enter_bench_or_finish(&mut actions);
        } else {
            let n = (st.queue.len() as u32).min(workers);
            for slot in 0..n {
                st.spawn(slot, &mut actions);
            }
        }
        (st, actions)
    }

    pub fn records(&self) -> &[TestRecord] {
        &self.records
    }

    pub fn run_errors(&self) -> &[RunError] {
        &self.run_errors
    }

    pub fn bench_raw(&self) -> &[RawBenchResult] {
        &self.bench_raw
    }

    pub fn interrupted(&self) -> bool {
        self.interrupted
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Seconds since the run started, as the driver's clock says.
    pub fn set_now(&mut self, now: f64) {
        self.now = now;
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }

    fn spawn(&mut self, slot: u32, actions: &mut Vec<Action>) {
        let s = &mut self.slots[slot as usize];
        s.state = SlotState::Starting;
        s.was_ready = false;
        s.kill = None;
        s.startup_output.clear();
        s.closed_at = None;
        s.lingering.clear();
        actions.push(Action::Spawn { slot });
    }

    // ----- inputs -----------------------------------------------------------

    /// A worker process was started (its pid is known).
    pub fn on_spawned(&mut self, slot: u32, pid: u32) -> Vec<Action> {
        let s = &mut self.slots[slot as usize];
        s.pid = pid;
        let replaced = s.had_process;
        s.had_process = true;
        let event = if replaced {
            Event::WorkerReplaced { worker: slot, pid }
        } else {
            Event::WorkerStarted { worker: slot, pid }
        };
        vec![Action::Emit(event)]
    }

    /// The worker could not even be started (no interpreter, ...): fatal.
    pub fn on_spawn_failed(&mut self, slot: u32, error: &str) -> Vec<Action> {
        let mut actions = Vec::new();
        self.slots[slot as usize].state = SlotState::Empty;
        self.fail_everything(
            &format!("could not start a worker process: {error}"),
            &mut actions,
        );
        self.check_progress(&mut actions);
        actions
    }

    pub fn on_message(&mut self, slot: u32, msg: Message) -> Vec<Action> {
        let mut actions = Vec::new();
        match msg {
            Message::Ready { .. } => {
                let s = &mut self.slots[slot as usize];
                if s.state == SlotState::Starting {
                    s.state = SlotState::Ready;
                }
                s.was_ready = true;
                self.startup_failures = 0;
            }
            Message::Started(Started {
                unit,
                id,
                start,
                timeout,
                attempt,
                sync,
            }) => {
                let now = self.now;
                if let Some(f) = self.flight_mut(slot, unit, &id) {
                    f.running.insert(
                        id.clone(),
                        Running {
                            attempt,
                            started_at: now,
                            start_unix: start,
                            timeout,
                            sync,
                            stdout: String::new(),
                            stderr: String::new(),
                        },
                    );
                }
                let attempt = attempt + self.extra_attempts.get(&id).copied().unwrap_or(0);
                actions.push(Action::Emit(Event::TestStarted {
                    id,
                    worker: slot,
                    attempt,
                }));
            }
            Message::Output { id, stream, data } => {
                let max = self.cfg.max_output;
                if let Some(r) = self.running_mut(slot, &id) {
                    let buf = if stream == "stderr" {
                        &mut r.stderr
                    } else {
                        &mut r.stdout
                    };
                    push_bounded(buf, &data, max);
                }
                actions.push(Action::Emit(Event::Output { id, stream, data }));
            }
            Message::Retrying {
                id,
                attempt,
                outcome,
            } => {
                if let Some(r) = self.running_mut(slot, &id) {
                    r.stdout.clear();
                    r.stderr.clear();
                }
                actions.push(Action::Emit(Event::TestRetrying {
                    id,
                    attempt,
                    outcome,
                }));
            }
            Message::Finished(Finished { unit, mut record }) => {
                let extra = self.extra_attempts.get(&record.id).copied().unwrap_or(0);
                if let Some(f) = self.flight_mut(slot, unit, &record.id) {
                    f.running.remove(&record.id);
                    if let Some(q) = requested_for(&f.unit.ids, &record.id) {
                        *f.got.entry(q).or_default() += 1;
                    }
                }
                record.worker = Some(slot);
                if extra > 0 {
                    record.attempts += extra;
                    if record.outcome == Outcome::Passed {
                        record.flaky = true;
                    }
                }
                self.finalize(record, &mut actions);
            }
            Message::RunError {
                scope,
                message,
                traceback,
            } => self.run_error(scope, message, traceback, &mut actions),
            Message::Closed { threads } => {
                let s = &mut self.slots[slot as usize];
                s.closed_at = Some(self.now);
                s.lingering = threads;
            }
            Message::BenchProgress { id, phase, samples } => {
                actions.push(Action::Emit(Event::BenchProgress { id, phase, samples }));
            }
            Message::BenchResult(result) => {
                if let Some(f) = self.flight_mut(slot, 0, &result.id) {
                    if let Some(q) = requested_for(&f.unit.ids, &result.id) {
                        *f.got.entry(q).or_default() += 1;
                    }
                }
                self.bench_raw.push(*result);
                if let Some(result) = self.analyze_latest() {
                    actions.push(Action::Emit(Event::BenchFinished { result }));
                }
            }
            Message::Deselected { unit, id } => {
                if let Some(f) = self.flight_mut(slot, unit, &id) {
                    if let Some(q) = requested_for(&f.unit.ids, &id) {
                        *f.got.entry(q).or_default() += 1;
                    }
                }
                actions.push(Action::Emit(Event::Deselected { id }));
            }
            Message::UnitDone { unit } => {
                if let Some(f) = self.slots[slot as usize].flights.remove(&unit) {
                    if f.unit.kind == ItemKind::Bench {
                        let missing: Vec<String> = f
                            .got
                            .iter()
                            .filter(|(_, n)| **n == 0)
                            .map(|(q, _)| q.clone())
                            .collect();
                        for q in missing {
                            self.bench_error(
                                &q,
                                "the benchmark worker reported no result",
                                &mut actions,
                            );
                        }
                    }
                    for (q, n) in &f.got {
                        if *n == 0 && f.unit.kind == ItemKind::Test {
                            let rec = if self.cancelling.is_some() {
                                self.synthetic(
                                    q,
                                    Outcome::Cancelled,
                                    "cancelled before it started",
                                    None,
                                )
                            } else {
                                self.synthetic(
                                    q,
                                    Outcome::Error,
                                    "the worker reported no result for this test \
                                     (it was not found after importing its file)",
                                    None,
                                )
                            };
                            self.finalize(rec, &mut actions);
                        }
                    }
                }
            }
        }
        self.check_progress(&mut actions);
        actions
    }

    /// Output written to the worker's file descriptors 1 and 2 (not through
    /// `sys.stdout`): kept for the tests running in it, in case they crash.
    pub fn on_raw_output(&mut self, slot: u32, data: &str) -> Vec<Action> {
        let max = self.cfg.max_output;
        let s = &mut self.slots[slot as usize];
        if !s.was_ready {
            push_bounded(&mut s.startup_output, data, 64 * 1024);
        }
        let mut ids = Vec::new();
        for f in s.flights.values_mut() {
            for (id, r) in f.running.iter_mut() {
                push_bounded(&mut r.stderr, data, max);
                ids.push(id.clone());
            }
        }
        let id = if ids.len() == 1 {
            ids.pop().unwrap_or_default()
        } else {
            String::new()
        };
        vec![Action::Emit(Event::Output {
            id,
            stream: "raw".into(),
            data: data.into(),
        })]
    }

    /// The worker process of `slot` exited; `how` says how ("exit code 1",
    /// "killed by signal 11 (SIGSEGV)").
    pub fn on_exit(&mut self, slot: u32, how: &str) -> Vec<Action> {
        let mut actions = Vec::new();
        let (state, was_ready, pid, cause, flights, startup_output) = {
            let s = &mut self.slots[slot as usize];
            let state = s.state;
            s.state = SlotState::Empty;
            (
                state,
                s.was_ready,
                s.pid,
                s.kill.take(),
                std::mem::take(&mut s.flights),
                std::mem::take(&mut s.startup_output),
            )
        };
        let expected = state == SlotState::Stopping || cause == Some(KillCause::Shutdown);
        if !expected {
            actions.push(Action::Emit(Event::WorkerCrashed {
                worker: slot,
                pid,
                reason: match &cause {
                    Some(KillCause::Timeout { id, after }) => {
                        format!("killed: {id} timed out after {after}s")
                    }
                    Some(KillCause::Cancel) => "killed: run cancelled".into(),
                    _ => how.to_string(),
                },
            }));
        }
        if !was_ready && state == SlotState::Starting {
            self.startup_failures += 1;
            if self.startup_failures >= MAX_STARTUP_FAILURES {
                let detail = startup_output.trim();
                let msg = if detail.is_empty() {
                    format!("worker processes exit before they are ready ({how})")
                } else {
                    format!("worker processes exit before they are ready ({how}): {detail}")
                };
                self.fail_everything(&msg, &mut actions);
            }
        }

        let total_running: usize = flights.values().map(|f| f.running.len()).sum();
        let executing = flights
            .values()
            .filter(|f| f.unit.exclusive)
            .map(|f| f.seq)
            .min();
        for (_, f) in flights {
            if f.unit.exclusive && Some(f.seq) != executing && self.cancelling.is_none() {
                // Sent ahead and still waiting in the worker: nothing of it ran,
                // so it goes back as it was, without counting an attempt.
                let mut unit = f.unit;
                unit.ids.retain(|q| !self.finals.contains(q));
                if !unit.ids.is_empty() {
                    match unit.kind {
                        ItemKind::Bench => self.bench_queue.push_front(unit),
                        ItemKind::Test => self.queue.push_front(unit),
                    }
                }
                continue;
            }
            self.recover_flight(f, &cause, how, total_running, &mut actions);
        }
        self.check_progress(&mut actions);
        actions
    }

    /// Time passed: enforce timeouts and grace periods. `now` is seconds
    /// since the run started.
    pub fn tick(&mut self, now: f64) -> Vec<Action> {
        self.now = now;
        let mut actions = Vec::new();
        for (i, s) in self.slots.iter_mut().enumerate() {
            if s.kill.is_some() || s.state == SlotState::Empty {
                continue;
            }
            let mut expired = None;
            for f in s.flights.values() {
                for (id, r) in &f.running {
                    if let Some(t) = r.timeout.or(self.cfg.timeout) {
                        let grace = if r.sync { 0.0 } else { self.cfg.kill_grace };
                        if now - r.started_at >= t + grace {
                            expired = Some(KillCause::Timeout {
                                id: id.clone(),
                                after: t,
                            });
                        }
                    }
                }
            }
            if let Some(cause) = expired {
                s.kill = Some(cause);
                actions.push(Action::Kill { slot: i as u32 });
            }
        }
        if let Some(since) = self.cancelling {
            if now - since >= self.cfg.cancel_grace {
                self.kill_busy(KillCause::Cancel, &mut actions);
            }
        }
        if matches!(self.phase, Phase::ShuttingDown | Phase::ToBench) {
            self.kill_stragglers(now, &mut actions);
        }
        actions
    }

    /// Kill the workers still there after their last test: those whose
    /// teardown overran `shutdown_grace`, and those whose non-daemon threads
    /// kept them alive `THREAD_GRACE` after it. Either is a run error: a
    /// teardown cut short may have left a database or a service behind.
    fn kill_stragglers(&mut self, now: f64, actions: &mut Vec<Action>) {
        let grace = self.cfg.shutdown_grace;
        let mut errors = Vec::new();
        for (i, s) in self.slots.iter_mut().enumerate() {
            if s.state == SlotState::Empty || s.kill.is_some() {
                continue;
            }
            let message = match s.closed_at {
                None if now - self.phase_since >= grace => format!(
                    "worker {i} (pid {}): teardown (module and session fixtures, \
                     tearDownModule) still running {grace}s after its last test; \
                     killed (raise teardown-timeout to allow longer)",
                    s.pid
                ),
                Some(at) if now - at >= THREAD_GRACE => format!(
                    "worker {i} (pid {}): could not exit {THREAD_GRACE}s after its \
                     teardown, non-daemon threads still running ({}); killed",
                    s.pid,
                    if s.lingering.is_empty() {
                        "none named".to_string()
                    } else {
                        s.lingering.join(", ")
                    }
                ),
                _ => continue,
            };
            s.kill = Some(KillCause::Shutdown);
            actions.push(Action::Kill { slot: i as u32 });
            errors.push(message);
        }
        for message in errors {
            self.run_error("session".into(), message, None, actions);
        }
    }

    /// Record a run error for the report and emit it.
    fn run_error(
        &mut self,
        scope: String,
        message: String,
        traceback: Option<String>,
        actions: &mut Vec<Action>,
    ) {
        self.run_errors.push(RunError {
            scope: scope.clone(),
            message: message.clone(),
            traceback: traceback.clone(),
        });
        actions.push(Action::Emit(Event::RunError {
            scope,
            message,
            traceback,
        }));
    }

    /// Stop the run: nothing new starts, queued tests become `cancelled`,
    /// running ones are asked to stop. `hard` kills the workers at once.
    pub fn cancel(&mut self, hard: bool, interrupted: bool) -> Vec<Action> {
        let mut actions = Vec::new();
        self.interrupted |= interrupted;
        self.begin_cancel(&mut actions);
        if hard {
            self.kill_busy(KillCause::Cancel, &mut actions);
        }
        self.check_progress(&mut actions);
        actions
    }

    fn begin_cancel(&mut self, actions: &mut Vec<Action>) {
        if self.cancelling.is_none() {
            self.cancelling = Some(self.now);
            self.cancel_queued(actions);
            for (i, s) in self.slots.iter().enumerate() {
                if !s.flights.is_empty() && s.state == SlotState::Ready {
                    actions.push(Action::Send {
                        slot: i as u32,
                        request: Request::Cancel,
                    });
                }
            }
        }
    }

    // ----- internals --------------------------------------------------------

    /// While cancelling, nothing queued may start: it is `cancelled`.
    fn cancel_queued(&mut self, actions: &mut Vec<Action>) {
        let queued: Vec<Unit> = self
            .queue
            .drain(..)
            .chain(self.bench_queue.drain(..))
            .collect();
        for unit in queued {
            for id in unit.ids.iter().filter(|_| unit.kind == ItemKind::Test) {
                let rec =
                    self.synthetic(id, Outcome::Cancelled, "cancelled before it started", None);
                self.finalize(rec, actions);
            }
        }
    }

    fn kill_busy(&mut self, cause: KillCause, actions: &mut Vec<Action>) {
        for (i, s) in self.slots.iter_mut().enumerate() {
            if !s.flights.is_empty() && s.state != SlotState::Empty && s.kill.is_none() {
                s.kill = Some(cause.clone());
                actions.push(Action::Kill { slot: i as u32 });
            }
        }
    }

    fn flight_mut(&mut self, slot: u32, unit: u64, id: &str) -> Option<&mut Flight> {
        let s = &mut self.slots[slot as usize];
        if s.flights.contains_key(&unit) {
            return s.flights.get_mut(&unit);
        }
        // Older workers may not echo the unit: find it by id.
        s.flights
            .values_mut()
            .find(|f| requested_for(&f.unit.ids, id).is_some())
    }

    fn running_mut(&mut self, slot: u32, id: &str) -> Option<&mut Running> {
        self.slots[slot as usize]
            .flights
            .values_mut()
            .find_map(|f| f.running.get_mut(id))
    }

    /// A worker died with `f` in flight: give the tests that were running an
    /// outcome (or another chance) and put the ones that had not started back.
    fn recover_flight(
        &mut self,
        f: Flight,
        cause: &Option<KillCause>,
        how: &str,
        total_running: usize,
        actions: &mut Vec<Action>,
    ) {
        let cancelling = self.cancelling.is_some() || matches!(cause, Some(KillCause::Cancel));
        let mut requeue_alone = Vec::new();
        for (id, r) in &f.running {
            let (outcome, message) = match cause {
                _ if cancelling => (Outcome::Cancelled, "cancelled while running".to_string()),
                Some(KillCause::Timeout { id: tid, after }) if tid == id => (
                    Outcome::Timeout,
                    format!("timed out after {after}s; its worker was killed and replaced"),
                ),
                Some(KillCause::Timeout { id: tid, .. }) => {
                    // Collateral: killed because another test timed out.
                    let _ = tid;
                    requeue_alone.push(id.clone());
                    continue;
                }
                Some(KillCause::Shutdown) | None
                    if total_running > 1 && !self.isolated.contains(id) =>
                {
                    // Several tests ran at once: run each alone to find the culprit.
                    self.isolated.insert(id.clone());
                    requeue_alone.push(id.clone());
                    continue;
                }
                _ => (Outcome::Crashed, format!("the worker process died: {how}")),
            };
            let mut rec = self.synthetic(id, outcome, &message, Some(r));
            rec.extra.insert(
                "worker_exit".into(),
                serde_json::Value::String(how.to_string()),
            );
            if outcome.is_retryable() && self.retry_budget(id) > 0 {
                *self.extra_attempts.entry(id.clone()).or_default() += r.attempt;
                actions.push(Action::Emit(Event::TestRetrying {
                    id: id.clone(),
                    attempt: rec.attempts,
                    outcome,
                }));
                requeue_alone.push(id.clone());
                continue;
            }
            self.finalize(rec, actions);
        }

        // Requested ids not finished yet and not handled above.
        let running: HashSet<&String> = f.running.keys().collect();
        let pending: Vec<String> = f
            .unit
            .ids
            .iter()
            .filter(|q| {
                let got = f.got.get(*q).copied().unwrap_or(0);
                let exact_done = self.finals.contains(*q);
                !exact_done && !running.contains(q) && (got == 0 || is_prefix_id(q, &self.items))
            })
            .cloned()
            .collect();

        for id in requeue_alone {
            if cancelling {
                let rec = self.synthetic(&id, Outcome::Cancelled, "cancelled while running", None);
                self.finalize(rec, actions);
                continue;
            }
            let unit = self.derived_unit(&f.unit, vec![id], true);
            self.queue.push_front(unit);
        }
        if pending.is_empty() {
            return;
        }
        if cancelling {
            for id in pending {
                if f.unit.kind == ItemKind::Test {
                    let rec = self.synthetic(
                        &id,
                        Outcome::Cancelled,
                        "cancelled before it started",
                        None,
                    );
                    self.finalize(rec, actions);
                }
            }
        } else if f.unit.attempt >= MAX_UNIT_REQUEUES {
            for id in pending {
                if f.unit.kind == ItemKind::Bench {
                    let msg = format!("its worker died {MAX_UNIT_REQUEUES} times ({how})");
                    self.bench_error(&id, &msg, actions);
                    continue;
                }
                let rec = self.synthetic(
                    &id,
                    Outcome::Crashed,
                    &format!("not run: its worker died {MAX_UNIT_REQUEUES} times ({how})"),
                    None,
                );
                self.finalize(rec, actions);
            }
        } else {
            let unit = self.derived_unit(&f.unit, pending, f.unit.exclusive);
            if f.unit.kind == ItemKind::Bench {
                self.bench_queue.push_front(unit);
            } else {
                self.queue.push_front(unit);
            }
        }
    }

    /// Statistics of the newest benchmark result, compared with its group's
    /// baseline when that already ran (the report's final analysis has all).
    fn analyze_latest(&self) -> Option<crate::bench::BenchEntryResult> {
        let raw = self.bench_raw.last()?;
        let group: Vec<RawBenchResult> = self
            .bench_raw
            .iter()
            .filter(|r| r.path == raw.path && r.group == raw.group)
            .cloned()
            .collect();
        Some(crate::bench::analyze_entry(&group, raw))
    }

    /// A benchmark entry that could not be measured still gets a result.
    fn bench_error(&mut self, id: &str, message: &str, actions: &mut Vec<Action>) {
        let item = self.items.get(id);
        self.bench_raw.push(RawBenchResult {
            id: id.to_string(),
            path: item.map(|i| i.path.clone()).unwrap_or_else(|| path_of(id)),
            group: item.and_then(|i| i.suite.clone()).unwrap_or_default(),
            name: item
                .map(|i| i.name.clone())
                .unwrap_or_else(|| id.to_string()),
            params: item.and_then(|i| i.params.clone()),
            error: Some(message.to_string()),
            ..RawBenchResult::default()
        });
        if let Some(result) = self.analyze_latest() {
            actions.push(Action::Emit(Event::BenchFinished { result }));
        }
    }

    fn derived_unit(&mut self, from: &Unit, ids: Vec<String>, exclusive: bool) -> Unit {
        let id = self.next_unit;
        self.next_unit += 1;
        Unit {
            id,
            path: from.path.clone(),
            ids,
            exclusive,
            kind: from.kind,
            attempt: from.attempt + 1,
            estimate: 0.0,
            splittable: from.splittable,
        }
    }

    fn retry_budget(&self, id: &str) -> u32 {
        let allowed = self
            .items
            .get(id)
            .and_then(|i| i.retries)
            .unwrap_or(self.cfg.retries);
        allowed.saturating_sub(self.extra_attempts.get(id).copied().unwrap_or(0))
    }

    /// A record made by the scheduler for a test the worker could not report.
    fn synthetic(
        &self,
        id: &str,
        outcome: Outcome,
        message: &str,
        running: Option<&Running>,
    ) -> TestRecord {
        let item = self.items.get(id).or_else(|| {
            // A dynamic case: take file and line from the item it expands.
            self.items.values().find(|i| id_has_prefix(id, &i.id))
        });
        let extra = self.extra_attempts.get(id).copied().unwrap_or(0);
        let mut rec = TestRecord::new(
            id,
            item.map(|i| i.path.clone()).unwrap_or_else(|| path_of(id)),
            item.map(|i| i.line).unwrap_or(0),
            outcome,
        );
        rec.attempts = extra
            + running
                .map(|r| r.attempt)
                .unwrap_or(if outcome == Outcome::Cancelled { 0 } else { 1 });
        rec.message = Some(message.to_string());
        rec.tags = item.map(|i| i.tags.clone()).unwrap_or_default();
        if let Some(r) = running {
            rec.duration = (self.now - r.started_at).max(0.0);
            rec.start = r.start_unix;
            rec.stdout = r.stdout.clone();
            rec.stderr = r.stderr.clone();
        }
        rec
    }

    /// Record a final outcome, once per id.
    fn finalize(&mut self, record: TestRecord, actions: &mut Vec<Action>) {
        if !self.finals.insert(record.id.clone()) {
            return;
        }
        if record.is_failure() {
            self.failures += 1;
        }
        self.records.push(record.clone());
        actions.push(Action::Emit(Event::TestFinished { record }));
        if let Some(max) = self.cfg.max_fail {
            if self.failures >= max {
                self.begin_cancel(actions);
            }
        }
    }

    fn fail_everything(&mut self, message: &str, actions: &mut Vec<Action>) {
        self.run_error("run".into(), message.to_string(), None, actions);
        let units: Vec<Unit> = self
            .queue
            .drain(..)
            .chain(self.bench_queue.drain(..))
            .chain(
                self.slots
                    .iter_mut()
                    .flat_map(|s| std::mem::take(&mut s.flights).into_values().map(|f| f.unit)),
            )
            .collect();
        for unit in units {
            if unit.kind == ItemKind::Test {
                for id in &unit.ids {
                    let rec = self.synthetic(id, Outcome::Error, message, None);
                    self.finalize(rec, actions);
                }
            }
        }
        for (i, s) in self.slots.iter_mut().enumerate() {
            if s.state != SlotState::Empty {
                s.kill = Some(KillCause::Shutdown);
                actions.push(Action::Kill { slot: i as u32 });
            }
        }
    }

    /// Hand out work, replace dead workers, and move between phases.
    fn check_progress(&mut self, actions: &mut Vec<Action>) {
        if self.cancelling.is_some() {
            // Work put back by a crash after the cancel began.
            self.cancel_queued(actions);
        }
        match self.phase {
            Phase::Tests => {
                self.dispatch(actions);
                let in_flight = self.slots.iter().any(|s| !s.flights.is_empty());
                if self.queue.is_empty() && !in_flight {
                    self.stop_workers(actions);
                    self.phase = Phase::ToBench;
                    self.phase_since = self.now;
                    self.maybe_start_bench(actions);
                }
            }
            Phase::ToBench => self.maybe_start_bench(actions),
            Phase::Bench => {
                self.dispatch(actions);
                let in_flight = self.slots.iter().any(|s| !s.flights.is_empty());
                if self.bench_queue.is_empty() && !in_flight {
                    self.stop_workers(actions);
                    self.phase = Phase::ShuttingDown;
                    self.phase_since = self.now;
                    self.maybe_done();
                }
            }
            Phase::ShuttingDown => self.maybe_done(),
            Phase::Done => {}
        }
    }

    fn maybe_start_bench(&mut self, actions: &mut Vec<Action>) {
        if self.slots.iter().any(|s| s.state != SlotState::Empty) {
            return;
        }
        self.enter_bench_or_finish(actions);
    }

    fn enter_bench_or_finish(&mut self, actions: &mut Vec<Action>) {
        if self.bench_queue.is_empty() || self.cancelling.is_some() {
            self.phase = Phase::ShuttingDown;
            self.maybe_done();
        } else {
            // One dedicated, fresh worker runs benchmarks one at a time.
            self.phase = Phase::Bench;
            self.spawn(0, actions);
        }
    }

    fn maybe_done(&mut self) {
        if self.slots.iter().all(|s| s.state == SlotState::Empty) {
            self.phase = Phase::Done;
        }
    }

    fn stop_workers(&mut self, actions: &mut Vec<Action>) {
        for (i, s) in self.slots.iter_mut().enumerate() {
            match s.state {
                SlotState::Ready => {
                    s.state = SlotState::Stopping;
                    actions.push(Action::Send {
                        slot: i as u32,
                        request: Request::Shutdown,
                    });
                }
                SlotState::Starting => {
                    s.state = SlotState::Stopping;
                    s.kill = Some(KillCause::Shutdown);
                    actions.push(Action::Kill { slot: i as u32 });
                }
                _ => {}
            }
        }
    }

    fn dispatch(&mut self, actions: &mut Vec<Action>) {
        if self.cancelling.is_some() {
            return;
        }
        let bench = self.phase == Phase::Bench;
        for slot in 0..self.slots.len() {
            if self.queue_empty(bench) {
                break;
            }
            // Replace a dead worker; benchmarks only ever use slot 0.
            if self.slots[slot].state == SlotState::Empty && (!bench || slot == 0) {
                self.spawn(slot as u32, actions);
            }
        }
        // Idle workers first: no unit goes ahead to a busy worker while
        // another has nothing to do.
        for slot in 0..self.slots.len() {
            if self.slots[slot].flights.is_empty() {
                self.dispatch_one(slot, bench, actions);
            }
        }
        // One unit per worker per round, so the units sent ahead are spread
        // evenly instead of all going to the first worker.
        loop {
            let mut sent = false;
            for slot in 0..self.slots.len() {
                sent |= self.dispatch_one(slot, bench, actions);
            }
            if !sent {
                break;
            }
        }
    }

    fn queue_empty(&self, bench: bool) -> bool {
        if bench {
            self.bench_queue.is_empty()
        } else {
            self.queue.is_empty()
        }
    }

    /// Send one unit to `slot` if it has room and one fits; true if sent.
    fn dispatch_one(&mut self, slot: usize, bench: bool, actions: &mut Vec<Action>) -> bool {
        let concurrency = if bench {
            1
        } else {
            self.cfg.async_concurrency.max(1) as usize
        };
        // A worker still starting will want work: nothing goes ahead
        // elsewhere meanwhile, or the first one ready takes it all.
        let others_starting = self
            .slots
            .iter()
            .enumerate()
            .any(|(i, o)| i != slot && o.state == SlotState::Starting);
        let queue = if bench {
            &mut self.bench_queue
        } else {
            &mut self.queue
        };
        let s = &mut self.slots[slot];
        if queue.is_empty() || s.state != SlotState::Ready || s.kill.is_some() {
            return false;
        }
        let (mut exclusive, mut held, mut known) = (0, 0.0, true);
        for f in s.flights.values().filter(|f| f.unit.exclusive) {
            exclusive += 1;
            held += f.unit.estimate;
            known &= f.unit.estimate > 0.0;
        }
        let shared = s.flights.len() - exclusive;
        // Exclusive units run one at a time in the worker, in order; more are
        // sent ahead (see EXCLUSIVE_AHEAD_MAX). Async units share the worker,
        // never two of one file at once.
        // A unit waiting behind a long one is stuck there while another
        // worker may be idle: only short recorded work goes ahead.
        let ahead_ok = exclusive == 0
            || (!others_starting
                && if known {
                    exclusive < EXCLUSIVE_AHEAD_MAX && held < AHEAD_BUDGET
                } else {
                    exclusive < EXCLUSIVE_AHEAD_UNKNOWN
                });
        let room_exclusive = shared == 0 && ahead_ok;
        let room_shared = exclusive == 0 && shared < concurrency;
        // A full worker takes nothing: say so before scanning the queue,
        // which this runs for every message a worker sends.
        if !room_exclusive && !room_shared {
            return false;
        }
        let fits = |u: &Unit| {
            if u.exclusive {
                room_exclusive
            } else {
                room_shared && !s.busy_with(&u.path)
            }
        };
        let Some(pos) = queue.iter().take(DISPATCH_LOOKAHEAD).position(fits) else {
            return false;
        };
        let unit = queue.remove(pos).expect("position is in range");
        actions.push(Action::Send {
            slot: slot as u32,
            request: Request::Run {
                unit: unit.id,
                path: unit.path.clone(),
                ids: unit.ids.clone(),
                timeout: self.cfg.timeout,
                retries: self.cfg.retries,
                exclusive: unit.exclusive,
                kind: match unit.kind {
                    ItemKind::Test => "test".into(),
                    ItemKind::Bench => "bench".into(),
                },
                bench: if bench { self.cfg.bench.clone() } else { None },
                refine: refine_for(&unit, &self.items, &self.cfg.refine),
                fail_budget: self
                    .cfg
                    .max_fail
                    .map(|max| max.saturating_sub(self.failures)),
                concurrency_cap: Some(self.cfg.async_concurrency),
            },
        });
        let got = unit.ids.iter().map(|q| (q.clone(), 0)).collect();
        self.dispatched += 1;
        let seq = self.dispatched;
        s.flights.insert(
            unit.id,
            Flight {
                unit,
                seq,
                got,
                running: BTreeMap::new(),
            },
        );
        true
    }
}

/// What the worker must decide after import: the unit's ids whose tags are
/// computed, with the filter to apply to them.
fn refine_for(
    unit: &Unit,
    items: &HashMap<String, TestItem>,
    filter: &Option<serde_json::Value>,
) -> Option<serde_json::Value> {
    let filter = filter.as_ref()?;
    let ids: Vec<&String> = unit
        .ids
        .iter()
        .filter(|q| {
            items
                .get(*q)
                .is_some_and(|i| i.dynamic.contains(&crate::tree::Dynamic::Tags))
        })
        .collect();
    (!ids.is_empty()).then(|| serde_json::json!({ "filter": filter, "ids": ids }))
}

/// The requested id that `record_id` answers: itself, or a prefix of it
/// (a whole file, a whole suite, all cases of a parametrized test).
fn requested_for(requested: &[String], record_id: &str) -> Option<String> {
    requested
        .iter()
        .find(|q| id_has_prefix(record_id, q))
        .cloned()
}

/// Ids that stand for several tests found at import time.
fn is_prefix_id(q: &str, items: &HashMap<String, TestItem>) -> bool {
    items.get(q).map(|i| !i.dynamic.is_empty()).unwrap_or(true)
}

fn path_of(id: &str) -> String {
    id.split("::").next().unwrap_or(id).to_string()
}

/// Append `data` to `buf`, keeping at most `max` bytes (the head; a marker
/// says how much was dropped).
fn push_bounded(buf: &mut String, data: &str, max: usize) {
    const MARK: &str = "\n[... output truncated ...]\n";
    if buf.len() >= max {
        return;
    }
    let room = max - buf.len();
    if data.len() <= room {
        buf.push_str(data);
    } else {
        let mut cut = room;
        while !data.is_char_boundary(cut) {
            cut -= 1;
        }
        buf.push_str(&data[..cut]);
        buf.push_str(MARK);
    }
}
