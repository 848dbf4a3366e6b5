//! Evidence archives on a real file system and the real /proc: what goes in, the
//! manifest, verification catching changed, missing and extra members, and
//! failures that leave nothing behind.

use std::io::Read;
use std::path::{Path, PathBuf};

use cverun_incident::evidence::{self, CollectOptions, MANIFEST};
use cverun_incident::{AssignedPriority, Declaration, Priority, Runbook, Store};

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::create_dir_all(p.join("project/svc")).unwrap();
        std::fs::write(p.join("project/svc/requirements.txt"), "jinja2==2.10\n").unwrap();
        std::fs::create_dir_all(p.join("sp/Jinja2-2.10.dist-info")).unwrap();
        std::fs::write(
            p.join("sp/Jinja2-2.10.dist-info/METADATA"),
            "Name: Jinja2\nVersion: 2.10\n",
        )
        .unwrap();
        std::fs::create_dir_all(p.join("logs/a")).unwrap();
        std::fs::create_dir_all(p.join("logs/b")).unwrap();
        std::fs::write(p.join("logs/a/app.log"), "GET /${jndi:ldap://x}\n").unwrap();
        let big: Vec<u8> = (0..300_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        std::fs::write(p.join("logs/b/app.log"), &big).unwrap();
        std::fs::create_dir_all(p.join("out")).unwrap();
        Fixture { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn options(&self, output: &str) -> CollectOptions {
        CollectOptions {
            incident: "INC-2026-11-23-1".into(),
            actor: "alice".into(),
            now: "2026-11-23T12:00:00Z".parse().unwrap(),
            root: self.path("project"),
            site_packages: vec![self.path("sp")],
            logs: vec![self.path("logs/a/app.log"), self.path("logs/b/app.log")],
            output: self.path(output),
            proc: PathBuf::from("/proc"),
            follow_links: false,
            max_log_bytes: evidence::DEFAULT_MAX_LOG_BYTES,
        }
    }
}

/// Every member of a .tar.gz: (path, content).
fn members(path: &Path) -> Vec<(String, Vec<u8>)> {
    let f = std::fs::File::open(path).unwrap();
    let mut a = tar::Archive::new(flate2::read::GzDecoder::new(f));
    a.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let mut buf = Vec::new();
            e.read_to_end(&mut buf).unwrap();
            (name, buf)
        })
        .collect()
}

fn write_archive(path: &Path, members: &[(String, Vec<u8>)]) {
    let f = std::fs::File::create(path).unwrap();
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
        f,
        flate2::Compression::fast(),
    ));
    for (name, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o600);
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap();
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn collects_everything_into_a_private_verifiable_archive() {
    let f = Fixture::new();
    let c = evidence::collect(&f.options("out/e.tar.gz")).unwrap();
    assert_eq!(
        leftovers(&f.path("out")),
        vec!["e.tar.gz"],
        "no temporary files left"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&c.path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let all = members(&c.path);
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec![
            MANIFEST,
            "host.json",
            "processes.json",
            "sockets.json",
            "inventory.json",
            "lockfiles/svc/requirements.txt",
            "logs/app.log",
            "logs/app.log.2",
        ]
    );
    // The manifest lists every other member with its hash, and is what was hashed.
    let manifest: serde_json::Value = serde_json::from_slice(&all[0].1).unwrap();
    assert_eq!(manifest["schema"], "cverun.evidence-manifest/2");
    assert_eq!(manifest["members"].as_array().unwrap().len(), 7);
    assert_eq!(c.manifest_sha256.len(), 64);
    let big = std::fs::read(f.path("logs/b/app.log")).unwrap();
    assert_eq!(all[7].1, big, "logs are copied byte for byte");
    assert_eq!(manifest["members"][6]["size"], big.len() as u64);
    let inv: serde_json::Value = serde_json::from_slice(&all[4].1).unwrap();
    assert_eq!(inv["manifests"][0]["path"], "svc/requirements.txt");
    assert_eq!(inv["manifests"][0]["packages"][0]["name"], "jinja2");
    assert_eq!(inv["python"][0]["distributions"][0]["version"], "2.10");
    let host: serde_json::Value = serde_json::from_slice(&all[1].1).unwrap();
    assert_eq!(host["incident"], "INC-2026-11-23-1");
    assert!(host["kernel"].is_string(), "{host}");
    let procs: serde_json::Value = serde_json::from_slice(&all[2].1).unwrap();
    let me = std::process::id();
    assert!(procs.as_array().unwrap().iter().any(|p| p["pid"] == me));

    let check = evidence::verify(&c.path).unwrap();
    assert_eq!(check.problems, Vec::<String>::new());
    assert_eq!(check.checked, 7);
    assert_eq!(
        check.manifest_sha256.as_deref(),
        Some(c.manifest_sha256.as_str())
    );
}

