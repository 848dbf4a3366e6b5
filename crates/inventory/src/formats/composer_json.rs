//! `composer.json` (PHP, Packagist), read when no `composer.lock` sits beside it
//! (the scan then reads the lockfile, and the lockfile parser reads this file for
//! direct dependencies).
//!
//! Read: `require` ([`Scope::Runtime`]) and `require-dev` ([`Scope::Development`]),
//! objects of `name: constraint`, each package [`Relation::Direct`] at the line of
//! its key. Platform requirements (`php`, `php-64bit`, `hhvm`, `ext-*`, `lib-*`,
//! `composer`, `composer-plugin-api`, `composer-runtime-api`) are the PHP runtime,
//! its extensions and Composer itself, not packages, and are skipped.
//!
//! Pins: one exact version (`1.2.3`, `v1.2.3`, `=1.2.3`, `==1.2.3`, with an
//! optional pre-release such as `-beta2` and an optional stability flag `@dev`)
//! is [`Pin::Exact`] with the version as written (without `=`, `==` and the flag):
//! Composer installs exactly that. Everything else (`^`, `~`, ranges, `*`,
//! wildcards, `||`, `dev-main` branches, aliases `as`) is [`Pin::Unpinned`] with
//! the constraint. Versions shorter than `major.minor.patch` (`1.2`) are unpinned:
//! they are exact in Composer, but stay unpinned rather than guess how the
//! advisory ranges spell them.
//!
//! `repositories` are not read: when there are any besides Packagist (`vcs`,
//! `path`, `package`, `artifact`, other `composer` repositories), a warning says
//! that packages they provide are matched as Packagist ones.
//!
//! Errors and warnings: text that is not JSON, JSON that is not an object, or a
//! `require`/`require-dev` that is not an object is an error naming the line; a
//! constraint that is not a string is a warning (kept unpinned). White space only
//! is an "empty file"; a valid file without packages "no dependencies declared".
//! A UTF-8 BOM is accepted.
//!
//! [`Relation::Direct`]: crate::Relation::Direct

use cverun_versions::Ecosystem;
use serde_json::Value;

use super::composer_lock::{is_platform, json_error};
use crate::text::{JsonLines, escape, strip_bom};
use crate::{Input, Package, ParseError, Parsed, Pin, Relation, Scope};

/// Parses a `composer.json`.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    let text = strip_bom(input.text);
    if text.trim().is_empty() {
        return Ok(Parsed::empty_file(input));
    }
    let root: Value = serde_json::from_str(text).map_err(|e| json_error(input, &e))?;
    let Value::Object(root) = root else {
        return Err(input.error(Some(1), "not a composer.json: expected a JSON object"));
    };
    let lines = JsonLines::new(text, 2);
    let mut parsed = Parsed::default();
    for (key, scope) in [
        ("require", Scope::Runtime),
        ("require-dev", Scope::Development),
    ] {
        let map = match root.get(key) {
            None | Some(Value::Null) => continue,
            Some(Value::Object(map)) => map,
            // `"require": []` is how PHP's json_encode writes an empty object.
            Some(Value::Array(a)) if a.is_empty() => continue,
            Some(_) => {
                return Err(input.error(
                    lines.line(&format!("/{key}")),
                    format!("`{key}` must be an object of package constraints"),
                ));
            }
        };
        for (name, constraint) in map {
            if is_platform(&name.to_ascii_lowercase()) {
                continue;
            }
            let line = lines.line(&format!("/{key}/{}", escape(name)));
            let pin = match constraint.as_str() {
                Some(c) => pin(c),
                None => {
                    parsed.warnings.push(input.warning(
                        line,
                        format!("{key}.{name}: the constraint is not a string; kept unpinned"),
                    ));
                    Pin::Unpinned {
                        specifier: String::new(),
                    }
                }
            };
            let mut p = Package::new(Ecosystem::Packagist, name.trim(), pin);
            p.scope = scope;
            p.relation = Relation::Direct;
            p.line = line;
            parsed.packages.push(p);
        }
    }
    if let Some(line) = other_repositories(&root, &lines) {
        parsed.warnings.push(input.warning(
            line,
            "repositories other than Packagist are declared: packages they provide are matched as the Packagist packages of the same name",
        ));
    }
    if parsed.packages.is_empty() && parsed.warnings.is_empty() {
        return Ok(Parsed::no_dependencies(input, None));
    }
    parsed.packages.sort_by_key(|p| p.line);
    Ok(parsed)
}

