//! The git command, run carefully: the hotfix branch, worktrees and commits, and
//! the runner the baseline checkouts of [`crate::verify::worktree`] build on.
//!
//! Every operation runs the user's `git` (never a library), so the team's
//! configuration applies: credentials for `push`, hooks, commit signing, the
//! author identity. The user's working tree and index are never touched: the
//! change is made in a separate worktree of the hotfix branch, which is removed
//! afterwards (the branch stays).
//!
//! Every command is run the same way ([`run`], [`run_with`]): in the directory
//! given (`git -C DIR`), with `GIT_DIR`, `GIT_WORK_TREE` and `GIT_INDEX_FILE`
//! removed from its environment (so a variable set by a calling hook cannot point
//! it at another repository), `GIT_TERMINAL_PROMPT=0` and standard input closed
//! (never waiting for a password), its output captured with a bound, and every
//! failure naming the command and what git said. A revision is resolved with
//! `--end-of-options` ([`commit_of`]), so a name starting with `-` is never read
//! as an option. Hooks run unless the caller switches them off
//! ([`run_with`], [`Worktree::detached`]): a baseline checkout switches them off,
//! the hotfix branch never does (its commits must run the team's hooks).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// How much of git's output an error keeps.
const OUTPUT_LIMIT: usize = 4096;

/// The variables that would make git use another repository, tree or index than
/// the directory it runs in.
const LOCATION_VARIABLES: [&str; 3] = ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"];

/// A git command that failed.
#[derive(Debug, thiserror::Error)]
#[error("`{command}` failed{status}: {message}")]
pub struct GitError {
    /// The command, as a person would type it.
    pub command: String,
    /// How it ended.
    status: Status,
    /// What git said (bounded), or why it could not run.
    pub message: String,
}

/// How a failed git command ended.
#[derive(Debug)]
enum Status {
    /// It could not be started.
    NotRun,
    /// It exited with this status.
    Exit(i32),
    /// A signal ended it.
    Killed,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::NotRun => Ok(()),
            Status::Exit(code) => write!(f, " (exit status {code})"),
            Status::Killed => f.write_str(" (killed by a signal)"),
        }
    }
}

impl GitError {
    /// Whether git ran and refused (as opposed to not starting at all).
    pub fn ran(&self) -> bool {
        !matches!(self.status, Status::NotRun)
    }
}

fn line(dir: &Path, args: &[&str]) -> String {
    format!("git -C {} {}", dir.display(), args.join(" "))
}

/// Runs `git -C dir args` with the repository's hooks, returning its standard
/// output (trimmed at the end).
pub fn run(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    run_with(dir, args, None)
}

