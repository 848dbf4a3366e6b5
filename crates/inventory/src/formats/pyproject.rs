//! `pyproject.toml`: the Python project manifest, read when no lockfile sits beside
//! it (`poetry.lock`, `uv.lock`, `pdm.lock` and `pylock.toml` lock it; the scan then
//! reads the lockfile, and the lockfile parsers read this file for direct
//! dependencies and scopes).
//!
//! A manifest says what the project asks for, not what is installed, so most of its
//! packages are unpinned. Tables read, each dependency [`Relation::Direct`] with the
//! line of its string or key:
//! - PEP 621: `[project] dependencies` ([`Scope::Runtime`]) and
//!   `[project.optional-dependencies]` ([`Scope::Optional`]). When `dynamic` names
//!   `dependencies` or `optional-dependencies`, the build backend computes them
//!   (from `setup.py`, `[tool.setuptools.dynamic]`, ...): a warning says they are
//!   not read.
//! - PEP 735: `[dependency-groups]` ([`Scope::Development`], as the lockfile parsers
//!   read them); `{include-group = "..."}` entries add nothing of their own.
//! - Poetry: `[tool.poetry.dependencies]` (runtime, `optional = true` optional),
//!   `[tool.poetry.dev-dependencies]` and `[tool.poetry.group.<name>.dependencies]`
//!   (development, except the group `main`: runtime). `python` is the interpreter,
//!   not a package, and is skipped.
//! - PDM: `[tool.pdm.dev-dependencies]` (development); uv: `[tool.uv]
//!   dev-dependencies` (development) and `[tool.uv.sources]`, which moves a
//!   dependency to git (`git` with `rev`/`tag`/`branch`), a path (`path`, or
//!   `workspace = true`: `Source::Path("workspace")`) or a URL (`url`); `index`
//!   sources stay registry packages.
//!
//! Pins: PEP 508 strings are read as pip reads a requirements line (one parser for
//! both): one `==X` (not `==X.*`) or `===X` is [`Pin::Exact`], anything else
//! (`>=`, `~=`, `!=`, `==1.*`, no specifier) [`Pin::Unpinned`] with the specifier;
//! `name @ url` keeps the URL, git or path as its [`Source`] (not matchable);
//! markers are not evaluated (the requirement is listed, the safe direction); PDM's
//! `-e path#egg=name` editables are path packages. Poetry constraints follow
//! Poetry: a bare version (`1.2.3`), `=1.2.3` and `==1.2.3` are exact, `^`, `~`,
//! ranges, `*` and wildcards unpinned; tables read `version`, `git` (`rev`, `tag`,
//! `branch`), `path`, `url` and `optional`; an array of tables (constraints per
//! Python version) gives one package per entry.
//!
//! Errors and warnings: invalid TOML, a document with none of `[project]`,
//! `[build-system]`, `[tool]`, `[dependency-groups]`, or a dependency list or table
//! of the wrong type is an error naming the line. A requirement that cannot be read,
//! or an entry of the wrong type, is a warning with its line (not included). A file
//! of white space is an "empty file", a valid one without dependencies is reported
//! "no dependencies declared": never silently clean. A UTF-8 BOM is accepted.
//!
//! No existing crate was used: `pep508_rs` would bring the whole of uv's PEP 440
//! model, and the requirements parser already reads PEP 508 the way this needs.
//!
//! [`Relation::Direct`]: crate::Relation::Direct

use crate::text::excerpt;
use std::collections::HashMap;

use cverun_versions::Ecosystem;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::python::norm;
use super::requirements::requirement;
use super::toml_doc::{self, Doc, get_str};
use crate::text::strip_bom;
use crate::{Input, Package, ParseError, Parsed, Pin, Relation, Scope, Source, Warning};

/// The top-level tables that make a TOML file a `pyproject.toml`.
const TABLES: [&str; 4] = ["project", "build-system", "tool", "dependency-groups"];

