//! Paired comparisons (`bench::paired`): Wilcoxon's signed-rank test and the
//! bootstrap against SciPy (values from `perf/paired_reference.py`), and
//! what pairing by round and resampling by process buy on simulated noise.

use dbtest_engine::bench::paired::{self, cluster_median_ci, log_ratios, wilcoxon, within, Series};
use dbtest_engine::bench::stats::{self, Rng};
use dbtest_engine::bench::{analyze, RawBenchResult};

fn rel_close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-300)
}

/// The closed-form data of `perf/paired_reference.py::cases`.
fn case(name: &str) -> Vec<f64> {
    match name {
        "shift" => (0..40)
            .map(|i| 0.003 + 0.01 * (1.7 * i as f64).sin())
            .collect(),
        "none" => (0..61)
            .map(|i| 0.01 * (2.3 * i as f64 + 0.5).sin())
            .collect(),
        "ties" => (0..50)
            .map(|i| (3.0 * (0.9 * i as f64).sin() + 0.6).round() / 1000.0)
            .collect(),
        "big" => (0..300)
            .map(|i| 0.69 + 0.02 * (0.37 * i as f64).cos())
            .collect(),
        _ => unreachable!(),
    }
}

#[test]
fn wilcoxon_matches_scipy_approx() {
    // scipy.stats.wilcoxon(d, zero_method="wilcox", correction=False,
    // method="approx"), SciPy 1.17.1, perf/paired_reference.py.
    for (name, statistic, p) in [
        ("shift", 226.0, 0.01339096649520753),
        ("none", 936.0, 0.9455974762632433),
        ("ties", 420.0, 0.03322117658794086),
        ("big", 0.0, 6.083559849691437e-51),
    ] {
        let r = wilcoxon(&case(name));
        assert_eq!(r.statistic, statistic, "{name}");
        assert!(
            rel_close(r.p_value, p, 1e-9),
            "{name}: {} vs {p}",
            r.p_value
        );
    }
    assert_eq!(wilcoxon(&[0.0, 0.0]).p_value, 1.0);
    assert_eq!(wilcoxon(&[]).p_value, 1.0);
}

#[test]
fn one_process_bootstrap_matches_scipy_within_monte_carlo_error() {
    // scipy.stats.bootstrap((xs,), np.median, n_resamples=20000,
    // method="percentile"): perf/paired_reference.py. The RNGs differ, so
    // the ends agree within Monte Carlo error, not exactly.
    let xs: Vec<f64> = (0..200)
        .map(|i| 1e-5 * (1.0 + 0.05 * (0.77 * i as f64).sin() + 0.01 * (i % 7) as f64))
        .collect();
    let (lo, hi) = cluster_median_ci(std::slice::from_ref(&xs), 7);
    assert!(rel_close(lo, 1.0192977626838651e-05, 0.003), "{lo}");
    assert!(rel_close(hi, 1.0415349836184111e-05, 0.003), "{hi}");
    // One process: the same as the plain bootstrap of the engine's stats.
    let (plo, phi) = stats::bootstrap_median_ci(&xs);
    assert!(rel_close(lo, plo, 0.003) && rel_close(hi, phi, 0.003));
}

/// `k` processes of `n` samples: each process offset by up to ±`spread`,
/// each sample by small noise, around `center`.
fn processes(seed: u64, k: u32, n: usize, center: f64, spread: f64) -> (Vec<f64>, Vec<u32>) {
    let mut rng = Rng::new(seed);
    let mut xs = Vec::new();
    let mut ps = Vec::new();
    for p in 0..k {
        let offset = 1.0 + spread * (2.0 * rng.next_f64() - 1.0);
        for _ in 0..n {
            xs.push(center * offset * (1.0 + 0.002 * rng.normal()));
            ps.push(p);
        }
    }
    (xs, ps)
}

