//! Sharding: `--partition slice:M/N | hash:M/N | auto` selects a deterministic
//! share of the selected tests, so a CI matrix of N jobs runs every test
//! exactly once.
//!
//! The unit of partitioning is the *unit*: all items of one suite
//! (`path` + `suite` for `dbtest.TestSuite`, `unittest.TestCase` and benchmark
//! groups, which share setup and a baseline), or a single module-level test.
//! Units are never split.
//!
//! - `slice:M/N`: units sorted by key, then greedy longest-processing-time
//!   onto N bins (heaviest unit first onto the least-loaded bin; ties by key
//!   and by lowest bin). A unit weighs the sum of its tests' recorded
//!   durations when a duration cache is given (tests without a record weigh
//!   the median of the known ones), else its number of tests; with equal
//!   weights this is round-robin over sorted ids.
//! - `hash:M/N`: bucket = FNV-1a-64(unit key) mod N, so a unit's share never
//!   changes when other tests are added or removed.
//! - `auto`: `CI_NODE_INDEX`/`CI_NODE_TOTAL` (GitLab `parallel:`, 1-based),
//!   else `DBTEST_SHARD_INDEX`/`DBTEST_SHARD_TOTAL` (e.g. a GitHub Actions
//!   matrix value passed as env), as `slice:M/N`; with neither set, everything
//!   (`slice:1/1`), so the same command works locally.

use crate::tree::{TestItem, TestStyle};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// How to choose the share; `index` is 1-based, `1 <= index <= total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionSpec {
    Slice { index: u32, total: u32 },
    Hash { index: u32, total: u32 },
}

impl fmt::Display for PartitionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartitionSpec::Slice { index, total } => write!(f, "slice:{index}/{total}"),
            PartitionSpec::Hash { index, total } => write!(f, "hash:{index}/{total}"),
        }
    }
}

/// A `--partition` spec that cannot be used; `spec` is as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartitionError {
    #[error("invalid partition {spec:?}: expected slice:M/N, hash:M/N or auto (e.g. slice:1/4)")]
    Malformed { spec: String },
    #[error("invalid partition {spec:?}: the number of shards must be at least 1")]
    NoShards { spec: String },
    #[error("invalid partition {spec:?}: shard index must be between 1 and {total} (indexes are 1-based)")]
    Index { spec: String, total: u32 },
    #[error("--partition auto: {name}={value:?} is not a whole number")]
    EnvNotANumber { name: String, value: String },
    #[error("--partition auto: {index} and {total} must be set together")]
    EnvHalf {
        index: &'static str,
        total: &'static str,
    },
}

fn parse_m_n(s: &str, what: &str) -> Result<(u32, u32), PartitionError> {
    let bad = || PartitionError::Malformed {
        spec: what.to_string(),
    };
    let (m, n) = s.split_once('/').ok_or_else(bad)?;
    let m: u32 = m.trim().parse().map_err(|_| bad())?;
    let n: u32 = n.trim().parse().map_err(|_| bad())?;
    check(m, n, what)?;
    Ok((m, n))
}

fn check(m: u32, n: u32, what: &str) -> Result<(), PartitionError> {
    if n < 1 {
        return Err(PartitionError::NoShards {
            spec: what.to_string(),
        });
    }
    if m < 1 || m > n {
        return Err(PartitionError::Index {
            spec: what.to_string(),
            total: n,
        });
    }
    Ok(())
}

impl PartitionSpec {
    /// Parse `slice:M/N`, `hash:M/N` or `auto` (reading the process environment).
    pub fn parse(s: &str) -> Result<PartitionSpec, PartitionError> {
        Self::parse_with_env(s, |k| std::env::var(k).ok())
    }

