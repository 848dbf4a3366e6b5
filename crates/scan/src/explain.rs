//! `explain`: why a vulnerability has its priority, service by service.
//!
//! Given any id of a vulnerability, [`explain`] selects the scan's findings that
//! carry it (as primary id or alias, ids compared ignoring case) and shows for each
//! the priority's rule and inputs, the service context that raised it, the fix and
//! decision, and any exception. The vulnerability's own assessment (no service
//! context) is shown too, so that an advisory that affects nothing scanned is still
//! explained, and said to affect nothing scanned, rather than silently dropped.
//!
//! An id that no record carries as its id or an alias, but that records list in
//! their OSV `related` field (CVE-2023-44487 in the Go database: GO-2023-2102 and
//! GO-2023-2153 name it so), is explained through those records, and the
//! explanation says so: they are different vulnerabilities, not aliases.

use std::fmt::Write as _;
use std::sync::Arc;

use cverun_triage::policy::{Assessment, Context, Policy, Priority, prioritize};
use serde::Serialize;

use crate::report::{FindingRecord, Report};
use crate::triage::{Assessor, ExceptionUse, Fix};

/// The JSON schema name of [`Explanation`].
pub const SCHEMA: &str = "cverun.explain/1";

/// Everything that explains one vulnerability's priorities.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    /// `cverun.explain/1`.
    pub schema: &'static str,
    /// The id asked about.
    pub query: String,
    /// Every id of the vulnerability the database knows (empty when it knows none).
    pub ids: Vec<String>,
    /// When no record carries the id as its id or an alias: the records that list
    /// it as related, through which `findings` were selected. Empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_via: Vec<String>,
    /// Its summary, when a record gives one.
    pub summary: Option<String>,
    /// Its priority without any service context (`null` when the database does not
    /// know the id).
    pub base: Option<Priority>,
    /// Each scanned location affected (or unverifiable, or suppressed).
    pub findings: Vec<Explained>,
    /// The advisory database snapshot id.
    pub snapshot: String,
    /// How current the advisory data is.
    pub freshness: Option<cverun_db::Freshness>,
}

/// One affected location.
#[derive(Clone, Debug, Serialize)]
pub struct Explained {
    /// Service.
    pub service: Arc<str>,
    /// Owner, exposure and data of the service, from cverun.toml.
    pub owner: Option<String>,
    /// Exposure.
    pub exposure: Option<String>,
    /// Data handled.
    pub data: Option<String>,
    /// Package.
    pub package: String,
    /// Installed version.
    pub version: String,
    /// The finding's primary id, when it was selected through a record listing the
    /// id asked as related.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<Arc<str>>,
    /// Manifest.
    pub manifest: Arc<str>,
    /// Line.
    pub line: Option<u32>,
    /// `affected`, `unverifiable` or `suppressed`.
    pub status: &'static str,
    /// Why it cannot be judged, when unverifiable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unverifiable: Option<String>,
    /// The priority and its explanation.
    pub priority: Option<Box<Priority>>,
    /// Fix options and decision.
    pub fix: Option<Arc<Fix>>,
    /// The fix of the advisory asked about (its own), whatever the package's other
    /// advisories say.
    pub own_fix: Option<Arc<cverun_osv::OwnFix>>,
    /// The exception, when one covers it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<Arc<ExceptionUse>>,
}

/// The canonical spelling of an advisory id: `GHSA-` ids are lower case after the
/// prefix, every other id upper case.
pub fn canonical_id(id: &str) -> String {
    let t = id.trim();
    match t.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("ghsa-") => format!("GHSA-{}", t[5..].to_lowercase()),
        _ => t.to_uppercase(),
    }
}

/// What the database knows of one vulnerability.
#[derive(Clone, Debug)]
pub struct Known {
    /// Every id (the one asked first).
    pub ids: Vec<String>,
    /// Its summary, when a record gives one.
    pub summary: Option<String>,
    /// Its base priority (the advisory alone, no service context).
    pub base: Priority,
    /// When no record carries the id but some list it as related: their ids.
    pub related_via: Vec<String>,
}