#[test]
fn the_interval_of_the_median_includes_the_spread_between_processes() {
    let (xs, ps) = processes(3, 10, 50, 1e-5, 0.05);
    let series = Series {
        samples: &xs,
        rounds: &[],
        process: &ps,
    };
    let (lo, hi) = cluster_median_ci(&series.by_process(), stats::BOOTSTRAP_SEED);
    let (plo, phi) = stats::bootstrap_median_ci(&xs);
    // Pooled as if independent, the interval ignores the offsets.
    assert!(hi - lo > 4.0 * (phi - plo), "{lo} {hi} vs {plo} {phi}");
    let s = stats::compute_by_process(&series, 10);
    assert_eq!((s.ci_low, s.ci_high), (lo, hi));
    assert!(s.ci_low < 1e-5 * 1.02 && s.ci_high > 1e-5 * 0.98);
}

/// Two entries sampled interleaved: every round's drift (up to ±30%, the
/// machine's) touches both; `current` costs `factor` times the baseline.
fn interleaved(
    seed: u64,
    factor: f64,
    k: u32,
    rounds: u32,
) -> (Vec<f64>, Vec<f64>, Vec<u32>, Vec<u32>) {
    let mut rng = Rng::new(seed);
    let (mut b, mut c, mut r, mut p) = (vec![], vec![], vec![], vec![]);
    for proc_ in 0..k {
        let offset = 1.0 + 0.1 * (2.0 * rng.next_f64() - 1.0);
        for round in 0..rounds {
            let drift = offset * (1.0 + 0.3 * rng.next_f64());
            b.push(1e-5 * drift * (1.0 + 0.003 * rng.normal()));
            c.push(factor * 1e-5 * drift * (1.0 + 0.003 * rng.normal()));
            r.push(round);
            p.push(proc_);
        }
    }
    (b, c, r, p)
}

#[test]
fn pairing_by_round_cancels_the_drift_both_entries_saw() {
    let (b, c, r, p) = interleaved(11, 2.0, 10, 50);
    let base = Series {
        samples: &b,
        rounds: &r,
        process: &p,
    };
    let cur = Series {
        samples: &c,
        rounds: &r,
        process: &p,
    };
    let cmp = paired::compare("base", &base, &cur, 0.02);
    assert!(cmp.paired && cmp.pairs == 500);
    assert!(cmp.ci_low < 0.5 && 0.5 < cmp.ci_high, "{cmp:?}");
    assert!(cmp.ci_high / cmp.ci_low < 1.005, "{cmp:?}");
    assert!(cmp.significant && cmp.verdict == "slower");
    // The same samples unpaired: the drift is all noise.
    let un = paired::unpaired("base", &base, &cur, 0.02);
    assert!(
        !un.paired && (un.ci_high / un.ci_low).ln() > 10.0 * (cmp.ci_high / cmp.ci_low).ln(),
        "{un:?} {cmp:?}"
    );
}

#[test]
fn identical_entries_are_the_same_within_noise_and_not_significant() {
    let mut same = 0;
    let mut called_different = 0;
    for seed in 0..40 {
        let (b, c, r, p) = interleaved(100 + seed, 1.0, 10, 50);
        let base = Series {
            samples: &b,
            rounds: &r,
            process: &p,
        };
        let cur = Series {
            samples: &c,
            rounds: &r,
            process: &p,
        };
        let cmp = paired::compare("base", &base, &cur, 0.02);
        same += (cmp.verdict == "same") as u32;
        called_different += cmp.significant as u32;
    }
    assert_eq!(same, 40);
    // A 5% test: about 2 in 40 by chance, rarely more than 5.
    assert!(called_different <= 5, "{called_different}");
}

