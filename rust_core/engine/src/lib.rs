//! dbtest's engine, free of Python: discovery and the static parse of test
//! files, the filter language, the scheduler that supervises worker
//! processes, and the reporters. `dbtest-python` binds it as `dbtest._core`.

pub mod bench;
pub mod events;
pub mod record;
pub mod report;
pub mod tree;
