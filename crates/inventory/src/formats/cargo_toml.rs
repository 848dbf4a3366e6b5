//! Cargo manifests (`Cargo.toml`). A `Cargo.lock` beside one is preferred (it pins
//! what is built); the manifest is read when there is none, and says only what
//! the crate asks for.
//!
//! Dependency tables read: `[dependencies]` ([`Scope::Runtime`]),
//! `[dev-dependencies]` ([`Scope::Development`]), `[build-dependencies]`
//! ([`Scope::Runtime`]: build scripts and proc macros run on the build machine and
//! can change what ships), the same three under `[target.'<cfg or triple>']`, the
//! legacy spellings `dev_dependencies`/`build_dependencies`, and
//! `[workspace.dependencies]` ([`Scope::Unknown`]: declarations that members
//! inherit, or not). `[patch]` and `[replace]` are not read.
//!
//! - Every dependency is [`Relation::Direct`]; its line is the line of its key.
//! - Pins: a requirement `"=1.2.3"` (one `=` comparator with a full
//!   `major.minor.patch` version) is exact; anything else (`"1.0"`, Cargo's default
//!   caret requirement, `"~1.2"`, `"=1.2"`, `">=1, <2"`) is unpinned with the
//!   requirement as written. `workspace = true` is unpinned with the specifier
//!   `workspace` (the version lives in the workspace root).
//! - Tables: `version`, `git` (+ `rev`/`tag`/`branch`, the first present, as the
//!   revision) is [`Source::Git`], `path` is [`Source::Path`] (also with a
//!   `version`, which only matters when publishing), `registry`/`registry-index` is
//!   [`Source::OtherRegistry`], `optional = true` is [`Scope::Optional`],
//!   `package = "real-name"` makes the key a rename: the package is the real name.
//! - A dependency whose value is neither a string nor a table, or a table without
//!   `version`, `git`, `path` or `workspace`, is kept unpinned with a warning. A
//!   dependency section that is not a table, or a document with none of
//!   `[package]`, `[workspace]` or a dependency section, is an error; so is
//!   invalid TOML.
//!
//! [`Relation::Direct`]: crate::Relation::Direct

use cverun_versions::Ecosystem;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::toml_doc::{self, Doc, get_str};
use crate::{Input, Package, ParseError, Parsed, Pin, Relation, Scope, Source, Warning};

/// Dependency sections and their scope.
const SECTIONS: [(&str, Scope); 5] = [
    ("dependencies", Scope::Runtime),
    ("dev-dependencies", Scope::Development),
    ("dev_dependencies", Scope::Development),
    ("build-dependencies", Scope::Runtime),
    ("build_dependencies", Scope::Runtime),
];

/// Parses a `Cargo.toml`.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    if toml_doc::is_blank(input.text) {
        return Ok(Parsed::empty_file(input));
    }
    let doc = Doc::parse(input)?;
    let root = &doc.root;
    let known = ["package", "workspace", "target"]
        .iter()
        .chain(SECTIONS.iter().map(|(s, _)| s))
        .any(|k| root.get(*k).is_some());
    if !known {
        return Err(input.error(
            Some(1),
            "not a Cargo manifest: no [package], [workspace], [target] or dependency table",
        ));
    }
    let mut warnings = Vec::new();
    let mut packages = Vec::new();
    let read_sections = |table: &DeTable<'_>,
                         where_: &str,
                         packages: &mut Vec<Package>,
                         warnings: &mut Vec<Warning>| {
        for (section, scope) in SECTIONS {
            if let Some(v) = table.get(section) {
                let label = format!("{where_}{section}");
                dependencies(input, &doc, v, &label, scope, packages, warnings)?;
            }
        }
        Ok::<(), ParseError>(())
    };
    read_sections(root, "", &mut packages, &mut warnings)?;
    if let Some(targets) = toml_doc::get(root, "target") {
        let Some(targets) = targets.get_ref().as_table() else {
            return Err(input.error(Some(doc.line_of(targets)), "[target] must be a table"));
        };
        for (cfg, value) in targets.iter() {
            let Some(t) = value.get_ref().as_table() else {
                warnings.push(input.warning(
                    Some(doc.line_of(value)),
                    format!("target {:?} is not a table; ignored", cfg.get_ref()),
                ));
                continue;
            };
            read_sections(
                t,
                &format!("target.{}.", cfg.get_ref()),
                &mut packages,
                &mut warnings,
            )?;
        }
    }
    if let Some(ws) = toml_doc::get_table(root, "workspace") {
        if let Some(v) = ws.get("dependencies") {
            dependencies(
                input,
                &doc,
                v,
                "workspace.dependencies",
                Scope::Unknown,
                &mut packages,
                &mut warnings,
            )?;
        }
    }
    packages.sort_by_key(|p| p.line);
    Ok(Parsed {
        packages,
        warnings,
        includes: Vec::new(),
    })
}

