//! CycloneDX SBOMs in JSON (`bom.json`, `*.cdx.json`), specification versions 1.2
//! to 1.6 (another `specVersion` is a warning and read alike; CycloneDX XML is not
//! read).
//!
//! Packages: every entry of `components`, and of their nested `components`
//! (assemblies: a component shipped inside another), is identified by its `purl`,
//! which gives the ecosystem, name and version (see [`super::purl`]); the
//! component's `version` is used when the purl has none. A component without a
//! purl, or with one that cannot be parsed, has no knowable ecosystem: it is a
//! warning naming it, never dropped silently. Components that resolve to the same
//! (ecosystem, name, version) are one package. `metadata.component` is the subject
//! of the SBOM (the application itself): not a package; components nested in it
//! are.
//!
//! Graph: `dependencies: [{"ref", "dependsOn": [...]}]` between `bom-ref`s, plus an
//! edge from a component to each component nested in it. The direct dependencies
//! are those the root (`metadata.component`) depends on or contains; the others
//! reachable from them are transitive, with paths. Without a root, or when the
//! root has no dependency entry, relations stay unknown.
//!
//! Scope: `"required"` is runtime, `"optional"` and `"excluded"` are optional,
//! none is unknown. The source is the registry: purl qualifiers such as
//! `repository_url` often name mirrors and are not used.
//!
//! Text that is not JSON is an error at serde_json's line; a JSON value that is
//! not an object with `"bomFormat": "CycloneDX"` is an error, and so is a
//! `components` that is not an array. Wrong-typed members that cverun reads
//! (`dependencies`, `metadata`, nested `components`, a component that is not an
//! object, a component's `name`, `group`, `version`, `purl` or `scope` that is not
//! a string) are warnings with their line; top-level keys that misspell
//! CycloneDX's are warnings; an SBOM without components says so.

use std::collections::HashMap;

use cverun_versions::normalize_name;
use serde_json::Value;

use super::purl::Purl;
use super::structure::json_type;
use crate::graph::Graph;
use crate::text::JsonLines;
use crate::{Input, ParseError, Parsed, Pin, Scope};

/// How deeply nested `components` are followed.
const MAX_NESTING: usize = 32;

