//! Workers forked by the CLI's zygote (Unix; the CLI forks one only on
//! Linux, where it can be the workers' subreaper: `dbtest/cli/prefork.py`).
//! Everywhere else, and with `DBTEST_PREFORK=0`, workers are spawned.

use super::{os, Prewarmed, ProcessLauncher, Started, WorkerProcess, POOL};
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// A process the CLI forked before its own imports; it imports the
/// worker's modules once, forks the workers from itself, writes their pids
/// on its status pipe and exits. This process is their subreaper
/// ([`become_subreaper`]), so the workers become its children then.
struct Zygote {
    pid: i32,
    status: Mutex<Option<std::fs::File>>,
    pids: OnceLock<Vec<u32>>,
}

impl Zygote {
    /// The workers' pids, in fork order; empty if the zygote failed. The
    /// first call waits for the zygote's line (it is written ~50 ms after
    /// the CLI started, about when the run first needs a worker), at most
    /// [`ZYGOTE_PATIENCE`]: a zygote stuck importing is killed, and the
    /// run spawns its workers instead.
    fn pids(&self) -> &[u32] {
        self.pids.get_or_init(|| {
            let file = self.status.lock().ok().and_then(|mut f| f.take());
            let line = file.and_then(read_line_within).unwrap_or_default();
            let pids: Vec<u32> = line
                .split_whitespace()
                .map(|p| p.parse().unwrap_or(0))
                .collect();
            if pids.is_empty() {
                os::kill_tree(self.pid as u32);
            }
            pids
        })
    }
}

/// How long the run waits for a zygote's pids.
const ZYGOTE_PATIENCE: Duration = Duration::from_secs(10);

/// One line from `file`, if it comes within [`ZYGOTE_PATIENCE`].
fn read_line_within(mut file: std::fs::File) -> Option<String> {
    use std::os::fd::AsRawFd;
    let deadline = std::time::Instant::now() + ZYGOTE_PATIENCE;
    let mut line = Vec::new();
    let mut buf = [0u8; 512];
    while !line.contains(&b'\n') {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let mut fd = libc::pollfd {
            fd: file.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll reads and writes only `fd`, which outlives the call.
        let ready = unsafe { libc::poll(&mut fd, 1, left.as_millis() as libc::c_int) };
        if ready == 0 {
            return None; // timed out
        }
        if ready < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return None;
        }
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => line.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(String::from_utf8_lossy(&line).into_owned())
}

/// One worker forked by a zygote: the parent's ends of its three pipes.
pub(super) struct Forked {
    zygote: Arc<Zygote>,
    index: usize,
    stdin: OwnedFd,
    stdout: OwnedFd,
    stderr: OwnedFd,
}

impl WorkerProcess {
    /// `None` when the zygote failed before forking this worker.
    pub(super) fn forked(f: Forked) -> Option<WorkerProcess> {
        let pid = *f.zygote.pids().get(f.index).filter(|&&p| p > 0)?;
        let zygote = f.zygote.pid;
        Some(WorkerProcess {
            pid,
            stdin: f.stdin.into(),
            stdout: f.stdout.into(),
            stderr: f.stderr.into(),
            wait: Box::new(move || {
                // The worker is ours only once the zygote has exited: reap
                // it first (ECHILD: another worker's waiter already did).
                let _ = wait_pid(zygote);
                wait_pid(pid as i32)
            }),
        })
    }
}

/// waitpid(2) for one child, retried on EINTR.
fn wait_pid(pid: i32) -> io::Result<ExitStatus> {
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes only to `status`, which outlives the call.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            return Ok(ExitStatus::from_raw(status));
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// Pool the workers a zygote (process `zygote`) forks, for a run that
/// `launcher` would start: `pipes[i]` holds the parent's ends (stdin,
/// stdout, stderr) of the i-th worker, and `status` the read end on which
/// the zygote writes their pids. The caller must already be their
/// subreaper ([`become_subreaper`]).
pub fn adopt_forked(
    launcher: &ProcessLauncher,
    zygote: i32,
    status: OwnedFd,
    pipes: Vec<[OwnedFd; 3]>,
) -> io::Result<()> {
    let zygote = Arc::new(Zygote {
        pid: zygote,
        status: Mutex::new(Some(std::fs::File::from(status))),
        pids: OnceLock::new(),
    });
    let mut pool = POOL
        .lock()
        .map_err(|_| io::Error::other("worker pool poisoned"))?;
    for (index, [stdin, stdout, stderr]) in pipes.into_iter().enumerate() {
        pool.push(Prewarmed {
            key: launcher.key(),
            process: Started::Forked(Forked {
                zygote: zygote.clone(),
                index,
                stdin,
                stdout,
                stderr,
            }),
        });
    }
    Ok(())
}
