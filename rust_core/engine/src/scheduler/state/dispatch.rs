//! Handing out work: which queued unit goes to which worker, and how many
//! exclusive units are sent ahead to a busy one.

use super::{Action, Flight, Phase, SlotState, State};
use crate::scheduler::protocol::Request;
use crate::scheduler::units::Unit;
use crate::tree::{Dynamic, ItemKind, TestItem};
use std::collections::{BTreeMap, HashMap};

/// Exclusive units a worker holds at once (the running one and the ones sent
/// ahead, so that a worker finishing a short unit never waits for the round
/// trip to a scheduler that shares the CPU with it): at most this many...
const EXCLUSIVE_AHEAD_MAX: usize = 16;
/// ...while the recorded work they hold stays under this (seconds), so that
/// slow units stay in the queue and spread over the workers at the end...
const AHEAD_BUDGET: f64 = 0.02;
/// ...and this many when a unit's duration is unknown (no record yet).
const EXCLUSIVE_AHEAD_UNKNOWN: usize = 4;
/// How far the dispatcher looks down the queue for a unit that fits a worker.
const DISPATCH_LOOKAHEAD: usize = 256;

impl State {
    pub(super) fn dispatch(&mut self, actions: &mut Vec<Action>) {
        if self.cancelling.is_some() {
            return;
        }
        let bench = self.phase == Phase::Bench;
        for slot in 0..self.slots.len() {
            if self.queue_empty(bench) {
                break;
            }
            // Replace a dead worker; benchmarks only ever use slot 0.
            if self.slots[slot].state == SlotState::Empty && (!bench || slot == 0) {
                self.spawn(slot as u32, actions);
            }
        }
        // Idle workers first: no unit goes ahead to a busy worker while
        // another has nothing to do.
        for slot in 0..self.slots.len() {
            if self.slots[slot].flights.is_empty() {
                self.dispatch_one(slot, bench, actions);
            }
        }
        // One unit per worker per round, so the units sent ahead are spread
        // evenly instead of all going to the first worker.
        loop {
            let mut sent = false;
            for slot in 0..self.slots.len() {
                sent |= self.dispatch_one(slot, bench, actions);
            }
            if !sent {
                break;
            }
        }
    }

    pub(super) fn queue_empty(&self, bench: bool) -> bool {
        if bench {
            self.bench_queue.is_empty()
        } else {
            self.queue.is_empty()
        }
    }

    /// Send one unit to `slot` if it has room and one fits; true if sent.
    pub(super) fn dispatch_one(
        &mut self,
        slot: usize,
        bench: bool,
        actions: &mut Vec<Action>,
    ) -> bool {
        let concurrency = if bench {
            1
        } else {
            self.cfg.async_concurrency.max(1) as usize
        };
        let setup_timeout = self.setup_budget();
        // A worker still starting will want work: nothing goes ahead
        // elsewhere meanwhile, or the first one ready takes it all.
        let others_starting = self
            .slots
            .iter()
            .enumerate()
            .any(|(i, o)| i != slot && o.state == SlotState::Starting);
        let queue = if bench {
            &mut self.bench_queue
        } else {
            &mut self.queue
        };
        let s = &mut self.slots[slot];
        if queue.is_empty() || s.state != SlotState::Ready || s.kill.is_some() {
            return false;
        }
        let (mut exclusive, mut held, mut known) = (0, 0.0, true);
        for f in s.flights.values().filter(|f| f.unit.exclusive) {
            exclusive += 1;
            held += f.unit.estimate;
            known &= f.unit.estimate > 0.0;
        }
        let shared = s.flights.len() - exclusive;
        // Exclusive units run one at a time in the worker, in order; more are
        // sent ahead (see EXCLUSIVE_AHEAD_MAX). Async units share the worker,
        // never two of one file at once.
        // A unit waiting behind a long one is stuck there while another
        // worker may be idle: only short recorded work goes ahead.
        let ahead_ok = exclusive == 0
            || (!others_starting
                && if known {
                    exclusive < EXCLUSIVE_AHEAD_MAX && held < AHEAD_BUDGET
                } else {
                    exclusive < EXCLUSIVE_AHEAD_UNKNOWN
                });
        let room_exclusive = shared == 0 && ahead_ok;
        let room_shared = exclusive == 0 && shared < concurrency;
        // A full worker takes nothing: say so before scanning the queue,
        // which this runs for every message a worker sends.
        if !room_exclusive && !room_shared {
            return false;
        }
        let fits = |u: &Unit| {
            if u.exclusive {
                room_exclusive
            } else {
                room_shared && !s.busy_with(&u.path)
            }
        };
        let Some(pos) = queue.iter().take(DISPATCH_LOOKAHEAD).position(fits) else {
            return false;
        };
        let unit = queue.remove(pos).expect("position is in range");
        actions.push(Action::Send {
            slot: slot as u32,
            request: Request::Run {
                unit: unit.id,
                path: unit.path.clone(),
                ids: unit.ids.clone(),
                timeout: self.cfg.timeout,
                retries: self.cfg.retries,
                exclusive: unit.exclusive,
                kind: match unit.kind {
                    ItemKind::Test => "test".into(),
                    ItemKind::Bench => "bench".into(),
                },
                bench: if bench { self.cfg.bench.clone() } else { None },
                refine: refine_for(&unit, &self.items, &self.cfg.refine),
                // The ids that only exist if a block of the module defined them.
                conditional: ids_marked(&unit, &self.items, Dynamic::Conditional),
                fail_budget: self
                    .cfg
                    .max_fail
                    .map(|max| max.saturating_sub(self.failures)),
                concurrency_cap: Some(self.cfg.async_concurrency),
                setup_timeout,
                hung: super::watch::hung_for(&self.hung, &unit.path),
                seed: self.cfg.seed,
                keep_order: unit.keep_order,
                names: self.cfg.names.clone(),
            },
        });
        let got = unit.ids.iter().map(|q| (q.clone(), 0)).collect();
        self.dispatched += 1;
        let seq = self.dispatched;
        s.flights.insert(
            unit.id,
            Flight {
                unit,
                seq,
                got,
                running: BTreeMap::new(),
                phase: None,
            },
        );
        true
    }
}

/// The unit's ids whose static item carries this mark of what only the
/// import can decide.
fn ids_marked(unit: &Unit, items: &HashMap<String, TestItem>, mark: Dynamic) -> Vec<String> {
    unit.ids
        .iter()
        .filter(|q| items.get(*q).is_some_and(|i| i.dynamic.contains(&mark)))
        .cloned()
        .collect()
}

/// What the worker must decide after import: the unit's ids whose tags are
/// computed, with the filter to apply to them.
fn refine_for(
    unit: &Unit,
    items: &HashMap<String, TestItem>,
    filter: &Option<serde_json::Value>,
) -> Option<serde_json::Value> {
    let filter = filter.as_ref()?;
    let ids = ids_marked(unit, items, Dynamic::Tags);
    (!ids.is_empty()).then(|| serde_json::json!({ "filter": filter, "ids": ids }))
}
