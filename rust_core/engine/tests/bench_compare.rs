//! Comparisons: special functions and tests against SciPy's values, the
//! speedup interval, in-group analysis and the regression gate.

use dbtest_engine::bench::compare::{self, erfc, mann_whitney_u, normal_sf, welch_t};
use dbtest_engine::bench::stats::Rng;
use dbtest_engine::bench::{analyze, analyze_entry, BenchEntryResult, RawBenchResult};

fn rel_close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-300)
}

#[test]
fn erfc_and_normal_sf_match_scipy() {
    // scipy.special.erfc / scipy.stats.norm.sf
    let cases = [
        (0.0, 1.0),
        (0.3, 0.671_373_240_540_872_6),
        (-0.7, 1.677_801_193_837_418_2),
        (1.0, 0.157_299_207_050_285_16),
        (2.0, 0.004_677_734_981_047_266),
        (3.0, 2.209_049_699_858_544_5e-5),
        (5.0, 1.537_459_794_428_034_7e-12),
    ];
    for (x, want) in cases {
        assert!(
            rel_close(erfc(x), want, 1e-12),
            "erfc({x}) = {} != {want}",
            erfc(x)
        );
    }
    assert!(rel_close(normal_sf(1.96), 0.024_997_895_148_220_435, 1e-12));
}

#[test]
fn student_t_matches_scipy() {
    // 2 * scipy.stats.t.sf(t, df)
    let cases = [
        (2.0, 10.0, 0.073_388_034_770_740_37),
        (0.5, 3.7, 0.645_335_633_319_931_8),
        (5.0, 42.3, 1.048_397_453_496_452_2e-5),
    ];
    for (t, df, want) in cases {
        let p = compare::student_t_two_sided(t, df);
        assert!(rel_close(p, want, 1e-9), "t={t} df={df}: {p} != {want}");
    }
}

#[test]
fn mann_whitney_known_cases() {
    // scipy.stats.mannwhitneyu(x, y, method="asymptotic")
    let r = mann_whitney_u(&[1.0, 2.0, 3.0, 4.0, 5.0], &[6.0, 7.0, 8.0, 9.0, 10.0]);
    assert_eq!(r.statistic, 0.0);
    assert!(
        rel_close(r.p_value, 0.012_185_780_355_344_813, 1e-10),
        "{r:?}"
    );
    // With ties.
    let r = mann_whitney_u(&[1.0, 2.0, 2.0, 3.0, 3.0, 3.0], &[2.0, 3.0, 4.0, 4.0, 5.0]);
    assert_eq!(r.statistic, 5.5);
    assert!(
        rel_close(r.p_value, 0.088_713_691_996_776_16, 1e-10),
        "{r:?}"
    );
    let r = mann_whitney_u(
        &[1.5, 0.2, 3.3, 2.2, 9.1, 4.4, 0.7],
        &[2.5, 2.2, 8.8, 3.3, 7.1, 6.0],
    );
    assert_eq!(r.statistic, 12.0);
    assert!(
        rel_close(r.p_value, 0.223_362_527_496_395_96, 1e-10),
        "{r:?}"
    );
    // Symmetric in its p-value; identical data means no evidence.
    let r2 = mann_whitney_u(
        &[2.5, 2.2, 8.8, 3.3, 7.1, 6.0],
        &[1.5, 0.2, 3.3, 2.2, 9.1, 4.4, 0.7],
    );
    assert!(rel_close(r2.p_value, 0.223_362_527_496_395_96, 1e-10));
    assert_eq!(mann_whitney_u(&[1.0; 5], &[1.0; 7]).p_value, 1.0);
}

#[test]
fn welch_matches_scipy() {
    // scipy.stats.ttest_ind(x, y, equal_var=False)
    let x = [1.5, 0.2, 3.3, 2.2, 9.1, 4.4, 0.7];
    let y = [2.5, 2.2, 8.8, 3.3, 7.1, 6.0, 5.5, 6.1];
    let r = welch_t(&x, &y);
    assert!(
        rel_close(r.statistic, -1.508_513_223_881_820_6, 1e-12),
        "{r:?}"
    );
    assert!(
        rel_close(r.p_value, 0.159_039_689_709_764_43, 1e-9),
        "{r:?}"
    );
}

