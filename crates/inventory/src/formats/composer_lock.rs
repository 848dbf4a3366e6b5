//! Composer lockfiles (`composer.lock`, PHP / Packagist).
//!
//! A JSON object whose `packages` (needed at run time) and `packages-dev` (installed
//! only with dev dependencies) arrays hold the locked packages: `{ name, version,
//! source: {type, url, reference}, dist: {type, url, reference}, require: {name:
//! constraint}, replace, provide, ... }`. Every Composer 1.x and 2.x lockfile has
//! this shape.
//!
//! For cverun:
//! - pin: the version exactly as written ([`Pin::Exact`]): `v5.4.0`, `1.2.3`, and
//!   also branch versions such as `dev-main` or `2.x-dev` (the matcher reports those
//!   as unverifiable; turning them into ranges would invent something the file does
//!   not say);
//! - scope: `packages` is runtime, `packages-dev` development;
//! - source: a `path` repository (`source.type` or `dist.type` `"path"`) is
//!   [`Source::Path`]; the rest is the registry (packages from Packagist also carry
//!   a `git` source: their GitHub repository);
//! - graph: each package's `require` gives its edges; platform requirements (`php`,
//!   `php-64bit`, `hhvm`, `ext-*`, `lib-*`, `composer`, `composer-plugin-api`,
//!   `composer-runtime-api`) are not packages and are skipped; a requirement on a
//!   name another package `replace`s or `provide`s goes to that package; names
//!   compare case-insensitively, as in Composer (packages keep theirs as written);
//! - relation: the lockfile does not name the direct dependencies; when the
//!   `composer.json` beside it can be read, its `require` and `require-dev` are the
//!   direct ones and the graph makes the rest transitive (with paths). Without it
//!   every relation is unknown.
//!
//! Problems: an entry without a name is a warning (with its line); one without a
//! version is kept unpinned, with a warning. Text that is not JSON, JSON that is not
//! an object, or an object without a `packages` array is an error naming the line.

use std::collections::HashMap;

use cverun_versions::{Ecosystem, normalize_name};
use serde_json::{Map, Value};

use crate::graph::Graph;
use crate::text::JsonLines;
use crate::{Input, Package, ParseError, Parsed, Pin, Scope, Source, Warning};

/// Parses a `composer.lock`.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    let mut parsed = Parsed::default();
    if input.text.trim().is_empty() {
        parsed.warnings.push(input.warning(None, "empty file"));
        return Ok(parsed);
    }
    let root: Value = serde_json::from_str(input.text).map_err(|e| json_error(input, &e))?;
    let Value::Object(root) = root else {
        return Err(input.error(Some(1), "not a composer.lock: expected a JSON object"));
    };
    let lines = JsonLines::new(input.text, 2);
    let mut packages: Vec<Package> = Vec::new();
    let mut requires: Vec<Vec<String>> = Vec::new();
    let mut aliases: Vec<(String, usize)> = Vec::new();
    let mut found = false;
    for (key, scope) in [
        ("packages", Scope::Runtime),
        ("packages-dev", Scope::Development),
    ] {
        let list = match root.get(key) {
            None | Some(Value::Null) => continue,
            Some(Value::Array(list)) => list,
            Some(_) => {
                let line = lines.line(&format!("/{key}"));
                return Err(input.error(line, format!("`{key}` is not an array")));
            }
        };
        found = true;
        for (i, entry) in list.iter().enumerate() {
            let pointer = format!("/{key}/{i}");
            let line = lines.line(&pointer);
            let Some(entry) = entry.as_object() else {
                parsed
                    .warnings
                    .push(input.warning(line, format!("{pointer}: not an object: skipped")));
                continue;
            };
            let Some(name) = entry
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| !n.trim().is_empty())
            else {
                parsed.warnings.push(
                    input.warning(line, format!("{pointer}: package without a name: skipped")),
                );
                continue;
            };
            let pin = match entry.get("version").and_then(Value::as_str).map(str::trim) {
                Some(v) if !v.is_empty() => Pin::Exact(v.to_owned()),
                _ => {
                    parsed
                        .warnings
                        .push(input.warning(line, format!("{name}: no version: kept unpinned")));
                    Pin::Unpinned {
                        specifier: String::new(),
                    }
                }
            };
            let mut package = Package::new(Ecosystem::Packagist, name.trim(), pin);
            package.scope = scope;
            package.line = line;
            package.source = source(entry);
            let index = packages.len();
            for alias_key in ["replace", "provide"] {
                if let Some(Value::Object(names)) = entry.get(alias_key) {
                    aliases.extend(names.keys().map(|n| (normalize(n), index)));
                }
            }
            requires.push(requirement_names(entry.get("require")));
            packages.push(package);
        }
    }
    if !found {
        return Err(input.error(Some(1), "not a composer.lock: no `packages` array"));
    }

    // Names compare case-insensitively (Composer lowercases them); packages keep
    // theirs as written.
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, p) in packages.iter().enumerate() {
        by_name.entry(normalize(&p.name)).or_default().push(i);
    }
    for (alias, index) in aliases {
        by_name.entry(alias).or_insert_with(|| vec![index]);
    }
    let mut graph = Graph::new(packages.len());
    for (from, names) in requires.iter().enumerate() {
        for name in names {
            for &to in by_name.get(name).map(Vec::as_slice).unwrap_or_default() {
                graph.add_edge(from, to);
            }
        }
    }
    if let Some(names) = manifest_requirements(input, &mut parsed.warnings) {
        let mut direct = Vec::new();
        for name in names {
            for &i in by_name.get(&name).map(Vec::as_slice).unwrap_or_default() {
                if !direct.contains(&i) {
                    direct.push(i);
                }
            }
        }
        graph.annotate(&direct, &mut packages);
    }
    parsed.packages = packages;
    Ok(parsed)
}

