use super::*;

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

/// Today in this project.
fn today() -> Date {
    d("2026-11-23")
}

fn max() -> ExceptionDays {
    crate::policy::Policy::default().exception_max_days
}

fn parse(text: &str) -> Exceptions {
    Exceptions::parse(Path::new("cverun-exceptions.toml"), text).unwrap()
}

fn one(text: &str) -> Exception {
    let mut ex = parse(text);
    assert_eq!(ex.entries.len(), 1, "{ex:?}");
    ex.entries.remove(0)
}

fn file_error(text: &str) -> ExceptionsError {
    Exceptions::parse(Path::new("x.toml"), text).unwrap_err()
}

/// The problems as (line, message) pairs.
fn problems(e: &Exception) -> Vec<(u32, &str)> {
    e.problems
        .iter()
        .map(|p| (p.line, p.message.as_str()))
        .collect()
}

/// A valid entry, approved `approved_on`, expiring `expires`.
fn entry(approved_on: &str, expires: &str, extra: &str) -> String {
    format!(
        "[[exception]]\nid = \"GHSA-6757-jp84-gxfx\"\njustification = \"j\"\nowner = \"o\"\n\
         approved_by = \"a\"\napproved_on = {approved_on}\nexpires = {expires}\n{extra}"
    )
}

const FULL: &str = r#"# accepted risks
[[exception]]
id = "GHSA-6757-jp84-gxfx"          # required: advisory id or any alias
package = "PyPI/pyyaml"
service = "storefront"
justification = "Only loads our own signed config files"
mitigations = ["config files are signed", "WAF rule 42"]
owner = "team-storefront"
approved_by = "security@example.com"
approved_on = 2026-11-20
expires = 2026-12-20
review = 2026-12-05
ticket = "SEC-1234"
"#;

#[test]
fn parses_a_full_entry_with_toml_dates() {
    let e = one(FULL);
    assert_eq!(e.path, Path::new("cverun-exceptions.toml"));
    assert_eq!(e.line, 2);
    assert_eq!(e.id, "GHSA-6757-jp84-gxfx");
    assert_eq!(e.package.as_deref(), Some("PyPI/pyyaml"));
    assert_eq!(e.service.as_deref(), Some("storefront"));
    assert_eq!(e.justification, "Only loads our own signed config files");
    assert_eq!(e.mitigations, ["config files are signed", "WAF rule 42"]);
    assert_eq!(e.owner, "team-storefront");
    assert_eq!(e.approved_by, "security@example.com");
    assert_eq!(e.approved_on, Some(d("2026-11-20")));
    assert_eq!(e.expires, Some(d("2026-12-20")));
    assert_eq!(e.review, Some(d("2026-12-05")));
    assert_eq!(e.ticket.as_deref(), Some("SEC-1234"));
    assert!(e.problems.is_empty(), "{:?}", e.problems);
    assert_eq!(e.duration_days(), Some(30));
    assert_eq!(e.location(), "cverun-exceptions.toml:2");
    assert_eq!(
        e.scope_text(),
        "GHSA-6757-jp84-gxfx for PyPI/pyyaml in storefront"
    );
    assert_eq!(e.package_scope(), Some((Some(Ecosystem::PyPI), "pyyaml")));
}

#[test]
fn string_dates_read_like_toml_dates() {
    let a = one(&entry("2026-11-20", "2026-12-20", "review = 2026-12-05\n"));
    let b = one(&entry(
        "\"2026-11-20\"",
        "'2026-12-20'",
        "review = \"2026-12-05\"\n",
    ));
    assert!(b.problems.is_empty(), "{:?}", b.problems);
    assert_eq!(a.approved_on, b.approved_on);
    assert_eq!(a.expires, b.expires);
    assert_eq!(a.review, b.review);
    assert_eq!(b.expires, Some(d("2026-12-20")));
}

#[test]
fn optional_keys_may_be_left_out() {
    let e = one(&entry("2026-11-20", "2026-12-20", ""));
    assert!(e.problems.is_empty(), "{:?}", e.problems);
    assert_eq!(e.package, None);
    assert_eq!(e.service, None);
    assert!(e.mitigations.is_empty());
    assert_eq!(e.review, None);
    assert_eq!(e.ticket, None);
    let e = one(&entry("2026-11-20", "2026-12-20", "mitigations = []\n"));
    assert!(e.problems.is_empty());
    assert!(e.mitigations.is_empty());
}

#[test]
fn values_are_trimmed() {
    let e = one(&entry(
        "2026-11-20",
        "2026-12-20",
        "service = \" storefront \"\nmitigations = [\" waf \"]\n",
    ));
    assert_eq!(e.service.as_deref(), Some("storefront"));
    assert_eq!(e.mitigations, ["waf"]);
}

#[test]
fn every_entry_has_its_header_line() {
    let text = format!(
        "{}\n\n# second\n{}",
        entry("2026-11-20", "2026-12-20", ""),
        entry("2026-11-21", "2026-12-21", "")
    );
    let ex = parse(&text);
    let lines: Vec<u32> = ex.entries.iter().map(|e| e.line).collect();
    assert_eq!(lines, [1, 11]);
    assert_eq!(ex.sources, [PathBuf::from("cverun-exceptions.toml")]);
}

#[test]
fn an_inline_array_of_tables_is_read_too() {
    let text = r#"exception = [
  { id = "CVE-2026-1", justification = "j", owner = "o", approved_by = "a", approved_on = 2026-11-20, expires = 2026-12-20 },

  { id = "CVE-2026-2", justification = "j", owner = "o", approved_by = "a", approved_on = 2026-11-20, expires = 2026-12-20, expiry = 1 },
]
"#;
    let ex = parse(text);
    assert_eq!(ex.entries.len(), 2);
    assert_eq!((ex.entries[0].line, ex.entries[1].line), (2, 4));
    assert!(ex.entries[0].problems.is_empty());
    assert_eq!(ex.entries[1].problems.len(), 1);
    assert_eq!(ex.entries[1].problems[0].line, 4);
}