/// Parses a CycloneDX JSON SBOM.
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
        .starts_with('<')
    {
        return Err(input.error(
            Some(1),
            "CycloneDX XML is not read; only the JSON format is",
        ));
    }
    let doc: Value =
        serde_json::from_str(input.text.trim_start_matches('\u{feff}')).map_err(|e| {
            input.error(
                u32::try_from(e.line()).ok().filter(|l| *l > 0),
                format!("not a CycloneDX SBOM: invalid JSON: {e}"),
            )
        })?;
    let Some(root) = doc.as_object() else {
        return Err(input.error(
            Some(1),
            "not a CycloneDX SBOM: the top level is not a JSON object",
        ));
    };
    let lines = JsonLines::new(input.text, 2 * MAX_NESTING + 4);
    match root.get("bomFormat").and_then(Value::as_str) {
        Some("CycloneDX") => {}
        other => {
            return Err(input.error(
                lines.line("/bomFormat").or(Some(1)),
                format!(
                    "not a CycloneDX SBOM: bomFormat is {}",
                    other.map_or_else(|| "missing".to_owned(), |s| format!("{s:?}"))
                ),
            ));
        }
    }
    let spec = root
        .get("specVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !matches!(spec, "1.2" | "1.3" | "1.4" | "1.5" | "1.6") {
        parsed.warnings.push(input.warning(
            lines.line("/specVersion"),
            format!(
                "CycloneDX specVersion {spec:?} is not one cverun knows (1.2 to 1.6); read as 1.6"
            ),
        ));
    }

    check_structure(input, root, &lines, &mut parsed.warnings)?;

    let subject = root.get("metadata").and_then(|m| m.get("component"));
    let root_ref = subject
        .and_then(|c| c.get("bom-ref"))
        .and_then(Value::as_str);

    // Walk components depth-first in file order (the root's nested ones first) with
    // an explicit stack: (component, JSON pointer, parent, depth).
    enum Parent {
        Root,
        Component(Option<usize>),
    }
    let mut work: Vec<(&Value, String, Parent, usize)> = Vec::new();
    if let Some(items) = root.get("components").and_then(Value::as_array) {
        for (k, c) in items.iter().enumerate().rev() {
            work.push((c, format!("/components/{k}"), Parent::Component(None), 0));
        }
    }
    if let Some(items) = subject
        .and_then(|s| s.get("components"))
        .and_then(Value::as_array)
    {
        for (k, c) in items.iter().enumerate().rev() {
            work.push((
                c,
                format!("/metadata/component/components/{k}"),
                Parent::Root,
                0,
            ));
        }
    }
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut by_ref: HashMap<String, usize> = HashMap::new();
    let mut edges: Vec<(usize, usize)> = Vec::new();
    let mut direct: Vec<usize> = Vec::new();
    while let Some((c, ptr, parent, depth)) = work.pop() {
        let line = lines.line(&ptr);
        if !c.is_object() {
            parsed.warnings.push(input.warning(
                line,
                format!(
                    "a component is a JSON {}, not an object; not read",
                    json_type(c)
                ),
            ));
            continue;
        }
        let this = component(input, c, line, &mut parsed, &mut index);
        if let (Some(i), Some(r)) = (this, c.get("bom-ref").and_then(Value::as_str)) {
            by_ref.entry(r.to_owned()).or_insert(i);
        }
        match (parent, this) {
            (Parent::Root, Some(i)) => direct.push(i),
            (Parent::Component(Some(p)), Some(i)) => edges.push((p, i)),
            _ => {}
        }
        if let Some(other) = c.get("components").filter(|v| !v.is_array()) {
            parsed.warnings.push(input.warning(
                lines.line(&format!("{ptr}/components")).or(line),
                format!(
                    "nested `components` is a JSON {}, not an array; not read",
                    json_type(other)
                ),
            ));
        }
        if let Some(nested) = c.get("components").and_then(Value::as_array) {
            if depth + 1 >= MAX_NESTING {
                parsed.warnings.push(input.warning(
                    line,
                    format!("components nested deeper than {MAX_NESTING} levels are not read"),
                ));
            } else {
                for (k, n) in nested.iter().enumerate().rev() {
                    work.push((
                        n,
                        format!("{ptr}/components/{k}"),
                        Parent::Component(this),
                        depth + 1,
                    ));
                }
            }
        }
    }

    // The dependency graph.
    let mut has_root_entry = !direct.is_empty();
    if let Some(deps) = root.get("dependencies").and_then(Value::as_array) {
        for d in deps {
            let Some(from) = d.get("ref").and_then(Value::as_str) else {
                continue;
            };
            let targets: Vec<usize> = d
                .get("dependsOn")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .filter_map(|r| by_ref.get(r).copied())
                        .collect()
                })
                .unwrap_or_default();
            if Some(from) == root_ref {
                has_root_entry = true;
                direct.extend(targets);
            } else if let Some(&f) = by_ref.get(from) {
                edges.extend(targets.into_iter().map(|t| (f, t)));
            }
        }
    }
    if has_root_entry {
        let mut graph = Graph::new(parsed.packages.len());
        for (f, t) in edges {
            graph.add_edge(f, t);
        }
        direct.sort_unstable();
        direct.dedup();
        graph.annotate(&direct, &mut parsed.packages);
    }
    if parsed.packages.is_empty() && parsed.warnings.is_empty() {
        let line = lines.line("/components").or(lines.line("/bomFormat"));
        parsed = Parsed::no_dependencies(input, line);
    }
    Ok(parsed)
}

/// The top-level keys of CycloneDX 1.2 to 1.6.
const TOP_KEYS: &[&str] = &[
    "$schema",
    "bomFormat",
    "specVersion",
    "serialNumber",
    "version",
    "metadata",
    "components",
    "services",
    "externalReferences",
    "dependencies",
    "compositions",
    "properties",
    "vulnerabilities",
    "annotations",
    "formulation",
    "declarations",
    "definitions",
    "signature",
];

