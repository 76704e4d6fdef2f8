//! Valgrind client requests for callgrind, issued around a benchmark's
//! measured loop (`dbtest/benchmark/instrument.py`).
//!
//! A client request is a magic no-op instruction sequence: natively it
//! leaves every register as it was and yields the default value (0), at
//! the cost of five register instructions; under valgrind, the JIT sees it
//! and performs the request. The codes and the x86_64 sequence are those
//! of valgrind.h and callgrind.h (valgrind 3.x; the ABI is stable). Other
//! architectures get no-ops: there is no valgrind run to talk to.

use pyo3::prelude::*;

/// `VG_USERREQ_TOOL_BASE('C', 'T')`: callgrind's requests follow in order.
const CALLGRIND_BASE: u64 = ((b'C' as u64) << 24) | ((b'T' as u64) << 16);
const RUNNING_ON_VALGRIND: u64 = 0x1001;
const ZERO_STATS: u64 = CALLGRIND_BASE + 1;
const TOGGLE_COLLECT: u64 = CALLGRIND_BASE + 2;
const DUMP_STATS_AT: u64 = CALLGRIND_BASE + 3;
const START_INSTRUMENTATION: u64 = CALLGRIND_BASE + 4;
const STOP_INSTRUMENTATION: u64 = CALLGRIND_BASE + 5;

/// One client request: `request` with up to five arguments; natively `default`.
#[cfg(target_arch = "x86_64")]
fn client_request(default: u64, request: u64, args: [u64; 5]) -> u64 {
    let block: [u64; 6] = [request, args[0], args[1], args[2], args[3], args[4]];
    let mut result = default;
    // SAFETY: the rotations of rdi add up to 128 bits (rdi is unchanged)
    // and `xchg rbx, rbx` exchanges rbx with itself: natively the sequence
    // changes nothing but the flags (not declared preserved). Under
    // valgrind it reads the block through rax (memory is not declared
    // untouched) and writes the result to rdx.
    unsafe {
        std::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            in("rax") block.as_ptr(),
            inout("rdx") result,
            out("rdi") _,
        );
    }
    result
}

#[cfg(not(target_arch = "x86_64"))]
fn client_request(default: u64, _request: u64, _args: [u64; 5]) -> u64 {
    default
}

/// Valgrind layers this process runs under: 0 natively.
#[pyfunction]
fn callgrind_running() -> u64 {
    client_request(0, RUNNING_ON_VALGRIND, [0; 5])
}

/// Start callgrind's instrumentation (started with `--instr-atstart=no`).
#[pyfunction]
fn callgrind_start_instrumentation() {
    client_request(0, START_INSTRUMENTATION, [0; 5]);
}

/// Stop callgrind's instrumentation.
#[pyfunction]
fn callgrind_stop_instrumentation() {
    client_request(0, STOP_INSTRUMENTATION, [0; 5]);
}

/// Reset every counter to zero.
#[pyfunction]
fn callgrind_zero_stats() {
    client_request(0, ZERO_STATS, [0; 5]);
}

/// Switch event collection on if off, off if on.
#[pyfunction]
fn callgrind_toggle_collect() {
    client_request(0, TOGGLE_COLLECT, [0; 5]);
}

/// Write the counters to a new dump file now, described as `label`.
#[pyfunction]
fn callgrind_dump_stats_at(label: &str) {
    // Callgrind reads a C string.
    let mut text: Vec<u8> = label.bytes().filter(|&b| b != 0).collect();
    text.push(0);
    client_request(0, DUMP_STATS_AT, [text.as_ptr() as u64, 0, 0, 0, 0]);
}

/// The totals of a callgrind output file, by event name (`Ir`, ...).
#[pyfunction]
fn callgrind_totals(path: &str) -> PyResult<Vec<(String, u64)>> {
    dbtest_engine::bench::callgrind::read_totals(std::path::Path::new(path))
        .map(|t| t.events)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(callgrind_running, m)?)?;
    m.add_function(wrap_pyfunction!(callgrind_start_instrumentation, m)?)?;
    m.add_function(wrap_pyfunction!(callgrind_stop_instrumentation, m)?)?;
    m.add_function(wrap_pyfunction!(callgrind_zero_stats, m)?)?;
    m.add_function(wrap_pyfunction!(callgrind_toggle_collect, m)?)?;
    m.add_function(wrap_pyfunction!(callgrind_dump_stats_at, m)?)?;
    m.add_function(wrap_pyfunction!(callgrind_totals, m)?)?;
    Ok(())
}