#[test]
fn each_missing_required_key_is_a_problem_at_the_header_line() {
    for key in [
        "id",
        "justification",
        "owner",
        "approved_by",
        "approved_on",
        "expires",
    ] {
        let text: String = format!("\n\n{}", entry("2026-11-20", "2026-12-20", ""))
            .lines()
            .filter(|l| !l.starts_with(&format!("{key} =")))
            .map(|l| format!("{l}\n"))
            .collect();
        let e = one(&text);
        assert_eq!(e.line, 3);
        assert_eq!(e.problems.len(), 1, "{key}: {:?}", e.problems);
        assert_eq!(e.problems[0].line, 3, "{key}");
        assert!(
            e.problems[0]
                .message
                .starts_with(&format!("missing `{key}` (")),
            "{key}: {}",
            e.problems[0].message
        );
    }
}

#[test]
fn an_empty_entry_lists_every_missing_key() {
    let e = one("[[exception]]\n");
    let missing: Vec<&str> = e
        .problems
        .iter()
        .map(|p| p.message.split('`').nth(1).unwrap())
        .collect();
    assert_eq!(
        missing,
        [
            "id",
            "justification",
            "owner",
            "approved_by",
            "approved_on",
            "expires"
        ]
    );
}

#[test]
fn empty_and_mistyped_values_are_problems_at_their_line() {
    let e = one(&entry(
        "2026-11-20",
        "2026-12-20",
        "package = \"\"\nservice = \"  \"\nticket = 1234\n",
    ));
    assert_eq!(
        problems(&e),
        [
            (8, "`package` is empty"),
            (9, "`service` is empty"),
            (10, "`ticket` must be a string, found integer"),
        ]
    );
    let text = "[[exception]]\nid = 42\njustification = \"\"\nowner = \"o\"\napproved_by = [\"a\"]\n\
                approved_on = 2026-11-20\nexpires = 2026-12-20\n";
    let e = one(text);
    assert_eq!(
        problems(&e),
        [
            (2, "`id` must be a string, found integer"),
            (3, "`justification` is empty"),
            (5, "`approved_by` must be a string, found array"),
        ]
    );
    // A present but unusable key is not also reported as missing.
    assert!(!e.problems.iter().any(|p| p.message.starts_with("missing")));
}

#[test]
fn id_with_spaces_and_package_without_name_are_problems() {
    let text = entry("2026-11-20", "2026-12-20", "package = \"PyPI/\"\n")
        .replace("\"GHSA-6757-jp84-gxfx\"", "\"CVE-2026-1, CVE-2026-2\"");
    let e = one(&text);
    assert_eq!(
        problems(&e),
        [
            (
                2,
                "`id` \"CVE-2026-1, CVE-2026-2\" contains spaces: give one id per entry"
            ),
            (8, "`package` \"PyPI/\" names no package"),
        ]
    );
}

#[test]
fn mitigations_must_be_non_empty_strings() {
    let e = one(&entry(
        "2026-11-20",
        "2026-12-20",
        "mitigations = [\n  \"waf\",\n  \"\",\n  3,\n]\n",
    ));
    assert_eq!(e.mitigations, ["waf"]);
    assert_eq!(
        problems(&e),
        [
            (10, "`mitigations` item 2 is empty"),
            (11, "`mitigations` item 3 must be a string, found integer"),
        ]
    );
    let e = one(&entry(
        "2026-11-20",
        "2026-12-20",
        "mitigations = \"waf\"\n",
    ));
    assert_eq!(
        problems(&e),
        [(8, "`mitigations` must be a list of strings, found string")]
    );
}

#[test]
fn bad_dates_are_problems_naming_the_key_and_line() {
    let cases = [
        ("\"2026-13-01\"", "not a day of the calendar"),
        ("\"2026-02-30\"", "not a day of the calendar"),
        (
            "\"20261220\"",
            "must be a date (YYYY-MM-DD), found \"20261220\"",
        ),
        ("\"2026-12-20T10:00\"", "found \"2026-12-20T10:00\""),
        ("\"next month\"", "found \"next month\""),
        ("\"\"", "found \"\""),
        ("2026-12-20T10:00:00", "without a time"),
        ("2026-12-20T10:00:00Z", "without a time"),
        ("10:00:00", "without a time"),
        ("20261220", "found integer"),
        ("true", "found boolean"),
    ];
    for (value, why) in cases {
        let e = one(&entry("2026-11-20", value, ""));
        assert_eq!(e.expires, None, "{value}");
        assert_eq!(e.problems.len(), 1, "{value}: {:?}", e.problems);
        let p = &e.problems[0];
        assert_eq!(p.line, 7, "{value}");
        assert!(
            p.message.starts_with("`expires` "),
            "{value}: {}",
            p.message
        );
        assert!(p.message.contains(why), "{value}: {}", p.message);
        assert!(e.standing(today(), Level::Routine, &max()) != Standing::Active);
    }
    let e = one(&entry("\"2026-11-2\"", "2026-12-20", "review = \"soon\"\n"));
    assert_eq!(
        e.problems
            .iter()
            .map(|p| (p.line, p.message.split(' ').next().unwrap()))
            .collect::<Vec<_>>(),
        [(6, "`approved_on`"), (8, "`review`")]
    );
}

