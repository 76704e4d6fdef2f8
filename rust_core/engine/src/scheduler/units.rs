//! Grouping selected items into units of dispatch, and ordering them.
//!
//! A suite (dbtest `TestSuite` or `unittest.TestCase`) is one unit, so its
//! `setup_suite` runs once. Module-level functions of one file are chunked
//! (by recorded duration when known), so CPU-bound files spread over workers
//! while files of trivial tests cost one round trip each. Benchmark entries of one file form one unit.

use crate::tree::{ItemKind, TestItem, TestStyle};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub id: u64,
    pub path: String,
    pub ids: Vec<String>,
    /// Contains a sync test: runs alone in its worker.
    pub exclusive: bool,
    pub kind: ItemKind,
    /// Scheduler-level attempt (re-queued after a crash or a kill).
    pub attempt: u32,
    /// Estimated duration from the cache, seconds (for longest-first).
    pub estimate: f64,
    /// Module-level functions, which may travel in any grouping (a suite's
    /// tests stay together so that `setup_suite` runs once).
    pub splittable: bool,
    /// A module kept together (`keep-together`): its tests depend on their
    /// file order, which `--shuffle` keeps.
    pub keep_order: bool,
}

/// Largest chunk of module-level functions of one file in one unit.
const MAX_CHUNK: usize = 64;

/// Build units from the selected items. `durations` holds recorded
/// durations by test id (from `.dbtest/`), used to put the longest first.
pub fn build_units(
    items: &[TestItem],
    workers: u32,
    durations: &HashMap<String, f64>,
) -> Vec<Unit> {
    // Chunk size: enough units to keep every worker busy (x8 for balance),
    // never so many that round trips dominate trivial tests.
    let total = items.len().max(1);
    let chunk = (total / (workers.max(1) as usize * 8)).clamp(1, MAX_CHUNK);

    // Keyed by (path, group), in id order, so output is deterministic.
    let mut groups: BTreeMap<(String, String), Vec<&TestItem>> = BTreeMap::new();
    for item in items {
        let group = match (item.style, &item.suite) {
            _ if item.together => "module".to_string(),
            (TestStyle::Suite | TestStyle::Unittest | TestStyle::Class, Some(s)) => {
                format!("suite:{s}")
            }
            (TestStyle::Bench, _) => "bench".to_string(),
            _ => "functions".to_string(),
        };
        groups
            .entry((item.path.clone(), group))
            .or_default()
            .push(item);
    }

    let mut units = Vec::new();
    let mut next_id = 1u64;
    for ((path, group), members) in groups {
        let pieces: Vec<&[&TestItem]> = if group == "functions" {
            chunk_functions(&members, chunk, durations)
        } else {
            vec![&members[..]]
        };
        for piece in pieces {
            let estimate = piece
                .iter()
                .map(|i| durations.get(&i.id).copied().unwrap_or(0.0))
                .sum();
            units.push(Unit {
                id: next_id,
                path: path.clone(),
                ids: piece.iter().map(|i| i.id.clone()).collect(),
                exclusive: piece.iter().any(|i| !i.is_async),
                kind: piece[0].kind,
                attempt: 1,
                estimate,
                splittable: group == "functions",
                keep_order: group == "module",
            });
            next_id += 1;
        }
    }
    // Longest first; units with no record keep their id order (stable sort).
    units.sort_by(|a, b| b.estimate.total_cmp(&a.estimate));
    units
}

/// Recorded work a unit of module-level functions aims for, seconds.
const UNIT_TARGET: f64 = 0.005;

/// Split a file's module-level functions into units. With a recorded
/// duration for each, by time: slow tests travel one by one, so the last
/// ones spread over the workers, and trivial ones up to `MAX_CHUNK` at a
/// time. Otherwise by count (`chunk`).
fn chunk_functions<'a>(
    members: &'a [&'a TestItem],
    chunk: usize,
    durations: &HashMap<String, f64>,
) -> Vec<&'a [&'a TestItem]> {
    let recorded: Option<Vec<f64>> = members
        .iter()
        .map(|i| durations.get(&i.id).copied())
        .collect();
    let Some(times) = recorded else {
        return members.chunks(chunk).collect();
    };
    let mut pieces = Vec::new();
    let (mut start, mut acc) = (0, 0.0);
    for (k, t) in times.iter().enumerate() {
        acc += t;
        if acc >= UNIT_TARGET || k + 1 - start >= MAX_CHUNK {
            pieces.push(&members[start..=k]);
            (start, acc) = (k + 1, 0.0);
        }
    }
    if start < members.len() {
        pieces.push(&members[start..]);
    }
    pieces
}

