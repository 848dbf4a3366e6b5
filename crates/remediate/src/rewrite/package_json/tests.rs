use super::*;
use crate::rewrite::rewrite;
use crate::rewrite::testing::{assert_only_lines, bump, pins, refused, rewrite_checked, shared};
use cverun_inventory::FileKind;
use cverun_versions::Ecosystem;

fn npm(name: &str, from: &str, to: &str) -> Bump {
    bump(Ecosystem::Npm, name, from, to)
}

#[test]
fn currencyservice_from_the_corpus() {
    let Some((_, text)) = shared(
        cverun_testkit::test_name!(),
        "corpus/microservices-demo@2019-06/src/currencyservice/package.json",
    ) else {
        return;
    };
    // Line 20: `"request": "^2.87.0",`.
    let (edit, parsed) = rewrite_checked(
        FileKind::PackageJson,
        "package.json",
        &text,
        &npm("request", "2.88.0", "2.88.2"),
        &[20],
    );
    assert_eq!(edit.summary, "request ^2.87.0 -> ^2.88.2 (line 20)");
    assert_eq!(pins(&parsed, "request"), ["^2.88.2"]);
    // Not declared: nothing to change.
    assert_eq!(
        rewrite(
            FileKind::PackageJson,
            &text,
            &npm("lodash", "4.17.11", "4.17.21")
        ),
        Ok(None)
    );
}

#[test]
fn exact_version_in_the_frontend() {
    let Some((_, text)) = shared(
        cverun_testkit::test_name!(),
        "corpus/opentelemetry-demo@2024-06/src/frontend/package.json",
    ) else {
        return;
    };
    // Line 42: `"next": "13.5.1",`.
    let (_, parsed) = rewrite_checked(
        FileKind::PackageJson,
        "package.json",
        &text,
        &npm("next", "13.5.1", "13.5.7"),
        &[42],
    );
    assert_eq!(pins(&parsed, "next"), ["13.5.7"]);
}

#[test]
fn crlf_tabs_aliases_peers_no_final_newline() {
    let text = "{\r\n\t\"name\": \"x\",\r\n\t\"dependencies\": {\r\n\t\t\"lodash4\": \"npm:lodash@^4.17.11\",\r\n\t\t\"lodash\" : \"~4.17.11\"\r\n\t},\r\n\t\"peerDependencies\": {\"lodash\": \">=4.0.0 <5\"},\r\n\t\"devDependencies\": {\"lodash\": \"4.x\"}\r\n}";
    let (edit, _) = rewrite_checked(
        FileKind::PackageJson,
        "package.json",
        text,
        &npm("lodash", "4.17.15", "4.17.21"),
        &[4, 5, 7],
    );
    assert!(
        edit.text
            .contains("\"lodash4\": \"npm:lodash@^4.17.21\",\r\n")
    );
    assert!(edit.text.contains("\"lodash\" : \"~4.17.21\"\r\n"));
    assert!(edit.text.contains("{\"lodash\": \">=4.17.21 <5\"}"));
    assert!(edit.text.ends_with("\"4.x\"}\r\n}"));
    assert_eq!(
        edit.summary,
        "lodash4 (npm:lodash) ^4.17.11 -> ^4.17.21 (line 4); lodash ~4.17.11 -> ~4.17.21 (line 5); lodash >=4.0.0 <5 -> >=4.17.21 <5 (line 7)"
    );
}

#[test]
fn refusals() {
    let b = npm("lodash", "4.17.15", "4.17.21");
    for (value, expected) in [
        (
            "git+https://example.invalid/lodash.git",
            "is not a version range",
        ),
        ("file:../lodash", "is not a version range"),
        (">=4.0.0 <4.17.20", "`<4.17.20` excludes it"),
        ("4.17.\\u0031", "escapes"),
    ] {
        let text = format!("{{\"dependencies\": {{\"lodash\": \"{value}\"}}}}\n");
        let r = refused(FileKind::PackageJson, &text, &b);
        assert!(r.reason.contains(expected), "{value}: {}", r.reason);
        assert!(
            r.reason.starts_with("package.json line 1: "),
            "{}",
            r.reason
        );
    }
    let r = refused(FileKind::PackageJson, "{\"dependencies\": {", &b);
    assert!(r.reason.starts_with("package.json is not valid JSON"));
}

