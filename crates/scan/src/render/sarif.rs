//! SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format), for code-scanning
//! dashboards.
//!
//! One rule per vulnerability (the finding's primary advisory id, with its aliases,
//! summary, a link to osv.dev, and `security-severity` when a CVSS score is known);
//! one result per location (the manifest and line declaring the package), with the
//! triage in its `properties` (`priority`, `due`, `decision`, both fixes).
//!
//! Levels follow severity ([`level`]): `error` for a vulnerability of CVSS 7.0 or
//! more, of unknown severity (unknown is not low) or of priority P0/P1; `warning`
//! for CVSS 4.0 to 6.9 and for unverifiable findings; `note` below 4.0 and for
//! informational advisories.
//!
//! Paths: when every root is inside one git repository, locations are relative to
//! its top (`%SRCROOT%`), as code scanning expects; otherwise relative to their
//! root, one base id per root (`%SRCROOT%` for a single root, `ROOT1`, `ROOT2`...
//! with several), each with its absolute `file://` URI when known. Files that could
//! not be read are reported as tool execution notifications, and the invocation is
//! marked unsuccessful.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::report::{FindingRecord, PackageGroup, Report};

/// Where the roots are (found by the caller: file access stays at the edges).
#[derive(Clone, Debug, Default)]
pub struct Bases {
    /// One per root, in the report's order.
    pub roots: Vec<RootBase>,
    /// Whether every root is inside one git repository (`in_repository` set).
    pub repository: bool,
}

/// One scan root.
#[derive(Clone, Debug, Default)]
pub struct RootBase {
    /// The root as given (the prefix of record paths when several roots are scanned).
    pub label: String,
    /// Its path inside the git repository (`""` at the top), when in one.
    pub in_repository: Option<String>,
    /// Its absolute path, when known.
    pub absolute: Option<String>,
}

impl Bases {
    /// The base id and URI of a record path (`manifest` as the report writes it).
    fn locate(&self, path: &str, several: bool) -> (String, String) {
        let (i, rest) = if several {
            self.roots
                .iter()
                .enumerate()
                .filter_map(|(i, r)| {
                    let label = r.label.trim_end_matches('/');
                    path.strip_prefix(label)
                        .and_then(|x| x.strip_prefix('/'))
                        .map(|x| (i, x))
                })
                .max_by_key(|(i, _)| self.roots[*i].label.len())
                .unwrap_or((usize::MAX, path))
        } else {
            (0, path)
        };
        let Some(root) = self.roots.get(i) else {
            return ("%SRCROOT%".to_owned(), path.to_owned());
        };
        match (&root.in_repository, self.repository) {
            (Some(inside), true) => {
                let uri = if inside.is_empty() {
                    rest.to_owned()
                } else {
                    format!("{}/{rest}", inside.trim_end_matches('/'))
                };
                ("%SRCROOT%".to_owned(), uri)
            }
            _ => (base_id(i, several), rest.to_owned()),
        }
    }

    /// `originalUriBaseIds`.
    fn original(&self, several: bool) -> Value {
        let mut map = serde_json::Map::new();
        if self.repository {
            map.insert(
                "%SRCROOT%".into(),
                json!({"description": {"text": "the top of the git repository holding the scan roots"}}),
            );
            return Value::Object(map);
        }
        if self.roots.is_empty() {
            map.insert(
                "%SRCROOT%".into(),
                json!({"description": {"text": "the scan root"}}),
            );
        }
        for (i, r) in self.roots.iter().enumerate() {
            let mut v = json!({"description": {"text": format!("the scan root {}", r.label)}});
            if let Some(a) = &r.absolute {
                v["uri"] = json!(file_uri(a));
            }
            map.insert(base_id(i, several), v);
        }
        Value::Object(map)
    }
}

fn base_id(i: usize, several: bool) -> String {
    if several {
        format!("ROOT{}", i + 1)
    } else {
        "%SRCROOT%".to_owned()
    }
}

/// `file:///abs/path/` (a directory URI ends with `/`), spaces and the like escaped.
fn file_uri(abs: &str) -> String {
    let mut out = String::from("file://");
    if !abs.starts_with('/') {
        out.push('/');
    }
    for b in abs.trim_end_matches('/').bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push('/');
    out
}

