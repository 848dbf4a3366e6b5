//! SPDX SBOMs in JSON (`*.spdx.json`), SPDX 2.2 and 2.3 (2.0 and 2.1 are read alike
//! with a warning; tag-value, RDF and SPDX 3 JSON-LD documents are not read).
//!
//! Packages: every entry of `packages[]` with an external reference of category
//! `PACKAGE-MANAGER` (or `PACKAGE_MANAGER`, as SPDX 2.2 spelled it) and type `purl`
//! becomes a package identified by that purl (see [`super::purl`]); when a package
//! has several, the first one of an ecosystem cverun knows is used. `versionInfo`
//! is used when the purl has no version. A package without a purl has no knowable
//! ecosystem: it is a warning naming it, never dropped silently. Packages that
//! resolve to the same (ecosystem, name, version) are one package. `files[]` and
//! `snippets[]` are not packages.
//!
//! Root: the elements the document describes (`documentDescribes`, and
//! `SPDXRef-DOCUMENT DESCRIBES x` / `x DESCRIBED_BY SPDXRef-DOCUMENT`
//! relationships) are the subject of the SBOM (an application, an image, a
//! directory) and not packages, with one exception: a described package that has
//! a purl and no outgoing relationship (documents that simply "describe" every
//! package they list) is reported, as a direct dependency.
//!
//! Graph: `relationships[]`: `A DEPENDS_ON B` and `A CONTAINS B` are edges A -> B;
//! `A DEPENDENCY_OF B` and `A CONTAINED_BY B` are B -> A; the typed forms
//! `DEV_DEPENDENCY_OF`, `TEST_DEPENDENCY_OF`, `BUILD_DEPENDENCY_OF` (development
//! scope), `OPTIONAL_DEPENDENCY_OF` (optional), `RUNTIME_DEPENDENCY_OF`,
//! `PROVIDED_DEPENDENCY_OF` (runtime) are B -> A and set A's scope (the broader one
//! when several apply); no typed relationship leaves the scope unknown. Elements
//! that are not packages (files, packages without a purl) are passed through, so a
//! package reached through them keeps its path. The direct dependencies are what
//! the roots point to; others reachable from them are transitive; without a root,
//! relations stay unknown. `NOASSERTION`/`NONE` and external `DocumentRef-`
//! elements are ignored.
//!
//! Text that is not JSON is an error at serde_json's line; a JSON value that is
//! not an object with a `spdxVersion` is an error, and so is a `packages` that is
//! not an array. Wrong-typed members cverun reads (`relationships`,
//! `documentDescribes`, a package that is not an object, a package's `SPDXID`,
//! `name` or `versionInfo` that is not a string, `externalRefs` that is not an
//! array) are warnings with their line; top-level keys that misspell SPDX's are
//! warnings; a document without packages says so.

use std::collections::{HashMap, HashSet, VecDeque};

use cverun_versions::{Ecosystem, normalize_name};
use serde_json::Value;

use super::purl::Purl;
use super::structure::json_type;
use crate::graph::Graph;
use crate::text::JsonLines;
use crate::{Input, ParseError, Parsed, Pin, Scope};

const DOCUMENT: &str = "SPDXRef-DOCUMENT";

