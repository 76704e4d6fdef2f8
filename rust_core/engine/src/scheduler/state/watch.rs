//! The watchdog over user code beyond the tests themselves.
//!
//! A worker announces each phase of user code that is not a test's own
//! (`phase`): an import, a suite or class hook, a fixture wider than a
//! test. Each gets `setup-timeout`; past it, the worker is killed (a sync
//! phase at once, an async one after the grace its own cancellation gets).
//! Anything running past `slow-timeout` is announced as SLOW. The run's
//! deadline (`run-timeout`) cuts everything. Every kill for a time limit is
//! preceded by a request for the worker's stacks, so that what it was
//! stuck on reaches the records.

use super::{Action, KillCause, SlotState, State, UserPhase};
use crate::events::Event;
use crate::scheduler::protocol::PhaseStart;
use crate::scheduler::stacks::StackHook;
use std::collections::HashMap;

impl State {
    /// `ready`: the worker has started and waits for work.
    pub(super) fn on_ready(&mut self, slot: u32, stacks: Option<StackHook>) {
        let s = &mut self.slots[slot as usize];
        if s.state == SlotState::Starting {
            s.state = SlotState::Ready;
        }
        s.was_ready = true;
        s.stacks = stacks;
        self.startup_failures = 0;
    }

    /// `phase`: user code beyond a test begins in `slot`.
    pub(super) fn on_phase(&mut self, slot: u32, p: PhaseStart) {
        let phase = UserPhase {
            what: p.what,
            since: self.now,
            sync: p.sync,
            slow_told: 0,
            stacks: p.stacks,
        };
        let s = &mut self.slots[slot as usize];
        let Some(unit) = p.unit else {
            s.phase = Some(phase);
            return;
        };
        let Some(f) = s.flights.get_mut(&unit) else {
            return;
        };
        match p.test {
            Some(id) => {
                if let Some(r) = f.running.get_mut(&id) {
                    r.phase = Some(phase);
                }
            }
            None => f.phase = Some(phase),
        }
    }

    /// `phase_end`: a phase inside a running test ended; its time is not
    /// the test's.
    pub(super) fn on_phase_end(&mut self, slot: u32, unit: Option<u64>, test: &str) {
        let now = self.now;
        let s = &mut self.slots[slot as usize];
        let running = match unit {
            Some(u) => s.flights.get_mut(&u).and_then(|f| f.running.get_mut(test)),
            None => None,
        };
        if let Some(r) = running {
            if let Some(p) = r.phase.take() {
                r.paused += now - p.since;
            }
        }
    }

    /// The budget of a phase: `setup-timeout`, or the run's `timeout`.
    pub(super) fn setup_budget(&self) -> Option<f64> {
        self.cfg.setup_timeout.or(self.cfg.timeout)
    }

    /// Kill the workers with a phase past its budget.
    pub(super) fn kill_hung_phases(&mut self, now: f64, actions: &mut Vec<Action>) {
        let Some(budget) = self.setup_budget() else {
            return;
        };
        let grace = self.cfg.kill_grace;
        let over = |p: &UserPhase| now - p.since >= budget + if p.sync { 0.0 } else { grace };
        let mut kills = Vec::new();
        for (i, s) in self.slots.iter().enumerate() {
            if s.kill.is_some() || s.state == SlotState::Empty {
                continue;
            }
            let hung = |unit: Option<u64>, test: Option<&String>, p: &UserPhase| {
                let cause = KillCause::Phase {
                    unit,
                    test: test.cloned(),
                    what: p.what.clone(),
                    after: budget,
                };
                (cause, p.stacks.clone())
            };
            let mut found = s
                .phase
                .as_ref()
                .filter(|p| over(p))
                .map(|p| hung(None, None, p));
            for (unit, f) in &s.flights {
                if let Some(p) = f.phase.as_ref().filter(|p| over(p)) {
                    found = Some(hung(Some(*unit), None, p));
                }
                for (id, r) in &f.running {
                    if let Some(p) = r.phase.as_ref().filter(|p| over(p)) {
                        found = Some(hung(Some(*unit), Some(id), p));
                    }
                }
            }
            if let Some(found) = found {
                kills.push((i, found));
            }
        }
        for (i, (cause, hook)) in kills {
            if hook.is_some() {
                // The phase runs in another process of the worker's: its stacks.
                self.slots[i].stacks = hook;
            }
            self.kill_with_stacks(i, cause, actions);
        }
    }