/// Parses a `pyproject.toml`.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    if toml_doc::is_blank(strip_bom(input.text)) {
        return Ok(Parsed::empty_file(input));
    }
    let doc = Doc::parse(input)?;
    let root = &doc.root;
    let mut present = false;
    for key in TABLES {
        if let Some(v) = toml_doc::get(root, key) {
            if v.get_ref().as_table().is_none() {
                return Err(input.error(
                    Some(doc.line_of(v)),
                    format!(
                        "[{key}] must be a table, found {}",
                        toml_doc::type_name(v.get_ref())
                    ),
                ));
            }
            present = true;
        }
    }
    if !present {
        return Err(input.error(
            Some(1),
            "not a pyproject.toml: none of [project], [build-system], [tool], [dependency-groups]",
        ));
    }
    let mut r = Reader {
        input,
        doc: &doc,
        packages: Vec::new(),
        warnings: Vec::new(),
    };
    if let Some(project) = toml_doc::get_table(root, "project") {
        r.project(project)?;
    }
    if let Some(groups) = toml_doc::get_table(root, "dependency-groups") {
        r.groups_of_lists(groups, "dependency-groups", Scope::Development)?;
    }
    let tool = toml_doc::get_table(root, "tool");
    if let Some(poetry) = tool.and_then(|t| toml_doc::get_table(t, "poetry")) {
        r.poetry(poetry)?;
    }
    if let Some(dev) = tool
        .and_then(|t| toml_doc::get_table(t, "pdm"))
        .and_then(|t| toml_doc::get(t, "dev-dependencies"))
    {
        let dev = r.table(dev, "tool.pdm.dev-dependencies")?;
        r.groups_of_lists(dev, "tool.pdm.dev-dependencies", Scope::Development)?;
    }
    let uv = tool.and_then(|t| toml_doc::get_table(t, "uv"));
    if let Some(dev) = uv.and_then(|t| toml_doc::get(t, "dev-dependencies")) {
        r.list(dev, "tool.uv.dev-dependencies", Scope::Development)?;
    }
    if let Some(sources) = uv.and_then(|t| toml_doc::get_table(t, "sources")) {
        apply_uv_sources(sources, &mut r.packages);
    }
    let Reader {
        mut packages,
        warnings,
        ..
    } = r;
    if packages.is_empty() && warnings.is_empty() {
        return Ok(Parsed::no_dependencies(input, None));
    }
    packages.sort_by_key(|p| p.line);
    Ok(Parsed {
        packages,
        warnings,
        includes: Vec::new(),
    })
}

struct Reader<'a, 'i> {
    input: &'a Input<'a>,
    doc: &'a Doc<'i>,
    packages: Vec<Package>,
    warnings: Vec<Warning>,
}

impl<'a, 'i> Reader<'a, 'i> {
    fn warn(&mut self, line: u32, message: impl Into<String>) {
        self.warnings.push(self.input.warning(Some(line), message));
    }