#[test]
fn date_order_problems() {
    let e = one(&entry("2026-11-20", "2026-11-19", ""));
    assert_eq!(
        problems(&e),
        [(1, "`expires` 2026-11-19 is before `approved_on` 2026-11-20")]
    );
    let e = one(&entry("2026-11-20", "2026-12-20", "review = 2026-12-21\n"));
    assert_eq!(
        problems(&e),
        [(1, "`review` 2026-12-21 is after `expires` 2026-12-20")]
    );
    // The same day is fine: a one-day exception, reviewed on its last day.
    let e = one(&entry("2026-11-20", "2026-11-20", "review = 2026-11-20\n"));
    assert!(e.problems.is_empty(), "{:?}", e.problems);
    assert_eq!(e.duration_days(), Some(0));
}

#[test]
fn unknown_keys_are_problems_of_the_entry() {
    let text = "[[exception]]\nid = \"CVE-2026-1\"\njustification = \"j\"\nowner = \"o\"\n\
                approved_by = \"a\"\napproved_on = 2026-11-20\nexpiry = 2026-12-20\n";
    let e = one(text);
    assert_eq!(e.expires, None);
    assert_eq!(e.problems.len(), 2, "{:?}", e.problems);
    assert_eq!(e.problems[0].line, 1);
    assert!(e.problems[0].message.starts_with("missing `expires`"));
    assert_eq!(e.problems[1].line, 7);
    assert!(
        e.problems[1]
            .message
            .starts_with("unknown key `expiry` (did you mean `expires`?); the keys are: id,"),
        "{}",
        e.problems[1].message
    );
    // Never suppresses: an exception must not become permanent by a typo.
    assert!(!e.suppresses(today(), Level::Routine, &max()));

    let e = one(&entry(
        "2026-11-20",
        "2026-12-20",
        "owner_team = \"x\"\nzzz = 1\n",
    ));
    assert_eq!(e.problems.len(), 2);
    assert!(
        e.problems[0]
            .message
            .starts_with("unknown key `owner_team`;"),
        "{}",
        e.problems[0].message
    );
    assert_eq!((e.problems[0].line, e.problems[1].line), (8, 9));

    let e = one(&entry("2026-11-20", "2026-12-20", "aproved_by = \"x\"\n"));
    assert!(
        e.problems[0]
            .message
            .contains("did you mean `approved_by`?")
    );
}

#[test]
fn a_sub_table_is_an_unknown_key() {
    let text = format!(
        "{}\n[exception.details]\nnote = 1\n",
        entry("2026-11-20", "2026-12-20", "")
    );
    let e = one(&text);
    assert_eq!(e.problems.len(), 1, "{:?}", e.problems);
    assert_eq!(e.problems[0].line, 9);
    assert!(e.problems[0].message.starts_with("unknown key `details`"));
}

#[test]
fn file_level_errors_have_a_line() {
    let e = file_error("[[exception]]\nid = \"x\"\nowner = \n");
    assert_eq!(e.line, Some(3));
    assert_eq!(e.path, Path::new("x.toml"));
    assert!(e.to_string().starts_with("x.toml:3: "), "{e}");

    let e = file_error("[[exception]]\nid = \"x\"\nid = \"y\"\n");
    assert_eq!(e.line, Some(3), "{e}");

    let e = file_error("# note\n[exception]\nid = \"x\"\n");
    assert_eq!(e.line, Some(2));
    assert_eq!(
        e.message,
        "`exception` must be an array of tables (one [[exception]] header per entry), found table"
    );

    let e = file_error("\nexception = \"GHSA-6757-jp84-gxfx\"\n");
    assert_eq!(e.line, Some(2));
    assert!(e.message.ends_with("found string"), "{e}");

    let e = file_error("exception = [\n  \"GHSA-6757-jp84-gxfx\",\n]\n");
    assert_eq!(e.line, Some(2));
    assert_eq!(
        e.message,
        "`exception` entries must be tables, found string"
    );
}

#[test]
fn a_standalone_file_holds_only_exceptions() {
    let text = format!(
        "{}\n[[service]]\nname = \"x\"\n",
        entry("2026-11-20", "2026-12-20", "")
    );
    let e = file_error(&text);
    assert_eq!(e.line, Some(9));
    assert_eq!(
        e.to_string(),
        "x.toml:9: unknown key `service`: an exceptions file holds only [[exception]] entries"
    );
    let e = file_error("version = 1\n[[exception]]\n");
    assert_eq!(e.line, Some(1));
    assert!(e.message.starts_with("unknown key `version`"));
}

#[test]
fn an_empty_file_has_no_exceptions() {
    let ex = parse("# nothing accepted yet\n");
    assert!(ex.is_empty());
    assert!(parse("exception = []\n").is_empty());
}

#[test]
fn error_display_without_a_line() {
    let e = ExceptionsError {
        path: "a/b.toml".into(),
        line: None,
        message: "m".into(),
    };
    assert_eq!(e.to_string(), "a/b.toml: m");
}

const CVERUN_TOML: &str = r#"[scan]
exclude = ["vendor"]

[[service]]
name = "storefront"
path = "src/storefront"
exposure = "internet"

[[exception]]
id = "CVE-2026-1111"
justification = "j"
owner = "o"
approved_by = "a"
approved_on = 2026-11-20
expires = 2026-12-20

[[service]]
name = "checkout"
path = "src/checkout"

[policy]
p0_cvss = 9.0
"#;

