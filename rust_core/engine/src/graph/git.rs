//! The files changed since a git ref, from `git` itself (a subprocess):
//! `git diff --name-only REF` (the working tree and the index against REF)
//! and the untracked files `git ls-files --others --exclude-standard`
//! lists (a new file is a change since any ref). Paths are relative to the
//! project root; changes outside it are not the project's.

use std::path::Path;
use std::process::{Command, Output};

/// Why the changed files cannot be known: bad input, exit code 4.
#[derive(Debug, thiserror::Error)]
pub enum ChangedError {
    #[error("--changed needs git on PATH: {0}")]
    NoGit(#[source] std::io::Error),
    #[error("--changed needs a git repository, and {0} is not in one")]
    NotARepo(String),
    #[error("--changed: unknown git ref '{0}'")]
    BadRef(String),
    #[error("--changed: git {0} failed: {1}")]
    Git(String, String),
}

fn git(root: &Path, args: &[&str]) -> Result<Output, ChangedError> {
    Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        // Reading only: never take the index lock an editor's git may want.
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output()
        .map_err(ChangedError::NoGit)
}

/// `-z` output: NUL-separated, so unusual names come unquoted.
fn paths(out: &Output) -> impl Iterator<Item = String> + '_ {
    out.stdout
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
}

fn run(root: &Path, args: &[&str]) -> Result<Output, ChangedError> {
    let out = git(root, args)?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err.lines().next().unwrap_or("").trim().to_string();
        return Err(ChangedError::Git(args[0].to_string(), line));
    }
    Ok(out)
}

/// The files under `root` changed since `reference` (`HEAD`: what is not
/// committed), untracked ones included, sorted.
pub fn changed_since(root: &Path, reference: &str) -> Result<Vec<String>, ChangedError> {
    let inside = git(root, &["rev-parse", "--is-inside-work-tree"])?;
    if !inside.status.success() {
        return Err(ChangedError::NotARepo(root.display().to_string()));
    }
    let spec = format!("{reference}^{{commit}}");
    let known = git(root, &["rev-parse", "--verify", "--quiet", &spec])?;
    if reference.starts_with('-') || !known.status.success() {
        return Err(ChangedError::BadRef(reference.to_string()));
    }
    // `--relative`: paths relative to the root, and only those under it.
    let diff = run(
        root,
        &["diff", "--name-only", "-z", "--relative", reference, "--"],
    )?;
    let untracked = run(root, &["ls-files", "-z", "--others", "--exclude-standard"])?;
    let mut all: Vec<String> = paths(&diff).chain(paths(&untracked)).collect();
    all.sort();
    all.dedup();
    Ok(all)
}