#[test]
fn composer() {
    let text = "{\n    \"require\": {\n        \"php\": \">=8.1\",\n        \"Guzzlehttp/Guzzle\": \"^7.4\",\n        \"monolog/monolog\": \"2.9.1\"\n    },\n    \"require-dev\": {\n        \"guzzlehttp/guzzle\": \"~7.4.0 || ^8.0\"\n    }\n}\n";
    let b = bump(Ecosystem::Packagist, "guzzlehttp/guzzle", "7.4.4", "7.4.5");
    let (edit, parsed) =
        rewrite_checked(FileKind::ComposerJson, "composer.json", text, &b, &[4, 8]);
    assert!(edit.text.contains("\"Guzzlehttp/Guzzle\": \"^7.4.5\""));
    assert!(edit.text.contains("\"~7.4.5 || ^8.0\""));
    assert!(!parsed.packages.is_empty());
    let b = bump(Ecosystem::Packagist, "monolog/monolog", "2.9.1", "2.9.3");
    rewrite_checked(FileKind::ComposerJson, "composer.json", text, &b, &[5]);
}

#[test]
fn override_added_to_a_file_without_one() {
    let Some((_, text)) = shared(
        cverun_testkit::test_name!(),
        "corpus/microservices-demo@2019-06/src/currencyservice/package.json",
    ) else {
        return;
    };
    let edit = npm_override(&text, "minimist", "1.2.6").unwrap();
    // The devDependencies object closes on line 25: a comma is added there and
    // the new member follows, indented like the others.
    assert_eq!(edit.lines, [25]);
    assert!(
        edit.text.ends_with(
            "    \"semistandard\": \"^12.0.1\"\n  },\n  \"overrides\": {\n    \"minimist\": \"1.2.6\"\n  }\n}\n"
        ),
        "{}",
        edit.text
    );
    assert!(
        edit.text
            .starts_with(&text[..text.rfind("  }\n}").unwrap()])
    );
    let v: serde_json::Value = serde_json::from_str(&edit.text).unwrap();
    assert_eq!(v["overrides"]["minimist"], "1.2.6");
    assert_eq!(
        edit.summary,
        "overrides minimist -> 1.2.6 (added after line 25)"
    );
}

#[test]
fn override_into_existing_objects_crlf_and_tabs() {
    let text =
        "{\r\n\t\"name\": \"x\",\r\n\t\"overrides\": {\r\n\t\t\"semver\": \"7.5.2\"\r\n\t}\r\n}";
    let edit = npm_override(text, "minimist", "1.2.6").unwrap();
    assert_eq!(
        edit.text,
        "{\r\n\t\"name\": \"x\",\r\n\t\"overrides\": {\r\n\t\t\"semver\": \"7.5.2\",\r\n\t\t\"minimist\": \"1.2.6\"\r\n\t}\r\n}"
    );
    assert_eq!(edit.lines, [4]);
    // An existing override is replaced in place.
    let edit = npm_override(text, "semver", "7.5.4").unwrap();
    assert_only_lines(text, &edit, &[4]);
    assert!(edit.text.contains("\"semver\": \"7.5.4\"\r\n"));
    // The same version: no change.
    let same = npm_override(text, "semver", "7.5.2").unwrap();
    assert_eq!(same.text, text);
    assert!(same.lines.is_empty());
    // An empty object.
    let text = "{\n  \"overrides\": {}\n}\n";
    let edit = npm_override(text, "minimist", "1.2.6").unwrap();
    assert_eq!(
        edit.text,
        "{\n  \"overrides\": {\n    \"minimist\": \"1.2.6\"\n  }\n}\n"
    );
    // A one-line document stays on one line.
    let edit = npm_override("{\"name\": \"x\"}", "minimist", "1.2.6").unwrap();
    assert_eq!(
        edit.text,
        "{\"name\": \"x\", \"overrides\": {\"minimist\": \"1.2.6\"}}"
    );
    // A nested override's "." entry.
    let text = "{\"overrides\": {\"minimist\": {\".\": \"1.2.5\", \"x\": \"1\"}}}";
    let edit = npm_override(text, "minimist", "1.2.6").unwrap();
    assert_eq!(
        edit.text,
        "{\"overrides\": {\"minimist\": {\".\": \"1.2.6\", \"x\": \"1\"}}}"
    );
}

#[test]
fn override_refusals() {
    let r = npm_override(
        "{\n  \"dependencies\": {\"minimist\": \"^1.2.0\"}\n}\n",
        "minimist",
        "1.2.6",
    )
    .unwrap_err();
    assert!(
        r.reason
            .starts_with("package.json line 2: minimist is a direct dependency"),
        "{}",
        r.reason
    );
    assert!(npm_override("[1]", "minimist", "1.2.6").is_err());
    assert!(npm_override("{\"overrides\": []}", "minimist", "1.2.6").is_err());
    assert!(
        npm_override(
            "{\"overrides\": {\"minimist\": {\"x\": \"1\"}}}",
            "minimist",
            "1.2.6"
        )
        .is_err()
    );
}
