//! Property tests for `--partition`: for many random trees and shard counts,
//! every test lands in exactly one shard, suites are never split, results are
//! deterministic, hash buckets are stable as tests are added, and slices are
//! balanced within one unit's weight (the LPT bound).

use dbtest_engine::partition::{partition, unit_key, PartitionSpec};
use dbtest_engine::tree::{ItemKind, TestItem, TestStyle};
use std::collections::{BTreeMap, HashMap};

/// SplitMix64: a tiny deterministic PRNG so failures reproduce exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn float(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn item(
    path: &str,
    suite: Option<&str>,
    name: &str,
    params: Option<String>,
    style: TestStyle,
) -> TestItem {
    let mut id = path.to_string();
    if let Some(s) = suite {
        id.push_str("::");
        id.push_str(s);
    }
    id.push_str("::");
    id.push_str(name);
    if let Some(p) = &params {
        id.push_str(&format!("[{p}]"));
    }
    TestItem {
        id,
        kind: if style == TestStyle::Bench {
            ItemKind::Bench
        } else {
            ItemKind::Test
        },
        style,
        path: path.to_string(),
        suite: suite.map(str::to_string),
        name: name.to_string(),
        params,
        line: 1,
        tags: vec![],
        is_async: false,
        timeout: None,
        retries: None,
        skip: None,
        xfail: false,
        dynamic: vec![],
        together: false,
    }
}

/// A random project: files with module-level tests (some parametrized),
/// dbtest suites, unittest cases and benchmark groups.
fn random_tree(rng: &mut Rng) -> Vec<TestItem> {
    let mut items = Vec::new();
    for f in 0..1 + rng.below(8) {
        let path = format!("tests/d{}/test_{f}.py", rng.below(3));
        if items.iter().any(|i: &TestItem| i.path == path) {
            continue;
        }
        for k in 0..rng.below(6) {
            let params = (rng.below(3) == 0).then(|| format!("case{}", rng.below(100)));
            items.push(item(
                &path,
                None,
                &format!("test_f{k}"),
                params,
                TestStyle::Function,
            ));
        }
        for s in 0..rng.below(3) {
            let style =
                [TestStyle::Suite, TestStyle::Unittest, TestStyle::Bench][rng.below(3) as usize];
            let suite = format!("S{s}");
            for k in 0..1 + rng.below(7) {
                items.push(item(&path, Some(&suite), &format!("test_{k}"), None, style));
            }
        }
    }
    // Param cases can collide; ids are unique in a real tree.
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(i.id.clone()));
    // Discovery order is not sorted order; partition must not depend on it.
    for i in (1..items.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
    items
}

fn random_durations(rng: &mut Rng, items: &[TestItem]) -> HashMap<String, f64> {
    let mut d = HashMap::new();
    for i in items {
        // Some tests have no recorded duration.
        if rng.below(5) != 0 {
            d.insert(i.id.clone(), rng.float() * rng.float() * 10.0);
        }
    }
    d
}

fn check_cover(items: &[TestItem], shards: &[Vec<TestItem>], what: &str) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut unit_shard: HashMap<String, usize> = HashMap::new();
    for (s, shard) in shards.iter().enumerate() {
        for it in shard {
            assert!(
                seen.insert(&it.id, s).is_none(),
                "{what}: {} in two shards",
                it.id
            );
            if let Some(prev) = unit_shard.insert(unit_key(it), s) {
                assert_eq!(prev, s, "{what}: unit {} split across shards", unit_key(it));
            }
        }
        // Original order kept within a shard.
        let pos: Vec<usize> = shard
            .iter()
            .map(|it| items.iter().position(|x| x.id == it.id).unwrap())
            .collect();
        assert!(
            pos.windows(2).all(|w| w[0] < w[1]),
            "{what}: order not preserved"
        );
    }
    assert_eq!(seen.len(), items.len(), "{what}: some test is in no shard");
}

#[test]
fn every_test_exactly_once_and_suites_whole() {
    let mut rng = Rng(0x5eed);
    for round in 0..150 {
        let items = random_tree(&mut rng);
        let durations = random_durations(&mut rng, &items);
        for n in 1..=9u32 {
            for mode in ["slice", "hash", "slice+durations"] {
                let spec = |m| match mode {
                    "hash" => PartitionSpec::Hash { index: m, total: n },
                    _ => PartitionSpec::Slice { index: m, total: n },
                };
                let d = (mode == "slice+durations").then_some(&durations);
                let shards: Vec<Vec<TestItem>> =
                    (1..=n).map(|m| partition(&items, spec(m), d)).collect();
                check_cover(&items, &shards, &format!("round {round} {mode} N={n}"));
                // Deterministic, and independent of the input order.
                let mut reversed = items.clone();
                reversed.reverse();
                for m in 1..=n {
                    let mut a: Vec<String> = partition(&items, spec(m), d)
                        .into_iter()
                        .map(|i| i.id)
                        .collect();
                    let mut b: Vec<String> = partition(&reversed, spec(m), d)
                        .into_iter()
                        .map(|i| i.id)
                        .collect();
                    a.sort();
                    b.sort();
                    assert_eq!(a, b, "round {round} {mode} {m}/{n} depends on input order");
                }
            }
        }
    }
}

