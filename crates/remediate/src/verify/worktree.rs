//! A git revision checked out beside the repository, for a baseline scan, without
//! touching the user's working tree, index or branches.
//!
//! `git worktree add --detach DIR COMMIT` makes a second checkout of the repository
//! in a new directory, with its own index and `HEAD` (detached: no branch is
//! created or moved); `git worktree remove --force DIR` deletes it and its
//! administrative entry. [`Worktree`] is a guard: dropping it (on success, on an
//! error, or while unwinding from a panic) removes the checkout, so `git worktree
//! list` is as before.
//!
//! Choices:
//!
//! - The revision is resolved first (`rev-parse --verify --end-of-options
//!   REV^{commit}`): a name starting with `-` is never taken as an option, a
//!   revision that names no commit is refused before anything is created, and the
//!   commit is what the verification records.
//! - The checkout is placed at `TMP/cverun-baseline-.../<repository directory
//!   name>`: scanning the same relative path there gives services the same names
//!   as in the user's checkout (names derive from directory names).
//! - Hooks are switched off for the checkout (`core.hooksPath` pointing to an
//!   empty directory): a `post-checkout` hook must not run on a verification.
//! - git is run through [`crate::git`] (the user's `git` command, no library), so
//!   the user's git configuration, credentials-free local operations and
//!   file-system layout apply as they do for every other git command they run.

use std::path::{Path, PathBuf};

use crate::git;