#[test]
fn verification_names_changed_missing_and_extra_members() {
    let f = Fixture::new();
    let c = evidence::collect(&f.options("out/e.tar.gz")).unwrap();
    let all = members(&c.path);

    let mut changed = all.clone();
    changed[6].1 = b"GET /index.html\n".to_vec();
    write_archive(&f.path("changed.tar.gz"), &changed);
    let p = evidence::verify(&f.path("changed.tar.gz"))
        .unwrap()
        .problems;
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("logs/app.log: content differs"), "{p:?}");

    let mut missing = all.clone();
    missing.remove(3);
    missing.push(("extra.txt".into(), b"planted".to_vec()));
    write_archive(&f.path("missing.tar.gz"), &missing);
    let p = evidence::verify(&f.path("missing.tar.gz"))
        .unwrap()
        .problems;
    assert_eq!(
        p,
        vec![
            "sockets.json: listed in the manifest but missing".to_owned(),
            "extra.txt: in the archive but not in the manifest".to_owned()
        ]
    );

    // A manifest edited to match a changed member no longer has the recorded hash.
    let mut forged = all.clone();
    forged[0].1 = String::from_utf8(forged[0].1.clone())
        .unwrap()
        .replace("alice", "mallory")
        .into_bytes();
    write_archive(&f.path("forged.tar.gz"), &forged);
    let check = evidence::verify(&f.path("forged.tar.gz")).unwrap();
    assert!(check.problems.is_empty());
    assert_ne!(
        check.manifest_sha256.as_deref(),
        Some(c.manifest_sha256.as_str())
    );

    std::fs::write(f.path("junk.tar.gz"), b"not an archive").unwrap();
    let e = evidence::verify(&f.path("junk.tar.gz")).unwrap_err();
    assert!(
        e.to_string().contains("is not a readable .tar.gz archive"),
        "{e}"
    );
    write_archive(&f.path("empty.tar.gz"), &[]);
    let p = evidence::verify(&f.path("empty.tar.gz")).unwrap().problems;
    assert_eq!(p, vec!["no MANIFEST.json in the archive".to_owned()]);
}

#[test]
fn failures_leave_nothing_behind() {
    let f = Fixture::new();
    let mut o = f.options("out/e.tar.gz");
    o.logs.push(f.path("logs/missing.log"));
    let e = evidence::collect(&o).unwrap_err();
    assert!(e.to_string().contains("logs/missing.log"), "{e}");
    assert!(
        leftovers(&f.path("out")).is_empty(),
        "{:?}",
        leftovers(&f.path("out"))
    );

    std::fs::write(f.path("out/taken.tar.gz"), b"earlier evidence").unwrap();
    let e = evidence::collect(&f.options("out/taken.tar.gz")).unwrap_err();
    assert!(e.to_string().contains("never overwritten"), "{e}");
    assert_eq!(
        std::fs::read(f.path("out/taken.tar.gz")).unwrap(),
        b"earlier evidence"
    );

    let e = evidence::collect(&f.options("nowhere/e.tar.gz")).unwrap_err();
    assert!(e.to_string().contains("does not exist"), "{e}");
    let mut o = f.options("out/x.tar.gz");
    o.site_packages = vec![f.path("no-such-site-packages")];
    assert!(evidence::collect(&o).is_err());
    assert_eq!(leftovers(&f.path("out")), vec!["taken.tar.gz"]);
}