fn unit_weights(items: &[TestItem], d: Option<&HashMap<String, f64>>) -> BTreeMap<String, f64> {
    let mut known: Vec<f64> = d
        .map(|d| items.iter().filter_map(|i| d.get(&i.id).copied()).collect())
        .unwrap_or_default();
    known.sort_by(f64::total_cmp);
    let fallback = if known.is_empty() {
        1.0
    } else {
        known[known.len() / 2]
    };
    let mut w = BTreeMap::new();
    for it in items {
        let v = d
            .and_then(|d| d.get(&it.id).copied())
            .unwrap_or(fallback)
            .max(1e-6);
        *w.entry(unit_key(it)).or_insert(0.0) += v;
    }
    w
}

#[test]
fn slices_are_balanced_within_one_unit() {
    let mut rng = Rng(42);
    for round in 0..100 {
        let items = random_tree(&mut rng);
        let durations = random_durations(&mut rng, &items);
        for d in [None, Some(&durations)] {
            let weights = unit_weights(&items, d);
            let heaviest = weights.values().copied().fold(0.0, f64::max);
            for n in 2..=6u32 {
                let loads: Vec<f64> = (1..=n)
                    .map(|m| {
                        let shard =
                            partition(&items, PartitionSpec::Slice { index: m, total: n }, d);
                        let keys: std::collections::BTreeSet<String> =
                            shard.iter().map(unit_key).collect();
                        keys.iter().map(|k| weights[k]).sum()
                    })
                    .collect();
                let max = loads.iter().copied().fold(0.0, f64::max);
                let min = loads.iter().copied().fold(f64::INFINITY, f64::min);
                assert!(
                    max - min <= heaviest + 1e-9,
                    "round {round} N={n}: loads {loads:?} differ by more than the heaviest unit {heaviest}"
                );
            }
        }
    }
}

#[test]
fn hash_buckets_are_stable_as_tests_are_added() {
    let mut rng = Rng(7);
    for _ in 0..50 {
        let items = random_tree(&mut rng);
        let mut grown = items.clone();
        grown.extend(random_tree(&mut rng).into_iter().map(|mut i| {
            i.path = format!("new/{}", i.path);
            i.id = format!("new/{}", i.id);
            i
        }));
        for n in 1..=5 {
            for m in 1..=n {
                let spec = PartitionSpec::Hash { index: m, total: n };
                let before: Vec<String> = partition(&items, spec, None)
                    .into_iter()
                    .map(|i| i.id)
                    .collect();
                let after: Vec<String> = partition(&grown, spec, None)
                    .into_iter()
                    .map(|i| i.id)
                    .filter(|id| !id.starts_with("new/"))
                    .collect();
                assert_eq!(before, after);
            }
        }
    }
}

#[test]
fn slice_without_durations_is_round_robin_over_sorted_ids() {
    let items: Vec<TestItem> = ["d", "b", "a", "e", "c"]
        .iter()
        .map(|n| {
            item(
                "t.py",
                None,
                &format!("test_{n}"),
                None,
                TestStyle::Function,
            )
        })
        .collect();
    let ids = |m| -> Vec<String> {
        partition(&items, PartitionSpec::Slice { index: m, total: 2 }, None)
            .into_iter()
            .map(|i| i.name)
            .collect()
    };
    // Sorted: a b c d e -> shard 1 gets a, c, e (in input order), shard 2 b, d.
    assert_eq!(ids(1), vec!["test_a", "test_e", "test_c"]);
    assert_eq!(ids(2), vec!["test_d", "test_b"]);
}

#[test]
fn recorded_durations_balance_slices() {
    // One slow test and many fast ones: LPT puts the slow one alone.
    let mut items = vec![item("t.py", None, "test_slow", None, TestStyle::Function)];
    let mut d = HashMap::new();
    d.insert(items[0].id.clone(), 10.0);
    for k in 0..10 {
        let it = item(
            "t.py",
            None,
            &format!("test_fast{k}"),
            None,
            TestStyle::Function,
        );
        d.insert(it.id.clone(), 1.0);
        items.push(it);
    }
    let shards: Vec<Vec<String>> = (1..=2)
        .map(|m| {
            partition(
                &items,
                PartitionSpec::Slice { index: m, total: 2 },
                Some(&d),
            )
            .into_iter()
            .map(|i| i.name)
            .collect()
        })
        .collect();
    assert_eq!(shards[0], vec!["test_slow"]);
    assert_eq!(shards[1].len(), 10);
}
