//! Statistics of benchmark samples: hand-computed values, known
//! distributions, Tukey's fences and the bootstrap's coverage.

use dbtest_engine::bench::stats::{self, Rng};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn hand_computed_one_to_ten() {
    let xs: Vec<f64> = (1..=10).map(f64::from).collect();
    let s = stats::compute(&xs, 7);
    assert_eq!(s.mean, 5.5);
    assert_eq!(s.median, 5.5);
    assert_eq!((s.min, s.max), (1.0, 10.0));
    // NumPy's default (linear) percentiles of 1..=10.
    assert!(close(s.q1, 3.25, 1e-12) && close(s.q3, 7.75, 1e-12));
    assert!(close(s.iqr, 4.5, 1e-12));
    assert!(close(s.p95, 9.55, 1e-12) && close(s.p99, 9.91, 1e-12));
    assert!(close(s.stddev, 3.027_650_354_097_491_7, 1e-12));
    assert!(close(s.ops_per_sec, 1.0 / 5.5, 1e-15));
    assert_eq!((s.samples, s.calls_per_sample), (10, 7));
    assert_eq!((s.outliers_mild, s.outliers_severe), (0, 0));
    assert!(s.ci_low <= 5.5 && 5.5 <= s.ci_high && s.ci_low >= 1.0 && s.ci_high <= 10.0);
}

#[test]
fn single_sample_and_unsorted_input() {
    let s = stats::compute(&[2.0], 1);
    assert_eq!((s.median, s.mean, s.stddev, s.iqr), (2.0, 2.0, 0.0, 0.0));
    assert_eq!((s.ci_low, s.ci_high), (2.0, 2.0));
    assert_eq!(stats::median(&[5.0, 1.0, 3.0, 2.0]), 2.5);
}

#[test]
fn tukey_fences() {
    // q1 = 2, q3 = 4: inner fences -1 and 7, outer fences -4 and 10.
    let xs = [3.0, 7.0, 7.5, 10.5, -2.0, -5.0, -1.0, 10.0];
    // On a fence is inside it: -1 is no outlier, 10 is mild.
    assert_eq!(stats::tukey_outliers(&xs, 2.0, 4.0), (3, 2));
    // Through compute(): one far value among tight ones is severe.
    let mut ys = vec![1.0, 1.1, 0.9, 1.05, 0.95, 1.0, 1.02, 0.98];
    ys.push(5.0);
    ys.push(1.4); // q1 ~0.98, q3 ~1.05: 1.4 is beyond 3 IQR too
    let s = stats::compute(&ys, 1);
    assert_eq!(s.outliers_severe, 2, "{s:?}");
    ys.pop();
    ys.push(1.3); // beyond 1.5 IQR, within 3
    let s = stats::compute(&ys, 1);
    assert_eq!((s.outliers_mild, s.outliers_severe), (1, 1), "{s:?}");
}

#[test]
fn normal_distribution_moments_and_quantiles() {
    let mut rng = Rng::new(11);
    let xs: Vec<f64> = (0..200_000).map(|_| 10.0 + 2.0 * rng.normal()).collect();
    let s = stats::compute(&xs[..2_000], 1);
    assert!(close(s.median, 10.0, 0.15), "{s:?}");
    let sorted = stats::sorted(&xs);
    assert!(close(stats::mean(&xs), 10.0, 0.02));
    assert!(close(stats::stddev(&xs), 2.0, 0.02));
    assert!(close(stats::median_sorted(&sorted), 10.0, 0.02));
    let iqr = stats::quantile_sorted(&sorted, 0.75) - stats::quantile_sorted(&sorted, 0.25);
    assert!(close(iqr, 2.0 * 1.348_979_5, 0.03), "{iqr}");
    assert!(close(
        stats::quantile_sorted(&sorted, 0.95),
        10.0 + 2.0 * 1.644_853_6,
        0.04
    ));
    assert!(close(
        stats::quantile_sorted(&sorted, 0.99),
        10.0 + 2.0 * 2.326_347_9,
        0.06
    ));
}

#[test]
fn exponential_distribution_median_and_mean() {
    let mut rng = Rng::new(3);
    let xs: Vec<f64> = (0..200_000).map(|_| -(1.0 - rng.next_f64()).ln()).collect();
    assert!(close(stats::median(&xs), std::f64::consts::LN_2, 0.01));
    assert!(close(stats::mean(&xs), 1.0, 0.01));
    // Right-skewed: the p99 of Exp(1) is ln(100).
    let sorted = stats::sorted(&xs);
    assert!(close(
        stats::quantile_sorted(&sorted, 0.99),
        100f64.ln(),
        0.1
    ));
}

#[test]
fn bootstrap_ci_of_median_covers_true_median_at_nominal_rate() {
    // Log-normal samples (skewed like timings) with true median exactly 1.
    let trials = 300;
    let mut covered = 0;
    let mut rng = Rng::new(2024);
    for t in 0..trials {
        let xs: Vec<f64> = (0..61).map(|_| (0.5 * rng.normal()).exp()).collect();
        let (lo, hi) = stats::bootstrap_ci(&xs, 0.95, 800, t as u64, stats::median_in_place);
        assert!(lo <= hi);
        if lo <= 1.0 && 1.0 <= hi {
            covered += 1;
        }
    }
    let rate = covered as f64 / trials as f64;
    assert!((0.90..=0.99).contains(&rate), "coverage {rate}");
}

#[test]
fn bootstrap_ci_is_deterministic_and_narrows_with_more_samples() {
    let mut rng = Rng::new(5);
    let small: Vec<f64> = (0..30).map(|_| 1.0 + 0.1 * rng.normal()).collect();
    let large: Vec<f64> = (0..3000).map(|_| 1.0 + 0.1 * rng.normal()).collect();
    let a = stats::bootstrap_median_ci(&small);
    assert_eq!(a, stats::bootstrap_median_ci(&small));
    let b = stats::bootstrap_median_ci(&large);
    assert!(b.1 - b.0 < (a.1 - a.0) / 3.0, "{a:?} {b:?}");
}
