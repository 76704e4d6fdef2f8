//! What supervising a worker takes from the operating system, per platform
//! (docs/platforms.md).
//!
//! - Unix (Linux, macOS): a worker leads its own process group, so the
//!   terminal's Ctrl-C reaches only the CLI and one `kill(-pgid)` ends the
//!   worker and whatever its tests started; a stack dump is a signal; an
//!   exit is described with its signal.
//! - Windows: a worker starts in a new console process group (Ctrl-C does
//!   not reach it); a kill is `taskkill /F /T`, which ends the worker and
//!   the processes it started; there is no stack-dump signal (the worker
//!   names no hook in `ready`, so a kill for a time limit comes without
//!   stacks), and what a test left running after its worker exited on its
//!   own is not found any more (Windows keeps no group to kill).

use std::process::{Command, ExitStatus};

/// Start `cmd` apart from the terminal's Ctrl-C.
pub fn detach(cmd: &mut Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        cmd.creation_flags(CREATE_NEW_PROCESS_GROUP);
    }
}

/// Kill worker `pid` and what it started, now.
pub fn kill_tree(pid: u32) {
    if pid == 0 {
        return;
    }
    #[cfg(unix)]
    // SAFETY: kill(2) on a process group we created (or on the process
    // itself, if a forked worker was killed before it made its group); no
    // memory is touched.
    unsafe {
        if libc::kill(-(pid as i32), libc::SIGKILL) != 0 {
            libc::kill(pid as i32, libc::SIGKILL);
        }
    }
    #[cfg(windows)]
    {
        // Not waited for: the worker's own waiter sees it end.
        let _ = Command::new("taskkill")
            .args(["/F", "/T", "/PID", &pid.to_string()])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
    }
}

/// After worker `pid` ended: end what its tests left running (a server
/// never stopped, a child holding its pipes) with it.
pub fn kill_leftovers(pid: u32) {
    #[cfg(unix)]
    // SAFETY: kill(2) on the group the worker led; a pid stays unused while
    // a group of that id has members, so no other process can be hit. No
    // memory is touched.
    unsafe {
        libc::kill(-(pid as i32), libc::SIGKILL);
    }
    // Windows: the worker's children are no longer findable from its pid.
    #[cfg(windows)]
    let _ = pid;
}

/// Send `signal` to worker `pid` (its stack-dump request; Unix only: a
/// Windows worker never names a signal).
pub fn signal(pid: u32, signal: i32) {
    #[cfg(unix)]
    if pid > 0 {
        // SAFETY: kill(2) on one of our workers; no memory is touched.
        unsafe {
            libc::kill(pid as i32, signal);
        }
    }
    #[cfg(windows)]
    let _ = (pid, signal);
}

/// "exit code 3", "killed by signal 11 (SIGSEGV)".
pub fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit code {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("killed by signal {sig} ({})", signal_name(sig));
        }
    }
    "ended".to_string()
}

#[cfg(unix)]
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
