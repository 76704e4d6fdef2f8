//! Worker processes: start `python -m dbtest.worker`, read its protocol
//! lines and its raw output, write requests, kill it, report how it ended.

use super::driver::{Launcher, WorkerEvent, WorkerEventKind, WorkerHandle};
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{ChildStderr, ChildStdin, ChildStdout};
use tokio::sync::mpsc;

/// Starts real worker processes.
#[derive(Debug, Clone)]
pub struct ProcessLauncher {
    pub python: PathBuf,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
}

impl ProcessLauncher {
    pub fn new(python: PathBuf, cwd: PathBuf) -> ProcessLauncher {
        ProcessLauncher {
            python,
            args: vec!["-m".into(), "dbtest.worker".into()],
            cwd,
            env: Vec::new(),
        }
    }
}

/// Processes started before the run was planned ([`prewarm`]), waiting to
/// be adopted by the run's launcher.
static POOL: Mutex<Vec<Prewarmed>> = Mutex::new(Vec::new());

/// Interpreter, arguments, directory and environment: a worker is adopted
/// only by a launcher that would have started the very same process.
type PoolKey = (PathBuf, Vec<String>, PathBuf, Vec<(String, String)>);

struct Prewarmed {
    key: PoolKey,
    process: Started,
}

/// How a worker waiting in the pool was started.
enum Started {
    /// `python -m dbtest.worker`, a child of this process.
    Spawned(std::process::Child),
    /// Forked by the CLI's zygote ([`adopt_forked`]).
    Forked(Forked),
}

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
                kill_group(self.pid as u32);
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
struct Forked {
    zygote: Arc<Zygote>,
    index: usize,
    stdin: OwnedFd,
    stdout: OwnedFd,
    stderr: OwnedFd,
}

/// A worker process as the launcher drives it, however it was started.
struct WorkerProcess {
    pid: u32,
    stdin: std::process::ChildStdin,
    stdout: std::process::ChildStdout,
    stderr: std::process::ChildStderr,
    /// Blocks until the process ends.
    wait: Box<dyn FnOnce() -> io::Result<ExitStatus> + Send>,
}

