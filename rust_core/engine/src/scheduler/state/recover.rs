//! A worker exited: the tests it was running get an outcome or another
//! chance, the units it held go back to the queue, and workers that keep
//! dying before they are ready end the run.

use super::watch::is_teardown;
use super::{Action, Flight, KillCause, SlotState, State};
use crate::events::Event;
use crate::record::Outcome;
use crate::scheduler::units::Unit;
use crate::tree::ItemKind;
use std::collections::HashSet;

/// How many times a unit may be put back after its worker died.
const MAX_UNIT_REQUEUES: u32 = 3;
/// Workers that die before they are ready, in a row, before the run gives up.
const MAX_STARTUP_FAILURES: u32 = 3;

impl State {
    /// The worker process of `slot` exited; `how` says how ("exit code 1",
    /// "killed by signal 11 (SIGSEGV)").
    pub fn on_exit(&mut self, slot: u32, how: &str) -> Vec<Action> {
        let mut actions = Vec::new();
        let (state, was_ready, pid, cause, flights, startup_output, stacks) = {
            let s = &mut self.slots[slot as usize];
            if s.dumped.is_none() && s.state != SlotState::Stopping {
                // It died on its own: the file of its stack-dump hook is
                // left behind; read and removed, unused.
                if let Some(hook) = s.stacks.take() {
                    actions.push(Action::CollectStacks { slot, hook });
                }
            }
            let state = s.state;
            s.state = SlotState::Empty;
            s.kill_at = None;
            s.phase = None;
            (
                state,
                s.was_ready,
                s.pid,
                s.kill.take(),
                std::mem::take(&mut s.flights),
                std::mem::take(&mut s.startup_output),
                s.dumped.take(),
            )
        };
        let expected = state == SlotState::Stopping
            || matches!(cause, Some(KillCause::Shutdown | KillCause::Straggler(_)));
        if !expected {
            actions.push(Action::Emit(Event::WorkerCrashed {
                worker: slot,
                pid,
                reason: match &cause {
                    Some(KillCause::Timeout { id, after }) => {
                        format!("killed: {id} timed out after {after}s")
                    }
                    Some(KillCause::Phase { what, after, .. }) => {
                        format!("killed: {what} timed out after {after}s")
                    }
                    Some(KillCause::Deadline) => "killed: the run's deadline was reached".into(),
                    Some(KillCause::Cancel) => "killed: run cancelled".into(),
                    _ => how.to_string(),
                },
            }));
        }
        // What hung outside any unit is a run error, with where it hung.
        match &cause {
            Some(KillCause::Straggler(message)) => {
                self.run_error(
                    "session".into(),
                    message.clone(),
                    stacks.clone(),
                    &mut actions,
                );
            }
            Some(KillCause::Phase {
                unit: None,
                what,
                after,
                ..
            }) => {
                let message = phase_message(what, *after);
                self.run_error("session".into(), message, stacks.clone(), &mut actions);
            }
            _ => {}
        }
        if !was_ready && state == SlotState::Starting {
            self.startup_failures += 1;
            if self.startup_failures >= MAX_STARTUP_FAILURES {
                let detail = startup_output.trim();
                let msg = if detail.is_empty() {
                    format!("worker processes exit before they are ready ({how})")
                } else {
                    format!("worker processes exit before they are ready ({how}): {detail}")
                };
                self.fail_everything(&msg, &mut actions);
            }
        }

        let total_running: usize = flights.values().map(|f| f.running.len()).sum();
        let executing = flights
            .values()
            .filter(|f| f.unit.exclusive)
            .map(|f| f.seq)
            .min();
        for (_, f) in flights {
            if f.unit.exclusive && Some(f.seq) != executing && self.cancelling.is_none() {
                // Sent ahead and still waiting in the worker: nothing of it ran,
                // so it goes back as it was, without counting an attempt.
                self.requeue_as_it_was(f.unit);
                continue;
            }
            let died = Died {
                cause: &cause,
                how,
                total_running,
                stacks: stacks.as_deref(),
            };
            self.recover_flight(f, &died, &mut actions);
        }
        self.check_progress(&mut actions);
        actions
    }