    /// `value` as a table, or an error naming `label`.
    fn table<'v>(
        &self,
        value: &'v Spanned<DeValue<'i>>,
        label: &str,
    ) -> Result<&'v DeTable<'i>, ParseError> {
        value.get_ref().as_table().ok_or_else(|| {
            self.input.error(
                Some(self.doc.line_of(value)),
                format!(
                    "[{label}] must be a table, found {}",
                    toml_doc::type_name(value.get_ref())
                ),
            )
        })
    }

    /// `[project]`: dependencies, optional dependencies, and the `dynamic` warning.
    fn project(&mut self, project: &DeTable<'i>) -> Result<(), ParseError> {
        if let Some(dynamic) = toml_doc::get(project, "dynamic") {
            let names: Vec<&str> = dynamic
                .get_ref()
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.get_ref().as_str()).collect())
                .unwrap_or_default();
            for field in ["dependencies", "optional-dependencies"] {
                if names.contains(&field) {
                    self.warn(
                        self.doc.line_of(dynamic),
                        format!(
                            "project.{field} are dynamic (computed by the build backend): not read"
                        ),
                    );
                }
            }
        }
        if let Some(deps) = toml_doc::get(project, "dependencies") {
            self.list(deps, "project.dependencies", Scope::Runtime)?;
        }
        if let Some(optional) = toml_doc::get(project, "optional-dependencies") {
            let optional = self.table(optional, "project.optional-dependencies")?;
            self.groups_of_lists(optional, "project.optional-dependencies", Scope::Optional)?;
        }
        Ok(())
    }

    /// A table of named lists of PEP 508 strings (extras, dependency groups).
    fn groups_of_lists(
        &mut self,
        groups: &DeTable<'i>,
        label: &str,
        scope: Scope,
    ) -> Result<(), ParseError> {
        for (group, list) in groups.iter() {
            self.list(list, &format!("{label}.{}", group.get_ref()), scope)?;
        }
        Ok(())
    }

    /// A list of PEP 508 strings.
    fn list(
        &mut self,
        value: &Spanned<DeValue<'i>>,
        label: &str,
        scope: Scope,
    ) -> Result<(), ParseError> {
        let Some(items) = value.get_ref().as_array() else {
            return Err(self.input.error(
                Some(self.doc.line_of(value)),
                format!(
                    "{label} must be an array of requirement strings, found {}",
                    toml_doc::type_name(value.get_ref())
                ),
            ));
        };
        for item in items.iter() {
            let line = self.doc.line_of(item);
            match item.get_ref() {
                DeValue::String(text) => self.pep508(text, scope, line),
                // PEP 735: the included group is read on its own.
                DeValue::Table(t) if t.get("include-group").is_some() => {}
                other => self.warn(
                    line,
                    format!(
                        "{label}: entry is {}, not a requirement string; not included",
                        toml_doc::type_name(other)
                    ),
                ),
            }
        }
        Ok(())
    }

    /// One PEP 508 requirement string.
    fn pep508(&mut self, text: &str, scope: Scope, line: u32) {
        let trimmed = text.trim();
        // PDM writes editable development dependencies as `-e path#egg=name`.
        let (editable, body) = match trimmed.strip_prefix("-e") {
            Some(rest) if rest.starts_with(char::is_whitespace) => (true, rest.trim()),
            _ => (false, trimmed),
        };
        match requirement(body) {
            Ok(req) => {
                if let Some(note) = req.note {
                    self.warn(line, format!("{}: {note}", req.name));
                }
                let mut p = Package::new(Ecosystem::PyPI, &req.name, req.pin);
                p.source = req.source;
                if editable && p.source == Source::Registry {
                    p.source = Source::Path(body.to_owned());
                }
                self.push(p, scope, line);
            }
            Err(why) => self.warn(
                line,
                format!(
                    "cannot read requirement {}: {why}; not included",
                    excerpt(trimmed)
                ),
            ),
        }
    }

    fn push(&mut self, mut p: Package, scope: Scope, line: u32) {
        p.relation = Relation::Direct;
        if p.scope == Scope::Unknown {
            p.scope = scope;
        }
        p.line = Some(line);
        self.packages.push(p);
    }

    /// `[tool.poetry]`: dependencies, dev-dependencies, groups.
    fn poetry(&mut self, poetry: &DeTable<'i>) -> Result<(), ParseError> {
        if let Some(deps) = toml_doc::get(poetry, "dependencies") {
            let deps = self.table(deps, "tool.poetry.dependencies")?;
            self.poetry_table(deps, Scope::Runtime);
        }
        if let Some(deps) = toml_doc::get(poetry, "dev-dependencies") {
            let deps = self.table(deps, "tool.poetry.dev-dependencies")?;
            self.poetry_table(deps, Scope::Development);
        }
        if let Some(groups) = toml_doc::get(poetry, "group") {
            let groups = self.table(groups, "tool.poetry.group")?;
            for (name, group) in groups.iter() {
                let label = format!("tool.poetry.group.{}", name.get_ref());
                let group = self.table(group, &label)?;
                let Some(deps) = toml_doc::get(group, "dependencies") else {
                    continue;
                };
                let deps = self.table(deps, &format!("{label}.dependencies"))?;
                let scope = if name.get_ref() == "main" {
                    Scope::Runtime
                } else {
                    Scope::Development
                };
                self.poetry_table(deps, scope);
            }
        }
        Ok(())
    }

    /// One Poetry dependency table (`name = constraint`).
    fn poetry_table(&mut self, deps: &DeTable<'i>, scope: Scope) {
        for (key, value) in deps.iter() {
            let name = key.get_ref();
            if name.eq_ignore_ascii_case("python") {
                continue;
            }
            let line = self.doc.line_of(key);
            match value.get_ref() {
                DeValue::Array(entries) => {
                    for entry in entries.iter() {
                        let entry_line = self.doc.line_of(entry);
                        self.poetry_dependency(name, entry.get_ref(), scope, entry_line);
                    }
                }
                other => self.poetry_dependency(name, other, scope, line),
            }
        }
    }

    /// One Poetry dependency: a constraint string or a table.
    fn poetry_dependency(&mut self, name: &str, value: &DeValue<'_>, scope: Scope, line: u32) {
        let unpinned = || Pin::Unpinned {
            specifier: String::new(),
        };
        let p = match value {
            DeValue::String(constraint) => {
                Package::new(Ecosystem::PyPI, name, poetry_pin(constraint))
            }
            DeValue::Table(t) => {
                let pin = get_str(t, "version").map_or_else(unpinned, poetry_pin);
                let mut p = Package::new(Ecosystem::PyPI, name, pin);
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
                } else if let Some(url) = get_str(t, "url") {
                    Source::Url(url.to_owned())
                } else {
                    if get_str(t, "version").is_none() {
                        self.warn(
                            line,
                            format!(
                                "dependency {name} has no version, git, path or url; kept unpinned"
                            ),
                        );
                    }
                    Source::Registry
                };
                if toml_doc::get_bool(t, "optional") == Some(true) {
                    p.scope = Scope::Optional;
                }
                p
            }
            other => {
                self.warn(
                    line,
                    format!(
                        "dependency {name} is {}, not a string or table; kept unpinned",
                        toml_doc::type_name(other)
                    ),
                );
                Package::new(Ecosystem::PyPI, name, unpinned())
            }
        };
        self.push(p, scope, line);
    }
}

