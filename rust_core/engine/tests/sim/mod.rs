//! A simulated worker and clock that drive the scheduler's state machine
//! (shared by scheduler_state.rs and scheduler_hangs.rs). Each test crate
//! uses part of it.
#![allow(dead_code)]

pub use dbtest_engine::events::Event;
pub use dbtest_engine::record::{Outcome, TestRecord};
pub use dbtest_engine::scheduler::protocol::{Finished, Message, PhaseStart, Request, Started};
pub use dbtest_engine::scheduler::stacks::StackHook;
pub use dbtest_engine::scheduler::{build_units, Action, SchedulerConfig, State};
pub use dbtest_engine::tree::TestItem;
pub use std::collections::{HashMap, VecDeque};

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Behaviour {
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

pub fn item(path: &str, suite: Option<&str>, name: &str, is_async: bool) -> TestItem {
    let mut it = TestItem::new_test(path, suite, name);
    it.is_async = is_async;
    it.line = 3;
    it
}

pub fn record(id: &str, outcome: Outcome) -> TestRecord {
    TestRecord::new(id, id.split("::").next().unwrap(), 3, outcome)
}

/// Simulates workers: runs each unit's tests one after another, instantly,
/// unless a behaviour says otherwise; a hang advances the clock until the
/// scheduler kills the worker.
pub struct Sim {
    pub state: State,
    pub behaviour: HashMap<String, Behaviour>,
    pub seen: HashMap<String, u32>,
    pub events: Vec<Event>,
    pub spawns: u32,
    pub kills: u32,
    /// Stack dumps asked for (workers have a hook when `hooks` is set).
    pub dumps: u32,
    pub hooks: bool,
    pub now: f64,
    pub alive: HashMap<u32, bool>,
    /// Units sent to each slot and not yet answered.
    pub inbox: HashMap<u32, VecDeque<(u64, Vec<String>)>>,
    /// What a worker does when asked to shut down.
    pub on_shutdown: AtShutdown,
    /// Every unit sent: (slot, its ids).
    pub sent: Vec<(u32, Vec<String>)>,
    /// Files whose phase of user code never ends: (what, before its tests
    /// or after them).
    pub phase_hangs: HashMap<String, (String, When)>,
    /// The timeout a worker reports in `started`.
    pub test_timeout: Option<f64>,
    /// The `hung` list of each unit sent, by unit.
    pub hung_sent: HashMap<u64, Vec<String>>,
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum When {
    /// An import or a setup hook: before the unit's tests.
    Before,
    /// A teardown hook: after them.
    After,
}

#[derive(Clone, PartialEq, Debug)]
pub enum AtShutdown {
    /// Tears down and exits at once.
    Exit,
    /// Teardown never ends.
    TeardownHangs,
    /// Teardown ends (`closed`), but these non-daemon threads keep the
    /// process from exiting.
    ThreadsLinger(Vec<String>),
}

impl Sim {
    pub fn new(cfg: SchedulerConfig, items: Vec<TestItem>, behaviour: &[(&str, Behaviour)]) -> Sim {
        Sim::build(cfg, items, behaviour, |_| {})
    }

    /// As `new`, with `setup` applied before the first workers start.
    pub fn build(
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

    pub fn apply(&mut self, actions: Vec<Action>) {
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
    pub fn step(&mut self) -> bool {
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
    pub fn hang_in_phase(&mut self, slot: u32, unit: u64, what: &str) -> bool {
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

    pub fn crash(&mut self, slot: u32) -> bool {
        self.alive.insert(slot, false);
        self.inbox.remove(&slot);
        let a = self.state.on_exit(slot, "killed by signal 11 (SIGSEGV)");
        self.apply(a);
        true
    }

    pub fn run(mut self) -> Sim {
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

    pub fn outcome(&self, id: &str) -> Outcome {
        let rs: Vec<_> = self.state.records().iter().filter(|r| r.id == id).collect();
        assert_eq!(rs.len(), 1, "{id} has {} records", rs.len());
        rs[0].outcome
    }

    pub fn assert_exactly_once(&self, items: &[TestItem]) {
        assert_eq!(self.state.records().len(), items.len());
        for i in items {
            self.outcome(&i.id);
        }
    }
}

pub fn cfg(workers: u32) -> SchedulerConfig {
    SchedulerConfig {
        workers,
        ..SchedulerConfig::default()
    }
}

pub fn files(n_files: usize, per_file: usize, is_async: bool) -> Vec<TestItem> {
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

pub fn run_errors(sim: &Sim) -> Vec<String> {
    sim.events
        .iter()
        .filter_map(|e| match e {
            Event::RunError { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}