#[test]
fn the_cverun_toml_section_ignores_every_other_key() {
    let ex = Exceptions::parse_section(Path::new("cverun.toml"), CVERUN_TOML).unwrap();
    assert_eq!(ex.entries.len(), 1);
    let e = &ex.entries[0];
    assert_eq!((e.line, e.id.as_str()), (9, "CVE-2026-1111"));
    assert!(e.problems.is_empty());
    assert_eq!(e.location(), "cverun.toml:9");
    // The same text is not a standalone exceptions file.
    let err = Exceptions::parse(Path::new("cverun.toml"), CVERUN_TOML).unwrap_err();
    assert_eq!(err.line, Some(1));
    assert!(err.message.starts_with("unknown key `scan`"), "{err}");
}

#[test]
fn the_cverun_toml_section_may_be_absent_but_not_malformed() {
    let ex = Exceptions::parse_section(
        Path::new("cverun.toml"),
        "[[service]]\nname = \"a\"\npath = \".\"\n",
    )
    .unwrap();
    assert!(ex.is_empty());
    let e = Exceptions::parse_section(
        Path::new("cverun.toml"),
        "[[service]]\nname = \"a\"\n\n[exception]\nid = \"x\"\n",
    )
    .unwrap_err();
    assert_eq!(e.line, Some(4));
    let e = Exceptions::parse_section(Path::new("cverun.toml"), "[[service]\n").unwrap_err();
    assert_eq!(e.line, Some(1));
}

#[test]
fn merge_keeps_each_entrys_path() {
    let mut ex = Exceptions::parse_section(Path::new("cverun.toml"), CVERUN_TOML).unwrap();
    ex.merge(parse(&entry("2026-11-20", "2026-12-20", "")));
    assert_eq!(
        ex.sources,
        [
            PathBuf::from("cverun.toml"),
            PathBuf::from("cverun-exceptions.toml")
        ]
    );
    let locs: Vec<String> = ex.entries.iter().map(Exception::location).collect();
    assert_eq!(locs, ["cverun.toml:9", "cverun-exceptions.toml:1"]);
}

fn scoped(id: &str, package: Option<&str>, service: Option<&str>) -> Exceptions {
    let mut extra = String::new();
    if let Some(p) = package {
        extra.push_str(&format!("package = {p:?}\n"));
    }
    if let Some(s) = service {
        extra.push_str(&format!("service = {s:?}\n"));
    }
    parse(&entry("2026-11-20", "2026-12-20", &extra).replace("GHSA-6757-jp84-gxfx", id))
}

const IDS: [&str; 3] = ["PYSEC-2021-142", "GHSA-6757-jp84-gxfx", "CVE-2020-14343"];

#[test]
fn matching_by_any_alias() {
    for id in IDS {
        let ex = scoped(id, None, None);
        assert_eq!(
            ex.matching(&IDS, "PyPI", "pyyaml", "storefront").len(),
            1,
            "{id}"
        );
        assert!(
            ex.matching(&["GHSA-xxxx-xxxx-xxxx"], "PyPI", "pyyaml", "storefront")
                .is_empty()
        );
    }
}

#[test]
fn cve_ids_match_in_any_case_others_exactly() {
    let ex = scoped("cve-2020-14343", None, None);
    assert_eq!(ex.matching(&IDS, "PyPI", "pyyaml", "s").len(), 1);
    let ex = scoped("CVE-2020-14343", None, None);
    assert_eq!(
        ex.matching(&["Cve-2020-14343"], "PyPI", "pyyaml", "s")
            .len(),
        1
    );
    let ex = scoped("GHSA-6757-JP84-GXFX", None, None);
    assert!(ex.matching(&IDS, "PyPI", "pyyaml", "s").is_empty());
    let ex = scoped("pysec-2021-142", None, None);
    assert!(ex.matching(&IDS, "PyPI", "pyyaml", "s").is_empty());
}

#[test]
fn package_scope_with_an_ecosystem_prefix() {
    let cases = [
        // (scope, finding ecosystem, finding package, matches)
        ("PyPI/pyyaml", "PyPI", "pyyaml", true),
        ("PyPI/PyYAML", "PyPI", "pyyaml", true),
        ("pypi/pyyaml", "PyPI", "PyYAML", true),
        ("PyPI/zope.interface", "PyPI", "zope_interface", true),
        ("PyPI/pyyaml", "PyPI", "ruamel.yaml", false),
        ("PyPI/pyyaml", "npm", "pyyaml", false),
        ("npm/pyyaml", "PyPI", "pyyaml", false),
        ("crates.io/serde_json", "crates.io", "serde-json", true),
        ("Go/github.com/Foo/bar", "Go", "github.com/Foo/bar", true),
        ("Go/github.com/Foo/bar", "Go", "github.com/foo/bar", false),
        ("npm/@babel/core", "npm", "@babel/core", true),
        ("npm/JSONStream", "npm", "jsonstream", false),
        (
            "Packagist/symfony/http-kernel",
            "Packagist",
            "Symfony/HTTP-Kernel",
            true,
        ),
        (
            "Maven/org.apache.logging.log4j:log4j-core",
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            true,
        ),
        // Not an OSV ecosystem name: a bare name with a slash, which matches nothing here.
        ("pip/pyyaml", "PyPI", "pyyaml", false),
    ];
    for (scope, eco, pkg, want) in cases {
        let ex = scoped("CVE-2020-14343", Some(scope), None);
        assert!(ex.entries[0].problems.is_empty());
        assert_eq!(
            !ex.matching(&IDS, eco, pkg, "s").is_empty(),
            want,
            "{scope} vs {eco}/{pkg}"
        );
    }
}

