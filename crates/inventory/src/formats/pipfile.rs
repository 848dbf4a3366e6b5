//! `Pipfile` (Pipenv's TOML manifest), read when no `Pipfile.lock` sits beside it
//! (the scan then reads the lockfile, and the lockfile parser reads this file for
//! direct dependencies).
//!
//! Tables: `[packages]` ([`Scope::Runtime`]) and `[dev-packages]`
//! ([`Scope::Development`]); Pipenv 2022.10+ allows more package categories, any
//! other top-level table but `[[source]]`, `[requires]`, `[scripts]` and `[pipenv]`
//! (a category named like `dev` or `test` is development, others optional, as
//! [`pipfile_lock`](super::pipfile_lock) reads them). Every package is
//! [`Relation::Direct`], at the line of its key.
//!
//! Values: a string is a specifier (`"==1.2.3"` or `"===1.2.3"` exact, `"*"`,
//! ranges and `==1.*` unpinned with the specifier); a table reads `version` the
//! same way, `git` (with `ref`) as [`Source::Git`], `path` as [`Source::Path`],
//! `file` as [`Source::Url`] (a path when it is not a URL); `editable`, `extras`,
//! `markers` and `index` do not change what is matched. A table with none of
//! `version`, `git`, `path`, `file` is unpinned, with a warning.
//!
//! Errors and warnings: invalid TOML, a document with no Pipfile table, or a
//! `[packages]`/`[dev-packages]` that is not a table is an error naming the line; a
//! value of another type is a warning (kept unpinned). White space only is an
//! "empty file", a valid Pipfile without packages "no dependencies declared". A
//! UTF-8 BOM is accepted.
//!
//! [`Relation::Direct`]: crate::Relation::Direct

use cverun_versions::Ecosystem;
use toml::de::DeValue;

use super::python::{is_dev_group, pin_from_specifier};
use super::toml_doc::{self, Doc, get_str};
use crate::text::strip_bom;
use crate::{Input, Package, ParseError, Parsed, Pin, Relation, Scope, Source};

/// Pipfile tables that are not package categories.
const NON_PACKAGE_TABLES: [&str; 4] = ["source", "requires", "scripts", "pipenv"];

/// Parses a `Pipfile`.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    if toml_doc::is_blank(strip_bom(input.text)) {
        return Ok(Parsed::empty_file(input));
    }
    let doc = Doc::parse(input)?;
    let known = ["packages", "dev-packages"]
        .iter()
        .chain(NON_PACKAGE_TABLES.iter())
        .any(|k| doc.root.get(*k).is_some());
    if !known {
        return Err(input.error(
            Some(1),
            "not a Pipfile: none of [packages], [dev-packages], [[source]], [requires], [scripts], [pipenv]",
        ));
    }
    let mut parsed = Parsed::default();
    for (section, value) in doc.root.iter() {
        let section = section.get_ref().as_ref();
        if NON_PACKAGE_TABLES.contains(&section) {
            continue;
        }
        let line = doc.line_of(value);
        let Some(table) = value.get_ref().as_table() else {
            if matches!(section, "packages" | "dev-packages") {
                return Err(input.error(
                    Some(line),
                    format!(
                        "[{section}] must be a table, found {}",
                        toml_doc::type_name(value.get_ref())
                    ),
                ));
            }
            parsed.warnings.push(input.warning(
                Some(line),
                format!(
                    "unexpected top-level {section} ({}); ignored",
                    toml_doc::type_name(value.get_ref())
                ),
            ));
            continue;
        };
        let scope = match section {
            "packages" => Scope::Runtime,
            "dev-packages" => Scope::Development,
            other if is_dev_group(other) => Scope::Development,
            _ => Scope::Optional,
        };
        for (key, spec) in table.iter() {
            let line = doc.line_of(key);
            let mut p = package(input, key.get_ref(), spec.get_ref(), line, &mut parsed);
            p.scope = scope;
            p.relation = Relation::Direct;
            p.line = Some(line);
            parsed.packages.push(p);
        }
    }
    if parsed.packages.is_empty() && parsed.warnings.is_empty() {
        return Ok(Parsed::no_dependencies(input, None));
    }
    parsed.packages.sort_by_key(|p| p.line);
    Ok(parsed)
}