    /// [`PartitionSpec::parse`] with the environment supplied by the caller (for tests).
    pub fn parse_with_env(
        s: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<PartitionSpec, PartitionError> {
        let t = s.trim();
        if t == "auto" {
            return Self::from_env(env);
        }
        if let Some(rest) = t.strip_prefix("slice:") {
            let (index, total) = parse_m_n(rest, s)?;
            return Ok(PartitionSpec::Slice { index, total });
        }
        if let Some(rest) = t.strip_prefix("hash:") {
            let (index, total) = parse_m_n(rest, s)?;
            return Ok(PartitionSpec::Hash { index, total });
        }
        Err(PartitionError::Malformed {
            spec: s.to_string(),
        })
    }

    fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<PartitionSpec, PartitionError> {
        for (i, t) in [
            ("CI_NODE_INDEX", "CI_NODE_TOTAL"),
            ("DBTEST_SHARD_INDEX", "DBTEST_SHARD_TOTAL"),
        ] {
            let (iv, tv) = (
                env(i).filter(|v| !v.trim().is_empty()),
                env(t).filter(|v| !v.trim().is_empty()),
            );
            match (iv, tv) {
                (None, None) => continue,
                (Some(iv), Some(tv)) => {
                    let num = |name: &str, v: &str| -> Result<u32, PartitionError> {
                        v.trim().parse().map_err(|_| PartitionError::EnvNotANumber {
                            name: name.to_string(),
                            value: v.to_string(),
                        })
                    };
                    let (index, total) = (num(i, &iv)?, num(t, &tv)?);
                    check(index, total, &format!("auto ({i}={index}, {t}={total})"))?;
                    return Ok(PartitionSpec::Slice { index, total });
                }
                _ => return Err(PartitionError::EnvHalf { index: i, total: t }),
            }
        }
        Ok(PartitionSpec::Slice { index: 1, total: 1 })
    }

    fn index_total(self) -> (u32, u32) {
        match self {
            PartitionSpec::Slice { index, total } | PartitionSpec::Hash { index, total } => {
                (index, total)
            }
        }
    }
}

/// 64-bit FNV-1a: tiny, stable across runs, platforms and Rust versions
/// (unlike `std`'s randomly seeded hasher), which is what "a test keeps its
/// bucket" needs.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The key of the unit an item belongs to: `path::Suite` for items that must
/// stay together (`path` for a module kept together), the item's own id
/// otherwise.
pub fn unit_key(item: &TestItem) -> String {
    if item.together {
        return item.path.clone(); // `keep-together`: the whole module
    }
    match (&item.suite, item.style) {
        (
            Some(suite),
            TestStyle::Suite | TestStyle::Unittest | TestStyle::Class | TestStyle::Bench,
        ) => crate::ids::child(&item.path, suite),
        _ => item.id.clone(),
    }
}

/// The items of shard `spec` (in their original order).
pub fn partition(
    items: &[TestItem],
    spec: PartitionSpec,
    durations: Option<&HashMap<String, f64>>,
) -> Vec<TestItem> {
    let (index, total) = spec.index_total();
    let shard = (index - 1) as usize;
    let total = total as usize;
    // BTreeMap: units in sorted key order, the determinism every rule relies on.
    let mut units: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, it) in items.iter().enumerate() {
        units.entry(unit_key(it)).or_default().push(i);
    }
    let mut chosen = vec![false; items.len()];
    match spec {
        PartitionSpec::Hash { .. } => {
            for (key, members) in &units {
                if (fnv1a64(key.as_bytes()) % total as u64) as usize == shard {
                    for &i in members {
                        chosen[i] = true;
                    }
                }
            }
        }
        PartitionSpec::Slice { .. } => {
            let weight_of = weights(items, durations);
            let mut weighted: Vec<(f64, &String, &Vec<usize>)> = units
                .iter()
                .map(|(k, m)| (m.iter().map(|&i| weight_of(i)).sum::<f64>(), k, m))
                .collect();
            // Heaviest first; equal weights keep sorted-key order (stable sort).
            weighted.sort_by(|a, b| b.0.total_cmp(&a.0));
            let mut load = vec![0.0f64; total];
            for (w, _, members) in weighted {
                let mut best = 0;
                for (b, l) in load.iter().enumerate() {
                    if *l < load[best] {
                        best = b;
                    }
                }
                load[best] += w;
                if best == shard {
                    for &i in members {
                        chosen[i] = true;
                    }
                }
            }
        }
    }
    items
        .iter()
        .zip(chosen)
        .filter(|(_, c)| *c)
        .map(|(it, _)| it.clone())
        .collect()
}

