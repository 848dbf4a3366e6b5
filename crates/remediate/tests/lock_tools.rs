//! Lockfiles regenerated and checked by the real tools (cargo, npm, pip-compile, uv)
//! on copies of real service files from `../shared/corpus`, or on small projects the
//! test writes. A tool that is not on `PATH` skips its test visibly (`SKIPPED` on
//! stderr), unless `CVERUN_REQUIRE_TOOLS` is set (CI), when it fails instead. These
//! tests reach crates.io, the npm registry and PyPI.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cverun_inventory::{DiskFiles, FileKind, Relation, parse_file};
use cverun_remediate::Bump;
use cverun_remediate::lock::{
    RunOutcome, ToolCommand, check, recompile_requirements, regenerate, run,
};
use cverun_testkit::{required, shared_data, skipped, test_name};
use cverun_versions::Ecosystem;

/// Generous: a cold cache downloads an index and every crate of a service.
const TIMEOUT: Duration = Duration::from_secs(600);
/// The variable that makes a missing tool a failure instead of a skip.
const REQUIRE_TOOLS: &str = "CVERUN_REQUIRE_TOOLS";

/// Whether `program` is on `PATH`; when not, a visible skip, or a panic under
/// `CVERUN_REQUIRE_TOOLS`.
fn tool(test: &str, program: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()));
    if found {
        return true;
    }
    if required(REQUIRE_TOOLS) {
        panic!(
            "{test}: {program} is not on PATH, and {REQUIRE_TOOLS} is set: nothing may be skipped"
        );
    }
    skipped(test, &format!("{program} is not on PATH"));
    false
}

/// The exact versions of `name` in the lockfile `path`, read by cverun's own parser.
fn versions(kind: FileKind, path: &Path, name: &str) -> Vec<String> {
    let parsed = parse_file(kind, path, &DiskFiles).unwrap();
    let mut found: Vec<String> = parsed
        .packages
        .iter()
        .filter(|p| p.name == name)
        .filter_map(|p| p.exact_version().map(str::to_owned))
        .collect();
    found.sort();
    found.dedup();
    found
}

/// Runs `commands` and asserts every one succeeded, showing the outcome otherwise.
fn run_all(commands: &[ToolCommand]) {
    let outcomes = run(commands, TIMEOUT);
    assert_eq!(outcomes.len(), commands.len(), "{outcomes:#?}");
    assert!(outcomes.iter().all(RunOutcome::is_done), "{outcomes:#?}");
}

/// A temporary directory holding `files` of the corpus service `service`, or `None`
/// (the test reported as skipped) without `../shared` or without `program`.
fn corpus_copy(
    test: &str,
    program: &str,
    service: &str,
    files: &[&str],
) -> Option<tempfile::TempDir> {
    let shared = shared_data(test)?;
    if !tool(test, program) {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    for file in files {
        std::fs::copy(
            shared.join("corpus").join(service).join(file),
            dir.path().join(file),
        )
        .unwrap();
    }
    Some(dir)
}

/// The exit status, blocking package and output tail of the one outcome, which
/// must have failed.
fn one_failure(outcomes: &[RunOutcome]) -> (Option<i32>, Option<&str>, &str) {
    match outcomes {
        [
            RunOutcome::Failed {
                status,
                blocking,
                output_tail,
                ..
            },
        ] => (*status, blocking.as_deref(), output_tail),
        other => panic!("expected one Failed, got {other:#?}"),
    }
}

/// The shippingservice of opentelemetry-demo@2022-10 locks h2 0.3.13, affected by
/// RUSTSEC-2023-0034 (patched `>= 0.3.17`), RUSTSEC-2024-0003 (`^0.3.24`) and
/// RUSTSEC-2024-0332 (`^0.3.26`) in ../shared/rustsec-advisory-db; 0.3.26 fixes all
/// three. It also locks remove_dir_all 0.5.3 (RUSTSEC-2023-0018, patched `>= 0.8.0`),
/// which tempfile 3.3.0 requires as `^0.5`: that update is blocked by tempfile.
#[test]
fn cargo_update_precise_on_a_real_service() {
    let Some(dir) = corpus_copy(
        test_name!(),
        "cargo",
        "opentelemetry-demo@2022-10/src/shippingservice",
        &["Cargo.toml", "Cargo.lock"],
    ) else {
        return;
    };
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/main.rs"), "fn main() {}\n").unwrap();
    let lock = dir.path().join("Cargo.lock");
    assert_eq!(versions(FileKind::CargoLock, &lock, "h2"), ["0.3.13"]);

    let h2 = Bump::new(
        Ecosystem::CratesIo,
        "h2",
        "0.3.13",
        "0.3.26",
        Relation::Transitive,
    );
    run_all(&regenerate(FileKind::CargoLock, &lock, &[h2], false).unwrap());
    assert_eq!(versions(FileKind::CargoLock, &lock, "h2"), ["0.3.26"]);
    // Untouched by the precise update.
    assert_eq!(versions(FileKind::CargoLock, &lock, "tokio"), ["1.19.2"]);
    run_all(&[check(FileKind::CargoLock, &lock).unwrap()]);

    let blocked = Bump::new(
        Ecosystem::CratesIo,
        "remove_dir_all",
        "0.5.3",
        "0.8.0",
        Relation::Transitive,
    );
    let before = std::fs::read_to_string(&lock).unwrap();
    let outcomes = run(
        &regenerate(FileKind::CargoLock, &lock, &[blocked], false).unwrap(),
        TIMEOUT,
    );
    let (status, blocking, output_tail) = one_failure(&outcomes);
    assert_eq!(status, Some(101));
    assert_eq!(blocking, Some("tempfile@3.3.0"), "{output_tail}");
    assert!(
        output_tail.contains("failed to select a version"),
        "{output_tail}"
    );
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), before);
}