/// A serde_json error as a parse error at its line (with a clearer message for
/// merge-conflict markers).
pub(crate) fn json_error(input: &Input<'_>, e: &serde_json::Error) -> ParseError {
    let conflict = input
        .text
        .lines()
        .position(|l| ["<<<<<<<", ">>>>>>>"].iter().any(|m| l.starts_with(m)));
    if let Some(i) = conflict {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        return input.error(
            Some(line),
            "merge conflict marker: resolve the conflict first",
        );
    }
    let line = u32::try_from(e.line()).ok().filter(|&l| l > 0);
    input.error(line, format!("not valid JSON: {e}"))
}

/// A Packagist name folded for comparison (lowercase).
fn normalize(name: &str) -> String {
    normalize_name(&Ecosystem::Packagist, name.trim()).into_owned()
}

/// Platform requirements: PHP itself, its extensions and libraries, Composer.
pub(crate) fn is_platform(name: &str) -> bool {
    matches!(
        name,
        "php"
            | "php-64bit"
            | "php-ipv6"
            | "php-zts"
            | "php-debug"
            | "hhvm"
            | "composer"
            | "composer-plugin-api"
            | "composer-runtime-api"
    ) || name.starts_with("ext-")
        || name.starts_with("lib-")
}

/// The (normalised) package names of a `require` object, without platform ones.
fn requirement_names(require: Option<&Value>) -> Vec<String> {
    let Some(Value::Object(map)) = require else {
        return Vec::new();
    };
    map.keys()
        .map(|k| normalize(k))
        .filter(|k| !is_platform(k))
        .collect()
}

/// Where a locked package comes from.
fn source(entry: &Map<String, Value>) -> Source {
    for key in ["source", "dist"] {
        let Some(Value::Object(s)) = entry.get(key) else {
            continue;
        };
        if s.get("type").and_then(Value::as_str) == Some("path") {
            let url = s.get("url").and_then(Value::as_str).unwrap_or_default();
            return Source::Path(url.to_owned());
        }
    }
    Source::Registry
}

