//! Reading callgrind's output: the totals of one dump.

use dbtest_engine::bench::callgrind::{parse_totals, read_totals, CallgrindError};

/// The shape of a dump callgrind 3.19 wrote for `CALLGRIND_DUMP_STATS_AT`
/// (`--instr-atstart=no --collect-atstart=no`), cost lines shortened.
const CLIENT_REQUEST_DUMP: &str = "\
# callgrind format
version: 1
creator: callgrind-3.19.0
pid: 10654
cmd:  /work/.venv/bin/python t.py
part: 1


desc: I1 cache: 
desc: D1 cache: 
desc: LL cache: 

desc: Timerange: Basic block 0 - 9090806
desc: Trigger: Client Request: lab100

positions: line
events: Ir
summary: 33154928


ob=(3) ???
fl=(7) ???
fn=(224) 0x00000000049367a8
0 101
cob=(2) /usr/lib/libpython3.11.so.1.0
cfi=(15) Objects/obmalloc.c
cfn=(226) PyObject_Free
calls=102 739 
0 4444

ob=(2)
fl=(26) Objects/longobject.c
fn=(186) long_div
3963 505
+1 1

totals: 33154928
";

#[test]
fn a_client_request_dump_gives_its_instruction_total_and_trigger() {
    let t = parse_totals(CLIENT_REQUEST_DUMP).unwrap();
    assert_eq!(t.events, vec![("Ir".to_string(), 33_154_928)]);
    assert_eq!(t.get("Ir"), Some(33_154_928));
    assert_eq!(t.get("Dr"), None);
    assert_eq!(t.trigger.as_deref(), Some("Client Request: lab100"));
}

#[test]
fn the_empty_dump_at_program_termination_reads_as_zero() {
    let text = "# callgrind format\nversion: 1\npart: 3\n\n\
                desc: Trigger: Program termination\n\npositions: line\n\
                events: Ir\nsummary: 0\n\n\ntotals: 0\n";
    let t = parse_totals(text).unwrap();
    assert_eq!(t.get("Ir"), Some(0));
    assert_eq!(t.trigger.as_deref(), Some("Program termination"));
}

#[test]
fn several_events_and_a_short_summary_line_pad_with_zeros() {
    // `--cache-sim=yes` counts more events; trailing zeros may be left out.
    let text = "events: Ir Dr Dw I1mr\nsummary: 100 40 7\n";
    let t = parse_totals(text).unwrap();
    assert_eq!(t.get("Ir"), Some(100));
    assert_eq!(t.get("Dw"), Some(7));
    assert_eq!(t.get("I1mr"), Some(0));
}

#[test]
fn the_summary_counts_and_totals_alone_are_enough() {
    assert_eq!(
        parse_totals("events: Ir\n0 5\ntotals: 5\n")
            .unwrap()
            .get("Ir"),
        Some(5)
    );
    // As callgrind 3.19 wrote it for a batch zeroed and dumped in different
    // frames: the summary is the counter, the cost lines add a few more.
    let text = "events: Ir\nsummary: 1593\n\nfn=(1) f\n0 1649\n\ntotals: 1649\n";
    assert_eq!(parse_totals(text).unwrap().get("Ir"), Some(1593));
}

#[test]
fn text_that_is_not_a_dump_is_an_error_that_says_why() {
    for (text, why) in [
        ("", "no `events:` line"),
        ("events: Ir\n", "no `summary:` or `totals:` line"),
        ("events: Ir\nsummary: many\n", "\"many\" is not a count"),
        ("events: Ir\nsummary: 1 2\n", "2 totals for 1 events"),
    ] {
        let err = parse_totals(text).unwrap_err();
        assert!(matches!(err, CallgrindError::Format(_)), "{text:?}");
        assert!(err.to_string().contains(why), "{text:?}: {err}");
    }
}

#[test]
fn a_missing_file_names_its_path() {
    let path = std::env::temp_dir().join("dbtest-no-such-callgrind.out");
    let err = read_totals(&path).unwrap_err();
    assert!(matches!(err, CallgrindError::Read { .. }));
    assert!(err.to_string().contains("dbtest-no-such-callgrind.out"));
}

#[test]
fn a_file_on_disk_reads_like_its_text() {
    let path = std::env::temp_dir().join(format!("dbtest-callgrind-{}.out", std::process::id()));
    std::fs::write(&path, CLIENT_REQUEST_DUMP).unwrap();
    let t = read_totals(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(t.get("Ir"), Some(33_154_928));
}
