//! `session::execute` carries a run out: `RunStarted`, the scheduler driving
//! a (fake, in-memory) worker, the report kept, then `RunFinished`.

use dbtest_engine::events::Event;
use dbtest_engine::scheduler::{Launcher, WorkerEvent, WorkerEventKind, WorkerHandle};
use dbtest_engine::session::{execute, prepare, RunRequest};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::mpsc;

/// A worker that passes every test it is sent.
struct PassingWorker;

impl Launcher for PassingWorker {
    fn launch(
        &self,
        slot: u32,
        gen: u64,
        events: mpsc::UnboundedSender<WorkerEvent>,
    ) -> std::io::Result<WorkerHandle> {
        let (tx, mut rx) = mpsc::unbounded_channel::<String>();
        let say = move |kind: WorkerEventKind| {
            let _ = events.send(WorkerEvent { slot, gen, kind });
        };
        let line = |v: Value| WorkerEventKind::Line(v.to_string());
        std::thread::spawn(move || {
            say(line(json!({"ev": "ready", "pid": 1})));
            while let Some(request) = rx.blocking_recv() {
                let request: Value = serde_json::from_str(&request).unwrap();
                match request["op"].as_str() {
                    Some("run") => {
                        let unit = &request["unit"];
                        for id in request["ids"].as_array().unwrap() {
                            say(line(json!({"ev": "started", "unit": unit, "id": id})));
                            let record = json!({"id": id, "outcome": "passed", "duration": 0.001,
                                "start": 0.0, "path": "tests/test_a.py", "line": 1});
                            say(line(
                                json!({"ev": "finished", "unit": unit, "record": record}),
                            ));
                        }
                        say(line(json!({"ev": "unit_done", "unit": unit})));
                    }
                    Some("shutdown") => {
                        say(line(json!({"ev": "closed", "threads": []})));
                        say(WorkerEventKind::Exited("exited with code 0".into()));
                        return;
                    }
                    _ => {}
                }
            }
        });
        Ok(WorkerHandle {
            pid: 1,
            input: tx,
            kill: Box::new(|| {}),
        })
    }
}

#[test]
fn a_run_is_announced_driven_reported_and_finished_in_that_order() {
    let root = std::env::temp_dir().join(format!("dbtest-execute-{}", std::process::id()));
    std::fs::create_dir_all(root.join("tests")).unwrap();
    std::fs::write(
        root.join("tests/test_a.py"),
        "def test_one():\n    pass\n\ndef test_two():\n    pass\n",
    )
    .unwrap();
    let prepared = prepare(&RunRequest {
        cwd: root.clone(),
        workers: Some(1),
        ..RunRequest::default()
    })
    .unwrap();

    let (etx, erx) = std::sync::mpsc::channel::<Event>();
    let (_ctx, crx) = mpsc::unbounded_channel();
    let mut kept = None;
    let mut events: Vec<Event> = Vec::new();
    execute(prepared, Arc::new(PassingWorker), etx, crx, |report| {
        // Kept before `RunFinished` is sent.
        events.extend(erx.try_iter());
        assert!(!events
            .iter()
            .any(|e| matches!(e, Event::RunFinished { .. })));
        kept = Some(report);
    });
    events.extend(erx.try_iter());

    assert!(matches!(events.first(), Some(Event::RunStarted { .. })));
    let Some(Event::RunFinished { summary, .. }) = events.last() else {
        panic!("the last event is not RunFinished: {:?}", events.last())
    };
    assert_eq!(summary.passed, 2);
    let report = kept.expect("the report was kept");
    assert_eq!(report.summary, *summary);
    assert_eq!(
        report
            .tests
            .iter()
            .map(|t| t.id.as_str())
            .collect::<Vec<_>>(),
        ["tests/test_a.py::test_one", "tests/test_a.py::test_two"]
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn the_config_read_for_the_early_workers_is_the_runs_and_is_read_once() {
    let root = std::env::temp_dir().join(format!("dbtest-early-config-{}", std::process::id()));
    std::fs::create_dir_all(root.join("tests")).unwrap();
    std::fs::write(root.join("tests/test_a.py"), "def test_one():\n    pass\n").unwrap();
    let config = |workers: u32| {
        std::fs::write(
            root.join("pyproject.toml"),
            format!("[tool.dbtest]\nworkers = {workers}\n"),
        )
        .unwrap()
    };
    config(2);
    let plan = dbtest_engine::session::prefork_plan(&root, "python3".as_ref(), None, true, &[]);
    assert_eq!(plan.map(|p| p.workers), Some(2));
    // Changed after the early start: the run uses what was read then, once.
    config(3);
    let request = RunRequest {
        cwd: root.clone(),
        ..RunRequest::default()
    };
    assert_eq!(prepare(&request).unwrap().config.workers, 2);
    assert_eq!(prepare(&request).unwrap().config.workers, 3);
    std::fs::remove_dir_all(&root).unwrap();
}
