//! The scheduler: a queue of units, a pool of supervised worker processes,
//! timeouts, retries, fail-fast and cancellation, and the event stream.
//!
//! [`state`] is the logic (pure, tested with a fake worker), [`driver`] the
//! async loop around it, [`process`] the real worker processes, [`units`]
//! how tests are grouped for dispatch, [`protocol`] the messages, [`stacks`]
//! where a worker about to be killed was stuck.

pub mod driver;
pub mod process;
pub mod protocol;
pub mod stacks;
pub mod state;
pub mod units;

pub use driver::{drive, Control, Launcher, WorkerEvent, WorkerEventKind, WorkerHandle};
#[cfg(unix)]
pub use process::adopt_forked;
pub use process::{become_subreaper, prewarm, ProcessLauncher};
pub use state::{Action, SchedulerConfig, State};
pub use units::{build_units, Unit};
