//! Random order (`--shuffle`, `--seed`): the run's one seed, where it comes
//! from, and the permutation of the plan it decides.
//!
//! The engine shuffles the selection before it is grouped (so the chunks of
//! a file's functions differ from seed to seed) and then the units; each
//! worker shuffles the tests inside a unit from the same seed
//! (`dbtest/execution/order.py`), where it knows which suites opted out.
//! A plan depends only on the seed, the selection and the worker count:
//! recorded durations, which change from run to run, do not steer it.

use crate::cache;
use crate::scheduler::Unit;
use std::path::Path;

const LAST_SEED: &str = "lastseed.json";

/// `--seed` that is neither a number nor `last`, or `last` with nothing to reuse.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("--seed: expected a number or 'last', got '{0}'")]
    Invalid(String),
    #[error("--seed last: no earlier shuffled run recorded in .dbtest/")]
    NoLast,
}

/// The run's seed: `None` keeps the file order. `--seed` alone implies
/// `--shuffle`; without `--seed` a fresh one is drawn. The seed is recorded
/// in `.dbtest/` for `--seed last` before the run starts, so a run that
/// hangs or is interrupted can be repeated too.
pub fn resolve(shuffle: bool, seed: Option<&str>, root: &Path) -> Result<Option<u64>, SeedError> {
    let seed = match seed.map(str::trim) {
        None if !shuffle => return Ok(None),
        None => fresh_seed(),
        Some("last") => last_seed(root).ok_or(SeedError::NoLast)?,
        Some(text) => text
            .parse::<u64>()
            .map_err(|_| SeedError::Invalid(text.to_string()))?,
    };
    // Not being able to record it costs `--seed last`, not the run.
    let _ = save_seed(root, seed);
    Ok(Some(seed))
}

/// The seed the last shuffled run in `root` used.
pub fn last_seed(root: &Path) -> Option<u64> {
    let bytes = std::fs::read(cache::cache_dir(root).join(LAST_SEED)).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("seed")?.as_u64()
}

fn save_seed(root: &Path, seed: u64) -> std::io::Result<()> {
    let dir = cache::prepare_dir(root)?;
    let bytes = serde_json::to_vec(&serde_json::json!({ "seed": seed }))?;
    crate::report::write::write_atomic(&dir.join(LAST_SEED), &bytes)
        .map_err(|e| std::io::Error::other(e.0))
}

/// A seed short enough to read out and type: eight decimal digits at most,
/// from the clock and the process id.
fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    Rng::new(nanos ^ (u64::from(std::process::id()) << 32)).next_u64() % 100_000_000
}

/// splitmix64: small, fast, and the same sequence on every platform, which
/// is all a reproducible order needs (no cryptography here).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Fisher–Yates.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// The selection in the seed's order, before it is grouped into units.
pub fn shuffle_items<T>(items: &mut [T], seed: u64) {
    Rng::new(seed).shuffle(items);
}

/// The units in the seed's order (a stream apart from the items').
pub fn shuffle_units(units: &mut [Unit], seed: u64) {
    Rng::new(seed ^ 0x5555_5555_5555_5555).shuffle(units);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(seed: u64) -> Vec<u32> {
        let mut v: Vec<u32> = (0..20).collect();
        shuffle_items(&mut v, seed);
        v
    }

    #[test]
    fn one_seed_one_order_and_seeds_differ() {
        assert_eq!(order(7), order(7));
        assert_ne!(order(7), order(8));
        let mut sorted = order(7);
        sorted.sort();
        assert_eq!(sorted, (0..20).collect::<Vec<_>>());
    }

    #[test]
    fn the_sequence_is_fixed_across_platforms_and_versions() {
        // splitmix64's published first output for seed 0.
        assert_eq!(Rng::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn seeds_resolve_and_last_repeats_the_recorded_one() {
        let dir = std::env::temp_dir().join(format!("dbtest-seed-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(resolve(false, None, &dir).unwrap(), None);
        assert!(matches!(
            resolve(true, Some("last"), &dir),
            Err(SeedError::NoLast)
        ));
        assert_eq!(resolve(false, Some("42"), &dir).unwrap(), Some(42));
        assert_eq!(resolve(true, Some("last"), &dir).unwrap(), Some(42));
        let fresh = resolve(true, None, &dir).unwrap().unwrap();
        assert!(fresh < 100_000_000);
        assert_eq!(last_seed(&dir), Some(fresh));
        assert!(matches!(
            resolve(true, Some("x1"), &dir),
            Err(SeedError::Invalid(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