#[test]
fn the_manifest_hash_is_recorded_in_the_timeline() {
    let f = Fixture::new();
    let now = "2026-11-23T12:00:00Z".parse().unwrap();
    let mut store = Store::sqlite(
        &f.path("state/incidents.sqlite3"),
        cverun_incident::Clock::Simulated(now),
        cverun_incident::Keyring::new(
            Some(cverun_incident::Key::from_bytes(vec![1; 32]).unwrap()),
            vec![],
        ),
    )
    .unwrap();
    let d = Declaration {
        advisory: "CVE-2021-44228".into(),
        priority: AssignedPriority::declared_by(Priority::P0, "alice"),
        title: None,
        description: None,
        commander: None,
        services: vec![],
        published: None,
        detected: None,
        aliases: Vec::new(),
        scope: None,
        duplicate: None,
    };
    let id = store
        .declare(&d, &Runbook::default(), "alice")
        .unwrap()
        .incident
        .id;
    let c = evidence::collect_and_record(&mut store, &f.options("out/e.tar.gz")).unwrap();
    let inc = store.load(&id).unwrap().state.unwrap();
    assert_eq!(inc.evidence.len(), 1);
    assert_eq!(inc.evidence[0].manifest_sha256, c.manifest_sha256);
    assert_eq!(inc.evidence[0].file, "e.tar.gz");
    assert_eq!(inc.evidence[0].members, 7);

    // No incident: nothing is collected.
    let mut o = f.options("out/other.tar.gz");
    o.incident = "INC-2026-11-23-9".into();
    let e = evidence::collect_and_record(&mut store, &o).unwrap_err();
    assert!(
        e.to_string().contains("no incident INC-2026-11-23-9"),
        "{e}"
    );
    assert!(!f.path("out/other.tar.gz").exists());
    // The record is refused (the actor is empty): the archive is removed again.
    let mut o = f.options("out/third.tar.gz");
    o.actor = " ".into();
    assert!(evidence::collect_and_record(&mut store, &o).is_err());
    assert!(!f.path("out/third.tar.gz").exists());
    assert_eq!(store.load(&id).unwrap().events.len(), 2);
}

#[cfg(unix)]
#[test]
fn a_link_member_is_verified_by_its_target() {
    let f = Fixture::new();
    std::os::unix::fs::symlink("/etc/shadow", f.path("logs/shadow.log")).unwrap();
    let mut o = f.options("out/e.tar.gz");
    o.logs = vec![f.path("logs/shadow.log")];
    let c = evidence::collect(&o).unwrap();
    let link = c.manifest.members.last().unwrap();
    assert_eq!(
        (link.path.as_str(), link.link.as_deref(), link.size),
        ("logs/shadow.log", Some("/etc/shadow"), 0)
    );
    assert_eq!(c.manifest.redaction.verbatim, ["logs/shadow.log"]);
    assert!(evidence::verify(&c.path).unwrap().problems.is_empty());

    // The same archive with the link pointing elsewhere.
    let file = std::fs::File::open(&c.path).unwrap();
    let mut a = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().into_owned();
        let mut h = e.header().clone();
        if h.entry_type().is_symlink() {
            b.append_link(&mut h, &name, "/etc/passwd").unwrap();
        } else {
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            b.append_data(&mut h, &name, &data[..]).unwrap();
        }
    }
    std::fs::write(
        f.path("relinked.tar.gz"),
        b.into_inner().unwrap().finish().unwrap(),
    )
    .unwrap();
    let p = evidence::verify(&f.path("relinked.tar.gz"))
        .unwrap()
        .problems;
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with("logs/shadow.log: content differs"),
        "{p:?}"
    );
}
