//! `pom.xml`: the `<version>` of a dependency, or the property it names, edited
//! as text inside its element.
//!
//! Dependencies read: `<project><dependencies>`, `<dependencyManagement>`, and the
//! same in `<profiles><profile>` (plugins and their dependencies are build tools,
//! not rewritten). A dependency matches when `groupId:artifactId` is the bump's
//! name. Its version is:
//!
//! - a literal (`<version>2.14.1</version>`, or a range `[2.14,2.15)`): the literal
//!   is raised;
//! - a property (`<version>${log4j.version}</version>`): the property's element in
//!   `<properties>` of this file is raised instead, and the summary says so; when
//!   other artifacts use the same property, they move with it and the summary
//!   names them;
//! - a property this file does not define (in a parent POM or an imported BOM),
//!   `${project.version}`, or a version mixing text and properties: refused, with
//!   the edit to make by hand;
//! - absent: managed by a `<dependencyManagement>` entry, rewritten as its own
//!   declaration when it is in this file, refused when it is not (a parent POM
//!   or an imported BOM manages it).
//!
//! Elements are located with `roxmltree`'s byte ranges; text with entity or
//! character references is refused rather than re-encoded.

use std::ops::Range;

use roxmltree::{Document, Node};

use super::spec::Syntax;
use super::{Edit, File, Site, finish, raise_sites};
use crate::{Bump, Refusal};

/// Rewrites a `pom.xml`.
pub(crate) fn rewrite(file: &File<'_>, bump: &Bump) -> Result<Option<Edit>, Refusal> {
    let (base, body) = file.body();
    let doc = Document::parse(body)
        .map_err(|e| Refusal::new(format!("{} is not valid XML: {e}", file.kind.name())))?;
    let project = doc.root_element();
    if project.tag_name().name() != "project" {
        return Err(Refusal::new(format!(
            "{}: the root element is <{}>, not <project>",
            file.kind.name(),
            project.tag_name().name()
        )));
    }
    let mut sites: Vec<Site> = Vec::new();
    let mut notes = Vec::new();
    let mut unversioned = None;
    for dep in dependencies(project) {
        let name = format!(
            "{}:{}",
            child_text(dep, "groupId").unwrap_or_default(),
            child_text(dep, "artifactId").unwrap_or_default()
        );
        if name != bump.name {
            continue;
        }
        let Some(version) = child(dep, "version") else {
            unversioned.get_or_insert(file.line(base + dep.range().start));
            continue;
        };
        let (text, span) = element_text(file, base, version)?;
        let line = file.line(span.start);
        match property_name(&text) {
            None if text.contains("${") => {
                return Err(Refusal::with_manual(
                    format!(
                        "{}: the version of {name} mixes text and properties ({text})",
                        file.at(line)
                    ),
                    format!("set the version of {name} to {} by hand", bump.to),
                ));
            }
            None => push_site(
                &mut sites,
                Site {
                    span,
                    syntax: Syntax::Maven,
                    label: name.clone(),
                },
            ),
            Some(prop) => {
                let (site, note) = property_site(file, base, project, prop, &name, bump, line)?;
                push_site(&mut sites, site);
                notes.extend(note);
            }
        }
    }
    if let (true, Some(line)) = (sites.is_empty(), unversioned) {
        return Err(Refusal::with_manual(
            format!(
                "{}: {} has no version in this file; it is managed by a parent POM or an imported BOM",
                file.at(line),
                bump.name
            ),
            format!(
                "raise {} to {} in the <dependencyManagement> that manages it, or set <version>{}</version> here",
                bump.name, bump.to, bump.to
            ),
        ));
    }
    let mut raising = raise_sites(file, bump, &sites)?;
    if !raising.changes.is_empty() {
        notes.dedup();
        raising.summaries.extend(notes);
    }
    Ok(finish(file, raising))
}

fn push_site(sites: &mut Vec<Site>, site: Site) {
    if !sites.iter().any(|s| s.span == site.span) {
        sites.push(site);
    }
}