/// The `require` and `require-dev` names of the `composer.json` beside the lockfile;
/// `None` when there is none or it cannot be read (then a warning).
fn manifest_requirements(input: &Input<'_>, warnings: &mut Vec<Warning>) -> Option<Vec<String>> {
    let (path, text) = input.sibling("composer.json", "direct dependencies unknown", warnings)?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(manifest)) => {
            let mut names = requirement_names(manifest.get("require"));
            names.extend(requirement_names(manifest.get("require-dev")));
            Some(names)
        }
        Ok(_) | Err(_) => {
            warnings.push(input.warning(
                None,
                format!(
                    "{} is not a JSON object: direct dependencies unknown",
                    path.display()
                ),
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::MemFiles;
    use crate::{DiskFiles, Files, Relation};
    use std::path::{Path, PathBuf};

    fn parse_with(text: &str, files: &dyn Files) -> Result<Parsed, ParseError> {
        parse(&Input {
            path: Path::new("app/composer.lock"),
            text,
            files,
        })
    }

    fn parse_str(text: &str) -> Result<Parsed, ParseError> {
        parse_with(text, &MemFiles::default())
    }

    fn find<'a>(parsed: &'a Parsed, name: &str) -> &'a Package {
        parsed
            .packages
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no package {name}"))
    }

    const LOCK: &str = r#"{
    "packages": [
        {
            "name": "Symfony/Console",
            "version": "v5.4.0",
            "source": {"type": "git", "url": "https://github.com/symfony/console.git", "reference": "abc"},
            "require": {"php": ">=7.2.5", "ext-mbstring": "*", "symfony/polyfill-mbstring": "~1.0", "psr/log-implementation": "1.0"}
        },
        {
            "name": "symfony/polyfill-mbstring",
            "version": "1.28.0"
        },
        {
            "name": "acme/local",
            "version": "dev-main",
            "dist": {"type": "path", "url": "../packages/local", "reference": "123"},
            "require": {"monolog/monolog": "^2.0"}
        },
        {
            "name": "monolog/monolog",
            "version": "2.x-dev",
            "provide": {"psr/log-implementation": "1.0.0"}
        },
        {
            "version": "1.0.0"
        },
        {
            "name": "acme/no-version"
        }
    ],
    "packages-dev": [
        {
            "name": "phpunit/phpunit",
            "version": "9.6.13",
            "require": {"symfony/polyfill-mbstring": "^1.0"}
        }
    ]
}"#;

    #[test]
    fn packages_scopes_sources_lines() {
        let parsed = parse_str(LOCK).expect("parses");
        assert_eq!(parsed.packages.len(), 6);
        let console = find(&parsed, "Symfony/Console");
        assert_eq!(console.pin, Pin::Exact("v5.4.0".into()));
        assert_eq!(console.scope, Scope::Runtime);
        assert_eq!(console.source, Source::Registry);
        assert_eq!(console.line, Some(3));
        assert_eq!(
            console.relation,
            Relation::Unknown,
            "no composer.json beside"
        );
        let local = find(&parsed, "acme/local");
        assert_eq!(local.pin, Pin::Exact("dev-main".into()));
        assert_eq!(local.source, Source::Path("../packages/local".into()));
        assert_eq!(
            find(&parsed, "monolog/monolog").pin,
            Pin::Exact("2.x-dev".into())
        );
        let phpunit = find(&parsed, "phpunit/phpunit");
        assert_eq!(phpunit.scope, Scope::Development);
        assert_eq!(phpunit.line, Some(32));
        assert_eq!(
            find(&parsed, "acme/no-version").pin,
            Pin::Unpinned {
                specifier: String::new()
            }
        );
        let lines: Vec<Option<u32>> = parsed.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [Some(24), Some(27)], "{:?}", parsed.warnings);
        assert!(parsed.warnings[0].message.contains("without a name"));
    }

    #[test]
    fn composer_json_gives_direct_and_graph_gives_paths() {
        let manifest = r#"{"require": {"php": "^8.1", "symfony/console": "^5.4", "acme/local": "*"},
                          "require-dev": {"phpunit/phpunit": "^9"}}"#;
        let files = MemFiles::with(&[("app/composer.json", manifest)]);
        let parsed = parse_with(LOCK, &files).expect("parses");
        for direct in ["Symfony/Console", "acme/local", "phpunit/phpunit"] {
            assert_eq!(find(&parsed, direct).relation, Relation::Direct, "{direct}");
        }
        let poly = find(&parsed, "symfony/polyfill-mbstring");
        assert_eq!(poly.relation, Relation::Transitive);
        assert_eq!(
            poly.paths,
            vec![
                vec!["Symfony/Console@v5.4.0", "symfony/polyfill-mbstring@1.28.0"],
                vec!["phpunit/phpunit@9.6.13", "symfony/polyfill-mbstring@1.28.0"],
            ]
        );
        let monolog = find(&parsed, "monolog/monolog");
        assert_eq!(monolog.relation, Relation::Transitive);
        assert_eq!(
            monolog.paths.len(),
            2,
            "via acme/local and via the provided psr/log-implementation"
        );
        assert_eq!(find(&parsed, "acme/no-version").relation, Relation::Unknown);
    }

    #[test]
    fn broken_composer_json_is_a_warning() {
        let files = MemFiles::with(&[("app/composer.json", "[1, 2]")]);
        let parsed = parse_with(LOCK, &files).expect("parses");
        assert!(
            parsed
                .warnings
                .iter()
                .any(|w| w.message.contains("direct dependencies unknown"))
        );
        assert!(
            parsed
                .packages
                .iter()
                .all(|p| p.relation == Relation::Unknown)
        );
    }

    #[test]
    fn errors() {
        let err = parse_str("{\n  \"packages\": [\n    {\"name\": \"a\",,}\n  ]\n}")
            .expect_err("bad json");
        assert_eq!(err.line, Some(3));
        let err = parse_str("[1]").expect_err("array");
        assert!(err.message.contains("expected a JSON object"));
        let err = parse_str("{\"name\": \"acme/app\"}").expect_err("a composer.json");
        assert!(err.message.contains("no `packages` array"));
        let err = parse_str("{\n  \"packages\": {}\n}").expect_err("object");
        assert_eq!(err.line, Some(2));
        let conflict =
            "{\n<<<<<<< HEAD\n  \"packages\": []\n=======\n  \"packages\": [1]\n>>>>>>> x\n}";
        let err = parse_str(conflict).expect_err("conflict");
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("merge conflict"));
        let deep = format!(
            "{{\"packages\": {}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(parse_str(&deep).is_err(), "serde_json's recursion limit");
        let empty = parse_str("  \n").expect("empty");
        assert_eq!(empty.warnings[0].message, "empty file");
    }

    /// The composer.lock fixtures of `../shared`, or `None` (the test named `test`
    /// reported as skipped) when it is absent.
    fn fixture_dir(test: &str) -> Option<PathBuf> {
        crate::testutil::fixtures(test).map(|d| d.join("php/composerlock"))
    }

    /// Expected outcome per fixture, read off the files.
    enum Expect {
        Ok {
            count: usize,
            pins: &'static [(&'static str, &'static str, Scope)],
        },
        Err {
            message: &'static str,
            line: Option<u32>,
        },
    }

    const FIXTURES: &[(&str, Expect)] = &[
        (
            "drupal-packages.json",
            Expect::Ok {
                count: 4,
                pins: &[
                    ("drupal/core", "10.4.5", Scope::Runtime),
                    ("drupal/tfa", "2.0.0-alpha4", Scope::Runtime),
                    ("theseer/tokenizer", "1.1.3", Scope::Runtime),
                    ("drupal/field_time", "1.0.0-beta5", Scope::Development),
                ],
            },
        ),
        (
            "duplicate-packages.json",
            Expect::Ok {
                count: 3,
                pins: &[("sentry/sdk", "2.0.4", Scope::Runtime)],
            },
        ),
        (
            "empty.json",
            Expect::Ok {
                count: 0,
                pins: &[],
            },
        ),
        (
            "not-json.txt",
            Expect::Err {
                message: "not valid JSON",
                line: Some(1),
            },
        ),
        (
            "null.jsontest",
            Expect::Err {
                message: "expected a JSON object",
                line: Some(1),
            },
        ),
        (
            "one-package-dev.json",
            Expect::Ok {
                count: 1,
                pins: &[("sentry/sdk", "2.0.4", Scope::Development)],
            },
        ),
        (
            "one-package.json",
            Expect::Ok {
                count: 1,
                pins: &[("sentry/sdk", "2.0.4", Scope::Runtime)],
            },
        ),
        (
            "two-packages-alt.json",
            Expect::Ok {
                count: 2,
                pins: &[
                    ("sentry/sdk", "2.0.4", Scope::Runtime),
                    ("theseer/tokenizer", "1.1.3", Scope::Runtime),
                ],
            },
        ),
        (
            "two-packages.json",
            Expect::Ok {
                count: 2,
                pins: &[
                    ("sentry/sdk", "2.0.4", Scope::Runtime),
                    ("theseer/tokenizer", "1.1.3", Scope::Development),
                ],
            },
        ),
    ];

    #[test]
    fn fixtures() {
        let Some(dir) = fixture_dir(cverun_testkit::test_name!()) else {
            return;
        };
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .expect("fixture directory")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = FIXTURES.iter().map(|(n, _)| (*n).to_owned()).collect();
        listed.sort();
        assert_eq!(on_disk, listed, "every fixture has a row");
        for (name, expect) in FIXTURES {
            let path = dir.join(name);
            let result = crate::parse_file(crate::FileKind::ComposerLock, &path, &DiskFiles);
            match expect {
                Expect::Ok { count, pins } => {
                    let parsed = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                    assert_eq!(parsed.packages.len(), *count, "{name}");
                    // A lockfile without packages says so; others parse cleanly.
                    let warnings: Vec<&str> =
                        parsed.warnings.iter().map(|w| w.message.as_str()).collect();
                    let expected: &[&str] = if *count == 0 {
                        &["empty: no packages found"]
                    } else {
                        &[]
                    };
                    assert_eq!(warnings, expected, "{name}");
                    for (n, v, scope) in *pins {
                        let p = find(&parsed, n);
                        assert_eq!(p.exact_version(), Some(*v), "{name}: {n}");
                        assert_eq!(p.scope, *scope, "{name}: {n}");
                    }
                }
                Expect::Err { message, line } => {
                    let err = result.expect_err(name);
                    assert!(err.message.contains(message), "{name}: {err}");
                    assert_eq!(err.line, *line, "{name}");
                    assert_eq!(err.path, path, "{name}");
                }
            }
        }
    }

    #[test]
    fn fixture_details() {
        let Some(dir) = fixture_dir(cverun_testkit::test_name!()) else {
            return;
        };
        let read = |name: &str| {
            crate::parse_file(crate::FileKind::ComposerLock, &dir.join(name), &DiskFiles)
        };
        let dup = read("duplicate-packages.json").expect("duplicates");
        let versions: Vec<Option<&str>> = dup.packages.iter().map(Package::exact_version).collect();
        assert_eq!(
            versions,
            [Some("2.0.4"), Some("2.0.5"), Some("3.0.0-dev")],
            "none dropped"
        );
        assert_eq!(dup.packages[2].scope, Scope::Development);
        let drupal = read("drupal-packages.json").expect("drupal");
        assert_eq!(find(&drupal, "drupal/core").line, Some(9));
        assert_eq!(find(&drupal, "drupal/tfa").line, Some(173));
        assert_eq!(find(&drupal, "drupal/field_time").line, Some(298));
    }

    /// The text of every fixture; none when `../shared` is absent.
    fn fixture_texts(test: &str) -> Vec<String> {
        let Some(dir) = fixture_dir(test) else {
            return Vec::new();
        };
        FIXTURES
            .iter()
            .map(|(n, _)| std::fs::read_to_string(dir.join(n)).expect("fixture"))
            .collect()
    }

    #[test]
    fn truncations_never_panic() {
        for text in fixture_texts(cverun_testkit::test_name!()) {
            let bytes = text.as_bytes();
            for k in 0..=10 {
                let cut = bytes.len() * k / 10;
                let _ = parse_str(&String::from_utf8_lossy(&bytes[..cut]));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn byte_flips_never_panic(
            which in 0usize..9,
            flips in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), proptest::prelude::any::<u8>()), 1..8),
        ) {
            let texts = fixture_texts(cverun_testkit::test_name!());
            if texts.is_empty() {
                return Ok(());
            }
            let mut bytes = texts[which % texts.len()].clone().into_bytes();
            if !bytes.is_empty() {
                for (at, b) in flips {
                    let i = at.index(bytes.len());
                    bytes[i] = b;
                }
            }
            let _ = parse_str(&String::from_utf8_lossy(&bytes));
        }
    }
}