/// The vulnerability `query` (any of its ids, canonical spelling) as the database
/// knows it, prioritised under `policy` at `now` without service context; `None`
/// when the database knows the id neither as a record's id or alias nor as one a
/// record lists as related. Known only as related, its base priority reads its own
/// exploit signals (a CVE id in KEV, say); its severity is unknown, as no record
/// of it is held.
pub fn known(
    db: &cverun_db::Database,
    policy: &Policy,
    query: &str,
    now: jiff::Timestamp,
) -> Result<Option<Known>, cverun_db::Error> {
    let mut assessor = Assessor::new(db).related_signals(policy.related_signals);
    let records = db.advisories_by_id(query)?;
    if records.is_empty() {
        let related = db.advisories_related_to(query)?;
        if related.is_empty() {
            return Ok(None);
        }
        let a = assessor.assess_ids(&[query], &[], &[])?;
        return Ok(Some(Known {
            ids: vec![query.to_owned()],
            summary: None,
            base: prioritize(policy, &a, &Context::default(), now),
            related_via: related.into_iter().map(|r| r.id).collect(),
        }));
    }
    let mut ids: Vec<String> = vec![query.to_owned()];
    let mut own = Vec::new();
    let mut summary = None;
    for r in &records {
        for id in std::iter::once(&r.id).chain(r.aliases.iter()) {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        for s in &r.severity {
            if !own.contains(s) {
                own.push(s.clone());
            }
        }
        if summary.is_none() {
            summary = r.summary.clone();
        }
    }
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let record_ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    let a = assessor.assess_ids(&refs, &record_ids, &own)?;
    let base = prioritize(policy, &a, &Context::default(), now);
    Ok(Some(Known {
        ids,
        summary,
        base,
        related_via: Vec::new(),
    }))
}

/// Selects the findings of `report` carrying `query` (optionally in one service);
/// `known` is what the database knows of the id (see [`known`]). When it knows the
/// id only as related, the findings of the records listing it are selected.
pub fn explain(
    report: &Report,
    query: &str,
    service: Option<&str>,
    known: Option<Known>,
) -> Explanation {
    let related_via: Vec<String> = known
        .as_ref()
        .map(|k| k.related_via.clone())
        .unwrap_or_default();
    let has = |f: &FindingRecord, id: &str| {
        f.finding.advisory.eq_ignore_ascii_case(id)
            || f.finding.aliases.iter().any(|a| a.eq_ignore_ascii_case(id))
    };
    let through = |f: &FindingRecord| related_via.iter().any(|r| has(f, r));
    let carries = |f: &FindingRecord| has(f, query) || through(f);
    let svc = |name: &str| report.services.iter().find(|s| &*s.name == name);
    let mut findings = Vec::new();
    let all = report
        .findings
        .iter()
        .map(|f| (f, false))
        .chain(report.suppressed.iter().map(|f| (f, true)));
    for (f, suppressed) in all {
        if !carries(f) || service.is_some_and(|s| s != &*f.service) {
            continue;
        }
        let s = svc(&f.service);
        findings.push(Explained {
            service: f.service.clone(),
            owner: s.and_then(|s| s.owner.clone()),
            exposure: s.and_then(|s| s.exposure).map(|e| e.as_str().to_owned()),
            data: s.and_then(|s| s.data.clone()),
            package: f.package.clone(),
            version: f.version.clone(),
            via: (!has(f, query)).then(|| f.finding.advisory.clone()),
            manifest: f.manifest.clone(),
            line: f.line,
            status: if suppressed {
                "suppressed"
            } else if f.finding.unverifiable.is_some() {
                "unverifiable"
            } else {
                "affected"
            },
            unverifiable: f.finding.unverifiable.clone(),
            priority: f.priority.clone(),
            fix: f.fix.clone(),
            own_fix: f.own_fix.clone(),
            exception: f.exception.clone(),
        });
    }
    let (mut ids, summary, base) = match known {
        Some(k) => (k.ids, k.summary, Some(k.base)),
        None => (Vec::new(), None, None),
    };
    // Findings may know ids the database lookup did not reach (aliases of aliases);
    // the ids of records listing it as related are not its ids.
    for f in report.findings.iter().chain(&report.suppressed) {
        if has(f, query) {
            for id in std::iter::once(&f.finding.advisory).chain(f.finding.aliases.iter()) {
                if !ids.iter().any(|i| i == &**id) {
                    ids.push(id.to_string());
                }
            }
        }
    }
    Explanation {
        schema: SCHEMA,
        query: query.to_owned(),
        ids,
        related_via,
        summary,
        base,
        findings,
        snapshot: report.database.id.clone(),
        freshness: report.freshness.clone(),
    }
}

fn inputs_text(a: &Assessment) -> Vec<String> {
    let mut lines = Vec::new();
    match &a.cvss {
        Some(s) => lines.push(format!(
            "CVSS {} base score {:.1} ({}) from {}",
            s.version, s.score, s.rating, s.vector
        )),
        None => lines.push("no CVSS vector could be scored".to_owned()),
    }
    for u in &a.unscored {
        lines.push(format!("not scored: {u}"));
    }
    if let Some(r) = a.rating {
        lines.push(format!("the advisory's own rating: {r}"));
    }
    match &a.kev {
        Some(k) => lines.push(format!(
            "CISA KEV: {}{} listed{}{}{}",
            k.cve,
            if k.related {
                " (related, not an alias)"
            } else {
                ""
            },
            k.date_added
                .as_deref()
                .map(|d| format!(" on {d}"))
                .unwrap_or_default(),
            k.due_date
                .as_deref()
                .map(|d| format!(", federal due date {d}"))
                .unwrap_or_default(),
            k.ransomware
                .as_deref()
                .map(|r| format!(", ransomware use: {r}"))
                .unwrap_or_default()
        )),
        None if a.related.is_empty() => {
            lines.push("CISA KEV: none of its CVE ids is listed".to_owned())
        }
        None => lines.push(format!(
            "CISA KEV: none of its CVE ids is listed, nor related {}",
            a.related.join(", ")
        )),
    }
    match &a.epss {
        Some(e) => lines.push(format!(
            "EPSS: {:.3} for {}{} (percentile {:.3})",
            e.score,
            e.cve,
            if e.related {
                " (related, not an alias)"
            } else {
                ""
            },
            e.percentile
        )),
        None => lines.push("EPSS: no score known".to_owned()),
    }
    lines
}

/// The explanation for people.
pub fn render(e: &Explanation) -> String {
    let mut out = String::new();
    let name = if e.ids.is_empty() {
        e.query.clone()
    } else {
        e.ids.join(", ")
    };
    let _ = writeln!(out, "{name}");
    if let Some(s) = &e.summary {
        let _ = writeln!(out, "  {s}");
    }
    if !e.related_via.is_empty() {
        let _ = writeln!(
            out,
            "  {} is listed as related by {} (not an alias)",
            e.query,
            e.related_via.join(", ")
        );
    }
    match &e.base {
        Some(p) => {
            let _ = writeln!(out, "\nWithout service context: {}", p.explanation());
            for l in inputs_text(&p.inputs) {
                let _ = writeln!(out, "  {l}");
            }
        }
        None => {
            let _ = writeln!(
                out,
                "\nThe advisory database (snapshot {}) does not know {}: cverun cannot judge it. Update the database (`cverun db update`) or import the advisory.",
                &e.snapshot[..e.snapshot.len().min(12)],
                e.query
            );
        }
    }
    if e.findings.is_empty() {
        let _ = writeln!(
            out,
            "\nNo scanned service has a version it affects (or cannot judge)."
        );
        return out;
    }
    let _ = writeln!(out);
    for f in &e.findings {
        let at = match f.line {
            Some(l) => format!("{}:{l}", f.manifest),
            None => f.manifest.to_string(),
        };
        let mut context = Vec::new();
        if let Some(o) = &f.owner {
            context.push(format!("owner {o}"));
        }
        if let Some(x) = &f.exposure {
            context.push(x.clone());
        }
        if let Some(d) = &f.data {
            context.push(d.clone());
        }
        let via = f
            .via
            .as_deref()
            .map(|v| format!(" through related {v}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{} ({}) {} {} [{}] at {at}{via}",
            f.service,
            if context.is_empty() {
                "no context in cverun.toml".to_owned()
            } else {
                context.join(", ")
            },
            f.package,
            f.version,
            f.status
        );
        if let Some(u) = &f.unverifiable {
            let _ = writeln!(out, "  cannot be judged: {u}");
        }
        if let Some(p) = &f.priority {
            let _ = writeln!(
                out,
                "  priority {} due {}",
                p.level,
                crate::render::style::local_time(p.due)
            );
            let _ = writeln!(out, "  {}", p.explanation());
        }
        if let Some(fix) = &f.fix {
            let _ = writeln!(
                out,
                "  {}: {}",
                fix.decision.action, fix.decision.explanation
            );
        }
        if let Some(own) = &f.own_fix {
            let target = f.fix.as_ref().and_then(|x| x.decision.target.as_deref());
            match own.version.as_deref() {
                Some(v) if Some(v) != target => {
                    let _ = writeln!(out, "  this advisory alone is fixed in {v}");
                }
                None if !own.contradictions.is_empty() => {
                    for c in &own.contradictions {
                        let _ = writeln!(out, "  no fixed version: {}", c.message);
                    }
                }
                _ => {}
            }
        }
        if let Some(x) = &f.exception {
            let _ = writeln!(
                out,
                "  exception {} ({}), owner {}, approved by {}: {}",
                x.location, x.standing, x.owner, x.approved_by, x.justification
            );
        }
    }
    if let Some(f) = &e.freshness {
        let _ = writeln!(out);
        crate::render::table::write_freshness(&mut out, f, false);
    }
    out
}