/// Why a git step failed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// git could not be run, or refused (the command and what git said).
    #[error(transparent)]
    Git(#[from] git::GitError),
    /// `path` is not inside a git working tree.
    #[error("{}: not in a git repository (--baseline-ref needs one)", path.display())]
    NotARepository {
        /// The path given.
        path: PathBuf,
    },
    /// The temporary directory could not be made.
    #[error("cannot create a temporary directory in {}: {source}", dir.display())]
    Temporary {
        /// Where.
        dir: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The top of the git working tree holding `path` (a directory, or a file's
/// directory), canonical.
pub fn repository_of(path: &Path) -> Result<PathBuf, GitError> {
    let not_one = || GitError::NotARepository {
        path: path.to_owned(),
    };
    match git::toplevel(path) {
        Ok(top) if !top.as_os_str().is_empty() => Ok(std::fs::canonicalize(&top).unwrap_or(top)),
        Ok(_) => Err(not_one()),
        Err(e) if e.ran() => Err(not_one()),
        Err(e) => Err(e.into()),
    }
}

/// The commit `rev` names in the repository at `repo` (full hex id).
pub fn resolve(repo: &Path, rev: &str) -> Result<String, GitError> {
    git::commit_of(repo, rev).map_err(|mut e| {
        if e.ran() {
            e.message = format!("{rev:?} names no commit");
        }
        e.into()
    })
}

/// A temporary detached checkout of one commit, hooks off; removed when dropped.
#[derive(Debug)]
pub struct Worktree {
    repo: PathBuf,
    holder: PathBuf,
    checkout: PathBuf,
    tree: Option<git::Worktree>,
}

impl Worktree {
    /// Checks `commit` of the repository at `repo` out in a new temporary
    /// directory, as a directory named like `repo`'s.
    pub fn add(repo: &Path, commit: &str) -> Result<Worktree, GitError> {
        let holder = temporary_dir()?;
        let name = repo
            .file_name()
            .map(|n| n.to_owned())
            .unwrap_or_else(|| "repository".into());
        let mut tree = Worktree {
            repo: repo.to_owned(),
            checkout: holder.join(name),
            holder,
            tree: None,
        };
        let hooks = tree.holder.join("no-hooks");
        std::fs::create_dir(&hooks).map_err(|source| GitError::Temporary {
            dir: tree.holder.clone(),
            source,
        })?;
        tree.tree = Some(git::Worktree::detached(
            repo,
            &tree.checkout,
            commit,
            Some(&hooks),
        )?);
        Ok(tree)
    }

    /// The checkout's top directory.
    pub fn path(&self) -> &Path {
        &self.checkout
    }

    /// Where `original` (inside the repository this checkout is of) is in the
    /// checkout; `None` when it is not inside the repository.
    pub fn map(&self, original: &Path) -> Option<PathBuf> {
        let canonical = std::fs::canonicalize(original).ok()?;
        let rel = canonical.strip_prefix(&self.repo).ok()?;
        Some(self.checkout.join(rel))
    }

    /// Removes the checkout and its administrative entry now, reporting failure
    /// (dropping does the same, silently).
    pub fn remove(mut self) -> Result<(), GitError> {
        self.cleanup()
    }

    fn cleanup(&mut self) -> Result<(), GitError> {
        let result = match self.tree.take() {
            Some(tree) => tree.remove().map_err(GitError::from),
            None => Ok(()),
        };
        let _ = std::fs::remove_dir_all(&self.holder);
        result
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let _ = self.cleanup();
    }
}

/// A new empty directory under the system's temporary directory.
fn temporary_dir() -> Result<PathBuf, GitError> {
    let base = std::env::temp_dir();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut last = None;
    for attempt in 0..100u32 {
        let dir = base.join(format!(
            "cverun-baseline-{}-{stamp:x}-{attempt}",
            std::process::id()
        ));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(source) => return Err(GitError::Temporary { dir: base, source }),
        }
    }
    Err(GitError::Temporary {
        dir: base,
        source: last.unwrap_or_else(|| std::io::Error::other("no free name")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `git -C dir args`, which must succeed; its output.
    fn sh(dir: &Path, args: &[&str]) -> String {
        git::run(dir, args).unwrap()
    }

    fn repo() -> tempfile::TempDir {
        git::test_repo(&[("svc/requirements.txt", "requests==2.27.1\n")])
    }

    /// A checkout of HEAD shows the committed file while the working tree holds an
    /// edit; afterwards `git worktree list` and `git status` are as before, and a
    /// post-checkout hook did not run.
    #[test]
    fn checkout_and_cleanup_leave_the_repository_alone() {
        let d = repo();
        let r = d.path();
        std::fs::write(r.join("svc/requirements.txt"), "requests==2.31.0\n").unwrap();
        let marker = r.join("hook-ran");
        std::fs::write(
            r.join(".git/hooks/post-checkout"),
            format!("#!/bin/sh\ntouch '{}'\n", marker.display()),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                r.join(".git/hooks/post-checkout"),
                std::fs::Permissions::from_mode(0o755),
            )
            .unwrap();
        }
        let status = sh(r, &["status", "--porcelain"]);
        let list = sh(r, &["worktree", "list", "--porcelain"]);
        let top = repository_of(&r.join("svc")).unwrap();
        assert_eq!(top, std::fs::canonicalize(r).unwrap());
        let commit = resolve(&top, "HEAD").unwrap();
        assert_eq!(commit.len(), 40);
        let tree = Worktree::add(&top, &commit).unwrap();
        assert_eq!(tree.path().file_name(), top.file_name());
        let svc = tree.map(&r.join("svc")).unwrap();
        assert_eq!(
            std::fs::read_to_string(svc.join("requirements.txt")).unwrap(),
            "requests==2.27.1\n"
        );
        let checkout = tree.path().to_owned();
        drop(tree);
        assert!(!checkout.exists());
        assert_eq!(sh(r, &["worktree", "list", "--porcelain"]), list);
        assert_eq!(sh(r, &["status", "--porcelain"]), status);
        assert!(!r.join("hook-ran").exists());
        assert!(!checkout.parent().unwrap().exists());
    }

    #[test]
    fn refusals() {
        let d = tempfile::tempdir().unwrap();
        assert!(matches!(
            repository_of(d.path()),
            Err(GitError::NotARepository { .. })
        ));
        let r = repo();
        let e = resolve(r.path(), "no-such-ref").unwrap_err();
        assert!(e.to_string().contains("names no commit"), "{e}");
        let e = resolve(r.path(), "--output=x").unwrap_err();
        assert!(e.to_string().contains("names no commit"), "{e}");
        assert!(!r.path().join("x").exists());
    }
}