/// Reads one dependency table.
fn dependencies(
    input: &Input<'_>,
    doc: &Doc<'_>,
    value: &Spanned<DeValue<'_>>,
    label: &str,
    scope: Scope,
    packages: &mut Vec<Package>,
    warnings: &mut Vec<Warning>,
) -> Result<(), ParseError> {
    let Some(table) = value.get_ref().as_table() else {
        return Err(input.error(
            Some(doc.line_of(value)),
            format!(
                "[{label}] must be a table, found {}",
                toml_doc::type_name(value.get_ref())
            ),
        ));
    };
    for (key, spec) in table.iter() {
        let line = doc.line_of(key);
        packages.push(dependency(
            input,
            key.get_ref(),
            spec.get_ref(),
            scope,
            line,
            warnings,
        ));
    }
    Ok(())
}

/// One dependency: `name = "req"` or `name = { ... }`.
fn dependency(
    input: &Input<'_>,
    key: &str,
    spec: &DeValue<'_>,
    scope: Scope,
    line: u32,
    warnings: &mut Vec<Warning>,
) -> Package {
    let unpinned = || Pin::Unpinned {
        specifier: String::new(),
    };
    let mut p = match spec {
        DeValue::String(req) => Package::new(Ecosystem::CratesIo, key, pin(req)),
        DeValue::Table(t) => {
            let name = get_str(t, "package").unwrap_or(key);
            let pin = if toml_doc::get_bool(t, "workspace") == Some(true) {
                Pin::Unpinned {
                    specifier: "workspace".into(),
                }
            } else if let Some(req) = get_str(t, "version") {
                pin(req)
            } else {
                if get_str(t, "git").is_none() && get_str(t, "path").is_none() {
                    warnings.push(input.warning(
                        Some(line),
                        format!("dependency {key} has no version, git or path; kept unpinned"),
                    ));
                }
                unpinned()
            };
            let mut p = Package::new(Ecosystem::CratesIo, name, pin);
            p.source = if let Some(url) = get_str(t, "git") {
                Source::Git {
                    url: url.to_owned(),
                    rev: ["rev", "tag", "branch"]
                        .iter()
                        .find_map(|k| get_str(t, k))
                        .map(str::to_owned),
                }
            } else if let Some(path) = get_str(t, "path") {
                Source::Path(path.to_owned())
            } else if let Some(reg) =
                get_str(t, "registry").or_else(|| get_str(t, "registry-index"))
            {
                Source::OtherRegistry(reg.to_owned())
            } else {
                Source::Registry
            };
            if toml_doc::get_bool(t, "optional") == Some(true) {
                p.scope = Scope::Optional;
            }
            p
        }
        other => {
            warnings.push(input.warning(
                Some(line),
                format!(
                    "dependency {key} is {}, not a string or table; kept unpinned",
                    toml_doc::type_name(other)
                ),
            ));
            Package::new(Ecosystem::CratesIo, key, unpinned())
        }
    };
    if p.scope == Scope::Unknown {
        p.scope = scope;
    }
    p.relation = Relation::Direct;
    p.line = Some(line);
    p
}

/// The pin of a version requirement: exact only for `=major.minor.patch[-pre][+build]`.
fn pin(req: &str) -> Pin {
    let r = req.trim();
    match r.strip_prefix('=').map(str::trim) {
        Some(v) if is_full_version(v) => Pin::Exact(v.to_owned()),
        _ => Pin::Unpinned {
            specifier: r.to_owned(),
        },
    }
}

