//! Exploit signals: CISA's Known Exploited Vulnerabilities catalog and FIRST's EPSS
//! scores, matched to advisories through their CVE ids.
//!
//! - KEV: the catalog's JSON (`{"catalogVersion", "dateReleased", "vulnerabilities":
//!   [{"cveID", "vendorProject", "product", "vulnerabilityName", "dateAdded",
//!   "dueDate", "knownRansomwareCampaignUse", ...}]}`). The source keeps
//!   `catalog_version` and `date_released`; each entry its dates and ransomware use.
//! - EPSS: FIRST's CSV, `cve,epss,percentile` after a
//!   `#model_version:...,score_date:...` comment line, plain or gzipped. The source
//!   keeps `model_version` and `score_date`.
//!
//! A line or entry that cannot be read is a warning naming its line (or index); the
//! rest loads. A file that is neither is an error.

use std::collections::HashMap;
use std::io::Read;

use serde::Serialize;

use crate::error::Result;
use crate::store::{Database, SourceWriter};

/// What kind of exploit-signal file a document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalKind {
    /// The CISA KEV catalog (JSON).
    Kev,
    /// FIRST EPSS scores (CSV, maybe gzipped).
    Epss,
}

impl SignalKind {
    /// The source name under which it is stored (one of each at a time).
    pub fn source_name(self) -> &'static str {
        match self {
            SignalKind::Kev => "kev",
            SignalKind::Epss => "epss",
        }
    }
}

/// Recognises a KEV catalog or an EPSS file by its first bytes.
pub fn sniff(bytes: &[u8]) -> Option<SignalKind> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        // gzip: only EPSS is published gzipped.
        return Some(SignalKind::Epss);
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let t = head.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with("#model_version") || t.to_ascii_lowercase().starts_with("cve,epss,percentile")
    {
        return Some(SignalKind::Epss);
    }
    if t.starts_with('{')
        && head.contains("\"catalogVersion\"")
        && head.contains("\"vulnerabilities\"")
    {
        return Some(SignalKind::Kev);
    }
    None
}

/// One KEV entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KevEntry {
    /// `cveID`.
    pub cve: String,
    /// `vendorProject`.
    pub vendor: Option<String>,
    /// `product`.
    pub product: Option<String>,
    /// `vulnerabilityName`.
    pub name: Option<String>,
    /// `dateAdded`.
    pub date_added: Option<String>,
    /// `dueDate` (the US federal remediation deadline).
    pub due_date: Option<String>,
    /// `knownRansomwareCampaignUse`: `Known` or `Unknown`.
    pub ransomware: Option<String>,
}

/// An EPSS score.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Epss {
    /// Probability of exploitation activity in the next 30 days, 0 to 1.
    pub score: f64,
    /// Percentile of that score among all scored CVEs, 0 to 1.
    pub percentile: f64,
}

/// The exploit signals known for one CVE.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Signals {
    /// Its KEV entry.
    pub kev: Option<KevEntry>,
    /// Its EPSS score.
    pub epss: Option<Epss>,
}

