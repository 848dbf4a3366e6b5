//! NuGet `packages.config`: the package list of classic .NET Framework projects.
//!
//! An XML document `<packages>` of `<package id="..." version="..."
//! targetFramework="..." developmentDependency="true" allowedVersions="..." />`
//! elements. NuGet restores exactly the listed version of every package, and the
//! file lists every package the project installs (those it asked for and those
//! they pulled in, without saying which), so:
//! - pin: `version` as written is [`Pin::Exact`]; `allowedVersions` only limits
//!   later updates and is not read;
//! - relation: [`Relation::Unknown`] (the file does not say), no paths;
//! - scope: `developmentDependency="true"` is [`Scope::Development`] (build-time
//!   tools and analyzers that do not ship), otherwise [`Scope::Runtime`];
//! - names compare case-insensitively, as in NuGet, and are reported as written.
//!
//! Errors and warnings: text that is not XML is an error at the XML parser's line;
//! XML whose root is not `<packages>` is an error at the root's line. A `<package>`
//! without `id` is a warning with its line (not included); one without `version`
//! is kept unpinned with a warning. Other elements are warnings (ignored). White
//! space only is an "empty file", `<packages/>` "no dependencies declared". A UTF-8
//! BOM is accepted.
//!
//! [`Relation::Unknown`]: crate::Relation::Unknown

use cverun_versions::Ecosystem;
use roxmltree::Document;

use crate::text::strip_bom;
use crate::{Input, Package, ParseError, Parsed, Pin, Relation, Scope};

