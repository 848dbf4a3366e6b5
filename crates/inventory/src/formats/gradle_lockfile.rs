//! Gradle dependency lockfiles (`gradle.lockfile`).
//!
//! Written by `gradle dependencies --write-locks` (Gradle 6 and later, one file per
//! project): one line per resolved module, `group:artifact:version=conf1,conf2`, where
//! the configurations are those whose resolution contains the module; `#` starts a
//! comment line; a final `empty=conf1,conf2` line names the locked configurations that
//! resolved to nothing. The older per-configuration files
//! (`gradle/dependency-locks/<conf>.lockfile`, Gradle 4.8 to 5) hold bare
//! `group:artifact:version` lines; those are read too, with an unknown scope.
//!
//! Packages: every module line is a Maven package `group:artifact` at exactly the
//! locked version (the lockfile records what resolution chose). The file records no
//! graph and does not say which modules the build script asks for, so the relation is
//! unknown. The scope is development when every configuration of the line is a test
//! one (its name contains `test`, in any case: `testCompileClasspath`,
//! `androidTestRuntimeClasspath`), runtime otherwise.
//!
//! A line that is neither a comment, a module line nor the `empty=` line (or whose
//! configuration list is not a list of names) is a warning naming the line. A file in
//! which no line is a module line or the `empty=` line, but some line is something
//! else, is an error: it is not a Gradle lockfile. A file of comments only is valid
//! and empty.

use crate::text::excerpt;
use cverun_versions::Ecosystem;

use crate::{Input, Package, ParseError, Parsed, Pin, Scope};

/// Parses a `gradle.lockfile`.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    let mut parsed = Parsed::default();
    if input.text.trim().is_empty() {
        parsed.warnings.push(input.warning(None, "empty file"));
        return Ok(parsed);
    }
    let mut recognised = false;
    let mut first_bad: Option<(u32, String)> = None;
    for (i, raw) in input.text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = raw.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("empty=") {
            if configurations(rest).is_some() {
                recognised = true;
                continue;
            }
        } else {
            let (coords, confs) = match line.split_once('=') {
                Some((c, confs)) => (c, Some(confs)),
                None => (line, None),
            };
            let confs = match confs {
                Some(c) => configurations(c),
                None => Some(Vec::new()),
            };
            if let (Some((group, artifact, version)), Some(confs)) = (coordinates(coords), confs) {
                recognised = true;
                let mut p = Package::new(
                    Ecosystem::Maven,
                    &format!("{group}:{artifact}"),
                    Pin::Exact(version.to_owned()),
                );
                p.scope = if confs.is_empty() {
                    Scope::Unknown
                } else if confs
                    .iter()
                    .all(|c| c.to_ascii_lowercase().contains("test"))
                {
                    Scope::Development
                } else {
                    Scope::Runtime
                };
                p.line = Some(n);
                parsed.packages.push(p);
                continue;
            }
        }
        if first_bad.is_none() {
            first_bad = Some((n, line.to_owned()));
        }
        parsed.warnings.push(input.warning(
            Some(n),
            format!(
                "cannot read line {} (expected `group:artifact:version=configurations`); ignored",
                excerpt(line)
            ),
        ));
    }
    if !recognised {
        if let Some((n, line)) = first_bad {
            return Err(input.error(
                Some(n),
                format!("not a Gradle lockfile: no `group:artifact:version=configurations` line (first line {})", excerpt(&line)),
            ));
        }
    }
    Ok(parsed)
}

/// `group:artifact:version` with three non-empty parts and no white space.
fn coordinates(s: &str) -> Option<(&str, &str, &str)> {
    let mut parts = s.split(':');
    let (g, a, v) = (parts.next()?, parts.next()?, parts.next()?);
    let ok = |p: &str| !p.is_empty() && !p.contains(char::is_whitespace);
    (parts.next().is_none() && ok(g) && ok(a) && ok(v)).then_some((g, a, v))
}