/// The pin of a Poetry constraint: a bare version, `=X` or `==X` is exact (Poetry
/// installs exactly that); anything else is unpinned with the constraint.
fn poetry_pin(constraint: &str) -> Pin {
    let c = constraint.trim();
    let version = c
        .strip_prefix("==")
        .or_else(|| c.strip_prefix('='))
        .unwrap_or(c)
        .trim();
    let is_version = version.starts_with(|ch: char| ch.is_ascii_digit())
        && version
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '+' | '!' | '_'));
    if is_version {
        Pin::Exact(version.to_owned())
    } else {
        Pin::Unpinned {
            specifier: c.to_owned(),
        }
    }
}

/// Applies `[tool.uv.sources]`: a dependency from git, a path, a URL or the
/// workspace is not the registry package of its name.
fn apply_uv_sources(sources: &DeTable<'_>, packages: &mut [Package]) {
    let mut by_name: HashMap<String, Source> = HashMap::new();
    for (name, value) in sources.iter() {
        let tables: Vec<&DeTable<'_>> = match value.get_ref() {
            DeValue::Table(t) => vec![t],
            DeValue::Array(a) => a.iter().filter_map(|v| v.get_ref().as_table()).collect(),
            _ => Vec::new(),
        };
        if let Some(source) = tables.into_iter().find_map(uv_source) {
            by_name.insert(norm(name.get_ref()), source);
        }
    }
    for p in packages {
        if p.source == Source::Registry {
            if let Some(source) = by_name.get(&p.name) {
                p.source = source.clone();
            }
        }
    }
}

