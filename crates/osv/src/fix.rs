//! Fix options: how a vulnerable package version can be left behind.
//!
//! Candidates are the versions the package's advisories name (`fixed` events and
//! listed `versions`); each is evaluated against *all* of the package's advisories,
//! so the minimal safe version is safe from every known advisory, not only the one
//! being fixed. A pre-release candidate (RustSec's `0.3.1-0` bound) stands for its
//! release unless the installed version is itself a pre-release. Versions nobody
//! names in an advisory are unknown here: the answer is the smallest *known* safe
//! version, which a registry may improve on but never contradicts.
//!
//! [`FixFinder::plan`] also gives each advisory its *own* fix (the smallest known
//! version above the installed one that this advisory alone does not affect), the
//! records that contradict themselves (a version both `fixed` and affected), and,
//! when no known version is safe from every advisory, the partial upgrade that
//! fixes the most of them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use cverun_versions::{Ecosystem, SchemeKind, Version, upgrade};
use serde::Serialize;

use crate::{Candidate, Event, PackageMatcher, Verdict};

/// How a vulnerable package can be fixed, from what the advisories know.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FixOptions {
    /// The smallest known version above the installed one that no advisory affects
    /// (informational advisories aside): `None` when no known version is safe.
    pub minimal_safe: Option<String>,
    /// Whether reaching `minimal_safe` is a breaking upgrade (`None`: unknown); see
    /// `cverun_versions::upgrade` for the rule of each scheme.
    pub breaking: Option<bool>,
    /// What kind of upgrade reaching `minimal_safe` is, when the numbers alone
    /// mislead: `Go toolchain upgrade 1.15 -> 1.25`, calendar versions.
    pub note: Option<String>,
    /// The largest known version below the installed one that no advisory affects.
    pub rollback: Option<String>,
    /// When no known version above is safe from every advisory but some version
    /// fixes some of them: the one that fixes the most.
    pub partial: Option<PartialUpgrade>,
}

/// The best upgrade when none fixes every advisory: the known version above the
/// installed one that fixes the most of the advisories affecting it (then: the one
/// bringing the fewest new ones, then the smallest).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PartialUpgrade {
    /// The version.
    pub version: String,
    /// Whether reaching it is a breaking upgrade (`None`: unknown).
    pub breaking: Option<bool>,
    /// What kind of upgrade it is, as [`FixOptions::note`].
    pub note: Option<String>,
    /// The advisories affecting the installed version that it fixes.
    pub fixes: Vec<String>,
    /// The advisories affecting the installed version that still affect it.
    pub leaves: Vec<String>,
    /// Advisories that affect it but not the installed version (records), if any.
    pub introduces: Vec<String>,
}

/// The smallest upgrade fixing chosen advisories ([`FixFinder::upgrade_fixing`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TargetedUpgrade {
    /// The version.
    pub version: String,
    /// Whether reaching it is a breaking upgrade (`None`: unknown).
    pub breaking: Option<bool>,
    /// What kind of upgrade it is, as [`FixOptions::note`].
    pub note: Option<String>,
    /// The groups affecting the installed version that it fixes.
    pub fixes: Vec<String>,
    /// The groups affecting the installed version that still affect it.
    pub leaves: Vec<String>,
    /// Records that affect it but not the installed version.
    pub introduces: Vec<String>,
}

/// One advisory (a finding: one or more records of one vulnerability) to find the
/// own fix of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixGroup {
    /// The id it is known by (a finding's primary id).
    pub id: String,
    /// Its records.
    pub records: Vec<String>,
}

/// The fix of one advisory alone, for one installed version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OwnFix {
    /// The smallest known version above the installed one that this advisory does
    /// not affect (whatever the package's other advisories say); `None` when none.
    pub version: Option<String>,
    /// Whether reaching it is a breaking upgrade (`None`: unknown).
    pub breaking: Option<bool>,
    /// What kind of upgrade it is, as [`FixOptions::note`].
    pub note: Option<String>,
    /// Records of this advisory that contradict themselves about a version at or
    /// above the installed one.
    pub contradictions: Vec<Contradiction>,
}

/// A record that names a version as its fix and also finds it affected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Contradiction {
    /// The record.
    pub record: String,
    /// The version it contradicts itself about.
    pub version: String,
    /// What it says, in a sentence.
    pub message: String,
}

