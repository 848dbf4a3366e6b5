//! Hostile and broken input: includes that leave the scanned roots, devices, FIFOs,
//! /proc files, oversized files and links. Every run must end promptly (a deadline
//! kills it and fails the test), with a clear error, and no secret from the
//! environment in any output.

#![cfg(unix)]

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Run, bin, fleet_with, repo};

/// Longer than any of these runs takes (each is well under a second), short enough
/// that a hang fails the test instead of the suite.
const DEADLINE: Duration = Duration::from_secs(20);

/// A value that must never appear in any output.
const SECRET: &str = "hunter2-c0ffee-7d1e-secret-token";

fn advisories() -> String {
    repo()
        .join("examples/advisories")
        .to_string_lossy()
        .into_owned()
}

/// Runs `c` with stdin a pipe that stays open, killing it past [`DEADLINE`].
fn run_bounded(mut c: Command) -> Run {
    c.env("CVERUN_TEST_SECRET", SECRET)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("run cverun");
    // Held until the child ends: a read of stdin would block, not see EOF.
    let _stdin = child.stdin.take();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("cverun did not end within {DEADLINE:?}: {c:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let r = Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out_t.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err_t.join().unwrap()).into_owned(),
    };
    assert!(
        !r.stdout.contains(SECRET) && !r.stderr.contains(SECRET),
        "secret in output of {c:?}:\n{}\n{}",
        r.stdout,
        r.stderr
    );
    r
}

/// `cverun scan ROOT --advisories ... ARGS`.
fn scan(root: &Path, args: &[&str]) -> Run {
    let mut c = bin();
    c.arg("scan")
        .arg(root)
        .args(["--advisories", &advisories()])
        .args(args);
    run_bounded(c)
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

fn link(target: impl AsRef<Path>, at: &Path) {
    std::os::unix::fs::symlink(target, at).unwrap();
}

/// Both outputs, for messages that may go to either.
fn all(r: &Run) -> String {
    format!("{}\n{}", r.stdout, r.stderr)
}

/// The report's errors as "file:line: message" strings.
fn errors(r: &Run) -> Vec<String> {
    let v = common::json(r);
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}: {}",
                e["file"].as_str().unwrap(),
                e["line"]
                    .as_u64()
                    .map(|l| l.to_string())
                    .unwrap_or_default(),
                e["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// A fleet of one service whose requirements file includes `include` at line 2.
fn including(include: &str) -> tempfile::TempDir {
    fleet_with(&[(
        "svc/requirements.txt",
        &format!("flask==0.12\n-r {include}\n"),
    )])
}

#[test]
fn proc_environ_never_reaches_a_report_or_inventory() {
    let fleet = including("/proc/self/environ");
    for allow in [false, true] {
        let extra: &[&str] = if allow {
            &["--allow-outside-roots"]
        } else {
            &[]
        };
        for format in ["table", "json", "markdown"] {
            let r = scan(fleet.path(), &[&["--format", format], extra].concat());
            assert_eq!(r.code, 2, "{format}: {}", all(&r));
            let text = all(&r);
            assert!(text.contains("svc/requirements.txt"), "{text}");
            let why = if allow {
                "kernel's virtual file system (/proc)"
            } else {
                "outside the scanned roots"
            };
            assert!(text.contains(why), "{format}: {text}");
        }
        let saved = tempfile::tempdir().unwrap();
        let inv = saved.path().join("inv.json");
        let mut c = bin();
        c.args(["inventory", "save"])
            .arg(fleet.path())
            .arg("-o")
            .arg(&inv)
            .args(extra);
        let r = run_bounded(c);
        assert!(r.stderr.contains("requirements.txt"), "{}", all(&r));
        if let Ok(text) = std::fs::read_to_string(&inv) {
            assert!(!text.contains(SECRET));
        }
    }
}

#[test]
fn includes_outside_the_root_are_errors_naming_file_and_line() {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("fleet");
    std::fs::create_dir_all(root.join("svc")).unwrap();
    std::fs::write(outer.path().join("outside.txt"), "django==1.11\n").unwrap();
    for include in ["../../outside.txt", "/etc/passwd"] {
        std::fs::write(
            root.join("svc/requirements.txt"),
            format!("flask==0.12\n-r {include}\n"),
        )
        .unwrap();
        let r = scan(&root, &["--format", "json"]);
        assert_eq!(r.code, 2, "{}", all(&r));
        let errs = errors(&r);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].starts_with("svc/requirements.txt:2: included file"),
            "{errs:?}"
        );
        assert!(errs[0].contains("outside the scanned roots"), "{errs:?}");
        assert!(!r.stdout.contains("root:x:0:0"), "passwd content reported");
    }
    // Allowed, the file outside is read.
    std::fs::write(
        root.join("svc/requirements.txt"),
        "flask==0.12\n-r ../../outside.txt\n",
    )
    .unwrap();
    let r = scan(&root, &["--format", "json", "--allow-outside-roots"]);
    assert!(errors(&r).is_empty(), "{}", all(&r));
    assert_eq!(common::json(&r)["summary"]["packages"], 2);
}

