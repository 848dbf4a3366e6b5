//! Helpers shared by the Python lockfile parsers: requirement names, exact pins,
//! the project manifest (`pyproject.toml`) beside a lockfile, dependency groups,
//! and relations/scopes from a lockfile's dependency graph.
//!
//! Relations without a manifest: every package a complete lockfile lists is needed
//! by the project or by another listed package, so a package that no other
//! package depends on must be a direct dependency. [`relate`] marks those
//! [`Relation::Direct`] and gives every other package the paths that lead to it
//! from them, but leaves its relation [`Relation::Unknown`]: it might also be a
//! direct dependency of the project, which only the manifest can say.

use std::collections::{HashMap, HashSet};

use cverun_versions::{Ecosystem, normalize_name};

use super::toml_doc::{self, Doc};
use crate::graph::Graph;
use crate::{Input, Package, Parsed, Pin, Relation, Scope, Warning};

/// Group names that mean development or test tooling.
const DEV_GROUPS: [&str; 6] = ["dev", "develop", "development", "test", "tests", "testing"];

/// True for a development/test group name (`dev`, `test`, `tests`, ...).
pub(crate) fn is_dev_group(name: &str) -> bool {
    DEV_GROUPS
        .iter()
        .any(|g| g.eq_ignore_ascii_case(name.trim()))
}

