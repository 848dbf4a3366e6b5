//! MSBuild project files (`*.csproj`, `*.fsproj`, `*.vbproj`): NuGet package references.
//!
//! Read: SDK-style and classic projects, `<Project>` root. Every `PackageReference`
//! item with an `Include` (a `;`-separated list is several packages) is a NuGet
//! package; `DotNetCliToolReference` items (project-local .NET CLI tools) too, with a
//! development scope. `Update="..."` items change the metadata of a reference made
//! elsewhere and are not dependencies; `Remove` items neither. `ProjectReference`
//! items are other projects, not packages, and are ignored; so are `Reference`
//! (assembly) items, which belong to `packages.config` projects.
//!
//! Versions: the `Version` attribute or child element, overridden by
//! `VersionOverride`. NuGet reads a bare `1.2.3` as "1.2.3 or higher" and restores
//! the lowest version available, which is 1.2.3 itself whenever it is published, so
//! a bare version is [`Pin::Exact`]; `[1.2.3]` is exact too. Ranges
//! (`[1.0,2.0)`, `(1.0,)`) and floating versions (`1.*`, `*`) are unpinned.
//! `$(Property)` references are resolved from the `PropertyGroup`s of the project,
//! then of the nearest `Directory.Build.props`, then of `Directory.Packages.props`; a
//! property defined with different values in several places (conditional property
//! groups) or not defined at all leaves the version unpinned with a warning.
//!
//! Central package management: a reference without a version takes the `Version`
//! of the matching `<PackageVersion Include=...>` in `Directory.Packages.props`,
//! looked up in the project's directory and then each parent directory through
//! [`Input::files`]; the nearest file wins and the search goes further up only when
//! it imports another `Directory.Packages.props`. No file or no entry: unpinned with a
//! warning. `GlobalPackageReference` items of that file apply to every project and
//! are added with a development scope (they are meant for analyzers and build
//! tools), with the file and line that declare them. The `PackageReference` items of
//! the nearest `Directory.Build.props`, which MSBuild imports into every project
//! below it, are added the same way with the usual scope rules.
//!
//! Scope: a test project (`<IsTestProject>true</IsTestProject>`, or a reference to
//! `Microsoft.NET.Test.Sdk`, which is how `dotnet test` recognises one) has all its
//! packages in the development scope; otherwise packages are runtime. Every package
//! is a direct dependency (project files name no transitive ones; the NuGet
//! lockfile does). Item `Condition`s are not evaluated: a conditional reference is
//! reported as if it applied. Identical references (same name and version) are
//! reported once.
//!
//! Text that is not XML is an error at the parser's line; XML whose root is not
//! `<Project>` is an error.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use cverun_versions::Ecosystem;
use roxmltree::{Document, Node};

use crate::text::LineIndex;
use crate::{Input, Package, ParseError, Parsed, Pin, Relation, Scope, Warning};

/// How far up `Directory.*.props` files are looked for.
const MAX_PARENT_DIRS: usize = 32;
/// How deep `$(A)` may refer to `$(B)`.
const MAX_PROPERTY_DEPTH: usize = 8;
/// How many references one value may expand in all.
const MAX_EXPANSIONS: usize = 1000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    PackageReference,
    CliTool,
    Global,
}

struct Item {
    kind: Kind,
    name: String,
    version: Option<String>,
    line: Option<u32>,
}

/// What one MSBuild file says.
#[derive(Default)]
struct ProjectFile {
    /// Property name (lower case) -> every value given to it.
    properties: HashMap<String, Vec<String>>,
    items: Vec<Item>,
    /// `PackageVersion` entries (lower-case name -> version).
    package_versions: HashMap<String, String>,
    is_test: bool,
    imports_parent_packages_props: bool,
}

