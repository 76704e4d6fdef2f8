//! Stopping the run early: Ctrl-C (`cancel`) and fail-fast (`max_fail`).

use super::{Action, KillCause, SlotState, State};
use crate::record::Outcome;
use crate::scheduler::protocol::Request;
use crate::scheduler::units::Unit;
use crate::tree::ItemKind;

impl State {
    /// Stop the run: nothing new starts, queued tests become `cancelled`,
    /// running ones are asked to stop. `hard` kills the workers at once.
    pub fn cancel(&mut self, hard: bool, interrupted: bool) -> Vec<Action> {
        let mut actions = Vec::new();
        self.interrupted |= interrupted;
        self.begin_cancel(&mut actions);
        if hard {
            self.kill_busy(KillCause::Cancel, &mut actions);
        }
        self.check_progress(&mut actions);
        actions
    }

    pub(super) fn begin_cancel(&mut self, actions: &mut Vec<Action>) {
        if self.cancelling.is_none() {
            self.cancelling = Some(self.now);
            self.cancel_queued(actions);
            for (i, s) in self.slots.iter().enumerate() {
                if !s.flights.is_empty() && s.state == SlotState::Ready {
                    actions.push(Action::Send {
                        slot: i as u32,
                        request: Request::Cancel,
                    });
                }
            }
        }
    }

    /// While cancelling, nothing queued may start: it is `cancelled`.
    pub(super) fn cancel_queued(&mut self, actions: &mut Vec<Action>) {
        let queued: Vec<Unit> = self
            .queue
            .drain(..)
            .chain(self.bench_queue.drain(..))
            .collect();
        for unit in queued {
            for id in unit.ids.iter().filter(|_| unit.kind == ItemKind::Test) {
                let rec =
                    self.synthetic(id, Outcome::Cancelled, "cancelled before it started", None);
                self.finalize(rec, actions);
            }
        }
    }

    pub(super) fn kill_busy(&mut self, cause: KillCause, actions: &mut Vec<Action>) {
        for (i, s) in self.slots.iter_mut().enumerate() {
            if !s.flights.is_empty() && s.state != SlotState::Empty && s.kill.is_none() {
                s.kill = Some(cause.clone());
                actions.push(Action::Kill { slot: i as u32 });
            }
        }
    }
}