/// Loads a KEV catalog into `writer`; problems go to `warn` (location, message).
pub(crate) fn load_kev(
    bytes: &[u8],
    writer: &mut SourceWriter<'_>,
    warn: &mut dyn FnMut(&str, &str),
) -> std::result::Result<(), String> {
    let v: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| format!("not a KEV catalog: invalid JSON: {e}"))?;
    let obj = v
        .as_object()
        .ok_or("not a KEV catalog: expected a JSON object")?;
    let list = obj
        .get("vulnerabilities")
        .and_then(|l| l.as_array())
        .ok_or("not a KEV catalog: no `vulnerabilities` array")?;
    if !obj.get("catalogVersion").is_some_and(|v| v.is_string()) {
        return Err("not a KEV catalog: no `catalogVersion` string".into());
    }
    for key in ["catalogVersion", "dateReleased"] {
        if let Some(s) = obj.get(key).and_then(|x| x.as_str()) {
            writer.detail(
                if key == "catalogVersion" {
                    "catalog_version"
                } else {
                    "date_released"
                },
                s,
            );
        }
    }
    let text =
        |e: &serde_json::Value, k: &str| e.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    for (i, e) in list.iter().enumerate() {
        let place = format!("vulnerabilities[{i}]");
        let Some(cve) = text(e, "cveID").filter(|c| c.starts_with("CVE-")) else {
            writer.skipped += 1;
            warn(&place, "entry skipped: no `cveID` of the form CVE-...");
            continue;
        };
        let entry = KevEntry {
            cve,
            vendor: text(e, "vendorProject"),
            product: text(e, "product"),
            name: text(e, "vulnerabilityName"),
            date_added: text(e, "dateAdded"),
            due_date: text(e, "dueDate"),
            ransomware: text(e, "knownRansomwareCampaignUse"),
        };
        writer.add_kev(&entry).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Loads an EPSS CSV (plain or gzipped) into `writer`.
pub(crate) fn load_epss(
    bytes: &[u8],
    max_size: u64,
    writer: &mut SourceWriter<'_>,
    warn: &mut dyn FnMut(&str, &str),
) -> std::result::Result<(), String> {
    let mut text = String::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(bytes)
            .take(max_size + 1)
            .read_to_string(&mut text)
            .map_err(|e| format!("not a readable gzipped EPSS file: {e}"))?;
        if text.len() as u64 > max_size {
            return Err(format!(
                "refused: the gzipped EPSS file expands beyond {max_size} bytes"
            ));
        }
    } else {
        text = String::from_utf8(bytes.to_vec())
            .map_err(|_| "not an EPSS file: not UTF-8 text".to_owned())?;
    }
    let mut header_seen = false;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() {
            continue;
        }
        if let Some(meta) = line.strip_prefix('#') {
            for part in meta.split(',') {
                if let Some((k, v)) = part.split_once(':') {
                    let k = k.trim();
                    if k == "model_version" || k == "score_date" {
                        writer.detail(k, v.trim());
                    }
                }
            }
            continue;
        }
        if !header_seen {
            if line.to_ascii_lowercase().replace(' ', "") != "cve,epss,percentile" {
                return Err(format!(
                    "line {n}: not an EPSS file: expected the header `cve,epss,percentile`"
                ));
            }
            header_seen = true;
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let parsed = match fields.as_slice() {
            [cve, score, pct] if cve.starts_with("CVE-") => {
                match (score.parse::<f64>(), pct.parse::<f64>()) {
                    (Ok(s), Ok(p)) if (0.0..=1.0).contains(&s) && (0.0..=1.0).contains(&p) => {
                        Some((*cve, s, p))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        match parsed {
            Some((cve, s, p)) => writer.add_epss(cve, s, p).map_err(|e| e.to_string())?,
            None => {
                writer.skipped += 1;
                warn(
                    &format!("line {n}"),
                    &format!("row skipped: expected `CVE-...,<0..1>,<0..1>`, found {line:?}"),
                );
            }
        }
    }
    if !header_seen {
        return Err("not an EPSS file: no `cve,epss,percentile` header".into());
    }
    Ok(())
}

impl Database {
    /// The exploit signals of each CVE id asked (ids that are not CVEs are ignored;
    /// CVEs with no signal are present with neither). Two statements, driven by a
    /// temporary table of the ids; the newest source wins when several hold one CVE.
    pub fn signals(&self, ids: &[&str]) -> Result<HashMap<String, Signals>> {
        let cves: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|i| i.starts_with("CVE-"))
            .collect();
        let mut out: HashMap<String, Signals> = cves
            .iter()
            .map(|c| ((*c).to_owned(), Signals::default()))
            .collect();
        if cves.is_empty() {
            return Ok(out);
        }
        self.fill_ids(&cves)?;
        {
            let mut kev = self
                .conn
                .prepare_cached(
                    "SELECT k.cve, k.vendor, k.product, k.name, k.date_added, k.due_date, k.ransomware
                     FROM temp.idlookup l CROSS JOIN kev k ON k.cve = l.id ORDER BY k.cve, k.source_id DESC",
                )
                .map_err(|e| self.err(e))?;
            let rows = kev
                .query_map([], |r| {
                    Ok(KevEntry {
                        cve: r.get(0)?,
                        vendor: r.get(1)?,
                        product: r.get(2)?,
                        name: r.get(3)?,
                        date_added: r.get(4)?,
                        due_date: r.get(5)?,
                        ransomware: r.get(6)?,
                    })
                })
                .map_err(|e| self.err(e))?;
            for row in rows {
                let k = row.map_err(|e| self.err(e))?;
                if let Some(s) = out.get_mut(&k.cve) {
                    if s.kev.is_none() {
                        s.kev = Some(k);
                    }
                }
            }
        }
        let mut epss = self
            .conn
            .prepare_cached(
                "SELECT e.cve, e.score, e.percentile FROM temp.idlookup l
                 CROSS JOIN epss e ON e.cve = l.id ORDER BY e.cve, e.source_id DESC",
            )
            .map_err(|e| self.err(e))?;
        let rows = epss
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Epss {
                        score: r.get(1)?,
                        percentile: r.get(2)?,
                    },
                ))
            })
            .map_err(|e| self.err(e))?;
        for row in rows {
            let (cve, e) = row.map_err(|e| self.err(e))?;
            if let Some(s) = out.get_mut(&cve) {
                if s.epss.is_none() {
                    s.epss = Some(e);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs() {
        assert_eq!(
            sniff(b"{\"title\": \"x\", \"catalogVersion\": \"1\", \"vulnerabilities\": []}"),
            Some(SignalKind::Kev)
        );
        assert_eq!(
            sniff(b"#model_version:v1,score_date:2025-01-01\ncve,epss,percentile\n"),
            Some(SignalKind::Epss)
        );
        assert_eq!(
            sniff(b"cve,epss,percentile\nCVE-1-1,0.1,0.2\n"),
            Some(SignalKind::Epss)
        );
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Some(SignalKind::Epss));
        assert_eq!(sniff(b"{\"id\": \"GHSA-1\"}"), None);
    }
}