#[test]
fn package_scope_with_a_bare_name() {
    let cases = [
        ("pyyaml", "PyPI", "PyYAML", true),
        ("PyYAML", "PyPI", "pyyaml", true),
        ("py_yaml", "PyPI", "Py.YAML", true),
        ("pyyaml", "PyPI", "py-yaml", false),
        ("PyYAML", "npm", "PyYAML", true),
        ("PyYAML", "npm", "pyyaml", false),
        ("github.com/foo/bar", "Go", "github.com/foo/bar", true),
        ("@babel/core", "npm", "@babel/core", true),
        (
            "symfony/http-kernel",
            "Packagist",
            "symfony/http-kernel",
            true,
        ),
        ("Newtonsoft.Json", "NuGet", "newtonsoft.json", true),
        ("openssl", "Debian:12", "openssl", true),
        ("openssl", "Debian:12", "OpenSSL", false),
    ];
    for (scope, eco, pkg, want) in cases {
        let ex = scoped("CVE-2020-14343", Some(scope), None);
        assert_eq!(ex.entries[0].package_scope(), Some((None, scope)));
        assert_eq!(
            !ex.matching(&IDS, eco, pkg, "s").is_empty(),
            want,
            "{scope} vs {eco}/{pkg}"
        );
    }
}

#[test]
fn service_scope() {
    let ex = scoped("CVE-2020-14343", Some("pyyaml"), Some("storefront"));
    assert_eq!(ex.matching(&IDS, "PyPI", "pyyaml", "storefront").len(), 1);
    assert!(ex.matching(&IDS, "PyPI", "pyyaml", "checkout").is_empty());
    assert!(ex.matching(&IDS, "PyPI", "pyyaml", "Storefront").is_empty());
    assert!(
        ex.matching(&IDS, "PyPI", "requests", "storefront")
            .is_empty()
    );
    let any = scoped("CVE-2020-14343", None, None);
    assert_eq!(any.matching(&IDS, "npm", "anything", "checkout").len(), 1);
}

#[test]
fn matching_includes_entries_with_problems_in_file_order() {
    let text = format!(
        "{}\n{}",
        entry("2026-11-20", "2026-12-20", "expiry = 1\n"),
        entry("2026-11-20", "2026-12-20", "")
    );
    let ex = parse(&text);
    let m = ex.matching(&IDS, "PyPI", "pyyaml", "s");
    assert_eq!(m.iter().map(|e| e.line).collect::<Vec<_>>(), [1, 10]);
    assert!(!m[0].problems.is_empty());
    // An entry without an id matches nothing.
    let ex = parse("[[exception]]\nowner = \"o\"\n");
    assert!(ex.matching(&IDS, "PyPI", "pyyaml", "s").is_empty());
    assert!(ex.matching(&[""], "PyPI", "pyyaml", "s").is_empty());
}

fn standing(
    approved_on: &str,
    expires: &str,
    review: Option<&str>,
    on: &str,
    level: Level,
) -> Standing {
    let extra = review
        .map(|r| format!("review = {r}\n"))
        .unwrap_or_default();
    one(&entry(approved_on, expires, &extra)).standing(d(on), level, &max())
}

#[test]
fn expiry_boundaries() {
    let s = |on| standing("2026-11-20", "2026-11-23", None, on, Level::P0);
    assert_eq!(s("2026-11-22"), Standing::Active);
    assert_eq!(s("2026-11-23"), Standing::Active);
    assert_eq!(
        s("2026-11-24"),
        Standing::Expired {
            expires: d("2026-11-23")
        }
    );
}

#[test]
fn approval_boundaries() {
    let s = |on| standing("2026-11-23", "2026-12-01", None, on, Level::P0);
    assert_eq!(s("2026-11-23"), Standing::Active);
    assert_eq!(
        s("2026-11-22"),
        Standing::NotYetApproved {
            approved_on: d("2026-11-23")
        }
    );
}

#[test]
fn review_boundaries() {
    let s = |on| {
        standing(
            "2026-11-01",
            "2026-11-30",
            Some("2026-11-22"),
            on,
            Level::P0,
        )
    };
    assert_eq!(s("2026-11-22"), Standing::Active);
    assert_eq!(
        s("2026-11-23"),
        Standing::ReviewDue {
            review: d("2026-11-22")
        }
    );
    assert!(s("2026-11-23").suppresses());
    // Past expiry, the expiry is what counts.
    assert_eq!(
        s("2026-12-01"),
        Standing::Expired {
            expires: d("2026-11-30")
        }
    );
}

#[test]
fn duration_boundaries_per_level() {
    // Default limits: P0 30, P1 90, P2 180, routine 365 days.
    for (level, limit) in [
        (Level::P0, 30),
        (Level::P1, 90),
        (Level::P2, 180),
        (Level::Routine, 365),
    ] {
        let approved = d("2026-11-20");
        let at = |days: i64| {
            let expires = approved.checked_add(jiff::Span::new().days(days)).unwrap();
            standing(
                "2026-11-20",
                &expires.to_string(),
                None,
                "2026-11-23",
                level,
            )
        };
        assert_eq!(at(limit), Standing::Active, "{level} {limit}");
        assert_eq!(
            at(limit + 1),
            Standing::TooLong {
                days: limit + 1,
                max: u32::try_from(limit).unwrap(),
                level
            },
            "{level}"
        );
    }
    // 60 days: too long for a P0, fine for a P1.
    assert!(!one(&entry("2026-11-20", "2027-01-19", "")).suppresses(today(), Level::P0, &max()));
    assert!(one(&entry("2026-11-20", "2027-01-19", "")).suppresses(today(), Level::P1, &max()));
}

