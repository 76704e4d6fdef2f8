//! Merge round trips: a report split into shards the way a CI matrix splits a
//! run (by `partition`), merged back, renders exactly like the unsharded run.

use dbtest_engine::partition::{partition, PartitionSpec};
use dbtest_engine::record::TestRecord;
use dbtest_engine::report::{console, json, junit, markdown, merge::merge, RunReport};
use dbtest_engine::tree::{ItemKind, TestItem, TestStyle};

fn input() -> RunReport {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/report_input.json"
    );
    let mut r = json::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
    r.recompute_summary();
    r
}

/// The tree item a record came from (suite when the id has a class part).
fn item_of(r: &TestRecord) -> TestItem {
    let rest = r.id.strip_prefix(&format!("{}::", r.path)).unwrap();
    let head = rest.split('[').next().unwrap();
    let (suite, name) = match head.rsplit_once("::") {
        Some((s, n)) => (Some(s.to_string()), n.to_string()),
        None => (None, head.to_string()),
    };
    TestItem {
        id: r.id.clone(),
        kind: ItemKind::Test,
        style: if suite.is_some() {
            TestStyle::Suite
        } else {
            TestStyle::Function
        },
        path: r.path.clone(),
        suite,
        name,
        params: None,
        line: r.line,
        tags: r.tags.clone(),
        is_async: false,
        timeout: None,
        retries: None,
        skip: None,
        xfail: false,
        dynamic: vec![],
        together: false,
    }
}

/// Split `full` into `n` shard reports with `spec(m)`, as n CI jobs would
/// produce them: every shard reports the collection errors; run errors and
/// benchmarks go to the shard that ran their file.
fn shard(full: &RunReport, n: u32, hash: bool) -> Vec<(String, RunReport)> {
    let items: Vec<TestItem> = full.tests.iter().map(item_of).collect();
    (1..=n)
        .map(|m| {
            let spec = if hash {
                PartitionSpec::Hash { index: m, total: n }
            } else {
                PartitionSpec::Slice { index: m, total: n }
            };
            let mine: Vec<String> = partition(&items, spec, None)
                .into_iter()
                .map(|i| i.id)
                .collect();
            let mut r = full.clone();
            r.tests.retain(|t| mine.contains(&t.id));
            r.run_errors.retain(|e| {
                mine.iter()
                    .any(|id| id.starts_with(&format!("{}::", e.scope)))
            });
            if m != 1 {
                r.benchmarks.clear();
            }
            r.meta.workers = 1;
            r.meta.duration = full.meta.duration * (m as f64) / (n as f64);
            r.meta.selection.partition = Some(spec.to_string());
            r.recompute_summary();
            // Through JSON, like files on disk.
            let r = json::parse(&json::to_json(&r)).unwrap();
            (format!("report-{m}.json"), r)
        })
        .collect()
}

fn sorted(mut r: RunReport) -> RunReport {
    r.tests.sort_by(|a, b| a.id.cmp(&b.id));
    r.benchmarks.sort_by(|a, b| a.id.cmp(&b.id));
    r
}

#[test]
fn merged_shards_render_like_the_unsharded_run() {
    let mut full = input();
    for n in 1..=5u32 {
        for hash in [false, true] {
            full.meta.workers = n;
            let shards = shard(&full, n, hash);
            assert_eq!(
                shards.iter().map(|(_, r)| r.tests.len()).sum::<usize>(),
                full.tests.len()
            );
            let mut merged = merge(shards).unwrap();
            assert_eq!(merged.meta.merged_from.len(), n as usize);
            assert_eq!(merged.meta.merged_from[0], "report-1.json");
            assert_eq!(merged.summary, full.summary);
            merged.meta.merged_from.clear();
            let expected = sorted(full.clone());
            assert!(
                merged == expected,
                "N={n} hash={hash}: merged report differs"
            );
            // The text formats do not depend on record order at all.
            for render in [markdown::render, junit::render, console::render] {
                assert_eq!(render(&merged), render(&full), "N={n} hash={hash}");
            }
            assert_eq!(json::to_json(&merged), json::to_json(&expected));
        }
    }
}

#[test]
fn merged_meta_takes_slowest_shard_and_flattens_sources() {
    let full = input();
    let a = shard(&full, 4, false);
    let first = merge(a[..2].to_vec()).unwrap();
    let second = merge(a[2..].to_vec()).unwrap();
    assert_eq!(first.meta.duration, full.meta.duration / 2.0);
    assert!(first.meta.selection.partition.is_none());
    let all = merge(vec![("ab.json".into(), first), ("cd.json".into(), second)]).unwrap();
    assert_eq!(
        all.meta.merged_from,
        vec![
            "report-1.json",
            "report-2.json",
            "report-3.json",
            "report-4.json"
        ]
    );
    assert_eq!(all.meta.duration, full.meta.duration);
    assert_eq!(all.meta.workers, 4);
    assert_eq!(
        all.collection_errors.len(),
        1,
        "collection errors deduplicated"
    );
    assert_eq!(all.summary, full.summary);
}

#[test]
fn interrupted_shard_makes_merged_report_interrupted() {
    let full = input();
    let mut shards = shard(&full, 2, true);
    shards[1].1.meta.interrupted = true;
    let merged = merge(shards).unwrap();
    assert!(merged.meta.interrupted);
    assert_eq!(merged.verdict().as_str(), "interrupted");
}

#[test]
fn refuses_overlapping_shards() {
    let full = input();
    let e = merge(vec![
        ("a.json".into(), full.clone()),
        ("b.json".into(), full),
    ])
    .unwrap_err();
    assert!(e.0.starts_with("test id tests/"), "{e}");
    assert!(
        e.0.ends_with("is in both a.json and b.json: the shards overlap"),
        "{e}"
    );
    assert!(!e.0.contains('\n'));
}

#[test]
fn refuses_overlapping_benchmarks() {
    let full = input();
    let mut b = full.clone();
    b.tests.clear();
    let mut a = full;
    a.tests.truncate(1);
    let e = merge(vec![("a.json".into(), a), ("b.json".into(), b)]).unwrap_err();
    assert!(
        e.0.starts_with("benchmark id bench/bench_sort.py::sorting::"),
        "{e}"
    );
}

#[test]
fn refuses_mixed_schema_versions_and_nothing() {
    let full = input();
    let mut other = full.clone();
    other.schema_version = 2;
    other.tests.clear();
    let e = merge(vec![("a.json".into(), full), ("b.json".into(), other)]).unwrap_err();
    assert_eq!(
        e.0,
        "cannot merge b.json (schema version 2) with a.json (schema version 1)"
    );
    assert_eq!(
        merge(vec![]).unwrap_err().0,
        "nothing to merge: no reports given"
    );
}