    /// A unit that did nothing wrong goes back to the queue as it was.
    fn requeue_as_it_was(&mut self, mut unit: Unit) {
        unit.ids.retain(|q| !self.finals.contains(q));
        if !unit.ids.is_empty() {
            match unit.kind {
                ItemKind::Bench => self.bench_queue.push_front(unit),
                ItemKind::Test => self.queue.push_front(unit),
            }
        }
    }

    /// A worker died with `f` in flight: give the tests that were running an
    /// outcome (or another chance) and put the ones that had not started back.
    pub(super) fn recover_flight(&mut self, f: Flight, died: &Died, actions: &mut Vec<Action>) {
        let cause = died.cause;
        let deadline = matches!(cause, Some(KillCause::Deadline));
        let cancelling =
            !deadline && (self.cancelling.is_some() || matches!(cause, Some(KillCause::Cancel)));
        // A phase of this unit hung: (the test it ran inside, what, budget).
        let own_phase = match cause {
            Some(KillCause::Phase {
                unit: Some(u),
                test,
                what,
                after,
            }) if *u == f.unit.id => Some((test.clone(), what.clone(), *after)),
            _ => None,
        };
        // Killed for what another unit did: nothing of this one is to blame.
        let collateral = match cause {
            Some(KillCause::Phase { .. }) => own_phase.is_none(),
            Some(KillCause::Timeout { id, .. }) => !f.running.contains_key(id),
            _ => false,
        };
        if collateral && !cancelling {
            self.requeue_as_it_was(f.unit);
            return;
        }
        let stacks = died.stacks.map(str::to_string);
        let mut requeue_alone = Vec::new();
        for (id, r) in &f.running {
            let (outcome, message, retry) = match (cause, &own_phase) {
                _ if deadline => (
                    Outcome::Timeout,
                    super::watch::deadline_message(self.cfg.run_timeout),
                    false,
                ),
                _ if cancelling => (
                    Outcome::Cancelled,
                    "cancelled while running".to_string(),
                    false,
                ),
                (_, Some((Some(inside), _, _))) if inside != id => {
                    // Beside the test whose fixture hung: it did nothing wrong.
                    requeue_alone.push(id.clone());
                    continue;
                }
                (_, Some((_, what, after))) => (Outcome::Error, phase_message(what, *after), false),
                (Some(KillCause::Timeout { id: tid, after }), _) if tid == id => (
                    Outcome::Timeout,
                    format!("timed out after {after}s; its worker was killed and replaced"),
                    true,
                ),
                (Some(KillCause::Shutdown) | None, _)
                    if died.total_running > 1 && !self.isolated.contains(id) =>
                {
                    // Several tests ran at once: run each alone to find the culprit.
                    self.isolated.insert(id.clone());
                    requeue_alone.push(id.clone());
                    continue;
                }
                _ => (
                    Outcome::Crashed,
                    format!("the worker process died: {}", died.how),
                    true,
                ),
            };
            let mut rec = self.synthetic(id, outcome, &message, Some(r));
            rec.extra.insert(
                "worker_exit".into(),
                serde_json::Value::String(died.how.to_string()),
            );
            if outcome != Outcome::Cancelled && stacks.is_some() {
                rec.traceback = stacks.clone();
            }
            if retry && outcome.is_retryable() && self.retry_budget(id) > 0 {
                *self.extra_attempts.entry(id.clone()).or_default() += r.attempt;
                actions.push(Action::Emit(Event::TestRetrying {
                    id: id.clone(),
                    attempt: rec.attempts,
                    outcome,
                }));
                requeue_alone.push(id.clone());
                continue;
            }
            self.finalize(rec, actions);
        }

        // Requested ids not finished yet and not handled above.
        let running: HashSet<&String> = f.running.keys().collect();
        let pending: Vec<String> = f
            .unit
            .ids
            .iter()
            // Not finished under its own id: not run yet, or a prefix (a
            // file, a dynamic case) or a case multiplied by fixture params,
            // whose other tests may not have run (one that did is not
            // recorded twice: `finalize` keeps the first record).
            .filter(|q| !self.finals.contains(*q) && !running.contains(q))
            .cloned()
            .collect();

        for id in requeue_alone {
            if cancelling || deadline {
                let rec = self.synthetic(&id, Outcome::Cancelled, "cancelled while running", None);
                self.finalize(rec, actions);
                continue;
            }
            let unit = self.derived_unit(&f.unit, vec![id], true);
            self.queue.push_front(unit);
        }
        if let Some((test, what, after)) = &own_phase {
            let message = phase_message(what, *after);
            self.remember_hung(&f.unit.path, what);
            if is_teardown(what) {
                // Every test it served has its outcome: the hang is the run's.
                let scope = f.unit.path.clone();
                self.run_error(scope, message.clone(), stacks.clone(), actions);
            } else if test.is_none() && f.unit.kind == ItemKind::Test {
                // Its import or setup hung: the tests that depended on it
                // are errors, with where it hung.
                for id in &pending {
                    let mut rec = self.synthetic(id, Outcome::Error, &message, None);
                    rec.traceback = stacks.clone();
                    self.finalize(rec, actions);
                }
                return;
            } else if f.unit.kind == ItemKind::Bench {
                // A benchmark result has no traceback: the stack goes with
                // the error.
                let text = match &stacks {
                    Some(st) => format!("{message}\n{st}"),
                    None => message,
                };
                for id in &pending {
                    self.bench_error(id, &text, actions);
                }
                return;
            }
        }
        if pending.is_empty() {
            return;
        }
        if cancelling || deadline {
            for id in pending {
                if f.unit.kind == ItemKind::Test {
                    let rec = self.synthetic(
                        &id,
                        Outcome::Cancelled,
                        "cancelled before it started",
                        None,
                    );
                    self.finalize(rec, actions);
                }
            }
        } else if f.unit.attempt >= MAX_UNIT_REQUEUES {
            for id in pending {
                if f.unit.kind == ItemKind::Bench {
                    let msg = format!("its worker died {MAX_UNIT_REQUEUES} times ({})", died.how);
                    self.bench_error(&id, &msg, actions);
                    continue;
                }
                let rec = self.synthetic(
                    &id,
                    Outcome::Crashed,
                    &format!(
                        "not run: its worker died {MAX_UNIT_REQUEUES} times ({})",
                        died.how
                    ),
                    None,
                );
                self.finalize(rec, actions);
            }
        } else {
            let unit = self.derived_unit(&f.unit, pending, f.unit.exclusive);
            if f.unit.kind == ItemKind::Bench {
                self.bench_queue.push_front(unit);
            } else {
                self.queue.push_front(unit);
            }
        }
    }