/// Fix options of one installed version and the own fix of each of its advisories.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FixPlan {
    /// The package's fix options (all advisories).
    pub options: FixOptions,
    /// The own fix of each group asked for, in the order asked.
    pub own: Vec<OwnFix>,
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
    /// The package name, for the upgrade rule (`""`: unknown).
    package: String,
    matcher: PackageMatcher,
    /// Record id of each candidate advisory.
    ids: Vec<String>,
    /// `fixed` event versions of each candidate advisory.
    fixed: Vec<Vec<String>>,
    /// Candidates as written, sorted by version; pre-releases kept.
    with_pre: Vec<(Version, String)>,
    /// Candidates with pre-releases standing for their release.
    releases: Vec<(Version, String)>,
    /// The candidate advisories affecting each version string (informational ones
    /// aside; undecidable ones included), once judged.
    judged: RefCell<HashMap<String, Rc<Vec<usize>>>>,
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
        let mut fixed: Vec<Vec<String>> = Vec::with_capacity(candidates.len());
        for c in candidates {
            let mut own: Vec<String> = Vec::new();
            for e in &c.entries {
                for s in &e.versions {
                    add(s);
                }
                for r in &e.ranges {
                    for ev in &r.events {
                        if let Event::Fixed(s) = ev {
                            add(s);
                            if !own.contains(s) {
                                own.push(s.clone());
                            }
                        }
                    }
                }
            }
            fixed.push(own);
        }
        for list in [&mut with_pre, &mut releases] {
            list.sort_by(|a, b| a.0.cmp(&b.0));
            list.dedup_by(|a, b| a.0 == b.0);
        }
        FixFinder {
            ecosystem: ecosystem.clone(),
            scheme,
            package: String::new(),
            matcher: PackageMatcher::new(ecosystem, candidates),
            ids: candidates.iter().map(|c| c.id.clone()).collect(),
            fixed,
            with_pre,
            releases,
            judged: Default::default(),
        }
    }

    /// Names the package, so the upgrade rule knows the Go toolchain (`stdlib`,
    /// `toolchain`) from a module.
    pub fn package(mut self, name: &str) -> FixFinder {
        self.package = name.to_owned();
        self
    }

    /// The candidate advisories affecting `s` (informational ones aside; an
    /// advisory that cannot decide counts as affecting).
    fn affecting(&self, s: &str) -> Rc<Vec<usize>> {
        if let Some(v) = self.judged.borrow().get(s) {
            return v.clone();
        }
        let v: Rc<Vec<usize>> = Rc::new(
            self.matcher
                .evaluate(s)
                .iter()
                .filter(|h| {
                    !(h.informational.is_some() && matches!(h.verdict, Verdict::Affected(_)))
                })
                .map(|h| h.candidate)
                .collect(),
        );
        self.judged.borrow_mut().insert(s.to_owned(), v.clone());
        v
    }

    /// Whether no advisory (informational ones aside) affects `s`.
    fn safe(&self, s: &str) -> bool {
        self.affecting(s).is_empty()
    }

    /// The fix options of `installed`.
    pub fn options(&self, installed: &str) -> FixOptions {
        self.plan(installed, &[]).options
    }

    /// The fix options of `installed` and the own fix of each of `groups` (the
    /// advisories affecting it, as findings group them; when empty, every record
    /// affecting `installed` is its own group for the partial upgrade).
    pub fn plan(&self, installed: &str, groups: &[FixGroup]) -> FixPlan {
        let Ok(current) = Version::parse(self.scheme, installed) else {
            return FixPlan {
                options: FixOptions::default(),
                own: vec![OwnFix::default(); groups.len()],
            };
        };
        // Pre-releases are candidates only for an installed pre-release.
        let known = if current.is_prerelease() {
            &self.with_pre
        } else {
            &self.releases
        };
        let above = known.partition_point(|(v, _)| *v <= current);
        let below = known.partition_point(|(v, _)| *v < current);
        let minimal_safe = known[above..].iter().find(|(_, s)| self.safe(s));
        let rollback = known[..below]
            .iter()
            .rev()
            .find(|(_, s)| self.safe(s))
            .map(|(_, s)| s.clone());
        let how = |to: &Version| upgrade(&self.ecosystem, &self.package, &current, to);
        // Go advisories write versions without the `v` that go.mod needs.
        let spell = |v: &str| {
            if self.ecosystem == Ecosystem::Go && installed.starts_with('v') && !v.starts_with('v')
            {
                format!("v{v}")
            } else {
                v.to_owned()
            }
        };

        // The groups: as asked, or every record affecting the installed version.
        let now = self.affecting(installed);
        let derived: Vec<FixGroup>;
        let groups_or_records: &[FixGroup] = if groups.is_empty() {
            derived = now
                .iter()
                .map(|&i| FixGroup {
                    id: self.ids[i].clone(),
                    records: vec![self.ids[i].clone()],
                })
                .collect();
            &derived
        } else {
            groups
        };
        let members: Vec<Vec<usize>> = groups_or_records
            .iter()
            .map(|g| {
                (0..self.ids.len())
                    .filter(|&i| g.records.iter().any(|r| *r == self.ids[i]))
                    .collect()
            })
            .collect();
        let hit = |members: &[usize], at: &[usize]| members.iter().any(|m| at.contains(m));

        let partial = if minimal_safe.is_none() {
            let open: Vec<usize> = (0..members.len())
                .filter(|&g| hit(&members[g], &now))
                .collect();
            // (fixed count, new advisories) of each candidate above; the best wins.
            let mut best: Option<(usize, usize, &(Version, String))> = None;
            for c in &known[above..] {
                let at = self.affecting(&c.1);
                let fixed = open.iter().filter(|&&g| !hit(&members[g], &at)).count();
                let new = at.iter().filter(|i| !now.contains(i)).count();
                let better = match best {
                    None => fixed > 0,
                    Some((f, n, _)) => fixed > f || (fixed == f && new < n),
                };
                if better {
                    best = Some((fixed, new, c));
                }
            }
            best.map(|(_, _, (v, s))| {
                let at = self.affecting(s);
                let u = how(v);
                let (fixes, leaves): (Vec<usize>, Vec<usize>) =
                    open.iter().partition(|&&g| !hit(&members[g], &at));
                let name = |g: usize| groups_or_records[g].id.clone();
                PartialUpgrade {
                    version: spell(s),
                    breaking: u.breaking,
                    note: u.note,
                    fixes: fixes.into_iter().map(name).collect(),
                    leaves: leaves.into_iter().map(name).collect(),
                    introduces: at
                        .iter()
                        .filter(|i| !now.contains(i))
                        .map(|&i| self.ids[i].clone())
                        .collect(),
                }
            })
        } else {
            None
        };

        let own = if groups.is_empty() {
            Vec::new()
        } else {
            members
                .iter()
                .map(|m| {
                    let to = known[above..]
                        .iter()
                        .find(|(_, s)| !hit(m, &self.affecting(s)));
                    let u = to.map(|(v, _)| how(v)).unwrap_or_default();
                    OwnFix {
                        version: to.map(|(_, s)| spell(s)),
                        breaking: u.breaking,
                        note: u.note,
                        contradictions: self.contradictions(m, &current),
                    }
                })
                .collect()
        };

        let (breaking, note) = match minimal_safe {
            Some((v, _)) => {
                let u = how(v);
                (u.breaking, u.note)
            }
            None => (None, None),
        };
        FixPlan {
            options: FixOptions {
                minimal_safe: minimal_safe.map(|(_, s)| spell(s)),
                breaking,
                note,
                rollback: rollback.as_deref().map(spell),
                partial,
            },
            own,
        }
    }

    /// The smallest known version above `installed` that none of the `targeted`
    /// groups affects (the other advisories may still affect it): the upgrade that
    /// fixes the advisories at hand and nothing more. With it, which groups it
    /// fixes and leaves, and the records affecting it that do not affect
    /// `installed`. `None` when no known version above fixes them all, or the
    /// installed version cannot be read.
    pub fn upgrade_fixing(
        &self,
        installed: &str,
        groups: &[FixGroup],
        targeted: &[bool],
    ) -> Option<TargetedUpgrade> {
        let current = Version::parse(self.scheme, installed).ok()?;
        let known = if current.is_prerelease() {
            &self.with_pre
        } else {
            &self.releases
        };
        let above = known.partition_point(|(v, _)| *v <= current);
        let members: Vec<Vec<usize>> = groups
            .iter()
            .map(|g| {
                (0..self.ids.len())
                    .filter(|&i| g.records.iter().any(|r| *r == self.ids[i]))
                    .collect()
            })
            .collect();
        let hit = |m: &[usize], at: &[usize]| m.iter().any(|i| at.contains(i));
        let now = self.affecting(installed);
        let chosen = known[above..].iter().find(|(_, s)| {
            let at = self.affecting(s);
            members
                .iter()
                .zip(targeted)
                .all(|(m, &t)| !t || !hit(m, &at))
        })?;
        let at = self.affecting(&chosen.1);
        let u = upgrade(&self.ecosystem, &self.package, &current, &chosen.0);
        let mut fixes = Vec::new();
        let mut leaves = Vec::new();
        for (g, m) in groups.iter().zip(&members) {
            if !hit(m, &now) {
                continue;
            }
            if hit(m, &at) {
                leaves.push(g.id.clone());
            } else {
                fixes.push(g.id.clone());
            }
        }
        let version = if self.ecosystem == Ecosystem::Go
            && installed.starts_with('v')
            && !chosen.1.starts_with('v')
        {
            format!("v{}", chosen.1)
        } else {
            chosen.1.clone()
        };
        Some(TargetedUpgrade {
            version,
            breaking: u.breaking,
            note: u.note,
            fixes,
            leaves,
            introduces: at
                .iter()
                .filter(|i| !now.contains(i))
                .map(|&i| self.ids[i].clone())
                .collect(),
        })
    }

    /// Records among `members` that name a version at or above `current` as fixed
    /// and also find it affected.
    fn contradictions(&self, members: &[usize], current: &Version) -> Vec<Contradiction> {
        let mut out = Vec::new();
        for &m in members {
            for f in &self.fixed[m] {
                let Ok(v) = Version::parse(self.scheme, f) else {
                    continue;
                };
                // The judged set first (cached); the verdict itself only then.
                if v < *current || !self.affecting(f).contains(&m) {
                    continue;
                }
                let Some(h) = self
                    .matcher
                    .evaluate(f)
                    .into_iter()
                    .find(|h| h.candidate == m)
                else {
                    continue;
                };
                let Verdict::Affected(how) = h.verdict else {
                    continue;
                };
                let why = if how.iter().any(|x| x.listed.is_some()) {
                    "lists it among its affected versions"
                } else {
                    "another of its ranges covers it"
                };
                out.push(Contradiction {
                    record: self.ids[m].clone(),
                    version: f.clone(),
                    message: format!(
                        "{} names {f} as a fixed version but {why}: the record contradicts itself",
                        self.ids[m]
                    ),
                });
            }
        }
        out
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
    fn upgrade_fixing_only_the_advisory_at_hand() {
        // A is fixed in 1.2.3, B affects 1.0.0 up to 1.2.5: asked for A alone, the
        // smallest upgrade is 1.2.3, which leaves B; asked for both, 1.2.5.
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
                semver(json!([{"introduced": "1.0.0"}, {"fixed": "1.2.5"}])),
                json!([]),
            ),
        ];
        let e = Ecosystem::from_osv("crates.io");
        let finder = FixFinder::new(&e, e.scheme().unwrap(), &cs);
        let groups = [
            FixGroup {
                id: "A".into(),
                records: vec!["A".into()],
            },
            FixGroup {
                id: "B".into(),
                records: vec!["B".into()],
            },
        ];
        let a = finder
            .upgrade_fixing("1.2.0", &groups, &[true, false])
            .unwrap();
        assert_eq!(a.version, "1.2.3");
        assert_eq!(
            (a.fixes, a.leaves),
            (vec!["A".to_owned()], vec!["B".to_owned()])
        );
        let both = finder
            .upgrade_fixing("1.2.0", &groups, &[true, true])
            .unwrap();
        assert_eq!(both.version, "1.2.5");
        assert!(both.leaves.is_empty());
        // No known version lies above 9.0.0: no upgrade to name.
        assert!(
            finder
                .upgrade_fixing("9.0.0", &groups, &[true, true])
                .is_none()
        );
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

    fn group(id: &str) -> FixGroup {
        FixGroup {
            id: id.into(),
            records: vec![id.into()],
        }
    }

    fn plan(eco: &str, installed: &str, cs: &[Candidate], groups: &[FixGroup]) -> FixPlan {
        let e = Ecosystem::from_osv(eco);
        FixFinder::new(&e, e.scheme().unwrap(), cs).plan(installed, groups)
    }

    #[test]
    fn own_fix_of_each_advisory() {
        // A is fixed in 1.1.0, B only in 1.5.0: A's own fix is 1.1.0, the package's
        // minimal safe version 1.5.0.
        let cs = [
            candidate(
                "A",
                "crates.io",
                semver(json!([{"introduced": "0"}, {"fixed": "1.1.0"}])),
                json!([]),
            ),
            candidate(
                "B",
                "crates.io",
                semver(json!([{"introduced": "0"}, {"fixed": "1.5.0"}])),
                json!([]),
            ),
        ];
        let p = plan("crates.io", "1.0.0", &cs, &[group("A"), group("B")]);
        assert_eq!(p.options.minimal_safe.as_deref(), Some("1.5.0"));
        assert_eq!(p.options.partial, None);
        assert_eq!(p.own[0].version.as_deref(), Some("1.1.0"));
        assert_eq!(p.own[0].breaking, Some(false));
        assert_eq!(p.own[1].version.as_deref(), Some("1.5.0"));
        assert!(p.own.iter().all(|o| o.contradictions.is_empty()));
    }

    #[test]
    fn partial_upgrade_fixes_the_most() {
        // A fixed in 1.1, B and C in 1.2, D never: 1.2 fixes three of four; E,
        // introduced in 1.3, makes 1.3 no better than 1.2.
        let cs = [
            candidate(
                "A",
                "PyPI",
                json!([{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1"}]}]),
                json!([]),
            ),
            candidate(
                "B",
                "PyPI",
                json!([{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2"}]}]),
                json!([]),
            ),
            candidate(
                "C",
                "PyPI",
                json!([{"type": "ECOSYSTEM", "events": [{"introduced": "0.5"}, {"fixed": "1.2"}]}]),
                json!([]),
            ),
            candidate(
                "D",
                "PyPI",
                json!([{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]),
                json!([]),
            ),
            candidate(
                "E",
                "PyPI",
                json!([{"type": "ECOSYSTEM", "events": [{"introduced": "1.3"}, {"fixed": "2.0"}]}]),
                json!([]),
            ),
        ];
        let groups = [group("A"), group("B"), group("C"), group("D")];
        let p = plan("PyPI", "1.0", &cs, &groups);
        assert_eq!(p.options.minimal_safe, None);
        let partial = p.options.partial.expect("a partial upgrade");
        assert_eq!(partial.version, "1.2");
        assert_eq!(partial.fixes, ["A", "B", "C"]);
        assert_eq!(partial.leaves, ["D"]);
        assert!(partial.introduces.is_empty());
        assert_eq!(partial.breaking, Some(false));
        assert_eq!(p.own[0].version.as_deref(), Some("1.1"));
        assert_eq!(p.own[3].version, None);
        // Without groups, the records affecting the installed version count.
        let o = plan("PyPI", "1.0", &cs, &[]).options;
        assert_eq!(o.partial.map(|p| p.version).as_deref(), Some("1.2"));
        // Nothing fixes anything: no partial upgrade.
        let p = plan("PyPI", "1.0", &cs[3..4], &[group("D")]);
        assert_eq!(p.options.partial, None);
    }

    #[test]
    fn a_record_contradicting_itself_is_named() {
        // Fixed in 23.9.0 by its range, but 23.9.0 is listed as affected: no own fix,
        // and the record is named.
        let cs = [candidate(
            "PYSEC-X",
            "PyPI",
            json!([{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "23.9.0"}]}]),
            json!(["1.4.0", "23.9.0"]),
        )];
        let p = plan("PyPI", "1.4.0", &cs, &[group("PYSEC-X")]);
        assert_eq!(p.own[0].version, None);
        assert_eq!(p.own[0].contradictions.len(), 1);
        let c = &p.own[0].contradictions[0];
        assert_eq!(
            (c.record.as_str(), c.version.as_str()),
            ("PYSEC-X", "23.9.0")
        );
        assert!(
            c.message.contains("lists it among its affected versions"),
            "{}",
            c.message
        );
        // Above the contradiction, there is nothing to say.
        let p = plan("PyPI", "24.0", &cs, &[group("PYSEC-X")]);
        assert!(p.own[0].contradictions.is_empty());
    }

    #[test]
    fn go_toolchain_upgrade_carries_a_note() {
        let cs = [candidate(
            "GO-1",
            "Go",
            semver(json!([{"introduced": "0"}, {"fixed": "1.25.13"}])),
            json!([]),
        )];
        let e = Ecosystem::Go;
        let f = FixFinder::new(&e, SchemeKind::Go, &cs).package("stdlib");
        let o = f.options("1.15");
        assert_eq!(o.minimal_safe.as_deref(), Some("1.25.13"));
        assert_eq!(o.breaking, Some(true));
        assert_eq!(o.note.as_deref(), Some("Go toolchain upgrade 1.15 -> 1.25"));
    }
}