/// Put last run's failures (`first`) at the front: a unit of functions gives
/// its failed tests a unit of their own, which goes first with the suites
/// that hold a failure. New unit ids start at `next_id`.
pub fn failed_first(
    units: &mut Vec<Unit>,
    first: &std::collections::HashSet<String>,
    mut next_id: u64,
) {
    let mut front = Vec::new();
    let mut back = Vec::new();
    for mut u in units.drain(..) {
        let (failed, others): (Vec<String>, Vec<String>) =
            u.ids.iter().cloned().partition(|id| first.contains(id));
        if failed.is_empty() {
            back.push(u);
        } else if !u.splittable || others.is_empty() {
            front.push(u);
        } else {
            let mut f = u.clone();
            f.id = next_id;
            next_id += 1;
            f.ids = failed;
            u.ids = others;
            front.push(f);
            back.push(u);
        }
    }
    front.append(&mut back);
    *units = front;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(path: &str, suite: Option<&str>, name: &str, is_async: bool) -> TestItem {
        let mut it = TestItem::new_test(path, suite, name);
        it.is_async = is_async;
        it
    }

    #[test]
    fn a_suite_is_one_unit() {
        let items: Vec<_> = (0..5)
            .map(|i| item("a.py", Some("S"), &format!("t{i}"), true))
            .collect();
        let units = build_units(&items, 2, &HashMap::new());
        assert_eq!(units.len(), 1);
        assert_eq!(units[0].ids.len(), 5);
        assert!(!units[0].exclusive);
    }

    #[test]
    fn a_module_kept_together_is_one_unit_of_all_its_kinds() {
        let mut items = vec![
            item("a.py", Some("A"), "t1", false),
            item("a.py", Some("B"), "t2", false),
            item("a.py", None, "t3", false),
            item("b.py", Some("A"), "t4", false),
        ];
        for it in &mut items[..3] {
            it.together = true;
        }
        let units = build_units(&items, 2, &HashMap::new());
        let mut sizes: Vec<usize> = units.iter().map(|u| u.ids.len()).collect();
        sizes.sort();
        assert_eq!(sizes, [1, 3]);
        assert!(units.iter().all(|u| !u.splittable));
    }

    #[test]
    fn functions_are_chunked_and_sync_is_exclusive() {
        let items: Vec<_> = (0..40)
            .map(|i| item("a.py", None, &format!("t{i:02}"), false))
            .collect();
        let units = build_units(&items, 2, &HashMap::new());
        // 40 / (2 * 8) = 2 per chunk.
        assert_eq!(units.len(), 20);
        assert!(units.iter().all(|u| u.exclusive && u.ids.len() == 2));
        let all: Vec<_> = units.iter().flat_map(|u| u.ids.clone()).collect();
        assert_eq!(all.len(), 40);
    }

    #[test]
    fn recorded_durations_size_the_chunks() {
        let items: Vec<_> = (0..200)
            .map(|i| item("a.py", None, &format!("t{i:03}"), false))
            .collect();
        let mut d = HashMap::new();
        for (i, it) in items.iter().enumerate() {
            // The first ten take 10 ms, the rest 30 µs.
            d.insert(it.id.clone(), if i < 10 { 0.010 } else { 0.000_03 });
        }
        let units = build_units(&items, 2, &d);
        let sizes: Vec<usize> = units.iter().map(|u| u.ids.len()).collect();
        // Slow tests one a unit (longest first), trivial ones MAX_CHUNK at a time.
        assert_eq!(&sizes[..10], &[1; 10]);
        assert!(sizes[10..].iter().all(|&n| n <= MAX_CHUNK));
        assert!(sizes[10..].contains(&MAX_CHUNK));
        assert_eq!(sizes.iter().sum::<usize>(), 200);
        // Without a record for every test, by count as before.
        d.remove("a.py::t150");
        let units = build_units(&items, 2, &d);
        // 200 / (2 workers x 8) = 12 a unit.
        assert_eq!(units.len(), 17);
        assert!(units.iter().all(|u| u.ids.len() <= 12));
    }

    #[test]
    fn longest_first_then_failed_first() {
        let items = vec![
            item("a.py", None, "fast", true),
            item("b.py", None, "slow", true),
        ];
        let mut d = HashMap::new();
        d.insert("b.py::slow".to_string(), 2.0);
        d.insert("a.py::fast".to_string(), 0.1);
        let mut units = build_units(&items, 1, &d);
        assert_eq!(units[0].ids, vec!["b.py::slow"]);
        let first = ["a.py::fast".to_string()].into_iter().collect();
        failed_first(&mut units, &first, 100);
        assert_eq!(units[0].ids, vec!["a.py::fast"]);
    }

    #[test]
    fn failed_functions_leave_their_unit_but_suites_stay_whole() {
        let mut items: Vec<_> = (0..4)
            .map(|i| item("f.py", None, &format!("t{i}"), false))
            .collect();
        items.extend((0..3).map(|i| item("s.py", Some("S"), &format!("t{i}"), false)));
        let d: HashMap<String, f64> = items.iter().map(|i| (i.id.clone(), 0.0001)).collect();
        let mut units = build_units(&items, 1, &d);
        assert_eq!(units.len(), 2); // all four functions in one unit, the suite in one
        let first = ["f.py::t2".to_string(), "s.py::S::t1".to_string()]
            .into_iter()
            .collect();
        failed_first(&mut units, &first, 100);
        let ids: Vec<Vec<&str>> = units
            .iter()
            .map(|u| u.ids.iter().map(String::as_str).collect())
            .collect();
        assert_eq!(
            ids,
            [
                vec!["f.py::t2"],
                vec!["s.py::S::t0", "s.py::S::t1", "s.py::S::t2"],
                vec!["f.py::t0", "f.py::t1", "f.py::t3"],
            ]
        );
        assert_eq!(units[0].id, 100);
    }
}