    /// Announce what runs past `slow-timeout`, once per period.
    pub(super) fn announce_slow(&mut self, now: f64, actions: &mut Vec<Action>) {
        let Some(period) = self.cfg.slow_timeout.filter(|p| *p > 0.0) else {
            return;
        };
        let mut told = Vec::new();
        let mut due = |what: &str, since: f64, count: &mut u32, worker: usize| {
            let periods = ((now - since) / period).floor() as u32;
            if periods > *count {
                *count = periods;
                told.push((worker as u32, what.to_string(), f64::from(periods) * period));
            }
        };
        for (i, s) in self.slots.iter_mut().enumerate() {
            if let Some(p) = s.phase.as_mut() {
                due(&p.what, p.since, &mut p.slow_told, i);
            }
            for f in s.flights.values_mut() {
                if let Some(p) = f.phase.as_mut() {
                    due(&p.what, p.since, &mut p.slow_told, i);
                }
                for (id, r) in f.running.iter_mut() {
                    due(id, r.started_at, &mut r.slow_told, i);
                }
            }
        }
        for (worker, what, seconds) in told {
            match self.slow.iter_mut().find(|(w, _)| *w == what) {
                Some(entry) => entry.1 = seconds,
                None => self.slow.push((what.clone(), seconds)),
            }
            actions.push(Action::Emit(Event::Slow {
                worker,
                what,
                seconds,
            }));
        }
    }

    /// At the run's deadline: nothing new starts, what runs is cut (with
    /// its stacks), and the rest is cancelled.
    pub(super) fn check_deadline(&mut self, now: f64, actions: &mut Vec<Action>) {
        let Some(limit) = self.cfg.run_timeout else {
            return;
        };
        if self.deadline_reached || now < limit {
            return;
        }
        self.deadline_reached = true;
        self.run_error(
            "run".into(),
            format!(
                "the run's deadline (run-timeout {limit}s) was reached: running tests were \
                 cut (timeout) and the others cancelled"
            ),
            None,
            actions,
        );
        // Not `begin_cancel`: the workers are not asked to cancel what runs
        // (it would end `cancelled`); what runs is cut, and is a timeout.
        self.cancelling = Some(now);
        self.cancel_queued(actions);
        let busy: Vec<usize> = (0..self.slots.len())
            .filter(|&i| {
                let s = &self.slots[i];
                s.state != SlotState::Empty && s.kill.is_none()
            })
            .collect();
        for i in busy {
            self.kill_with_stacks(i, KillCause::Deadline, actions);
        }
        self.check_progress(actions);
    }

    /// Kill the worker of slot `i` for `cause`; when it has a stack-dump
    /// hook, ask for its stacks first and kill it once they are written.
    pub(super) fn kill_with_stacks(
        &mut self,
        i: usize,
        cause: KillCause,
        actions: &mut Vec<Action>,
    ) {
        let s = &mut self.slots[i];
        if s.kill.is_some() || s.state == SlotState::Empty {
            return;
        }
        s.kill = Some(cause);
        match &s.stacks {
            Some(hook) if s.state != SlotState::Starting => {
                actions.push(Action::DumpStacks {
                    slot: i as u32,
                    pid: hook.pid.unwrap_or(s.pid),
                    signal: hook.signal,
                });
                s.kill_at = Some(self.now + self.cfg.stack_wait);
            }
            _ => actions.push(Action::Kill { slot: i as u32 }),
        }
    }

    /// Carry out the kills whose stacks have had time to be written.
    pub(super) fn carry_out_kills(&mut self, now: f64, actions: &mut Vec<Action>) {
        for (i, s) in self.slots.iter_mut().enumerate() {
            if s.kill_at.is_some_and(|at| now >= at) {
                s.kill_at = None;
                if let Some(hook) = &s.stacks {
                    actions.push(Action::CollectStacks {
                        slot: i as u32,
                        hook: hook.clone(),
                    });
                }
                actions.push(Action::Kill { slot: i as u32 });
            }
        }
    }

    /// The stacks the worker of `slot` wrote, formatted (see `stacks`).
    pub fn on_stacks(&mut self, slot: u32, text: Option<String>) {
        self.slots[slot as usize].dumped = text;
    }

    /// Remember a phase that hung, so that the tests sent again do not
    /// hang a fresh worker on it too.
    pub(super) fn remember_hung(&mut self, path: &str, what: &str) {
        let key = if what.ends_with("(session)") {
            ""
        } else {
            path
        };
        let list = self.hung.entry(key.to_string()).or_default();
        if !list.iter().any(|w| w == what) {
            list.push(what.to_string());
        }
    }
}

/// Phases known to hang for a unit of `path` (see `State::remember_hung`).
pub(super) fn hung_for(hung: &HashMap<String, Vec<String>>, path: &str) -> Vec<String> {
    let mut out: Vec<String> = hung.get(path).cloned().unwrap_or_default();
    out.extend(hung.get("").into_iter().flatten().cloned());
    out
}

/// Whether a phase undoes something (its hang is a run error: every test
/// it served already has its outcome).
pub(super) fn is_teardown(what: &str) -> bool {
    what.starts_with("teardown") || what.starts_with("tearDown")
}

/// The message of a test cut by the run's deadline.
pub(super) fn deadline_message(limit: Option<f64>) -> String {
    let limit = limit
        .map(|l| format!(" (run-timeout {l}s)"))
        .unwrap_or_default();
    format!("cut at the run's deadline{limit}; its worker was killed")
}
