//! Time limits: a test over its timeout gets its worker killed, and so does
//! a worker still there too long after its last test.

use super::{Action, KillCause, SlotState, State};

/// Seconds a worker may take to exit once its teardown is done: what its
/// interpreter's exit waits for is non-daemon threads a test left running.
const THREAD_GRACE: f64 = 5.0;

impl State {
    /// Kill the workers running a test past its timeout (plus, for an async
    /// test, the grace its executor's own cancellation gets).
    pub(super) fn kill_timed_out(&mut self, now: f64, actions: &mut Vec<Action>) {
        let mut kills = Vec::new();
        for (i, s) in self.slots.iter().enumerate() {
            if s.kill.is_some() || s.state == SlotState::Empty {
                continue;
            }
            let mut expired = None;
            for f in s.flights.values() {
                for (id, r) in &f.running {
                    // `started` carries the test's effective timeout, as the
                    // worker computed it (its own, else the run's default).
                    if let Some(t) = r.timeout {
                        let grace = if r.sync { 0.0 } else { self.cfg.kill_grace };
                        // A wider phase inside it has its own budget.
                        if r.phase.is_none() && r.used(now) >= t + grace {
                            expired = Some(KillCause::Timeout {
                                id: id.clone(),
                                after: t,
                            });
                        }
                    }
                }
            }
            if let Some(cause) = expired {
                kills.push((i, cause));
            }
        }
        for (i, cause) in kills {
            self.kill_with_stacks(i, cause, actions);
        }
    }

    /// Kill the workers still there after their last test: those whose
    /// teardown overran `shutdown_grace`, and those whose non-daemon threads
    /// kept them alive `THREAD_GRACE` after it. Either is a run error: a
    /// teardown cut short may have left a database or a service behind.
    pub(super) fn kill_stragglers(&mut self, now: f64, actions: &mut Vec<Action>) {
        let mut grace = self.cfg.shutdown_grace;
        if self.deadline_reached {
            // Past the run's deadline, teardown gets only a short while.
            grace = grace.min(THREAD_GRACE);
        }
        let mut kills = Vec::new();
        for (i, s) in self.slots.iter().enumerate() {
            if s.state == SlotState::Empty || s.kill.is_some() {
                continue;
            }
            let message = match s.closed_at {
                None if now - self.phase_since >= grace => format!(
                    "worker {i} (pid {}): teardown (module and session fixtures, \
                     tearDownModule) still running {grace}s after its last test; \
                     killed (raise teardown-timeout to allow longer)",
                    s.pid
                ),
                Some(at) if now - at >= THREAD_GRACE => format!(
                    "worker {i} (pid {}): could not exit {THREAD_GRACE}s after its \
                     teardown, non-daemon threads still running ({}); killed",
                    s.pid,
                    if s.lingering.is_empty() {
                        "none named".to_string()
                    } else {
                        s.lingering.join(", ")
                    }
                ),
                _ => continue,
            };
            kills.push((i, message));
        }
        // Reported when the worker is gone, with where it was stuck.
        for (i, message) in kills {
            self.kill_with_stacks(i, KillCause::Straggler(message), actions);
        }
    }
}