#[test]
fn standing_order() {
    // Not yet approved wins over too long.
    assert_eq!(
        standing("2026-12-01", "2027-12-01", None, "2026-11-23", Level::P0),
        Standing::NotYetApproved {
            approved_on: d("2026-12-01")
        }
    );
    // Expired wins over too long and review due.
    assert_eq!(
        standing(
            "2026-01-01",
            "2026-11-01",
            Some("2026-10-01"),
            "2026-11-23",
            Level::P0
        ),
        Standing::Expired {
            expires: d("2026-11-01")
        }
    );
    // Too long wins over review due.
    assert!(matches!(
        standing(
            "2026-10-01",
            "2026-12-31",
            Some("2026-11-01"),
            "2026-11-23",
            Level::P0
        ),
        Standing::TooLong {
            days: 91,
            max: 30,
            level: Level::P0
        }
    ));
}

#[test]
fn invalid_entries_never_suppress() {
    let e = one(&entry("2026-11-20", "2026-12-20", "expiry = 2027-01-01\n"));
    let s = e.standing(today(), Level::Routine, &max());
    assert_eq!(
        s,
        Standing::Invalid {
            problems: e.problems.clone()
        }
    );
    assert!(!s.suppresses());
    assert_eq!(s.severity(), Some(Severity::Error));
    // Built by hand without dates and without problems: still not in force.
    let mut bare = e.clone();
    bare.problems.clear();
    bare.expires = None;
    assert!(matches!(
        bare.standing(today(), Level::Routine, &max()),
        Standing::Invalid { .. }
    ));
}

