//! Maven project files (`pom.xml`, POM model 4.0.0).
//!
//! A POM is a manifest: it names the project's direct dependencies, and Maven
//! resolves the transitive ones when it builds. cverun reads what the file (and its
//! local parents) say, without contacting a repository:
//!
//! - `<project><dependencies><dependency>`: `groupId`, `artifactId`, `version`,
//!   `scope`, `optional`, `type`, `classifier`, `systemPath`. Each becomes a Maven
//!   package `groupId:artifactId`, a direct dependency, at the line of its
//!   `<dependency>` element. `type` and `classifier` do not change the package (a
//!   `sources` jar and the main jar are the same package to advisories), so two
//!   declarations that differ only by them, or that interpolate to the same
//!   coordinates and version, are one package. Two versions of one artifact are two
//!   packages.
//! - Dependencies of `<profiles><profile>`: a profile that is `activeByDefault`
//!   counts like the main list; the dependencies of other profiles (activated by a
//!   flag, a JDK, an OS...) are reported with the optional scope.
//! - Plugins (`<build>`, `<reporting>`) and their dependencies are build tools, not
//!   dependencies of the project: not read.
//! - Scope: `test` is development; `compile`, `runtime`, `provided` (supplied by the
//!   container at run time) and no scope are runtime; `system` is runtime with a
//!   local path source (the `systemPath`, or the coordinates when none) since the jar
//!   comes from the file system; `<optional>true</optional>` is optional (unless
//!   test). A dependency without a scope takes the scope its `dependencyManagement`
//!   entry gives.
//!
//! Versions: `${name}` is interpolated from `<properties>` (the project's, then its
//! active-by-default profiles', then the parents', then other profiles'), and from
//! `project.version`, `project.groupId`, `project.artifactId`,
//! `project.parent.version`, `project.parent.groupId`, `project.parent.artifactId`
//! (and their `pom.` forms; the project's own version and group fall back to the
//! parent's, as in Maven). A dependency without a version takes the version of its
//! `<dependencyManagement>` entry (matched by group, artifact, type and classifier,
//! then by group and artifact). A version that is not a single version stays
//! unpinned: ranges (`[1.0,2.0)`, `(,1.0]`; `[1.0]` is exact), `LATEST`, `RELEASE`.
//! `1.0` alone is Maven's "soft" requirement, which resolves to 1.0 when nothing
//! conflicts: exact.
//!
//! Parents: `<parent>` is read from disk when it is local: its `relativePath`
//! (default `../pom.xml`; a directory means its `pom.xml`; an empty element means no
//! local parent), if that file's coordinates match. A local parent contributes its
//! properties and dependency management, and its dependencies, which Maven
//! inherits (reported with the parent's file and line, and not when the project
//! redeclares them); parents of parents are followed the same way. Remote parents
//! are never fetched, and neither are BOMs imported with `<scope>import</scope>`
//! (which are not packages). A version that cannot be found in this file or its local parents, or
//! that uses a property defined nowhere, is unpinned with a warning naming the
//! unavailable parent or BOMs that probably define it.
//!
//! A dependency without `groupId` or `artifactId` is a warning; a coordinate that
//! uses an undefined property is kept as written with a warning. Text that is not
//! XML is an error at the XML parser's line; XML whose root is not `<project>` is an
//! error.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use cverun_versions::Ecosystem;
use roxmltree::{Document, Node};

use crate::text::LineIndex;
use crate::{Input, Package, ParseError, Parsed, Pin, Relation, Scope, Source, Warning};

/// How many local parents are followed.
const MAX_PARENTS: usize = 10;
/// How deep `${a}` may refer to `${b}`.
const MAX_INTERPOLATION_DEPTH: usize = 10;
/// How many references one value may expand in all.
const MAX_EXPANSIONS: usize = 1000;

#[derive(Clone, Debug, Default)]
struct Dep {
    group: Option<String>,
    artifact: Option<String>,
    version: Option<String>,
    scope: Option<String>,
    optional: bool,
    ty: Option<String>,
    classifier: Option<String>,
    system_path: Option<String>,
    line: Option<u32>,
    /// The parent POM that declares it, when not the parsed file.
    file: Option<PathBuf>,
    /// Declared in a profile that is not active by default.
    inactive_profile: bool,
}

#[derive(Clone, Debug, Default)]
struct ParentRef {
    group: String,
    artifact: String,
    version: String,
    /// `None`: default `../pom.xml`; `Some("")`: no local parent.
    relative_path: Option<String>,
}

#[derive(Clone, Debug, Default)]
struct Pom {
    group: Option<String>,
    artifact: Option<String>,
    version: Option<String>,
    parent: Option<ParentRef>,
    properties: Vec<(String, String)>,
    /// Properties of profiles that are not active by default (fallback only).
    inactive_properties: Vec<(String, String)>,
    dependencies: Vec<Dep>,
    managed: Vec<Dep>,
}