/// Renders the report as a SARIF 2.1.0 log, locations relative to each root.
pub fn render(report: &Report) -> Value {
    let bases = Bases {
        roots: report
            .roots
            .iter()
            .map(|r| RootBase {
                label: r.clone(),
                ..RootBase::default()
            })
            .collect(),
        repository: false,
    };
    render_with(report, &bases)
}

/// Renders the report as a SARIF 2.1.0 log, locations placed by `bases`.
pub fn render_with(report: &Report, bases: &Bases) -> Value {
    let several = report.roots.len() > 1;
    let groups: std::collections::HashMap<(&str, &str, &str, &str), &PackageGroup> = report
        .packages_affected
        .iter()
        .map(|g| {
            (
                (
                    &*g.service,
                    g.ecosystem.osv_name(),
                    g.package.as_str(),
                    g.version.as_str(),
                ),
                g,
            )
        })
        .collect();
    let mut rule_index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rules: Vec<Value> = Vec::new();
    let mut results: Vec<Value> = Vec::new();
    for f in &report.findings {
        let id = &*f.finding.advisory;
        let index = *rule_index.entry(id).or_insert_with(|| {
            rules.push(rule(f));
            rules.len() - 1
        });
        let group = groups
            .get(&(
                &*f.service,
                f.ecosystem.osv_name(),
                f.package.as_str(),
                f.version.as_str(),
            ))
            .copied();
        let (base, uri) = bases.locate(&f.manifest, several);
        results.push(result(f, index, group, &base, &uri));
    }
    let mut notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            let (base, uri) = bases.locate(&e.file, several);
            let mut loc =
                json!({"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": base}}});
            if let Some(l) = e.line {
                loc["physicalLocation"]["region"] = json!({"startLine": l});
            }
            json!({"level": "error", "message": {"text": e.message}, "locations": [loc]})
        })
        .collect();
    // What could not be judged is never silent: one notification per package not
    // checked and per file not read, and the invocation is not successful.
    for p in &report.not_checked {
        let (base, uri) = bases.locate(&p.manifest, several);
        let mut loc =
            json!({"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": base}}});
        if let Some(l) = p.line {
            loc["physicalLocation"]["region"] = json!({"startLine": l});
        }
        notifications.push(json!({
            "level": "error",
            "message": {"text": format!(
                "{} {} {}: {}",
                p.ecosystem,
                p.package,
                p.version.as_deref().unwrap_or_default(),
                p.reason
            )},
            "locations": [loc],
        }));
    }
    for svc in &report.services {
        for n in &svc.not_read {
            notifications.push(json!({
                "level": "warning",
                "message": {"text": format!("not read: {}", n.reason)},
                "locations": [{"physicalLocation": {"artifactLocation": {
                    "uri": bases.locate(&n.path, several).1,
                    "uriBaseId": bases.locate(&n.path, several).0,
                }}}],
            }));
        }
    }
    if let Some(w) = report.freshness.as_ref().and_then(|f| f.warning()) {
        let level = if report.too_old() { "error" } else { "warning" };
        notifications.push(json!({"level": level, "message": {"text": w}}));
    }
    let judged_all = report.errors.is_empty()
        && report.not_checked.is_empty()
        && report.summary.services_not_checked == 0
        && !report.too_old();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "cverun",
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "informationUri": "https://github.com/cverun/cverun",
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": judged_all,
                "toolExecutionNotifications": notifications,
            }],
            "originalUriBaseIds": bases.original(several),
            "results": results,
            "properties": {
                "database": report.database.id,
                "scannedAt": report.scanned_at,
                "summary": report.summary,
                "freshness": report.freshness,
                "filtered": report.filtered,
            },
        }],
    })
}