/// Checks the types of the members cverun reads: `components` must be an array
/// (else an error: the packages cannot be read), `dependencies` an array and
/// `metadata` an object (else warnings); top-level keys that misspell CycloneDX's
/// are warnings.
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
        ("components", Shape::Array),
        &[("dependencies", Shape::Array), ("metadata", Shape::Object)],
        warnings,
    )
}

/// Adds the package of one component (or a warning); returns its index.
fn component(
    input: &Input<'_>,
    c: &Value,
    line: Option<u32>,
    parsed: &mut Parsed,
    index: &mut HashMap<String, usize>,
) -> Option<usize> {
    let name = c.get("name").and_then(Value::as_str).unwrap_or("");
    let group = c
        .get("group")
        .and_then(Value::as_str)
        .filter(|g| !g.is_empty());
    let version = c
        .get("version")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty());
    let label = {
        let mut l = match group {
            Some(g) => format!("{g}/{name}"),
            None => name.to_owned(),
        };
        if let Some(v) = version {
            l.push('@');
            l.push_str(v);
        }
        if l.is_empty() {
            "(unnamed)".to_owned()
        } else {
            l
        }
    };
    for key in ["name", "group", "version", "purl", "scope"] {
        if let Some(v) = c.get(key).filter(|v| !v.is_string() && !v.is_null()) {
            parsed.warnings.push(input.warning(
                line,
                format!(
                    "component {label}: `{key}` is a JSON {}, not a string; ignored",
                    json_type(v)
                ),
            ));
        }
    }
    let Some(purl_text) = c.get("purl").and_then(Value::as_str) else {
        parsed.warnings.push(input.warning(
            line,
            format!(
                "component {label} has no package URL (purl): its ecosystem is unknown; not checked"
            ),
        ));
        return None;
    };
    let purl = match Purl::parse(purl_text) {
        Ok(p) => p,
        Err(e) => {
            parsed.warnings.push(input.warning(
                line,
                format!(
                    "component {label} has an unreadable purl {purl_text:?} ({e}); not checked"
                ),
            ));
            return None;
        }
    };
    let mut p = purl.to_package();
    if let (Pin::Unpinned { .. }, Some(v)) = (&p.pin, version) {
        p.pin = Pin::Exact(v.to_owned());
    }
    p.scope = match c.get("scope").and_then(Value::as_str) {
        Some("required") => Scope::Runtime,
        Some("optional" | "excluded") => Scope::Optional,
        _ => Scope::Unknown,
    };
    p.line = line;
    let key = format!(
        "{}\u{0}{}\u{0}{:?}",
        p.ecosystem,
        normalize_name(&p.ecosystem, &p.name),
        p.pin
    );
    if let Some(&i) = index.get(&key) {
        if let Some(q) = parsed.packages.get_mut(i) {
            if p.scope.breadth() > q.scope.breadth() {
                q.scope = p.scope;
            }
        }
        return Some(i);
    }
    parsed.packages.push(p);
    let i = parsed.packages.len() - 1;
    index.insert(key, i);
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DiskFiles, Package, Relation};
    use cverun_versions::Ecosystem;
    use std::path::Path;

    fn run(text: &str) -> Result<Parsed, ParseError> {
        parse(&Input {
            path: Path::new("bom.json"),
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

    const HEAD: &str = "{\n\"bomFormat\": \"CycloneDX\",\n\"specVersion\": \"1.5\",\n";

    /// Malformations that used to parse to zero packages without a word.
    #[test]
    fn structure() {
        // `components` as a string: an error at its line.
        let e = run(&format!("{HEAD}\"components\": \"left-pad\"\n}}")).unwrap_err();
        assert_eq!(e.line, Some(4));
        assert_eq!(e.message, "`components` is a JSON string, not an array");
        // Misspelled: a warning at its line, and "empty".
        let p = run(&format!(
            "{HEAD}\"compnents\": [{{\"name\": \"a\", \"purl\": \"pkg:npm/a@1.0.0\"}}]\n}}"
        ))
        .unwrap();
        assert!(p.packages.is_empty());
        assert_eq!(
            messages(&p),
            [(
                Some(4),
                "unknown key \"compnents\" (did you mean \"components\"?)".to_owned()
            )]
        );
        // No components at all: said so.
        let p = run(&format!("{HEAD}\"version\": 1\n}}")).unwrap();
        assert_eq!(
            messages(&p),
            [(Some(2), "empty: no dependencies declared".to_owned())]
        );
        // A component that is not an object, one with a numeric version beside a
        // readable one, and `dependencies` as an object.
        let p = run(&format!(
            "{HEAD}\"components\": [\n\"a\",\n{{\"name\": \"b\", \"version\": 2, \"purl\": \"pkg:npm/b@2.0.0\"}}\n],\n\"dependencies\": {{}}\n}}"
        ))
        .unwrap();
        assert_eq!(p.packages.len(), 1);
        assert_eq!(
            messages(&p),
            [
                (
                    Some(8),
                    "`dependencies` is a JSON object, not an array; not read".to_owned()
                ),
                (
                    Some(5),
                    "a component is a JSON string, not an object; not read".to_owned()
                ),
                (
                    Some(6),
                    "component b: `version` is a JSON number, not a string; ignored".to_owned()
                ),
            ]
        );
        // Nested components that are not an array.
        let p = run(&format!(
            "{HEAD}\"components\": [{{\"name\": \"b\", \"purl\": \"pkg:npm/b@2.0.0\",\n\"components\": {{}}}}]\n}}"
        ))
        .unwrap();
        assert_eq!(p.packages.len(), 1);
        assert_eq!(
            messages(&p),
            [(
                Some(5),
                "nested `components` is a JSON object, not an array; not read".to_owned()
            )]
        );
    }

    fn find<'a>(p: &'a Parsed, name: &str) -> &'a Package {
        p.packages
            .iter()
            .find(|x| x.name == name)
            .unwrap_or_else(|| panic!("{name} not found in {:?}", p.packages))
    }

    /// A small SBOM in the shape cdxgen and the CycloneDX Maven plugin write.
    const BOM: &str = r#"{
  "bomFormat": "CycloneDX",
  "specVersion": "1.5",
  "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
  "version": 1,
  "metadata": {
    "timestamp": "2024-05-01T10:00:00Z",
    "component": {
      "type": "application",
      "bom-ref": "pkg:maven/com.example/shop@1.0.0?type=jar",
      "group": "com.example",
      "name": "shop",
      "version": "1.0.0",
      "purl": "pkg:maven/com.example/shop@1.0.0?type=jar"
    }
  },
  "components": [
    {
      "type": "library",
      "bom-ref": "pkg:maven/org.springframework.boot/spring-boot-starter-web@3.2.0?type=jar",
      "group": "org.springframework.boot",
      "name": "spring-boot-starter-web",
      "version": "3.2.0",
      "scope": "required",
      "purl": "pkg:maven/org.springframework.boot/spring-boot-starter-web@3.2.0?type=jar"
    },
    {
      "type": "library",
      "bom-ref": "pkg:maven/org.apache.tomcat.embed/tomcat-embed-core@10.1.16?type=jar",
      "group": "org.apache.tomcat.embed",
      "name": "tomcat-embed-core",
      "version": "10.1.16",
      "scope": "required",
      "purl": "pkg:maven/org.apache.tomcat.embed/tomcat-embed-core@10.1.16?type=jar"
    },
    {
      "type": "library",
      "bom-ref": "pkg:maven/org.apache.logging.log4j/log4j-api@2.21.1?type=jar",
      "group": "org.apache.logging.log4j",
      "name": "log4j-api",
      "version": "2.21.1",
      "purl": "pkg:maven/org.apache.logging.log4j/log4j-api@2.21.1?type=jar",
      "components": [
        {
          "type": "library",
          "bom-ref": "shaded-json",
          "name": "json-smart",
          "version": "2.4.7",
          "purl": "pkg:maven/net.minidev/json-smart@2.4.7"
        }
      ]
    },
    {
      "type": "library",
      "bom-ref": "pkg:maven/junit/junit@4.13.2?type=jar",
      "group": "junit",
      "name": "junit",
      "version": "4.13.2",
      "scope": "optional",
      "purl": "pkg:maven/junit/junit@4.13.2?type=jar"
    },
    {
      "type": "library",
      "bom-ref": "vendored-zlib",
      "name": "zlib",
      "version": "1.2.13"
    },
    {
      "type": "library",
      "bom-ref": "pkg:npm/%40babel/core@7.23.0",
      "name": "core",
      "group": "@babel",
      "purl": "pkg:npm/%40babel/core@7.23.0"
    }
  ],
  "dependencies": [
    {
      "ref": "pkg:maven/com.example/shop@1.0.0?type=jar",
      "dependsOn": [
        "pkg:maven/org.springframework.boot/spring-boot-starter-web@3.2.0?type=jar",
        "pkg:maven/junit/junit@4.13.2?type=jar",
        "pkg:maven/org.apache.logging.log4j/log4j-api@2.21.1?type=jar"
      ]
    },
    {
      "ref": "pkg:maven/org.springframework.boot/spring-boot-starter-web@3.2.0?type=jar",
      "dependsOn": [
        "pkg:maven/org.apache.tomcat.embed/tomcat-embed-core@10.1.16?type=jar"
      ]
    },
    {
      "ref": "pkg:maven/org.apache.tomcat.embed/tomcat-embed-core@10.1.16?type=jar",
      "dependsOn": []
    }
  ]
}"#;

    #[test]
    fn components_graph_scopes_and_warnings() {
        let p = run(BOM).unwrap();
        let names: Vec<&str> = p.packages.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "org.springframework.boot:spring-boot-starter-web",
                "org.apache.tomcat.embed:tomcat-embed-core",
                "org.apache.logging.log4j:log4j-api",
                "net.minidev:json-smart",
                "junit:junit",
                "@babel/core",
            ],
            "the root is not a package"
        );
        let web = find(&p, "org.springframework.boot:spring-boot-starter-web");
        assert_eq!(web.ecosystem, Ecosystem::Maven);
        assert_eq!(web.pin, Pin::Exact("3.2.0".into()));
        assert_eq!(web.relation, Relation::Direct);
        assert_eq!(web.scope, Scope::Runtime);
        assert_eq!(web.line, Some(18));
        let tomcat = find(&p, "org.apache.tomcat.embed:tomcat-embed-core");
        assert_eq!(tomcat.relation, Relation::Transitive);
        assert_eq!(
            tomcat.paths,
            vec![vec![
                "org.springframework.boot:spring-boot-starter-web@3.2.0",
                "org.apache.tomcat.embed:tomcat-embed-core@10.1.16"
            ]]
        );
        let shaded = find(&p, "net.minidev:json-smart");
        assert_eq!(
            shaded.relation,
            Relation::Transitive,
            "nested in a direct dependency"
        );
        assert_eq!(shaded.line, Some(44));
        assert_eq!(find(&p, "junit:junit").scope, Scope::Optional);
        let babel = find(&p, "@babel/core");
        assert_eq!(babel.ecosystem, Ecosystem::Npm);
        assert_eq!(
            babel.relation,
            Relation::Unknown,
            "not reachable from the root"
        );
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(62));
        assert!(
            p.warnings[0].message.contains("zlib@1.2.13"),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn without_root_relations_are_unknown_and_duplicates_merge() {
        let text = r#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": [
  {"type": "library", "name": "requests", "version": "2.31.0", "purl": "pkg:pypi/requests@2.31.0"},
  {"type": "library", "name": "Requests", "version": "2.31.0", "purl": "pkg:pypi/Requests@2.31.0", "scope": "required"},
  {"type": "library", "name": "left-pad", "version": "1.3.0", "purl": "pkg:npm/left-pad"},
  {"type": "library", "name": "x", "purl": "not a purl"},
  {"type": "operating-system", "name": "debian", "version": "12"},
  {"type": "library", "name": "curl", "purl": "pkg:deb/debian/curl@7.88.1-10?arch=amd64"},
  {"type": "library", "name": "Newtonsoft.Json", "purl": "pkg:nuget/Newtonsoft.Json@13.0.1"},
  {"type": "library", "name": "newtonsoft.json", "purl": "pkg:nuget/newtonsoft.json@13.0.1"}
], "dependencies": [{"ref": "a", "dependsOn": ["b"]}]}"#;
        let p = run(text).unwrap();
        assert_eq!(
            p.packages.len(),
            4,
            "NuGet ids differing in case are one package"
        );
        assert_eq!(find(&p, "Newtonsoft.Json").ecosystem, Ecosystem::NuGet);
        assert!(p.packages.iter().all(|x| x.relation == Relation::Unknown));
        assert_eq!(find(&p, "requests").scope, Scope::Runtime);
        assert_eq!(
            find(&p, "left-pad").pin,
            Pin::Exact("1.3.0".into()),
            "version from the component"
        );
        assert_eq!(
            find(&p, "debian/curl").ecosystem,
            Ecosystem::Other("deb".into())
        );
        assert_eq!(p.warnings.len(), 2);
        assert_eq!(p.warnings[0].line, Some(5));
    }

    #[test]
    fn root_nested_components_are_direct() {
        let text = r#"{"bomFormat": "CycloneDX", "specVersion": "1.6",
 "metadata": {"component": {"bom-ref": "app", "name": "app", "type": "application",
   "components": [{"bom-ref": "lib", "name": "serde", "purl": "pkg:cargo/serde@1.0.193"}]}},
 "components": [{"bom-ref": "dep", "name": "itoa", "purl": "pkg:cargo/itoa@1.0.9"}],
 "dependencies": [{"ref": "lib", "dependsOn": ["dep"]}]}"#;
        let p = run(text).unwrap();
        assert_eq!(find(&p, "serde").relation, Relation::Direct);
        assert_eq!(find(&p, "itoa").relation, Relation::Transitive);
        assert_eq!(
            find(&p, "itoa").paths,
            vec![vec!["serde@1.0.193", "itoa@1.0.9"]]
        );
    }

    #[test]
    fn errors() {
        let e = run("{\n  \"spdxVersion\": \"SPDX-2.3\"\n}").unwrap_err();
        assert!(e.message.contains("bomFormat is missing"), "{e}");
        let e = run("{\n  \"bomFormat\": \"SPDX\"\n}").unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = run("{\n  \"bomFormat\": \"CycloneDX\",\n  \"components\": [\n}").unwrap_err();
        assert_eq!(e.line, Some(4));
        assert!(e.message.contains("invalid JSON"), "{e}");
        assert!(run("[]").is_err());
        let e =
            run("<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\"/>")
                .unwrap_err();
        assert!(e.message.contains("XML"), "{e}");
        assert_eq!(run("").unwrap().warnings[0].message, "empty file");
        let v =
            run(r#"{"bomFormat": "CycloneDX", "specVersion": "1.7", "components": []}"#).unwrap();
        assert_eq!(v.warnings.len(), 1);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut text =
            String::from(r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": "#);
        for i in 0..50 {
            text.push_str(&format!(
                r#"[{{"name": "n{i}", "purl": "pkg:npm/n{i}@1.0.0", "components": "#
            ));
        }
        text.push_str("[]");
        for _ in 0..50 {
            text.push_str("}]");
        }
        text.push('}');
        let p = run(&text).unwrap();
        assert_eq!(p.packages.len(), MAX_NESTING);
        assert_eq!(p.warnings.len(), 1);
    }

    #[test]
    fn truncated_documents_never_panic() {
        let bytes = BOM.as_bytes();
        for k in 0..=10 {
            let _ = run(&String::from_utf8_lossy(&bytes[..bytes.len() * k / 10]));
        }
    }

    proptest::proptest! {
        #[test]
        fn flipped_bytes_never_panic(
            flips in proptest::collection::vec((0usize..10_000, proptest::num::u8::ANY), 1..10),
        ) {
            let mut bytes = BOM.as_bytes().to_vec();
            for (at, b) in flips {
                let i = at % bytes.len();
                bytes[i] = b;
            }
            let _ = run(&String::from_utf8_lossy(&bytes));
        }
    }
}