/// Parses an MSBuild project file.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    let mut parsed = Parsed::default();
    if input.text.trim().is_empty() {
        parsed.warnings.push(input.warning(None, "empty file"));
        return Ok(parsed);
    }
    let doc = Document::parse(input.text).map_err(|e| {
        input.error(
            Some(e.pos().row),
            format!("not an MSBuild project: invalid XML: {e}"),
        )
    })?;
    let root = doc.root_element();
    if !root.tag_name().name().eq_ignore_ascii_case("Project") {
        return Err(input.error(
            Some(doc.text_pos_at(root.range().start).row),
            format!(
                "not an MSBuild project: root element is <{}>, not <Project>",
                root.tag_name().name()
            ),
        ));
    }
    let project = read_file(&doc);
    let dir = input.path.parent().unwrap_or(Path::new(""));
    let build_props = nearest(input, dir, "Directory.Build.props")
        .into_iter()
        .next();
    let packages_props = nearest(input, dir, "Directory.Packages.props");

    // Property lookup: the project, then Directory.Build.props, then Directory.Packages.props.
    let mut layers: Vec<&HashMap<String, Vec<String>>> = vec![&project.properties];
    if let Some((_, f)) = &build_props {
        layers.push(&f.properties);
    }
    for (_, f) in &packages_props {
        layers.push(&f.properties);
    }
    let is_test = project.is_test
        || project.items.iter().any(|i| {
            i.kind == Kind::PackageReference
                && i.name.eq_ignore_ascii_case("Microsoft.NET.Test.Sdk")
        });

    let mut items: Vec<(&Item, Option<&Path>)> = project.items.iter().map(|i| (i, None)).collect();
    if let Some((path, f)) = &build_props {
        items.extend(
            f.items
                .iter()
                .filter(|i| i.kind != Kind::Global)
                .map(|i| (i, Some(path.as_path()))),
        );
    }
    for (path, f) in &packages_props {
        items.extend(
            f.items
                .iter()
                .filter(|i| i.kind == Kind::Global)
                .map(|i| (i, Some(path.as_path()))),
        );
    }

    // Packages kept, by lower-case name and pin (names compare in any case).
    let mut kept: HashSet<(String, Pin)> = HashSet::new();
    for (item, from) in items {
        for raw_name in item.name.split(';') {
            let (name, unresolved_name) = expand(raw_name.trim(), &layers);
            if name.is_empty() {
                continue;
            }
            let warn = |message: String| Warning {
                path: from.unwrap_or(input.path).to_owned(),
                line: item.line,
                message,
            };
            if let Some(u) = &unresolved_name {
                parsed.warnings.push(warn(format!(
                    "package name {raw_name:?} uses property {u}, which is not defined once; kept as written"
                )));
            }
            let (raw_version, central) = match &item.version {
                Some(v) => (Some(v.clone()), false),
                None => {
                    let lower = name.to_ascii_lowercase();
                    let found = packages_props
                        .iter()
                        .find_map(|(_, f)| f.package_versions.get(&lower));
                    (found.cloned(), true)
                }
            };
            let pin = match raw_version {
                None => {
                    let why = if packages_props.is_empty() {
                        "has no version and no Directory.Packages.props was found"
                    } else {
                        "has no version and no <PackageVersion> in Directory.Packages.props"
                    };
                    parsed
                        .warnings
                        .push(warn(format!("package {name} {why}; kept unpinned")));
                    Pin::Unpinned {
                        specifier: String::new(),
                    }
                }
                Some(raw) => {
                    let (v, unresolved) = expand(raw.trim(), &layers);
                    if let Some(u) = unresolved {
                        let from_props = if central {
                            " (from Directory.Packages.props)"
                        } else {
                            ""
                        };
                        parsed.warnings.push(warn(format!(
                            "version {raw:?} of {name}{from_props} uses property {u}, which is not defined once; kept unpinned"
                        )));
                        Pin::Unpinned { specifier: v }
                    } else {
                        classify(&v)
                    }
                }
            };
            let mut p = Package::new(Ecosystem::NuGet, &name, pin);
            p.relation = Relation::Direct;
            p.scope = if is_test || item.kind != Kind::PackageReference {
                Scope::Development
            } else {
                Scope::Runtime
            };
            p.line = item.line;
            p.file = from.map(Path::to_owned);
            if kept.insert((p.name.to_ascii_lowercase(), p.pin.clone())) {
                parsed.packages.push(p);
            }
        }
    }
    Ok(parsed)
}