/// `Some(line of repositories)` when it declares any repository but Packagist's
/// (`{"packagist.org": false}` entries only disable it).
fn other_repositories(
    root: &serde_json::Map<String, Value>,
    lines: &JsonLines,
) -> Option<Option<u32>> {
    let repos = root.get("repositories")?;
    let entries: Vec<&Value> = match repos {
        Value::Array(a) => a.iter().collect(),
        Value::Object(m) => m.values().collect(),
        _ => return None,
    };
    let real = entries.iter().any(|r| r.get("type").is_some());
    real.then(|| lines.line("/repositories"))
}

/// The pin of a Composer constraint (see the module documentation).
fn pin(constraint: &str) -> Pin {
    let c = constraint.trim();
    let version = c
        .strip_prefix("==")
        .or_else(|| c.strip_prefix('='))
        .unwrap_or(c)
        .trim();
    let version = match version.rsplit_once('@') {
        Some((v, flag))
            if ["dev", "alpha", "beta", "rc", "stable"]
                .iter()
                .any(|f| flag.eq_ignore_ascii_case(f)) =>
        {
            v
        }
        _ => version,
    };
    if is_exact_version(version) {
        Pin::Exact(version.to_owned())
    } else {
        Pin::Unpinned {
            specifier: c.to_owned(),
        }
    }
}