/// Parses a `pom.xml`.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let mut parsed = Parsed::default();
    if input.text.trim().is_empty() {
        parsed.warnings.push(input.warning(None, "empty file"));
        return Ok(parsed);
    }
    let doc = Document::parse(input.text).map_err(|e| {
        input.error(
            Some(e.pos().row),
            format!("not a Maven POM: invalid XML: {e}"),
        )
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "project" {
        return Err(input.error(
            Some(doc.text_pos_at(root.range().start).row),
            format!(
                "not a Maven POM: root element is <{}>, not <project>",
                root.tag_name().name()
            ),
        ));
    }
    let pom = read_pom(&doc, root);

    // Local parents, nearest first.
    let mut parents: Vec<Pom> = Vec::new();
    let mut missing_parent: Option<String> = None;
    let mut seen: Vec<PathBuf> = vec![normalize(input.path)];
    let mut current_path = input.path.to_owned();
    let mut next = pom.parent.clone();
    while let Some(pref) = next.take() {
        let coords = format!("{}:{}:{}", pref.group, pref.artifact, pref.version);
        if parents.len() >= MAX_PARENTS {
            missing_parent = Some(coords);
            break;
        }
        match load_parent(input, &current_path, &pref, &seen) {
            Some((path, parent)) => {
                next = parent.parent.clone();
                seen.push(path.clone());
                current_path = path;
                parents.push(parent);
            }
            None => {
                missing_parent = Some(coords);
                break;
            }
        }
    }

    // Properties: built-ins, the project, its parents, then inactive profiles.
    let mut props: HashMap<String, String> = HashMap::new();
    let parent_ref = pom.parent.as_ref();
    let own_group = pom
        .group
        .clone()
        .or_else(|| parent_ref.map(|p| p.group.clone()));
    let own_version = pom
        .version
        .clone()
        .or_else(|| parent_ref.map(|p| p.version.clone()));
    let mut builtin = |key: &str, value: Option<String>| {
        if let Some(v) = value {
            props.insert(format!("project.{key}"), v.clone());
            props.insert(format!("pom.{key}"), v);
        }
    };
    builtin("groupId", own_group);
    builtin("artifactId", pom.artifact.clone());
    builtin("version", own_version);
    builtin("parent.groupId", parent_ref.map(|p| p.group.clone()));
    builtin("parent.artifactId", parent_ref.map(|p| p.artifact.clone()));
    builtin("parent.version", parent_ref.map(|p| p.version.clone()));
    for layer in std::iter::once(&pom).chain(&parents) {
        for (k, v) in &layer.properties {
            props.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    for layer in std::iter::once(&pom).chain(&parents) {
        for (k, v) in &layer.inactive_properties {
            props.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }

    // Dependency management, nearest first; imported BOMs are only named in warnings.
    let managed: Vec<&Dep> = std::iter::once(&pom)
        .chain(&parents)
        .flat_map(|p| &p.managed)
        .collect();
    let boms: Vec<String> = managed
        .iter()
        .filter(|d| d.scope.as_deref() == Some("import"))
        .map(|d| {
            format!(
                "{}:{}:{}",
                interpolate(d.group.as_deref().unwrap_or(""), &props).0,
                interpolate(d.artifact.as_deref().unwrap_or(""), &props).0,
                interpolate(d.version.as_deref().unwrap_or(""), &props).0
            )
        })
        .collect();
    let elsewhere = || {
        let mut places = Vec::new();
        if let Some(p) = &missing_parent {
            places.push(format!("parent {p}, which is not available locally"));
        }
        if !boms.is_empty() {
            places.push(format!("imported BOM {}", boms.join(", ")));
        }
        if places.is_empty() {
            String::new()
        } else {
            format!(" (probably defined by {})", places.join(" or "))
        }
    };

    // Dependencies: the project's, then inherited ones it does not redeclare.
    let mut deps: Vec<Dep> = pom.dependencies.clone();
    let mut keys: HashSet<_> = deps.iter().map(|c| dep_key(c, &props)).collect();
    for parent in &parents {
        for d in &parent.dependencies {
            if keys.insert(dep_key(d, &props)) {
                deps.push(d.clone());
            }
        }
    }

    // Dependency management by (group, artifact, type, classifier) and by
    // (group, artifact): the first (nearest) entry of each.
    let mut managed_exact: HashMap<(String, String, String, String), &Dep> = HashMap::new();
    let mut managed_name: HashMap<(String, String), &Dep> = HashMap::new();
    for m in managed
        .iter()
        .copied()
        .filter(|m| m.scope.as_deref() != Some("import"))
    {
        let (mg, ma) = (
            interpolate(m.group.as_deref().unwrap_or(""), &props).0,
            interpolate(m.artifact.as_deref().unwrap_or(""), &props).0,
        );
        let (ty, cl) = type_classifier(m, &props);
        managed_name.entry((mg.clone(), ma.clone())).or_insert(m);
        managed_exact.entry((mg, ma, ty, cl)).or_insert(m);
    }
    let mut kept: HashSet<(String, Pin)> = HashSet::new();

    for d in &deps {
        let (Some(g), Some(a)) = (d.group.as_deref(), d.artifact.as_deref()) else {
            parsed.warnings.push(warning_at(
                input,
                d,
                format!(
                    "dependency without {}; not included",
                    if d.group.is_none() {
                        "groupId"
                    } else {
                        "artifactId"
                    }
                ),
            ));
            continue;
        };
        let (g, bad_g) = interpolate(g, &props);
        let (a, bad_a) = interpolate(a, &props);
        let name = format!("{g}:{a}");
        if let Some(bad) = bad_g.or(bad_a) {
            let message = format!(
                "dependency {name} uses property {bad}, not defined here{}; name kept as written",
                elsewhere()
            );
            parsed.warnings.push(warning_at(input, d, message));
        }
        let (ty, cl) = type_classifier(d, &props);
        let managed_entry = managed_exact
            .get(&(g.clone(), a.clone(), ty, cl))
            .or_else(|| managed_name.get(&(g.clone(), a.clone())))
            .copied();
        let raw_version = d
            .version
            .clone()
            .or_else(|| managed_entry.and_then(|m| m.version.clone()))
            .filter(|v| !v.trim().is_empty());
        let pin = match raw_version {
            None => {
                let message = format!(
                    "{name} has no version here or in local dependency management{}; kept unpinned",
                    elsewhere()
                );
                parsed.warnings.push(warning_at(input, d, message));
                Pin::Unpinned {
                    specifier: String::new(),
                }
            }
            Some(raw) => {
                let (v, bad) = interpolate(raw.trim(), &props);
                match bad {
                    Some(bad) => {
                        let message = format!(
                            "version {raw:?} of {name} uses property {bad}, not defined here{}; kept unpinned",
                            elsewhere()
                        );
                        parsed.warnings.push(warning_at(input, d, message));
                        Pin::Unpinned { specifier: v }
                    }
                    None => classify(&v),
                }
            }
        };
        let scope_word = d
            .scope
            .clone()
            .or_else(|| managed_entry.and_then(|m| m.scope.clone()))
            .map(|s| interpolate(s.trim(), &props).0)
            .unwrap_or_default();
        let mut p = Package::new(Ecosystem::Maven, &name, pin);
        p.relation = Relation::Direct;
        p.scope = if scope_word == "test" {
            Scope::Development
        } else if d.optional || d.inactive_profile {
            Scope::Optional
        } else {
            Scope::Runtime
        };
        if scope_word == "system" {
            let path = d
                .system_path
                .as_deref()
                .map(|s| interpolate(s, &props).0)
                .unwrap_or_else(|| name.clone());
            p.source = Source::Path(path);
        }
        p.line = d.line;
        p.file = d.file.clone();
        if kept.insert((p.name.clone(), p.pin.clone())) {
            parsed.packages.push(p);
        }
    }
    Ok(parsed)
}

/// A warning about `d`, in the file that declares it.
fn warning_at(input: &Input<'_>, d: &Dep, message: String) -> Warning {
    Warning {
        path: d.file.clone().unwrap_or_else(|| input.path.to_owned()),
        line: d.line,
        message,
    }
}

/// (type, classifier) with Maven's defaults (`jar`, none).
fn type_classifier(d: &Dep, props: &HashMap<String, String>) -> (String, String) {
    let ty =
        d.ty.as_deref()
            .map(|t| interpolate(t, props).0)
            .unwrap_or_else(|| "jar".to_owned());
    let cl = d
        .classifier
        .as_deref()
        .map(|c| interpolate(c, props).0)
        .unwrap_or_default();
    (ty, cl)
}

/// The identity Maven uses for a dependency: group, artifact, type, classifier.
fn dep_key(d: &Dep, props: &HashMap<String, String>) -> (String, String, String, String) {
    let (ty, cl) = type_classifier(d, props);
    (
        interpolate(d.group.as_deref().unwrap_or(""), props).0,
        interpolate(d.artifact.as_deref().unwrap_or(""), props).0,
        ty,
        cl,
    )
}

/// A Maven version or range as a pin.
fn classify(v: &str) -> Pin {
    let unpinned = || Pin::Unpinned {
        specifier: v.to_owned(),
    };
    if let Some(inner) = v.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        if !inner.contains(',') && !inner.trim().is_empty() {
            return Pin::Exact(inner.trim().to_owned());
        }
        return unpinned();
    }
    if v.is_empty()
        || v.starts_with(['[', '('])
        || v.contains(',')
        || v == "LATEST"
        || v == "RELEASE"
    {
        return unpinned();
    }
    Pin::Exact(v.to_owned())
}

/// Replaces `${name}` references; returns the text and the first reference that is
/// not defined.
fn interpolate(s: &str, props: &HashMap<String, String>) -> (String, Option<String>) {
    let mut state = Expansion {
        bad: None,
        budget: MAX_EXPANSIONS,
    };
    let out = interpolate_depth(s, props, 0, &mut state);
    (out, state.bad)
}

/// The first unresolved reference, and how many more expansions are allowed (so
/// that properties referring to each other many times cannot blow up).
struct Expansion {
    bad: Option<String>,
    budget: usize,
}

fn interpolate_depth(
    s: &str,
    props: &HashMap<String, String>,
    depth: usize,
    state: &mut Expansion,
) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some((before, after)) = rest.split_once("${") {
        out.push_str(before);
        let Some((inner, tail)) = after.split_once('}') else {
            out.push_str("${");
            out.push_str(after);
            rest = "";
            break;
        };
        let name = inner.trim();
        let reference = format!("${{{inner}}}");
        match props.get(name) {
            Some(value) if depth < MAX_INTERPOLATION_DEPTH && state.budget > 0 => {
                state.budget -= 1;
                out.push_str(&interpolate_depth(value, props, depth + 1, state));
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

/// Reads and checks the local parent POM of the POM at `child`, when there is one.
fn load_parent(
    input: &Input<'_>,
    child: &Path,
    pref: &ParentRef,
    seen: &[PathBuf],
) -> Option<(PathBuf, Pom)> {
    let rel = pref.relative_path.as_deref().unwrap_or("../pom.xml").trim();
    if rel.is_empty() {
        return None;
    }
    let rel = rel.replace('\\', "/");
    let dir = child.parent().unwrap_or(Path::new(""));
    let mut path = dir.join(&rel);
    if !rel.ends_with(".xml") {
        path = path.join("pom.xml");
    }
    let path = normalize(&path);
    if seen.contains(&path) {
        return None;
    }
    let text = input.files.read(&path).ok()?;
    let doc = Document::parse(&text).ok()?;
    let root = doc.root_element();
    if root.tag_name().name() != "project" {
        return None;
    }
    let mut pom = read_pom(&doc, root);
    for d in pom.dependencies.iter_mut().chain(pom.managed.iter_mut()) {
        d.file = Some(path.clone());
    }
    let group = pom
        .group
        .clone()
        .or_else(|| pom.parent.as_ref().map(|p| p.group.clone()));
    let version = pom
        .version
        .clone()
        .or_else(|| pom.parent.as_ref().map(|p| p.version.clone()));
    let matches = group.as_deref() == Some(pref.group.as_str())
        && pom.artifact.as_deref() == Some(pref.artifact.as_str())
        && version
            .as_deref()
            .is_none_or(|v| v == pref.version || v.contains("${"));
    matches.then_some((path, pom))
}

/// Removes `.` and `name/..` components without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.iter().collect()
}

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn children<'a, 'i: 'a>(n: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn text_of(n: Node<'_, '_>, name: &str) -> Option<String> {
    child(n, name).map(|c| c.text().unwrap_or("").trim().to_owned())
}

fn read_deps(lines: &LineIndex, list: Option<Node<'_, '_>>, inactive_profile: bool) -> Vec<Dep> {
    let Some(list) = list else {
        return Vec::new();
    };
    children(list, "dependency")
        .map(|d| Dep {
            group: text_of(d, "groupId").filter(|s| !s.is_empty()),
            artifact: text_of(d, "artifactId").filter(|s| !s.is_empty()),
            version: text_of(d, "version"),
            scope: text_of(d, "scope").filter(|s| !s.is_empty()),
            optional: text_of(d, "optional").is_some_and(|o| o.eq_ignore_ascii_case("true")),
            ty: text_of(d, "type").filter(|s| !s.is_empty()),
            classifier: text_of(d, "classifier").filter(|s| !s.is_empty()),
            system_path: text_of(d, "systemPath").filter(|s| !s.is_empty()),
            line: Some(lines.line(d.range().start)),
            file: None,
            inactive_profile,
        })
        .collect()
}

fn read_properties(n: Option<Node<'_, '_>>) -> Vec<(String, String)> {
    n.map(|p| {
        p.children()
            .filter(Node::is_element)
            .map(|c| {
                (
                    c.tag_name().name().to_owned(),
                    c.text().unwrap_or("").trim().to_owned(),
                )
            })
            .collect()
    })
    .unwrap_or_default()
}

fn read_pom(doc: &Document<'_>, root: Node<'_, '_>) -> Pom {
    // `Document::text_pos_at` counts lines from the start each time.
    let lines = LineIndex::new(doc.input_text());
    let parent = child(root, "parent").map(|p| ParentRef {
        group: text_of(p, "groupId").unwrap_or_default(),
        artifact: text_of(p, "artifactId").unwrap_or_default(),
        version: text_of(p, "version").unwrap_or_default(),
        relative_path: text_of(p, "relativePath"),
    });
    let mut pom = Pom {
        group: text_of(root, "groupId"),
        artifact: text_of(root, "artifactId"),
        version: text_of(root, "version"),
        parent,
        properties: read_properties(child(root, "properties")),
        inactive_properties: Vec::new(),
        dependencies: read_deps(&lines, child(root, "dependencies"), false),
        managed: read_deps(
            &lines,
            child(root, "dependencyManagement").and_then(|m| child(m, "dependencies")),
            false,
        ),
    };
    if let Some(profiles) = child(root, "profiles") {
        for profile in children(profiles, "profile") {
            let active = child(profile, "activation")
                .and_then(|a| text_of(a, "activeByDefault"))
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            let props = read_properties(child(profile, "properties"));
            if active {
                pom.properties.extend(props);
            } else {
                pom.inactive_properties.extend(props);
            }
            pom.dependencies
                .extend(read_deps(&lines, child(profile, "dependencies"), !active));
            pom.managed.extend(read_deps(
                &lines,
                child(profile, "dependencyManagement").and_then(|m| child(m, "dependencies")),
                !active,
            ));
        }
    }
    pom
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::MemFiles;
    use crate::{DiskFiles, Files};

    /// The pom.xml fixtures of `../shared`, or `None` (the test named `test` reported
    /// as skipped) when it is absent.
    fn fixture_dir(test: &str) -> Option<String> {
        crate::testutil::fixtures(test).map(|d| d.join("java/pomxml").display().to_string())
    }

    fn run_in(path: &str, text: &str, files: &dyn Files) -> Result<Parsed, ParseError> {
        parse(&Input {
            path: Path::new(path),
            text,
            files,
        })
    }

    fn run(text: &str) -> Result<Parsed, ParseError> {
        run_in("svc/pom.xml", text, &MemFiles::default())
    }

    fn find<'a>(p: &'a Parsed, name: &str) -> &'a Package {
        p.packages
            .iter()
            .find(|x| x.name == name)
            .unwrap_or_else(|| panic!("{name} not found in {:?}", p.packages))
    }

    #[test]
    fn scopes_optional_system_and_lines() {
        let text = r#"<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>app</artifactId>
  <version>2.1.0</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>2.14.1</version>
    </dependency>
    <dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13.2</version><scope>test</scope></dependency>
    <dependency><groupId>javax.servlet</groupId><artifactId>servlet-api</artifactId><version>2.5</version><scope>provided</scope></dependency>
    <dependency><groupId>com.sun</groupId><artifactId>tools</artifactId><version>1.8</version><scope>system</scope><systemPath>${java.home}/../lib/tools.jar</systemPath></dependency>
    <dependency><groupId>org.opt</groupId><artifactId>opt</artifactId><version>1.0</version><optional>true</optional></dependency>
    <dependency><groupId>com.example</groupId><artifactId>sibling</artifactId><version>${project.version}</version></dependency>
    <dependency><groupId>org.range</groupId><artifactId>ranged</artifactId><version>[1.0,2.0)</version></dependency>
    <dependency><groupId>org.range</groupId><artifactId>exact</artifactId><version>[1.5]</version></dependency>
    <dependency><groupId>org.range</groupId><artifactId>latest</artifactId><version>LATEST</version></dependency>
  </dependencies>
  <build><plugins><plugin>
    <groupId>org.apache.maven.plugins</groupId><artifactId>maven-shade-plugin</artifactId><version>3.5.0</version>
    <dependencies><dependency><groupId>org.ow2.asm</groupId><artifactId>asm</artifactId><version>9.5</version></dependency></dependencies>
  </plugin></plugins></build>
</project>"#;
        let p = run(text).unwrap();
        assert_eq!(p.packages.len(), 9, "{:?}", p.packages);
        let log4j = find(&p, "org.apache.logging.log4j:log4j-core");
        assert_eq!(log4j.pin, Pin::Exact("2.14.1".into()));
        assert_eq!(log4j.line, Some(7));
        assert_eq!(log4j.relation, Relation::Direct);
        assert_eq!(log4j.scope, Scope::Runtime);
        assert_eq!(find(&p, "junit:junit").scope, Scope::Development);
        assert_eq!(find(&p, "javax.servlet:servlet-api").scope, Scope::Runtime);
        let tools = find(&p, "com.sun:tools");
        assert_eq!(
            tools.source,
            Source::Path("${java.home}/../lib/tools.jar".into())
        );
        assert_eq!(find(&p, "org.opt:opt").scope, Scope::Optional);
        assert_eq!(
            find(&p, "com.example:sibling").pin,
            Pin::Exact("2.1.0".into())
        );
        assert_eq!(
            find(&p, "org.range:ranged").pin,
            Pin::Unpinned {
                specifier: "[1.0,2.0)".into()
            }
        );
        assert_eq!(find(&p, "org.range:exact").pin, Pin::Exact("1.5".into()));
        assert_eq!(
            find(&p, "org.range:latest").pin,
            Pin::Unpinned {
                specifier: "LATEST".into()
            }
        );
        assert!(
            p.packages.iter().all(|x| x.name != "org.ow2.asm:asm"),
            "plugin dependencies are not read"
        );
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn management_properties_and_profiles() {
        let text = r#"<project>
  <groupId>g</groupId><artifactId>a</artifactId><version>1</version>
  <properties><jackson.version>2.15.2</jackson.version><nested>${jackson.version}</nested></properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId><version>${nested}</version><scope>test</scope></dependency>
    <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-dependencies</artifactId><version>3.1.0</version><type>pom</type><scope>import</scope></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId></dependency>
    <dependency><groupId>org.springframework</groupId><artifactId>spring-web</artifactId></dependency>
    <dependency><groupId>org.x</groupId><artifactId>x</artifactId><version>${undefined.version}</version></dependency>
  </dependencies>
  <profiles>
    <profile><id>extra</id><dependencies>
      <dependency><groupId>org.extra</groupId><artifactId>extra</artifactId><version>1.0</version></dependency>
    </dependencies></profile>
  </profiles>
</project>"#;
        let p = run(text).unwrap();
        let databind = find(&p, "com.fasterxml.jackson.core:jackson-databind");
        assert_eq!(databind.pin, Pin::Exact("2.15.2".into()));
        assert_eq!(
            databind.scope,
            Scope::Development,
            "scope from dependencyManagement"
        );
        let web = find(&p, "org.springframework:spring-web");
        assert_eq!(
            web.pin,
            Pin::Unpinned {
                specifier: String::new()
            }
        );
        assert_eq!(
            find(&p, "org.x:x").pin,
            Pin::Unpinned {
                specifier: "${undefined.version}".into()
            }
        );
        assert_eq!(find(&p, "org.extra:extra").scope, Scope::Optional);
        assert_eq!(p.warnings.len(), 2, "{:?}", p.warnings);
        assert!(
            p.warnings[0]
                .message
                .contains("spring-boot-dependencies:3.1.0"),
            "{:?}",
            p.warnings[0]
        );
        assert_eq!(p.warnings[0].line, Some(10));
        assert_eq!(p.warnings[1].line, Some(11));
    }

    #[test]
    fn local_and_remote_parents() {
        let child = r#"<project>
  <parent><groupId>org.acme</groupId><artifactId>acme-parent</artifactId><version>7</version></parent>
  <artifactId>svc</artifactId>
  <dependencies>
    <dependency><groupId>org.acme</groupId><artifactId>acme-core</artifactId><version>${project.parent.version}</version></dependency>
    <dependency><groupId>com.google.guava</groupId><artifactId>guava</artifactId></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>${slf4j.version}</version></dependency>
  </dependencies>
</project>"#;
        let parent = r#"<project>
  <groupId>org.acme</groupId><artifactId>acme-parent</artifactId><version>7</version>
  <parent><groupId>org.upstream</groupId><artifactId>up</artifactId><version>1</version></parent>
  <properties><slf4j.version>2.0.9</slf4j.version></properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>com.google.guava</groupId><artifactId>guava</artifactId><version>32.1.3-jre</version></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>org.inherited</groupId><artifactId>dep</artifactId><version>3.0</version></dependency>
  </dependencies>
</project>"#;
        let files = MemFiles::with(&[("repo/pom.xml", parent)]);
        let p = run_in("repo/svc/pom.xml", child, &files).unwrap();
        assert_eq!(find(&p, "org.acme:acme-core").pin, Pin::Exact("7".into()));
        assert_eq!(
            find(&p, "com.google.guava:guava").pin,
            Pin::Exact("32.1.3-jre".into())
        );
        assert_eq!(
            find(&p, "org.slf4j:slf4j-api").pin,
            Pin::Exact("2.0.9".into())
        );
        let inherited = find(&p, "org.inherited:dep");
        assert_eq!(inherited.line, Some(9));
        assert_eq!(inherited.file.as_deref(), Some(Path::new("repo/pom.xml")));
        assert_eq!(inherited.pin, Pin::Exact("3.0".into()));
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);

        // The parent is not on disk: versions it would give stay unpinned, with warnings naming it.
        let p = run_in("repo/svc/pom.xml", child, &MemFiles::default()).unwrap();
        assert_eq!(p.packages.len(), 3);
        assert_eq!(find(&p, "org.acme:acme-core").pin, Pin::Exact("7".into()));
        assert!(matches!(
            find(&p, "com.google.guava:guava").pin,
            Pin::Unpinned { .. }
        ));
        assert!(matches!(
            find(&p, "org.slf4j:slf4j-api").pin,
            Pin::Unpinned { .. }
        ));
        assert_eq!(p.warnings.len(), 2);
        assert!(
            p.warnings
                .iter()
                .all(|w| w.message.contains("org.acme:acme-parent:7")),
            "{:?}",
            p.warnings
        );

        // A file at the parent's path with other coordinates is not the parent.
        let other = parent.replace("acme-parent", "other");
        let files = MemFiles::with(&[("repo/pom.xml", &other)]);
        let p = run_in("repo/svc/pom.xml", child, &files).unwrap();
        assert_eq!(p.warnings.len(), 2);
    }

    #[test]
    fn parent_cycles_terminate() {
        let a = r#"<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version>
  <parent><groupId>g</groupId><artifactId>b</artifactId><version>1</version><relativePath>b/pom.xml</relativePath></parent></project>"#;
        let b = r#"<project><groupId>g</groupId><artifactId>b</artifactId><version>1</version>
  <parent><groupId>g</groupId><artifactId>a</artifactId><version>1</version><relativePath>..</relativePath></parent></project>"#;
        let files = MemFiles::with(&[("x/pom.xml", a), ("x/b/pom.xml", b)]);
        let p = run_in("x/pom.xml", a, &files).unwrap();
        assert!(p.packages.is_empty());
    }

    #[test]
    fn self_referring_properties_terminate() {
        let mut text = String::from("<project><properties>");
        for (name, next) in [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e"), ("e", "a")] {
            text.push_str(&format!(
                "<{name}>{}</{name}>",
                format!("${{{next}}}").repeat(10)
            ));
        }
        text.push_str("</properties><dependencies><dependency><groupId>g</groupId><artifactId>x</artifactId><version>${a}</version></dependency></dependencies></project>");
        let p = run(&text).unwrap();
        assert!(matches!(p.packages[0].pin, Pin::Unpinned { .. }));
        assert_eq!(p.warnings.len(), 1);
    }

    #[test]
    fn errors() {
        let e = run("<project>\n<dependencies>\n</project>").unwrap_err();
        assert_eq!(e.line, Some(3));
        let e = run("<?xml version=\"1.0\"?>\n<settings/>").unwrap_err();
        assert!(e.message.contains("not <project>"), "{e}");
        assert_eq!(e.line, Some(2));
        assert_eq!(run("\n").unwrap().warnings[0].message, "empty file");
    }

    /// One row per fixture, expectations read from the fixture files.
    #[test]
    fn fixtures() {
        let Some(dir) = fixture_dir(cverun_testkit::test_name!()) else {
            return;
        };
        enum Want {
            Ok {
                count: usize,
                warnings: usize,
                pins: &'static [(&'static str, &'static str, Option<u32>)],
            },
            Err(&'static str, Option<u32>),
        }
        use Want::*;
        let rows: &[(&str, Want)] = &[
            // Two artifactIds that interpolate to the same coordinates: one package.
            (
                "ambiguous-interpolation.xml",
                Ok {
                    count: 1,
                    warnings: 0,
                    pins: &[("com.example:common-lib", "1.0.0", Some(8))],
                },
            ),
            (
                "empty.xml",
                Ok {
                    count: 0,
                    warnings: 0,
                    pins: &[],
                },
            ),
            (
                "encoding.xml",
                Ok {
                    count: 1,
                    warnings: 0,
                    pins: &[("junit:junit", "4.12", Some(16))],
                },
            ),
            (
                "explicit-jar.xml",
                Ok {
                    count: 2,
                    warnings: 0,
                    pins: &[
                        ("org.different:my-lib", "1.0.0", Some(12)),
                        ("com.example:my-lib", "1.0.0", Some(17)),
                    ],
                },
            ),
            // The dependency without a groupId is a warning.
            (
                "interpolate-drop.xml",
                Ok {
                    count: 1,
                    warnings: 1,
                    pins: &[("com.example:actual-artifact", "1.0.0", Some(11))],
                },
            ),
            (
                "interpolation.xml",
                Ok {
                    count: 3,
                    warnings: 0,
                    pins: &[
                        ("org.mine:mypackage", "1.0.0", Some(18)),
                        ("org.mine:my.package", "2.3.4", Some(24)),
                    ],
                },
            ),
            ("invalid-syntax.xml", Err("invalid XML", Some(3))),
            // Two versions of one artifact: both reported.
            (
                "multi-version.xml",
                Ok {
                    count: 2,
                    warnings: 0,
                    pins: &[("abc:example.com", "1.0.0", Some(8))],
                },
            ),
            ("not-pom.txt", Err("invalid XML", Some(1))),
            (
                "one-package.xml",
                Ok {
                    count: 1,
                    warnings: 0,
                    pins: &[("org.apache.maven:maven-artifact", "1.0.0", Some(7))],
                },
            ),
            (
                "plugin-dependency.xml",
                Ok {
                    count: 1,
                    warnings: 0,
                    pins: &[("com.example:hijack-lib", "1.0.0", Some(27))],
                },
            ),
            (
                "profiles.xml",
                Ok {
                    count: 1,
                    warnings: 0,
                    pins: &[("org.profile:profile-dep", "1.2.3", Some(15))],
                },
            ),
            (
                "transitive.xml",
                Ok {
                    count: 3,
                    warnings: 0,
                    pins: &[
                        ("org.direct:alice", "1.0.0", Some(17)),
                        ("org.direct:bob", "2.0.0", Some(22)),
                        ("org.direct:chris", "3.0.0", Some(27)),
                    ],
                },
            ),
            (
                "two-packages.xml",
                Ok {
                    count: 2,
                    warnings: 0,
                    pins: &[
                        ("io.netty:netty-all", "4.1.42.Final", Some(7)),
                        ("org.slf4j:slf4j-log4j12", "1.7.25", Some(12)),
                    ],
                },
            ),
            // An explicit version beats dependencyManagement; jsr305 is only managed.
            (
                "with-dependency-management.xml",
                Ok {
                    count: 2,
                    warnings: 0,
                    pins: &[("io.netty:netty-all", "4.1.9", Some(7))],
                },
            ),
            (
                "with-multiple-classifiers.xml",
                Ok {
                    count: 1,
                    warnings: 0,
                    pins: &[("com.example:my-lib", "1.0.0", Some(8))],
                },
            ),
            // alice, bob (property), chuck (managed), frank (no version: the upstream parent
            // is remote, warning), dave inherited from parent/pom.xml.
            (
                "with-parent.xml",
                Ok {
                    count: 5,
                    warnings: 1,
                    pins: &[
                        ("org.alice:alice", "1.0.0", Some(18)),
                        ("org.bob:bob", "2.0.0", Some(23)),
                        ("org.chuck:chuck", "3.0.0", Some(28)),
                        ("org.dave:dave", "4.0.0", Some(15)),
                    ],
                },
            ),
            (
                "with-scope.xml",
                Ok {
                    count: 2,
                    warnings: 0,
                    pins: &[
                        ("abc:xyz", "1.2.3", Some(3)),
                        ("junit:junit", "4.12", Some(9)),
                    ],
                },
            ),
            (
                "with-type-classifier.xml",
                Ok {
                    count: 1,
                    warnings: 0,
                    pins: &[("abc:xyz", "1.0.0", Some(3))],
                },
            ),
            // The parent of with-parent.xml; its own parent is remote and unused.
            (
                "parent/pom.xml",
                Ok {
                    count: 1,
                    warnings: 0,
                    pins: &[("org.dave:dave", "4.0.0", Some(15))],
                },
            ),
        ];
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n != "parent")
            .chain(["parent/pom.xml".to_owned()])
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = rows.iter().map(|(f, _)| (*f).to_owned()).collect();
        listed.sort();
        assert_eq!(on_disk, listed, "every fixture has a row");
        for (file, want) in rows {
            let path = format!("{dir}/{file}");
            let text = std::fs::read_to_string(&path).unwrap();
            let got = run_in(&path, &text, &DiskFiles);
            match (want, got) {
                (
                    Ok {
                        count,
                        warnings,
                        pins,
                    },
                    Result::Ok(p),
                ) => {
                    assert_eq!(p.packages.len(), *count, "{file}: {:?}", p.packages);
                    assert_eq!(p.warnings.len(), *warnings, "{file}: {:?}", p.warnings);
                    for (name, version, line) in *pins {
                        let pkg = p
                            .packages
                            .iter()
                            .find(|x| x.name == *name && x.exact_version() == Some(*version))
                            .unwrap_or_else(|| {
                                panic!("{file}: {name}@{version} missing from {:?}", p.packages)
                            });
                        assert_eq!(pkg.line, *line, "{file}: {name}");
                    }
                }
                (Err(msg, line), Result::Err(e)) => {
                    assert!(e.message.contains(msg), "{file}: {e}");
                    assert_eq!(e.line, *line, "{file}");
                    assert!(e.to_string().contains(file), "{file}: {e}");
                }
                (_, got) => panic!("{file}: unexpected {got:?}"),
            }
        }
        // Specific points.
        let path = format!("{dir}/interpolation.xml");
        let p = run_in(&path, &std::fs::read_to_string(&path).unwrap(), &DiskFiles).unwrap();
        assert_eq!(
            find(&p, "org.mine:ranged-package").pin,
            Pin::Unpinned {
                specifier: "[9.4.35.v20201120,9.5)".into()
            }
        );
        let path = format!("{dir}/with-parent.xml");
        let p = run_in(&path, &std::fs::read_to_string(&path).unwrap(), &DiskFiles).unwrap();
        assert_eq!(
            find(&p, "org.frank:frank").pin,
            Pin::Unpinned {
                specifier: String::new()
            }
        );
        assert!(
            p.warnings[0]
                .message
                .contains("org.upstream:parent-pom:1.0"),
            "{:?}",
            p.warnings
        );
        assert!(
            p.warnings[0].message.contains("org.import:import:1.2.3"),
            "{:?}",
            p.warnings
        );
        assert_eq!(p.warnings[0].line, Some(32));
        let dave = find(&p, "org.dave:dave");
        assert!(
            dave.file
                .as_ref()
                .is_some_and(|f| f.ends_with("parent/pom.xml")),
            "{dave:?}"
        );
        let path = format!("{dir}/with-scope.xml");
        let p = run_in(&path, &std::fs::read_to_string(&path).unwrap(), &DiskFiles).unwrap();
        assert_eq!(find(&p, "junit:junit").scope, Scope::Development);
        assert_eq!(find(&p, "abc:xyz").scope, Scope::Runtime);
    }

    /// The text of every fixture; none when `../shared` is absent.
    fn fixture_texts(test: &str) -> Vec<String> {
        let Some(dir) = fixture_dir(test) else {
            return Vec::new();
        };
        let mut out: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
            .collect();
        out.sort();
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
            which in 0usize..19,
            flips in proptest::collection::vec((0usize..10_000, proptest::num::u8::ANY), 1..10),
        ) {
            let texts = fixture_texts(cverun_testkit::test_name!());
            if texts.is_empty() {
                return Ok(());
            }
            let mut bytes = texts[which % texts.len()].clone().into_bytes();
            for (at, b) in flips {
                let i = at % bytes.len();
                bytes[i] = b;
            }
            let _ = run(&String::from_utf8_lossy(&bytes));
        }
    }

    /// 20,000 dependencies, versions from 20,000 managed entries listed in reverse
    /// order, the first dependency declared twice: every one read once, with its
    /// managed version and its own line.
    #[test]
    fn a_large_pom_is_read_whole_with_its_lines() {
        let n = 20_000;
        let mut text = String::from("<project>\n  <dependencyManagement>\n    <dependencies>\n");
        for j in (0..n).rev() {
            text.push_str(&format!(
                "      <dependency><groupId>g</groupId><artifactId>a-{j}</artifactId><version>1.{j}</version></dependency>\n"
            ));
        }
        text.push_str("    </dependencies>\n  </dependencyManagement>\n  <dependencies>\n");
        for i in (0..n).chain([0]) {
            text.push_str(&format!(
                "    <dependency><groupId>g</groupId><artifactId>a-{i}</artifactId></dependency>\n"
            ));
        }
        text.push_str("  </dependencies>\n</project>\n");
        let p = run(&text).unwrap();
        assert!(p.warnings.is_empty(), "{:?}", p.warnings.first());
        assert_eq!(p.packages.len(), n);
        // Line 1 <project>, 2-3 management, n managed lines, 3 closing/opening lines.
        let first_line = 3 + n as u32 + 3 + 1;
        let (first, last) = (&p.packages[0], &p.packages[n - 1]);
        assert_eq!(
            (first.name.as_str(), first.exact_version(), first.line),
            ("g:a-0", Some("1.0"), Some(first_line))
        );
        assert_eq!(
            (last.name.as_str(), last.exact_version(), last.line),
            (
                "g:a-19999",
                Some("1.19999"),
                Some(first_line + n as u32 - 1)
            )
        );
    }
}
