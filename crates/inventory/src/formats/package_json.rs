//! `package.json`: the npm manifest, read when no lockfile sits beside it.
//!
//! A manifest says what the project asks for, not what is installed, so most of
//! its packages are unpinned. Read fields:
//! - `dependencies` ([`Scope::Runtime`]), `devDependencies` ([`Scope::Development`]),
//!   `optionalDependencies` ([`Scope::Optional`]) and `peerDependencies`
//!   ([`Scope::Runtime`]: npm 7+ installs peers, and the package needs them at
//!   run time). Every package is [`Relation::Direct`]; a manifest has no graph, so
//!   no paths. A name declared in several groups is reported once per group (each
//!   declaration has its own line).
//! - Specifiers: one exact version (`1.2.3`, `=1.2.3`, `v1.2.3`) is
//!   [`Pin::Exact`] (npm installs exactly that); ranges (`^`, `~`, `>=`, `x`, `*`,
//!   `||`, hyphen ranges), dist-tags (`latest`) and empty strings are
//!   [`Pin::Unpinned`] with the specifier as written; `git+…`, `git://…`,
//!   `github:user/repo`, `user/repo` and repository URLs are [`Source::Git`];
//!   `file:`, `link:`, `workspace:` and paths are [`Source::Path`]; other
//!   `http(s)` URLs (tarballs) are [`Source::Url`] (all three unpinned, with the
//!   specifier). `npm:other@1.2.3` aliases become the real package `other` with the
//!   pin of `1.2.3`.
//! - Not read: `bundleDependencies` (a list of names already declared above),
//!   `overrides`/`resolutions` (they change versions inside the tree, which only a
//!   lockfile records), `workspaces` (each member has its own package.json).
//!
//! Errors and warnings: text that is not JSON, or JSON that is not an object, is an
//! error (with the line serde_json reports); a dependency group that is not an
//! object, or a dependency whose specifier is not a string, is a warning with its
//! line. Whitespace only: no packages and an "empty file" warning.
//!
//! The lockfile parsers (package-lock.json v1, yarn.lock) read the package.json
//! beside them (through `sibling`) to learn which packages are direct and which
//! are for development.
//!
//! [`Relation::Direct`]: crate::Relation::Direct
//! [`Source::Git`]: crate::Source::Git
//! [`Source::Path`]: crate::Source::Path
//! [`Source::Url`]: crate::Source::Url

use serde_json::Value;

use super::js_common::{Spec, classify_spec, package, split_name_spec};
use crate::text::{JsonLines, escape};
use crate::{Input, ParseError, Parsed, Pin, Relation, Scope};

/// The dependency groups of a manifest, with the scope of each.
pub(crate) const GROUPS: [(&str, Scope); 4] = [
    ("dependencies", Scope::Runtime),
    ("devDependencies", Scope::Development),
    ("optionalDependencies", Scope::Optional),
    ("peerDependencies", Scope::Runtime),
];

/// One dependency a manifest declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Declared {
    /// The name it is installed under (the alias, for `npm:` aliases).
    pub name: String,
    /// The specifier as written.
    pub spec: String,
    /// From the group it is declared in.
    pub scope: Scope,
    /// Line of the declaration.
    pub line: Option<u32>,
}

/// The dependencies declared by a parsed manifest, in group order, and the
/// problems met (line, message).
pub(crate) fn declared(
    value: &Value,
    lines: &JsonLines,
) -> (Vec<Declared>, Vec<(Option<u32>, String)>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (group, scope) in GROUPS {
        let Some(deps) = value.get(group) else {
            continue;
        };
        let group_line = lines.line(&format!("/{group}"));
        let Some(map) = deps.as_object() else {
            if !deps.is_null() {
                problems.push((group_line, format!("`{group}` is not an object; skipped")));
            }
            continue;
        };
        for (name, spec) in map {
            let line = lines
                .line(&format!("/{group}/{}", escape(name)))
                .or(group_line);
            match spec.as_str() {
                Some(s) => out.push(Declared {
                    name: name.clone(),
                    spec: s.to_owned(),
                    scope,
                    line,
                }),
                None => problems.push((
                    line,
                    format!("`{group}.{name}`: the specifier is not a string; skipped"),
                )),
            }
        }
    }
    out.sort_by_key(|d| d.line.unwrap_or(u32::MAX));
    (out, problems)
}