/// `1.2.3`, `v1.2.3`, `1.2.3.4`, `1.2.3-beta2`, `1.2.3-RC1`: at least three numeric
/// parts, then an optional alphanumeric pre-release.
fn is_exact_version(v: &str) -> bool {
    let v = v.strip_prefix('v').unwrap_or(v);
    let (core, pre) = match v.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (v, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    (3..=4).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && pre.is_none_or(|p| {
            !p.is_empty()
                && !p.eq_ignore_ascii_case("dev")
                && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileKind;
    use crate::testutil::{get, never_panics, parse_str, summary};

    const KIND: FileKind = FileKind::ComposerJson;

    fn ok(text: &str) -> Parsed {
        parse_str(KIND, "svc/composer.json", text).expect("parses")
    }

    const COMPOSER: &str = r#"{
    "name": "acme/shop",
    "require": {
        "php": ">=8.1",
        "ext-json": "*",
        "lib-curl": "*",
        "composer-plugin-api": "^2.0",
        "monolog/monolog": "2.9.1",
        "guzzlehttp/guzzle": "^7.5",
        "symfony/http-foundation": "v5.4.0",
        "twig/twig": "=3.4.3",
        "Acme/Exact-Beta": "1.0.0-beta2@beta",
        "laravel/framework": "10.*",
        "doctrine/orm": ">=2.14 <3.0",
        "acme/branch": "dev-main",
        "acme/short": "1.2",
        "acme/either": "1.0.0 || 2.0.0"
    },
    "require-dev": {
        "phpunit/phpunit": "10.5.2"
    }
}"#;

    #[test]
    fn require_and_require_dev() {
        let p = ok(COMPOSER);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.packages.len(), 11, "{:?}", summary(&p));
        assert!(p.packages.iter().all(|p| p.relation == Relation::Direct));
        assert!(
            p.packages
                .iter()
                .all(|p| p.ecosystem == Ecosystem::Packagist)
        );
        let monolog = get(&p, "monolog/monolog");
        assert_eq!(
            (monolog.exact_version(), monolog.line, monolog.scope),
            (Some("2.9.1"), Some(8), Scope::Runtime)
        );
        assert_eq!(
            get(&p, "symfony/http-foundation").exact_version(),
            Some("v5.4.0")
        );
        assert_eq!(get(&p, "twig/twig").exact_version(), Some("3.4.3"));
        assert_eq!(
            get(&p, "Acme/Exact-Beta").exact_version(),
            Some("1.0.0-beta2")
        );
        for (name, spec) in [
            ("guzzlehttp/guzzle", "^7.5"),
            ("laravel/framework", "10.*"),
            ("doctrine/orm", ">=2.14 <3.0"),
            ("acme/branch", "dev-main"),
            ("acme/short", "1.2"),
            ("acme/either", "1.0.0 || 2.0.0"),
        ] {
            assert_eq!(
                get(&p, name).pin,
                Pin::Unpinned {
                    specifier: spec.into()
                },
                "{name}"
            );
        }
        let phpunit = get(&p, "phpunit/phpunit");
        assert_eq!(
            (phpunit.exact_version(), phpunit.scope, phpunit.line),
            (Some("10.5.2"), Scope::Development, Some(20))
        );
    }

    #[test]
    fn repositories_and_odd_values_are_warnings() {
        let p = ok(
            "{\n\"repositories\": [{\"type\": \"vcs\", \"url\": \"https://github.com/o/r\"}],\n\"require\": {\"o/r\": 1}\n}",
        );
        assert_eq!(p.packages.len(), 1);
        let lines: Vec<Option<u32>> = p.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![Some(3), Some(2)], "{:?}", p.warnings);
        let p = ok(
            "{\"repositories\": [{\"packagist.org\": false}], \"require\": {\"a/b\": \"1.0.0\"}}",
        );
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn empty_and_dependency_free_files_are_reported() {
        assert_eq!(ok("  ").warnings[0].message, "empty file");
        for text in [
            "{}",
            "{\"name\": \"a/b\", \"require\": {\"php\": \"^8.1\", \"ext-mbstring\": \"*\"}}",
            "{\"require\": []}",
        ] {
            let p = ok(text);
            assert!(p.packages.is_empty(), "{text}");
            assert!(
                p.warnings[0].message.contains("no dependencies declared"),
                "{text}"
            );
        }
        let p = ok("\u{feff}{\n\"require\": {\"a/b\": \"1.0.0\"}\n}");
        assert_eq!(get(&p, "a/b").line, Some(2));
    }

    #[test]
    fn not_a_composer_json_is_an_error_with_file_and_line() {
        let cases: [(&str, &str, u32); 4] = [
            ("{\n\"require\": {\n\"a/b\": \"1\"\n", "not valid JSON", 4),
            ("[1, 2]", "expected a JSON object", 1),
            (
                "{\n\"name\": \"x\",\n\"require\": \"a/b\"\n}",
                "`require` must be an object",
                3,
            ),
            ("<<<<<<< HEAD\n{}\n", "merge conflict", 1),
        ];
        for (text, message, line) in cases {
            let e = parse_str(KIND, "svc/composer.json", text).unwrap_err();
            assert!(e.message.contains(message), "{text:?}: {e}");
            assert_eq!(e.line, Some(line), "{text:?}: {e}");
            assert!(e.to_string().starts_with("svc/composer.json:"), "{e}");
        }
    }

    /// The shared composer.lock fixtures are not composer.json files: read as one,
    /// each must give an error or a warning, never a panic or a silent pass.
    #[test]
    fn shared_composer_lock_fixtures_never_pass_silently() {
        let Some(fixtures) = crate::testutil::fixtures(cverun_testkit::test_name!()) else {
            return;
        };
        let dir = fixtures.join("php/composerlock");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            seen += 1;
            match parse_str(KIND, "composer.json", &text) {
                Ok(p) => assert!(
                    !p.warnings.is_empty() || !p.packages.is_empty(),
                    "{}",
                    path.display()
                ),
                Err(e) => assert!(e.line.is_some(), "{}: {e}", path.display()),
            }
        }
        assert_eq!(seen, 9);
    }

    #[test]
    fn never_panics_on_damaged_text() {
        never_panics(KIND, COMPOSER);
    }
}