/// Runs `git -C dir args`, returning its standard output (trimmed at the end);
/// with `hooks_off` (an empty directory), the repository's hooks are switched off
/// (`-c core.hooksPath=DIR`).
pub fn run_with(dir: &Path, args: &[&str], hooks_off: Option<&Path>) -> Result<String, GitError> {
    let mut command = Command::new("git");
    command.arg("-C").arg(dir);
    if let Some(empty) = hooks_off {
        command
            .arg("-c")
            .arg(format!("core.hooksPath={}", empty.display()));
    }
    command
        .args(args)
        .stdin(Stdio::null())
        .env("GIT_TERMINAL_PROMPT", "0");
    for variable in LOCATION_VARIABLES {
        command.env_remove(variable);
    }
    let out = command.output().map_err(|e| GitError {
        command: line(dir, args),
        status: Status::NotRun,
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
                Some(code) => Status::Exit(code),
                None => Status::Killed,
            },
            message,
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
}

/// The top directory of the repository holding `path` (a directory, or a file's
/// directory).
pub fn toplevel(path: &Path) -> Result<PathBuf, GitError> {
    let dir = if path.is_dir() {
        path
    } else {
        match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
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

/// The commit `rev` names (full hex id); a name starting with `-` is a revision,
/// never an option.
pub fn commit_of(repo: &Path, rev: &str) -> Result<String, GitError> {
    run(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
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

/// A worktree of a branch (or a detached commit), removed (with `git worktree
/// remove --force`) when dropped; the branch and its commits stay.
#[derive(Debug)]
pub struct Worktree {
    repo: PathBuf,
    path: PathBuf,
    /// The branch checked out in it (empty when detached).
    pub branch: String,
    /// Whether the branch was created for it (from the base).
    pub created: bool,
    /// The commit the branch started from (its head when the worktree was made).
    pub start: String,
    /// The empty directory switching hooks off, when they are.
    hooks_off: Option<PathBuf>,
    removed: bool,
}

impl Worktree {
    /// Checks out `branch` in a new worktree at `path` (which must not exist):
    /// the existing branch when there is one, else a new branch from `base`.
    /// The repository's hooks run.
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
            hooks_off: None,
            removed: false,
        })
    }

    /// A detached worktree of `rev` at `path` (which must not exist); no branch
    /// is created or moved. With `hooks_off` (an empty directory) the
    /// repository's hooks do not run for it (a `post-checkout` hook, say).
    pub fn detached(
        repo: &Path,
        path: &Path,
        rev: &str,
        hooks_off: Option<&Path>,
    ) -> Result<Worktree, GitError> {
        let start = commit_of(repo, rev)?;
        let p = path.to_string_lossy();
        run_with(
            repo,
            &["worktree", "add", "--detach", "--quiet", &p, &start],
            hooks_off,
        )?;
        Ok(Worktree {
            repo: repo.to_owned(),
            path: path.to_owned(),
            branch: String::new(),
            created: false,
            start,
            hooks_off: hooks_off.map(Path::to_owned),
            removed: false,
        })
    }

    /// Its directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `git -C WORKTREE args`, hooks as the worktree was made.
    fn run<S: AsRef<str>>(&self, args: &[S]) -> Result<String, GitError> {
        let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        run_with(&self.path, &args, self.hooks_off.as_deref())
    }

    /// Stages everything under `paths` (relative to the worktree; all when
    /// empty) and commits it with `message` (the user's hooks and signing
    /// apply). `None` when there was nothing to commit.
    pub fn commit(&self, paths: &[PathBuf], message: &str) -> Result<Option<String>, GitError> {
        self.run(&with_paths(&["add", "--all", "--"], paths))?;
        if self.run(&["diff", "--cached", "--quiet"]).is_ok() {
            return Ok(None);
        }
        self.run(&["commit", "--quiet", "-m", message])?;
        commit_of(&self.path, "HEAD").map(Some)
    }

    /// Discards uncommitted changes under `paths` (all when empty), back to the
    /// branch head.
    pub fn discard(&self, paths: &[PathBuf]) -> Result<(), GitError> {
        self.run(&with_paths(&["checkout", "HEAD", "--"], paths))?;
        self.run(&with_paths(&["clean", "-fdq", "--"], paths))
            .map(|_| ())
    }

    /// Removes the worktree now (also done on drop), reporting a failure; after
    /// one, its directory is deleted and the stale entry pruned.
    pub fn remove(mut self) -> Result<(), GitError> {
        self.cleanup()
    }

    fn cleanup(&mut self) -> Result<(), GitError> {
        if self.removed {
            return Ok(());
        }
        self.removed = true;
        let p = self.path.to_string_lossy().into_owned();
        let result = run(&self.repo, &["worktree", "remove", "--force", &p]).map(|_| ());
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&self.path);
            let _ = run(&self.repo, &["worktree", "prune"]);
        }
        result
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let _ = self.cleanup();
    }
}

/// `args` followed by `paths`, or by `.` when there are none.
fn with_paths(args: &[&str], paths: &[PathBuf]) -> Vec<String> {
    let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    if paths.is_empty() {
        all.push(".".to_owned());
    } else {
        all.extend(paths.iter().map(|p| p.to_string_lossy().into_owned()));
    }
    all
}

/// Pushes `branch` to `remote` (the user's credentials apply; no prompt).
pub fn push(repo: &Path, remote: &str, branch: &str) -> Result<(), GitError> {
    run(
        repo,
        &["push", "--quiet", remote, &format!("{branch}:{branch}")],
    )
    .map(|_| ())
}

/// A new repository with `files` (relative path, text) committed on `main`, for
/// tests.
#[cfg(test)]
pub(crate) fn test_repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    run(p, &["init", "--quiet", "-b", "main"]).unwrap();
    run(p, &["config", "user.email", "ci@example.invalid"]).unwrap();
    run(p, &["config", "user.name", "CI"]).unwrap();
    run(p, &["config", "commit.gpgsign", "false"]).unwrap();
    for (file, text) in files {
        let path = p.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    run(p, &["add", "."]).unwrap();
    run(p, &["commit", "--quiet", "-m", "init"]).unwrap();
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> tempfile::TempDir {
        test_repo(&[("requirements.txt", "requests==2.27.1\n")])
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
        // A base starting with `-` is a revision, never an option.
        let e = Worktree::open(p, &wt_dir.path().join("wt"), "hotfix/x", "--output=x").unwrap_err();
        assert!(e.to_string().contains("--end-of-options"), "{e}");
        assert!(!p.join("x").exists());
        let e = toplevel(tempfile::tempdir().unwrap().path()).unwrap_err();
        assert!(e.to_string().contains("rev-parse --show-toplevel"), "{e}");
    }
}
