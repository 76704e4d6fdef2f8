//! The run report (one document per run) and its renderers.
//!
//! The JSON form of [`RunReport`] is the schema in `docs/report-schema.json`;
//! every other format is rendered from it, so a saved JSON report can be
//! rendered again or merged with the reports of other shards.

use crate::bench::BenchEntryResult;
use crate::record::{Summary, TestRecord};
use crate::tree::CollectionError;
use serde::{Deserialize, Serialize};

pub const SCHEMA_VERSION: u32 = 1;

/// What was asked for: the command line's selection, for the record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    /// `all`, `unit`, `integration` or `bench`.
    #[serde(default)]
    pub mode: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    pub dbtest_version: String,
    pub python: String,
    pub platform: String,
    /// Unix time, seconds.
    pub start: f64,
    /// Wall time of the whole run, seconds.
    pub duration: f64,
    pub workers: u32,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub selection: Selection,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<String>,
    #[serde(default)]
    pub interrupted: bool,
    /// Set by `dbtest report merge`: the shards this report was merged from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
}

/// An error that belongs to no single test (a failing `teardown_suite`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunError {
    pub scope: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceback: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub schema_version: u32,
    pub meta: RunMeta,
    pub summary: Summary,
    pub tests: Vec<TestRecord>,
    #[serde(default)]
    pub collection_errors: Vec<CollectionError>,
    #[serde(default)]
    pub run_errors: Vec<RunError>,
    #[serde(default)]
    pub benchmarks: Vec<BenchEntryResult>,
}
