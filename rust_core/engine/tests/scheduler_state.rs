//! The scheduler's state machine driven by a simulated worker: every fault a
//! test can cause, and the invariant that each selected test ends with
//! exactly one outcome.

use dbtest_engine::events::Event;
use dbtest_engine::record::{Outcome, TestRecord};
use dbtest_engine::scheduler::protocol::{Finished, Message, PhaseStart, Request, Started};
use dbtest_engine::scheduler::stacks::StackHook;
use dbtest_engine::scheduler::{build_units, Action, SchedulerConfig, State};
use dbtest_engine::tree::TestItem;
use std::collections::{HashMap, VecDeque};

#[derive(Clone, Copy, PartialEq, Debug)]
enum Behaviour {
    Pass,
    Fail,
    /// The worker process dies while running it.
    Crash,
    /// A sync test that never returns.
    Hang,
    /// Crashes on the first attempt only.
    CrashOnce,
    /// Not found after import: the worker reports nothing for it.
    Missing,
}

fn item(path: &str, suite: Option<&str>, name: &str, is_async: bool) -> TestItem {
    let mut it = TestItem::new_test(path, suite, name);
    it.is_async = is_async;
    it.line = 3;
    it
}

fn record(id: &str, outcome: Outcome) -> TestRecord {
    TestRecord::new(id, id.split("::").next().unwrap(), 3, outcome)
}

/// Simulates workers: runs each unit's tests one after another, instantly,
/// unless a behaviour says otherwise; a hang advances the clock until the
/// scheduler kills the worker.
struct Sim {
    state: State,
    behaviour: HashMap<String, Behaviour>,
    seen: HashMap<String, u32>,
    events: Vec<Event>,
    spawns: u32,
    kills: u32,
    /// Stack dumps asked for (workers have a hook when `hooks` is set).
    dumps: u32,
    hooks: bool,
    now: f64,
    alive: HashMap<u32, bool>,
    /// Units sent to each slot and not yet answered.
    inbox: HashMap<u32, VecDeque<(u64, Vec<String>)>>,
    /// What a worker does when asked to shut down.
    on_shutdown: AtShutdown,
    /// Every unit sent: (slot, its ids).
    sent: Vec<(u32, Vec<String>)>,
    /// Files whose phase of user code never ends: (what, before its tests
    /// or after them).
    phase_hangs: HashMap<String, (String, When)>,
    /// The timeout a worker reports in `started`.
    test_timeout: Option<f64>,
    /// The `hung` list of each unit sent, by unit.
    hung_sent: HashMap<u64, Vec<String>>,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum When {
    /// An import or a setup hook: before the unit's tests.
    Before,
    /// A teardown hook: after them.
    After,
}

#[derive(Clone, PartialEq, Debug)]
enum AtShutdown {
    /// Tears down and exits at once.
    Exit,
    /// Teardown never ends.
    TeardownHangs,
    /// Teardown ends (`closed`), but these non-daemon threads keep the
    /// process from exiting.
    ThreadsLinger(Vec<String>),
}

impl Sim {
    fn new(cfg: SchedulerConfig, items: Vec<TestItem>, behaviour: &[(&str, Behaviour)]) -> Sim {
        Sim::build(cfg, items, behaviour, |_| {})
    }

    /// As `new`, with `setup` applied before the first workers start.
    fn build(
        cfg: SchedulerConfig,
        items: Vec<TestItem>,
        behaviour: &[(&str, Behaviour)],
        setup: impl FnOnce(&mut Sim),
    ) -> Sim {
        let units = build_units(&items, cfg.workers, &HashMap::new());
        let (state, first) = State::new(cfg, &items, units);
        let mut sim = Sim {
            state,
            behaviour: behaviour.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            seen: HashMap::new(),
            events: vec![],
            spawns: 0,
            kills: 0,
            dumps: 0,
            hooks: false,
            now: 0.0,
            alive: HashMap::new(),
            inbox: HashMap::new(),
            on_shutdown: AtShutdown::Exit,
            sent: vec![],
            phase_hangs: HashMap::new(),
            hung_sent: HashMap::new(),
            test_timeout: Some(1.0),
        };
        setup(&mut sim);
        sim.apply(first);
        sim
    }

