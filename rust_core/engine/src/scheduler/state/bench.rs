//! Benchmark results: each entry gets its statistics as soon as it is
//! measured, and an entry that could not be measured still gets a result.

use super::{requested_for, Action, State};
use crate::bench::RawBenchResult;
use crate::events::Event;
use crate::ids;

impl State {
    /// `bench_result`: the raw measurements of one entry.
    pub(super) fn on_bench_result(
        &mut self,
        slot: u32,
        result: RawBenchResult,
        actions: &mut Vec<Action>,
    ) {
        if let Some(f) = self.flight_mut(slot, 0, &result.id) {
            if let Some(q) = requested_for(&f.unit.ids, &result.id) {
                *f.got.entry(q).or_default() += 1;
            }
        }
        self.bench_raw.push(result);
        if let Some(result) = self.analyze_latest() {
            actions.push(Action::Emit(Event::BenchFinished {
                result: Box::new(result),
            }));
        }
    }

    /// Statistics of the newest benchmark result, compared with its group's
    /// baseline when that already ran (the report's final analysis has all).
    pub(super) fn analyze_latest(&self) -> Option<crate::bench::BenchEntryResult> {
        let raw = self.bench_raw.last()?;
        let group: Vec<RawBenchResult> = self
            .bench_raw
            .iter()
            .filter(|r| r.path == raw.path && r.group == raw.group)
            .cloned()
            .collect();
        Some(crate::bench::analyze_entry(
            &group,
            raw,
            self.cfg.bench_equivalence,
        ))
    }

    /// A benchmark entry that could not be measured still gets a result.
    pub(super) fn bench_error(&mut self, id: &str, message: &str, actions: &mut Vec<Action>) {
        let item = self.items.get(id);
        self.bench_raw.push(RawBenchResult {
            id: id.to_string(),
            path: item
                .map(|i| i.path.clone())
                .unwrap_or_else(|| ids::path_of(id).to_string()),
            group: item.and_then(|i| i.suite.clone()).unwrap_or_default(),
            name: item
                .map(|i| i.name.clone())
                .unwrap_or_else(|| id.to_string()),
            params: item.and_then(|i| i.params.clone()),
            error: Some(message.to_string()),
            ..RawBenchResult::default()
        });
        if let Some(result) = self.analyze_latest() {
            actions.push(Action::Emit(Event::BenchFinished {
                result: Box::new(result),
            }));
        }
    }
}