fn rule(f: &FindingRecord) -> Value {
    let id = &*f.finding.advisory;
    let summary = f
        .finding
        .summary
        .as_deref()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{id} affects {}", f.package));
    let mut tags = vec![
        "security".to_owned(),
        "vulnerability".to_owned(),
        "dependency".to_owned(),
    ];
    if let Some(i) = &f.finding.informational {
        tags.push(i.to_string());
    }
    let mut properties = json!({
        "aliases": f.finding.aliases.iter().map(|a| &**a).collect::<Vec<&str>>(),
        "tags": tags,
    });
    if let Some(s) = &f.cvss {
        properties["security-severity"] = json!(format!("{:.1}", s.score));
        properties["cvss"] = json!(s.vector);
    }
    json!({
        "id": id,
        "name": id,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": summary},
        "helpUri": format!("https://osv.dev/vulnerability/{id}"),
        "help": {
            "text": format!("{summary}\nSee https://osv.dev/vulnerability/{id}"),
            "markdown": format!("{summary}\n\nSee [{id}](https://osv.dev/vulnerability/{id})."),
        },
        "properties": properties,
    })
}

/// A result's level from the finding's severity (see the module's documentation).
pub fn level(f: &FindingRecord) -> &'static str {
    use cverun_triage::policy::Level;
    if f.finding.unverifiable.is_some() {
        return "warning";
    }
    if f.finding.informational.is_some() {
        return "note";
    }
    if matches!(
        f.priority.as_ref().map(|p| p.level),
        Some(Level::P0 | Level::P1)
    ) {
        return "error";
    }
    match f.cvss.as_ref().map(|s| s.score) {
        None => "error",
        Some(s) if s >= 7.0 => "error",
        Some(s) if s >= 4.0 => "warning",
        Some(_) => "note",
    }
}

/// A fingerprint that survives moves of the line and of the scan root: a SHA-256
/// of the repository-relative (or root-relative) file, the ecosystem, the package
/// and the advisory.
fn fingerprint(uri: &str, f: &FindingRecord) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [
        uri,
        f.ecosystem.osv_name(),
        f.package.as_str(),
        &f.finding.advisory,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn result(
    f: &FindingRecord,
    rule_index: usize,
    group: Option<&PackageGroup>,
    base: &str,
    uri: &str,
) -> Value {
    let level = level(f);
    let fixed = if f.finding.fixed.is_empty() {
        "no fixed version is known".to_owned()
    } else {
        format!("fixed in {}", f.finding.fixed.join(", "))
    };
    let text = match &f.finding.unverifiable {
        Some(why) => format!(
            "{} {} may be affected by {}, but cverun cannot decide: {why}",
            f.package, f.version, f.finding.advisory
        ),
        None => format!(
            "{} {} is affected by {} ({fixed}).",
            f.package, f.version, f.finding.advisory
        ),
    };
    let mut physical = json!({"artifactLocation": {"uri": uri, "uriBaseId": base}});
    if let Some(l) = f.line.filter(|l| *l >= 1) {
        physical["region"] = json!({"startLine": l});
    }
    json!({
        "ruleId": &*f.finding.advisory,
        "ruleIndex": rule_index,
        "level": level,
        "message": {"text": text},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {
            "cverun/v2": fingerprint(uri, f),
        },
        "properties": properties(f, group),
    })
}

/// The triage of a result: priority, deadline, decision and fixes.
fn properties(f: &FindingRecord, group: Option<&PackageGroup>) -> Value {
    let mut p = json!({
        "service": &*f.service,
        "ecosystem": f.ecosystem,
        "package": f.package,
        "version": f.version,
        "fixed": f.finding.fixed.iter().map(|v| &**v).collect::<Vec<&str>>(),
    });
    if let Some(pr) = &f.priority {
        p["priority"] = json!(pr.level);
        p["due"] = json!(pr.due);
        p["priorityExplanation"] = json!(pr.explanation());
    }
    if let Some(fix) = &f.fix {
        p["decision"] = json!(fix.decision);
        p["minimalSafe"] = json!(fix.options.minimal_safe);
    }
    if let Some(g) = group {
        p["packagePriority"] = json!(g.priority);
        p["packageDue"] = json!(g.due);
        p["advisoriesOfPackage"] = json!(g.advisories);
        p["fixesMostUrgent"] = json!(g.fix.most_urgent);
        p["safeFromAll"] = json!(g.fix.safe_from_all);
    }
    p
}