    fn apply(&mut self, actions: Vec<Action>) {
        let mut queue: VecDeque<Action> = actions.into();
        while let Some(a) = queue.pop_front() {
            let more = match a {
                Action::Emit(e) => {
                    self.events.push(e);
                    vec![]
                }
                Action::Spawn { slot } => {
                    self.spawns += 1;
                    self.alive.insert(slot, true);
                    let mut v = self.state.on_spawned(slot, 1000 + self.spawns);
                    v.extend(self.state.on_message(
                        slot,
                        Message::Ready {
                            pid: 1000 + self.spawns,
                            stacks: self.hooks.then(|| StackHook {
                                pid: None,
                                signal: 37,
                                path: "/nonexistent".into(),
                                main: Some(1),
                                hide: vec![],
                                callers: vec![],
                            }),
                        },
                    ));
                    v
                }
                Action::DumpStacks { .. } => {
                    self.dumps += 1;
                    vec![]
                }
                Action::CollectStacks { slot, .. } => {
                    let text =
                        format!("Main thread (most recent call last):\n  hung in slot {slot}");
                    self.state.on_stacks(slot, Some(text));
                    vec![]
                }
                Action::Kill { slot } => {
                    self.kills += 1;
                    self.alive.insert(slot, false);
                    self.inbox.remove(&slot);
                    self.state.on_exit(slot, "killed by signal 9 (SIGKILL)")
                }
                Action::Send { slot, request } => match request {
                    Request::Run {
                        unit, ids, hung, ..
                    } => {
                        self.hung_sent.insert(unit, hung);
                        self.sent.push((slot, ids.clone()));
                        self.inbox.entry(slot).or_default().push_back((unit, ids));
                        vec![]
                    }
                    Request::Shutdown => match &self.on_shutdown {
                        AtShutdown::Exit => {
                            let mut v = self
                                .state
                                .on_message(slot, Message::Closed { threads: vec![] });
                            self.alive.insert(slot, false);
                            v.extend(self.state.on_exit(slot, "exit code 0"));
                            v
                        }
                        AtShutdown::TeardownHangs => vec![],
                        AtShutdown::ThreadsLinger(names) => self.state.on_message(
                            slot,
                            Message::Closed {
                                threads: names.clone(),
                            },
                        ),
                    },
                    Request::Cancel => vec![],
                },
            };
            queue.extend(more);
        }
    }

    /// Let one slot work through one unit.
    fn step(&mut self) -> bool {
        let Some(slot) = self
            .inbox
            .iter()
            .find(|(_, q)| !q.is_empty())
            .map(|(s, _)| *s)
        else {
            return false;
        };
        let (unit, ids) = self.inbox.get_mut(&slot).unwrap().pop_front().unwrap();
        let path = ids[0].split("::").next().unwrap().to_string();
        let phase = self.phase_hangs.get(&path).cloned();
        if let Some((what, When::Before)) = &phase {
            if self.hung_sent.get(&unit).is_some_and(|h| h.contains(what)) {
                // It hung before: the worker fails its tests at once.
                for id in &ids {
                    let mut rec = record(id, Outcome::Error);
                    rec.message = Some(format!("{what} hung earlier in this run"));
                    let a = self
                        .state
                        .on_message(slot, Message::Finished(Finished { unit, record: rec }));
                    self.apply(a);
                }
                let a = self.state.on_message(slot, Message::UnitDone { unit });
                self.apply(a);
                return true;
            }
            return self.hang_in_phase(slot, unit, what);
        }
        for id in ids {
            let attempt = self.seen.entry(id.clone()).or_default();
            *attempt += 1;
            let attempt = *attempt;
            let b = self.behaviour.get(&id).copied().unwrap_or(Behaviour::Pass);
            if b == Behaviour::Missing {
                continue;
            }
            let started = Message::Started(Started {
                unit,
                id: id.clone(),
                start: 0.0,
                timeout: self.test_timeout,
                attempt: 1,
                sync: true,
            });
            let a = self.state.on_message(slot, started);
            self.apply(a);
            match b {
                Behaviour::Pass | Behaviour::Fail => {
                    let o = if b == Behaviour::Pass {
                        Outcome::Passed
                    } else {
                        Outcome::Failed
                    };
                    let a = self.state.on_message(
                        slot,
                        Message::Finished(Finished {
                            unit,
                            record: record(&id, o),
                        }),
                    );
                    self.apply(a);
                }
                Behaviour::Crash => {
                    return self.crash(slot);
                }
                Behaviour::CrashOnce if attempt == 1 => return self.crash(slot),
                Behaviour::CrashOnce => {
                    let a = self.state.on_message(
                        slot,
                        Message::Finished(Finished {
                            unit,
                            record: record(&id, Outcome::Passed),
                        }),
                    );
                    self.apply(a);
                }
                Behaviour::Hang => {
                    // Time passes until the scheduler kills the worker.
                    let kills = self.kills;
                    while self.kills == kills {
                        self.now += 0.25;
                        let a = self.state.tick(self.now);
                        self.apply(a);
                        assert!(self.now < 100.0, "a hanging test was never killed");
                    }
                    return true;
                }
                Behaviour::Missing => unreachable!(),
            }
            if self.alive.get(&slot) != Some(&true) {
                return true;
            }
        }
        if let Some((what, When::After)) = &phase {
            return self.hang_in_phase(slot, unit, what);
        }
        let a = self.state.on_message(slot, Message::UnitDone { unit });
        self.apply(a);
        true
    }

