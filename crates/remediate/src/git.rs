//! The hotfix branch, worktrees and commits, through the `git` command.
//!
//! Every operation runs the user's `git` (never a library), so the team's
//! configuration applies: credentials for `push`, hooks, commit signing, the
//! author identity. The user's working tree and index are never touched: the
//! change is made in a separate worktree of the hotfix branch, which is removed
//! afterwards (the branch stays). Output is captured with a bound, and every
//! failure names the command and what git said.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// How much of git's output an error keeps.
const OUTPUT_LIMIT: usize = 4096;

/// A git command that failed.
#[derive(Debug, thiserror::Error)]
#[error("`{command}` failed{status}: {message}")]
pub struct GitError {
    /// The command, as a person would type it.
    pub command: String,
    /// ` (exit status N)` or empty.
    status: String,
    /// What git said (bounded), or why it could not run.
    pub message: String,
}

fn line(dir: &Path, args: &[&str]) -> String {
    format!("git -C {} {}", dir.display(), args.join(" "))
}

/// Runs `git -C dir args`, returning its standard output (trimmed at the end).
pub fn run(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .map_err(|e| GitError {
            command: line(dir, args),
            status: String::new(),
            message: if e.kind() == std::io::ErrorKind::NotFound {
                "git is not installed (not found on PATH)".to_owned()
            } else {
                e.to_string()
            },
        })?;
    if !out.status.success() {
        let mut message = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        if message.is_empty() {
            message = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        }
        if message.len() > OUTPUT_LIMIT {
            let mut cut = OUTPUT_LIMIT;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push_str(" [...]");
        }
        return Err(GitError {
            command: line(dir, args),
            status: match out.status.code() {
                Some(c) => format!(" (exit status {c})"),
                None => " (killed by a signal)".to_owned(),
            },
            message,
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
}

/// The top directory of the repository holding `path`.
pub fn toplevel(path: &Path) -> Result<PathBuf, GitError> {
    let dir = if path.is_dir() {
        path
    } else {
        path.parent().unwrap_or(Path::new("."))
    };
    run(dir, &["rev-parse", "--show-toplevel"]).map(PathBuf::from)
}

/// The changes `git status --porcelain` lists (tracked and untracked files);
/// empty when the tree is clean.
pub fn dirty(repo: &Path) -> Result<Vec<String>, GitError> {
    Ok(
        run(repo, &["status", "--porcelain", "--untracked-files=normal"])?
            .lines()
            .map(str::to_owned)
            .collect(),
    )
}

/// The commit `rev` names.
pub fn commit_of(repo: &Path, rev: &str) -> Result<String, GitError> {
    run(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
}

/// Whether a local branch exists.
pub fn branch_exists(repo: &Path, branch: &str) -> bool {
    commit_of(repo, &format!("refs/heads/{branch}")).is_ok()
}

/// The hotfix branch name for an advisory: `hotfix/<cve id in lower case>` when
/// the vulnerability has a CVE id, else `hotfix/<advisory id>`; characters git
/// refuses in a branch name become `-`.
pub fn hotfix_branch(advisory: &str, aliases: &[String]) -> String {
    let cve = std::iter::once(advisory)
        .chain(aliases.iter().map(String::as_str))
        .find(|a| a.len() > 4 && a[..4].eq_ignore_ascii_case("CVE-"));
    let id = match cve {
        Some(c) => c.to_ascii_lowercase(),
        None => advisory.to_owned(),
    };
    let clean: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let clean = clean
        .trim_matches(|c| c == '.' || c == '-')
        .replace("..", "-");
    format!("hotfix/{clean}")
}

/// A worktree of a branch, removed (with `git worktree remove --force`) when
/// dropped; the branch and its commits stay.
#[derive(Debug)]
pub struct Worktree {
    repo: PathBuf,
    path: PathBuf,
    /// The branch checked out in it.
    pub branch: String,
    /// Whether the branch was created for it (from the base).
    pub created: bool,
    /// The commit the branch started from (its head when the worktree was made).
    pub start: String,
    removed: bool,
}

impl Worktree {
    /// Checks out `branch` in a new worktree at `path` (which must not exist):
    /// the existing branch when there is one, else a new branch from `base`.
    pub fn open(repo: &Path, path: &Path, branch: &str, base: &str) -> Result<Worktree, GitError> {
        let p = path.to_string_lossy();
        let created = !branch_exists(repo, branch);
        if created {
            let base_commit = commit_of(repo, base).map_err(|e| GitError {
                message: format!("the base {base:?} is not a commit of this repository"),
                ..e
            })?;
            run(
                repo,
                &["worktree", "add", "--quiet", "-b", branch, &p, &base_commit],
            )?;
        } else {
            run(repo, &["worktree", "add", "--quiet", &p, branch])?;
        }
        let start = commit_of(path, "HEAD")?;
        Ok(Worktree {
            repo: repo.to_owned(),
            path: path.to_owned(),
            branch: branch.to_owned(),
            created,
            start,
            removed: false,
        })
    }

    /// A detached worktree of `rev` (for tests and baselines).
    pub fn detached(repo: &Path, path: &Path, rev: &str) -> Result<Worktree, GitError> {
        let p = path.to_string_lossy();
        run(repo, &["worktree", "add", "--quiet", "--detach", &p, rev])?;
        let start = commit_of(path, "HEAD")?;
        Ok(Worktree {
            repo: repo.to_owned(),
            path: path.to_owned(),
            branch: String::new(),
            created: false,
            start,
            removed: false,
        })
    }

    /// Its directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stages everything under `paths` (relative to the worktree; all when
    /// empty) and commits it with `message` (the user's hooks and signing
    /// apply). `None` when there was nothing to commit.
    pub fn commit(&self, paths: &[PathBuf], message: &str) -> Result<Option<String>, GitError> {
        let mut add: Vec<String> = vec!["add".into(), "--all".into(), "--".into()];
        if paths.is_empty() {
            add.push(".".into());
        } else {
            add.extend(paths.iter().map(|p| p.to_string_lossy().into_owned()));
        }
        let add: Vec<&str> = add.iter().map(String::as_str).collect();
        run(&self.path, &add)?;
        if run(&self.path, &["diff", "--cached", "--quiet"]).is_ok() {
            return Ok(None);
        }
        run(&self.path, &["commit", "--quiet", "-m", message])?;
        commit_of(&self.path, "HEAD").map(Some)
    }

    /// Discards uncommitted changes under `paths` (all when empty), back to the
    /// branch head.
    pub fn discard(&self, paths: &[PathBuf]) -> Result<(), GitError> {
        let mut args: Vec<String> = vec!["checkout".into(), "HEAD".into(), "--".into()];
        if paths.is_empty() {
            args.push(".".into());
        } else {
            args.extend(paths.iter().map(|p| p.to_string_lossy().into_owned()));
        }
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&self.path, &a)?;
        let mut clean: Vec<String> = vec!["clean".into(), "-fdq".into(), "--".into()];
        if paths.is_empty() {
            clean.push(".".into());
        } else {
            clean.extend(paths.iter().map(|p| p.to_string_lossy().into_owned()));
        }
        let c: Vec<&str> = clean.iter().map(String::as_str).collect();
        run(&self.path, &c).map(|_| ())
    }

    /// Removes the worktree now (also done on drop), reporting a failure.
    pub fn remove(mut self) -> Result<(), GitError> {
        self.removed = true;
        let p = self.path.to_string_lossy().into_owned();
        run(&self.repo, &["worktree", "remove", "--force", &p]).map(|_| ())
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        if !self.removed {
            let p = self.path.to_string_lossy().into_owned();
            if run(&self.repo, &["worktree", "remove", "--force", &p]).is_err() {
                let _ = std::fs::remove_dir_all(&self.path);
                let _ = run(&self.repo, &["worktree", "prune"]);
            }
        }
    }
}

/// Pushes `branch` to `remote` (the user's credentials apply; no prompt).
pub fn push(repo: &Path, remote: &str, branch: &str) -> Result<(), GitError> {
    run(
        repo,
        &["push", "--quiet", remote, &format!("{branch}:{branch}")],
    )
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        run(p, &["init", "--quiet", "-b", "main"]).unwrap();
        run(p, &["config", "user.email", "ci@example.invalid"]).unwrap();
        run(p, &["config", "user.name", "CI"]).unwrap();
        run(p, &["config", "commit.gpgsign", "false"]).unwrap();
        std::fs::write(p.join("requirements.txt"), "requests==2.27.1\n").unwrap();
        run(p, &["add", "."]).unwrap();
        run(p, &["commit", "--quiet", "-m", "init"]).unwrap();
        d
    }

    #[test]
    fn branch_names() {
        assert_eq!(
            hotfix_branch(
                "PYSEC-2023-74",
                &["CVE-2023-32681".into(), "GHSA-j8r2-6x86-q33q".into()]
            ),
            "hotfix/cve-2023-32681"
        );
        assert_eq!(
            hotfix_branch("GHSA-j8r2-6x86-q33q", &[]),
            "hotfix/GHSA-j8r2-6x86-q33q"
        );
        assert_eq!(hotfix_branch("weird id:..x", &[]), "hotfix/weird-id--x");
    }

    #[test]
    fn worktree_commits_on_the_branch_and_leaves_the_tree_alone() {
        let d = repo();
        let p = d.path();
        assert!(dirty(p).unwrap().is_empty());
        let head = commit_of(p, "HEAD").unwrap();
        let wt_dir = tempfile::tempdir().unwrap();
        let wt_path = wt_dir.path().join("wt");
        let wt = Worktree::open(p, &wt_path, "hotfix/cve-2023-32681", "HEAD").unwrap();
        assert!(wt.created);
        assert_eq!(wt.start, head);
        std::fs::write(wt.path().join("requirements.txt"), "requests==2.31.0\n").unwrap();
        let c = wt
            .commit(&[], "Fix CVE-2023-32681")
            .unwrap()
            .expect("a commit");
        // Nothing more to commit: no second commit.
        assert_eq!(wt.commit(&[], "again").unwrap(), None);
        wt.remove().unwrap();
        assert!(!wt_path.exists());
        // The user's tree and HEAD are untouched; the branch holds the commit.
        assert_eq!(
            std::fs::read_to_string(p.join("requirements.txt")).unwrap(),
            "requests==2.27.1\n"
        );
        assert_eq!(commit_of(p, "HEAD").unwrap(), head);
        assert_eq!(commit_of(p, "hotfix/cve-2023-32681").unwrap(), c);
        assert!(dirty(p).unwrap().is_empty());
        // A second worktree reuses the branch rather than creating one.
        let again = Worktree::open(p, &wt_path, "hotfix/cve-2023-32681", "HEAD").unwrap();
        assert!(!again.created);
        assert_eq!(again.start, c);
        drop(again);
        assert!(!wt_path.exists());
        assert_eq!(run(p, &["worktree", "list"]).unwrap().lines().count(), 1);
    }

    #[test]
    fn dirty_tree_and_bad_base_are_named() {
        let d = repo();
        let p = d.path();
        std::fs::write(p.join("requirements.txt"), "requests==2.28.0\n").unwrap();
        assert_eq!(dirty(p).unwrap(), vec![" M requirements.txt".to_owned()]);
        let wt_dir = tempfile::tempdir().unwrap();
        let e =
            Worktree::open(p, &wt_dir.path().join("wt"), "hotfix/x", "no-such-ref").unwrap_err();
        assert!(
            e.to_string().contains("\"no-such-ref\" is not a commit"),
            "{e}"
        );
        let e = toplevel(tempfile::tempdir().unwrap().path()).unwrap_err();
        assert!(e.to_string().contains("rev-parse --show-toplevel"), "{e}");
    }
}