#[test]
fn standings_read_well_and_serialise() {
    let cases = [
        (Standing::Active, "active", r#"{"standing":"active"}"#),
        (
            Standing::ReviewDue {
                review: d("2026-11-20"),
            },
            "active, but its review was due on 2026-11-20",
            // The date is the entry's own `review`: not repeated beside it.
            r#"{"standing":"review_due"}"#,
        ),
        (
            Standing::Expired {
                expires: d("2026-11-20"),
            },
            "expired: it was valid through 2026-11-20",
            r#"{"standing":"expired"}"#,
        ),
        (
            Standing::TooLong {
                days: 60,
                max: 30,
                level: Level::P0,
            },
            "too long for a P0 finding: 60 days from approval to expiry, the policy allows at most 30",
            r#"{"standing":"too_long","days":60,"max":30,"level":"P0"}"#,
        ),
        (
            Standing::NotYetApproved {
                approved_on: d("2026-12-01"),
            },
            "not in force yet: approved_on 2026-12-01 is in the future",
            r#"{"standing":"not_yet_approved","approved_on":"2026-12-01"}"#,
        ),
        (
            Standing::Invalid {
                problems: vec![
                    Problem {
                        line: 3,
                        message: "a".into(),
                    },
                    Problem {
                        line: 5,
                        message: "b".into(),
                    },
                ],
            },
            "invalid: line 3: a; line 5: b",
            r#"{"standing":"invalid","problems":[{"line":3,"message":"a"},{"line":5,"message":"b"}]}"#,
        ),
    ];
    for (s, text, json) in cases {
        assert_eq!(s.to_string(), text);
        assert_eq!(serde_json::to_string(&s).unwrap(), json);
        assert_eq!(
            s.suppresses(),
            matches!(s, Standing::Active | Standing::ReviewDue { .. })
        );
    }
    assert_eq!(Standing::Active.severity(), None);
    assert_eq!(
        Standing::ReviewDue {
            review: d("2026-11-20")
        }
        .severity(),
        Some(Severity::Warning)
    );
}

#[test]
fn an_exception_serialises_for_reports() {
    let v = serde_json::to_value(one(FULL)).unwrap();
    assert_eq!(v["path"], "cverun-exceptions.toml");
    assert_eq!(v["line"], 2);
    assert_eq!(v["expires"], "2026-12-20");
    assert_eq!(v["owner"], "team-storefront");
    assert_eq!(v["problems"], serde_json::json!([]));
}

fn several(specs: &[(&str, &str, &str)]) -> Exceptions {
    let text: Vec<String> = specs
        .iter()
        .map(|(a, x, extra)| entry(a, x, extra))
        .collect();
    parse(&text.join("\n"))
}

#[test]
fn best_prefers_a_suppressing_exception_with_the_latest_expiry() {
    let ex = several(&[
        ("2026-10-01", "2026-11-01", ""),                      // expired
        ("2026-11-01", "2026-12-01", ""),                      // active
        ("2026-11-01", "2026-12-15", "review = 2026-11-10\n"), // review due, later
        ("2026-11-01", "2026-12-10", ""),                      // active
    ]);
    let m: Vec<&Exception> = ex.entries.iter().collect();
    let (e, s) = best(&m, today(), Level::P1, &max()).unwrap();
    assert_eq!(e.expires, Some(d("2026-12-15")));
    assert_eq!(
        s,
        Standing::ReviewDue {
            review: d("2026-11-10")
        }
    );
    // For a P0 finding, the 44-day one is too long: the 30-day one applies.
    let (e, s) = best(&m, today(), Level::P0, &max()).unwrap();
    assert_eq!((e.expires, s), (Some(d("2026-12-01")), Standing::Active));
}

#[test]
fn best_breaks_ties_deterministically() {
    let ex = several(&[
        ("2026-11-01", "2026-12-01", "review = 2026-11-10\n"),
        ("2026-11-02", "2026-12-01", "ticket = \"B\"\n"),
        ("2026-11-03", "2026-12-01", "ticket = \"C\"\n"),
    ]);
    let m: Vec<&Exception> = ex.entries.iter().collect();
    // Same expiry: active before review-due, then the first.
    let (e, s) = best(&m, today(), Level::P0, &max()).unwrap();
    assert_eq!((e.ticket.as_deref(), s), (Some("B"), Standing::Active));
    let reversed: Vec<&Exception> = ex.entries.iter().rev().collect();
    let (e, _) = best(&reversed, today(), Level::P0, &max()).unwrap();
    assert_eq!(e.ticket.as_deref(), Some("C"));
}

#[test]
fn best_reports_the_first_when_none_suppresses() {
    let ex = several(&[
        ("2026-11-01", "2026-12-01", "expiry = 1\n"),
        ("2026-10-01", "2026-11-01", ""),
    ]);
    let m: Vec<&Exception> = ex.entries.iter().collect();
    let (e, s) = best(&m, today(), Level::P0, &max()).unwrap();
    assert_eq!(e.line, 1);
    assert!(matches!(s, Standing::Invalid { .. }));
    let (e, s) = best(&m[1..], today(), Level::P0, &max()).unwrap();
    assert_eq!(e.line, 10);
    assert_eq!(
        s,
        Standing::Expired {
            expires: d("2026-11-01")
        }
    );
    assert_eq!(best(&[], today(), Level::P0, &max()), None);
}

fn check_text(text: &str) -> Vec<String> {
    check(&parse(text), today(), &max())
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn check_a_clean_file() {
    assert!(check_text(FULL).is_empty());
    assert!(check_text("").is_empty());
}

#[test]
fn check_reports_every_entry_with_file_and_line() {
    let text = [
        // 1: fine
        entry("2026-11-20", "2026-12-20", ""),
        // 9: expired (its length and its review are not repeated)
        entry(
            "2026-10-01",
            "2026-11-22",
            "package = \"PyPI/second\"\nreview = 2026-11-01\n",
        ),
        // 19: not yet approved
        entry("2026-11-24", "2026-12-01", "package = \"PyPI/other\"\n"),
        // 28: longer than any level allows
        entry("2026-11-20", "2027-11-21", "package = \"PyPI/third\"\n"),
        // 37: longer than P0 and P1 allow, review due
        entry(
            "2026-08-01",
            "2026-12-31",
            "package = \"PyPI/fourth\"\nreview = 2026-11-01\n",
        ),
        // 47: problems (the unknown key on line 55)
        entry(
            "2026-11-20",
            "2026-12-20",
            "package = \"PyPI/fifth\"\nexpiry = 1\n",
        ),
    ]
    .join("\n");
    let got = check_text(&text);
    let p = "cverun-exceptions.toml";
    let g = "GHSA-6757-jp84-gxfx";
    assert_eq!(
        got,
        [
            format!("{p}:9: error: {g}: expired: it was valid through 2026-11-22"),
            format!(
                "{p}:19: error: {g}: not in force yet: approved_on 2026-11-24 is in the future"
            ),
            format!(
                "{p}:28: error: {g}: 366 days from approval to expiry: longer than any level \
                 allows (at most 365 days, for routine findings); it suppresses nothing"
            ),
            format!(
                "{p}:37: warning: {g}: 152 days from approval to expiry: longer than the limit \
                 for P0, P1 (P0 30 days, P1 90 days); it will not suppress P0 or P1 findings"
            ),
            format!("{p}:37: warning: {g}: its review was due on 2026-11-01"),
            format!(
                "{p}:55: error: {g}: unknown key `expiry` (did you mean `expires`?); the keys \
                 are: {}",
                KEYS.join(", ")
            ),
        ]
    );
    let all = check(&parse(&text), today(), &max());
    assert_eq!(
        all.iter().map(|c| c.severity).collect::<Vec<_>>(),
        [
            Severity::Error,
            Severity::Error,
            Severity::Error,
            Severity::Warning,
            Severity::Warning,
            Severity::Error
        ]
    );
    let json = serde_json::to_value(&all[0]).unwrap();
    assert_eq!(json["severity"], "error");
    assert_eq!(json["line"], 9);
    assert_eq!(json["id"], g);
}

#[test]
fn check_notes_the_p0_limit_alone() {
    let got = check_text(&entry("2026-11-20", "2026-12-31", ""));
    assert_eq!(
        got,
        [
            "cverun-exceptions.toml:1: warning: GHSA-6757-jp84-gxfx: 41 days from approval to \
          expiry: longer than the limit for P0 (P0 30 days); it will not suppress P0 findings"
        ]
    );
    // Exactly the P0 limit: nothing to say.
    assert!(check_text(&entry("2026-11-20", "2026-12-20", "")).is_empty());
}

#[test]
fn check_uses_the_largest_limit_of_any_level() {
    let odd = ExceptionDays {
        p0: 30,
        p1: 400,
        p2: 180,
        routine: 365,
    };
    let ex = parse(&entry("2026-01-01", "2027-01-10", ""));
    let got = check(&ex, today(), &odd);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].severity, Severity::Warning);
    assert!(
        got[0].message.contains("P0, P2, routine"),
        "{}",
        got[0].message
    );
}

#[test]
fn check_warns_about_ids_and_prefixes_that_will_not_match() {
    let text = entry("2026-11-20", "2026-12-20", "package = \"pip/pyyaml\"\n")
        .replace("GHSA-6757-jp84-gxfx", "GHSA-6757-JP84-gxfx");
    let got = check_text(&text);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].contains(
        "package \"pip/pyyaml\" is read as a bare name containing a slash, as \"pip\" is not \
         an OSV ecosystem name; for the PyPI package write \"PyPI/pyyaml\""
    ));
    assert!(
        got[1].contains("write \"GHSA-6757-jp84-gxfx\""),
        "{}",
        got[1]
    );
    // A Packagist vendor named like a tool is a normal bare name.
    assert!(
        check_text(&entry(
            "2026-11-20",
            "2026-12-20",
            "package = \"composer/semver\"\n"
        ))
        .is_empty()
    );
}