    /// The unit announces a phase that never ends; time passes until the
    /// scheduler kills the worker.
    fn hang_in_phase(&mut self, slot: u32, unit: u64, what: &str) -> bool {
        let phase = Message::Phase(PhaseStart {
            unit: Some(unit),
            what: what.to_string(),
            sync: true,
            test: None,
            stacks: None,
        });
        let a = self.state.on_message(slot, phase);
        self.apply(a);
        let kills = self.kills;
        while self.kills == kills {
            self.now += 0.25;
            let a = self.state.tick(self.now);
            self.apply(a);
            assert!(self.now < 1000.0, "a hanging phase was never killed");
        }
        true
    }

    fn crash(&mut self, slot: u32) -> bool {
        self.alive.insert(slot, false);
        self.inbox.remove(&slot);
        let a = self.state.on_exit(slot, "killed by signal 11 (SIGSEGV)");
        self.apply(a);
        true
    }

    fn run(mut self) -> Sim {
        let mut guard = 0;
        while !self.state.is_done() {
            if !self.step() {
                // Nothing to do: let time pass (grace periods).
                self.now += 1.0;
                let a = self.state.tick(self.now);
                self.apply(a);
            }
            guard += 1;
            assert!(guard < 10_000, "the run never finished");
        }
        self
    }

    fn outcome(&self, id: &str) -> Outcome {
        let rs: Vec<_> = self.state.records().iter().filter(|r| r.id == id).collect();
        assert_eq!(rs.len(), 1, "{id} has {} records", rs.len());
        rs[0].outcome
    }