    pub(super) fn derived_unit(&mut self, from: &Unit, ids: Vec<String>, exclusive: bool) -> Unit {
        let id = self.next_unit;
        self.next_unit += 1;
        Unit {
            id,
            path: from.path.clone(),
            ids,
            exclusive,
            kind: from.kind,
            attempt: from.attempt + 1,
            estimate: 0.0,
            splittable: from.splittable,
            keep_order: from.keep_order,
        }
    }

    pub(super) fn fail_everything(&mut self, message: &str, actions: &mut Vec<Action>) {
        self.run_error("run".into(), message.to_string(), None, actions);
        let units: Vec<Unit> = self
            .queue
            .drain(..)
            .chain(self.bench_queue.drain(..))
            .chain(
                self.slots
                    .iter_mut()
                    .flat_map(|s| std::mem::take(&mut s.flights).into_values().map(|f| f.unit)),
            )
            .collect();
        for unit in units {
            if unit.kind == ItemKind::Test {
                for id in &unit.ids {
                    let rec = self.synthetic(id, Outcome::Error, message, None);
                    self.finalize(rec, actions);
                }
            }
        }
        for (i, s) in self.slots.iter_mut().enumerate() {
            if s.state != SlotState::Empty {
                s.kill = Some(KillCause::Shutdown);
                actions.push(Action::Kill { slot: i as u32 });
            }
        }
    }
}

/// How a worker ended, for the flights it had.
pub(super) struct Died<'a> {
    cause: &'a Option<KillCause>,
    how: &'a str,
    /// Tests running in it at once (several: each is re-run alone).
    total_running: usize,
    /// Its stacks, when it was killed for a time limit.
    stacks: Option<&'a str>,
}

/// The message of what a phase's hang did to the tests that needed it.
fn phase_message(what: &str, after: f64) -> String {
    format!("{what} timed out after {after}s (setup-timeout); its worker was killed and replaced")
}
