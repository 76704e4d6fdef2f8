//! Real processes under the launcher: a pre-started worker is adopted, a
//! kill ends the process group, and how a process ended is reported.

use dbtest_engine::scheduler::{prewarm, Launcher, ProcessLauncher, WorkerEvent, WorkerEventKind};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;

fn shell(script: &str) -> ProcessLauncher {
    let mut l = ProcessLauncher::new("/bin/sh".into(), std::env::temp_dir());
    l.args = vec!["-c".into(), script.into()];
    l
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

async fn next(rx: &mut mpsc::UnboundedReceiver<WorkerEvent>) -> WorkerEventKind {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("the worker said nothing")
        .expect("the channel closed")
        .kind
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_prewarmed_worker_is_adopted_by_the_launcher() {
    // The process prints when it started; an adopted one started before launch().
    let l = shell("date +%s%N; cat");
    prewarm(&l, 1).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let before_launch = now_ns();
    runtime().block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let _h = l.launch(0, 1, tx).unwrap();
        let WorkerEventKind::Line(line) = next(&mut rx).await else {
            panic!("expected a line")
        };
        let started: u128 = line.trim().parse().unwrap();
        assert!(
            started < before_launch,
            "the launcher started a new process"
        );

        // The next launch finds the pool empty and starts a fresh one.
        let (tx, mut rx) = mpsc::unbounded_channel();
        let _h2 = l.launch(1, 2, tx).unwrap();
        let WorkerEventKind::Line(line) = next(&mut rx).await else {
            panic!("expected a line")
        };
        assert!(line.trim().parse::<u128>().unwrap() >= before_launch);
    });
}

#[test]
fn kill_ends_the_worker_and_the_exit_says_how() {
    runtime().block_on(async {
        let l = shell("echo up; exec cat");
        let (tx, mut rx) = mpsc::unbounded_channel();
        let h = l.launch(0, 1, tx).unwrap();
        assert!(matches!(next(&mut rx).await, WorkerEventKind::Line(_)));
        (h.kill)();
        loop {
            if let WorkerEventKind::Exited(how) = next(&mut rx).await {
                assert!(how.contains("SIGKILL"), "{how}");
                break;
            }
        }

        let l = shell("echo to-fd-2 >&2; exit 3");
        let (tx, mut rx) = mpsc::unbounded_channel();
        let _h = l.launch(0, 2, tx).unwrap();
        let mut raw = String::new();
        loop {
            match next(&mut rx).await {
                WorkerEventKind::Raw(t) => raw.push_str(&t),
                WorkerEventKind::Exited(how) => {
                    assert_eq!(how, "exit code 3");
                    break;
                }
                WorkerEventKind::Line(_) => {}
            }
        }
        assert_eq!(raw, "to-fd-2\n");
    });
}