/// Parses an SPDX JSON SBOM.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    let mut parsed = Parsed::default();
    if input.text.trim().is_empty() {
        parsed.warnings.push(input.warning(None, "empty file"));
        return Ok(parsed);
    }
    if input
        .text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with("SPDXVersion:")
    {
        return Err(input.error(
            Some(1),
            "SPDX tag-value documents are not read; only the JSON format is",
        ));
    }
    let doc: Value =
        serde_json::from_str(input.text.trim_start_matches('\u{feff}')).map_err(|e| {
            input.error(
                u32::try_from(e.line()).ok().filter(|l| *l > 0),
                format!("not an SPDX document: invalid JSON: {e}"),
            )
        })?;
    let Some(root) = doc.as_object() else {
        return Err(input.error(
            Some(1),
            "not an SPDX document: the top level is not a JSON object",
        ));
    };
    let Some(version) = root.get("spdxVersion").and_then(Value::as_str) else {
        let why = if root.contains_key("@context") {
            "SPDX 3 (JSON-LD) documents are not read"
        } else {
            "no spdxVersion"
        };
        return Err(input.error(Some(1), format!("not an SPDX 2 document: {why}")));
    };
    let lines = JsonLines::new(input.text, 2);
    check_structure(input, root, &lines, &mut parsed.warnings)?;
    if !matches!(version, "SPDX-2.2" | "SPDX-2.3") {
        parsed.warnings.push(input.warning(
            lines.line("/spdxVersion"),
            format!(
                "spdxVersion {version:?} is not one cverun knows (SPDX-2.2, SPDX-2.3); read as 2.3"
            ),
        ));
    }

    // Relationships: adjacency between SPDX ids, typed scopes, roots.
    let mut roots: Vec<String> = root
        .get("documentDescribes")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let mut adjacency: HashMap<String, Vec<String>> = HashMap::new();
    let mut typed_scope: HashMap<String, Scope> = HashMap::new();
    let usable = |id: &str| {
        !id.is_empty() && id != "NOASSERTION" && id != "NONE" && !id.starts_with("DocumentRef-")
    };
    if let Some(rels) = root.get("relationships").and_then(Value::as_array) {
        for r in rels {
            let a = r.get("spdxElementId").and_then(Value::as_str).unwrap_or("");
            let b = r
                .get("relatedSpdxElement")
                .and_then(Value::as_str)
                .unwrap_or("");
            let ty = r
                .get("relationshipType")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !usable(a) || !usable(b) {
                continue;
            }
            let (from, to, scope) = match ty {
                "DESCRIBES" if a == DOCUMENT => {
                    roots.push(b.to_owned());
                    continue;
                }
                "DESCRIBED_BY" if b == DOCUMENT => {
                    roots.push(a.to_owned());
                    continue;
                }
                "DEPENDS_ON" | "CONTAINS" => (a, b, None),
                "DEPENDENCY_OF" | "CONTAINED_BY" => (b, a, None),
                "DEV_DEPENDENCY_OF" | "TEST_DEPENDENCY_OF" | "BUILD_DEPENDENCY_OF" => {
                    (b, a, Some(Scope::Development))
                }
                "OPTIONAL_DEPENDENCY_OF" => (b, a, Some(Scope::Optional)),
                "RUNTIME_DEPENDENCY_OF" | "PROVIDED_DEPENDENCY_OF" => (b, a, Some(Scope::Runtime)),
                _ => continue,
            };
            if from == DOCUMENT {
                continue;
            }
            adjacency
                .entry(from.to_owned())
                .or_default()
                .push(to.to_owned());
            if let Some(s) = scope {
                let slot = typed_scope.entry(to.to_owned()).or_insert(s);
                if s.breadth() > slot.breadth() {
                    *slot = s;
                }
            }
        }
    }
    roots.sort();
    roots.dedup();
    let is_root = |id: &str| roots.iter().any(|r| r == id);

    // Packages.
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut root_leaves: Vec<usize> = Vec::new();
    for (k, pkg) in root
        .get("packages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let line = lines.line(&format!("/packages/{k}"));
        if !pkg.is_object() {
            parsed.warnings.push(input.warning(
                line,
                format!(
                    "a package is a JSON {}, not an object; not read",
                    json_type(pkg)
                ),
            ));
            continue;
        }
        for key in ["SPDXID", "name", "versionInfo"] {
            if let Some(v) = pkg.get(key).filter(|v| !v.is_string() && !v.is_null()) {
                parsed.warnings.push(input.warning(
                    line,
                    format!(
                        "a package's `{key}` is a JSON {}, not a string; ignored",
                        json_type(v)
                    ),
                ));
            }
        }
        if let Some(v) = pkg.get("externalRefs").filter(|v| !v.is_array()) {
            parsed.warnings.push(input.warning(
                line,
                format!(
                    "a package's `externalRefs` is a JSON {}, not an array; not read",
                    json_type(v)
                ),
            ));
        }
        let id = pkg.get("SPDXID").and_then(Value::as_str).unwrap_or("");
        let name = pkg.get("name").and_then(Value::as_str).unwrap_or("");
        let version = pkg
            .get("versionInfo")
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty() && *v != "NOASSERTION");
        let label = match version {
            Some(v) => format!("{name}@{v}"),
            None if name.is_empty() => "(unnamed)".to_owned(),
            None => name.to_owned(),
        };
        let purls: Vec<Result<Purl, String>> = pkg
            .get("externalRefs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|r| {
                let cat = r
                    .get("referenceCategory")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let ty = r.get("referenceType").and_then(Value::as_str).unwrap_or("");
                matches!(cat, "PACKAGE-MANAGER" | "PACKAGE_MANAGER") && ty == "purl"
            })
            .filter_map(|r| r.get("referenceLocator").and_then(Value::as_str))
            .map(|l| Purl::parse(l).map_err(|e| format!("{l:?} ({e})")))
            .collect();
        let root_pkg = is_root(id);
        let leaf = !adjacency.contains_key(id);
        let chosen = purls
            .iter()
            .filter_map(|p| p.as_ref().ok())
            .find(|p| !matches!(p.ecosystem(), Ecosystem::Other(_)))
            .or_else(|| purls.iter().find_map(|p| p.as_ref().ok()));
        let Some(purl) = chosen else {
            if !root_pkg {
                let why = match purls.iter().find_map(|p| p.as_ref().err()) {
                    Some(e) => format!("has an unreadable purl {e}"),
                    None => "has no package URL (purl)".to_owned(),
                };
                parsed.warnings.push(input.warning(
                    line,
                    format!("package {label} {why}: its ecosystem is unknown; not checked"),
                ));
            }
            continue;
        };
        if root_pkg && !leaf {
            continue;
        }
        let mut p = purl.to_package();
        if let (Pin::Unpinned { .. }, Some(v)) = (&p.pin, version) {
            p.pin = Pin::Exact(v.to_owned());
        }
        p.scope = typed_scope.get(id).copied().unwrap_or(Scope::Unknown);
        p.line = line;
        let key = format!(
            "{}\u{0}{}\u{0}{:?}",
            p.ecosystem,
            normalize_name(&p.ecosystem, &p.name),
            p.pin
        );
        let i = match index.get(&key) {
            Some(&i) => {
                if let Some(q) = parsed.packages.get_mut(i) {
                    if p.scope.breadth() > q.scope.breadth() {
                        q.scope = p.scope;
                    }
                }
                i
            }
            None => {
                parsed.packages.push(p);
                index.insert(key, parsed.packages.len() - 1);
                parsed.packages.len() - 1
            }
        };
        if !id.is_empty() {
            by_id.entry(id.to_owned()).or_insert(i);
        }
        if root_pkg {
            root_leaves.push(i);
        }
    }

    // The package graph: from each package (and root), the first packages reached,
    // passing through elements that are not packages.
    let package_successors = |start: &str| -> Vec<usize> {
        let mut out = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut queue: VecDeque<&str> = adjacency
            .get(start)
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        while let Some(id) = queue.pop_front() {
            if !seen.insert(id) {
                continue;
            }
            match by_id.get(id) {
                Some(&i) => out.push(i),
                None => queue.extend(adjacency.get(id).into_iter().flatten().map(String::as_str)),
            }
        }
        out
    };
    let mut graph = Graph::new(parsed.packages.len());
    for (id, &i) in &by_id {
        for j in package_successors(id) {
            graph.add_edge(i, j);
        }
    }
    let mut direct: Vec<usize> = root_leaves;
    for r in &roots {
        if !by_id.contains_key(r) {
            direct.extend(package_successors(r));
        }
    }
    direct.sort_unstable();
    direct.dedup();
    if !roots.is_empty() {
        graph.annotate(&direct, &mut parsed.packages);
    }
    if parsed.packages.is_empty() && parsed.warnings.is_empty() {
        let line = lines.line("/packages").or(lines.line("/spdxVersion"));
        parsed = Parsed::no_dependencies(input, line);
    }
    Ok(parsed)
}

