//! Comparisons that respect how samples were taken.
//!
//! A group's entries are sampled interleaved, one sample of each per round
//! (`dbtest/benchmark/interleave.py`), in several fresh processes. Two
//! samples of the same process and round were taken side by side, so
//! whatever the machine did then touched both: their log-ratio cancels it.
//! Samples of one process share that process's offset, so they are not
//! independent: intervals resample whole processes (a cluster bootstrap). Significance is Wilcoxon's signed-rank
//! test on the per-round log-ratios, and a difference is only called
//! significant when the interval agrees (excludes 1). An entry whose
//! interval lies within the equivalence margin is "the same within noise".
//!
//! A saved baseline (`--compare NAME`) was measured in another run: nothing
//! pairs its samples with today's. Those comparisons are unpaired: the ratio
//! of medians, each side resampled by process (the wider, between-run
//! interval), Mann-Whitney U for significance.

use super::compare::{mann_whitney_u, normal_sf, TestResult, ALPHA};
use super::instrument::Instrument;
use super::stats::{median, median_in_place, quantile_sorted, Rng, BOOTSTRAP_RESAMPLES};
use super::Comparison;
use std::collections::{BTreeMap, HashMap};

/// `--bench-equivalence` unless given, measuring time: within ±2%, the
/// same within noise.
pub const DEFAULT_EQUIVALENCE: f64 = 0.02;
/// `--bench-equivalence` unless given, counting instructions: within
/// ±0.5%. Counts repeat from run to run to the instruction and two
/// byte-identical entries of ~300k instructions differ by 0.06%, so 2%
/// would hide real 1% changes; but batches of an entry of ~1,000
/// instructions per call move by up to 1.4% (docs/performance.md), which a
/// margin much below 0.5% would turn into "different" for identical code.
pub const INSTRUCTIONS_EQUIVALENCE: f64 = 0.005;

/// The equivalence margin of a run that gives no `--bench-equivalence`:
/// as wide as what `instrument` measures can move for unchanged code.
pub fn default_equivalence(instrument: Instrument) -> f64 {
    match instrument {
        Instrument::Time => DEFAULT_EQUIVALENCE,
        Instrument::Instructions => INSTRUCTIONS_EQUIVALENCE,
    }
}
/// Fewer pairs than this are no comparison to pair: fall back to unpaired.
pub const MIN_PAIRS: usize = 6;
/// Fixed seed: the same samples always give the same interval.
const SEED: u64 = 0x9a1e_d5ee_d0b0_07c1;

/// One entry's samples with where each was taken: `rounds[i]` and
/// `process[i]` of sample i. Empty `process`: one process; empty `rounds`:
/// nothing to pair by.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    pub samples: &'a [f64],
    pub rounds: &'a [u32],
    pub process: &'a [u32],
}

impl<'a> Series<'a> {
    /// Samples without provenance: one process, unpaired.
    pub fn plain(samples: &'a [f64]) -> Self {
        Series {
            samples,
            rounds: &[],
            process: &[],
        }
    }

    fn process_of(&self, i: usize) -> u32 {
        self.process.get(i).copied().unwrap_or(0)
    }

    /// The samples of each process, in process order.
    pub fn by_process(&self) -> Vec<Vec<f64>> {
        let mut groups: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
        for (i, &x) in self.samples.iter().enumerate() {
            groups.entry(self.process_of(i)).or_default().push(x);
        }
        groups.into_values().collect()
    }
}

/// ln(baseline / current) of every round both were sampled in, grouped by
/// process. Empty when the two cannot be paired.
pub fn log_ratios(baseline: &Series, current: &Series) -> Vec<Vec<f64>> {
    let n = |s: &Series| s.samples.len();
    let usable =
        |s: &Series| s.rounds.len() == n(s) && (s.process.is_empty() || s.process.len() == n(s));
    if !usable(baseline) || !usable(current) {
        return Vec::new();
    }
    let mut at: HashMap<(u32, u32), f64> = HashMap::new();
    for (i, &x) in baseline.samples.iter().enumerate() {
        at.entry((baseline.process_of(i), baseline.rounds[i]))
            .or_insert(x);
    }
    let mut groups: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
    for (i, &y) in current.samples.iter().enumerate() {
        let p = current.process_of(i);
        if let Some(&x) = at.get(&(p, current.rounds[i])) {
            if x > 0.0 && y > 0.0 {
                groups.entry(p).or_default().push((x / y).ln());
            }
        }
    }
    groups.into_values().collect()
}

/// One cluster-bootstrap resample of `groups` into `buf`: as many whole
/// groups drawn with replacement. A single group has no other to draw:
/// its values are drawn instead (the plain bootstrap).
///
/// Whole groups, not groups then values within them: the spread of the
/// groups' values already carries the noise within each, and a second
/// stage would count it twice.
fn resample_into(groups: &[Vec<f64>], rng: &mut Rng, buf: &mut Vec<f64>) {
    buf.clear();
    if let [only] = groups {
        buf.extend((0..only.len()).map(|_| only[rng.below(only.len())]));
        return;
    }
    for _ in 0..groups.len() {
        buf.extend_from_slice(&groups[rng.below(groups.len())]);
    }
}

/// 95% cluster-bootstrap interval of the median of the pooled values of
/// `groups` (processes resampled whole). With one group it is the plain
/// percentile bootstrap.
pub fn cluster_median_ci(groups: &[Vec<f64>], seed: u64) -> (f64, f64) {
    let groups: Vec<Vec<f64>> = groups.iter().filter(|g| !g.is_empty()).cloned().collect();
    if groups.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mut rng = Rng::new(seed);
    let mut buf = Vec::new();
    let mut stats = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
    for _ in 0..BOOTSTRAP_RESAMPLES {
        resample_into(&groups, &mut rng, &mut buf);
        stats.push(median_in_place(&mut buf));
    }
    stats.sort_by(|a, b| a.total_cmp(b));
    (
        quantile_sorted(&stats, 0.025),
        quantile_sorted(&stats, 0.975),
    )
}

