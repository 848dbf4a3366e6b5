//! Fix options: how a vulnerable package version can be left behind.
//!
//! Candidates are the versions the package's advisories name (`fixed` events and
//! listed `versions`); each is evaluated against *all* of the package's advisories,
//! so the minimal safe version is safe from every known advisory, not only the one
//! being fixed. A pre-release candidate (RustSec's `0.3.1-0` bound) stands for its
//! release unless the installed version is itself a pre-release. Versions nobody
//! names in an advisory are unknown here: the answer is the smallest *known* safe
//! version, which a registry may improve on but never contradicts.

use cverun_versions::{Ecosystem, SchemeKind, Version};
use serde::Serialize;

use crate::{Candidate, Event, PackageMatcher, Verdict};

/// How a vulnerable package can be fixed, from what the advisories know.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FixOptions {
    /// The smallest known version above the installed one that no advisory affects
    /// (informational advisories aside): `None` when no known version is safe.
    pub minimal_safe: Option<String>,
    /// Whether reaching `minimal_safe` crosses a major version (`None`: unknown).
    pub breaking: Option<bool>,
    /// The largest known version below the installed one that no advisory affects.
    pub rollback: Option<String>,
}

/// The fix options of one installed version, given all of the package's advisories.
pub fn fix_options(
    ecosystem: &Ecosystem,
    scheme: SchemeKind,
    installed: &str,
    candidates: &[Candidate],
) -> FixOptions {
    FixFinder::new(ecosystem, scheme, candidates).options(installed)
}

/// Fix options for many installed versions of one package: the candidate versions
/// are parsed, the advisories compiled and each candidate judged once.
pub struct FixFinder {
    ecosystem: Ecosystem,
    scheme: SchemeKind,
    matcher: PackageMatcher,
    /// Candidates as written, sorted by version; pre-releases kept.
    with_pre: Vec<(Version, String)>,
    /// Candidates with pre-releases standing for their release.
    releases: Vec<(Version, String)>,
    /// Whether each candidate string is safe, once judged.
    judged: std::cell::RefCell<std::collections::HashMap<String, bool>>,
}

impl FixFinder {
    /// Prepares the candidates of one package's advisories.
    pub fn new(ecosystem: &Ecosystem, scheme: SchemeKind, candidates: &[Candidate]) -> FixFinder {
        let mut with_pre: Vec<(Version, String)> = Vec::new();
        let mut releases: Vec<(Version, String)> = Vec::new();
        let mut add = |s: &str| {
            let Ok(v) = Version::parse(scheme, s) else {
                return;
            };
            if v.is_prerelease() {
                // A pre-release bound (RustSec's `0.3.1-0`) stands for its release.
                if let Some(release) = s.split_once('-').map(|(r, _)| r) {
                    if let Ok(rv) = Version::parse(scheme, release) {
                        if !rv.is_prerelease() {
                            releases.push((rv, release.to_owned()));
                        }
                    }
                }
            } else {
                releases.push((v.clone(), s.to_owned()));
            }
            with_pre.push((v, s.to_owned()));
        };
        for c in candidates {
            for e in &c.entries {
                for s in &e.versions {
                    add(s);
                }
                for r in &e.ranges {
                    for ev in &r.events {
                        if let Event::Fixed(s) = ev {
                            add(s);
                        }
                    }
                }
            }
        }
        for list in [&mut with_pre, &mut releases] {
            list.sort_by(|a, b| a.0.cmp(&b.0));
            list.dedup_by(|a, b| a.0 == b.0);
        }
        FixFinder {
            ecosystem: ecosystem.clone(),
            scheme,
            matcher: PackageMatcher::new(ecosystem, candidates),
            with_pre,
            releases,
            judged: Default::default(),
        }
    }

    /// Whether no advisory (informational ones aside) affects `s`.
    fn safe(&self, s: &str) -> bool {
        if let Some(&v) = self.judged.borrow().get(s) {
            return v;
        }
        let v = self
            .matcher
            .evaluate(s)
            .iter()
            .all(|h| h.informational.is_some() && matches!(h.verdict, Verdict::Affected(_)));
        self.judged.borrow_mut().insert(s.to_owned(), v);
        v
    }

