//! dbtest's engine, free of Python: discovery and the static parse of test
//! files, the filter language, the scheduler that supervises worker
//! processes, and the reporters. `dbtest-python` binds it as `dbtest._core`.

pub mod bench;
pub mod cache;
pub mod config;
pub mod discovery;
pub mod error;
pub mod events;
pub mod exit_code;
pub mod filter;
pub mod graph;
pub mod ids;
pub mod order;
pub mod parse;
pub mod partition;
pub mod record;
pub mod report;
pub mod scheduler;
pub mod session;
pub mod tree;
pub mod utc;
pub mod watch;
