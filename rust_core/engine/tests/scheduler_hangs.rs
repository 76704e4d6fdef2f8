//! Hung imports, hooks and fixtures, driven by the simulated worker
//! (tests/sim): a hang past its budget ends with the stack, the rest of the
//! run goes on.

mod sim;

use sim::*;

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