/// `1.2.3`, `1.2.3-rc.1`, `1.2.3+build`: three numeric parts and well-formed tags.
fn is_full_version(v: &str) -> bool {
    let (rest, build) = match v.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (v, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    let tag_ok = |t: Option<&str>| {
        t.is_none_or(|t| {
            !t.is_empty()
                && t.split('.').all(|id| {
                    !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
        })
    };
    parts.len() == 3
        && parts
            .iter()
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && tag_ok(pre)
        && tag_ok(build)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileKind;
    use crate::formats::toml_doc::testing::flipped;
    use crate::testutil::{get, never_panics, parse_str};

    const KIND: FileKind = FileKind::CargoToml;

    fn ok(text: &str) -> Parsed {
        parse_str(KIND, "Cargo.toml", text).expect("parses")
    }

    const SAMPLE: &str = r#"[package]
name = "svc"
version = "0.1.0"

[dependencies]
serde = "1.0"
tokio = { version = "=1.36.0", features = ["full"] }
Regex_Lite = "=0.1"
openssl = { version = "0.10", optional = true }
myfork = { git = "https://github.com/o/myfork", branch = "fix", package = "hyper" }
local = { path = "../local", version = "0.2" }
internal = { version = "1", registry = "corp" }
shared = { workspace = true }
weird = 5
empty = { features = ["x"] }

[dependencies.uuid]
version = "1.8.0"

[dev-dependencies]
proptest = "=1.4.0-rc.1+meta"

[build-dependencies]
tonic-build = "0.11"

[target.'cfg(unix)'.dependencies]
libc = "0.2"

[target.x86_64-pc-windows-msvc.dev-dependencies]
winapi = "~0.3"

[workspace.dependencies]
anyhow = "1"
"#;

    #[test]
    fn sections_pins_sources_and_lines() {
        let p = ok(SAMPLE);
        assert_eq!(p.packages.len(), 16);
        assert!(p.packages.iter().all(|x| x.relation == Relation::Direct));
        let serde = get(&p, "serde");
        assert_eq!(
            (serde.pin.clone(), serde.scope, serde.line),
            (
                Pin::Unpinned {
                    specifier: "1.0".into()
                },
                Scope::Runtime,
                Some(6)
            )
        );
        assert_eq!(get(&p, "tokio").pin, Pin::Exact("1.36.0".into()));
        assert_eq!(
            get(&p, "Regex_Lite").pin,
            Pin::Unpinned {
                specifier: "=0.1".into()
            }
        );
        assert_eq!(get(&p, "openssl").scope, Scope::Optional);
        let hyper = get(&p, "hyper");
        assert_eq!(
            hyper.source,
            Source::Git {
                url: "https://github.com/o/myfork".into(),
                rev: Some("fix".into())
            }
        );
        assert_eq!(hyper.line, Some(10));
        assert_eq!(get(&p, "local").source, Source::Path("../local".into()));
        assert_eq!(
            get(&p, "internal").source,
            Source::OtherRegistry("corp".into())
        );
        assert_eq!(
            get(&p, "shared").pin,
            Pin::Unpinned {
                specifier: "workspace".into()
            }
        );
        assert_eq!(
            get(&p, "weird").pin,
            Pin::Unpinned {
                specifier: String::new()
            }
        );
        let uuid = get(&p, "uuid");
        assert_eq!(
            (uuid.pin.clone(), uuid.line),
            (
                Pin::Unpinned {
                    specifier: "1.8.0".into()
                },
                Some(17)
            )
        );
        let pt = get(&p, "proptest");
        assert_eq!(
            (pt.pin.clone(), pt.scope),
            (Pin::Exact("1.4.0-rc.1+meta".into()), Scope::Development)
        );
        assert_eq!(get(&p, "tonic-build").scope, Scope::Runtime);
        assert_eq!(
            (get(&p, "libc").scope, get(&p, "libc").line),
            (Scope::Runtime, Some(27))
        );
        assert_eq!(get(&p, "winapi").scope, Scope::Development);
        assert_eq!(get(&p, "anyhow").scope, Scope::Unknown);
        let w: Vec<_> = p.warnings.iter().map(|w| w.line).collect();
        assert_eq!(w, [Some(15), Some(14)]);
        let lines: Vec<_> = p.packages.iter().map(|x| x.line.unwrap()).collect();
        assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
    }

    #[test]
    fn exact_versions() {
        for v in ["1.2.3", "0.0.0", "1.2.3-alpha.1", "1.2.3+b.5", "1.2.3-x-y"] {
            assert!(is_full_version(v), "{v}");
        }
        for v in [
            "1.2",
            "1",
            "1.2.3.4",
            "1.2.x",
            "1.2.3-",
            "1.2.3+",
            "1.2.3-a..b",
            "",
        ] {
            assert!(!is_full_version(v), "{v}");
        }
        assert_eq!(pin(" = 1.2.3 "), Pin::Exact("1.2.3".into()));
        assert_eq!(
            pin("=1.2.3, <2"),
            Pin::Unpinned {
                specifier: "=1.2.3, <2".into()
            }
        );
        assert_eq!(
            pin("^1.2.3"),
            Pin::Unpinned {
                specifier: "^1.2.3".into()
            }
        );
    }

    #[test]
    fn errors() {
        let e = parse_str(
            KIND,
            "Cargo.toml",
            "cargo-features = []\ndependencies = 3\n\n[package]\nname = \"x\"\n",
        )
        .unwrap_err();
        assert!(e.message.contains("[dependencies] must be a table"), "{e}");
        assert_eq!(e.line, Some(2));
        let e = parse_str(KIND, "Cargo.toml", "[tool]\nx = 1\n").unwrap_err();
        assert!(e.message.contains("not a Cargo manifest"), "{e}");
        let e = parse_str(KIND, "Cargo.toml", "this is not valid toml! (I think)").unwrap_err();
        assert_eq!(e.line, Some(1));
        let p = ok("\n\n");
        assert_eq!(p.warnings[0].message, "empty file");
        // A virtual workspace without dependencies.
        assert!(ok("[workspace]\nmembers = [\"a\"]\n").packages.is_empty());
    }

    #[test]
    fn corpus_manifests() {
        let Some(corpus) = crate::testutil::corpus(cverun_testkit::test_name!()) else {
            return;
        };
        // Expected counts, independently:
        // python3 -c "import tomllib,sys; d=tomllib.load(open(sys.argv[1],'rb')); print(sum(len(d.get(s,{})) for s in ['dependencies','dev-dependencies','build-dependencies']))" Cargo.toml
        // -> 14 (2022-10), 20 (2024-06)
        let cases = [
            (
                "opentelemetry-demo@2022-10/src/shippingservice/Cargo.toml",
                14,
                ("tonic", "0.8"),
                ("uuid", "1.1.2"),
            ),
            (
                "opentelemetry-demo@2024-06/src/shippingservice/Cargo.toml",
                20,
                ("tonic", "0.11"),
                ("uuid", "1.8.0"),
            ),
        ];
        for (rel, n, (a, av), (b, bv)) in cases {
            let path = corpus.join(rel);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let p = parse_str(KIND, rel, &text).unwrap();
            assert_eq!(p.packages.len(), n, "{rel}");
            assert!(p.warnings.is_empty(), "{rel}: {:?}", p.warnings);
            for (name, spec) in [(a, av), (b, bv)] {
                assert_eq!(
                    get(&p, name).pin,
                    Pin::Unpinned {
                        specifier: spec.into()
                    },
                    "{rel}"
                );
            }
            assert_eq!(get(&p, "tonic-build").scope, Scope::Runtime);
            never_panics(KIND, &text);
        }
    }

    #[test]
    fn samples_never_panic_when_cut() {
        never_panics(KIND, SAMPLE);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn samples_never_panic_when_flipped(
            flips in proptest::collection::vec((proptest::prelude::any::<usize>(), proptest::prelude::any::<u8>()), 1..8),
        ) {
            let _ = parse_str(KIND, "Cargo.toml", &flipped(SAMPLE, &flips));
        }
    }
}