    /// The fix options of `installed`.
    pub fn options(&self, installed: &str) -> FixOptions {
        let Ok(current) = Version::parse(self.scheme, installed) else {
            return FixOptions::default();
        };
        // Pre-releases are candidates only for an installed pre-release.
        let known = if current.is_prerelease() {
            &self.with_pre
        } else {
            &self.releases
        };
        let above = known.partition_point(|(v, _)| *v <= current);
        let below = known.partition_point(|(v, _)| *v < current);
        let minimal_safe = known[above..]
            .iter()
            .find(|(_, s)| self.safe(s))
            .map(|(_, s)| s.clone());
        let rollback = known[..below]
            .iter()
            .rev()
            .find(|(_, s)| self.safe(s))
            .map(|(_, s)| s.clone());
        let breaking = minimal_safe
            .as_deref()
            .and_then(|s| Version::parse(self.scheme, s).ok())
            .and_then(|to| current.breaking_to(&to));
        // Go advisories write versions without the `v` that go.mod needs.
        let spell = |v: String| {
            if self.ecosystem == Ecosystem::Go && installed.starts_with('v') && !v.starts_with('v')
            {
                format!("v{v}")
            } else {
                v
            }
        };
        FixOptions {
            minimal_safe: minimal_safe.map(spell),
            breaking,
            rollback: rollback.map(spell),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::from_value;
    use serde_json::{Value, json};

    fn candidate(id: &str, eco: &str, ranges: Value, versions: Value) -> Candidate {
        let a = from_value(json!({
            "id": id, "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": eco, "name": "pkg"},
                          "ranges": ranges, "versions": versions}]
        }))
        .expect("valid record")
        .advisory;
        Candidate {
            id: a.id.clone(),
            withdrawn: false,
            entries: a.affected,
        }
    }

    fn semver(events: Value) -> Value {
        json!([{"type": "SEMVER", "events": events}])
    }

    fn options(eco: &str, installed: &str, cs: &[Candidate]) -> FixOptions {
        let e = Ecosystem::from_osv(eco);
        fix_options(&e, e.scheme().unwrap(), installed, cs)
    }

    #[test]
    fn smallest_version_safe_from_every_advisory() {
        // A is fixed in 1.2.3, but B affects 1.2.3 up to 1.2.5: the safe version is
        // 1.2.5, a patch upgrade; nothing below 1.0.0 is known, so no rollback.
        let cs = [
            candidate(
                "A",
                "crates.io",
                semver(json!([{"introduced": "1.0.0"}, {"fixed": "1.2.3"}])),
                json!([]),
            ),
            candidate(
                "B",
                "crates.io",
                semver(json!([{"introduced": "1.2.0"}, {"fixed": "1.2.5"}])),
                json!([]),
            ),
        ];
        let f = options("crates.io", "1.1.0", &cs);
        assert_eq!(f.minimal_safe.as_deref(), Some("1.2.5"));
        assert_eq!(f.breaking, Some(false));
        assert_eq!(f.rollback, None);
    }

    #[test]
    fn breaking_and_rollback() {
        // Affected from 2.0.0, fixed only in 3.0.0: a major upgrade, or back to the
        // 1.9.0 that an older advisory's fix names.
        let cs = [
            candidate(
                "A",
                "PyPI",
                json!([{"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"fixed": "3.0"}]}]),
                json!([]),
            ),
            candidate(
                "OLD",
                "PyPI",
                json!([{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.9.0"}]}]),
                json!([]),
            ),
        ];
        let f = options("PyPI", "2.5", &cs);
        assert_eq!(f.minimal_safe.as_deref(), Some("3.0"));
        assert_eq!(f.breaking, Some(true));
        assert_eq!(f.rollback.as_deref(), Some("1.9.0"));
    }

    #[test]
    fn no_fix_no_safe_version() {
        let cs = [candidate(
            "A",
            "npm",
            semver(json!([{"introduced": "0"}])),
            json!([]),
        )];
        assert_eq!(options("npm", "4.17.20", &cs), FixOptions::default());
    }

    #[test]
    fn caret_rule_for_zero_major() {
        let cs = [candidate(
            "A",
            "crates.io",
            semver(json!([{"introduced": "0"}, {"fixed": "0.3.0"}])),
            json!([]),
        )];
        let f = options("crates.io", "0.2.9", &cs);
        assert_eq!(
            (f.minimal_safe.as_deref(), f.breaking),
            (Some("0.3.0"), Some(true))
        );
    }

    #[test]
    fn prerelease_bound_stands_for_its_release() {
        let cs = [candidate(
            "A",
            "crates.io",
            semver(json!([{"introduced": "0"}, {"fixed": "0.3.1-0"}])),
            json!([]),
        )];
        let f = options("crates.io", "0.3.0", &cs);
        assert_eq!(
            (f.minimal_safe.as_deref(), f.breaking),
            (Some("0.3.1"), Some(false))
        );
    }

    #[test]
    fn go_versions_keep_their_v() {
        let cs = [candidate(
            "A",
            "Go",
            semver(json!([{"introduced": "0"}, {"fixed": "0.17.0"}])),
            json!([]),
        )];
        assert_eq!(
            options("Go", "v0.7.0", &cs).minimal_safe.as_deref(),
            Some("v0.17.0")
        );
        // The toolchain is written without one.
        assert_eq!(
            options("Go", "0.7.0", &cs).minimal_safe.as_deref(),
            Some("0.17.0")
        );
    }

    #[test]
    fn unparsable_installed_version_knows_nothing() {
        let cs = [candidate(
            "A",
            "crates.io",
            semver(json!([{"introduced": "0"}, {"fixed": "1.0.0"}])),
            json!([]),
        )];
        assert_eq!(
            options("crates.io", "not-a-version", &cs),
            FixOptions::default()
        );
    }

    #[test]
    fn listed_versions_are_candidates_too() {
        // Only a versions list: 1.0 and 1.1 affected; the other listed version of a
        // second advisory's fix (1.2) is safe.
        let cs = [
            candidate("A", "PyPI", json!([]), json!(["1.0", "1.1"])),
            candidate(
                "B",
                "PyPI",
                json!([{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2"}]}]),
                json!([]),
            ),
        ];
        let f = options("PyPI", "1.0", &cs);
        assert_eq!(f.minimal_safe.as_deref(), Some("1.2"));
    }
}
