//! The run's phases: tests, then (on one fresh worker) benchmarks, then the
//! workers' shutdown.

use super::{Action, KillCause, Phase, SlotState, State};
use crate::scheduler::protocol::Request;

impl State {
    /// Hand out work, replace dead workers, and move between phases.
    pub(super) fn check_progress(&mut self, actions: &mut Vec<Action>) {
        if self.cancelling.is_some() {
            // Work put back by a crash after the cancel began.
            self.cancel_queued(actions);
        }
        match self.phase {
            Phase::Tests => {
                self.dispatch(actions);
                let in_flight = self.slots.iter().any(|s| !s.flights.is_empty());
                if self.queue.is_empty() && !in_flight {
                    self.stop_workers(actions);
                    self.phase = Phase::ToBench;
                    self.phase_since = self.now;
                    self.maybe_start_bench(actions);
                }
            }
            Phase::ToBench => self.maybe_start_bench(actions),
            Phase::Bench => {
                self.dispatch(actions);
                let in_flight = self.slots.iter().any(|s| !s.flights.is_empty());
                if self.bench_queue.is_empty() && !in_flight {
                    self.stop_workers(actions);
                    self.phase = Phase::ShuttingDown;
                    self.phase_since = self.now;
                    self.maybe_done();
                }
            }
            Phase::ShuttingDown => self.maybe_done(),
            Phase::Done => {}
        }
    }

    pub(super) fn maybe_start_bench(&mut self, actions: &mut Vec<Action>) {
        if self.slots.iter().any(|s| s.state != SlotState::Empty) {
            return;
        }
        self.enter_bench_or_finish(actions);
    }

    pub(super) fn enter_bench_or_finish(&mut self, actions: &mut Vec<Action>) {
        if self.bench_queue.is_empty() || self.cancelling.is_some() {
            self.phase = Phase::ShuttingDown;
            self.maybe_done();
        } else {
            // One dedicated, fresh worker runs benchmarks one at a time.
            self.phase = Phase::Bench;
            self.spawn(0, actions);
        }
    }

    pub(super) fn maybe_done(&mut self) {
        if self.slots.iter().all(|s| s.state == SlotState::Empty) {
            self.phase = Phase::Done;
        }
    }

    pub(super) fn stop_workers(&mut self, actions: &mut Vec<Action>) {
        for (i, s) in self.slots.iter_mut().enumerate() {
            match s.state {
                SlotState::Ready => {
                    s.state = SlotState::Stopping;
                    actions.push(Action::Send {
                        slot: i as u32,
                        request: Request::Shutdown,
                    });
                }
                SlotState::Starting => {
                    s.state = SlotState::Stopping;
                    s.kill = Some(KillCause::Shutdown);
                    actions.push(Action::Kill { slot: i as u32 });
                }
                _ => {}
            }
        }
    }
}