#[test]
fn devices_and_stdin_as_includes_end_promptly_with_an_error() {
    for include in ["/dev/zero", "/dev/stdin", "/dev/urandom"] {
        let fleet = including(include);
        for extra in [&[][..], &["--allow-outside-roots"][..]] {
            let r = scan(fleet.path(), &[&["--format", "json"][..], extra].concat());
            assert_eq!(r.code, 2, "{include} {extra:?}: {}", all(&r));
            let errs = errors(&r);
            assert_eq!(errs.len(), 1, "{errs:?}");
            assert!(errs[0].starts_with("svc/requirements.txt:2: "), "{errs:?}");
            // A pipe resolves to no path, so it is refused for what it is.
            let why = match (include, extra.is_empty()) {
                ("/dev/stdin", _) => "not a regular file (a FIFO)",
                (_, true) => "outside the scanned roots",
                (_, false) => "not a regular file (a character device)",
            };
            assert!(errs[0].contains(why), "{include} {extra:?}: {errs:?}");
        }
    }
}

#[test]
fn fifos_as_includes_and_manifests_are_refused_unopened() {
    let fleet = including("pinned.txt");
    mkfifo(&fleet.path().join("svc/pinned.txt"));
    std::fs::create_dir_all(fleet.path().join("other")).unwrap();
    mkfifo(&fleet.path().join("other/requirements.txt"));
    let r = scan(fleet.path(), &["--format", "json"]);
    assert_eq!(r.code, 2, "{}", all(&r));
    let errs = errors(&r);
    assert_eq!(
        errs,
        [
            "other/requirements.txt:: not a regular file (a FIFO); not read",
            "svc/requirements.txt:2: included file \"pinned.txt\": not a regular file (a FIFO); not read; its requirements are missing",
        ],
    );
}

/// Makes something at a path.
type Make = fn(&Path);

#[test]
fn a_cverun_toml_that_is_not_a_regular_file_in_the_root_is_an_error() {
    let cases: [(&str, Make); 4] = [
        ("FIFO", |p| mkfifo(p)),
        ("directory", |p| std::fs::create_dir(p).unwrap()),
        ("link to /dev/zero", |p| link("/dev/zero", p)),
        ("dangling link", |p| link("missing.toml", p)),
    ];
    for (what, make) in cases {
        let fleet = fleet_with(&[("svc/requirements.txt", "flask==0.12\n")]);
        make(&fleet.path().join("cverun.toml"));
        let r = scan(fleet.path(), &["--format", "json"]);
        assert_eq!(r.code, 2, "{what}: {}", all(&r));
        assert!(
            r.stderr.contains("cverun.toml: cannot read: "),
            "{what}: {}",
            r.stderr
        );
        let why = match what {
            "FIFO" => "not a regular file (a FIFO)",
            "directory" => "not a regular file (a directory)",
            "link to /dev/zero" => "resolves to /dev/zero, outside the scanned roots",
            _ => "a symbolic link that leads to no file",
        };
        assert!(r.stderr.contains(why), "{what}: {}", r.stderr);
    }
}