/// The PEP 503 form of a PyPI name.
pub(crate) fn norm(name: &str) -> String {
    normalize_name(&Ecosystem::PyPI, name).into_owned()
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// The distribution name at the start of a PEP 508 requirement
/// (`name[extras] specifiers ; markers`, `name @ url`), or the `#egg=` name of an
/// editable/URL requirement (`-e file:///src#egg=name`). `None` when there is none.
pub(crate) fn requirement_name(requirement: &str) -> Option<&str> {
    let s = requirement.trim();
    let s = s.strip_prefix("-e").map(str::trim_start).unwrap_or(s);
    if let Some((_, egg)) = s.split_once("#egg=") {
        let end = egg.find(|c: char| !name_char(c)).unwrap_or(egg.len());
        return valid_name(egg.get(..end)?);
    }
    let end = s.find(|c: char| !name_char(c)).unwrap_or(s.len());
    valid_name(s.get(..end)?)
}

fn valid_name(name: &str) -> Option<&str> {
    let first = name.chars().next()?;
    let last = name.chars().last()?;
    (first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric()).then_some(name)
}

/// A pin from a PEP 440 specifier as lockfiles write it: `==X` or `===X` (one
/// clause, no wildcard) is exact, anything else is unpinned with the specifier.
pub(crate) fn pin_from_specifier(spec: &str) -> Pin {
    let s = spec.trim();
    let exact = s
        .strip_prefix("===")
        .or_else(|| s.strip_prefix("==").filter(|v| !v.contains('*')))
        .map(str::trim)
        .filter(|v| !v.is_empty() && !v.contains([',', ';', ' ', '<', '>', '=', '!', '~']));
    match exact {
        Some(v) => Pin::Exact(v.to_owned()),
        None => Pin::Unpinned {
            specifier: s.to_owned(),
        },
    }
}

/// What the project manifest beside a lockfile declares.
#[derive(Debug, Default)]
pub(crate) struct Manifest {
    /// Direct dependencies (normalised names) with the scope the manifest gives them.
    pub direct: Vec<(String, Scope)>,
    /// Names of development dependency groups.
    pub dev_groups: HashSet<String>,
}

impl Manifest {
    /// The indices of `packages` that the manifest names, with its scope for each.
    pub fn direct_indices(&self, packages: &[Package]) -> Vec<(usize, Scope)> {
        let by = by_name(packages);
        let mut out = Vec::new();
        for (name, scope) in &self.direct {
            for &i in by.get(name.as_str()).into_iter().flatten() {
                out.push((i, *scope));
            }
        }
        out
    }
}

/// Reads the `pyproject.toml` beside the lockfile, when there is one: PEP 621
/// `[project]` dependencies and optional dependencies, PEP 735
/// `[dependency-groups]`, Poetry's `[tool.poetry.dependencies]`,
/// `[tool.poetry.dev-dependencies]` and `[tool.poetry.group.*.dependencies]`, and
/// PDM's `[tool.pdm.dev-dependencies]`.
pub(crate) fn read_pyproject(input: &Input<'_>, warnings: &mut Vec<Warning>) -> Option<Manifest> {
    let (path, text) = input.sibling("pyproject.toml", "direct dependencies unknown", warnings)?;
    let sibling = Input {
        path: &path,
        text: &text,
        files: input.files,
    };
    let doc = match Doc::parse(&sibling) {
        Ok(doc) => doc,
        Err(e) => {
            warnings.push(input.warning(None, format!("{e}; direct dependencies unknown")));
            return None;
        }
    };
    Some(manifest_from(&doc))
}

fn manifest_from(doc: &Doc<'_>) -> Manifest {
    let mut m = Manifest::default();
    let root = &doc.root;
    let add_reqs = |m: &mut Manifest, reqs: Vec<&str>, scope: Scope| {
        for r in reqs {
            if let Some(n) = requirement_name(r) {
                m.direct.push((norm(n), scope));
            }
        }
    };
    if let Some(project) = toml_doc::get_table(root, "project") {
        add_reqs(
            &mut m,
            toml_doc::get_strings(project, "dependencies"),
            Scope::Runtime,
        );
        if let Some(opt) = toml_doc::get_table(project, "optional-dependencies") {
            for (group, _) in opt.iter() {
                add_reqs(
                    &mut m,
                    toml_doc::get_strings(opt, group.get_ref()),
                    Scope::Optional,
                );
            }
        }
    }
    if let Some(groups) = toml_doc::get_table(root, "dependency-groups") {
        for (group, _) in groups.iter() {
            m.dev_groups.insert(group.get_ref().to_string());
            add_reqs(
                &mut m,
                toml_doc::get_strings(groups, group.get_ref()),
                Scope::Development,
            );
        }
    }
    let tool = toml_doc::get_table(root, "tool");
    if let Some(poetry) = tool.and_then(|t| toml_doc::get_table(t, "poetry")) {
        if let Some(deps) = toml_doc::get_table(poetry, "dependencies") {
            for (name, value) in deps.iter() {
                if name.get_ref().eq_ignore_ascii_case("python") {
                    continue;
                }
                let optional = value
                    .get_ref()
                    .as_table()
                    .and_then(|t| toml_doc::get_bool(t, "optional"))
                    .unwrap_or(false);
                let scope = if optional {
                    Scope::Optional
                } else {
                    Scope::Runtime
                };
                m.direct.push((norm(name.get_ref()), scope));
            }
        }
        if let Some(deps) = toml_doc::get_table(poetry, "dev-dependencies") {
            for (name, _) in deps.iter() {
                m.direct.push((norm(name.get_ref()), Scope::Development));
            }
        }
        if let Some(groups) = toml_doc::get_table(poetry, "group") {
            for (group, value) in groups.iter() {
                let main = group.get_ref() == "main";
                if !main {
                    m.dev_groups.insert(group.get_ref().to_string());
                }
                let deps = value
                    .get_ref()
                    .as_table()
                    .and_then(|t| toml_doc::get_table(t, "dependencies"));
                for (name, _) in deps.into_iter().flat_map(|d| d.iter()) {
                    if name.get_ref().eq_ignore_ascii_case("python") {
                        continue;
                    }
                    let scope = if main {
                        Scope::Runtime
                    } else {
                        Scope::Development
                    };
                    m.direct.push((norm(name.get_ref()), scope));
                }
            }
        }
    }
    if let Some(dev) = tool
        .and_then(|t| toml_doc::get_table(t, "pdm"))
        .and_then(|t| toml_doc::get_table(t, "dev-dependencies"))
    {
        for (group, _) in dev.iter() {
            m.dev_groups.insert(group.get_ref().to_string());
            add_reqs(
                &mut m,
                toml_doc::get_strings(dev, group.get_ref()),
                Scope::Development,
            );
        }
    }
    m
}

/// Indices of packages by (normalised) name.
pub(crate) fn by_name(packages: &[Package]) -> HashMap<&str, Vec<usize>> {
    let mut by: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in packages.iter().enumerate() {
        by.entry(p.name.as_str()).or_default().push(i);
    }
    by
}

/// Sets relations and paths from the dependency graph `edges` (adjacency lists
/// over package indices). With `direct` (from a manifest, non-empty), the graph is
/// annotated from it; otherwise packages nothing depends on are direct and the
/// others keep [`Relation::Unknown`] with their paths (see the module doc).
pub(crate) fn relate(packages: &mut [Package], edges: &[Vec<usize>], direct: &[usize]) {
    let n = packages.len();
    let mut graph = Graph::new(n);
    let mut has_parent = vec![false; n];
    for (from, tos) in edges.iter().enumerate() {
        for &to in tos {
            graph.add_edge(from, to);
            if to != from {
                if let Some(h) = has_parent.get_mut(to) {
                    *h = true;
                }
            }
        }
    }
    if !direct.is_empty() {
        graph.annotate(direct, packages);
        return;
    }
    let roots: Vec<usize> = (0..n)
        .filter(|&i| !has_parent.get(i).copied().unwrap_or(false))
        .collect();
    graph.annotate(&roots, packages);
    for (p, &h) in packages.iter_mut().zip(&has_parent) {
        if h {
            p.relation = Relation::Unknown;
        }
    }
}

/// Fills [`Scope::Unknown`] scopes from seeds: a package reachable from a runtime
/// seed is runtime, else from an optional seed optional, else from a development
/// seed development. Seeds themselves get their scope by the same rule.
pub(crate) fn propagate_scopes(
    packages: &mut [Package],
    edges: &[Vec<usize>],
    seeds: &[(usize, Scope)],
) {
    let spread = crate::graph::spread_scopes(edges, seeds);
    for (p, s) in packages.iter_mut().zip(spread) {
        if let (Scope::Unknown, Some(s)) = (p.scope, s) {
            p.scope = s;
        }
    }
}

/// The result of a Python lockfile whose direct dependencies are `seeds` (with
/// their scopes): relations and paths from them along `edges`, scopes spread the
/// same way.
pub(crate) fn finish(
    mut packages: Vec<Package>,
    edges: &[Vec<usize>],
    seeds: &[(usize, Scope)],
    warnings: Vec<Warning>,
) -> Parsed {
    let direct: Vec<usize> = seeds.iter().map(|(i, _)| *i).collect();
    relate(&mut packages, edges, &direct);
    propagate_scopes(&mut packages, edges, seeds);
    Parsed {
        packages,
        warnings,
        includes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_names() {
        let cases = [
            ("requests", Some("requests")),
            ("requests>=2", Some("requests")),
            (
                "Foo.Bar_baz[security,socks] >=1 ; python_version < '3'",
                Some("Foo.Bar_baz"),
            ),
            (
                "win-inet-pton; platform_system == \"Windows\"",
                Some("win-inet-pton"),
            ),
            ("pkg @ https://example.com/pkg.whl", Some("pkg")),
            (
                "-e file:///${PROJECT_ROOT}/libs/core#egg=core-lib",
                Some("core-lib"),
            ),
            ("", None),
            (">=1", None),
            ("-bad", None),
        ];
        for (req, expected) in cases {
            assert_eq!(requirement_name(req), expected, "{req}");
        }
    }

    #[test]
    fn pins() {
        assert_eq!(pin_from_specifier("==1.2.3"), Pin::Exact("1.2.3".into()));
        assert_eq!(
            pin_from_specifier("===1.0-custom"),
            Pin::Exact("1.0-custom".into())
        );
        assert_eq!(
            pin_from_specifier("==1.*"),
            Pin::Unpinned {
                specifier: "==1.*".into()
            }
        );
        assert_eq!(
            pin_from_specifier(">=1,<2"),
            Pin::Unpinned {
                specifier: ">=1,<2".into()
            }
        );
        assert_eq!(
            pin_from_specifier("==1,<2"),
            Pin::Unpinned {
                specifier: "==1,<2".into()
            }
        );
        assert_eq!(
            pin_from_specifier("*"),
            Pin::Unpinned {
                specifier: "*".into()
            }
        );
        assert_eq!(
            pin_from_specifier(""),
            Pin::Unpinned {
                specifier: String::new()
            }
        );
    }

    #[test]
    fn dev_groups() {
        assert!(
            is_dev_group("dev")
                && is_dev_group("Tests")
                && !is_dev_group("default")
                && !is_dev_group("docs")
        );
    }

    fn pkgs(names: &[&str]) -> Vec<Package> {
        names
            .iter()
            .map(|n| Package::new(Ecosystem::PyPI, n, Pin::Exact("1".into())))
            .collect()
    }

    #[test]
    fn roots_are_direct_without_manifest() {
        // a -> b -> c ; d alone
        let mut p = pkgs(&["a", "b", "c", "d"]);
        let edges = vec![vec![1], vec![2], vec![], vec![]];
        relate(&mut p, &edges, &[]);
        assert_eq!(p[0].relation, Relation::Direct);
        assert_eq!(p[3].relation, Relation::Direct);
        assert_eq!(p[1].relation, Relation::Unknown);
        assert_eq!(p[2].relation, Relation::Unknown);
        assert_eq!(p[2].paths, vec![vec!["a@1", "b@1", "c@1"]]);
        // With a manifest naming b too, c is transitive and a, b direct.
        let mut p = pkgs(&["a", "b", "c", "d"]);
        relate(&mut p, &edges, &[0, 1]);
        assert_eq!(p[1].relation, Relation::Direct);
        assert_eq!(p[2].relation, Relation::Transitive);
        assert_eq!(p[3].relation, Relation::Unknown);
    }

    #[test]
    fn scopes_propagate_runtime_first() {
        // r -> x ; d -> x ; d -> y ; o -> z
        let mut p = pkgs(&["r", "d", "o", "x", "y", "z", "lone"]);
        let edges = vec![vec![3], vec![3, 4], vec![5], vec![], vec![], vec![], vec![]];
        propagate_scopes(
            &mut p,
            &edges,
            &[
                (1, Scope::Development),
                (0, Scope::Runtime),
                (2, Scope::Optional),
            ],
        );
        let scopes: Vec<Scope> = p.iter().map(|p| p.scope).collect();
        assert_eq!(
            scopes,
            [
                Scope::Runtime,
                Scope::Development,
                Scope::Optional,
                Scope::Runtime,
                Scope::Development,
                Scope::Optional,
                Scope::Unknown
            ]
        );
    }
}