/// A NuGet version or range as a pin.
fn classify(v: &str) -> Pin {
    let v = v.trim();
    let unpinned = || Pin::Unpinned {
        specifier: v.to_owned(),
    };
    if v.is_empty() || v.contains('*') {
        return unpinned();
    }
    if let Some(inner) = v.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        if !inner.contains(',') && !inner.trim().is_empty() {
            return Pin::Exact(inner.trim().to_owned());
        }
        return unpinned();
    }
    if v.starts_with(['[', '(']) || v.contains([',', ' ']) {
        return unpinned();
    }
    Pin::Exact(v.to_owned())
}

/// Replaces `$(Name)` references; returns the text and the first reference that
/// could not be resolved (undefined or defined with different values).
fn expand(s: &str, layers: &[&HashMap<String, Vec<String>>]) -> (String, Option<String>) {
    let mut state = Expansion {
        bad: None,
        budget: MAX_EXPANSIONS,
    };
    let out = expand_depth(s, layers, 0, &mut state);
    (out, state.bad)
}

/// The first unresolved reference, and how many more expansions are allowed (so
/// that properties referring to each other many times cannot blow up).
struct Expansion {
    bad: Option<String>,
    budget: usize,
}

fn expand_depth(
    s: &str,
    layers: &[&HashMap<String, Vec<String>>],
    depth: usize,
    state: &mut Expansion,
) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some((before, after)) = rest.split_once("$(") {
        out.push_str(before);
        let Some((inner, tail)) = after.split_once(')') else {
            out.push_str("$(");
            out.push_str(after);
            rest = "";
            break;
        };
        let name = inner.trim();
        let reference = format!("$({inner})");
        let values = layers
            .iter()
            .find_map(|l| l.get(&name.to_ascii_lowercase()));
        let single =
            values.and_then(|vs| vs.first().filter(|first| vs.iter().all(|v| v == *first)));
        match single {
            Some(value) if depth < MAX_PROPERTY_DEPTH && state.budget > 0 => {
                state.budget -= 1;
                out.push_str(&expand_depth(value, layers, depth + 1, state));
            }
            _ => {
                if state.bad.is_none() {
                    state.bad = Some(reference.clone());
                }
                out.push_str(&reference);
            }
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// The nearest `name` in `dir` or its parents, read and parsed; when that file
/// imports another `Directory.Packages.props`, the next one up too (nearest first).
fn nearest(input: &Input<'_>, dir: &Path, name: &str) -> Vec<(PathBuf, ProjectFile)> {
    let mut out = Vec::new();
    for d in dir.ancestors().take(MAX_PARENT_DIRS) {
        let path = d.join(name);
        let Ok(text) = input.files.read(&path) else {
            continue;
        };
        let Ok(doc) = Document::parse(crate::text::strip_bom(&text)) else {
            continue;
        };
        let f = read_file(&doc);
        let more = f.imports_parent_packages_props && name == "Directory.Packages.props";
        out.push((path, f));
        if !more {
            break;
        }
    }
    out
}

fn local(n: &Node<'_, '_>) -> String {
    n.tag_name().name().to_ascii_lowercase()
}

fn attr<'a>(n: &Node<'a, '_>, name: &str) -> Option<&'a str> {
    n.attributes()
        .find(|a| a.name().eq_ignore_ascii_case(name))
        .map(|a| a.value())
}

fn child_text(n: &Node<'_, '_>, name: &str) -> Option<String> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name().eq_ignore_ascii_case(name))
        .map(|c| c.text().unwrap_or("").trim().to_owned())
}

