//! Saving and loading baselines under `.dbtest/benchmarks/`.

use dbtest_engine::bench::baseline::{self, MachineInfo};
use dbtest_engine::bench::BenchEntryResult;

fn temp_root(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("dbtest-baseline-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn save_then_load_round_trips() {
    let root = temp_root("rt");
    let machine = MachineInfo {
        platform: "Linux-x86_64".into(),
        python: "3.11.7".into(),
        cpu_count: 2,
        ..Default::default()
    };
    let entries = vec![BenchEntryResult {
        id: "a.py::g::e".into(),
        samples: vec![1e-6, 2e-6],
        ..Default::default()
    }];
    let path = baseline::save(
        &root,
        "main",
        machine.clone(),
        Some("abc123".into()),
        entries.clone(),
    )
    .unwrap();
    assert_eq!(path, root.join(".dbtest/benchmarks/main.json"));
    let b = baseline::load(&root, "main").unwrap();
    assert_eq!(
        (b.name.as_str(), b.commit.as_deref()),
        ("main", Some("abc123"))
    );
    assert_eq!(b.machine, machine);
    assert_eq!(b.entries, entries);
    assert!(b.date.ends_with('Z') && b.date.len() == 20, "{}", b.date);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn bad_names_and_missing_or_corrupt_files_are_clear_errors() {
    let root = temp_root("err");
    for bad in ["", "../x", "a/b", ".hidden", "sp ace"] {
        let e = baseline::save(&root, bad, MachineInfo::default(), None, vec![])
            .unwrap_err()
            .to_string();
        assert!(e.contains("invalid baseline name"), "{e}");
    }
    let e = baseline::load(&root, "nope").unwrap_err().to_string();
    assert!(
        e.contains("no saved baseline \"nope\"") && e.contains("--save-baseline nope"),
        "{e}"
    );
    std::fs::create_dir_all(root.join(".dbtest/benchmarks")).unwrap();
    std::fs::write(root.join(".dbtest/benchmarks/bad.json"), "{not json").unwrap();
    let e = baseline::load(&root, "bad").unwrap_err().to_string();
    assert!(e.contains("is not a dbtest baseline"), "{e}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn rfc3339_dates() {
    assert_eq!(baseline::format_rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(
        baseline::format_rfc3339(951_782_400),
        "2000-02-29T00:00:00Z"
    );
    assert_eq!(
        baseline::format_rfc3339(1_795_239_095),
        "2026-11-21T05:31:35Z"
    );
}
