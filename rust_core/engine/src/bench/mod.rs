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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_peak: Option<u64>,
}