/// Weight of item `i`: its recorded duration, the median of the recorded ones
/// when it has none, 1.0 for everything without a duration cache. Durations
/// are floored at a tiny positive value so no unit is free.
fn weights<'a>(
    items: &'a [TestItem],
    durations: Option<&'a HashMap<String, f64>>,
) -> impl Fn(usize) -> f64 + 'a {
    let known = move |id: &str| -> Option<f64> {
        durations
            .and_then(|d| d.get(id))
            .copied()
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    let mut recorded: Vec<f64> = items.iter().filter_map(|it| known(&it.id)).collect();
    recorded.sort_by(f64::total_cmp);
    let fallback = if durations.is_none() || recorded.is_empty() {
        1.0
    } else {
        recorded[recorded.len() / 2]
    };
    move |i| known(&items[i].id).unwrap_or(fallback).max(1e-6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn parses_specs() {
        assert_eq!(
            PartitionSpec::parse_with_env("slice:2/4", env(&[])),
            Ok(PartitionSpec::Slice { index: 2, total: 4 })
        );
        assert_eq!(
            PartitionSpec::parse_with_env(" hash:1/1 ", env(&[])),
            Ok(PartitionSpec::Hash { index: 1, total: 1 })
        );
        assert_eq!(
            PartitionSpec::Hash { index: 3, total: 5 }.to_string(),
            "hash:3/5"
        );
    }

    #[test]
    fn rejects_bad_specs_in_one_line() {
        for s in [
            "slice:0/4",
            "slice:5/4",
            "hash:1/0",
            "slice:1",
            "slice:a/b",
            "round:1/2",
            "",
            "slice:-1/2",
        ] {
            let e = PartitionSpec::parse_with_env(s, env(&[]))
                .unwrap_err()
                .to_string();
            assert!(
                !e.contains('\n') && e.starts_with("invalid partition"),
                "{s}: {e}"
            );
        }
        assert!(PartitionSpec::parse_with_env("slice:5/4", env(&[]))
            .unwrap_err()
            .to_string()
            .contains("between 1 and 4"));
    }

    #[test]
    fn auto_reads_gitlab_then_dbtest_vars() {
        let p = |pairs: &[(&str, &str)]| PartitionSpec::parse_with_env("auto", env(pairs));
        assert_eq!(
            p(&[("CI_NODE_INDEX", "3"), ("CI_NODE_TOTAL", "4")]),
            Ok(PartitionSpec::Slice { index: 3, total: 4 })
        );
        assert_eq!(
            p(&[("DBTEST_SHARD_INDEX", "1"), ("DBTEST_SHARD_TOTAL", "2")]),
            Ok(PartitionSpec::Slice { index: 1, total: 2 })
        );
        assert_eq!(
            p(&[
                ("CI_NODE_INDEX", "2"),
                ("CI_NODE_TOTAL", "2"),
                ("DBTEST_SHARD_INDEX", "1"),
                ("DBTEST_SHARD_TOTAL", "9")
            ]),
            Ok(PartitionSpec::Slice { index: 2, total: 2 })
        );
        assert_eq!(p(&[]), Ok(PartitionSpec::Slice { index: 1, total: 1 }));
        assert!(p(&[("CI_NODE_INDEX", "1")])
            .unwrap_err()
            .to_string()
            .contains("must be set together"));
        assert!(p(&[("CI_NODE_INDEX", "x"), ("CI_NODE_TOTAL", "2")])
            .unwrap_err()
            .to_string()
            .contains("not a whole number"));
        assert!(p(&[("CI_NODE_INDEX", "0"), ("CI_NODE_TOTAL", "2")])
            .unwrap_err()
            .to_string()
            .contains("1-based"));
    }

    #[test]
    fn fnv_matches_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }
}
