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

#[test]
fn a_baseline_remembers_its_instrument_and_refuses_the_other() {
    use dbtest_engine::bench::instrument::Instrument;
    let root = temp_root("instr");
    let counted = vec![BenchEntryResult {
        id: "a.py::g::e".into(),
        samples: vec![1000.0, 1000.0, 1001.0],
        instrument: Some("instructions".into()),
        ..Default::default()
    }];
    let timed = vec![BenchEntryResult {
        id: "a.py::g::e".into(),
        samples: vec![1e-6, 2e-6],
        ..Default::default()
    }];
    baseline::save(&root, "ins", MachineInfo::default(), None, counted.clone()).unwrap();
    baseline::save(&root, "time", MachineInfo::default(), None, timed.clone()).unwrap();
    let saved = baseline::load(&root, "ins").unwrap();
    assert_eq!(saved.instrument.as_deref(), Some("instructions"));
    // A time baseline has no field: as every baseline saved before it existed.
    let text = std::fs::read_to_string(root.join(".dbtest/benchmarks/time.json")).unwrap();
    assert!(!text.contains("\"instrument\""), "{text}");

    assert!(baseline::load_for(&root, "ins", Instrument::Instructions).is_ok());
    assert!(baseline::load_for(&root, "time", Instrument::Time).is_ok());
    let e = baseline::load_for(&root, "ins", Instrument::Time).unwrap_err();
    assert_eq!(
        e.to_string(),
        "baseline \"ins\" measured instructions, this run measures time: \
         compare with a baseline saved with --instrument time"
    );
    let e = baseline::compare_with_saved(&root, "time", &counted, 0.05, 0.02).unwrap_err();
    assert!(
        e.to_string()
            .contains("measured time, this run measures instructions"),
        "{e}"
    );
    let same = baseline::compare_with_saved(&root, "ins", &counted, 0.05, 0.02).unwrap();
    assert_eq!(same.instrument.as_deref(), Some("instructions"));
    assert_eq!(same.entries[0].status, "unchanged");
    std::fs::remove_dir_all(&root).unwrap();
}