/// The top-level keys of SPDX 2.2 and 2.3 JSON documents.
const TOP_KEYS: &[&str] = &[
    "$schema",
    "spdxVersion",
    "SPDXID",
    "name",
    "dataLicense",
    "documentNamespace",
    "creationInfo",
    "comment",
    "externalDocumentRefs",
    "documentDescribes",
    "packages",
    "files",
    "snippets",
    "relationships",
    "annotations",
    "hasExtractedLicensingInfos",
];

/// Checks the types of the members cverun reads: `packages` must be an array
/// (else an error: the packages cannot be read); `relationships` and
/// `documentDescribes` that are not arrays are warnings; top-level keys that
/// misspell SPDX's are warnings.
fn check_structure(
    input: &Input<'_>,
    root: &serde_json::Map<String, Value>,
    lines: &JsonLines,
    warnings: &mut Vec<crate::Warning>,
) -> Result<(), ParseError> {
    use super::structure::{Shape, check_json_root};
    check_json_root(
        input,
        root,
        lines,
        TOP_KEYS,
        ("packages", Shape::Array),
        &[
            ("relationships", Shape::Array),
            ("documentDescribes", Shape::Array),
        ],
        warnings,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DiskFiles, Package, Relation};
    use std::path::Path;

    fn run(text: &str) -> Result<Parsed, ParseError> {
        parse(&Input {
            path: Path::new("app.spdx.json"),
            text,
            files: &DiskFiles,
        })
    }

    fn messages(p: &Parsed) -> Vec<(Option<u32>, String)> {
        p.warnings
            .iter()
            .map(|w| (w.line, w.message.clone()))
            .collect()
    }

    const HEAD: &str = "{\n\"spdxVersion\": \"SPDX-2.3\",\n\"SPDXID\": \"SPDXRef-DOCUMENT\",\n";

    /// Malformations that used to parse to zero packages without a word.
    #[test]
    fn structure() {
        let e = run(&format!("{HEAD}\"packages\": \"left-pad\"\n}}")).unwrap_err();
        assert_eq!(e.line, Some(4));
        assert_eq!(e.message, "`packages` is a JSON string, not an array");
        let p = run(&format!("{HEAD}\"pakages\": []\n}}")).unwrap();
        assert_eq!(
            messages(&p),
            [(
                Some(4),
                "unknown key \"pakages\" (did you mean \"packages\"?)".to_owned()
            )]
        );
        let p = run(&format!("{HEAD}\"name\": \"x\"\n}}")).unwrap();
        assert_eq!(
            messages(&p),
            [(Some(2), "empty: no dependencies declared".to_owned())]
        );
        let purl = "\"externalRefs\": [{\"referenceCategory\": \"PACKAGE-MANAGER\", \"referenceType\": \"purl\", \"referenceLocator\": \"pkg:npm/b@2.0.0\"}]";
        let p = run(&format!(
            "{HEAD}\"packages\": [\n\"a\",\n{{\"name\": \"b\", \"versionInfo\": 2, {purl}}},\n{{\"name\": \"c\", \"externalRefs\": \"x\"}}\n],\n\"relationships\": {{}}\n}}"
        ))
        .unwrap();
        assert_eq!(p.packages.len(), 1);
        assert_eq!(
            messages(&p),
            [
                (
                    Some(9),
                    "`relationships` is a JSON object, not an array; not read".to_owned()
                ),
                (
                    Some(5),
                    "a package is a JSON string, not an object; not read".to_owned()
                ),
                (
                    Some(6),
                    "a package's `versionInfo` is a JSON number, not a string; ignored".to_owned()
                ),
                (
                    Some(7),
                    "a package's `externalRefs` is a JSON string, not an array; not read"
                        .to_owned()
                ),
                (
                    Some(7),
                    "package c has no package URL (purl): its ecosystem is unknown; not checked"
                        .to_owned()
                ),
            ]
        );
    }

    fn find<'a>(p: &'a Parsed, name: &str) -> &'a Package {
        p.packages
            .iter()
            .find(|x| x.name == name)
            .unwrap_or_else(|| panic!("{name} not found in {:?}", p.packages))
    }

    /// A small SBOM in the shape syft writes for a directory scan.
    const DOC: &str = r#"{
  "spdxVersion": "SPDX-2.3",
  "dataLicense": "CC0-1.0",
  "SPDXID": "SPDXRef-DOCUMENT",
  "name": "shop",
  "documentNamespace": "https://example.invalid/spdx/shop-1",
  "creationInfo": {"created": "2024-05-01T10:00:00Z", "creators": ["Tool: example-1.0"]},
  "documentDescribes": ["SPDXRef-DocumentRoot-Directory-shop"],
  "packages": [
    {
      "name": "shop",
      "SPDXID": "SPDXRef-DocumentRoot-Directory-shop",
      "downloadLocation": "NOASSERTION"
    },
    {
      "name": "express",
      "SPDXID": "SPDXRef-Package-npm-express",
      "versionInfo": "4.18.2",
      "downloadLocation": "NOASSERTION",
      "externalRefs": [
        {"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": "cpe:2.3:a:expressjs:express:4.18.2:*:*:*:*:*:*:*"},
        {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/express@4.18.2"}
      ]
    },
    {
      "name": "body-parser",
      "SPDXID": "SPDXRef-Package-npm-body-parser",
      "versionInfo": "1.20.1",
      "downloadLocation": "NOASSERTION",
      "externalRefs": [
        {"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/body-parser@1.20.1"}
      ]
    },
    {
      "name": "jest",
      "SPDXID": "SPDXRef-Package-npm-jest",
      "versionInfo": "29.7.0",
      "downloadLocation": "NOASSERTION",
      "externalRefs": [
        {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/jest"}
      ]
    },
    {
      "name": "vendored-openssl",
      "SPDXID": "SPDXRef-Package-vendored",
      "versionInfo": "3.0.11",
      "downloadLocation": "NOASSERTION"
    },
    {
      "name": "qs",
      "SPDXID": "SPDXRef-Package-npm-qs",
      "versionInfo": "6.11.0",
      "downloadLocation": "NOASSERTION",
      "externalRefs": [
        {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/qs@6.11.0"}
      ]
    }
  ],
  "relationships": [
    {"spdxElementId": "SPDXRef-DOCUMENT", "relatedSpdxElement": "SPDXRef-DocumentRoot-Directory-shop", "relationshipType": "DESCRIBES"},
    {"spdxElementId": "SPDXRef-DocumentRoot-Directory-shop", "relatedSpdxElement": "SPDXRef-Package-npm-express", "relationshipType": "DEPENDS_ON"},
    {"spdxElementId": "SPDXRef-Package-npm-body-parser", "relatedSpdxElement": "SPDXRef-Package-npm-express", "relationshipType": "DEPENDENCY_OF"},
    {"spdxElementId": "SPDXRef-Package-npm-jest", "relatedSpdxElement": "SPDXRef-DocumentRoot-Directory-shop", "relationshipType": "DEV_DEPENDENCY_OF"},
    {"spdxElementId": "SPDXRef-Package-npm-body-parser", "relatedSpdxElement": "SPDXRef-Package-vendored", "relationshipType": "CONTAINS"},
    {"spdxElementId": "SPDXRef-Package-vendored", "relatedSpdxElement": "SPDXRef-Package-npm-qs", "relationshipType": "DEPENDS_ON"},
    {"spdxElementId": "SPDXRef-Package-npm-qs", "relatedSpdxElement": "NOASSERTION", "relationshipType": "DEPENDS_ON"}
  ]
}"#;

    #[test]
    fn packages_graph_scopes_and_warnings() {
        let p = run(DOC).unwrap();
        let names: Vec<&str> = p.packages.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["express", "body-parser", "jest", "qs"]);
        let express = find(&p, "express");
        assert_eq!(express.ecosystem, Ecosystem::Npm);
        assert_eq!(express.pin, Pin::Exact("4.18.2".into()));
        assert_eq!(express.relation, Relation::Direct);
        assert_eq!(express.line, Some(15));
        let bp = find(&p, "body-parser");
        assert_eq!(bp.relation, Relation::Transitive);
        assert_eq!(bp.paths, vec![vec!["express@4.18.2", "body-parser@1.20.1"]]);
        let jest = find(&p, "jest");
        assert_eq!(jest.relation, Relation::Direct);
        assert_eq!(jest.scope, Scope::Development);
        assert_eq!(
            jest.pin,
            Pin::Exact("29.7.0".into()),
            "version from versionInfo"
        );
        let qs = find(&p, "qs");
        assert_eq!(
            qs.relation,
            Relation::Transitive,
            "reached through a package without a purl"
        );
        assert_eq!(
            qs.paths,
            vec![vec!["express@4.18.2", "body-parser@1.20.1", "qs@6.11.0"]]
        );
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert!(p.warnings[0].message.contains("vendored-openssl@3.0.11"));
        assert_eq!(p.warnings[0].line, Some(43));
    }

    #[test]
    fn described_leaf_packages_and_no_root() {
        // Every package is described, none has relationships: all are direct.
        let text = r#"{"spdxVersion": "SPDX-2.2", "SPDXID": "SPDXRef-DOCUMENT",
 "documentDescribes": ["SPDXRef-a", "SPDXRef-b"],
 "packages": [
  {"SPDXID": "SPDXRef-a", "name": "serde", "versionInfo": "1.0.193",
   "externalRefs": [{"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl", "referenceLocator": "pkg:cargo/serde@1.0.193"}]},
  {"SPDXID": "SPDXRef-b", "name": "log4j-core", "versionInfo": "2.14.1",
   "externalRefs": [
     {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:github/apache/logging-log4j2@2.14.1"},
     {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}
   ]}
 ]}"#;
        let p = run(text).unwrap();
        assert_eq!(p.packages.len(), 2);
        assert!(p.packages.iter().all(|x| x.relation == Relation::Direct));
        assert_eq!(
            find(&p, "org.apache.logging.log4j:log4j-core").ecosystem,
            Ecosystem::Maven,
            "known ecosystem preferred"
        );

        let no_root = r#"{"spdxVersion": "SPDX-2.3", "packages": [
  {"SPDXID": "SPDXRef-x", "name": "six", "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:pypi/six@1.16.0"}]},
  {"SPDXID": "SPDXRef-y", "name": "bad", "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "six@1"}]}
]}"#;
        let p = run(no_root).unwrap();
        assert_eq!(p.packages.len(), 1);
        assert_eq!(p.packages[0].relation, Relation::Unknown);
        assert_eq!(p.warnings.len(), 1);
        assert!(
            p.warnings[0].message.contains("unreadable purl"),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn errors() {
        let e = run("{\n  \"bomFormat\": \"CycloneDX\"\n}").unwrap_err();
        assert!(e.message.contains("no spdxVersion"), "{e}");
        let e = run(
            "{\"@context\": \"https://spdx.org/rdf/3.0.0/spdx-context.jsonld\", \"@graph\": []}",
        )
        .unwrap_err();
        assert!(e.message.contains("SPDX 3"), "{e}");
        let e = run("SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n").unwrap_err();
        assert!(e.message.contains("tag-value"), "{e}");
        let e = run("{\n \"spdxVersion\": \"SPDX-2.3\",\n \"packages\": [\n").unwrap_err();
        assert!(e.message.contains("invalid JSON"), "{e}");
        assert!(e.line.is_some());
        assert!(run("\"SPDX-2.3\"").is_err());
        assert_eq!(run(" ").unwrap().warnings[0].message, "empty file");
        let old = run(r#"{"spdxVersion": "SPDX-2.1", "packages": []}"#).unwrap();
        assert_eq!(old.warnings.len(), 1);
    }

    #[test]
    fn truncated_documents_never_panic() {
        let bytes = DOC.as_bytes();
        for k in 0..=10 {
            let _ = run(&String::from_utf8_lossy(&bytes[..bytes.len() * k / 10]));
        }
    }

    proptest::proptest! {
        #[test]
        fn flipped_bytes_never_panic(
            flips in proptest::collection::vec((0usize..10_000, proptest::num::u8::ANY), 1..10),
        ) {
            let mut bytes = DOC.as_bytes().to_vec();
            for (at, b) in flips {
                let i = at % bytes.len();
                bytes[i] = b;
            }
            let _ = run(&String::from_utf8_lossy(&bytes));
        }
    }
}