/// Parses a `packages.config`.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    let text = strip_bom(input.text);
    if text.trim().is_empty() {
        return Ok(Parsed::empty_file(input));
    }
    let doc = Document::parse(text).map_err(|e| {
        input.error(
            Some(e.pos().row),
            format!("not a packages.config: invalid XML: {e}"),
        )
    })?;
    let root = doc.root_element();
    let lines = crate::text::LineIndex::new(text);
    let line_of = |node: roxmltree::Node<'_, '_>| lines.line(node.range().start);
    if root.tag_name().name() != "packages" {
        return Err(input.error(
            Some(line_of(root)),
            format!(
                "not a packages.config: root element is <{}>, not <packages>",
                root.tag_name().name()
            ),
        ));
    }
    let mut parsed = Parsed::default();
    for node in root.children().filter(|n| n.is_element()) {
        let line = line_of(node);
        if node.tag_name().name() != "package" {
            parsed.warnings.push(input.warning(
                Some(line),
                format!("unexpected element <{}>; ignored", node.tag_name().name()),
            ));
            continue;
        }
        let Some(id) = node
            .attribute("id")
            .map(str::trim)
            .filter(|s| !s.is_empty())
        else {
            parsed
                .warnings
                .push(input.warning(Some(line), "<package> without an id; not included"));
            continue;
        };
        let pin = match node
            .attribute("version")
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(v) => Pin::Exact(v.to_owned()),
            None => {
                parsed
                    .warnings
                    .push(input.warning(Some(line), format!("{id} has no version; kept unpinned")));
                Pin::Unpinned {
                    specifier: String::new(),
                }
            }
        };
        let mut p = Package::new(Ecosystem::NuGet, id, pin);
        p.relation = Relation::Unknown;
        p.scope = match node.attribute("developmentDependency") {
            Some(v) if v.trim().eq_ignore_ascii_case("true") => Scope::Development,
            _ => Scope::Runtime,
        };
        p.line = Some(line);
        parsed.packages.push(p);
    }
    if parsed.packages.is_empty() && parsed.warnings.is_empty() {
        return Ok(Parsed::no_dependencies(input, Some(line_of(root))));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileKind;
    use crate::testutil::{Expect, check_fixtures, never_panics, parse_fixture, parse_str};

    const KIND: FileKind = FileKind::PackagesConfig;

    fn ok(text: &str) -> Parsed {
        parse_str(KIND, "svc/packages.config", text).expect("parses")
    }

    /// Expected results read off the four shared fixtures
    /// (osv-scalibr `extractor/filesystem/language/dotnet/packagesconfig/testdata`).
    #[test]
    fn shared_fixtures() {
        check_fixtures(
            cverun_testkit::test_name!(),
            KIND,
            "dotnet/packagesconfig",
            &[
                ("invalid", Expect::Err("invalid XML", Some(1))),
                (
                    "nopackage",
                    Expect::Ok(
                        1,
                        &[(
                            "Microsoft.CodeDom.Providers.DotNetCompilerPlatform",
                            "1.0.0",
                        )],
                    ),
                ),
                (
                    "noversion",
                    Expect::Ok(
                        2,
                        &[(
                            "Microsoft.CodeDom.Providers.DotNetCompilerPlatform",
                            "1.0.0",
                        )],
                    ),
                ),
                (
                    "valid",
                    Expect::Ok(
                        2,
                        &[
                            (
                                "Microsoft.CodeDom.Providers.DotNetCompilerPlatform",
                                "1.0.0",
                            ),
                            ("Microsoft.Net.Compilers", "1.0.0"),
                        ],
                    ),
                ),
            ],
        );
    }

    #[test]
    fn fixture_details() {
        let Some(fx) = crate::testutil::fixtures(cverun_testkit::test_name!()) else {
            return;
        };
        let valid = parse_fixture(&fx, KIND, "dotnet/packagesconfig/valid").unwrap();
        assert!(valid.warnings.is_empty(), "{:?}", valid.warnings);
        let scopes: Vec<(Scope, Option<u32>)> =
            valid.packages.iter().map(|p| (p.scope, p.line)).collect();
        assert_eq!(
            scopes,
            vec![(Scope::Runtime, Some(3)), (Scope::Development, Some(4))]
        );
        assert!(
            valid
                .packages
                .iter()
                .all(|p| p.ecosystem == Ecosystem::NuGet && p.relation == Relation::Unknown)
        );
        let nopackage = parse_fixture(&fx, KIND, "dotnet/packagesconfig/nopackage").unwrap();
        assert_eq!(nopackage.warnings.len(), 1);
        assert_eq!(nopackage.warnings[0].line, Some(4));
        assert!(nopackage.warnings[0].message.contains("without an id"));
        let noversion = parse_fixture(&fx, KIND, "dotnet/packagesconfig/noversion").unwrap();
        assert_eq!(noversion.warnings.len(), 1);
        assert_eq!(noversion.warnings[0].line, Some(4));
        assert_eq!(
            noversion.packages[1].pin,
            Pin::Unpinned {
                specifier: String::new()
            }
        );
        let invalid = parse_fixture(&fx, KIND, "dotnet/packagesconfig/invalid").unwrap_err();
        assert!(
            invalid.to_string().contains("packagesconfig/invalid:1:"),
            "{invalid}"
        );
    }

    #[test]
    fn root_other_elements_empty_and_bom() {
        let e = parse_str(
            KIND,
            "svc/packages.config",
            "<?xml version=\"1.0\"?>\n<Project />\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("not <packages>"), "{e}");
        let p = ok(
            "<packages>\n  <!-- c -->\n  <pkg id=\"a\" />\n  <package id=\"Newtonsoft.Json\" version=\"9.0.1\" />\n</packages>",
        );
        assert_eq!(p.packages.len(), 1);
        assert_eq!(p.packages[0].line, Some(4));
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(3));
        assert_eq!(ok("\n").warnings[0].message, "empty file");
        let empty = ok("<?xml version=\"1.0\"?>\n<packages />\n");
        assert!(empty.packages.is_empty());
        assert!(
            empty.warnings[0]
                .message
                .contains("no dependencies declared")
        );
        assert_eq!(empty.warnings[0].line, Some(2));
        let bom =
            ok("\u{feff}<packages>\n<package id=\"jQuery\" version=\"1.8.2\" />\n</packages>");
        assert_eq!(bom.packages[0].exact_version(), Some("1.8.2"));
        assert_eq!(bom.packages[0].line, Some(2));
    }

    #[test]
    fn never_panics_on_damaged_text() {
        let Some(fx) = crate::testutil::fixtures(cverun_testkit::test_name!()) else {
            return;
        };
        let text = std::fs::read_to_string(fx.join("dotnet/packagesconfig/valid")).unwrap();
        never_panics(KIND, &text);
    }

    /// 20,000 packages: every one read, with its own line.
    #[test]
    fn a_large_file_is_read_whole_with_its_lines() {
        let n = 20_000;
        let mut text = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<packages>\n");
        for i in 0..n {
            text.push_str(&format!(
                "  <package id=\"Pkg.{i}\" version=\"1.0.{i}\" targetFramework=\"net48\" />\n"
            ));
        }
        text.push_str("</packages>\n");
        let p = ok(&text);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings.first());
        assert_eq!(p.packages.len(), n);
        let (first, last) = (&p.packages[0], &p.packages[n - 1]);
        assert_eq!(
            (first.name.as_str(), first.exact_version(), first.line),
            ("Pkg.0", Some("1.0.0"), Some(3))
        );
        assert_eq!(
            (last.name.as_str(), last.exact_version(), last.line),
            ("Pkg.19999", Some("1.0.19999"), Some(n as u32 + 2))
        );
    }
}
