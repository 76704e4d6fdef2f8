//! What a worker says: one handler per message of the protocol (routed by
//! [`State::on_message`]), and its raw output.

use super::{push_bounded, requested_for, Action, Running, State};
use crate::events::Event;
use crate::record::Outcome;
use crate::scheduler::protocol::{Finished, Started};
use crate::tree::ItemKind;
use std::collections::BTreeMap;

impl State {
    /// `started`: a test began; its timeout and output are tracked from now.
    pub(super) fn on_started(&mut self, slot: u32, started: Started, actions: &mut Vec<Action>) {
        let Started {
            unit,
            id,
            start,
            timeout,
            attempt,
            sync,
        } = started;
        let now = self.now;
        if let Some(f) = self.flight_mut(slot, unit, &id) {
            f.phase = None; // its import or setup_suite is over
            f.running.insert(
                id.clone(),
                Running {
                    attempt,
                    started_at: now,
                    start_unix: start,
                    timeout,
                    sync,
                    stdout: String::new(),
                    stderr: String::new(),
                    phase: None,
                    paused: 0.0,
                    slow_told: 0,
                },
            );
        }
        let attempt = attempt + self.extra_attempts.get(&id).copied().unwrap_or(0);
        actions.push(Action::Emit(Event::TestStarted {
            id,
            worker: slot,
            attempt,
        }));
    }

    /// `output`: a running test wrote to `sys.stdout` or `sys.stderr`.
    pub(super) fn on_output(
        &mut self,
        slot: u32,
        id: String,
        stream: String,
        data: String,
        actions: &mut Vec<Action>,
    ) {
        let max = self.cfg.max_output;
        if let Some(r) = self.running_mut(slot, &id) {
            let buf = if stream == "stderr" {
                &mut r.stderr
            } else {
                &mut r.stdout
            };
            push_bounded(buf, &data, max);
        }
        actions.push(Action::Emit(Event::Output { id, stream, data }));
    }

    /// `retrying`: the executor runs a failed test again; its output restarts.
    pub(super) fn on_retrying(
        &mut self,
        slot: u32,
        id: String,
        attempt: u32,
        outcome: Outcome,
        actions: &mut Vec<Action>,
    ) {
        if let Some(r) = self.running_mut(slot, &id) {
            r.stdout.clear();
            r.stderr.clear();
        }
        actions.push(Action::Emit(Event::TestRetrying {
            id,
            attempt,
            outcome,
        }));
    }

    /// `finished`: a test's final record, counting the attempts its crashed
    /// or killed workers consumed.
    pub(super) fn on_finished(&mut self, slot: u32, finished: Finished, actions: &mut Vec<Action>) {
        let Finished { unit, mut record } = finished;
        let extra = self.extra_attempts.get(&record.id).copied().unwrap_or(0);
        if let Some(f) = self.flight_mut(slot, unit, &record.id) {
            f.phase = None;
            f.running.remove(&record.id);
            if let Some(q) = requested_for(&f.unit.ids, &record.id) {
                *f.got.entry(q).or_default() += 1;
            }
        }
        record.worker = Some(slot);
        if extra > 0 {
            record.attempts += extra;
            if record.outcome == Outcome::Passed {
                record.flaky = true;
            }
        }
        self.finalize(record, actions);
    }

    /// `closed`: after `shutdown`, the worker's teardown is done.
    pub(super) fn on_closed(&mut self, slot: u32, threads: Vec<String>) {
        let s = &mut self.slots[slot as usize];
        s.phase = None;
        s.closed_at = Some(self.now);
        s.lingering = threads;
    }

    /// `deselected`: a requested id whose tags, known after import, do not
    /// match the filter.
    pub(super) fn on_deselected(
        &mut self,
        slot: u32,
        unit: u64,
        id: String,
        actions: &mut Vec<Action>,
    ) {
        if let Some(f) = self.flight_mut(slot, unit, &id) {
            if let Some(q) = requested_for(&f.unit.ids, &id) {
                *f.got.entry(q).or_default() += 1;
            }
        }
        actions.push(Action::Emit(Event::Deselected { id }));
    }

    /// `unit_done`: the worker is done with a unit; a requested id it sent
    /// nothing for still gets its one result.
    pub(super) fn on_unit_done(&mut self, slot: u32, unit: u64, actions: &mut Vec<Action>) {
        let Some(f) = self.slots[slot as usize].flights.remove(&unit) else {
            return;
        };
        if f.unit.kind == ItemKind::Bench {
            let missing: Vec<String> = f
                .got
                .iter()
                .filter(|(_, n)| **n == 0)
                .map(|(q, _)| q.clone())
                .collect();
            for q in missing {
                self.bench_error(&q, "the benchmark worker reported no result", actions);
            }
        }
        self.finalize_unreported(&f.got, f.unit.kind, actions);
    }

    fn finalize_unreported(
        &mut self,
        got: &BTreeMap<String, u32>,
        kind: ItemKind,
        actions: &mut Vec<Action>,
    ) {
        for (q, n) in got {
            if *n == 0 && kind == ItemKind::Test {
                let rec = if self.cancelling.is_some() {
                    self.synthetic(q, Outcome::Cancelled, "cancelled before it started", None)
                } else {
                    self.synthetic(
                        q,
                        Outcome::Error,
                        "the worker reported no result for this test \
                         (it was not found after importing its file)",
                        None,
                    )
                };
                self.finalize(rec, actions);
            }
        }
    }

    /// Output written to the worker's file descriptors 1 and 2 (not through
    /// `sys.stdout`): kept for the tests running in it, in case they crash.
    pub fn on_raw_output(&mut self, slot: u32, data: &str) -> Vec<Action> {
        let max = self.cfg.max_output;
        let s = &mut self.slots[slot as usize];
        if !s.was_ready {
            push_bounded(&mut s.startup_output, data, 64 * 1024);
        }
        let mut ids = Vec::new();
        for f in s.flights.values_mut() {
            for (id, r) in f.running.iter_mut() {
                push_bounded(&mut r.stderr, data, max);
                ids.push(id.clone());
            }
        }
        let id = if ids.len() == 1 {
            ids.pop().unwrap_or_default()
        } else {
            String::new()
        };
        vec![Action::Emit(Event::Output {
            id,
            stream: "raw".into(),
            data: data.into(),
        })]
    }
}