/// The site of property `prop` in `<properties>`, and a note naming the other
/// artifacts that use it.
fn property_site(
    file: &File<'_>,
    base: usize,
    project: Node<'_, '_>,
    prop: &str,
    name: &str,
    bump: &Bump,
    line: u32,
) -> Result<(Site, Option<String>), Refusal> {
    if prop.starts_with("project.") || prop.starts_with("pom.") {
        return Err(Refusal::with_manual(
            format!(
                "{}: the version of {name} is ${{{prop}}}, the project's own version",
                file.at(line)
            ),
            format!("set the version of {name} to {} by hand", bump.to),
        ));
    }
    let element = child(project, "properties").and_then(|p| child(p, prop));
    let Some(element) = element else {
        let parent = child(project, "parent").map(|p| {
            format!(
                "{}:{}:{}",
                child_text(p, "groupId").unwrap_or_default(),
                child_text(p, "artifactId").unwrap_or_default(),
                child_text(p, "version").unwrap_or_default()
            )
        });
        return Err(Refusal::with_manual(
            format!(
                "{}: the version of {name} is the property {prop}, which this file does not define{}",
                file.at(line),
                parent.as_ref().map_or_else(String::new, |p| format!(
                    " (it comes from the parent POM {p} or an imported BOM)"
                ))
            ),
            format!(
                "set <{prop}> to {} where it is defined, or set the version of {name} here",
                bump.to
            ),
        ));
    };
    let (_, span) = element_text(file, base, element)?;
    let others: Vec<String> = users_of(project, prop)
        .into_iter()
        .filter(|n| n != name)
        .collect();
    let prop_line = file.line(span.start);
    let note = (!others.is_empty()).then(|| {
        format!(
            "property {prop} (line {prop_line}) also sets the version of {}",
            others.join(", ")
        )
    });
    Ok((
        Site {
            span,
            syntax: Syntax::Maven,
            label: format!("{name} through property {prop}"),
        },
        note,
    ))
}

/// The artifacts (dependencies and plugins) whose version is `${prop}`.
fn users_of(project: Node<'_, '_>, prop: &str) -> Vec<String> {
    let wanted = format!("${{{prop}}}");
    let mut out = Vec::new();
    for v in project
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "version")
    {
        if v.text().map(str::trim) != Some(wanted.as_str()) {
            continue;
        }
        let Some(owner) = v.parent_element() else {
            continue;
        };
        let Some(artifact) = child_text(owner, "artifactId") else {
            continue;
        };
        let name = match child_text(owner, "groupId") {
            Some(g) => format!("{g}:{artifact}"),
            None => artifact,
        };
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// `name` of `${name}`, when the text is exactly one property reference.
fn property_name(text: &str) -> Option<&str> {
    let inner = text.strip_prefix("${")?.strip_suffix('}')?;
    (!inner.contains(['{', '}', '$'])).then_some(inner)
}

/// The `<dependency>` elements of the project, its dependency management and its
/// profiles.
fn dependencies<'a, 'i>(project: Node<'a, 'i>) -> Vec<Node<'a, 'i>> {
    let mut holders = vec![project];
    if let Some(profiles) = child(project, "profiles") {
        holders.extend(children(profiles, "profile"));
    }
    let mut out = Vec::new();
    for holder in holders {
        let mut lists: Vec<Node<'_, '_>> = children(holder, "dependencies").collect();
        if let Some(dm) = child(holder, "dependencyManagement") {
            lists.extend(children(dm, "dependencies"));
        }
        for list in lists {
            out.extend(children(list, "dependency"));
        }
    }
    out
}

fn children<'a, 'i>(node: Node<'a, 'i>, name: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn child_text(node: Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name)
        .and_then(|c| c.text())
        .map(|t| t.trim().to_owned())
}

/// The trimmed text of an element with one text child, and its range in the
/// file; refused when written with references or split by comments.
fn element_text(
    file: &File<'_>,
    base: usize,
    element: Node<'_, '_>,
) -> Result<(String, Range<usize>), Refusal> {
    let line = file.line(base + element.range().start);
    let texts: Vec<Node<'_, '_>> = element.children().collect();
    let refuse = || {
        Refusal::with_manual(
            format!(
                "{}: <{}> is not a plain version text",
                file.at(line),
                element.tag_name().name()
            ),
            format!(
                "edit <{}> at {} by hand",
                element.tag_name().name(),
                file.at(line)
            ),
        )
    };
    let [text_node] = texts.as_slice() else {
        return Err(refuse());
    };
    let Some(text) = text_node.text().filter(|_| text_node.is_text()) else {
        return Err(refuse());
    };
    let range = text_node.range();
    let raw = &file.text[base + range.start..base + range.end];
    if raw != text {
        return Err(refuse());
    }
    let lead = raw.len() - raw.trim_start().len();
    let start = base + range.start + lead;
    Ok((text.trim().to_owned(), start..start + raw.trim().len()))
}

#[cfg(test)]
mod tests;
