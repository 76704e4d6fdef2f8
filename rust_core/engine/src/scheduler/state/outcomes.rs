//! Every selected test ends with exactly one final record: the worker's, or
//! one the scheduler makes for a test the worker could not report.

use super::{Action, Running, State};
use crate::events::Event;
use crate::ids;
use crate::record::{Outcome, TestRecord};
use crate::report::RunError;

impl State {
    pub(super) fn retry_budget(&self, id: &str) -> u32 {
        let allowed = self
            .items
            .get(id)
            .and_then(|i| i.retries)
            .unwrap_or(self.cfg.retries);
        allowed.saturating_sub(self.extra_attempts.get(id).copied().unwrap_or(0))
    }

    /// A record made by the scheduler for a test the worker could not report.
    pub(super) fn synthetic(
        &self,
        id: &str,
        outcome: Outcome,
        message: &str,
        running: Option<&Running>,
    ) -> TestRecord {
        let item = self.items.get(id).or_else(|| {
            // A dynamic case: take file and line from the item it expands.
            self.items.values().find(|i| ids::is_under(id, &i.id))
        });
        let extra = self.extra_attempts.get(id).copied().unwrap_or(0);
        let mut rec = TestRecord::new(
            id,
            item.map(|i| i.path.clone())
                .unwrap_or_else(|| ids::path_of(id).to_string()),
            item.map(|i| i.line).unwrap_or(0),
            outcome,
        );
        rec.attempts = extra
            + running
                .map(|r| r.attempt)
                .unwrap_or(if outcome == Outcome::Cancelled { 0 } else { 1 });
        rec.message = Some(message.to_string());
        rec.tags = item.map(|i| i.tags.clone()).unwrap_or_default();
        if let Some(r) = running {
            rec.duration = (self.now - r.started_at).max(0.0);
            rec.start = r.start_unix;
            rec.stdout = r.stdout.clone();
            rec.stderr = r.stderr.clone();
        }
        rec
    }

    /// Record a final outcome, once per id.
    pub(super) fn finalize(&mut self, record: TestRecord, actions: &mut Vec<Action>) {
        if !self.finals.insert(record.id.clone()) {
            return;
        }
        if record.is_failure() {
            self.failures += 1;
        }
        self.records.push(record.clone());
        actions.push(Action::Emit(Event::TestFinished { record }));
        if let Some(max) = self.cfg.max_fail {
            if self.failures >= max {
                self.begin_cancel(actions);
            }
        }
    }

    /// Record a run error for the report and emit it.
    pub(super) fn run_error(
        &mut self,
        scope: String,
        message: String,
        traceback: Option<String>,
        actions: &mut Vec<Action>,
    ) {
        self.run_errors.push(RunError {
            scope: scope.clone(),
            message: message.clone(),
            traceback: traceback.clone(),
        });
        actions.push(Action::Emit(Event::RunError {
            scope,
            message,
            traceback,
        }));
    }
}
