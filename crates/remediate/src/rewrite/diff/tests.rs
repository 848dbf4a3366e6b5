use super::*;

use std::path::Path;
use std::process::Command;

use crate::rewrite::npm_override;
use crate::rewrite::testing::{bump, shared};
use cverun_inventory::FileKind;
use cverun_versions::Ecosystem;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=cverun",
            "-c",
            "user.email=cverun@example.invalid",
            "-c",
            "core.autocrlf=false",
            "-c",
            "diff.mnemonicPrefix=false",
            "-c",
            "diff.noprefix=false",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `git diff` of `old` -> `new` for `path` in a fresh repository, without its
/// `index` line; and checks that our diff applies there with `git apply --check`.
fn git_diff_and_apply(path: &str, old: &str, new: &str, ours: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    let file = dir.path().join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, old).unwrap();
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "old"]);
    std::fs::write(&file, new).unwrap();
    let theirs = git(
        dir.path(),
        &[
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--diff-algorithm=myers",
            "-U3",
            "--",
            path,
        ],
    );
    git(dir.path(), &["checkout", "-q", "--", path]);
    let patch = dir.path().join("change.patch");
    std::fs::write(&patch, ours).unwrap();
    git(dir.path(), &["apply", "--check", "change.patch"]);
    git(dir.path(), &["apply", "change.patch"]);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        new,
        "applied patch gives the new text"
    );
    theirs
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("index "))
        .collect()
}

fn same_as_git(path: &str, old: &str, new: &str) -> String {
    let ours = unified_diff(path, old, new);
    let theirs = git_diff_and_apply(path, old, new, &ours);
    assert_eq!(ours, theirs, "diff of {path}");
    ours
}

#[test]
fn a_rewrite_of_a_real_file_diffs_as_git_does() {
    let Some((_, text)) = shared(
        cverun_testkit::test_name!(),
        "corpus/microservices-demo@2021-06/src/emailservice/requirements.txt",
    ) else {
        return;
    };
    let edit = crate::rewrite::rewrite(
        FileKind::Requirements,
        &text,
        &bump(Ecosystem::PyPI, "requests", "2.24.0", "2.31.0"),
    )
    .unwrap()
    .unwrap();
    let diff = same_as_git("src/emailservice/requirements.txt", &text, &edit.text);
    // One hunk around line 92, with git's function context.
    assert!(
        diff.contains("@@ -89,7 +89,7 @@ python-json-logger==0.1.11\n"),
        "{diff}"
    );
    assert!(diff.contains("\n-requests==2.24.0\n+requests==2.31.0\n"));
}

#[test]
fn insertions_crlf_and_missing_final_newlines() {
    let Some((_, text)) = shared(
        cverun_testkit::test_name!(),
        "corpus/microservices-demo@2019-06/src/currencyservice/package.json",
    ) else {
        return;
    };
    let edit = npm_override(&text, "minimist", "1.2.6").unwrap();
    same_as_git("package.json", &text, &edit.text);
    // CRLF, no final newline on either side.
    same_as_git("a.txt", "a\r\nb\r\nc", "a\r\nB\r\nc");
    // The final newline added, then removed.
    same_as_git("b.txt", "x\ny", "x\ny\n");
    same_as_git("c.txt", "x\ny\n", "x\ny");
    // Two changes far apart are two hunks; close ones are one.
    let old: String = (1..=40).map(|i| format!("line {i}\n")).collect();
    let new = old
        .replace("line 5\n", "line five\n")
        .replace("line 30\n", "line thirty\n");
    let diff = same_as_git("d.txt", &old, &new);
    assert_eq!(diff.matches("\n@@ ").count(), 2);
    let new = old
        .replace("line 5\n", "line five\n")
        .replace("line 11\n", "line eleven\n");
    let diff = same_as_git("e.txt", &old, &new);
    assert_eq!(diff.matches("\n@@ ").count(), 1);
    // Lines added and removed.
    same_as_git(
        "f.txt",
        &old,
        &old.replace("line 20\n", "")
            .replace("line 3\n", "line 3\nnew\nnew\n"),
    );
    same_as_git("g.txt", "", "one\ntwo\n");
    same_as_git("h.txt", "one\ntwo\n", "");
}

#[test]
fn equal_texts_have_no_diff() {
    assert_eq!(unified_diff("x", "a\n", "a\n"), "");
}

#[test]
fn header_and_counts() {
    assert_eq!(
        unified_diff("dir/f.txt", "a\nb\n", "a\nc\n"),
        "diff --git a/dir/f.txt b/dir/f.txt\n--- a/dir/f.txt\n+++ b/dir/f.txt\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
    );
}