/// The dependencies declared by the `package.json` beside `input`: `Ok(None)` when
/// there is none, `Err` with a message when it cannot be read as a manifest.
pub(crate) fn sibling(input: &Input<'_>) -> Result<Option<Vec<Declared>>, String> {
    let path = input.path.parent().map_or_else(
        || std::path::PathBuf::from("package.json"),
        |d| d.join("package.json"),
    );
    let text = match input.files.read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "cannot read the package.json beside it: {}",
                crate::io_message(&e)
            ));
        }
    };
    let text = crate::text::strip_bom(&text);
    let value: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "the package.json beside it is not valid JSON (line {}): {e}",
            e.line()
        )
    })?;
    if !value.is_object() {
        return Err("the package.json beside it is not a JSON object".to_owned());
    }
    let lines = JsonLines::new(text, 2);
    Ok(Some(declared(&value, &lines).0))
}

/// Parses a package.json.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    let mut parsed = Parsed::default();
    if input.text.trim().is_empty() {
        parsed.warnings.push(input.warning(None, "empty file"));
        return Ok(parsed);
    }
    let value: Value = serde_json::from_str(input.text).map_err(|e| {
        input.error(
            u32::try_from(e.line()).ok().filter(|l| *l > 0),
            format!("not valid JSON: {e}"),
        )
    })?;
    if !value.is_object() {
        return Err(input.error(Some(1), "not a package.json: expected a JSON object"));
    }
    let lines = JsonLines::new(input.text, 2);
    let (decls, problems) = declared(&value, &lines);
    for (line, msg) in problems {
        parsed.warnings.push(input.warning(line, msg));
    }
    for d in decls {
        let (name, spec) = match d.spec.trim().strip_prefix("npm:") {
            Some(alias) => {
                let (real, spec) = split_name_spec(alias);
                (real.to_owned(), spec.to_owned())
            }
            None => (d.name.clone(), d.spec.clone()),
        };
        let (pin, source) = match classify_spec(&spec) {
            Spec::Exact(v) => (Pin::Exact(v), crate::Source::Registry),
            Spec::Range => (
                Pin::Unpinned {
                    specifier: spec.trim().to_owned(),
                },
                crate::Source::Registry,
            ),
            Spec::Other(source) => (
                Pin::Unpinned {
                    specifier: spec.trim().to_owned(),
                },
                source,
            ),
        };
        let mut p = package(&name, pin, source, d.line);
        p.relation = Relation::Direct;
        p.scope = d.scope;
        parsed.packages.push(p);
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::js_common::test_support::{
        MemFiles, corpus_files, no_panic_cuts, no_panic_flips, parse_with,
    };
    use crate::{Package, Source};

    fn run(text: &str) -> Result<Parsed, ParseError> {
        parse_with(parse, "svc/package.json", text, &MemFiles::default())
    }

    fn find<'a>(p: &'a Parsed, name: &str) -> &'a Package {
        p.packages
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{name} missing"))
    }

    #[test]
    fn groups_scopes_and_pins() {
        let text = r#"{
  "name": "svc",
  "dependencies": {
    "exact": "1.2.3",
    "eq": "=1.2.4",
    "vee": "v1.2.5",
    "caret": "^1.0.0",
    "tag": "latest",
    "star": "*",
    "hyphen": "1.0.0 - 2.0.0",
    "either": "1.0.0 || 2.0.0",
    "ex": "1.x",
    "empty": ""
  },
  "devDependencies": {
    "gitdep": "git+https://github.com/o/r.git#v1",
    "short": "user/repo#main",
    "gh": "github:user/repo",
    "local": "file:../local",
    "ws": "workspace:*",
    "tar": "https://example.com/t.tgz"
  },
  "optionalDependencies": { "fsevents": "2.3.2" },
  "peerDependencies": { "react": ">=17" },
  "bundleDependencies": ["exact"]
}"#;
        let p = run(text).unwrap();
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.packages.len(), 18);
        assert!(
            p.packages
                .iter()
                .all(|p| p.relation == Relation::Direct && p.paths.is_empty())
        );
        assert_eq!(find(&p, "exact").pin, Pin::Exact("1.2.3".into()));
        assert_eq!(find(&p, "exact").line, Some(4));
        assert_eq!(find(&p, "exact").scope, Scope::Runtime);
        assert_eq!(find(&p, "eq").pin, Pin::Exact("1.2.4".into()));
        assert_eq!(find(&p, "vee").pin, Pin::Exact("1.2.5".into()));
        for (n, s) in [
            ("caret", "^1.0.0"),
            ("tag", "latest"),
            ("star", "*"),
            ("hyphen", "1.0.0 - 2.0.0"),
            ("either", "1.0.0 || 2.0.0"),
            ("ex", "1.x"),
            ("empty", ""),
        ] {
            assert_eq!(
                find(&p, n).pin,
                Pin::Unpinned {
                    specifier: s.into()
                },
                "{n}"
            );
            assert_eq!(find(&p, n).source, Source::Registry, "{n}");
        }
        let g = find(&p, "gitdep");
        assert_eq!(g.scope, Scope::Development);
        assert_eq!(
            g.source,
            Source::Git {
                url: "https://github.com/o/r.git".into(),
                rev: Some("v1".into())
            }
        );
        assert!(matches!(g.pin, Pin::Unpinned { .. }));
        assert!(
            matches!(find(&p, "short").source, Source::Git { ref url, .. } if url == "https://github.com/user/repo")
        );
        assert!(matches!(find(&p, "gh").source, Source::Git { .. }));
        assert_eq!(find(&p, "local").source, Source::Path("../local".into()));
        assert_eq!(find(&p, "ws").source, Source::Path("workspace:*".into()));
        assert_eq!(
            find(&p, "tar").source,
            Source::Url("https://example.com/t.tgz".into())
        );
        assert_eq!(find(&p, "fsevents").scope, Scope::Optional);
        assert_eq!(find(&p, "react").scope, Scope::Runtime);
        assert_eq!(find(&p, "react").line, Some(24));
    }

    #[test]
    fn aliases_use_the_real_name() {
        let p = run(r#"{"dependencies": {"cjs": "npm:string-width@4.2.3", "b": "npm:@s/x@^2"}}"#)
            .unwrap();
        assert_eq!(find(&p, "string-width").pin, Pin::Exact("4.2.3".into()));
        assert_eq!(
            find(&p, "@s/x").pin,
            Pin::Unpinned {
                specifier: "^2".into()
            }
        );
    }

    #[test]
    fn warnings_and_errors() {
        let p = run(
            "{\n\"dependencies\": {\n\"a\": 1,\n\"b\": \"1.0.0\"\n},\n\"devDependencies\": []\n}",
        )
        .unwrap();
        assert_eq!(p.packages.len(), 1);
        assert_eq!(p.warnings.len(), 2);
        assert_eq!(p.warnings[0].line, Some(3));
        assert_eq!(p.warnings[1].line, Some(6));

        let e = run("this is not json").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("not valid JSON"), "{e}");
        let e = run("[1, 2]").unwrap_err();
        assert!(e.message.contains("expected a JSON object"), "{e}");
        let e = run("{\n\"dependencies\": {\n\"a\": \"1\"\n").unwrap_err();
        assert!(e.message.contains("not valid JSON"), "{e}");

        let p = run("  \n ").unwrap();
        assert!(p.packages.is_empty());
        assert_eq!(p.warnings[0].message, "empty file");
        assert!(run("{}").unwrap().packages.is_empty());
    }

    #[test]
    fn sibling_manifest() {
        let files = MemFiles::with(&[(
            "svc/package.json",
            r#"{"dependencies": {"a": "^1"}, "devDependencies": {"b": "2.0.0"}}"#,
        )]);
        let input = Input {
            path: std::path::Path::new("svc/yarn.lock"),
            text: "",
            files: &files,
        };
        let d = sibling(&input).unwrap().unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].name.as_str(), d[0].scope), ("a", Scope::Runtime));
        assert_eq!((d[1].name.as_str(), d[1].scope), ("b", Scope::Development));
        let none = MemFiles::default();
        let input = Input {
            path: std::path::Path::new("svc/yarn.lock"),
            text: "",
            files: &none,
        };
        assert_eq!(sibling(&input), Ok(None));
        let bad = MemFiles::with(&[("svc/package.json", "nope")]);
        let input = Input {
            path: std::path::Path::new("svc/yarn.lock"),
            text: "",
            files: &bad,
        };
        assert!(sibling(&input).is_err());
    }

    /// Corpus manifests. Counts computed with:
    /// `python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(sum(len(d.get(g) or {}) for g in ['dependencies','devDependencies','optionalDependencies','peerDependencies']))" FILE`
    #[test]
    fn corpus() {
        type Row = (&'static str, usize, &'static [(&'static str, &'static str)]);
        let cases: &[Row] = &[
            (
                "microservices-demo@2019-06/src/currencyservice/package.json",
                11,
                &[],
            ),
            (
                "microservices-demo@2019-06/src/paymentservice/package.json",
                9,
                &[],
            ),
            (
                "microservices-demo@2021-06/src/currencyservice/package.json",
                11,
                &[("async", "3.2.0")],
            ),
            (
                "microservices-demo@2021-06/src/paymentservice/package.json",
                9,
                &[("grpc", "1.24.9")],
            ),
            (
                "opentelemetry-demo@2022-10/package.json",
                3,
                &[("markdownlint-cli", "0.31.0")],
            ),
            (
                "opentelemetry-demo@2022-10/src/frontend/package.json",
                38,
                &[("@grpc/grpc-js", "1.6.7")],
            ),
            (
                "opentelemetry-demo@2022-10/src/paymentservice/package.json",
                10,
                &[("@grpc/grpc-js", "1.6.7")],
            ),
            (
                "opentelemetry-demo@2022-10/test/package.json",
                5,
                &[("node-fetch", "2.6.7"), ("ava", "4.3.0")],
            ),
            (
                "opentelemetry-demo@2024-06/package.json",
                4,
                &[("markdownlint-cli", "0.37.0")],
            ),
            (
                "opentelemetry-demo@2024-06/src/frontend/package.json",
                49,
                &[("next", "13.5.1"), ("typescript", "5.4.5")],
            ),
            (
                "opentelemetry-demo@2024-06/src/paymentservice/package.json",
                20,
                &[("@grpc/proto-loader", "0.7.10")],
            ),
        ];
        let Some(files) = corpus_files(cverun_testkit::test_name!(), "package.json") else {
            return;
        };
        assert_eq!(
            files.len(),
            cases.len(),
            "corpus package.json files changed"
        );
        for (rel, count, pins) in cases {
            let path = files
                .iter()
                .find(|f| f.ends_with(rel))
                .unwrap_or_else(|| panic!("{rel} not in corpus"));
            let text = std::fs::read_to_string(path).unwrap();
            let p = parse_with(parse, &path.to_string_lossy(), &text, &crate::DiskFiles).unwrap();
            assert_eq!(p.packages.len(), *count, "{rel}");
            assert!(p.warnings.is_empty(), "{rel}: {:?}", p.warnings);
            for (n, v) in *pins {
                assert!(
                    p.packages
                        .iter()
                        .any(|p| p.name == *n && p.pin == Pin::Exact((*v).into())),
                    "{rel}: {n}@{v}"
                );
            }
        }
    }

    #[test]
    fn no_panic_on_corpus_cuts() {
        if let Some(files) = corpus_files(cverun_testkit::test_name!(), "package.json") {
            no_panic_cuts(parse, &files);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn no_panic_on_flipped_bytes(file in 0usize..64, flips in proptest::collection::vec((0usize..100_000, proptest::num::u8::ANY), 1..8)) {
            let Some(files) = corpus_files(cverun_testkit::test_name!(), "package.json") else {
                return Ok(());
            };
            no_panic_flips(parse, &files[file % files.len()], &flips);
        }
    }
}
