//! Assessment: everything known about one vulnerability, gathered from all its ids.
//!
//! A vulnerability is usually published several times (GHSA, CVE, PYSEC, GO,
//! RUSTSEC records that alias each other). [`assess`] combines what every record and
//! every CVE id says: the best CVSS score of all vectors ([`crate::severity::best`]),
//! the most severe qualitative rating any record gives (used only when no vector
//! scores), the CISA KEV listing of any CVE alias, and the highest EPSS score of any
//! CVE alias. Vectors that cannot be scored are kept as notes, never silently
//! dropped.
//!
//! Signals can also come from CVE ids the records list in OSV `related`: other
//! vulnerabilities (the same attack in another package, say), never aliases. They
//! are marked `related` and count only where the vulnerability's own ids give
//! nothing as strong: its own KEV listing is kept before a related one, and its own
//! EPSS score wins a tie.

use cverun_osv::Severity as OsvSeverity;

use crate::policy::{Assessment, EpssScore, Kev};
use crate::severity::{Rating, best};

/// The exploit signals known for one CVE id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CveSignals {
    /// Its CISA KEV listing.
    pub kev: Option<Kev>,
    /// Its EPSS score.
    pub epss: Option<EpssScore>,
}

/// Combines the ids, severity vectors, qualitative labels and per-CVE signals of one
/// vulnerability. `ids` should start with the primary id; `related` names the CVE
/// ids whose signals (marked `related`) were read beside the vulnerability's own.
/// Signals are taken in the order given: the first KEV listing of its own ids is
/// kept, else the first related one; the highest EPSS score wins, its own ids'
/// score on a tie with a related one, else the first.
pub fn assess(
    ids: Vec<String>,
    related: Vec<String>,
    vectors: &[OsvSeverity],
    labels: &[String],
    signals: impl IntoIterator<Item = CveSignals>,
) -> Assessment {
    let (cvss, errors) = best(vectors);
    let rating = labels.iter().filter_map(|l| Rating::from_label(l)).max();
    let mut kev: Option<Kev> = None;
    let mut epss: Option<EpssScore> = None;
    for s in signals {
        if let Some(k) = s.kev {
            if kev.as_ref().is_none_or(|b| b.related && !k.related) {
                kev = Some(k);
            }
        }
        if let Some(e) = s.epss {
            if epss.as_ref().is_none_or(|b| {
                e.score > b.score || (e.score == b.score && b.related && !e.related)
            }) {
                epss = Some(e);
            }
        }
    }
    Assessment {
        cvss: cvss.map(std::sync::Arc::new),
        rating,
        kev,
        epss,
        ids,
        related,
        unscored: errors.into_iter().map(|e| e.0).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(kind: &str, score: &str) -> OsvSeverity {
        OsvSeverity {
            kind: kind.into(),
            score: score.into(),
        }
    }

    fn epss(cve: &str, score: f64) -> CveSignals {
        CveSignals {
            kev: None,
            epss: Some(EpssScore {
                cve: cve.into(),
                score,
                percentile: 0.5,
                related: false,
            }),
        }
    }

    #[test]
    fn combines_every_source() {
        let a = assess(
            vec!["PYSEC-1".into(), "CVE-1".into(), "GHSA-1".into()],
            Vec::new(),
            &[
                v("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
                v("CVSS_V3", "not a vector"),
            ],
            &["MODERATE".into(), "HIGH".into(), "whatever".into()],
            [
                epss("CVE-1", 0.2),
                CveSignals {
                    kev: Some(Kev {
                        cve: "CVE-2".into(),
                        date_added: Some("2024-01-01".into()),
                        due_date: None,
                        ransomware: None,
                        related: false,
                    }),
                    epss: None,
                },
                epss("CVE-2", 0.7),
                epss("CVE-3", 0.7),
            ],
        );
        assert_eq!(a.cvss.as_ref().map(|s| s.score), Some(9.8));
        assert_eq!(a.rating, Some(Rating::High), "the most severe label");
        assert_eq!(a.kev.as_ref().map(|k| k.cve.as_str()), Some("CVE-2"));
        assert_eq!(a.epss.as_ref().map(|e| e.cve.as_str()), Some("CVE-2"));
        assert_eq!(a.unscored.len(), 1);
        assert!(a.unscored[0].contains("not a vector"), "{:?}", a.unscored);
        assert_eq!(a.ids[0], "PYSEC-1");
    }

    /// The vulnerability's own signals come before those of a related CVE: its own
    /// KEV listing is kept whatever the order, and its own EPSS score wins a tie;
    /// a related signal stands when its own ids have nothing as strong.
    #[test]
    fn own_signals_before_related_ones() {
        let listed = |cve: &str, related: bool| CveSignals {
            kev: Some(Kev {
                cve: cve.into(),
                date_added: None,
                due_date: None,
                ransomware: None,
                related,
            }),
            epss: Some(EpssScore {
                cve: cve.into(),
                score: 0.6,
                percentile: 0.9,
                related,
            }),
        };
        let a = assess(
            vec!["GO-1".into(), "CVE-OWN".into()],
            vec!["CVE-REL".into()],
            &[],
            &[],
            [listed("CVE-REL", true), listed("CVE-OWN", false)],
        );
        let kev = a.kev.as_ref().unwrap();
        assert_eq!((kev.cve.as_str(), kev.related), ("CVE-OWN", false));
        let e = a.epss.as_ref().unwrap();
        assert_eq!((e.cve.as_str(), e.related), ("CVE-OWN", false));
        assert_eq!(a.related, ["CVE-REL"]);

        let mut higher = listed("CVE-REL", true);
        higher.kev = None;
        higher.epss.as_mut().unwrap().score = 0.9;
        let b = assess(
            vec!["GO-1".into()],
            vec!["CVE-REL".into()],
            &[],
            &[],
            [epss("CVE-OWN", 0.2), higher, listed("CVE-REL2", true)],
        );
        let e = b.epss.as_ref().unwrap();
        assert_eq!((e.cve.as_str(), e.score, e.related), ("CVE-REL", 0.9, true));
        let kev = b.kev.as_ref().unwrap();
        assert_eq!((kev.cve.as_str(), kev.related), ("CVE-REL2", true));
    }

    #[test]
    fn nothing_known_is_unknown() {
        let a = assess(vec!["X-1".into()], Vec::new(), &[], &[], []);
        assert_eq!((a.cvss, a.rating, a.kev, a.epss), (None, None, None, None));
    }
}
