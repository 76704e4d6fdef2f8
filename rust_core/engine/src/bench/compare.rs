//! Comparisons of two sets of samples: the speedup ratio with its bootstrap
//! interval, the Mann-Whitney U test (for samples nothing pairs: timing
//! samples are skewed and heavy-tailed, so a rank test is the honest one),
//! Welch's t (for reference), and the regression gate against a saved
//! baseline. Entries of one group are compared paired (`bench::paired`).

use super::stats::{
    median, median_in_place, quantile_sorted, Rng, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED,
};
use super::{BenchEntryResult, Comparison};
use serde::{Deserialize, Serialize};

/// Significance level of every test dbtest reports.
pub const ALPHA: f64 = 0.05;

/// A test statistic and its two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    pub statistic: f64,
    pub p_value: f64,
}

// ---- special functions -------------------------------------------------

/// Complementary error function, accurate to ~1e-15 relative: a series
/// without cancellation below 2.5, a continued fraction above.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.5 {
        // erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (1*3*...*(2n+1))
        let mut term = x;
        let mut sum = x;
        let x2 = x * x;
        let mut k = 1.0;
        while term > sum * 1e-17 {
            term *= 2.0 * x2 / (2.0 * k + 1.0);
            sum += term;
            k += 1.0;
        }
        1.0 - 2.0 / std::f64::consts::PI.sqrt() * (-x2).exp() * sum
    } else {
        // erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
        // evaluated with the modified Lentz method.
        let tiny = 1e-300;
        let mut f = x;
        let mut c = x;
        let mut d = 0.0;
        for i in 1..500 {
            let a = i as f64 / 2.0;
            d = x + a * d;
            d = if d.abs() < tiny { tiny } else { d };
            c = x + a / c;
            c = if c.abs() < tiny { tiny } else { c };
            d = 1.0 / d;
            let delta = c * d;
            f *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (-x * x).exp() / std::f64::consts::PI.sqrt() / f
    }
}

/// Survival function of the standard normal distribution.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection keeps the approximation in its accurate range.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Continued fraction of the incomplete beta function (modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    let tiny = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    d = if d.abs() < tiny { tiny } else { d };
    d = 1.0 / d;
    let mut h = d;
    for m in 1..10_000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// Regularized incomplete beta function I_x(a, b).
pub fn inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

/// Two-sided p-value of Student's t with `df` degrees of freedom.
pub fn student_t_two_sided(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() {
        return f64::NAN;
    }
    inc_beta(df / 2.0, 0.5, df / (df + t * t))
}

// ---- tests -----------------------------------------------------------------

/// Mann-Whitney U test, two-sided, normal approximation with the tie
/// correction and a continuity correction (SciPy's
/// `mannwhitneyu(x, y, method="asymptotic")`). `statistic` is U of `x`.
pub fn mann_whitney_u(x: &[f64], y: &[f64]) -> TestResult {
    let (n1, n2) = (x.len(), y.len());
    if n1 == 0 || n2 == 0 {
        return TestResult {
            statistic: f64::NAN,
            p_value: f64::NAN,
        };
    }
    let mut all: Vec<(f64, bool)> = x
        .iter()
        .map(|&v| (v, true))
        .chain(y.iter().map(|&v| (v, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = all.len();
    let mut rank_sum_x = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && all[j].0 == all[i].0 {
            j += 1;
        }
        // Tied values share the average of ranks i+1..=j.
        let avg_rank = (i + 1 + j) as f64 / 2.0;
        let t = (j - i) as f64;
        tie_term += t * t * t - t;
        rank_sum_x += avg_rank * all[i..j].iter().filter(|e| e.1).count() as f64;
        i = j;
    }
    let (n1f, n2f, nf) = (n1 as f64, n2 as f64, n as f64);
    let u1 = rank_sum_x - n1f * (n1f + 1.0) / 2.0;
    let u2 = n1f * n2f - u1;
    let u = u1.max(u2);
    let mu = n1f * n2f / 2.0;
    let var = n1f * n2f / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)));
    if var <= 0.0 {
        // Every value identical: no evidence of any difference.
        return TestResult {
            statistic: u1,
            p_value: 1.0,
        };
    }
    let z = (u - mu - 0.5) / var.sqrt();
    let p = (2.0 * normal_sf(z)).clamp(0.0, 1.0);
    TestResult {
        statistic: u1,
        p_value: p,
    }
}

