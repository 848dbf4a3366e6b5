//! NuGet lockfiles (`packages.lock.json`).
//!
//! Written by NuGet restore when `RestorePackagesWithLockFile` is set. Format
//! versions 1 and 2 (2 adds `CentralTransitive` for central package management with
//! transitive pinning) are read; another version is a warning and read alike:
//!
//! ```json
//! {"version": 1,
//!  "dependencies": {
//!    "net6.0": {
//!      "Pkg.Name": {"type": "Direct", "requested": "[1.0.0, )", "resolved": "1.0.0",
//!                   "contentHash": "...", "dependencies": {"Other": "[2.0.0, )"}}},
//!    "net6.0/linux-x64": {...}}}
//! ```
//!
//! Each key under `dependencies` is a target framework, optionally with a runtime
//! identifier; under it, one entry per package restored for that target.
//!
//! Packages:
//! - `resolved` is the exact version restored. An entry without one (other than a
//!   project) is a warning and kept unpinned with its `requested` range.
//! - `type`: `Direct` entries are the project's direct dependencies; `Transitive` and
//!   `CentralTransitive` entries are pulled in by others; `Project` entries are other
//!   projects of the solution (a local path source, no version). An unknown type is
//!   a warning, and the entry is kept with an unknown relation.
//! - The graph is each target's `dependencies` maps (package names resolved within
//!   the same target), so transitive packages get their paths from a direct one.
//!   Transitive entries that the graph does not reach are still transitive.
//! - A package restored for several targets is reported once per distinct (name,
//!   version), names compared without case as NuGet does (the first spelling is
//!   kept): the same version under `net6.0` and `net6.0/linux-x64` is one
//!   package; two versions under two frameworks are two packages. The merged
//!   package is direct when it is direct for any target, and keeps the line of its
//!   first entry in the file.
//! - The scope is unknown: the lockfile does not say whether the project is a test
//!   project (its `.csproj` does).
//!
//! A file that is not JSON is an error at the line serde_json reports; a JSON value
//! that is not an object with a `dependencies` object is an error.

use std::collections::HashMap;

use cverun_versions::Ecosystem;
use serde_json::Value;

use crate::graph::Graph;
use crate::text::{JsonLines, escape};
use crate::{Input, Package, ParseError, Parsed, Pin, Relation, Scope, Source};