/// One package: `name = "specifier"` or `name = { ... }`.
fn package(
    input: &Input<'_>,
    name: &str,
    spec: &DeValue<'_>,
    line: u32,
    parsed: &mut Parsed,
) -> Package {
    let unpinned = || Pin::Unpinned {
        specifier: String::new(),
    };
    match spec {
        DeValue::String(s) => Package::new(Ecosystem::PyPI, name, pin_from_specifier(s)),
        DeValue::Table(t) => {
            let pin = get_str(t, "version").map_or_else(unpinned, pin_from_specifier);
            let mut p = Package::new(Ecosystem::PyPI, name, pin);
            p.source = if let Some(url) = get_str(t, "git") {
                Source::Git {
                    url: url.to_owned(),
                    rev: get_str(t, "ref").map(str::to_owned),
                }
            } else if let Some(path) = get_str(t, "path") {
                Source::Path(path.to_owned())
            } else if let Some(file) = get_str(t, "file") {
                if file.contains("://") && !file.starts_with("file:") {
                    Source::Url(file.to_owned())
                } else {
                    Source::Path(file.trim_start_matches("file://").to_owned())
                }
            } else {
                if get_str(t, "version").is_none() {
                    parsed.warnings.push(input.warning(
                        Some(line),
                        format!("{name} has no version, git, path or file; kept unpinned"),
                    ));
                }
                Source::Registry
            };
            p
        }
        other => {
            parsed.warnings.push(input.warning(
                Some(line),
                format!(
                    "{name} is {}, not a string or table; kept unpinned",
                    toml_doc::type_name(other)
                ),
            ));
            Package::new(Ecosystem::PyPI, name, unpinned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileKind;
    use crate::testutil::{get, never_panics, parse_str, summary};

    const KIND: FileKind = FileKind::Pipfile;

    fn ok(text: &str) -> Parsed {
        parse_str(KIND, "svc/Pipfile", text).expect("parses")
    }

    /// The Pipfile of Pipenv's documentation (Basic Usage), with the kinds of
    /// table values it describes added.
    const PIPFILE: &str = r#"[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[packages]
requests = "==2.19.1"
flask = "*"
"Django" = ">=4.2,<5"
records = { version = "==0.5.3", extras = ["pandas"] }
mylib = { git = "https://github.com/o/mylib.git", ref = "v1.0", editable = true }
local = { path = "./libs/local", editable = true }
wheel = { file = "https://example.com/wheel-1.0-py3-none-any.whl" }
wild = "==1.*"

[dev-packages]
pytest = "==7.4.0"

[docs]
sphinx = "==7.2.6"

[requires]
python_version = "3.11"
"#;

    #[test]
    fn packages_pins_sources_scopes_lines() {
        let p = ok(PIPFILE);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.packages.len(), 10, "{:?}", summary(&p));
        assert!(p.packages.iter().all(|p| p.relation == Relation::Direct));
        let requests = get(&p, "requests");
        assert_eq!(
            (requests.exact_version(), requests.line, requests.scope),
            (Some("2.19.1"), Some(7), Scope::Runtime)
        );
        assert_eq!(
            get(&p, "flask").pin,
            Pin::Unpinned {
                specifier: "*".into()
            }
        );
        assert_eq!(
            get(&p, "django").pin,
            Pin::Unpinned {
                specifier: ">=4.2,<5".into()
            }
        );
        assert_eq!(get(&p, "records").exact_version(), Some("0.5.3"));
        assert_eq!(
            get(&p, "mylib").source,
            Source::Git {
                url: "https://github.com/o/mylib.git".into(),
                rev: Some("v1.0".into())
            }
        );
        assert_eq!(get(&p, "local").source, Source::Path("./libs/local".into()));
        assert_eq!(
            get(&p, "wheel").source,
            Source::Url("https://example.com/wheel-1.0-py3-none-any.whl".into())
        );
        assert_eq!(
            get(&p, "wild").pin,
            Pin::Unpinned {
                specifier: "==1.*".into()
            }
        );
        assert_eq!(get(&p, "pytest").scope, Scope::Development);
        assert_eq!(get(&p, "sphinx").scope, Scope::Optional);
        assert_eq!(get(&p, "sphinx").line, Some(20));
    }

    #[test]
    fn odd_values_are_warnings() {
        let p = ok("[packages]\na = 1\nb = { extras = [\"x\"] }\nc = \"==2.0\"\n");
        assert_eq!(p.packages.len(), 3);
        let lines: Vec<Option<u32>> = p.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![Some(2), Some(3)], "{:?}", p.warnings);
        assert_eq!(get(&p, "c").exact_version(), Some("2.0"));
    }

    #[test]
    fn empty_and_dependency_free_files_are_reported() {
        assert_eq!(ok("\n").warnings[0].message, "empty file");
        let p = ok(
            "[[source]]\nurl = \"https://pypi.org/simple\"\n\n[packages]\n\n[requires]\npython_version = \"3.11\"\n",
        );
        assert!(p.packages.is_empty());
        assert!(p.warnings[0].message.contains("no dependencies declared"));
        let p = ok("\u{feff}[packages]\nsix = \"==1.16.0\"\n");
        assert_eq!(get(&p, "six").line, Some(2));
    }

    #[test]
    fn not_a_pipfile_is_an_error_with_file_and_line() {
        let cases: [(&str, &str, u32); 3] = [
            ("[packages\n", "not valid TOML", 1),
            ("[package]\nname = \"x\"\n", "not a Pipfile", 1),
            ("\n\npackages = [\"a\"]\n", "[packages] must be a table", 3),
        ];
        for (text, message, line) in cases {
            let e = parse_str(KIND, "svc/Pipfile", text).unwrap_err();
            assert!(e.message.contains(message), "{text:?}: {e}");
            assert_eq!(e.line, Some(line), "{text:?}: {e}");
            assert!(e.to_string().starts_with("svc/Pipfile:"), "{e}");
        }
    }

    #[test]
    fn never_panics_on_damaged_text() {
        never_panics(KIND, PIPFILE);
    }
}