/// Wilcoxon signed-rank test of `d` against 0, two-sided: zeros dropped,
/// average ranks for ties with the tie correction of the variance, normal
/// approximation without continuity correction (SciPy's
/// `wilcoxon(d, zero_method="wilcox", correction=False, method="approx")`).
/// `statistic` is min(W+, W-), as SciPy's.
pub fn wilcoxon(d: &[f64]) -> TestResult {
    let mut nz: Vec<f64> = d.iter().copied().filter(|x| *x != 0.0).collect();
    let n = nz.len();
    if n == 0 {
        return TestResult {
            statistic: 0.0,
            p_value: 1.0,
        };
    }
    nz.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
    let (mut w_plus, mut w_minus, mut ties) = (0.0, 0.0, 0.0);
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && nz[j].abs() == nz[i].abs() {
            j += 1;
        }
        let rank = (i + 1 + j) as f64 / 2.0;
        let t = (j - i) as f64;
        ties += t * (t * t - 1.0);
        for x in &nz[i..j] {
            if *x > 0.0 {
                w_plus += rank;
            } else {
                w_minus += rank;
            }
        }
        i = j;
    }
    let nf = n as f64;
    let t = f64::min(w_plus, w_minus);
    let mean = nf * (nf + 1.0) / 4.0;
    let var = (nf * (nf + 1.0) * (2.0 * nf + 1.0) - 0.5 * ties) / 24.0;
    if var <= 0.0 {
        return TestResult {
            statistic: t,
            p_value: 1.0,
        };
    }
    let z = (t - mean) / var.sqrt();
    TestResult {
        statistic: t,
        p_value: (2.0 * normal_sf(z.abs())).clamp(0.0, 1.0),
    }
}

/// The interval lies within ±`margin` of 1, symmetric in ratio: a 2%
/// margin is [1/1.02, 1.02].
pub fn within(low: f64, high: f64, margin: f64) -> bool {
    low.is_finite() && high.is_finite() && low >= 1.0 / (1.0 + margin) && high <= 1.0 + margin
}

/// What the comparison says, in one word: `same` (within the equivalence
/// margin), `faster` or `slower` (significant), or `undecided`.
pub fn verdict(speedup: f64, significant: bool, equivalent: bool) -> &'static str {
    if equivalent {
        "same"
    } else if significant && speedup > 1.0 {
        "faster"
    } else if significant {
        "slower"
    } else {
        "undecided"
    }
}

fn finish(
    against: &str,
    (speedup, ci_low, ci_high): (f64, f64, f64),
    p_value: f64,
    paired: bool,
    pairs: usize,
    margin: f64,
) -> Comparison {
    // A test on many correlated samples can find a "difference" the
    // interval does not support: both must agree.
    let significant = p_value < ALPHA && !(ci_low <= 1.0 && 1.0 <= ci_high);
    let equivalent = within(ci_low, ci_high, margin);
    Comparison {
        against: against.to_string(),
        speedup,
        ci_low,
        ci_high,
        p_value,
        significant,
        paired,
        pairs: pairs as u64,
        equivalent,
        margin,
        verdict: verdict(speedup, significant, equivalent).to_string(),
    }
}

/// `current` against `baseline` from their per-round pairs: the speedup is
/// exp(median of ln(baseline / current)), its interval the cluster
/// bootstrap of that median. None when fewer than `MIN_PAIRS` pair up.
pub fn paired(
    against: &str,
    baseline: &Series,
    current: &Series,
    margin: f64,
) -> Option<Comparison> {
    let groups = log_ratios(baseline, current);
    let all: Vec<f64> = groups.iter().flatten().copied().collect();
    if all.len() < MIN_PAIRS {
        return None;
    }
    let (lo, hi) = cluster_median_ci(&groups, SEED);
    let point = (median(&all).exp(), lo.exp(), hi.exp());
    let p = wilcoxon(&all).p_value;
    Some(finish(against, point, p, true, all.len(), margin))
}

/// `current` against `baseline` with nothing to pair them: the ratio of
/// medians, its interval from resampling each side by process.
pub fn unpaired(against: &str, baseline: &Series, current: &Series, margin: f64) -> Comparison {
    let (b, c) = (baseline.by_process(), current.by_process());
    let point = median(baseline.samples) / median(current.samples);
    let (lo, hi) = if b.is_empty() || c.is_empty() {
        (f64::NAN, f64::NAN)
    } else {
        let mut rng = Rng::new(SEED ^ 0x00c0_ffee);
        let (mut bb, mut cb) = (Vec::new(), Vec::new());
        let mut ratios = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
        for _ in 0..BOOTSTRAP_RESAMPLES {
            resample_into(&b, &mut rng, &mut bb);
            resample_into(&c, &mut rng, &mut cb);
            ratios.push(median_in_place(&mut bb) / median_in_place(&mut cb));
        }
        ratios.sort_by(|a, b| a.total_cmp(b));
        (
            quantile_sorted(&ratios, 0.025),
            quantile_sorted(&ratios, 0.975),
        )
    };
    let p = mann_whitney_u(baseline.samples, current.samples).p_value;
    finish(against, (point, lo, hi), p, false, 0, margin)
}

/// Paired when the samples pair up, else unpaired.
pub fn compare(against: &str, baseline: &Series, current: &Series, margin: f64) -> Comparison {
    paired(against, baseline, current, margin)
        .unwrap_or_else(|| unpaired(against, baseline, current, margin))
}