/// Parses a NuGet `packages.lock.json`.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    let mut parsed = Parsed::default();
    if input.text.trim().is_empty() {
        parsed.warnings.push(input.warning(None, "empty file"));
        return Ok(parsed);
    }
    let doc: Value =
        serde_json::from_str(input.text.trim_start_matches('\u{feff}')).map_err(|e| {
            input.error(
                u32::try_from(e.line()).ok().filter(|l| *l > 0),
                format!("not a NuGet packages.lock.json: invalid JSON: {e}"),
            )
        })?;
    let Some(root) = doc.as_object() else {
        return Err(input.error(
            Some(1),
            "not a NuGet packages.lock.json: the top level is not a JSON object",
        ));
    };
    let lines = JsonLines::new(input.text, 3);
    match root.get("version").and_then(Value::as_u64) {
        Some(1 | 2) => {}
        other => parsed.warnings.push(input.warning(
            lines.line("/version"),
            format!(
                "lockfile version {} is not one cverun knows (1, 2); read as version 2",
                other.map_or_else(|| "(missing)".to_owned(), |v| v.to_string())
            ),
        )),
    }
    let Some(targets) = root.get("dependencies").and_then(Value::as_object) else {
        return Err(input.error(
            lines.line("/dependencies").or(Some(1)),
            "not a NuGet packages.lock.json: no \"dependencies\" object",
        ));
    };

    // Packages, merged by (name, version): index by key.
    struct Entry {
        transitive: bool,
        direct: bool,
    }
    let mut index: HashMap<(String, String, bool), usize> = HashMap::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut packages: Vec<Package> = Vec::new();
    // Per target: lower-case name -> package index, and the raw edges.
    let mut edges: Vec<(usize, usize)> = Vec::new();

    for (target, pkgs) in targets {
        let tptr = format!("/dependencies/{}", escape(target));
        let Some(pkgs) = pkgs.as_object() else {
            parsed.warnings.push(input.warning(
                lines.line(&tptr),
                format!("target {target:?} is not an object; ignored"),
            ));
            continue;
        };
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut wanted: Vec<(usize, Vec<String>)> = Vec::new();
        for (name, entry) in pkgs {
            let ptr = format!("{tptr}/{}", escape(name));
            let line = lines.line(&ptr);
            let Some(e) = entry.as_object() else {
                parsed.warnings.push(input.warning(
                    line,
                    format!("entry for {name:?} under {target:?} is not an object; not included"),
                ));
                continue;
            };
            let ty = e.get("type").and_then(Value::as_str).unwrap_or("");
            let resolved = e
                .get("resolved")
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty());
            let requested = e.get("requested").and_then(Value::as_str).unwrap_or("");
            let project = ty.eq_ignore_ascii_case("project");
            let pin = match resolved {
                Some(v) => Pin::Exact(v.trim().to_owned()),
                None => {
                    if !project {
                        parsed.warnings.push(input.warning(
                            line,
                            format!(
                                "{name:?} under {target:?} has no resolved version; kept unpinned"
                            ),
                        ));
                    }
                    Pin::Unpinned {
                        specifier: requested.to_owned(),
                    }
                }
            };
            let (direct, transitive) = match ty.to_ascii_lowercase().as_str() {
                "direct" => (true, false),
                "transitive" | "centraltransitive" => (false, true),
                "project" => (false, false),
                _ => {
                    parsed.warnings.push(input.warning(
                        line,
                        format!(
                            "{name:?} under {target:?} has unknown type {ty:?}; relation unknown"
                        ),
                    ));
                    (false, false)
                }
            };
            let mut p = Package::new(Ecosystem::NuGet, name, pin.clone());
            let key = (p.name.to_ascii_lowercase(), format!("{pin:?}"), project);
            let i = match index.get(&key) {
                Some(&i) => i,
                None => {
                    p.scope = Scope::Unknown;
                    p.line = line;
                    if project {
                        p.source = Source::Path(name.clone());
                    }
                    packages.push(p);
                    entries.push(Entry {
                        transitive: false,
                        direct: false,
                    });
                    index.insert(key, packages.len() - 1);
                    packages.len() - 1
                }
            };
            if let Some(en) = entries.get_mut(i) {
                en.direct |= direct;
                en.transitive |= transitive;
            }
            if let Some(slot) = packages.get_mut(i) {
                if slot.line.is_none() || line.is_some_and(|l| slot.line.is_some_and(|s| l < s)) {
                    slot.line = line.or(slot.line);
                }
            }
            by_name.insert(name.to_ascii_lowercase(), i);
            let deps: Vec<String> = e
                .get("dependencies")
                .and_then(Value::as_object)
                .map(|d| d.keys().map(|k| k.to_ascii_lowercase()).collect())
                .unwrap_or_default();
            wanted.push((i, deps));
        }
        for (from, deps) in wanted {
            for d in deps {
                if let Some(&to) = by_name.get(&d) {
                    edges.push((from, to));
                }
            }
        }
    }

    // File order (serde_json does not keep key order): sort by line, remapping indices.
    let mut order: Vec<usize> = (0..packages.len()).collect();
    order.sort_by_key(|&i| (packages.get(i).and_then(|p| p.line).unwrap_or(u32::MAX), i));
    let mut new_index = vec![0usize; packages.len()];
    for (new, &old) in order.iter().enumerate() {
        if let Some(slot) = new_index.get_mut(old) {
            *slot = new;
        }
    }
    let mut sorted: Vec<Package> = Vec::with_capacity(packages.len());
    let mut sorted_entries: Vec<&Entry> = Vec::with_capacity(packages.len());
    for &old in &order {
        if let (Some(p), Some(e)) = (packages.get(old), entries.get(old)) {
            sorted.push(p.clone());
            sorted_entries.push(e);
        }
    }
    let mut graph = Graph::new(sorted.len());
    for (from, to) in edges {
        if let (Some(&f), Some(&t)) = (new_index.get(from), new_index.get(to)) {
            graph.add_edge(f, t);
        }
    }
    let direct: Vec<usize> = sorted_entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.direct)
        .map(|(i, _)| i)
        .collect();
    graph.annotate(&direct, &mut sorted);
    for (p, e) in sorted.iter_mut().zip(&sorted_entries) {
        if p.relation == Relation::Unknown && e.transitive {
            p.relation = Relation::Transitive;
        }
    }
    parsed.packages = sorted;
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DiskFiles;
    use std::path::Path;

    /// The packages.lock.json fixtures of `../shared`, or `None` (the test named
    /// `test` reported as skipped) when it is absent.
    fn fixture_dir(test: &str) -> Option<String> {
        crate::testutil::fixtures(test)
            .map(|d| d.join("dotnet/packageslockjson").display().to_string())
    }

    fn run(text: &str) -> Result<Parsed, ParseError> {
        parse(&Input {
            path: Path::new("packages.lock.json"),
            text,
            files: &DiskFiles,
        })
    }

    fn find<'a>(p: &'a Parsed, name: &str, version: &str) -> &'a Package {
        p.packages
            .iter()
            .find(|x| x.name == name && x.exact_version() == Some(version))
            .unwrap_or_else(|| panic!("{name}@{version} not found in {:?}", p.packages))
    }

    const MULTI: &str = r#"{
  "version": 2,
  "dependencies": {
    "net6.0": {
      "Newtonsoft.Json": {
        "type": "Direct",
        "requested": "[13.0.1, )",
        "resolved": "13.0.1",
        "contentHash": "abc"
      },
      "Serilog.Sinks.File": {
        "type": "Direct",
        "requested": "[5.0.0, )",
        "resolved": "5.0.0",
        "dependencies": {
          "Serilog": "2.10.0"
        }
      },
      "Serilog": {
        "type": "Transitive",
        "resolved": "2.10.0"
      },
      "System.Text.Json": {
        "type": "CentralTransitive",
        "requested": "[8.0.4, )",
        "resolved": "8.0.4"
      },
      "mylib": {
        "type": "Project",
        "dependencies": {
          "Serilog": "[2.10.0, )"
        }
      }
    },
    "net8.0": {
      "newtonsoft.json": {
        "type": "Direct",
        "requested": "[13.0.1, )",
        "resolved": "13.0.1"
      },
      "Serilog": {
        "type": "Transitive",
        "resolved": "3.1.1"
      },
      "Broken": {
        "type": "Transitive"
      }
    },
    "net8.0/linux-x64": {
      "runtime.linux-x64.Native": {
        "type": "Transitive",
        "resolved": "1.0.0"
      }
    }
  }
}"#;

    #[test]
    fn relations_graph_targets_and_projects() {
        let p = run(MULTI).unwrap();
        let names: Vec<String> = p.packages.iter().map(crate::graph::label).collect();
        assert_eq!(
            names,
            [
                "Newtonsoft.Json@13.0.1",
                "Serilog.Sinks.File@5.0.0",
                "Serilog@2.10.0",
                "System.Text.Json@8.0.4",
                "mylib",
                "Serilog@3.1.1",
                "Broken",
                "runtime.linux-x64.Native@1.0.0",
            ],
            "file order, one package per distinct (name, version), names compared without case"
        );
        let nj = find(&p, "Newtonsoft.Json", "13.0.1");
        assert_eq!(nj.relation, Relation::Direct);
        assert_eq!(nj.line, Some(5));
        let serilog = find(&p, "Serilog", "2.10.0");
        assert_eq!(serilog.relation, Relation::Transitive);
        assert_eq!(
            serilog.paths,
            vec![vec!["Serilog.Sinks.File@5.0.0", "Serilog@2.10.0"]]
        );
        assert_eq!(serilog.line, Some(19));
        assert_eq!(find(&p, "Serilog", "3.1.1").relation, Relation::Transitive);
        assert_eq!(
            find(&p, "System.Text.Json", "8.0.4").relation,
            Relation::Transitive
        );
        let project = p.packages.iter().find(|x| x.name == "mylib").unwrap();
        assert_eq!(project.source, Source::Path("mylib".into()));
        let broken = p.packages.iter().find(|x| x.name == "Broken").unwrap();
        assert_eq!(
            broken.pin,
            Pin::Unpinned {
                specifier: String::new()
            }
        );
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert_eq!(p.warnings[0].line, Some(45));
    }

    #[test]
    fn errors_and_odd_inputs() {
        let e = run("not\njson").unwrap_err();
        assert_eq!(e.line, Some(1));
        let e = run("[1, 2]").unwrap_err();
        assert!(e.message.contains("not a JSON object"), "{e}");
        let e = run("{\n  \"version\": 1\n}").unwrap_err();
        assert!(e.message.contains("no \"dependencies\""), "{e}");
        let bom = run("\u{feff}{\"version\": 1, \"dependencies\": {}}").unwrap();
        assert!(bom.packages.is_empty() && bom.warnings.is_empty());
        let empty = run("\n").unwrap();
        assert_eq!(empty.warnings[0].message, "empty file");
        let v3 = run(r#"{"version": 3, "dependencies": {"net6.0": {"A": {"type": "Weird", "resolved": "1.0.0"}}}}"#).unwrap();
        assert_eq!(v3.packages.len(), 1);
        assert_eq!(v3.packages[0].relation, Relation::Unknown);
        assert_eq!(v3.warnings.len(), 2);
    }

    #[test]
    fn fixtures() {
        let Some(dir) = fixture_dir(cverun_testkit::test_name!()) else {
            return;
        };
        // valid/packages.lock.json: one Direct entry and seven Transitive ones under net6.0.
        let text = std::fs::read_to_string(format!("{dir}/valid/packages.lock.json")).unwrap();
        let p = run(&text).unwrap();
        assert_eq!(p.packages.len(), 8);
        assert!(p.warnings.is_empty());
        let core = find(&p, "Core.Dep", "1.24.0");
        assert_eq!(core.relation, Relation::Direct);
        assert_eq!(core.line, Some(5));
        let five = find(&p, "Some.Dep.Five", "4.7.2");
        assert_eq!(five.relation, Relation::Transitive);
        assert_eq!(
            five.paths,
            vec![vec!["Core.Dep@1.24.0", "Some.Dep.Five@4.7.2"]]
        );
        assert_eq!(find(&p, "Another.Longer.Name.Dep", "4.5.4").line, Some(54));
        // invalid/invalid: the words "not" and "json" on two lines.
        let text = std::fs::read_to_string(format!("{dir}/invalid/invalid")).unwrap();
        let e = run(&text).unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("invalid JSON"), "{e}");
    }

    /// The inline text, and the fixtures when `../shared` is present.
    fn fixture_texts(test: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(dir) = fixture_dir(test) {
            for f in ["valid/packages.lock.json", "invalid/invalid"] {
                out.push(std::fs::read_to_string(format!("{dir}/{f}")).unwrap());
            }
        }
        out.push(MULTI.to_owned());
        out
    }

    #[test]
    fn truncated_fixtures_never_panic() {
        for text in fixture_texts(cverun_testkit::test_name!()) {
            let bytes = text.as_bytes();
            for k in 0..=10 {
                let _ = run(&String::from_utf8_lossy(&bytes[..bytes.len() * k / 10]));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn flipped_bytes_never_panic(
            which in 0usize..3,
            flips in proptest::collection::vec((0usize..10_000, proptest::num::u8::ANY), 1..10),
        ) {
            let texts = fixture_texts(cverun_testkit::test_name!());
            let mut bytes = texts[which % texts.len()].clone().into_bytes();
            for (at, b) in flips {
                let i = at % bytes.len();
                bytes[i] = b;
            }
            let _ = run(&String::from_utf8_lossy(&bytes));
        }
    }
}