/// A comma-separated list of configuration names (possibly empty).
fn configurations(s: &str) -> Option<Vec<&str>> {
    let s = s.trim();
    if s.is_empty() {
        return Some(Vec::new());
    }
    let names: Vec<&str> = s.split(',').map(str::trim).collect();
    let valid = names.iter().all(|n| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '$'))
    });
    valid.then_some(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DiskFiles, Relation};
    use std::path::Path;

    /// The gradle.lockfile fixtures of `../shared`, or `None` (the test named `test`
    /// reported as skipped) when it is absent.
    fn fixture_dir(test: &str) -> Option<String> {
        crate::testutil::fixtures(test).map(|d| d.join("java/gradlelockfile").display().to_string())
    }

    fn run(text: &str) -> Result<Parsed, ParseError> {
        parse(&Input {
            path: Path::new("gradle.lockfile"),
            text,
            files: &DiskFiles,
        })
    }

    fn find<'a>(p: &'a Parsed, name: &str) -> &'a Package {
        p.packages
            .iter()
            .find(|x| x.name == name)
            .unwrap_or_else(|| panic!("{name} not found"))
    }

    #[test]
    fn lines_scopes_and_relation() {
        let text = "# header\n\
                    com.google.guava:guava:32.1.2-jre=compileClasspath,runtimeClasspath\n\
                    junit:junit:4.13.2=testCompileClasspath,testRuntimeClasspath\n\
                    org.mockito:mockito-core:5.0.0=androidTestRuntimeClasspath\n\
                    org.projectlombok:lombok:1.18.30=annotationProcessor,testAnnotationProcessor\n\
                    empty=apiDependenciesMetadata,testFixtures\n";
        let p = run(text).unwrap();
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.packages.len(), 4);
        let guava = find(&p, "com.google.guava:guava");
        assert_eq!(guava.pin, Pin::Exact("32.1.2-jre".into()));
        assert_eq!(guava.ecosystem, Ecosystem::Maven);
        assert_eq!(guava.relation, Relation::Unknown);
        assert_eq!(guava.scope, Scope::Runtime);
        assert_eq!(guava.line, Some(2));
        assert_eq!(find(&p, "junit:junit").scope, Scope::Development);
        assert_eq!(
            find(&p, "org.mockito:mockito-core").scope,
            Scope::Development
        );
        assert_eq!(
            find(&p, "org.projectlombok:lombok").scope,
            Scope::Runtime,
            "not every configuration is a test one"
        );
    }

    #[test]
    fn legacy_per_configuration_lines() {
        let p = run("\u{feff}# legacy\ncom.squareup.okio:okio:1.17.2\n").unwrap();
        assert!(p.warnings.is_empty(), "a byte order mark is not a bad line");
        assert_eq!(p.packages.len(), 1);
        assert_eq!(p.packages[0].scope, Scope::Unknown);
        assert_eq!(p.packages[0].pin, Pin::Exact("1.17.2".into()));
    }

    #[test]
    fn bad_lines_are_warnings_and_unknown_files_errors() {
        let p = run(
            "a:b:1.0=compileClasspath\nnot a line\ng:a=compileClasspath\ng:a:1:2=x\ng:a:1=x y\n",
        )
        .unwrap();
        assert_eq!(p.packages.len(), 1);
        let lines: Vec<_> = p.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![Some(2), Some(3), Some(4), Some(5)]);

        let e = run("# comment\n<html>\n<body>\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("not a Gradle lockfile"), "{e}");

        let empty = run(" \n\n").unwrap();
        assert!(empty.packages.is_empty());
        assert_eq!(empty.warnings.len(), 1);
        assert!(empty.warnings[0].message.contains("empty file"));
    }

    /// One row per fixture, expectations read from the fixture files.
    #[test]
    fn fixtures() {
        let Some(dir) = fixture_dir(cverun_testkit::test_name!()) else {
            return;
        };
        struct Row {
            file: &'static str,
            count: usize,
            warnings: &'static [u32],
            pins: &'static [(&'static str, &'static str)],
        }
        let rows = [
            Row {
                file: "5-pkg",
                count: 5,
                warnings: &[],
                pins: &[
                    (
                        "org.springframework.boot:spring-boot-autoconfigure",
                        "2.7.4",
                    ),
                    ("org.springframework.boot:spring-boot-devtools", "2.7.6"),
                    (
                        "org.springframework.boot:spring-boot-starter-data-jpa",
                        "2.7.8",
                    ),
                ],
            },
            Row {
                file: "one-pkg",
                count: 1,
                warnings: &[],
                pins: &[(
                    "org.springframework.security:spring-security-crypto",
                    "5.7.3",
                )],
            },
            Row {
                file: "only-comments",
                count: 0,
                warnings: &[],
                pins: &[],
            },
            Row {
                file: "only-empty",
                count: 0,
                warnings: &[],
                pins: &[],
            },
            // `>>>`, `////`, `empty=======`, `a`, `b` are not lockfile lines.
            Row {
                file: "with-bad-pkg",
                count: 2,
                warnings: &[3, 4, 5, 9, 10],
                pins: &[
                    (
                        "org.springframework.boot:spring-boot-autoconfigure",
                        "2.7.4",
                    ),
                    (
                        "org.springframework.boot:spring-boot-configuration-processor",
                        "2.7.5",
                    ),
                ],
            },
        ];
        let mut seen = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect::<Vec<_>>();
        seen.sort();
        let mut listed: Vec<_> = rows.iter().map(|r| r.file.to_owned()).collect();
        listed.sort();
        assert_eq!(seen, listed, "every fixture has a row");
        for row in rows {
            let text = std::fs::read_to_string(format!("{dir}/{}", row.file)).unwrap();
            let p = run(&text).unwrap_or_else(|e| panic!("{}: {e}", row.file));
            assert_eq!(p.packages.len(), row.count, "{}", row.file);
            let lines: Vec<u32> = p.warnings.iter().filter_map(|w| w.line).collect();
            assert_eq!(lines, row.warnings, "{}", row.file);
            for (name, version) in row.pins {
                assert_eq!(
                    find(&p, name).exact_version(),
                    Some(*version),
                    "{}: {name}",
                    row.file
                );
            }
        }
    }

    /// The text of every fixture; none when `../shared` is absent.
    fn fixture_texts(test: &str) -> Vec<String> {
        let Some(dir) = fixture_dir(test) else {
            return Vec::new();
        };
        let mut out: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
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
            which in 0usize..5,
            flips in proptest::collection::vec((0usize..10_000, proptest::num::u8::ANY), 1..10),
        ) {
            let texts = fixture_texts(cverun_testkit::test_name!());
            if texts.is_empty() {
                return Ok(());
            }
            let mut bytes = texts[which % texts.len()].clone().into_bytes();
            if !bytes.is_empty() {
                for (at, b) in flips {
                    let i = at % bytes.len();
                    bytes[i] = b;
                }
            }
            let _ = run(&String::from_utf8_lossy(&bytes));
        }
    }
}
