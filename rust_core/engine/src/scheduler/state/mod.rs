//! The scheduler's state machine, free of I/O and clocks.
//!
//! The driver feeds it what happens (a worker is ready, a message arrived, a
//! worker exited, time passed, the user pressed Ctrl-C) and carries out the
//! [`Action`]s it returns (start a worker, send it a request, kill it, emit an
//! event). Keeping it pure is what lets the tests drive every fault with a
//! fake worker, and the invariant it guards is simple to state: every selected
//! test ends with exactly one final record.
//!
//! This module holds the state and the inputs, each of which routes to the
//! concern that handles it:
//! - `messages`: one handler per message a worker sends;
//! - `dispatch`: which unit goes to which worker, and how many go ahead;
//! - `recover`: a worker exited: crashes, requeues, start-up failures;
//! - `timeouts`: tests over their timeout, workers that outstay teardown;
//! - `cancel`: Ctrl-C and fail-fast;
//! - `phases`: tests, then benchmarks, then shutdown;
//! - `outcomes`: the one final record of each test, and run errors;
//! - `bench`: benchmark results and the entries that got none.

mod bench;
mod cancel;
mod dispatch;
mod messages;
mod outcomes;
mod phases;
mod recover;
mod timeouts;

use super::protocol::{Message, Request};
use super::units::Unit;
use crate::bench::RawBenchResult;
use crate::discovery::id_has_prefix;
use crate::events::Event;
use crate::record::TestRecord;
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

    /// A worker sent a message.
    pub fn on_message(&mut self, slot: u32, msg: Message) -> Vec<Action> {
        let mut actions = Vec::new();
        let out = &mut actions;
        match msg {
            Message::Ready { .. } => self.on_ready(slot),
            Message::Started(started) => self.on_started(slot, started, out),
            Message::Output { id, stream, data } => self.on_output(slot, id, stream, data, out),
            Message::Retrying {
                id,
                attempt,
                outcome,
            } => self.on_retrying(slot, id, attempt, outcome, out),
            Message::Finished(finished) => self.on_finished(slot, finished, out),
            Message::RunError {
                scope,
                message,
                traceback,
            } => self.run_error(scope, message, traceback, out),
            Message::Closed { threads } => self.on_closed(slot, threads),
            Message::BenchProgress { id, phase, samples } => {
                out.push(Action::Emit(Event::BenchProgress { id, phase, samples }));
            }
            Message::BenchResult(result) => self.on_bench_result(slot, *result, out),
            Message::Deselected { unit, id } => self.on_deselected(slot, unit, id, out),
            Message::UnitDone { unit } => self.on_unit_done(slot, unit, out),
        }
        self.check_progress(&mut actions);
        actions
    }

    /// Time passed: enforce timeouts and grace periods. `now` is seconds
    /// since the run started.
    pub fn tick(&mut self, now: f64) -> Vec<Action> {
        self.now = now;
        let mut actions = Vec::new();
        self.kill_timed_out(now, &mut actions);
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
}

/// The requested id that `record_id` answers: itself, or a prefix of it
/// (a whole file, a whole suite, all cases of a parametrized test).
fn requested_for(requested: &[String], record_id: &str) -> Option<String> {
    requested
        .iter()
        .find(|q| id_has_prefix(record_id, q))
        .cloned()
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
