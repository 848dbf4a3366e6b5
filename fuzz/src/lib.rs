//! Shared checks for the fuzz targets under `fuzz_targets/`.
//!
//! Every target feeds arbitrary bytes to one reader of the library and asserts
//! invariants that are cheap to check; a panic (ours or the library's) is a finding.
//! See docs/fuzzing.md.

use std::cmp::Ordering;
use std::path::Path;

use cverun_inventory::{FileKind, Files, ParseError, Parsed, Pin};
use cverun_osv::record::ParsedRecord;
use cverun_osv::{Candidate, PackageMatcher, Verdict};
use cverun_versions::{SchemeKind, Version};

/// Files for parsers that follow includes or read a sibling: there are none.
pub struct NoFiles;

impl Files for NoFiles {
    fn read(&self, _path: &Path) -> std::io::Result<String> {
        Err(std::io::Error::from(std::io::ErrorKind::NotFound))
    }
}

/// The text a reader sees for `data`: invalid UTF-8 replaced, as a user's file
/// would be refused before parsing.
pub fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// The highest 1-based line a position in `text` can have.
pub fn max_line(text: &str) -> u32 {
    u32::try_from(text.bytes().filter(|&b| b == b'\n').count() + 1).unwrap_or(u32::MAX)
}

/// Asserts that `line`, when present, is a line of `text`.
pub fn check_line(what: &str, line: Option<u32>, text: &str) {
    if let Some(l) = line {
        let max = max_line(text);
        assert!((1..=max).contains(&l), "{what}: line {l} outside 1..={max}");
    }
}

/// Parses `data` as `kind` (the content of a file named `file_name`) twice and
/// checks the result.
pub fn inventory(kind: FileKind, file_name: &str, data: &[u8]) {
    let text = text(data);
    let path = Path::new(file_name);
    assert_eq!(
        FileKind::detect(path),
        Some(kind),
        "{file_name} is not detected as {kind:?}"
    );
    let first = cverun_inventory::parse_text(kind, path, &text, &NoFiles);
    let again = cverun_inventory::parse_text(kind, path, &text, &NoFiles);
    assert_eq!(first, again, "parsing twice gave different results");
    match &first {
        Ok(parsed) => check_parsed(parsed, path, &text),
        Err(e) => check_error(e, path, &text),
    }
}

fn check_parsed(parsed: &Parsed, path: &Path, text: &str) {
    for p in &parsed.packages {
        check_line(&format!("package {}", p.name), p.line, text);
        assert!(
            !p.name.trim().is_empty(),
            "package with an empty name: {p:?}"
        );
        if let Pin::Exact(v) = &p.pin {
            assert!(
                !v.trim().is_empty(),
                "package {} with an empty exact version",
                p.name
            );
        }
        assert!(
            p.file.is_none(),
            "package {} from another file, but none can be read",
            p.name
        );
    }
    for w in &parsed.warnings {
        assert_eq!(w.path, path, "warning for another file: {w:?}");
        check_line(&format!("warning {:?}", w.message), w.line, text);
        assert!(!w.message.trim().is_empty(), "warning without a message");
    }
}

fn check_error(e: &ParseError, path: &Path, text: &str) {
    assert_eq!(e.path, path, "error for another file: {e:?}");
    check_line(&format!("error {:?}", e.message), e.line, text);
    assert!(!e.message.trim().is_empty(), "error without a message");
}

/// Versions every decoded OSV record is evaluated against.
const PROBE_VERSIONS: [&str; 5] = ["0", "1.0.0", "0.0.0-0", "v1.2.3", "2.0.0rc1"];

/// Reads `data` as an OSV record; when it is one, evaluates its ranges.
pub fn osv_record(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        assert!(cverun_osv::record::parse_record(data).is_err());
        return;
    };
    let first = cverun_osv::record::from_value(value.clone());
    let again = cverun_osv::record::parse_record(data);
    match (&first, &again) {
        (Ok(a), Ok(b)) => {
            assert_eq!(
                a.advisory, b.advisory,
                "reading twice gave different records"
            );
            assert_eq!(
                a.problems, b.problems,
                "reading twice gave different problems"
            );
        }
        (Err(a), Err(b)) => assert_eq!(a, b, "reading twice gave different errors"),
        _ => panic!("reading twice: one succeeded, one failed"),
    }
    if let Ok(record) = first {
        evaluate(&record);
    }
}

fn evaluate(record: &ParsedRecord) {
    let advisory = &record.advisory;
    let withdrawn = advisory.is_withdrawn();
    for entry in &advisory.affected {
        let candidate = Candidate {
            id: advisory.id.clone(),
            withdrawn,
            entries: vec![entry.clone()],
        };
        let matcher = PackageMatcher::new(&entry.ecosystem, std::slice::from_ref(&candidate));
        assert_eq!(matcher.is_empty(), withdrawn);
        let event_versions = entry
            .ranges
            .iter()
            .flat_map(|r| r.events.iter().map(|e| e.version()));
        for version in PROBE_VERSIONS.into_iter().chain(event_versions) {
            let hits = matcher.evaluate(version);
            assert!(hits.len() <= 1, "{} hits for one candidate", hits.len());
            for hit in &hits {
                assert_eq!(hit.candidate, 0);
                match &hit.verdict {
                    Verdict::Affected(m) => assert!(!m.is_empty(), "affected, but no match"),
                    Verdict::Unverifiable(r) => {
                        assert!(!r.is_empty(), "unverifiable, but no reason")
                    }
                }
            }
            assert!(
                !withdrawn || hits.is_empty(),
                "a withdrawn advisory matched"
            );
            assert_eq!(hits, matcher.evaluate(version), "evaluating twice differed");
        }
        // A version listed in `versions` is affected: compared as strings first.
        if !withdrawn {
            for listed in &entry.versions {
                let hits = matcher.evaluate(listed);
                assert!(
                    matches!(hits.first().map(|h| &h.verdict), Some(Verdict::Affected(_))),
                    "listed version {listed:?} is not affected: {hits:?}"
                );
            }
        }
    }
}

