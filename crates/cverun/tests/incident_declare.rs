//! `cverun incident declare` against a fleet: affected services taken from the
//! advisory's blast radius (`--from`, `--inventory`), named services checked against
//! it, titles from the advisory's summary. Data: `examples/fleet` and
//! `examples/advisories` (CVE-2021-44228 is EXAMPLE-2021-0004, log4j-core, which only
//! `reporting` ships at an affected version; see examples/fleet/README.md).

mod common;

use common::{bin, repo};

struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new() -> Project {
        Project {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self, args: &[&str]) -> common::Run {
        let out = bin()
            .current_dir(self.dir.path())
            .env("CVERUN_ACTOR", "alice")
            .env_remove("CVERUN_DATABASE_URL")
            .args(args)
            .output()
            .unwrap();
        common::Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn declare(&self, extra: &[&str]) -> common::Run {
        let adv = repo().join("examples/advisories");
        let mut args = vec![
            "incident",
            "declare",
            "--advisory",
            "CVE-2021-44228",
            "--advisories",
            adv.to_str().unwrap(),
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }
}

fn fleet() -> String {
    repo().join("examples/fleet").to_string_lossy().into_owned()
}

#[test]
fn affected_services_come_from_the_blast_radius() {
    let p = Project::new();
    let fleet = fleet();
    let r = p.declare(&["--priority", "P0", "--from", &fleet]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        v["incident"]["services"],
        serde_json::json!(["reporting"]),
        "{v}"
    );
    // The title is the advisory's summary, although the priority was given.
    let title = v["incident"]["title"].as_str().unwrap();
    assert_ne!(title, "CVE-2021-44228");
    assert!(title.to_lowercase().contains("log4j"), "{title}");
}

#[test]
fn named_services_must_exist_in_the_fleet() {
    let p = Project::new();
    let fleet = fleet();
    // Not a service of the fleet: refused, with the close name.
    let r = p.declare(&[
        "--priority",
        "P0",
        "--from",
        &fleet,
        "--service",
        "reportng",
    ]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.stderr.contains("\"reportng\" is not a service"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("did you mean reporting"), "{}", r.stderr);
    // Named without a fleet to check against: refused.
    let r = p.declare(&["--priority", "P0", "--service", "checkout"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--from PATH"), "{}", r.stderr);
    // Nothing was recorded by the refusals.
    let r = p.run(&["incident", "list", "--all", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        v["incidents"].as_array().map(Vec::len).unwrap_or(0),
        0,
        "{v}"
    );
    // A service of the fleet that is not affected is kept, with a warning.
    let r = p.declare(&["--priority", "P0", "--from", &fleet, "--service", "WEB"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["incident"]["services"], serde_json::json!(["web"]));
    assert!(
        r.stderr.contains("web does not ship a version"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_saved_inventory_is_a_fleet_too() {
    let p = Project::new();
    let inv = p.dir.path().join("fleet.inventory");
    let r = p.run(&["inventory", "save", &fleet(), "-o", inv.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let r = p.declare(&["--priority", "P1", "--inventory", inv.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["incident"]["services"], serde_json::json!(["reporting"]));
}

#[test]
fn an_unknown_advisory_keeps_its_id_as_title_and_says_so() {
    let p = Project::new();
    let r = p.declare(&["--priority", "P2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let adv = repo().join("examples/advisories");
    let r = p.run(&[
        "incident",
        "declare",
        "--advisory",
        "CVE-1999-0001",
        "--priority",
        "P2",
        "--advisories",
        adv.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["incident"]["title"], "CVE-1999-0001");
    assert!(
        r.stderr.contains("no summary of CVE-1999-0001"),
        "{}",
        r.stderr
    );
}

/// Nothing is recorded as "unknown": without --actor, CVERUN_ACTOR or a login
/// name, commands that record refuse; reads still work; `tick` (from cron) records
/// its clock events as `cverun-tick`.
#[test]
fn nobody_acting_records_nothing() {
    let p = Project::new();
    let anonymous = |args: &[&str]| {
        let out = bin()
            .current_dir(p.dir.path())
            .env_remove("CVERUN_ACTOR")
            .env_remove("USER")
            .env_remove("LOGNAME")
            .env_remove("CVERUN_DATABASE_URL")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, _, err) = anonymous(&[
        "incident",
        "declare",
        "--advisory",
        "CVE-2026-1",
        "--priority",
        "P2",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("who is acting?"), "{err}");
    assert!(!p.dir.path().join(".cverun").exists(), "nothing created");
    let r = p.run(&[
        "incident",
        "declare",
        "--advisory",
        "CVE-2026-1",
        "--priority",
        "P2",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (code, _, err) = anonymous(&["incident", "update", "INC-2026-11-23-1", "hello"]);
    assert_eq!(code, 2);
    assert!(err.contains("who is acting?"), "{err}");
    let (code, out, err) = anonymous(&["incident", "show", "INC-2026-11-23-1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("INC-2026-11-23-1"), "{out}");
    // Five hours later: the 4h status update of a P2 is overdue.
    let out = bin()
        .current_dir(p.dir.path())
        .env("CVERUN_NOW", "2026-11-23T17:00:00Z")
        .env_remove("CVERUN_ACTOR")
        .env_remove("USER")
        .env_remove("LOGNAME")
        .args(["incident", "tick"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = p.run(&[
        "incident",
        "timeline",
        "INC-2026-11-23-1",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let actors: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert_eq!(actors[0], "alice");
    assert!(
        actors.len() > 1 && actors[1..].iter().all(|a| *a == "cverun-tick"),
        "{actors:?}"
    );
}
