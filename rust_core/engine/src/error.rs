//! Bad input from the user, as one type: every error the engine returns
//! for what a user typed, configured or named converts into [`UsageError`]
//! (the binding raises it as the one Python class `dbtest._core.UsageError`,
//! the CLI prints it as one line and exits with its [`ExitCode`]).

use crate::bench::baseline::BaselineError;
use crate::bench::compare::ThresholdError;
use crate::bench::instrument::InstrumentError;
use crate::config::ConfigError;
use crate::exit_code::ExitCode;
use crate::filter::{FilterError, UnknownMode};
use crate::graph::git::ChangedError;
use crate::order::SeedError;
use crate::partition::PartitionError;
use crate::report::ReportError;

/// Bad input: an option, the config, a filter, a path or id, a partition,
/// a baseline, a report. Display is one line; a filter error adds the
/// expression and a caret under the fault.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{source}\n    {}", source.render(expr).replace('\n', "\n    "))]
    Filter {
        #[source]
        source: FilterError,
        expr: String,
    },
    #[error(transparent)]
    Mode(#[from] UnknownMode),
    #[error("no such file or directory: {}", .0.join(", "))]
    MissingPaths(Vec<String>),
    #[error("no test or suite named {}", .0.join(", "))]
    MissingIds(Vec<String>),
    #[error(transparent)]
    Partition(#[from] PartitionError),
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    #[error(transparent)]
    Threshold(#[from] ThresholdError),
    #[error(transparent)]
    Instrument(#[from] InstrumentError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Changed(#[from] ChangedError),
    #[error(transparent)]
    Seed(#[from] SeedError),
    #[error("cannot read the current directory: {0}")]
    CurrentDir(#[source] std::io::Error),
}

impl UsageError {
    /// The exit code the CLI ends with.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::UsageError
    }
}
