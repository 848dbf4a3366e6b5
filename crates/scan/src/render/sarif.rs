//! SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format), for code-scanning
//! dashboards.
//!
//! One rule per vulnerability (the finding's primary advisory id, with its aliases,
//! summary, a link to osv.dev, and `security-severity` when a CVSS score is known);
//! one result per location (the manifest and line declaring the package). Levels:
//! `error` for vulnerabilities, `warning` for unverifiable findings, `note` for
//! informational advisories. Files that could not be read are reported as tool
//! execution notifications, and the invocation is marked unsuccessful.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::report::{FindingRecord, Report};

/// Renders the report as a SARIF 2.1.0 log.
pub fn render(report: &Report) -> Value {
    let mut rule_index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rules: Vec<Value> = Vec::new();
    let mut results: Vec<Value> = Vec::new();
    for f in &report.findings {
        let id = &*f.finding.advisory;
        let index = *rule_index.entry(id).or_insert_with(|| {
            rules.push(rule(f));
            rules.len() - 1
        });
        results.push(result(f, index));
    }
    let mut notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            let mut loc = json!({"physicalLocation": {"artifactLocation": {"uri": e.file}}});
            if let Some(l) = e.line {
                loc["physicalLocation"]["region"] = json!({"startLine": l});
            }
            json!({"level": "error", "message": {"text": e.message}, "locations": [loc]})
        })
        .collect();
    // What could not be judged is never silent: one notification per package not
    // checked and per file not read, and the invocation is not successful.
    for p in &report.not_checked {
        let mut loc = json!({"physicalLocation": {"artifactLocation": {"uri": &*p.manifest}}});
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
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": n.path}}}],
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
                "informationUri": "https://osv.dev",
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": judged_all,
                "toolExecutionNotifications": notifications,
            }],
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the scan root"}}},
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
        "helpUri": format!("https://osv.dev/vulnerability/{id}"),
        "help": {"text": format!("See https://osv.dev/vulnerability/{id}")},
        "properties": properties,
    })
}

fn result(f: &FindingRecord, rule_index: usize) -> Value {
    let level = if f.finding.unverifiable.is_some() {
        "warning"
    } else if f.finding.informational.is_some() {
        "note"
    } else {
        "error"
    };
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
    let mut physical = json!({"artifactLocation": {"uri": &*f.manifest, "uriBaseId": "%SRCROOT%"}});
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
            "cverun/v1": format!("{}|{}|{}|{}|{}", f.service, f.manifest, f.package, f.version, f.finding.advisory),
        },
        "properties": {
            "service": &*f.service,
            "ecosystem": f.ecosystem,
            "package": f.package,
            "version": f.version,
            "fixed": f.finding.fixed.iter().map(|v| &**v).collect::<Vec<&str>>(),
        },
    })
}
