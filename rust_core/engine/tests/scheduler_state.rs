//! The scheduler's state machine driven by a simulated worker (tests/sim):
//! every fault a test can cause, and the invariant that each selected test
//! ends with exactly one outcome.

mod sim;

use sim::*;

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