/// The source one `[tool.uv.sources]` entry names, unless it is an index.
fn uv_source(t: &DeTable<'_>) -> Option<Source> {
    if let Some(url) = get_str(t, "git") {
        return Some(Source::Git {
            url: url.to_owned(),
            rev: ["rev", "tag", "branch"]
                .iter()
                .find_map(|k| get_str(t, k))
                .map(str::to_owned),
        });
    }
    if let Some(path) = get_str(t, "path") {
        return Some(Source::Path(path.to_owned()));
    }
    if let Some(url) = get_str(t, "url") {
        return Some(Source::Url(url.to_owned()));
    }
    if toml_doc::get_bool(t, "workspace") == Some(true) {
        return Some(Source::Path("workspace".to_owned()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileKind;
    use crate::testutil::{get, never_panics, parse_str, summary};

    const KIND: FileKind = FileKind::PyProject;

    fn ok(text: &str) -> Parsed {
        parse_str(KIND, "svc/pyproject.toml", text).expect("parses")
    }

    fn unpinned(spec: &str) -> Pin {
        Pin::Unpinned {
            specifier: spec.into(),
        }
    }

    const PEP621: &str = r#"[build-system]
requires = ["setuptools>=61"]

[project]
name = "svc"
dependencies = [
    "requests==2.19.1",
    "Flask>=2.0,<3",
    "PyYAML==5.*",
    "legacy===1.0-custom",
    "urllib3[socks] == 1.26.5 ; python_version >= '3.8'",
    "mylib @ git+https://github.com/o/mylib.git@v1.2",
    "wheel-dep @ https://example.com/wheel_dep-1.0-py3-none-any.whl",
    "bare",
]

[project.optional-dependencies]
docs = ["sphinx==7.2.6"]
"#;

    #[test]
    fn pep621_pins_sources_scopes_and_lines() {
        let p = ok(PEP621);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.packages.len(), 9, "{:?}", summary(&p));
        assert!(p.packages.iter().all(|p| p.relation == Relation::Direct));
        let requests = get(&p, "requests");
        assert_eq!(requests.pin, Pin::Exact("2.19.1".into()));
        assert_eq!(
            (requests.line, requests.scope, &requests.source),
            (Some(7), Scope::Runtime, &Source::Registry)
        );
        assert_eq!(get(&p, "flask").pin, unpinned(">=2.0,<3"));
        assert_eq!(get(&p, "pyyaml").pin, unpinned("==5.*"));
        assert_eq!(get(&p, "legacy").pin, Pin::Exact("1.0-custom".into()));
        assert_eq!(get(&p, "urllib3").pin, Pin::Exact("1.26.5".into()));
        assert_eq!(get(&p, "urllib3").line, Some(11));
        assert_eq!(
            get(&p, "mylib").source,
            Source::Git {
                url: "https://github.com/o/mylib.git".into(),
                rev: Some("v1.2".into())
            }
        );
        assert!(get(&p, "mylib").unmatchable_reason().is_some());
        assert_eq!(
            get(&p, "wheel-dep").source,
            Source::Url("https://example.com/wheel_dep-1.0-py3-none-any.whl".into())
        );
        assert_eq!(get(&p, "bare").pin, unpinned(""));
        let sphinx = get(&p, "sphinx");
        assert_eq!(
            (sphinx.scope, sphinx.line, sphinx.exact_version()),
            (Scope::Optional, Some(18), Some("7.2.6"))
        );
    }

    #[test]
    fn poetry_tables() {
        let text = r#"[tool.poetry]
name = "svc"

[tool.poetry.dependencies]
python = "^3.10"
django = "4.2.1"
celery = "^5.3"
redis = "==4.5.5"
ujson = "=5.7.0"
star = "*"
wild = "1.2.*"
boto3 = { version = "1.26.0", optional = true }
mylib = { git = "https://github.com/o/mylib.git", tag = "v2" }
local = { path = "../local", develop = true }
archive = { url = "https://example.com/a-1.0.tar.gz" }
numpy = [
    { version = "1.24.4", python = "<3.9" },
    { version = "^1.26", python = ">=3.9" },
]
nothing = {}

[tool.poetry.dev-dependencies]
pytest = "7.4.0"

[tool.poetry.group.lint.dependencies]
ruff = "0.1.6"

[tool.poetry.group.main.dependencies]
gunicorn = "21.2.0"
"#;
        let p = ok(text);
        assert_eq!(p.packages.len(), 16, "{:?}", summary(&p));
        assert!(p.packages.iter().all(|p| p.name != "python"));
        assert_eq!(get(&p, "django").pin, Pin::Exact("4.2.1".into()));
        assert_eq!(get(&p, "django").line, Some(6));
        assert_eq!(get(&p, "celery").pin, unpinned("^5.3"));
        assert_eq!(get(&p, "redis").pin, Pin::Exact("4.5.5".into()));
        assert_eq!(get(&p, "ujson").pin, Pin::Exact("5.7.0".into()));
        assert_eq!(get(&p, "star").pin, unpinned("*"));
        assert_eq!(get(&p, "wild").pin, unpinned("1.2.*"));
        let boto = get(&p, "boto3");
        assert_eq!(
            (boto.exact_version(), boto.scope),
            (Some("1.26.0"), Scope::Optional)
        );
        assert_eq!(
            get(&p, "mylib").source,
            Source::Git {
                url: "https://github.com/o/mylib.git".into(),
                rev: Some("v2".into())
            }
        );
        assert_eq!(get(&p, "local").source, Source::Path("../local".into()));
        assert_eq!(
            get(&p, "archive").source,
            Source::Url("https://example.com/a-1.0.tar.gz".into())
        );
        let numpy: Vec<(Option<u32>, &Pin)> = p
            .packages
            .iter()
            .filter(|p| p.name == "numpy")
            .map(|p| (p.line, &p.pin))
            .collect();
        assert_eq!(
            numpy,
            vec![
                (Some(17), &Pin::Exact("1.24.4".into())),
                (Some(18), &unpinned("^1.26"))
            ]
        );
        assert_eq!(get(&p, "nothing").pin, unpinned(""));
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert_eq!(p.warnings[0].line, Some(20));
        assert_eq!(get(&p, "pytest").scope, Scope::Development);
        assert_eq!(get(&p, "ruff").scope, Scope::Development);
        assert_eq!(get(&p, "gunicorn").scope, Scope::Runtime);
        assert_eq!(get(&p, "gunicorn").line, Some(29));
    }

    #[test]
    fn pdm_uv_and_dependency_groups() {
        let text = r#"[project]
name = "svc"
dependencies = ["fastapi==0.100.0", "shared", "tool"]

[dependency-groups]
test = ["pytest==8.0.0", {include-group = "lint"}]
lint = ["ruff>=0.4"]

[tool.pdm.dev-dependencies]
dev = ["-e file:///${PROJECT_ROOT}/libs/core#egg=core-lib", "black==23.1.0"]

[tool.uv]
dev-dependencies = ["mypy==1.8.0"]

[tool.uv.sources]
shared = { workspace = true }
tool = { git = "https://github.com/o/tool", rev = "abc123" }
fastapi = { index = "internal" }
"#;
        let p = ok(text);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.packages.len(), 8, "{:?}", summary(&p));
        assert_eq!(get(&p, "fastapi").source, Source::Registry);
        assert_eq!(get(&p, "fastapi").exact_version(), Some("0.100.0"));
        assert_eq!(get(&p, "shared").source, Source::Path("workspace".into()));
        assert_eq!(
            get(&p, "tool").source,
            Source::Git {
                url: "https://github.com/o/tool".into(),
                rev: Some("abc123".into())
            }
        );
        for (name, line) in [("pytest", 6), ("ruff", 7), ("black", 10), ("mypy", 13)] {
            let pkg = get(&p, name);
            assert_eq!(
                (pkg.scope, pkg.line),
                (Scope::Development, Some(line)),
                "{name}"
            );
        }
        let core = get(&p, "core-lib");
        assert!(matches!(core.source, Source::Path(_)), "{:?}", core.source);
        assert!(core.unmatchable_reason().is_some());
    }

    #[test]
    fn unreadable_entries_are_warnings_with_lines() {
        let text = "[project]\nname = \"x\"\ndependencies = [\n  \"ok==1.0\",\n  \"==1.0\",\n  42,\n  \"bad ==\",\n]\n";
        let p = ok(text);
        assert_eq!(summary(&p), vec![("ok".to_owned(), "1.0".to_owned())]);
        let lines: Vec<Option<u32>> = p.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![Some(5), Some(6), Some(7)], "{:?}", p.warnings);
        assert!(
            p.warnings
                .iter()
                .all(|w| w.message.contains("not included"))
        );
    }

    #[test]
    fn dynamic_dependencies_are_not_silent() {
        let p = ok("[project]\nname = \"x\"\ndynamic = [\"version\", \"dependencies\"]\n");
        assert!(p.packages.is_empty());
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(3));
        assert!(
            p.warnings[0].message.contains("dynamic"),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn empty_and_dependency_free_files_are_reported() {
        let p = ok(" \n\n");
        assert_eq!(p.warnings[0].message, "empty file");
        let p = ok("[build-system]\nrequires = [\"hatchling\"]\n[tool.black]\nline-length = 100\n");
        assert!(p.packages.is_empty());
        assert_eq!(p.warnings.len(), 1);
        assert!(p.warnings[0].message.contains("no dependencies declared"));
    }

    #[test]
    fn byte_order_mark_is_accepted() {
        let p = ok("\u{feff}[project]\nname = \"x\"\ndependencies = [\"requests==2.19.1\"]\n");
        assert_eq!(get(&p, "requests").line, Some(3));
        assert_eq!(get(&p, "requests").exact_version(), Some("2.19.1"));
    }

    #[test]
    fn not_a_pyproject_is_an_error_with_file_and_line() {
        let cases: [(&str, &str, u32); 6] = [
            ("[project\nname = 1\n", "not valid TOML", 1),
            ("[package]\nname = \"x\"\n", "not a pyproject.toml", 1),
            (
                "name = \"x\"\nproject = \"y\"\n",
                "[project] must be a table",
                2,
            ),
            (
                "[project]\nname = \"x\"\ndependencies = \"requests\"\n",
                "project.dependencies must be an array",
                3,
            ),
            (
                "[project]\noptional-dependencies = [\"a\"]\n",
                "[project.optional-dependencies] must be a table",
                2,
            ),
            (
                "[tool.poetry]\nname = \"x\"\ndependencies = [\"a\"]\n",
                "[tool.poetry.dependencies] must be a table",
                3,
            ),
        ];
        for (text, message, line) in cases {
            let e = parse_str(KIND, "svc/pyproject.toml", text).unwrap_err();
            assert!(e.message.contains(message), "{text:?}: {e}");
            assert_eq!(e.line, Some(line), "{text:?}: {e}");
            assert!(e.to_string().starts_with("svc/pyproject.toml:"), "{e}");
        }
    }

    #[test]
    fn never_panics_on_damaged_text() {
        never_panics(KIND, PEP621);
    }
}