fn normal_samples(seed: u64, n: usize, center: f64, sd: f64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| center + sd * rng.normal()).collect()
}

fn lognormal_samples(seed: u64, n: usize, median: f64, sigma: f64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| median * (sigma * rng.normal()).exp())
        .collect()
}

#[test]
fn speedup_ratio_and_interval() {
    let base = normal_samples(1, 200, 2.0e-6, 0.05e-6);
    let cur = normal_samples(2, 200, 1.0e-6, 0.02e-6);
    let (r, lo, hi) = compare::speedup(&base, &cur);
    assert!((r - 2.0).abs() < 0.03, "{r}");
    assert!(lo < r && r < hi && lo > 1.9 && hi < 2.1, "{lo} {r} {hi}");
    let c = compare::compare("b", &base, &cur);
    assert!(c.significant && c.p_value < 1e-10);
    // Same distribution: not significant.
    let c = compare::compare(
        "b",
        &normal_samples(3, 50, 1.0, 0.1),
        &normal_samples(4, 50, 1.0, 0.1),
    );
    assert!(!c.significant, "{c:?}");
    assert!(c.ci_low < 1.0 && 1.0 < c.ci_high);
}

fn entry(id: &str, samples: Vec<f64>) -> BenchEntryResult {
    BenchEntryResult {
        id: id.into(),
        samples,
        ..Default::default()
    }
}

#[test]
fn regression_gate_on_constructed_baselines() {
    let base = vec![
        entry("a.py::g::large", normal_samples(10, 50, 1.0e-5, 0.01e-5)),
        entry("a.py::g::noisy", lognormal_samples(11, 10, 1.0e-5, 0.8)),
        entry("a.py::g::small", normal_samples(12, 100, 1.0e-5, 0.001e-5)),
        entry("a.py::g::faster", normal_samples(13, 50, 1.0e-5, 0.01e-5)),
        entry("a.py::g::gone", normal_samples(14, 50, 1.0e-5, 0.01e-5)),
    ];
    let mut broken = entry("a.py::g::broken", vec![]);
    broken.error = Some("ValueError: boom".into());
    let cur = vec![
        // Significant and 20% slower: fails.
        entry("a.py::g::large", normal_samples(20, 50, 1.2e-5, 0.01e-5)),
        // 30% slower by the median, but within noise: passes.
        entry(
            "a.py::g::noisy",
            lognormal_samples(11, 10, 1.0e-5, 0.8)
                .iter()
                .map(|x| x * 1.3)
                .collect(),
        ),
        // Significant but only 2% slower: passes.
        entry("a.py::g::small", normal_samples(22, 100, 1.02e-5, 0.001e-5)),
        entry("a.py::g::faster", normal_samples(23, 50, 0.5e-5, 0.01e-5)),
        entry("a.py::g::fresh", normal_samples(24, 50, 0.5e-5, 0.01e-5)),
        broken,
    ];
    let report = compare::regression_gate("main", &base, &cur, 0.05, 0.02);
    assert_eq!(report.regressions, vec!["a.py::g::large".to_string()]);
    let status = |id: &str| {
        let e = report
            .entries
            .iter()
            .find(|e| e.id == format!("a.py::g::{id}"))
            .unwrap();
        (e.status.as_str(), e.regression, e.change)
    };
    let (s, r, ch) = status("large");
    assert!(s == "slower" && r && (ch.unwrap() - 0.2).abs() < 0.01);
    let (s, r, ch) = status("noisy");
    assert!(
        s == "unchanged" && !r && (ch.unwrap() - 0.3).abs() < 1e-9,
        "{s} {ch:?}"
    );
    let (s, r, ch) = status("small");
    assert!(s == "slower" && !r && (ch.unwrap() - 0.02).abs() < 0.002);
    assert_eq!(status("faster").0, "faster");
    assert_eq!(status("fresh").0, "new");
    assert_eq!(status("broken").0, "error");
    assert_eq!(status("gone").0, "missing");
    // A lower threshold turns the small but significant change into a failure.
    let strict = compare::regression_gate("main", &base, &cur, 0.01, 0.02);
    assert_eq!(strict.regressions.len(), 2);
    assert_eq!(
        report.entries[0].comparison.as_ref().unwrap().against,
        "baseline:main"
    );
}