#[test]
fn policy_and_exceptions_files_that_are_fifos_or_devices_are_errors() {
    let fleet = fleet_with(&[("svc/requirements.txt", "flask==0.12\n")]);
    let side = tempfile::tempdir().unwrap();
    let fifo = side.path().join("policy.toml");
    mkfifo(&fifo);
    let zero = side.path().join("zero.toml");
    link("/dev/zero", &zero);
    for (flag, path, why) in [
        ("--policy", &fifo, "not a regular file (a FIFO)"),
        ("--policy", &zero, "not a regular file (a character device)"),
        ("--exceptions", &fifo, "not a regular file (a FIFO)"),
    ] {
        let r = scan(fleet.path(), &[flag, path.to_str().unwrap()]);
        assert_eq!(r.code, 2, "{flag} {}: {}", path.display(), all(&r));
        assert!(
            r.stderr
                .contains(&format!("{}: cannot read: {why}", path.display())),
            "{}",
            r.stderr
        );
    }
    // Found in the root: a policy linked out of it is refused.
    link(&zero, &fleet.path().join("cverun-policy.toml"));
    let r = scan(fleet.path(), &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("outside the scanned roots"),
        "{}",
        r.stderr
    );
}

#[test]
fn oversized_manifests_are_errors_for_that_file() {
    // 2 MiB of comments under a 1 MiB limit, beside a small service that is read.
    let mut big = String::from("flask==0.12\n");
    while big.len() < 2 * 1024 * 1024 {
        big.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    let fleet = fleet_with(&[
        ("big/requirements.txt", &big),
        ("small/requirements.txt", "flask==0.12\n"),
    ]);
    let mut c = bin();
    c.env("CVERUN_MAX_FILE_MIB", "1")
        .arg("scan")
        .arg(fleet.path())
        .args(["--advisories", &advisories(), "--format", "json"]);
    let r = run_bounded(c);
    assert_eq!(r.code, 2, "{}", all(&r));
    assert_eq!(
        errors(&r),
        [
            "big/requirements.txt:: cannot read: larger than the 1 MiB limit (set CVERUN_MAX_FILE_MIB to raise it); not read"
        ]
    );
    assert_eq!(common::json(&r)["summary"]["manifests"], 1);
    // The default limit reads it.
    let r = scan(fleet.path(), &["--format", "json"]);
    assert!(errors(&r).is_empty(), "{}", all(&r));
    // An override that is not a whole number of MiB stops the run.
    let mut c = bin();
    c.env("CVERUN_MAX_FILE_MIB", "lots")
        .arg("scan")
        .arg(fleet.path());
    let r = run_bounded(c);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("CVERUN_MAX_FILE_MIB=\"lots\""),
        "{}",
        r.stderr
    );
}

#[test]
fn links_inside_are_read_links_outside_and_linked_directories_are_reported() {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("fleet");
    for d in ["real", "svc", "elsewhere"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::write(root.join("real/locked.txt"), "flask==0.12\n").unwrap();
    std::fs::write(outer.path().join("outside.txt"), "django==1.11\n").unwrap();
    std::fs::write(root.join("elsewhere/requirements.txt"), "jinja2==2.10\n").unwrap();
    link("../real/locked.txt", &root.join("svc/requirements.txt"));
    std::fs::create_dir_all(root.join("out")).unwrap();
    link(
        outer.path().join("outside.txt"),
        &root.join("out/requirements.txt"),
    );
    link("elsewhere", &root.join("linked-service"));
    let r = scan(&root, &["--format", "json"]);
    assert_eq!(r.code, 2, "{}", all(&r));
    let v = common::json(&r);
    let errs = errors(&r);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("out/requirements.txt:: symbolic link: resolves to "),
        "{errs:?}"
    );
    assert!(errs[0].contains("outside the scanned roots"), "{errs:?}");
    let warnings: Vec<(&str, &str)> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["file"].as_str().unwrap(), w["message"].as_str().unwrap()))
        .collect();
    assert!(
        warnings.iter().any(|(f, m)| *f == "linked-service"
            && m.starts_with("symbolic link to a directory: not walked")),
        "{warnings:?}"
    );
    // The link inside was read: svc and elsewhere, one package each.
    let manifests: Vec<&str> = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["manifests"].as_array().unwrap())
        .filter(|m| m["error"].is_null())
        .map(|m| m["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        manifests,
        ["elsewhere/requirements.txt", "svc/requirements.txt"]
    );
    assert_eq!(v["summary"]["packages"], 2);
}
