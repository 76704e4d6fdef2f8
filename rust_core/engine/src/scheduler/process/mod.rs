//! Worker processes: start `python -m dbtest.worker`, read its protocol
//! lines and its raw output, write requests, kill it, report how it ended.

mod os;
#[cfg(unix)]
mod zygote;

#[cfg(unix)]
pub use zygote::adopt_forked;

use super::driver::{Launcher, WorkerEvent, WorkerEventKind, WorkerHandle};
use std::io;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Mutex;
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
    /// Forked by the CLI's zygote (`adopt_forked`, Unix).
    #[cfg(unix)]
    Forked(zygote::Forked),
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
            .stderr(Stdio::piped());
        // The terminal's Ctrl-C reaches only the CLI, which decides what the
        // workers do.
        os::detach(&mut cmd);
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
                #[cfg(unix)]
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
            // What its tests left running (a server never stopped, a
            // child holding its pipes) ends with it.
            os::kill_leftovers(pid);
            // Let the readers drain what the worker wrote before it ended, but
            // do not wait for grandchildren that inherited the pipes.
            let _ = tokio::time::timeout(Duration::from_millis(500), lines).await;
            let _ = tokio::time::timeout(Duration::from_millis(200), raw).await;
            let how = match status {
                Ok(Ok(s)) => os::describe(s),
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
            kill: Box::new(move || os::kill_tree(pid)),
        })
    }

    fn signal(&self, pid: u32, signal: i32) {
        os::signal(pid, signal);
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

pub use os::describe;
