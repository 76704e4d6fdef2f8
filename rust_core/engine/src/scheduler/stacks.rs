//! Where a worker was stuck: its stack-dump hook, and the dump read back.
//!
//! A sync hang holds the worker's only thread, so nothing in Python can
//! answer a question. The worker registers `faulthandler` on a signal and a
//! file of its own and names both in its `ready` message; before killing it
//! for any timeout, the scheduler sends the signal, waits a moment, reads the
//! file and formats what it finds as tracebacks: oldest call first, source
//! lines added, dbtest's own frames (and the machinery that calls the user's
//! code) hidden, as in the tracebacks of failures.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The worker's stack-dump hook, as its `ready` message describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackHook {
    /// The process it is in, when that is not the worker itself (a
    /// benchmark's measuring process, which runs the group's hooks).
    #[serde(default)]
    pub pid: Option<u32>,
    /// The signal `faulthandler` dumps on.
    pub signal: i32,
    /// The file it appends the dump to.
    pub path: PathBuf,
    /// The main thread's id (`faulthandler` names threads by id).
    #[serde(default)]
    pub main: Option<u64>,
    /// File prefixes whose frames are not the user's.
    #[serde(default)]
    pub hide: Vec<String>,
    /// File prefixes of the code that calls the user's (the executor): a
    /// thread's frames older than the newest of these are machinery (how
    /// the worker was started, forked or spawned), never the user's.
    #[serde(default)]
    pub callers: Vec<String>,
}

#[derive(Debug, PartialEq)]
struct Thread {
    id: Option<u64>,
    /// (file, line, function), innermost first as faulthandler writes them.
    frames: Vec<(String, u32, String)>,
}

/// Parse faulthandler's `dump_traceback(all_threads=True)` text.
fn parse(dump: &str) -> Vec<Thread> {
    let mut threads = Vec::new();
    for line in dump.lines() {
        let head = line
            .strip_prefix("Current thread ")
            .or_else(|| line.strip_prefix("Thread "));
        if let Some(rest) = head.filter(|r| r.contains("(most recent call first)")) {
            let hex = rest.split_whitespace().next().unwrap_or("");
            let id = u64::from_str_radix(hex.trim_start_matches("0x"), 16).ok();
            threads.push(Thread {
                id,
                frames: Vec::new(),
            });
            continue;
        }
        let Some(frame) = line.trim_start().strip_prefix("File \"") else {
            continue;
        };
        let Some((file, rest)) = frame.split_once("\", line ") else {
            continue;
        };
        let (lineno, func) = rest.split_once(" in ").unwrap_or((rest, "?"));
        if let (Some(t), Ok(n)) = (threads.last_mut(), lineno.trim().parse()) {
            t.frames
                .push((file.to_string(), n, func.trim().to_string()));
        }
    }
    threads
}

/// The dump as tracebacks for a record or a run error; `source` gives a
/// file's line (the driver reads files; tests pass a table). `None` when
/// the dump holds no thread at all (the worker did not answer the signal).
pub fn format_dump(
    dump: &str,
    hook: &StackHook,
    source: impl Fn(&str, u32) -> Option<String>,
) -> Option<String> {
    let mut threads = parse(dump);
    if threads.is_empty() {
        return None;
    }
    // The main thread first: that is where a sync test or hook runs.
    threads.sort_by_key(|t| t.id != hook.main || hook.main.is_none());
    let mut out = String::new();
    for t in &threads {
        let main = hook.main.is_some() && t.id == hook.main;
        let is =
            |prefixes: &[String], file: &str| prefixes.iter().any(|p| file.starts_with(p.as_str()));
        let frames: Vec<_> = t
            .frames
            .iter()
            .take_while(|(file, _, _)| !is(&hook.callers, file))
            .filter(|(file, _, _)| !is(&hook.hide, file))
            .collect();
        if frames.is_empty() && !main {
            continue; // one of dbtest's own threads
        }
        if !out.is_empty() {
            out.push('\n');
        }
        let name = if main {
            "Main thread".to_string()
        } else {
            format!("Thread 0x{:x}", t.id.unwrap_or(0))
        };
        if frames.is_empty() {
            out.push_str(&format!(
                "{name}: in dbtest's event loop, running none of the tests' code\n"
            ));
            continue;
        }
        out.push_str(&format!("{name} (most recent call last):\n"));
        for (file, line, func) in frames.iter().rev() {
            out.push_str(&format!("  File \"{file}\", line {line}, in {func}\n"));
            if let Some(text) = source(file, *line) {
                out.push_str(&format!("    {}\n", text.trim()));
            }
        }
    }
    Some(out.trim_end().to_string())
}

/// Read a source line from disk (for [`format_dump`] in the driver).
pub fn source_line(file: &str, line: u32) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let n = usize::try_from(line).ok()?.checked_sub(1)?;
    text.lines().nth(n).map(str::to_string)
}

/// What the file holds; the file is removed (its process is killed next,
/// or is already gone, and cannot remove it itself).
pub fn take_dump(hook: &StackHook) -> String {
    let text = std::fs::read_to_string(&hook.path).unwrap_or_default();
    let _ = std::fs::remove_file(&hook.path);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &str = "Thread 0x00007f00000000aa (most recent call first):
  File \"/usr/lib/python3.11/threading.py\", line 320 in wait
  File \"/proj/tests/test_x.py\", line 4 in poll

Current thread 0x00007f0000000001 (most recent call first):
  File \"/proj/tests/test_x.py\", line 8 in setup_suite
  File \"/venv/dbtest/execution/executor.py\", line 300 in _setup_suite
  File \"/usr/lib/python3.11/asyncio/base_events.py\", line 600 in run_forever
  File \"<frozen runpy>\", line 198 in _run_module_as_main
  File \"/venv/bin/dbtest\", line 6 in <module>

Thread 0x00007f00000000bb (most recent call first):
  File \"/venv/dbtest/worker.py\", line 10 in read
";

    fn hook() -> StackHook {
        StackHook {
            pid: None,
            signal: 37,
            path: PathBuf::from("/tmp/x"),
            main: Some(0x7f00_0000_0001),
            hide: vec![
                "/venv/dbtest/".into(),
                "/usr/lib/python3.11/asyncio/".into(),
                "<frozen runpy".into(),
            ],
            callers: vec!["/venv/dbtest/execution/".into()],
        }
    }

    fn source(file: &str, line: u32) -> Option<String> {
        (file == "/proj/tests/test_x.py" && line == 8).then(|| "    time.sleep(1000)".into())
    }

    #[test]
    fn the_main_thread_comes_first_with_its_hanging_line_and_dbtest_hidden() {
        let text = format_dump(DUMP, &hook(), source).unwrap();
        assert_eq!(
            text,
            "Main thread (most recent call last):
  File \"/proj/tests/test_x.py\", line 8, in setup_suite
    time.sleep(1000)

Thread 0x7f00000000aa (most recent call last):
  File \"/proj/tests/test_x.py\", line 4, in poll
  File \"/usr/lib/python3.11/threading.py\", line 320, in wait"
        );
    }

    #[test]
    fn an_idle_main_thread_says_so_and_an_empty_dump_is_none() {
        let dump = "Current thread 0x00007f0000000001 (most recent call first):
  File \"/usr/lib/python3.11/asyncio/base_events.py\", line 600 in run_forever
";
        let text = format_dump(dump, &hook(), |_, _| None).unwrap();
        assert!(
            text.starts_with("Main thread: in dbtest's event loop"),
            "{text}"
        );
        assert_eq!(format_dump("", &hook(), |_, _| None), None);
    }
}