#[test]
fn check_warns_about_duplicates() {
    let text = [
        entry("2026-11-20", "2026-12-20", "package = \"PyPI/PyYAML\"\n"),
        entry("2026-11-20", "2026-12-10", "package = \"pypi/pyyaml\"\n"),
        entry("2026-11-20", "2026-12-10", "package = \"pyyaml\"\n"),
        entry(
            "2026-11-20",
            "2026-12-10",
            "package = \"PyPI/pyyaml\"\nservice = \"x\"\n",
        ),
    ]
    .join("\n");
    let got = check_text(&text);
    assert_eq!(
        got,
        [
            "cverun-exceptions.toml:10: warning: GHSA-6757-jp84-gxfx: same id and scope as the \
          exception at cverun-exceptions.toml:1; the one that expires last applies"
        ]
    );
}

#[test]
fn check_names_entries_without_an_id() {
    let got = check_text("[[exception]]\nowner = \"o\"\n");
    assert_eq!(got.len(), 5);
    assert_eq!(
        got[0],
        "cverun-exceptions.toml:1: error: exception: missing `id` (the advisory id or any alias)"
    );
}

#[test]
fn suggestions() {
    for (typo, want) in [
        ("expiry", Some("expires")),
        ("Expiration", Some("expires")),
        ("approver", Some("approved_by")),
        ("reason", Some("justification")),
        ("mitigation", Some("mitigations")),
        ("sevice", Some("service")),
        ("tickets", Some("ticket")),
        ("colour", None),
    ] {
        assert_eq!(suggest(typo), want, "{typo}");
    }
}

#[test]
fn scope_keys_are_equal_exactly_when_scopes_are_the_same() {
    // Every pair of these entries, compared by key and by `same_scope` (the
    // definition the duplicate check had before it used keys).
    let specs = [
        ("GHSA-6757-jp84-gxfx", "", ""),
        ("GHSA-6757-jp84-gxfx", "package = \"PyPI/PyYAML\"\n", ""),
        ("GHSA-6757-jp84-gxfx", "package = \"pypi/pyyaml\"\n", ""),
        ("GHSA-6757-jp84-gxfx", "package = \"pyyaml\"\n", ""),
        ("GHSA-6757-jp84-gxfx", "package = \"PyYAML\"\n", ""),
        ("GHSA-6757-jp84-gxfx", "package = \"npm/pyyaml\"\n", ""),
        ("GHSA-6757-JP84-GXFX", "", ""),
        ("CVE-2021-44228", "", ""),
        ("cve-2021-44228", "", ""),
        ("cve-2021-44228", "", "service = \"x\"\n"),
        ("CVE-2021-44228", "", "service = \"x\"\n"),
        ("CVE-2021-44228", "", "service = \"X\"\n"),
        ("CVE-", "", ""),
        ("cve-", "", ""),
        ("CVEé-1", "", ""),
        ("cveé-1", "", ""),
    ];
    let text: Vec<String> = specs
        .iter()
        .map(|(id, package, service)| {
            format!(
                "[[exception]]\nid = \"{id}\"\n{package}{service}justification = \"j\"\n\
                 owner = \"o\"\napproved_by = \"a\"\napproved_on = 2026-11-20\n\
                 expires = 2026-12-20\n"
            )
        })
        .collect();
    let ex = parse(&text.join("\n"));
    assert_eq!(ex.entries.len(), specs.len());
    let mut same = 0;
    for a in &ex.entries {
        for b in &ex.entries {
            assert_eq!(
                scope_key(a) == scope_key(b),
                same_scope(a, b),
                "{:?} / {:?}",
                (&a.id, &a.package, &a.service),
                (&b.id, &b.package, &b.service)
            );
            same += usize::from(same_scope(a, b));
        }
    }
    // Beyond each entry with itself: PyPI/PyYAML ~ pypi/pyyaml, CVE ids in any
    // case (with and without the service), both ways.
    assert_eq!(same, specs.len() + 2 * 3);
}

#[test]
fn a_large_file_is_read_whole_with_its_lines() {
    // 20,000 entries of 9 lines each, a blank line between; every third a duplicate
    // of the entry before it (same id and package, another approver).
    let n = 20_000;
    let mut text = String::new();
    for i in 0..n {
        let id = i - usize::from(i % 3 == 2);
        text.push_str(&format!(
            "[[exception]]\nid = \"CVE-2026-{id}\"\npackage = \"PyPI/pkg-{id}\"\n\
             justification = \"j\"\nmitigations = [\"m\"]\nowner = \"o\"\n\
             approved_by = \"a{i}\"\napproved_on = 2026-11-20\nexpires = 2026-12-20\n\n"
        ));
    }
    let ex = parse(&text);
    assert_eq!(ex.entries.len(), n);
    assert_eq!(ex.entries[0].line, 1);
    assert_eq!(ex.entries[n - 1].line, 10 * (n as u32 - 1) + 1);
    assert_eq!(ex.entries[n - 1].approved_by, format!("a{}", n - 1));
    let got = check(&ex, today(), &max());
    assert_eq!(got.len(), n / 3);
    assert_eq!(got[0].line, 21);
    let last = got.last().unwrap();
    // Entry 19,999 (0-based; 19,999 % 3 == 1) is no duplicate; 19,997 is, of 19,996.
    assert_eq!(last.line, 10 * 19_997 + 1);
    assert!(
        last.message.contains("cverun-exceptions.toml:199961"),
        "{}",
        last.message
    );
}