#[test]
fn thresholds_parse() {
    assert_eq!(compare::parse_threshold("5%").unwrap(), 0.05);
    assert_eq!(compare::parse_threshold("5").unwrap(), 0.05);
    // A bare number is a percentage; one below 1 must say which it means.
    assert_eq!(compare::parse_threshold("1").unwrap(), 0.01);
    assert_eq!(compare::parse_threshold("1.5").unwrap(), 0.015);
    assert_eq!(compare::parse_threshold("0").unwrap(), 0.0);
    assert!(compare::parse_threshold("0.05")
        .unwrap_err()
        .to_string()
        .contains("write 0.05% or 5%"));
    assert_eq!(compare::parse_threshold(" 12.5 % ").unwrap(), 0.125);
    assert!(compare::parse_threshold("five").is_err());
    assert!(compare::parse_threshold("-3%").is_err());
}

fn raw(name: &str, params: Option<&str>, is_baseline: bool, samples: Vec<f64>) -> RawBenchResult {
    let id = match params {
        Some(p) => format!("b.py::ser::{name}[{p}]"),
        None => format!("b.py::ser::{name}"),
    };
    RawBenchResult {
        id,
        path: "b.py".into(),
        group: "ser".into(),
        name: name.into(),
        params: params.map(str::to_string),
        is_baseline,
        samples,
        calls_per_sample: 10,
        ..Default::default()
    }
}

#[test]
fn analyze_fills_stats_and_compares_with_group_baseline() {
    let mut failing = raw("bad", None, false, vec![]);
    failing.error = Some("RuntimeError: nope".into());
    let input = vec![
        raw("json", None, true, normal_samples(1, 100, 2.0e-6, 0.02e-6)),
        raw(
            "pickle",
            None,
            false,
            normal_samples(2, 100, 1.0e-6, 0.01e-6),
        ),
        raw("same", None, false, normal_samples(3, 100, 2.0e-6, 0.02e-6)),
        raw(
            "sized",
            Some("n=10"),
            false,
            normal_samples(4, 100, 4.0e-6, 0.02e-6),
        ),
        raw(
            "json",
            Some("n=10"),
            true,
            normal_samples(5, 100, 8.0e-6, 0.02e-6),
        ),
        raw("empty", None, false, vec![]),
        failing,
    ];
    let out = analyze(&input, 0.02);
    assert_eq!(out.len(), 7);
    assert!(out[0].comparison.is_none() && out[0].is_baseline);
    let s = out[0].stats.as_ref().unwrap();
    assert_eq!(s.samples, 100);
    assert_eq!(s.calls_per_sample, 10);
    let c = out[1].comparison.as_ref().unwrap();
    assert_eq!(c.against, "b.py::ser::json");
    assert!((c.speedup - 2.0).abs() < 0.02 && c.significant);
    let c = out[2].comparison.as_ref().unwrap();
    assert!((c.speedup - 1.0).abs() < 0.02);
    // Parametrized: compared with the baseline of the same parameters.
    let c = out[3].comparison.as_ref().unwrap();
    assert_eq!(c.against, "b.py::ser::json[n=10]");
    assert!((c.speedup - 2.0).abs() < 0.02);
    assert_eq!(out[5].error.as_deref(), Some("no samples were taken"));
    assert!(out[6].stats.is_none() && out[6].comparison.is_none());
    assert_eq!(out[6].error.as_deref(), Some("RuntimeError: nope"));
    // One entry alone gives the same result as the whole analysis.
    assert_eq!(analyze_entry(&input, &input[3], 0.02), out[3]);
}