#[test]
fn pairs_match_by_process_and_round_and_unpaired_data_falls_back() {
    let b = [1.0, 2.0, 4.0, 8.0];
    let c = [0.5, 4.0, 8.0];
    let base = Series {
        samples: &b,
        rounds: &[0, 1, 0, 1],
        process: &[0, 0, 1, 1],
    };
    let cur = Series {
        samples: &c,
        rounds: &[1, 0, 1],
        process: &[0, 1, 1],
    };
    let got = log_ratios(&base, &cur);
    assert_eq!(got.len(), 2);
    assert!((got[0][0] - (2.0f64 / 0.5).ln()).abs() < 1e-12);
    assert!((got[1][0] - (4.0f64 / 4.0).ln()).abs() < 1e-12);
    assert!((got[1][1] - (8.0f64 / 8.0).ln()).abs() < 1e-12);
    // Too few pairs, or no rounds at all: unpaired.
    assert!(paired::paired("b", &base, &cur, 0.02).is_none());
    let plain = paired::compare("b", &Series::plain(&b), &Series::plain(&c), 0.02);
    assert!(!plain.paired && plain.pairs == 0);
}

#[test]
fn equivalence_is_symmetric_in_the_ratio_and_needs_the_whole_interval() {
    assert!(within(1.0 / 1.02, 1.02, 0.02));
    assert!(!within(0.97, 1.01, 0.02) && !within(0.99, 1.021, 0.02));
    assert!(!within(f64::NAN, 1.0, 0.02));
    assert_eq!(paired::verdict(1.5, true, false), "faster");
    assert_eq!(paired::verdict(0.5, true, false), "slower");
    assert_eq!(paired::verdict(1.01, true, true), "same");
    assert_eq!(paired::verdict(1.3, false, false), "undecided");
}

#[test]
fn analyze_pairs_a_groups_entries_and_says_equivalent() {
    let (b, c, r, p) = interleaved(5, 1.0, 10, 40);
    let raw = |name: &str, baseline: bool, samples: &[f64]| RawBenchResult {
        id: format!("b.py::g::{name}"),
        path: "b.py".into(),
        group: "g".into(),
        name: name.into(),
        is_baseline: baseline,
        samples: samples.to_vec(),
        rounds: r.clone(),
        process: p.clone(),
        calls_per_sample: 3,
        ..Default::default()
    };
    let out = analyze(&[raw("a", true, &b), raw("b", false, &c)], 0.02);
    let cmp = out[1].comparison.as_ref().unwrap();
    assert!(cmp.paired && cmp.equivalent && cmp.verdict == "same" && cmp.margin == 0.02);
    assert_eq!(out[1].process, p);
    // With no margin nothing is equivalent.
    let strict = analyze(&[raw("a", true, &b), raw("b", false, &c)], 0.0);
    assert!(!strict[1].comparison.as_ref().unwrap().equivalent);
}

#[test]
fn equivalence_margins_parse_like_thresholds_with_their_own_name() {
    use dbtest_engine::bench::compare::parse_percent;
    assert_eq!(parse_percent("2%", "equivalence margin").unwrap(), 0.02);
    assert_eq!(parse_percent("2", "equivalence margin").unwrap(), 0.02);
    let e = parse_percent("lots", "equivalence margin").unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid equivalence margin \"lots\": expected e.g. 5% or 5"
    );
}

#[test]
fn the_default_margin_is_the_instruments_and_a_given_one_wins() {
    use dbtest_engine::bench::instrument::Instrument;
    use dbtest_engine::session::equivalence;
    assert_eq!(paired::default_equivalence(Instrument::Time), 0.02);
    // Counts repeat to the instruction: a 1% change must not be "the same".
    let counted = paired::default_equivalence(Instrument::Instructions);
    assert!(counted < 0.01 && counted == paired::INSTRUCTIONS_EQUIVALENCE);
    assert!(!within(1.0 / 1.0112, 1.0 / 1.0111, counted));
    assert!(within(1.0 / 1.0112, 1.0 / 1.0111, 0.02));
    assert_eq!(
        equivalence(None, Instrument::Instructions).unwrap(),
        counted
    );
    assert_eq!(
        equivalence(Some("2%"), Instrument::Instructions).unwrap(),
        0.02
    );
    assert_eq!(equivalence(None, Instrument::Time).unwrap(), 0.02);
    assert!(equivalence(Some("lots"), Instrument::Time).is_err());
}