impl WorkerProcess {
    fn spawned(mut child: std::process::Child) -> io::Result<WorkerProcess> {
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(io::Error::other("worker pipes are missing"));
        };
        Ok(WorkerProcess {
            pid: child.id(),
            stdin,
            stdout,
            stderr,
            wait: Box::new(move || child.wait()),
        })
    }

    /// `None` when the zygote failed before forking this worker.
    fn forked(f: Forked) -> Option<WorkerProcess> {
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

/// Make this process the reaper of its orphaned descendants (Linux), so
/// workers forked by a zygote that has exited can be waited for. Returns
/// whether that worked; elsewhere, `false`.
pub fn become_subreaper() -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl with integer arguments only; it touches no memory of ours.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
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

/// Start `n` workers now, before the CLI has even parsed its options: a
/// worker needs ~60 ms to import asyncio and the executor, and the CLI
/// about as long to import its own modules, so the two overlap. The run's
/// launcher adopts them if they match its interpreter, directory and
/// environment; leftovers read end-of-file when the CLI exits, and leave.
pub fn prewarm(launcher: &ProcessLauncher, n: u32) -> io::Result<()> {
    let mut pool = POOL
        .lock()
        .map_err(|_| io::Error::other("worker pool poisoned"))?;
    for _ in 0..n {
        let child = launcher.command(None).spawn()?;
        pool.push(Prewarmed {
            key: launcher.key(),
            process: Started::Spawned(child),
        });
    }
    Ok(())
}

impl ProcessLauncher {
    fn key(&self) -> PoolKey {
        let cwd = std::fs::canonicalize(&self.cwd).unwrap_or_else(|_| self.cwd.clone());
        (
            self.python.clone(),
            self.args.clone(),
            cwd,
            self.env.clone(),
        )
    }

    fn command(&self, slot: Option<u32>) -> std::process::Command {
        let mut cmd = std::process::Command::new(&self.python);
        cmd.args(&self.args)
            .current_dir(&self.cwd)
            .envs(self.env.iter().cloned())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group: the terminal's Ctrl-C reaches only the
            // CLI, which decides what the workers do.
            .process_group(0);
        if let Some(slot) = slot {
            cmd.env("DBTEST_WORKER", slot.to_string());
        }
        cmd
    }

    fn adopt_or_spawn(&self, slot: u32) -> io::Result<WorkerProcess> {
        let key = self.key();
        loop {
            let Some(p) = POOL.lock().ok().and_then(|mut pool| {
                let pos = pool.iter().position(|p| p.key == key)?;
                Some(pool.remove(pos))
            }) else {
                break;
            };
            match p.process {
                // One that already died (killed from outside) is no use.
                Started::Spawned(mut child) => {
                    if matches!(child.try_wait(), Ok(None)) {
                        return WorkerProcess::spawned(child);
                    }
                }
                // One that died early is reported by its waiter, like any
                // worker that dies before it is ready.
                Started::Forked(f) => {
                    if let Some(w) = WorkerProcess::forked(f) {
                        return Ok(w);
                    }
                }
            }
        }
        WorkerProcess::spawned(self.command(Some(slot)).spawn()?)
    }
}

impl Launcher for ProcessLauncher {
    fn launch(
        &self,
        slot: u32,
        gen: u64,
        events: mpsc::UnboundedSender<WorkerEvent>,
    ) -> io::Result<WorkerHandle> {
        let WorkerProcess {
            pid,
            stdin,
            stdout,
            stderr,
            wait,
        } = self.adopt_or_spawn(slot)?;
        let mut stdin = ChildStdin::from_std(stdin)?;
        let stdout = ChildStdout::from_std(stdout)?;
        let mut stderr = ChildStderr::from_std(stderr)?;

        // Protocol lines (the worker's original stdout).
        let ev = events.clone();
        let lines = tokio::spawn(async move {
            let mut reader = BufReader::with_capacity(1 << 16, stdout);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let line = String::from_utf8_lossy(&buf).trim_end().to_string();
                        if !line.is_empty() {
                            let kind = WorkerEventKind::Line(line);
                            let _ = ev.send(WorkerEvent { slot, gen, kind });
                        }
                    }
                }
            }
        });

        // Raw output: everything written to fd 1 and 2 of the worker.
        let ev = events.clone();
        let raw = tokio::spawn(async move {
            let mut buf = vec![0u8; 1 << 16];
            loop {
                match stderr.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                        let kind = WorkerEventKind::Raw(text);
                        let _ = ev.send(WorkerEvent { slot, gen, kind });
                    }
                }
            }
        });

        let (input_tx, mut input_rx) = mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            while let Some(line) = input_rx.recv().await {
                if stdin.write_all(line.as_bytes()).await.is_err() {
                    break;
                }
                let _ = stdin.flush().await;
            }
        });

        // std's wait() blocks: a thread of the blocking pool waits, and a
        // kill signals the whole process group, which ends that wait.
        let ev = events;
        tokio::spawn(async move {
            let status = tokio::task::spawn_blocking(wait).await;
            // What its tests left running in its process group (a server
            // never stopped, a child holding its pipes) ends with it.
            // SAFETY: kill(2) on the group the worker led; a pid stays
            // unused while a group of that id has members, so no other
            // process can be hit. No memory is touched.
            unsafe {
                libc::kill(-(pid as i32), libc::SIGKILL);
            }
            // Let the readers drain what the worker wrote before it ended, but
            // do not wait for grandchildren that inherited the pipes.
            let _ = tokio::time::timeout(Duration::from_millis(500), lines).await;
            let _ = tokio::time::timeout(Duration::from_millis(200), raw).await;
            let how = match status {
                Ok(Ok(s)) => describe(s),
                Ok(Err(e)) => format!("could not be waited for: {e}"),
                Err(e) => format!("could not be waited for: {e}"),
            };
            let _ = ev.send(WorkerEvent {
                slot,
                gen,
                kind: WorkerEventKind::Exited(how),
            });
        });

        Ok(WorkerHandle {
            pid,
            input: input_tx,
            kill: Box::new(move || kill_group(pid)),
        })
    }

    fn signal(&self, pid: u32, signal: i32) {
        if pid > 0 {
            // SAFETY: kill(2) on one of our workers; no memory is touched.
            unsafe {
                libc::kill(pid as i32, signal);
            }
        }
    }
}

fn kill_group(pid: u32) {
    if pid > 0 {
        // SAFETY: kill(2) on a process group we created (or on the process
        // itself, if a forked worker was killed before it made its group);
        // no memory is touched.
        unsafe {
            if libc::kill(-(pid as i32), libc::SIGKILL) != 0 {
                libc::kill(pid as i32, libc::SIGKILL);
            }
        }
    }
}

/// "exit code 3", "killed by signal 11 (SIGSEGV)".
pub fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit code {code}");
    }
    match status.signal() {
        Some(sig) => format!("killed by signal {sig} ({})", signal_name(sig)),
        None => "ended".to_string(),
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGKILL => "SIGKILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGILL => "SIGILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGPIPE => "SIGPIPE",
        _ => "signal",
    }
}
