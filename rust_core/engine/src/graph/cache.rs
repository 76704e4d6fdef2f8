//! `.dbtest/imports.json`: each file's imports as last parsed, keyed by the
//! file's mtime and size, so a warm build parses only the files that
//! changed. Resolution is not cached: it depends on which files exist, and
//! costs a few hash lookups per import. A missing or damaged cache is empty.

use crate::parse::imports::Import;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

const FILE: &str = "imports.json";
/// Bumped when what is stored (or how imports are read) changes.
const VERSION: u32 = 1;

/// One file as last parsed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Modification time, nanoseconds since the epoch.
    pub mtime: u64,
    pub size: u64,
    pub imports: Vec<Import>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ImportCache {
    version: u32,
    /// By root-relative path.
    pub files: HashMap<String, Entry>,
}

/// The cache of the project at `root` (empty when absent, damaged or old).
pub fn load(root: &Path) -> ImportCache {
    std::fs::read(crate::cache::cache_dir(root).join(FILE))
        .ok()
        .and_then(|b| serde_json::from_slice::<ImportCache>(&b).ok())
        .filter(|c| c.version == VERSION)
        .unwrap_or_default()
}

/// Write `files` as the cache of `root`. Failing to is not an error worth
/// a run: the next build parses again.
pub fn save(root: &Path, files: HashMap<String, Entry>) {
    let cache = ImportCache {
        version: VERSION,
        files,
    };
    let Ok(dir) = crate::cache::prepare_dir(root) else {
        return;
    };
    if let Ok(bytes) = serde_json::to_vec(&cache) {
        let _ = crate::report::write::write_atomic(&dir.join(FILE), &bytes);
    }
}
