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
//! - `watch`: phases of user code beyond tests (imports, hooks, wider
//!   fixtures), SLOW, the run's deadline, and the stacks taken before a kill;
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
mod watch;

use super::protocol::{Message, Request};
use super::stacks::StackHook;
use super::units::Unit;
use crate::bench::RawBenchResult;
use crate::events::Event;
use crate::ids;
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
    /// Benchmark entries whose interval lies within ±this fraction of their
    /// baseline are the same within noise (`--bench-equivalence`).
    pub bench_equivalence: f64,
    /// The run's filter (a `session::FilterRequest`), for the worker to
    /// decide items whose tags are only known after import.
    pub refine: Option<serde_json::Value>,
    /// Budget of a phase of user code beyond a test (an import, a suite or
    /// class hook, a fixture wider than a test), seconds (`setup-timeout`;
    /// `None`: the run's `timeout`, and with neither, unbounded).
    pub setup_timeout: Option<f64>,
    /// A test or phase running this long is announced (SLOW), once per
    /// period; nothing is killed for it (`slow-timeout`).
    pub slow_timeout: Option<f64>,
    /// The whole run's deadline, seconds (`run-timeout`).
    pub run_timeout: Option<f64>,
    /// How long a worker gets to write its stacks before it is killed.
    pub stack_wait: f64,
    /// `--shuffle`'s seed: the workers order each unit's tests from it and
    /// reset `random` per test.
    pub seed: Option<u64>,
    /// The project's name rules when they are not pytest's defaults, for
    /// every `run` request (see `Request::Run::names`).
    pub names: Option<serde_json::Value>,
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
            bench_equivalence: crate::bench::paired::DEFAULT_EQUIVALENCE,
            refine: None,
            setup_timeout: None,
            slow_timeout: Some(DEFAULT_SLOW_TIMEOUT),
            run_timeout: None,
            stack_wait: 0.25,
            seed: None,
            names: None,
        }
    }
}

/// `slow-timeout` unless configured, seconds (as cargo-nextest's SLOW).
pub const DEFAULT_SLOW_TIMEOUT: f64 = 60.0;

/// What the driver must do.
// Actions live for one turn of the loop; boxing the big one would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Spawn {
        slot: u32,
    },
    Send {
        slot: u32,
        request: Request,
    },
    Kill {
        slot: u32,
    },
    Emit(Event),
    /// Ask worker `pid` to write its stacks (send it `signal`).
    DumpStacks {
        slot: u32,
        pid: u32,
        signal: i32,
    },
    /// Read what the worker wrote and hand it to [`State::on_stacks`].
    CollectStacks {
        slot: u32,
        hook: StackHook,
    },
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
    /// A phase of user code ran past `setup-timeout` (`unit: None`: the
    /// worker's teardown after `shutdown`; `test`: inside that test).
    Phase {
        unit: Option<u64>,
        test: Option<String>,
        what: String,
        after: f64,
    },
    /// The run's deadline (`run-timeout`) passed.
    Deadline,
    Cancel,
    /// Did not exit after `shutdown`, or not needed any more.
    Shutdown,
    /// Still there too long after its last test: the run error to report.
    Straggler(String),
}

/// A phase of user code beyond a test, as the worker announced it.
#[derive(Debug, Clone)]
struct UserPhase {
    what: String,
    since: f64,
    sync: bool,
    /// SLOW announcements made so far.
    slow_told: u32,
    /// Where to ask for stacks if it hangs, when not the worker's own hook.
    stacks: Option<StackHook>,
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
    /// A wider phase running inside the test (its timeout is paused).
    phase: Option<UserPhase>,
    /// Seconds spent in such phases, which its timeout does not count.
    paused: f64,
    slow_told: u32,
}

impl Running {
    /// Seconds its own timeout counts at `now`.
    fn used(&self, now: f64) -> f64 {
        let in_phase = self.phase.as_ref().map(|p| now - p.since).unwrap_or(0.0);
        now - self.started_at - self.paused - in_phase
    }
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
    /// The unit's phase outside any test (its import, `setup_suite`...).
    phase: Option<UserPhase>,
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
    /// The worker's own phase, outside any unit (teardown after `shutdown`).
    phase: Option<UserPhase>,
    /// Its stack-dump hook, from `ready`.
    stacks: Option<StackHook>,
    /// When the kill decided on (`kill`) is carried out: after the stacks
    /// were asked for and had time to be written.
    kill_at: Option<f64>,
    /// The stacks it wrote, formatted, for the records of what it ran.
    dumped: Option<String>,
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
            phase: None,
            stacks: None,
            kill_at: None,
            dumped: None,
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
    /// Phases that hung and got their worker killed, by the unit path they
    /// hung in (`""`: the session's): sent again, they fail at once.
    hung: HashMap<String, Vec<String>>,
    /// Set once `run-timeout` has passed.
    deadline_reached: bool,
    /// What ran past `slow-timeout`: (what, seconds it had run when last told).
    slow: Vec<(String, f64)>,
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
            hung: HashMap::new(),
            deadline_reached: false,
            slow: Vec::new(),
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

    /// Whether the run's deadline (`run-timeout`) passed.
    pub fn deadline_reached(&self) -> bool {
        self.deadline_reached
    }

    /// What ran past `slow-timeout`, with the longest time announced.
    pub fn slow(&self) -> &[(String, f64)] {
        &self.slow
    }

    fn spawn(&mut self, slot: u32, actions: &mut Vec<Action>) {
        let s = &mut self.slots[slot as usize];
        s.state = SlotState::Starting;
        s.was_ready = false;
        s.kill = None;
        s.startup_output.clear();
        s.closed_at = None;
        s.lingering.clear();
        s.phase = None;
        s.stacks = None;
        s.kill_at = None;
        s.dumped = None;
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
            Message::Ready { stacks, .. } => self.on_ready(slot, stacks),
            Message::Phase(p) => self.on_phase(slot, p),
            Message::PhaseEnd { unit, test } => self.on_phase_end(slot, unit, &test),
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
        self.check_deadline(now, &mut actions);
        self.kill_timed_out(now, &mut actions);
        self.kill_hung_phases(now, &mut actions);
        self.announce_slow(now, &mut actions);
        if let Some(since) = self.cancelling {
            if now - since >= self.cfg.cancel_grace {
                self.kill_busy(KillCause::Cancel, &mut actions);
            }
        }
        if matches!(self.phase, Phase::ShuttingDown | Phase::ToBench) {
            self.kill_stragglers(now, &mut actions);
        }
        self.carry_out_kills(now, &mut actions);
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
/// (a whole file, a whole suite, all cases of a parametrized test), or a
/// case it extends: parametrized fixtures, known at import, multiply the
/// case `t[1]` the parse listed into `t[1-sqlite]` and `t[1-pg]`.
fn requested_for(requested: &[String], record_id: &str) -> Option<String> {
    requested
        .iter()
        .find(|q| ids::is_under(record_id, q) || ids::extends_case(record_id, q))
        .cloned()
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

#[cfg(test)]
mod tests {
    use super::requested_for;

    #[test]
    fn a_record_answers_the_request_it_lies_under_or_extends() {
        let asked = vec!["t.py::t[1]".to_string(), "t.py::u".to_string()];
        assert_eq!(
            requested_for(&asked, "t.py::t[pg-1]").as_deref(),
            Some("t.py::t[1]")
        );
        assert_eq!(
            requested_for(&asked, "t.py::u[a]").as_deref(),
            Some("t.py::u")
        );
        assert_eq!(requested_for(&asked, "t.py::v"), None);
    }
}
