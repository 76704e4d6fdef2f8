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

/// A pipe whose ends are closed on exec, as the CLI's are (pipe2: Linux,
/// like the zygote tests that use it).
#[cfg(target_os = "linux")]
fn pipe() -> (std::os::fd::OwnedFd, std::os::fd::OwnedFd) {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into `fds`, which we then own.
    unsafe {
        assert_eq!(libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC), 0);
        (
            std::os::fd::OwnedFd::from_raw_fd(fds[0]),
            std::os::fd::OwnedFd::from_raw_fd(fds[1]),
        )
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_forked_worker_is_adopted_and_how_it_ended_is_read_after_its_zygote_left() {
    use dbtest_engine::scheduler::{adopt_forked, become_subreaper};
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;

    assert!(become_subreaper());
    // Were the worker spawned instead of adopted, it would say so.
    let l = shell("echo spawned");
    let (req_r, req_w) = pipe();
    let (proto_r, proto_w) = pipe();
    let (out_r, out_w) = pipe();
    let (status_r, status_w) = pipe();
    // The zygote starts the worker in the background on fds 3, 4 and 5,
    // writes its pid on fd 6 and leaves: the worker is orphaned to us. The
    // worker exits only once it has been reparented to us (its ppid in
    // /proc is ours): a shell zygote still exiting could itself reap a
    // child that ended first, which a real zygote never does.
    let mut zygote = std::process::Command::new("/bin/sh");
    zygote.env("REAPER", std::process::id().to_string());
    zygote.args([
        "-c",
        "sh -c 'read line; echo \"got $line\"; echo oops >&2; \
         while read -r _ _ _ p _ </proc/$$/stat; [ $p != $REAPER ]; do sleep 0.01; done; \
         exit 7' \
         <&3 >&4 2>&5 3<&- 4>&- 5>&- 6>&- & echo $! >&6; exit 0",
    ]);
    let fds = [
        req_r.as_raw_fd(),
        proto_w.as_raw_fd(),
        out_w.as_raw_fd(),
        status_w.as_raw_fd(),
    ];
    // SAFETY: only async-signal-safe calls (fcntl, dup2, close) between fork and exec.
    unsafe {
        zygote.pre_exec(move || {
            let high = fds.map(|fd| libc::fcntl(fd, libc::F_DUPFD, 20));
            for (i, fd) in high.iter().enumerate() {
                libc::dup2(*fd, 3 + i as i32);
                libc::close(*fd);
            }
            Ok(())
        });
    }
    let zygote_pid = zygote.spawn().unwrap().id() as i32; // reaped by the worker's waiter
    drop((req_r, proto_w, out_w, status_w));
    adopt_forked(&l, zygote_pid, status_r, vec![[req_w, proto_r, out_r]]).unwrap();

    runtime().block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let h = l.launch(0, 1, tx).unwrap();
        h.input.send("hello\n".into()).unwrap();
        let (mut lines, mut raw) = (Vec::new(), String::new());
        let how = loop {
            match next(&mut rx).await {
                WorkerEventKind::Line(line) => lines.push(line),
                WorkerEventKind::Raw(text) => raw.push_str(&text),
                WorkerEventKind::Exited(how) => break how,
            }
        };
        assert_eq!(lines, ["got hello"]);
        assert_eq!(raw, "oops\n");
        assert_eq!(how, "exit code 7");
    });
}

#[cfg(target_os = "linux")]
#[test]
fn a_zygote_that_failed_leaves_the_launcher_to_spawn_the_worker() {
    use dbtest_engine::scheduler::adopt_forked;

    let l = shell("echo spawned");
    let (_req_r, req_w) = pipe();
    let (proto_r, _proto_w) = pipe();
    let (out_r, _out_w) = pipe();
    let (status_r, status_w) = pipe();
    // It exits without a word: end-of-file on the status pipe.
    let mut zygote = std::process::Command::new("/bin/sh")
        .args(["-c", "exit 1"])
        .spawn()
        .unwrap();
    drop(status_w);
    adopt_forked(
        &l,
        zygote.id() as i32,
        status_r,
        vec![[req_w, proto_r, out_r]],
    )
    .unwrap();
    runtime().block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let _h = l.launch(0, 1, tx).unwrap();
        assert!(matches!(next(&mut rx).await, WorkerEventKind::Line(l) if l == "spawned"));
    });
    zygote.wait().unwrap();
}
