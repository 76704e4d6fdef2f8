//! The async loop that connects the state machine to real (or fake)
//! workers, the clock, and the user's cancel requests.

use super::protocol::Message;
use super::stacks;
use super::state::{Action, State};
use crate::events::Event;
use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// What a worker said or did, tagged with its slot and process generation
/// (so that late words of a replaced process are not taken for the new one's).
#[derive(Debug)]
pub struct WorkerEvent {
    pub slot: u32,
    pub gen: u64,
    pub kind: WorkerEventKind,
}

#[derive(Debug)]
pub enum WorkerEventKind {
    /// One protocol line.
    Line(String),
    /// Output the worker wrote to its file descriptors 1 and 2.
    Raw(String),
    /// The process ended; how.
    Exited(String),
}

/// A started worker: where to write requests and how to kill it.
pub struct WorkerHandle {
    pub pid: u32,
    pub input: mpsc::UnboundedSender<String>,
    pub kill: Box<dyn Fn() + Send + Sync>,
}

/// Starts workers. The real one spawns processes; tests use a fake.
pub trait Launcher: Send + Sync {
    fn launch(
        &self,
        slot: u32,
        gen: u64,
        events: mpsc::UnboundedSender<WorkerEvent>,
    ) -> io::Result<WorkerHandle>;

    /// Send `signal` to worker `pid` (its stack-dump request). Only process
    /// workers have a stack-dump hook, so only they are ever asked.
    fn signal(&self, _pid: u32, _signal: i32) {}
}

/// Requests from the user while a run is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Ctrl-C once (or the TUI's stop): cancel gracefully.
    Cancel,
    /// Ctrl-C twice: kill the workers now.
    Kill,
}

/// How often timeouts and grace periods are checked.
const TICK: Duration = Duration::from_millis(20);

/// Run the state machine to the end. Events go to `events`; the final state
/// (records, errors, benchmark measurements) is returned.
pub async fn drive(
    mut state: State,
    first: Vec<Action>,
    launcher: Arc<dyn Launcher>,
    events: std::sync::mpsc::Sender<Event>,
    mut control: mpsc::UnboundedReceiver<Control>,
) -> State {
    let start = Instant::now();
    let (wtx, mut wrx) = mpsc::unbounded_channel::<WorkerEvent>();
    let mut workers: HashMap<u32, (u64, WorkerHandle)> = HashMap::new();
    let mut gen = 0u64;
    let mut control_open = true;
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    let mut pending = first;
    loop {
        // Carry out actions; spawning may produce more.
        while !pending.is_empty() {
            let mut next = Vec::new();
            for action in pending.drain(..) {
                match action {
                    Action::Emit(e) => {
                        let _ = events.send(e);
                    }
                    Action::Send { slot, request } => {
                        if let Some((_, w)) = workers.get(&slot) {
                            let _ = w.input.send(request.to_line());
                        }
                    }
                    Action::Kill { slot } => {
                        if let Some((_, w)) = workers.get(&slot) {
                            (w.kill)();
                        }
                    }
                    Action::DumpStacks { slot, pid, signal } => {
                        if workers.contains_key(&slot) {
                            launcher.signal(pid, signal);
                        }
                    }
                    Action::CollectStacks { slot, hook } => {
                        let dump = stacks::take_dump(&hook);
                        let text = stacks::format_dump(&dump, &hook, stacks::source_line);
                        state.on_stacks(slot, text);
                    }
                    Action::Spawn { slot } => {
                        gen += 1;
                        match launcher.launch(slot, gen, wtx.clone()) {
                            Ok(handle) => {
                                next.extend(state.on_spawned(slot, handle.pid));
                                workers.insert(slot, (gen, handle));
                            }
                            Err(e) => next.extend(state.on_spawn_failed(slot, &e.to_string())),
                        }
                    }
                }
            }
            pending = next;
        }
        if state.is_done() {
            break;
        }

        tokio::select! {
            Some(ev) = wrx.recv() => {
                state.set_now(start.elapsed().as_secs_f64());
                let current = workers.get(&ev.slot).map(|(g, _)| *g);
                if current != Some(ev.gen) {
                    continue; // a replaced process
                }
                pending = match ev.kind {
                    WorkerEventKind::Line(line) => match Message::parse(&line) {
                        Ok(msg) => state.on_message(ev.slot, msg),
                        // A line that is not protocol: keep it as output.
                        Err(_) => state.on_raw_output(ev.slot, &format!("{line}\n")),
                    },
                    WorkerEventKind::Raw(text) => state.on_raw_output(ev.slot, &text),
                    WorkerEventKind::Exited(how) => {
                        workers.remove(&ev.slot);
                        state.on_exit(ev.slot, &how)
                    }
                };
            }
            c = control.recv(), if control_open => {
                state.set_now(start.elapsed().as_secs_f64());
                pending = match c {
                    Some(Control::Cancel) => state.cancel(false, true),
                    Some(Control::Kill) => state.cancel(true, true),
                    None => { control_open = false; Vec::new() }
                };
            }
            _ = ticker.tick() => {
                pending = state.tick(start.elapsed().as_secs_f64());
            }
        }
    }
    state
}
