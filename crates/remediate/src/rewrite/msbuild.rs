//! MSBuild projects (`*.csproj`, `*.fsproj`, `*.vbproj`, and the same items in
//! `Directory.Packages.props`) and NuGet's `packages.config`: the version
//! attribute or element of a package, edited in place.
//!
//! MSBuild: `<PackageReference Include="X" Version="1.2" />`, the child element
//! form `<PackageReference Include="X"><Version>1.2</Version></PackageReference>`,
//! `Update="X"`, `VersionOverride`, central `<PackageVersion Include="X"
//! Version="1.2" />` and `<GlobalPackageReference>`, and `<DotNetCliToolReference>`. Package ids compare case-insensitively. NuGet versions:
//! a bare version is a minimum, `[1.2.3]` exact, bracket ranges keep their
//! brackets.
//!
//! Refused: a version from a property (`$(SerilogVersion)`), and a reference
//! without a version when no other declaration here has one (central package
//! management: the version is in `Directory.Packages.props`).
//!
//! `packages.config`: `<package id="X" version="1.2" />`; an `allowedVersions`
//! range that excludes the new version is refused.

use std::ops::Range;

use roxmltree::{Document, Node};

use super::spec::{self, Syntax};
use super::{Edit, File, Site, raise_and_finish};
use crate::{Bump, Refusal};

fn parse<'i>(file: &File<'i>) -> Result<(usize, Document<'i>), Refusal> {
    let (base, body) = file.body();
    let doc = Document::parse(body)
        .map_err(|e| Refusal::new(format!("{} is not valid XML: {e}", file.kind.name())))?;
    Ok((base, doc))
}

/// An attribute by name, case-insensitively (MSBuild ignores case).
fn attribute<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<roxmltree::Attribute<'a, 'i>> {
    node.attributes()
        .find(|a| a.name().eq_ignore_ascii_case(name))
}

/// The range of an attribute's value in the file; refused when written with
/// references.
fn attribute_span(
    file: &File<'_>,
    base: usize,
    attr: &roxmltree::Attribute<'_, '_>,
) -> Result<Range<usize>, Refusal> {
    let range = attr.range_value();
    let span = base + range.start..base + range.end;
    if file.text.get(span.clone()) != Some(attr.value()) {
        return Err(Refusal::new(format!(
            "{}: the attribute {} is written with references; it is not rewritten",
            file.at(file.line(span.start)),
            attr.name()
        )));
    }
    Ok(span)
}

/// Rewrites an MSBuild project.
pub(crate) fn rewrite(file: &File<'_>, bump: &Bump) -> Result<Option<Edit>, Refusal> {
    let (base, doc) = parse(file)?;
    let mut sites = Vec::new();
    let mut unversioned = None;
    for item in doc.descendants().filter(|n| {
        n.is_element()
            && matches!(
                n.tag_name().name(),
                "PackageReference"
                    | "PackageVersion"
                    | "GlobalPackageReference"
                    | "DotNetCliToolReference"
            )
    }) {
        let Some(id) = attribute(item, "Include").or_else(|| attribute(item, "Update")) else {
            continue;
        };
        if !id.value().trim().eq_ignore_ascii_case(&bump.name) {
            continue;
        }
        let line = file.line(base + item.range().start);
        let mut found = false;
        for key in ["Version", "VersionOverride"] {
            if let Some(attr) = attribute(item, key) {
                found = true;
                let span = attribute_span(file, base, &attr)?;
                sites.push(version_site(file, span, attr.value(), &bump.name, bump)?);
            }
            if let Some(element) = item
                .children()
                .find(|c| c.is_element() && c.tag_name().name().eq_ignore_ascii_case(key))
            {
                found = true;
                let text = element.text().unwrap_or_default();
                let range = element
                    .first_child()
                    .filter(|c| c.is_text() && element.children().count() == 1)
                    .map(|c| c.range());
                let Some(range) = range else {
                    return Err(Refusal::new(format!(
                        "{}: <{key}> of {} is not a plain version text",
                        file.at(line),
                        bump.name
                    )));
                };
                let raw = &file.text[base + range.start..base + range.end];
                if raw != text {
                    return Err(Refusal::new(format!(
                        "{}: <{key}> of {} is written with references; it is not rewritten",
                        file.at(line),
                        bump.name
                    )));
                }
                let lead = raw.len() - raw.trim_start().len();
                let start = base + range.start + lead;
                let span = start..start + raw.trim().len();
                sites.push(version_site(file, span, text.trim(), &bump.name, bump)?);
            }
        }
        if !found {
            unversioned.get_or_insert(line);
        }
    }
    if sites.is_empty() {
        if let Some(line) = unversioned {
            return Err(Refusal::with_manual(
                format!(
                    "{}: {} has no version here (central package management)",
                    file.at(line),
                    bump.name
                ),
                format!(
                    "set <PackageVersion Include=\"{}\" Version=\"{}\" /> in Directory.Packages.props",
                    bump.name, bump.to
                ),
            ));
        }
    }
    raise_and_finish(file, bump, &sites)
}

/// A NuGet version site; refuses a version from an MSBuild property.
fn version_site(
    file: &File<'_>,
    span: Range<usize>,
    value: &str,
    label: &str,
    bump: &Bump,
) -> Result<Site, Refusal> {
    if value.contains("$(") {
        let line = file.line(span.start);
        return Err(Refusal::with_manual(
            format!(
                "{}: the version of {label} is the MSBuild property {value}",
                file.at(line)
            ),
            format!(
                "set the property {} to {} where it is defined",
                value.trim().trim_start_matches("$(").trim_end_matches(')'),
                bump.to
            ),
        ));
    }
    Ok(Site {
        span,
        syntax: Syntax::NuGet,
        label: label.to_owned(),
    })
}

/// Rewrites a `packages.config`.
pub(crate) fn rewrite_packages_config(
    file: &File<'_>,
    bump: &Bump,
) -> Result<Option<Edit>, Refusal> {
    let (base, doc) = parse(file)?;
    let mut sites = Vec::new();
    for package in doc
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "package")
    {
        let Some(id) = package.attribute("id") else {
            continue;
        };
        if !id.eq_ignore_ascii_case(&bump.name) {
            continue;
        }
        let Some(version) = package.attributes().find(|a| a.name() == "version") else {
            continue;
        };
        let line = file.line(base + package.range().start);
        if let Some(allowed) = package.attribute("allowedVersions") {
            let ok = spec::allows(
                Syntax::NuGet,
                cverun_versions::SchemeKind::NuGet,
                allowed,
                &bump.to,
            );
            if ok != Ok(true) {
                return Err(Refusal::with_manual(
                    format!(
                        "{}: allowedVersions=\"{allowed}\" of {id} does not allow {}",
                        file.at(line),
                        bump.to
                    ),
                    format!("widen allowedVersions of {id} at {} by hand", file.at(line)),
                ));
            }
        }
        let span = attribute_span(file, base, &version)?;
        sites.push(Site {
            span,
            syntax: Syntax::NuGet,
            label: id.to_owned(),
        });
    }
    raise_and_finish(file, bump, &sites)
}

#[cfg(test)]
mod tests;