/// The paymentservice of opentelemetry-demo@2024-06 locks lodash 4.17.21 through
/// `@openfeature/flagd-core` (`^4.17.20`); GHSA-xxjr-mmjv-4gpg (CVE-2025-13465,
/// prototype pollution in `_.unset`/`_.omit`) is fixed in 4.17.23. An `overrides`
/// entry moves it.
#[test]
fn npm_override_regenerates_a_real_package_lock() {
    let Some(dir) = corpus_copy(
        test_name!(),
        "npm",
        "opentelemetry-demo@2024-06/src/paymentservice",
        &["package.json", "package-lock.json"],
    ) else {
        return;
    };
    let lock = dir.path().join("package-lock.json");
    assert_eq!(
        versions(FileKind::PackageLockJson, &lock, "lodash"),
        ["4.17.21"]
    );

    // The manifest edit (the rewrite module's job), done simply here.
    let manifest = dir.path().join("package.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    json["overrides"] = serde_json::json!({ "lodash": "4.17.23" });
    std::fs::write(&manifest, serde_json::to_string_pretty(&json).unwrap()).unwrap();

    let lodash = Bump::new(
        Ecosystem::Npm,
        "lodash",
        "4.17.21",
        "4.17.23",
        Relation::Transitive,
    );
    run_all(&regenerate(FileKind::PackageLockJson, &lock, &[lodash], true).unwrap());
    assert_eq!(
        versions(FileKind::PackageLockJson, &lock, "lodash"),
        ["4.17.23"]
    );
    assert_eq!(
        versions(FileKind::PackageLockJson, &lock, "@grpc/grpc-js"),
        ["1.9.9"]
    );
    assert!(
        !dir.path().join("node_modules").exists(),
        "npm installed packages"
    );
    run_all(&[check(FileKind::PackageLockJson, &lock).unwrap()]);
}

/// react-dom 17.0.2 declares `peer react@"17.0.2"`. Asked to move react to 18.2.0,
/// npm 11 only warns ("ERESOLVE overriding peer dependency") and writes the lock;
/// the check (`npm ci --dry-run`) refuses that lock and names react-dom.
#[test]
fn npm_eresolve_names_the_blocking_package() {
    let test = test_name!();
    if !tool(test, "npm") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("package.json"),
        r#"{"name":"svc","version":"1.0.0","dependencies":{"react":"17.0.2","react-dom":"17.0.2"}}"#,
    )
    .unwrap();
    let lock = dir.path().join("package-lock.json");
    run_all(&regenerate(FileKind::PackageLockJson, &lock, &[], true).unwrap());
    assert_eq!(
        versions(FileKind::PackageLockJson, &lock, "react"),
        ["17.0.2"]
    );
    run_all(&[check(FileKind::PackageLockJson, &lock).unwrap()]);

    let react = Bump::new(
        Ecosystem::Npm,
        "react",
        "17.0.2",
        "18.2.0",
        Relation::Direct,
    );
    run_all(&regenerate(FileKind::PackageLockJson, &lock, &[react], false).unwrap());
    assert_eq!(
        versions(FileKind::PackageLockJson, &lock, "react"),
        ["18.2.0"]
    );
    let outcomes = run(&[check(FileKind::PackageLockJson, &lock).unwrap()], TIMEOUT);
    let (_, blocking, output_tail) = one_failure(&outcomes);
    assert_eq!(blocking, Some("react-dom@17.0.2"), "{output_tail}");
    assert!(output_tail.contains("ERESOLVE"), "{output_tail}");
}