/// Reads properties, package items and `PackageVersion`s of one MSBuild file.
fn read_file(doc: &Document<'_>) -> ProjectFile {
    let mut f = ProjectFile::default();
    // `Document::text_pos_at` counts lines from the start each time.
    let lines = LineIndex::new(doc.input_text());
    for n in doc.descendants().filter(Node::is_element) {
        let parent_is = |name: &str| n.parent_element().is_some_and(|p| local(&p) == name);
        let tag = local(&n);
        if parent_is("propertygroup") {
            let value = n.text().unwrap_or("").trim().to_owned();
            if tag == "istestproject" && value.eq_ignore_ascii_case("true") {
                f.is_test = true;
            }
            f.properties.entry(tag.clone()).or_default().push(value);
            continue;
        }
        if tag == "import" {
            if attr(&n, "Project").is_some_and(|p| p.contains("Directory.Packages.props")) {
                f.imports_parent_packages_props = true;
            }
            continue;
        }
        if !parent_is("itemgroup") {
            continue;
        }
        let kind = match tag.as_str() {
            "packagereference" => Kind::PackageReference,
            "dotnetclitoolreference" => Kind::CliTool,
            "globalpackagereference" => Kind::Global,
            "packageversion" => {
                if let (Some(name), Some(version)) = (
                    attr(&n, "Include"),
                    attr(&n, "Version")
                        .map(str::to_owned)
                        .or_else(|| child_text(&n, "Version")),
                ) {
                    for name in name.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                        f.package_versions
                            .entry(name.to_ascii_lowercase())
                            .or_insert_with(|| version.clone());
                    }
                }
                continue;
            }
            _ => continue,
        };
        let Some(name) = attr(&n, "Include") else {
            // `Update` and `Remove` items are not references.
            continue;
        };
        let version = attr(&n, "VersionOverride")
            .map(str::to_owned)
            .or_else(|| child_text(&n, "VersionOverride"))
            .or_else(|| attr(&n, "Version").map(str::to_owned))
            .or_else(|| child_text(&n, "Version"));
        f.items.push(Item {
            kind,
            name: name.to_owned(),
            version,
            line: Some(lines.line(n.range().start)),
        });
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::MemFiles;
    use crate::{DiskFiles, Files};

    fn run_in(path: &str, text: &str, files: &dyn Files) -> Result<Parsed, ParseError> {
        parse(&Input {
            path: Path::new(path),
            text,
            files,
        })
    }

    fn run(text: &str) -> Result<Parsed, ParseError> {
        run_in("repo/src/app/app.csproj", text, &MemFiles::default())
    }

    fn find<'a>(p: &'a Parsed, name: &str) -> &'a Package {
        p.packages
            .iter()
            .find(|x| x.name.eq_ignore_ascii_case(name))
            .unwrap_or_else(|| panic!("{name} not found in {:?}", p.packages))
    }

    #[test]
    fn references_versions_and_lines() {
        let text = r#"<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net8.0</TargetFramework>
    <SerilogVersion>3.1.1</SerilogVersion>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Newtonsoft.Json" Version="13.0.3" />
    <PackageReference Include="Serilog" Version="$(SerilogVersion)" />
    <PackageReference Include="Polly">
      <Version>8.2.0</Version>
    </PackageReference>
    <PackageReference Include="Range.Pkg" Version="[1.0,2.0)" />
    <PackageReference Include="Float.Pkg" Version="1.*" />
    <PackageReference Include="Exact.Pkg" Version="[2.5.0]" />
    <PackageReference Include="Undefined.Prop" Version="$(Nope)" />
    <PackageReference Include="A.One;A.Two" Version="4.0.0" />
    <PackageReference Update="Newtonsoft.Json" Version="13.0.4" />
    <ProjectReference Include="..\lib\lib.csproj" />
    <DotNetCliToolReference Include="dotnet-ef" Version="2.0.0" />
  </ItemGroup>
</Project>"#;
        let p = run(text).unwrap();
        let got: Vec<String> = p.packages.iter().map(crate::graph::label).collect();
        assert_eq!(
            got,
            [
                "Newtonsoft.Json@13.0.3",
                "Serilog@3.1.1",
                "Polly@8.2.0",
                "Range.Pkg@[1.0,2.0)",
                "Float.Pkg@1.*",
                "Exact.Pkg@2.5.0",
                "Undefined.Prop@$(Nope)",
                "A.One@4.0.0",
                "A.Two@4.0.0",
                "dotnet-ef@2.0.0",
            ]
        );
        assert!(matches!(find(&p, "range.pkg").pin, Pin::Unpinned { .. }));
        assert!(matches!(find(&p, "float.pkg").pin, Pin::Unpinned { .. }));
        assert!(matches!(
            find(&p, "undefined.prop").pin,
            Pin::Unpinned { .. }
        ));
        assert_eq!(find(&p, "polly").line, Some(9));
        assert_eq!(find(&p, "newtonsoft.json").line, Some(7));
        assert_eq!(find(&p, "newtonsoft.json").relation, Relation::Direct);
        assert_eq!(find(&p, "newtonsoft.json").scope, Scope::Runtime);
        assert_eq!(find(&p, "dotnet-ef").scope, Scope::Development);
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert_eq!(p.warnings[0].line, Some(15));
    }

    #[test]
    fn conflicting_property_values_are_unpinned() {
        let text = r#"<Project>
  <PropertyGroup><V>1.0.0</V></PropertyGroup>
  <PropertyGroup Condition="'$(TargetFramework)' == 'net48'"><V>0.9.0</V></PropertyGroup>
  <ItemGroup><PackageReference Include="X" Version="$(V)" /></ItemGroup>
</Project>"#;
        let p = run(text).unwrap();
        assert_eq!(
            p.packages[0].pin,
            Pin::Unpinned {
                specifier: "$(V)".into()
            }
        );
        assert_eq!(p.warnings.len(), 1);
    }

    #[test]
    fn self_referring_properties_terminate() {
        let mut text = String::from("<Project><PropertyGroup>");
        for (name, next) in [("A", "B"), ("B", "C"), ("C", "A")] {
            text.push_str(&format!(
                "<{name}>{}</{name}>",
                format!("$({next})").repeat(10)
            ));
        }
        text.push_str("</PropertyGroup><ItemGroup><PackageReference Include=\"X\" Version=\"$(A)\" /></ItemGroup></Project>");
        let p = run(&text).unwrap();
        assert!(matches!(p.packages[0].pin, Pin::Unpinned { .. }));
        assert_eq!(p.warnings.len(), 1);
    }

    #[test]
    fn test_projects_are_development() {
        let by_sdk = r#"<Project Sdk="Microsoft.NET.Sdk"><ItemGroup>
  <PackageReference Include="Microsoft.NET.Test.Sdk" Version="17.9.0" />
  <PackageReference Include="FluentAssertions" Version="6.12.0" />
</ItemGroup></Project>"#;
        let p = run(by_sdk).unwrap();
        assert!(p.packages.iter().all(|x| x.scope == Scope::Development));
        let by_property = r#"<Project><PropertyGroup><IsTestProject>true</IsTestProject></PropertyGroup>
<ItemGroup><PackageReference Include="NUnit" Version="4.0.1" /></ItemGroup></Project>"#;
        assert_eq!(
            run(by_property).unwrap().packages[0].scope,
            Scope::Development
        );
    }

    #[test]
    fn central_package_management() {
        let project = r#"<Project Sdk="Microsoft.NET.Sdk">
  <ItemGroup>
    <PackageReference Include="Newtonsoft.Json" />
    <PackageReference Include="Serilog" VersionOverride="3.0.0" />
    <PackageReference Include="From.Root" />
    <PackageReference Include="Missing" />
  </ItemGroup>
</Project>"#;
        let near = r#"<Project>
  <Import Project="$([MSBuild]::GetPathOfFileAbove(Directory.Packages.props, $(MSBuildThisFileDirectory)..))" />
  <PropertyGroup><NjVersion>13.0.3</NjVersion></PropertyGroup>
  <ItemGroup>
    <PackageVersion Include="Newtonsoft.Json" Version="$(NjVersion)" />
    <PackageVersion Include="Serilog" Version="3.1.1" />
    <GlobalPackageReference Include="StyleCop.Analyzers" Version="1.1.118" />
  </ItemGroup>
</Project>"#;
        let root = r#"<Project><ItemGroup>
    <PackageVersion Include="From.Root" Version="2.0.0" />
    <PackageVersion Include="Newtonsoft.Json" Version="12.0.0" />
</ItemGroup></Project>"#;
        let files = MemFiles::with(&[
            ("repo/src/Directory.Packages.props", near),
            ("repo/Directory.Packages.props", root),
        ]);
        let p = run_in("repo/src/app/app.csproj", project, &files).unwrap();
        assert_eq!(
            find(&p, "newtonsoft.json").pin,
            Pin::Exact("13.0.3".into()),
            "nearest file wins"
        );
        assert_eq!(
            find(&p, "serilog").pin,
            Pin::Exact("3.0.0".into()),
            "VersionOverride"
        );
        assert_eq!(
            find(&p, "from.root").pin,
            Pin::Exact("2.0.0".into()),
            "imported parent file"
        );
        assert_eq!(
            find(&p, "missing").pin,
            Pin::Unpinned {
                specifier: String::new()
            }
        );
        let global = find(&p, "stylecop.analyzers");
        assert_eq!(global.scope, Scope::Development);
        assert_eq!(global.line, Some(7));
        assert_eq!(
            global.file.as_deref(),
            Some(Path::new("repo/src/Directory.Packages.props"))
        );
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(6));
        assert_eq!(p.warnings[0].path, Path::new("repo/src/app/app.csproj"));

        // Without the import, the search stops at the nearest file.
        let near_only = near
            .replace("<Import", "<!-- <Import")
            .replace("..))\" />", "..))\" /> -->");
        let files = MemFiles::with(&[
            ("repo/src/Directory.Packages.props", &near_only),
            ("repo/Directory.Packages.props", root),
        ]);
        let p = run_in("repo/src/app/app.csproj", project, &files).unwrap();
        assert_eq!(
            find(&p, "from.root").pin,
            Pin::Unpinned {
                specifier: String::new()
            }
        );

        // No Directory.Packages.props at all.
        let p = run(project).unwrap();
        assert_eq!(p.warnings.len(), 3);
        assert!(
            p.warnings[0]
                .message
                .contains("no Directory.Packages.props"),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn directory_build_props_references() {
        let props = r#"<Project>
  <PropertyGroup><AnalyzerVersion>9.0.0</AnalyzerVersion></PropertyGroup>
  <ItemGroup><PackageReference Include="SonarAnalyzer.CSharp" Version="$(AnalyzerVersion)" /></ItemGroup>
</Project>"#;
        let files = MemFiles::with(&[("repo/Directory.Build.props", props)]);
        let p = run_in(
            "repo/src/app/app.csproj",
            "<Project><ItemGroup><PackageReference Include=\"A\" Version=\"1.0.0\" /></ItemGroup></Project>",
            &files,
        )
        .unwrap();
        let s = find(&p, "sonaranalyzer.csharp");
        assert_eq!(s.pin, Pin::Exact("9.0.0".into()));
        assert_eq!(s.line, Some(3));
        assert_eq!(
            s.file.as_deref(),
            Some(Path::new("repo/Directory.Build.props"))
        );
    }

    #[test]
    fn errors() {
        let e = run("<Project>\n  <ItemGroup>\n</Project>").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("invalid XML"), "{e}");
        let e = run("<?xml version=\"1.0\"?>\n<packages>\n</packages>").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("not <Project>"), "{e}");
        assert!(run("plain text").is_err());
        assert_eq!(run("  ").unwrap().warnings[0].message, "empty file");
        assert!(
            run("\u{feff}<Project><ItemGroup /></Project>")
                .unwrap()
                .packages
                .is_empty()
        );
    }

    /// `../shared/corpus` as text, or `None` (the test named `test` reported as
    /// skipped) when `../shared` is absent.
    fn corpus_dir(test: &str) -> Option<String> {
        crate::testutil::corpus(test).map(|d| d.display().to_string())
    }

    /// Expected counts from:
    /// `python3 -c 'import sys,xml.etree.ElementTree as E;[print(f,len({(r.get("Include").lower(),r.get("Version")) for r in E.parse(f).iter() if r.tag in ("PackageReference","DotNetCliToolReference") and r.get("Include")})) for f in sys.argv[1:]]' $(find corpus -name "*.csproj")`
    #[test]
    fn corpus() {
        let Some(corpus) = corpus_dir(cverun_testkit::test_name!()) else {
            return;
        };
        type Row<'a> = (&'a str, usize, &'a [(&'a str, &'a str)], Scope);
        let rows: &[Row] = &[
            (
                "opentelemetry-demo@2024-06/src/cartservice/src/cartservice.csproj",
                16,
                &[
                    ("grpc.aspnetcore", "2.62.0"),
                    (
                        "opentelemetry.instrumentation.stackexchangeredis",
                        "1.0.0-rc9.14",
                    ),
                ],
                Scope::Runtime,
            ),
            (
                "opentelemetry-demo@2024-06/src/cartservice/tests/cartservice.tests.csproj",
                5,
                &[
                    ("microsoft.net.test.sdk", "17.9.0"),
                    ("xunit.runner.visualstudio", "2.5.7"),
                ],
                Scope::Development,
            ),
            (
                "opentelemetry-demo@2022-10/src/cartservice/src/cartservice.csproj",
                10,
                &[
                    ("grpc.aspnetcore.healthchecks", "2.46.0"),
                    ("stackexchange.redis", "2.5.43"),
                ],
                Scope::Runtime,
            ),
            (
                "opentelemetry-demo@2022-10/src/cartservice/tests/cartservice.tests.csproj",
                5,
                &[("xunit", "2.4.1")],
                Scope::Development,
            ),
            (
                "microservices-demo@2019-06/src/cartservice/cartservice.csproj",
                9,
                &[
                    ("grpc", "1.12.0"),
                    ("grpc.tools", "1.12.0"),
                    ("stackexchange.redis", "1.2.6"),
                ],
                Scope::Runtime,
            ),
            (
                "microservices-demo@2019-06/tests/cartservice/cartservice.tests.csproj",
                8,
                &[("dotnet-xunit", "2.3.1"), ("google.protobuf", "3.6.0")],
                Scope::Development,
            ),
            (
                "microservices-demo@2021-06/src/cartservice/src/cartservice.csproj",
                3,
                &[("grpc.healthcheck", "2.36.4")],
                Scope::Runtime,
            ),
            (
                "microservices-demo@2021-06/src/cartservice/tests/cartservice.tests.csproj",
                5,
                &[("microsoft.aspnetcore.testhost", "5.0.4")],
                Scope::Development,
            ),
        ];
        for (file, count, pins, scope) in rows {
            let path = format!("{corpus}/{file}");
            let text = std::fs::read_to_string(&path).unwrap();
            let p = run_in(&path, &text, &DiskFiles).unwrap();
            assert_eq!(p.packages.len(), *count, "{file}");
            assert!(p.warnings.is_empty(), "{file}: {:?}", p.warnings);
            assert!(p.packages.iter().all(|x| x.scope == *scope), "{file}");
            for (name, version) in *pins {
                assert_eq!(find(&p, name).exact_version(), Some(*version), "{file}");
            }
        }
    }

    /// The corpus samples when `../shared` is present, and an inline text.
    fn sample_texts(test: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(corpus) = corpus_dir(test) {
            for f in [
                "opentelemetry-demo@2024-06/src/cartservice/src/cartservice.csproj",
                "microservices-demo@2019-06/tests/cartservice/cartservice.tests.csproj",
            ] {
                out.push(std::fs::read_to_string(format!("{corpus}/{f}")).unwrap());
            }
        }
        out.push("<Project><PropertyGroup><V>$(V)</V></PropertyGroup><ItemGroup><PackageReference Include=\"$(V)\" Version=\"$(V\" /></ItemGroup></Project>".into());
        out
    }

    #[test]
    fn truncated_files_never_panic() {
        for text in sample_texts(cverun_testkit::test_name!()) {
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
            let texts = sample_texts(cverun_testkit::test_name!());
            let mut bytes = texts[which % texts.len()].clone().into_bytes();
            for (at, b) in flips {
                let i = at % bytes.len();
                bytes[i] = b;
            }
            let _ = run(&String::from_utf8_lossy(&bytes));
        }
    }

    /// 20,000 references, the first again in other letter case: every one read once,
    /// with its own line.
    #[test]
    fn a_large_project_is_read_whole_with_its_lines() {
        let n = 20_000;
        let mut text = String::from("<Project Sdk=\"Microsoft.NET.Sdk\">\n  <ItemGroup>\n");
        for i in 0..n {
            text.push_str(&format!(
                "    <PackageReference Include=\"Pkg.{i}\" Version=\"1.0.{i}\" />\n"
            ));
        }
        text.push_str("    <PackageReference Include=\"PKG.0\" Version=\"1.0.0\" />\n");
        text.push_str("  </ItemGroup>\n</Project>\n");
        let p = run(&text).unwrap();
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