/// Every version scheme.
const SCHEMES: [SchemeKind; 7] = [
    SchemeKind::Pep440,
    SchemeKind::SemVer,
    SchemeKind::Go,
    SchemeKind::RubyGems,
    SchemeKind::Maven,
    SchemeKind::NuGet,
    SchemeKind::Packagist,
];

/// Splits `data` at its first newline into two versions and parses and compares
/// them in every scheme.
pub fn versions(data: &[u8]) {
    let text = text(data);
    let (a, b) = text.split_once('\n').unwrap_or((&text, ""));
    for scheme in SCHEMES {
        let pa = Version::parse(scheme, a);
        let pb = Version::parse(scheme, b);
        assert_eq!(pa, Version::parse(scheme, a), "parsing twice differed");
        if let Ok(v) = &pa {
            assert_eq!(v.scheme(), scheme);
            assert_eq!(
                v.cmp_same(v),
                Some(Ordering::Equal),
                "{a:?} is not equal to itself"
            );
            let _ = v.is_prerelease();
        }
        let ab = cverun_versions::compare(scheme, a, b);
        let ba = cverun_versions::compare(scheme, b, a);
        match (&pa, &pb) {
            (Ok(va), Ok(vb)) => {
                let ord = va.cmp_same(vb).expect("same scheme");
                assert_eq!(ab.as_ref().ok(), Some(&ord), "compare disagrees with parse");
                assert_eq!(
                    ba.as_ref().ok(),
                    Some(&ord.reverse()),
                    "compare is not antisymmetric"
                );
                let _ = va.breaking_to(vb);
            }
            _ => {
                assert!(
                    ab.is_err() && ba.is_err(),
                    "compare accepted what parse refused"
                );
            }
        }
    }
}

/// Reads `data` as a cverun.toml twice and checks the result.
pub fn scan_config(data: &[u8]) {
    let text = text(data);
    let path = Path::new("cverun.toml");
    let first = cverun_scan::config::parse(path, &text);
    assert_eq!(
        first,
        cverun_scan::config::parse(path, &text),
        "parsing twice differed"
    );
    match first {
        Ok(config) => {
            for s in &config.services {
                check_line(&format!("service {}", s.name), Some(s.line), &text);
                assert!(
                    !s.path.is_absolute(),
                    "service {} has an absolute path",
                    s.name
                );
                assert!(
                    s.path
                        .components()
                        .all(|c| matches!(c, std::path::Component::Normal(_))),
                    "service {} path {:?} is not normalised",
                    s.name,
                    s.path
                );
            }
        }
        Err(e) => {
            assert_eq!(e.path, path);
            check_line("error", e.line, &text);
        }
    }
}

/// Reads `data` as a triage policy twice and checks the result; a policy read
/// back from its own serialisation is the same policy.
pub fn policy(data: &[u8]) {
    use cverun_triage::policy::Policy;
    let text = text(data);
    let path = Path::new("cverun-policy.toml");
    let first = Policy::parse(path, &text);
    assert_eq!(first, Policy::parse(path, &text), "parsing twice differed");
    match first {
        Ok(policy) => {
            let written = toml::to_string(&policy).expect("a policy serialises");
            let back = Policy::parse(path, &written)
                .unwrap_or_else(|e| panic!("written policy does not read back: {e}\n{written}"));
            assert_eq!(back, policy, "policy changed through its serialisation");
        }
        Err(e) => {
            assert_eq!(e.path, path);
            check_line("error", e.line, &text);
        }
    }
}

/// Reads `data` as an exceptions file and as a section of another file.
pub fn exceptions(data: &[u8]) {
    use cverun_triage::exceptions::Exceptions;
    let text = text(data);
    let path = Path::new("cverun-exceptions.toml");
    for read in [Exceptions::parse, Exceptions::parse_section] {
        let first = read(path, &text);
        assert_eq!(first, read(path, &text), "parsing twice differed");
        match first {
            Ok(ex) => {
                for e in &ex.entries {
                    assert_eq!(e.path, path);
                    check_line(&format!("exception {}", e.id), Some(e.line), &text);
                    if e.id.is_empty() {
                        assert!(
                            !e.problems.is_empty(),
                            "exception without id and no problem"
                        );
                    }
                }
            }
            Err(e) => {
                assert_eq!(e.path, path);
                check_line("error", e.line, &text);
            }
        }
    }
}

/// Reads `data` as an incident runbook twice; a runbook read back from its own
/// TOML is the same runbook.
pub fn runbook(data: &[u8]) {
    use cverun_incident::Runbook;
    let text = text(data);
    let path = Path::new("runbook.toml");
    let first = Runbook::from_toml(path, &text);
    assert_eq!(
        first,
        Runbook::from_toml(path, &text),
        "parsing twice differed"
    );
    match first {
        Ok(rb) => {
            let written = rb.to_toml();
            let back = Runbook::from_toml(path, &written)
                .unwrap_or_else(|e| panic!("written runbook does not read back: {e}\n{written}"));
            assert_eq!(back, rb, "runbook changed through its TOML");
        }
        Err(e) => {
            assert_eq!(e.path, path);
            check_line("error", e.line, &text);
        }
    }
}