    fn assert_exactly_once(&self, items: &[TestItem]) {
        assert_eq!(self.state.records().len(), items.len());
        for i in items {
            self.outcome(&i.id);
        }
    }
}

fn cfg(workers: u32) -> SchedulerConfig {
    SchedulerConfig {
        workers,
        ..SchedulerConfig::default()
    }
}

fn files(n_files: usize, per_file: usize, is_async: bool) -> Vec<TestItem> {
    let mut v = vec![];
    for f in 0..n_files {
        for t in 0..per_file {
            v.push(item(
                &format!("t{f}.py"),
                None,
                &format!("test_{t:02}"),
                is_async,
            ));
        }
    }
    v
}

fn run_errors(sim: &Sim) -> Vec<String> {
    sim.events
        .iter()
        .filter_map(|e| match e {
            Event::RunError { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_teardown_past_its_timeout_is_killed_and_reported() {
    let items = files(1, 2, false);
    let mut sim = Sim::new(
        SchedulerConfig {
            shutdown_grace: 3.0,
            ..cfg(1)
        },
        items.clone(),
        &[],
    );
    sim.on_shutdown = AtShutdown::TeardownHangs;
    let sim = sim.run();
    sim.assert_exactly_once(&items);
    assert_eq!(sim.kills, 1);
    let errors = run_errors(&sim);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("teardown") && errors[0].contains("still running 3s"),
        "{}",
        errors[0]
    );
    assert_eq!(sim.state.run_errors().len(), 1);
    // The tests themselves keep their outcome.
    assert_eq!(sim.outcome("t0.py::test_00"), Outcome::Passed);
}

#[test]
fn threads_that_outlive_teardown_are_named_when_the_worker_is_killed() {
    let items = files(1, 2, false);
    let mut sim = Sim::new(cfg(1), items.clone(), &[]);
    sim.on_shutdown = AtShutdown::ThreadsLinger(vec!["poller".into()]);
    let sim = sim.run();
    assert_eq!(sim.kills, 1);
    let errors = run_errors(&sim);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("non-daemon threads still running (poller)"),
        "{}",
        errors[0]
    );
    // Killed a few seconds after `closed`, not after the teardown timeout.
    assert!(sim.now < cfg(1).shutdown_grace, "killed at {}", sim.now);
}

#[test]
fn a_worker_that_exits_after_teardown_is_no_error() {
    let items = files(2, 2, false);
    let sim = Sim::new(cfg(2), items.clone(), &[]).run();
    assert_eq!(sim.kills, 0);
    assert!(run_errors(&sim).is_empty());
}

#[test]
fn the_first_worker_ready_does_not_take_the_work_of_one_still_starting() {
    // Two suites, two workers: whatever their recorded durations, each
    // worker gets one, rather than the first one ready taking both.
    let items = vec![
        item("a.py", Some("A"), "test_1", false),
        item("b.py", Some("B"), "test_1", false),
    ];
    for recorded in [0.0, 2.0] {
        let durations: HashMap<String, f64> = if recorded > 0.0 {
            items.iter().map(|i| (i.id.clone(), recorded)).collect()
        } else {
            HashMap::new()
        };
        let units = build_units(&items, 2, &durations);
        let (state, first) = State::new(cfg(2), &items, units);
        let mut sim = Sim::new(cfg(2), vec![], &[]);
        sim.state = state;
        sim.apply(first);
        let slots: Vec<u32> = sim.sent.iter().map(|(s, _)| *s).collect();
        assert_eq!(slots, vec![0, 1], "recorded {recorded}: {:?}", sim.sent);
        let sim = sim.run();
        sim.assert_exactly_once(&items);
    }
}

#[test]
fn a_long_unit_gets_nothing_sent_ahead_behind_it() {
    // Recorded: one 1 s suite and twenty 1 ms functions. The worker running
    // the suite holds no second unit; short units still go ahead elsewhere.
    let mut items = vec![item("slow.py", Some("Slow"), "test_1", false)];
    items.extend(files(1, 20, false));
    let durations: HashMap<String, f64> = items
        .iter()
        .map(|i| (i.id.clone(), if i.path == "slow.py" { 1.0 } else { 0.001 }))
        .collect();
    let units = build_units(&items, 2, &durations);
    let (state, first) = State::new(cfg(2), &items, units);
    let mut sim = Sim::new(cfg(2), vec![], &[]);
    sim.state = state;
    sim.apply(first);
    let slow_slot = sim
        .sent
        .iter()
        .find(|(_, ids)| ids[0].starts_with("slow.py"))
        .map(|(s, _)| *s)
        .expect("the long unit is sent first");
    let on_slow_slot = sim.sent.iter().filter(|(s, _)| *s == slow_slot).count();
    assert_eq!(on_slow_slot, 1, "{:?}", sim.sent);
    assert!(sim.sent.iter().filter(|(s, _)| *s != slow_slot).count() > 1);
    let sim = sim.run();
    sim.assert_exactly_once(&items);
}

#[test]
fn every_test_passes_and_workers_shut_down() {
    let items = files(5, 10, false);
    let sim = Sim::new(cfg(2), items.clone(), &[]).run();
    sim.assert_exactly_once(&items);
    assert!(sim
        .state
        .records()
        .iter()
        .all(|r| r.outcome == Outcome::Passed));
    assert_eq!(sim.spawns, 2);
}

#[test]
fn a_crash_marks_the_running_test_and_requeues_the_rest() {
    let items = files(1, 5, false);
    let sim = Sim::new(
        cfg(1),
        items.clone(),
        &[("t0.py::test_01", Behaviour::Crash)],
    )
    .run();
    sim.assert_exactly_once(&items);
    assert_eq!(sim.outcome("t0.py::test_01"), Outcome::Crashed);
    for t in ["test_00", "test_02", "test_03", "test_04"] {
        assert_eq!(sim.outcome(&format!("t0.py::{t}")), Outcome::Passed);
    }
    let crashed = sim
        .state
        .records()
        .iter()
        .find(|r| r.id == "t0.py::test_01")
        .unwrap();
    assert!(crashed.message.as_deref().unwrap().contains("SIGSEGV"));
    assert!(sim
        .events
        .iter()
        .any(|e| matches!(e, Event::WorkerReplaced { .. })));
}

#[test]
fn a_hanging_sync_test_times_out_and_its_worker_is_replaced() {
    let items = files(1, 3, false);
    let sim = Sim::new(
        cfg(1),
        items.clone(),
        &[("t0.py::test_00", Behaviour::Hang)],
    )
    .run();
    sim.assert_exactly_once(&items);
    assert_eq!(sim.outcome("t0.py::test_00"), Outcome::Timeout);
    assert_eq!(sim.outcome("t0.py::test_01"), Outcome::Passed);
    assert_eq!(sim.kills, 1);
}

#[test]
fn crashed_tests_are_retried_and_marked_flaky() {
    let items = files(1, 2, false);
    let mut c = cfg(1);
    c.retries = 1;
    let sim = Sim::new(
        c,
        items.clone(),
        &[("t0.py::test_00", Behaviour::CrashOnce)],
    )
    .run();
    sim.assert_exactly_once(&items);
    let r = sim
        .state
        .records()
        .iter()
        .find(|r| r.id == "t0.py::test_00")
        .unwrap();
    assert_eq!(r.outcome, Outcome::Passed);
    assert!(r.flaky);
    assert_eq!(r.attempts, 2);
}

#[test]
fn max_fail_cancels_the_rest() {
    let items = files(10, 1, false);
    let mut c = cfg(1);
    c.max_fail = Some(1);
    let sim = Sim::new(c, items.clone(), &[("t0.py::test_00", Behaviour::Fail)]).run();
    sim.assert_exactly_once(&items);
    let cancelled = sim
        .state
        .records()
        .iter()
        .filter(|r| r.outcome == Outcome::Cancelled)
        .count();
    let failed = sim
        .state
        .records()
        .iter()
        .filter(|r| r.outcome == Outcome::Failed)
        .count();
    assert_eq!(failed, 1);
    let passed = sim
        .state
        .records()
        .iter()
        .filter(|r| r.outcome == Outcome::Passed)
        .count();
    assert_eq!(cancelled + failed + passed, items.len());
    assert!(cancelled >= 1);
}

#[test]
fn a_test_missing_after_import_is_an_error() {
    let items = files(1, 2, false);
    let sim = Sim::new(
        cfg(1),
        items.clone(),
        &[("t0.py::test_01", Behaviour::Missing)],
    )
    .run();
    sim.assert_exactly_once(&items);
    assert_eq!(sim.outcome("t0.py::test_01"), Outcome::Error);
}

#[test]
fn workers_that_never_start_fail_the_run_cleanly() {
    let items = files(2, 2, false);
    let units = build_units(&items, 1, &HashMap::new());
    let (mut st, mut actions) = State::new(cfg(1), &items, units);
    let mut exits = 0;
    let mut guard = 0;
    while !st.is_done() {
        let mut next = vec![];
        for a in actions.drain(..) {
            match a {
                Action::Spawn { slot } => {
                    next.extend(st.on_spawned(slot, 1));
                    next.extend(
                        st.on_raw_output(slot, "ModuleNotFoundError: No module named 'dbtest'\n"),
                    );
                    exits += 1;
                    next.extend(st.on_exit(slot, "exit code 1"));
                }
                Action::Kill { slot } => next.extend(st.on_exit(slot, "killed")),
                _ => {}
            }
        }
        actions = next;
        guard += 1;
        assert!(guard < 100);
    }
    assert_eq!(exits, 3);
    assert_eq!(st.records().len(), 4);
    assert!(st.records().iter().all(|r| r.outcome == Outcome::Error));
    assert!(st.run_errors()[0].message.contains("No module named"));
}

/// Random faults, many seeds: every test still ends with exactly one outcome.
#[test]
fn random_faults_never_lose_or_duplicate_a_result() {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..200 {
        let n_files = 1 + (next() % 6) as usize;
        let per = 1 + (next() % 6) as usize;
        let mut items = files(n_files, per, next() % 2 == 0);
        if round % 3 == 0 {
            items.extend((0..4).map(|i| item("s.py", Some("Suite"), &format!("test_{i}"), false)));
        }
        let kinds = [
            Behaviour::Pass,
            Behaviour::Pass,
            Behaviour::Pass,
            Behaviour::Fail,
            Behaviour::Crash,
            Behaviour::Hang,
            Behaviour::CrashOnce,
            Behaviour::Missing,
        ];
        let behaviour: Vec<(String, Behaviour)> = items
            .iter()
            .map(|i| (i.id.clone(), kinds[(next() % kinds.len() as u64) as usize]))
            .collect();
        let b: Vec<(&str, Behaviour)> = behaviour.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let mut c = cfg(1 + (next() % 3) as u32);
        c.retries = (next() % 2) as u32;
        if next() % 4 == 0 {
            c.max_fail = Some(1 + (next() % 3) as u32);
        }
        // Hung phases: an import or setup before a file's tests, or a
        // teardown after them; with the stack-dump hook or without.
        let hooks = next() % 2 == 0;
        let mut hangs = HashMap::new();
        if next() % 2 == 0 {
            c.setup_timeout = Some(1.0);
            for f in 0..n_files {
                let (what, when) = match next() % 4 {
                    0 => (format!("import t{f}.py"), When::Before),
                    1 => (format!("teardown_suite t{f}.py::S"), When::After),
                    _ => continue,
                };
                hangs.insert(format!("t{f}.py"), (what, when));
            }
        }
        let sim = Sim::build(c, items.clone(), &b, |sim| {
            sim.hooks = hooks;
            sim.phase_hangs = hangs;
        })
        .run();
        sim.assert_exactly_once(&items);
    }
}

/// Units sent ahead wait in the worker behind crashing units; when the worker
/// dies they go back to the queue and every one of their tests still runs.
#[test]
fn units_waiting_behind_crashes_do_not_use_up_attempts() {
    // 20 tests on one worker: units of two (20 / 8), the first of each file crashes.
    let items = files(5, 4, false);
    let behaviour: Vec<(String, Behaviour)> = (0..5)
        .map(|f| (format!("t{f}.py::test_00"), Behaviour::Crash))
        .collect();
    let b: Vec<(&str, Behaviour)> = behaviour.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let mut c = cfg(1);
    // One unit per file: the crash and the passing test travel together.
    c.workers = 1;
    let units = build_units(&items, 1, &HashMap::new());
    assert!(
        units.iter().all(|u| u.ids.len() == 2),
        "expected units of two"
    );
    let sim = Sim::new(c, items.clone(), &b).run();
    sim.assert_exactly_once(&items);
    for f in 0..5 {
        assert_eq!(sim.outcome(&format!("t{f}.py::test_00")), Outcome::Crashed);
        for t in 1..4 {
            let id = format!("t{f}.py::test_{t:02}");
            assert_eq!(sim.outcome(&id), Outcome::Passed, "{id}");
        }
    }
}

fn hang_cfg() -> SchedulerConfig {
    SchedulerConfig {
        setup_timeout: Some(2.0),
        ..cfg(1)
    }
}

#[test]
fn a_hung_setup_makes_its_tests_errors_with_the_stack_and_others_pass() {
    let items = files(3, 3, false);
    let sim = Sim::build(hang_cfg(), items.clone(), &[], |sim| {
        sim.hooks = true;
        let what = ("setup_suite t1.py::S".to_string(), When::Before);
        sim.phase_hangs.insert("t1.py".into(), what);
    })
    .run();
    sim.assert_exactly_once(&items);
    // One hang, one kill: the file's other units fail at once in the
    // fresh worker ("hung earlier"), they do not hang it again.
    assert_eq!(
        sim.dumps, 1,
        "the stacks were asked for before the one kill"
    );
    let mut with_stack = 0;
    for r in sim.state.records() {
        if r.path == "t1.py" {
            assert_eq!(r.outcome, Outcome::Error, "{r:?}");
            let message = r.message.as_deref().unwrap();
            assert!(message.starts_with("setup_suite t1.py::S "), "{message}");
            if let Some(tb) = &r.traceback {
                assert!(
                    message.contains("timed out after 2s (setup-timeout)"),
                    "{message}"
                );
                assert!(tb.contains("hung in slot 0"));
                with_stack += 1;
            }
        } else {
            assert_eq!(r.outcome, Outcome::Passed, "{r:?}");
        }
    }
    assert_eq!(with_stack, 1);
}

#[test]
fn a_hung_teardown_is_a_run_error_and_its_tests_keep_their_outcomes() {
    // A suite: one unit, whose teardown_suite never ends.
    let mut items: Vec<TestItem> = (0..3)
        .map(|i| item("t0.py", Some("S"), &format!("test_{i}"), false))
        .collect();
    items.extend(files(2, 2, false).into_iter().filter(|i| i.path != "t0.py"));
    let sim = Sim::build(hang_cfg(), items.clone(), &[], |sim| {
        sim.hooks = true;
        let what = ("teardown_suite t0.py::S".to_string(), When::After);
        sim.phase_hangs.insert("t0.py".into(), what);
    })
    .run();
    sim.assert_exactly_once(&items);
    assert!(sim
        .state
        .records()
        .iter()
        .all(|r| r.outcome == Outcome::Passed));
    let errors = sim.state.run_errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0]
        .message
        .starts_with("teardown_suite t0.py::S timed out after 2s"));
    assert!(errors[0]
        .traceback
        .as_deref()
        .unwrap()
        .contains("hung in slot"));
}

#[test]
fn without_a_budget_a_hung_phase_is_announced_slow_and_the_deadline_ends_it() {
    let items = files(2, 2, false);
    let c = SchedulerConfig {
        timeout: None,
        slow_timeout: Some(5.0),
        run_timeout: Some(12.0),
        ..cfg(1)
    };
    let sim = Sim::build(c, items.clone(), &[], |sim| {
        let what = ("import t0.py".to_string(), When::Before);
        sim.phase_hangs.insert("t0.py".into(), what);
    })
    .run();
    sim.assert_exactly_once(&items);
    let slow: Vec<(String, f64)> = sim
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Slow { what, seconds, .. } => Some((what.clone(), *seconds)),
            _ => None,
        })
        .collect();
    assert_eq!(
        slow,
        [
            ("import t0.py".to_string(), 5.0),
            ("import t0.py".to_string(), 10.0)
        ]
    );
    assert!(sim.state.deadline_reached());
    assert!(sim.now < 13.0, "the deadline ended the run at {}", sim.now);
    assert!(run_errors(&sim).iter().any(|m| m.contains("deadline")));
    // What had not run is cancelled, not an error.
    assert!(sim
        .state
        .records()
        .iter()
        .all(|r| r.outcome == Outcome::Cancelled || r.outcome == Outcome::Error));
}

