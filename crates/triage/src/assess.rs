//! Assessment: everything known about one vulnerability, gathered from all its ids.
//!
//! A vulnerability is usually published several times (GHSA, CVE, PYSEC, GO,
//! RUSTSEC records that alias each other). [`assess`] combines what every record and
//! every CVE id says: the best CVSS score of all vectors ([`crate::severity::best`]),
//! the most severe qualitative rating any record gives (used only when no vector
//! scores), the CISA KEV listing of any CVE alias, and the highest EPSS score of any
//! CVE alias. Vectors that cannot be scored are kept as notes, never silently
//! dropped.

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
/// vulnerability. `ids` should start with the primary id; signals are taken in the
/// order given (the first KEV listing is kept; the highest EPSS score wins, the
/// first one on ties).
pub fn assess(
    ids: Vec<String>,
    vectors: &[OsvSeverity],
    labels: &[String],
    signals: impl IntoIterator<Item = CveSignals>,
) -> Assessment {
    let (cvss, errors) = best(vectors);
    let rating = labels.iter().filter_map(|l| Rating::from_label(l)).max();
    let mut kev = None;
    let mut epss: Option<EpssScore> = None;
    for s in signals {
        if kev.is_none() {
            kev = s.kev;
        }
        if let Some(e) = s.epss {
            if epss.as_ref().is_none_or(|b| e.score > b.score) {
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
            }),
        }
    }

    #[test]
    fn combines_every_source() {
        let a = assess(
            vec!["PYSEC-1".into(), "CVE-1".into(), "GHSA-1".into()],
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

    #[test]
    fn nothing_known_is_unknown() {
        let a = assess(vec!["X-1".into()], &[], &[], []);
        assert_eq!((a.cvss, a.rating, a.kev, a.epss), (None, None, None, None));
    }
}
