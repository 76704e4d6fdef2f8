//! Worker processes: start `python -m dbtest.worker`, read its protocol
//! lines and its raw output, write requests, kill it, report how it ended.

use super::driver::{Launcher, WorkerEvent, WorkerEventKind, WorkerHandle};
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;
use tokio::sync::{mpsc, Notify};

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

impl Launcher for ProcessLauncher {
    fn launch(
        &self,
        slot: u32,
        gen: u64,
        events: mpsc::UnboundedSender<WorkerEvent>,
    ) -> io::Result<WorkerHandle> {
        let mut cmd = Command::new(&self.python);
        cmd.args(&self.args)
            .current_dir(&self.cwd)
            .envs(self.env.iter().cloned())
            .env("DBTEST_WORKER", slot.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group: the terminal's Ctrl-C reaches only the
            // CLI, which decides what the workers do.
            .process_group(0)
            .kill_on_drop(true);
        let mut child = cmd.spawn()?;
        let pid = child.id().unwrap_or(0);
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr = child.stderr.take().expect("stderr is piped");

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
                            let _ = ev.send(WorkerEvent {
                                slot,
                                gen,
                                kind: WorkerEventKind::Line(line),
                            });
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
                        let _ = ev.send(WorkerEvent {
                            slot,
                            gen,
                            kind: WorkerEventKind::Raw(text),
                        });
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

        let kill = Arc::new(Notify::new());
        let killer = kill.clone();
        let ev = events;
        tokio::spawn(async move {
            let status = tokio::select! {
                s = child.wait() => s,
                _ = killer.notified() => {
                    kill_group(pid);
                    let _ = child.start_kill();
                    child.wait().await
                }
            };
            // Let the readers drain what the worker wrote before it ended, but
            // do not wait for grandchildren that inherited the pipes.
            let _ = tokio::time::timeout(Duration::from_millis(500), lines).await;
            let _ = tokio::time::timeout(Duration::from_millis(200), raw).await;
            let how = match status {
                Ok(s) => describe(s),
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
            kill: Box::new(move || kill.notify_one()),
        })
    }
}

fn kill_group(pid: u32) {
    if pid > 0 {
        // SAFETY: kill(2) on a process group we created; no memory is touched.
        unsafe {
            libc::kill(-(pid as i32), libc::SIGKILL);
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