/// Welch's unequal-variances t test, two-sided (SciPy's
/// `ttest_ind(x, y, equal_var=False)`).
pub fn welch_t(x: &[f64], y: &[f64]) -> TestResult {
    use super::stats::{mean, variance};
    let (n1, n2) = (x.len() as f64, y.len() as f64);
    if n1 < 2.0 || n2 < 2.0 {
        return TestResult {
            statistic: f64::NAN,
            p_value: f64::NAN,
        };
    }
    let (v1, v2) = (variance(x) / n1, variance(y) / n2);
    let se2 = v1 + v2;
    if se2 == 0.0 {
        return TestResult {
            statistic: f64::NAN,
            p_value: f64::NAN,
        };
    }
    let t = (mean(x) - mean(y)) / se2.sqrt();
    let df = se2 * se2 / (v1 * v1 / (n1 - 1.0) + v2 * v2 / (n2 - 1.0));
    TestResult {
        statistic: t,
        p_value: student_t_two_sided(t, df),
    }
}

/// Ratio median(baseline) / median(current) (> 1: current is faster) and
/// its 95% bootstrap interval, resampling both sides independently.
pub fn speedup(baseline: &[f64], current: &[f64]) -> (f64, f64, f64) {
    let point = median(baseline) / median(current);
    if baseline.is_empty() || current.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let mut rng = Rng::new(BOOTSTRAP_SEED ^ 0x9a7e);
    let mut bb = vec![0.0; baseline.len()];
    let mut cb = vec![0.0; current.len()];
    let mut ratios = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
    for _ in 0..BOOTSTRAP_RESAMPLES {
        for s in bb.iter_mut() {
            *s = baseline[rng.below(baseline.len())];
        }
        for s in cb.iter_mut() {
            *s = current[rng.below(current.len())];
        }
        ratios.push(median_in_place(&mut bb) / median_in_place(&mut cb));
    }
    ratios.sort_by(|a, b| a.total_cmp(b));
    (
        point,
        quantile_sorted(&ratios, 0.025),
        quantile_sorted(&ratios, 0.975),
    )
}

/// `current` compared with `baseline` (samples in seconds per call, each
/// set from one process, nothing to pair them): `paired::unpaired`.
pub fn compare(against: &str, baseline: &[f64], current: &[f64]) -> Comparison {
    use super::paired::{unpaired, Series, DEFAULT_EQUIVALENCE};
    unpaired(
        against,
        &Series::plain(baseline),
        &Series::plain(current),
        DEFAULT_EQUIVALENCE,
    )
}

// ---- regression gate -------------------------------------------------------

/// One entry of the current run against the saved baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryChange {
    pub id: String,
    /// `faster`, `slower`, `unchanged` (within noise), `new` (not in the
    /// baseline), `missing` (in the baseline, not run now) or `error`.
    pub status: String,
    #[serde(default)]
    pub baseline_median: Option<f64>,
    #[serde(default)]
    pub current_median: Option<f64>,
    /// current / baseline - 1: +0.12 means 12% slower.
    #[serde(default)]
    pub change: Option<f64>,
    #[serde(default)]
    pub comparison: Option<Comparison>,
    /// Significantly slower and slower by more than the threshold.
    pub regression: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareReport {
    /// The baseline's name (`baseline:NAME` in comparisons).
    pub baseline: String,
    /// Fraction, e.g. 0.05 for `--fail-on-regression 5%`.
    pub threshold: f64,
    pub entries: Vec<EntryChange>,
    /// Ids of the entries that fail the gate.
    pub regressions: Vec<String>,
    /// What the medians count: absent for time, `instructions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrument: Option<String>,
}