#[test]
fn a_wider_phase_inside_a_test_pauses_its_timeout() {
    let items = files(1, 1, false);
    let (mut state, first) = State::new(
        SchedulerConfig {
            setup_timeout: Some(10.0),
            ..cfg(1)
        },
        &items,
        build_units(&items, 1, &HashMap::new()),
    );
    let id = items[0].id.clone();
    let mut unit = None;
    let mut actions = first;
    actions.extend(state.on_spawned(0, 1));
    actions.extend(state.on_message(
        0,
        Message::Ready {
            pid: 1,
            stacks: None,
        },
    ));
    for a in &actions {
        if let Action::Send {
            request: Request::Run { unit: u, .. },
            ..
        } = a
        {
            unit = Some(*u);
        }
    }
    let unit = unit.expect("a unit was sent");
    state.set_now(0.0);
    state.on_message(
        0,
        Message::Started(Started {
            unit,
            id: id.clone(),
            start: 0.0,
            timeout: Some(1.0),
            attempt: 1,
            sync: true,
        }),
    );
    // A module fixture the test asked for takes 5 s: not the test's time.
    state.set_now(0.5);
    state.on_message(
        0,
        Message::Phase(PhaseStart {
            unit: Some(unit),
            what: "fixture db (module)".into(),
            sync: true,
            test: Some(id.clone()),
            stacks: None,
        }),
    );
    assert!(!state
        .tick(5.0)
        .iter()
        .any(|a| matches!(a, Action::Kill { .. })));
    state.set_now(5.5);
    state.on_message(
        0,
        Message::PhaseEnd {
            unit: Some(unit),
            test: id.clone(),
        },
    );
    // 0.5 s before the fixture, 0.4 s after it: under the 1 s timeout.
    assert!(!state
        .tick(5.9)
        .iter()
        .any(|a| matches!(a, Action::Kill { .. })));
    // 0.5 + 0.6: over it.
    assert!(state
        .tick(6.1)
        .iter()
        .any(|a| matches!(a, Action::Kill { .. })));
}
