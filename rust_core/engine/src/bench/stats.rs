//! Descriptive statistics of one entry's samples, and the bootstrap.
//!
//! Quantiles use linear interpolation between order statistics (NumPy's
//! default, "type 7"), so figures agree with what a user gets from NumPy.

use super::BenchStats;

/// Number of bootstrap resamples: enough for a stable 95% interval
/// (the 2.5% tail then holds 125 resamples), still a few ms per entry.
pub const BOOTSTRAP_RESAMPLES: usize = 5_000;
/// Fixed seed: the same samples always give the same interval.
pub const BOOTSTRAP_SEED: u64 = 0x5eed_db7e_57be_4c40;

/// A small, fast, deterministic PRNG: xoshiro256** seeded by splitmix64.
/// Written here because the engine has no `rand` dependency and the
/// bootstrap needs nothing more than uniform indices.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut st = seed;
        let s = [
            splitmix64(&mut st),
            splitmix64(&mut st),
            splitmix64(&mut st),
            splitmix64(&mut st),
        ];
        Rng { s }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform index in [0, n) (Lemire's multiply-shift; the bias for the
    /// sample sizes used here is far below 2^-40).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Standard normal deviate (Box-Muller), for simulations in tests.
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sample variance (n - 1 denominator); 0 for fewer than two values.
pub fn variance(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let m = mean(xs);
    xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() - 1) as f64
}

pub fn stddev(xs: &[f64]) -> f64 {
    variance(xs).sqrt()
}

/// Sorted copy; NaNs (never produced by the timer) sort last.
pub fn sorted(xs: &[f64]) -> Vec<f64> {
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

/// Quantile `q` in [0, 1] of already sorted values (linear interpolation).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

pub fn median_sorted(sorted: &[f64]) -> f64 {
    quantile_sorted(sorted, 0.5)
}

pub fn median(xs: &[f64]) -> f64 {
    median_sorted(&sorted(xs))
}

/// Median of `buf`, reordering it in place (O(n) selection).
pub fn median_in_place(buf: &mut [f64]) -> f64 {
    let n = buf.len();
    if n == 0 {
        return f64::NAN;
    }
    let mid = n / 2;
    let (left, m, _) = buf.select_nth_unstable_by(mid, |a, b| a.total_cmp(b));
    let upper = *m;
    if n % 2 == 1 {
        upper
    } else {
        let lower = left.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    }
}

/// Counts of Tukey outliers: (mild, severe). Mild lie beyond 1.5 IQR from
/// the quartiles but within 3 IQR; severe lie beyond 3 IQR.
pub fn tukey_outliers(xs: &[f64], q1: f64, q3: f64) -> (u64, u64) {
    let iqr = q3 - q1;
    let (in_lo, in_hi) = (q1 - 1.5 * iqr, q3 + 1.5 * iqr);
    let (out_lo, out_hi) = (q1 - 3.0 * iqr, q3 + 3.0 * iqr);
    let mut mild = 0;
    let mut severe = 0;
    for &x in xs {
        if x < out_lo || x > out_hi {
            severe += 1;
        } else if x < in_lo || x > in_hi {
            mild += 1;
        }
    }
    (mild, severe)
}

/// Percentile bootstrap confidence interval of `statistic` over resamples
/// of `xs`, at confidence `level` (e.g. 0.95).
pub fn bootstrap_ci<F>(
    xs: &[f64],
    level: f64,
    resamples: usize,
    seed: u64,
    statistic: F,
) -> (f64, f64)
where
    F: Fn(&mut [f64]) -> f64,
{
    if xs.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mut rng = Rng::new(seed);
    let mut buf = vec![0.0; xs.len()];
    let mut stats = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        for slot in buf.iter_mut() {
            *slot = xs[rng.below(xs.len())];
        }
        stats.push(statistic(&mut buf));
    }
    stats.sort_by(|a, b| a.total_cmp(b));
    let alpha = (1.0 - level) / 2.0;
    (
        quantile_sorted(&stats, alpha),
        quantile_sorted(&stats, 1.0 - alpha),
    )
}

/// 95% percentile-bootstrap interval of the median, deterministic.
pub fn bootstrap_median_ci(xs: &[f64]) -> (f64, f64) {
    bootstrap_ci(
        xs,
        0.95,
        BOOTSTRAP_RESAMPLES,
        BOOTSTRAP_SEED,
        median_in_place,
    )
}

/// All statistics of one entry. `samples` are seconds per call, taken in
/// one process.
pub fn compute(samples: &[f64], calls_per_sample: u64) -> BenchStats {
    compute_by_process(&super::paired::Series::plain(samples), calls_per_sample)
}

/// All statistics of one entry whose samples come from several processes:
/// the interval of the median resamples whole processes, then samples
/// within them, so it includes the spread between processes.
pub fn compute_by_process(series: &super::paired::Series, calls_per_sample: u64) -> BenchStats {
    let samples = series.samples;
    let s = sorted(samples);
    let q1 = quantile_sorted(&s, 0.25);
    let q3 = quantile_sorted(&s, 0.75);
    let med = median_sorted(&s);
    let (outliers_mild, outliers_severe) = tukey_outliers(&s, q1, q3);
    let groups = series.by_process();
    let (ci_low, ci_high) = if groups.len() > 1 {
        super::paired::cluster_median_ci(&groups, BOOTSTRAP_SEED)
    } else {
        bootstrap_median_ci(samples)
    };
    BenchStats {
        mean: mean(samples),
        median: med,
        min: s.first().copied().unwrap_or(f64::NAN),
        max: s.last().copied().unwrap_or(f64::NAN),
        stddev: stddev(samples),
        q1,
        q3,
        iqr: q3 - q1,
        p95: quantile_sorted(&s, 0.95),
        p99: quantile_sorted(&s, 0.99),
        ops_per_sec: if med > 0.0 { 1.0 / med } else { 0.0 },
        samples: samples.len() as u64,
        calls_per_sample,
        outliers_mild,
        outliers_severe,
        ci_low,
        ci_high,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_in_place_matches_sorted_median() {
        let mut rng = Rng::new(1);
        for n in 1..40 {
            let xs: Vec<f64> = (0..n).map(|_| rng.next_f64()).collect();
            let mut buf = xs.clone();
            assert_eq!(median_in_place(&mut buf), median(&xs), "n={n}");
        }
    }

    #[test]
    fn rng_is_deterministic_and_uniform() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        let xs: Vec<u64> = (0..10).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..10).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let mut counts = [0usize; 10];
        let mut r = Rng::new(7);
        for _ in 0..100_000 {
            counts[r.below(10)] += 1;
        }
        for c in counts {
            assert!((9_500..10_500).contains(&c), "{counts:?}");
        }
    }
}