/// Compares the current run with a saved baseline. An entry is a regression
/// only if it is both significantly slower (Mann-Whitney p < 0.05 and the
/// between-run interval excludes 1) and its median is slower by more than
/// `threshold` (a fraction): a large change within noise or a tiny but
/// real one does not fail CI. Two runs cannot be paired in time: these
/// comparisons are unpaired (`paired::unpaired`); `margin` is the
/// equivalence margin.
pub fn regression_gate(
    baseline_name: &str,
    baseline: &[BenchEntryResult],
    current: &[BenchEntryResult],
    threshold: f64,
    margin: f64,
) -> CompareReport {
    let against = format!("baseline:{baseline_name}");
    let mut entries = Vec::new();
    for cur in current {
        let base = baseline
            .iter()
            .find(|b| b.id == cur.id && b.error.is_none() && !b.samples.is_empty());
        let change = match (cur.error.as_ref(), base) {
            (Some(_), b) => EntryChange {
                id: cur.id.clone(),
                status: "error".into(),
                baseline_median: b.map(|b| median(&b.samples)),
                current_median: None,
                change: None,
                comparison: None,
                regression: false,
            },
            (None, None) => EntryChange {
                id: cur.id.clone(),
                status: "new".into(),
                baseline_median: None,
                current_median: Some(median(&cur.samples)),
                change: None,
                comparison: None,
                regression: false,
            },
            (None, Some(b)) => {
                let bm = median(&b.samples);
                let cm = median(&cur.samples);
                let cmp = super::paired::unpaired(&against, &b.series(), &cur.series(), margin);
                let change = cm / bm - 1.0;
                let status = if !cmp.significant {
                    "unchanged"
                } else if cm > bm {
                    "slower"
                } else {
                    "faster"
                };
                let regression = cmp.significant && cm > bm && change > threshold;
                EntryChange {
                    id: cur.id.clone(),
                    status: status.into(),
                    baseline_median: Some(bm),
                    current_median: Some(cm),
                    change: Some(change),
                    comparison: Some(cmp),
                    regression,
                }
            }
        };
        entries.push(change);
    }
    for b in baseline {
        if !current.iter().any(|c| c.id == b.id) {
            entries.push(EntryChange {
                id: b.id.clone(),
                status: "missing".into(),
                baseline_median: (!b.samples.is_empty()).then(|| median(&b.samples)),
                current_median: None,
                change: None,
                comparison: None,
                regression: false,
            });
        }
    }
    let regressions = entries
        .iter()
        .filter(|e| e.regression)
        .map(|e| e.id.clone())
        .collect();
    CompareReport {
        baseline: baseline_name.to_string(),
        threshold,
        entries,
        regressions,
        instrument: current.iter().find_map(|e| e.instrument.clone()),
    }
}

/// A percentage that cannot be read (a `--fail-on-regression` threshold, a
/// `--bench-equivalence` margin); `text` is as given, `what` names it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThresholdError {
    #[error("invalid {what} {text:?}: expected e.g. 5% or 5")]
    NotANumber { what: &'static str, text: String },
    #[error("invalid {what} {text:?}: must be a non-negative number")]
    Negative { what: &'static str, text: String },
    /// Below 1, a bare number could as well be a fraction: is 0.5 half a
    /// percent or half?
    #[error("ambiguous {what} {text:?}: write {value}% or {}%", (value * 1e8).round() / 1e6)]
    Ambiguous {
        what: &'static str,
        text: String,
        value: f64,
    },
}

/// Parses a threshold as written on the command line: `5%`, `5`, `0.05`.
/// A bare number above 1 is read as a percentage.
pub fn parse_threshold(s: &str) -> Result<f64, ThresholdError> {
    parse_percent(s, "regression threshold")
}

/// `5%` or `5` to the fraction 0.05; a bare number between 0 and 1 is
/// refused as ambiguous. `what` names the value in the error.
pub fn parse_percent(s: &str, what: &'static str) -> Result<f64, ThresholdError> {
    let t = s.trim();
    let (num, pct) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), true),
        None => (t, false),
    };
    let text = || s.to_string();
    let v: f64 = num
        .parse()
        .map_err(|_| ThresholdError::NotANumber { what, text: text() })?;
    if !v.is_finite() || v < 0.0 {
        return Err(ThresholdError::Negative { what, text: text() });
    }
    if !pct && v > 0.0 && v < 1.0 {
        return Err(ThresholdError::Ambiguous {
            what,
            text: text(),
            value: v,
        });
    }
    Ok(v / 100.0)
}