/// A requirements.in allowing `requests>=2.20`, compiled with hashes at requests
/// 2.27.1 (affected by CVE-2023-32681, fixed in 2.31.0), then recompiled from the
/// file's own header with the bump.
fn recompile_with(test: &str, compiler: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("requirements.in"), "requests>=2.20\n").unwrap();
    let txt = dir.path().join("requirements.txt");
    let first = match compiler {
        "pip-compile" => ToolCommand::new(
            "pip-compile",
            [
                "--generate-hashes",
                "requirements.in",
                "--upgrade-package",
                "requests==2.27.1",
            ],
            dir.path(),
        ),
        _ => ToolCommand::new(
            "uv",
            [
                "pip",
                "compile",
                "requirements.in",
                "--generate-hashes",
                "-o",
                "requirements.txt",
                "--upgrade-package",
                "requests==2.27.1",
            ],
            dir.path(),
        ),
    };
    run_all(&[first]);
    assert_eq!(
        versions(FileKind::Requirements, &txt, "requests"),
        ["2.27.1"],
        "{test}"
    );

    let text = std::fs::read_to_string(&txt).unwrap();
    let requests = Bump::new(
        Ecosystem::PyPI,
        "requests",
        "2.27.1",
        "2.31.0",
        Relation::Direct,
    );
    let commands = recompile_requirements(&txt, &text, &[requests]).unwrap();
    assert_eq!(commands[0].dir, dir.path());
    run_all(&commands);

    let after = std::fs::read_to_string(&txt).unwrap();
    assert_eq!(
        versions(FileKind::Requirements, &txt, "requests"),
        ["2.31.0"]
    );
    let pin = after
        .lines()
        .position(|line| line.starts_with("requests==2.31.0 \\"))
        .unwrap_or_else(|| panic!("no hashed requests pin in:\n{after}"));
    assert!(
        after
            .lines()
            .nth(pin + 1)
            .unwrap()
            .trim()
            .starts_with("--hash=sha256:"),
        "{after}"
    );
    // The header is kept as it was.
    let header = |t: &str| {
        t.lines()
            .take_while(|l| l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(header(&after), header(&text));
    // pip accepts the hashes (the check downloads and verifies every pinned file).
    run_all(&[check(FileKind::Requirements, &txt).unwrap()]);
}

#[test]
fn pip_compile_requirements_are_recompiled_from_their_header() {
    let test = test_name!();
    if tool(test, "pip-compile") && tool(test, "python3") {
        recompile_with(test, "pip-compile");
    }
}

#[test]
fn uv_compiled_requirements_are_recompiled_from_their_header() {
    let test = test_name!();
    if tool(test, "uv") && tool(test, "python3") {
        recompile_with(test, "uv");
    }
}

fn pyproject(dir: &Path, dependency: &str) -> PathBuf {
    std::fs::write(
        dir.join("pyproject.toml"),
        format!(
            "[project]\nname = \"svc\"\nversion = \"0.1.0\"\nrequires-python = \">=3.9\"\ndependencies = [\"{dependency}\"]\n"
        ),
    )
    .unwrap();
    dir.join("uv.lock")
}

#[test]
fn uv_lock_upgrade_package() {
    let test = test_name!();
    if !tool(test, "uv") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lock = pyproject(dir.path(), "requests>=2.20");
    run_all(&[ToolCommand::new(
        "uv",
        ["lock", "--upgrade-package", "requests==2.27.1"],
        dir.path(),
    )]);
    assert_eq!(versions(FileKind::UvLock, &lock, "requests"), ["2.27.1"]);
    let urllib3_before = versions(FileKind::UvLock, &lock, "urllib3");

    let requests = Bump::new(
        Ecosystem::PyPI,
        "requests",
        "2.27.1",
        "2.31.0",
        Relation::Direct,
    );
    run_all(&regenerate(FileKind::UvLock, &lock, &[requests], false).unwrap());
    assert_eq!(versions(FileKind::UvLock, &lock, "requests"), ["2.31.0"]);
    assert_eq!(versions(FileKind::UvLock, &lock, "urllib3"), urllib3_before);
    run_all(&[check(FileKind::UvLock, &lock).unwrap()]);

    // requests 2.27.1 requires urllib3<1.27: urllib3 2.0.7 is blocked by it.
    let pinned = tempfile::tempdir().unwrap();
    let lock = pyproject(pinned.path(), "requests==2.27.1");
    run_all(&[ToolCommand::new("uv", ["lock"], pinned.path())]);
    let urllib3 = Bump::new(
        Ecosystem::PyPI,
        "urllib3",
        "1.26.20",
        "2.0.7",
        Relation::Transitive,
    );
    let outcomes = run(
        &regenerate(FileKind::UvLock, &lock, &[urllib3], false).unwrap(),
        TIMEOUT,
    );
    let (_, blocking, output_tail) = one_failure(&outcomes);
    assert_eq!(blocking, Some("requests@2.27.1"), "{output_tail}");
}

/// With `PATH` restricted to an empty directory, the tools of other ecosystems are
/// missing: nothing runs, and the outcome gives the exact lines to run by hand.
#[test]
fn a_missing_tool_gives_the_manual_lines() {
    let empty = tempfile::tempdir().unwrap();
    let path = empty.path().to_str().unwrap().to_owned();
    let service = Path::new("/srv/checkout");
    let cases = [
        (
            FileKind::GoMod,
            Bump::new(
                Ecosystem::Go,
                "golang.org/x/net",
                "v0.7.0",
                "v0.23.0",
                Relation::Transitive,
            ),
            "go",
        ),
        (
            FileKind::GemfileLock,
            Bump::new(
                Ecosystem::RubyGems,
                "rack",
                "2.2.3",
                "2.2.8.1",
                Relation::Transitive,
            ),
            "bundle",
        ),
        (
            FileKind::ComposerLock,
            Bump::new(
                Ecosystem::Packagist,
                "guzzlehttp/psr7",
                "2.4.0",
                "2.4.5",
                Relation::Transitive,
            ),
            "composer",
        ),
        (
            FileKind::GradleLockfile,
            Bump::new(
                Ecosystem::Maven,
                "org.yaml:snakeyaml",
                "1.33",
                "2.0",
                Relation::Transitive,
            ),
            "gradle",
        ),
    ];
    for (kind, bump, program) in cases {
        let lockfile = service.join(kind.name());
        let commands: Vec<ToolCommand> = regenerate(kind, &lockfile, &[bump], false)
            .unwrap()
            .into_iter()
            .map(|c| c.with_env("PATH", &path))
            .collect();
        let outcomes = run(&commands, TIMEOUT);
        let manual = commands
            .iter()
            .map(ToolCommand::shell_line)
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(
            outcomes,
            [RunOutcome::Missing {
                tool: program.to_owned(),
                manual
            }]
        );
    }
    // The go case in full: both commands, in order.
    let commands = regenerate(
        FileKind::GoMod,
        &service.join("go.mod"),
        &[Bump::new(
            Ecosystem::Go,
            "golang.org/x/net",
            "v0.7.0",
            "0.23.0",
            Relation::Transitive,
        )],
        false,
    )
    .unwrap();
    let commands: Vec<ToolCommand> = commands
        .into_iter()
        .map(|c| c.with_env("PATH", &path))
        .collect();
    match run(&commands, TIMEOUT).as_slice() {
        [RunOutcome::Missing { manual, .. }] => assert_eq!(
            *manual,
            format!(
                "cd /srv/checkout && GOTOOLCHAIN=local GOFLAGS=-mod=mod PATH={path} go get golang.org/x/net@v0.23.0\n\
                 cd /srv/checkout && GOTOOLCHAIN=local GOFLAGS=-mod=mod PATH={path} go mod tidy"
            )
        ),
        other => panic!("expected Missing, got {other:#?}"),
    }
}
