//! Benchmark results as the scheduler, reporters and baselines see them.

use serde::{Deserialize, Serialize};

/// Statistics of one entry's samples; times are seconds per call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchStats {
    pub mean: f64,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub stddev: f64,
    pub q1: f64,
    pub q3: f64,
    pub iqr: f64,
    pub p95: f64,
    pub p99: f64,
    pub ops_per_sec: f64,
    pub samples: u64,
    pub calls_per_sample: u64,
    /// Beyond 1.5 IQR (and not beyond 3).
    pub outliers_mild: u64,
    /// Beyond 3 IQR.
    pub outliers_severe: u64,
    /// 95% bootstrap confidence interval of the median.
    pub ci_low: f64,
    pub ci_high: f64,
}

/// An entry compared with its group's baseline (or a saved baseline).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Against what: the baseline entry id, or `baseline:NAME`.
    pub against: String,
    /// baseline median / this median: > 1 means this entry is faster.
    pub speedup: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub p_value: f64,
    pub significant: bool,
    /// From per-round pairs of interleaved samples (`bench::paired`); false
    /// against a saved baseline, which nothing pairs with today's samples.
    #[serde(default)]
    pub paired: bool,
    /// How many per-round pairs the comparison is computed from.
    #[serde(default)]
    pub pairs: u64,
    /// The interval lies within ±`margin`: the same within noise.
    #[serde(default)]
    pub equivalent: bool,
    /// The equivalence margin (`--bench-equivalence`), a fraction.
    #[serde(default)]
    pub margin: f64,
    /// `same`, `faster`, `slower` or `undecided` (`paired::verdict`).
    #[serde(default)]
    pub verdict: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchEntryResult {
    pub id: String,
    pub path: String,
    pub group: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<String>,
    #[serde(default)]
    pub is_baseline: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<BenchStats>,
    /// Raw samples, seconds per call.
    #[serde(default)]
    pub samples: Vec<f64>,
    /// The round (within its process) each sample was taken in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rounds: Vec<u32>,
    /// The measuring process each sample was taken in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub process: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_peak: Option<u64>,
    /// What the samples count: absent for seconds per call, `instructions`
    /// for instructions per call (`instrument::Instrument`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrument: Option<String>,
}

pub mod baseline;
pub mod callgrind;
pub mod compare;
pub mod instrument;
pub mod paired;
pub mod stats;

/// One entry as the benchmark worker reports it (the `bench_result`
/// message), before analysis.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RawBenchResult {
    pub id: String,
    pub path: String,
    pub group: String,
    pub name: String,
    #[serde(default)]
    pub params: Option<String>,
    #[serde(default)]
    pub is_baseline: bool,
    /// Seconds per call, one value per sample.
    #[serde(default)]
    pub samples: Vec<f64>,
    /// The round each sample was taken in, within its process: the group's
    /// entries were sampled interleaved, one sample of each per round.
    #[serde(default)]
    pub rounds: Vec<u32>,
    /// The measuring process each sample was taken in (empty: one).
    #[serde(default)]
    pub process: Vec<u32>,
    #[serde(default)]
    pub calls_per_sample: u64,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub memory_peak: Option<u64>,
    /// Absent for wall time; `instructions` under callgrind.
    #[serde(default)]
    pub instrument: Option<String>,
}

impl RawBenchResult {
    fn series(&self) -> paired::Series<'_> {
        paired::Series {
            samples: &self.samples,
            rounds: &self.rounds,
            process: &self.process,
        }
    }
}

impl BenchEntryResult {
    /// Its samples with the process and round of each.
    pub fn series(&self) -> paired::Series<'_> {
        paired::Series {
            samples: &self.samples,
            rounds: &self.rounds,
            process: &self.process,
        }
    }
}

/// Statistics for every entry, and each entry compared with its group's
/// baseline entry (paired by round, `bench::paired`; `margin` is the
/// equivalence margin, a fraction). With parametrized entries, an entry is
/// compared with the baseline entry of the same parameters, or else an
/// unparametrized baseline entry; entries with no usable baseline get no
/// comparison.
pub fn analyze(raw: &[RawBenchResult], margin: f64) -> Vec<BenchEntryResult> {
    raw.iter().map(|r| analyze_entry(raw, r, margin)).collect()
}

/// One entry of `raw` analyzed (its statistics, and its comparison with
/// its group's baseline entry in `raw`), without the cost of analyzing the
/// others: for live updates while the rest of the run is still measuring.
pub fn analyze_entry(raw: &[RawBenchResult], r: &RawBenchResult, margin: f64) -> BenchEntryResult {
    let usable = |r: &RawBenchResult| r.error.is_none() && !r.samples.is_empty();
    let ok = usable(r);
    let stats = ok.then(|| stats::compute_by_process(&r.series(), r.calls_per_sample));
    let comparison = if ok && !r.is_baseline {
        let in_group = |b: &&RawBenchResult| {
            b.is_baseline && b.path == r.path && b.group == r.group && usable(b)
        };
        raw.iter()
            .filter(in_group)
            .find(|b| b.params == r.params)
            .or_else(|| raw.iter().filter(in_group).find(|b| b.params.is_none()))
            .map(|b| paired::compare(&b.id, &b.series(), &r.series(), margin))
    } else {
        None
    };
    BenchEntryResult {
        id: r.id.clone(),
        path: r.path.clone(),
        group: r.group.clone(),
        name: r.name.clone(),
        params: r.params.clone(),
        is_baseline: r.is_baseline,
        error: if r.error.is_none() && r.samples.is_empty() {
            Some("no samples were taken".to_string())
        } else {
            r.error.clone()
        },
        stats,
        samples: r.samples.clone(),
        rounds: r.rounds.clone(),
        process: r.process.clone(),
        comparison,
        memory_peak: r.memory_peak,
        instrument: r.instrument.clone(),
    }
}
