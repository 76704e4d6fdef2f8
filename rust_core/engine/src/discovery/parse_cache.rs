//! `.dbtest/parse-cache.json`: the parsed tree of each file, keyed by its
//! size and modification time, so that an unchanged file is not parsed again.
//!
//! Parsing is most of discovery's cost (tree-sitter), while the edit-run loop
//! changes a file or two between runs. A cache that cannot be read is empty,
//! one that cannot be written is skipped: it only ever saves time.

use crate::tree::{FileNode, ItemKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

const FILE: &str = "parse-cache.json";
/// Files modified this recently are not cached: a second write within the
/// timestamp's resolution, with the same size, would go unnoticed (git's
/// "racily clean" problem).
const HOT_SECONDS: f64 = 2.0;

/// What identifies a file's content without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub size: u64,
    pub mtime_ns: u128,
}

impl Stamp {
    pub fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        let mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
        Some(Stamp {
            size: meta.len(),
            mtime_ns: mtime.as_nanos(),
        })
    }

    fn is_hot(&self) -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        (now.saturating_sub(self.mtime_ns) as f64) < HOT_SECONDS * 1e9
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    stamp: Stamp,
    kind: ItemKind,
    full: bool,
    node: FileNode,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Document {
    /// The engine that wrote it: another version may parse differently.
    engine: String,
    files: BTreeMap<String, Entry>,
}

/// The cache of one project root.
#[derive(Debug)]
pub struct ParseCache {
    path: PathBuf,
    doc: Document,
    changed: bool,
}

impl ParseCache {
    pub fn load(root: &Path) -> ParseCache {
        let path = crate::cache::cache_dir(root).join(FILE);
        let doc = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Document>(&b).ok())
            .filter(|d| d.engine == env!("CARGO_PKG_VERSION"))
            .unwrap_or_else(|| Document {
                engine: env!("CARGO_PKG_VERSION").to_string(),
                files: BTreeMap::new(),
            });
        ParseCache {
            path,
            doc,
            changed: false,
        }
    }

    /// The cached tree of `rel` if the file is unchanged.
    pub fn get(&self, rel: &str, stamp: Stamp, kind: ItemKind, full: bool) -> Option<&FileNode> {
        let e = self.doc.files.get(rel)?;
        (e.stamp == stamp && e.kind == kind && e.full == full).then_some(&e.node)
    }

    pub fn put(&mut self, rel: &str, stamp: Stamp, kind: ItemKind, full: bool, node: &FileNode) {
        if stamp.is_hot() {
            // Parse it again next time rather than risk a stale tree.
            self.changed |= self.doc.files.remove(rel).is_some();
            return;
        }
        self.doc.files.insert(
            rel.to_string(),
            Entry {
                stamp,
                kind,
                full,
                node: node.clone(),
            },
        );
        self.changed = true;
    }

    /// Drop entries of files that no longer exist under `root`.
    pub fn prune(&mut self, root: &Path) {
        let before = self.doc.files.len();
        self.doc.files.retain(|rel, _| root.join(rel).is_file());
        self.changed |= self.doc.files.len() != before;
    }

    /// Write it back if anything changed (atomically; errors are ignored).
    pub fn save(&self) {
        if !self.changed {
            return;
        }
        let Some(root) = self.path.parent().and_then(Path::parent) else {
            return;
        };
        if crate::cache::prepare_dir(root).is_err() {
            return;
        }
        if let Ok(bytes) = serde_json::to_vec(&self.doc) {
            let _ = crate::report::write::write_atomic(&self.path, &bytes);
        }
    }
}
