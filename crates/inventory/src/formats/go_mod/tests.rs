use crate::testutil::{fixtures, never_panics, parse_fixture, parse_str, summary};
use crate::{FileKind, Relation, Source};

fn parse(text: &str) -> crate::Parsed {
    parse_str(FileKind::GoMod, "go.mod", text).unwrap()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn requires_indirect_stdlib_and_lines() {
    let p = parse(concat!(
        "module example.com/svc\n",
        "\n",
        "go 1.21\n",
        "\n",
        "require github.com/google/uuid v1.3.0\n",
        "require (\n",
        "\tgolang.org/x/net v0.7.0 // indirect\n",
        "\t\"github.com/quoted/mod\" v1.0.0 // some comment\n",
        ")\n",
        "exclude golang.org/x/net v0.6.0\n",
        "retract v1.0.1\n",
    ));
    assert_eq!(
        summary(&p),
        pairs(&[
            ("stdlib", "1.21"),
            ("github.com/google/uuid", "v1.3.0"),
            ("golang.org/x/net", "v0.7.0"),
            ("github.com/quoted/mod", "v1.0.0"),
        ])
    );
    let rel: Vec<Relation> = p.packages.iter().map(|p| p.relation).collect();
    assert_eq!(
        rel,
        vec![
            Relation::Direct,
            Relation::Direct,
            Relation::Transitive,
            Relation::Direct
        ]
    );
    let lines: Vec<u32> = p.packages.iter().map(|p| p.line.unwrap()).collect();
    assert_eq!(lines, vec![3, 5, 7, 8]);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn toolchain_wins_over_go_and_loses_its_suffix() {
    let p = parse("module m\ngo 1.23.5\ntoolchain go1.23.6-xyz\n");
    assert_eq!(summary(&p), pairs(&[("stdlib", "1.23.6")]));
    assert_eq!(p.packages[0].line, Some(3));
}

#[test]
fn replacements_are_what_is_built() {
    let p = parse(concat!(
        "module m\n",
        "go 1.20\n",
        "require (\n",
        "  golang.org/x/net v1.2.3\n",
        "  golang.org/x/net v0.5.6\n",
        "  github.com/local/dep v1.0.0\n",
        ")\n",
        "replace golang.org/x/net v1.2.3 => example.com/fork/net v1.4.5\n",
        "replace github.com/local/dep => ../dep\n",
        "replace github.com/not/required => github.com/other v1.0.0\n",
    ));
    assert_eq!(
        summary(&p),
        pairs(&[
            ("stdlib", "1.20"),
            ("example.com/fork/net", "v1.4.5"),
            ("golang.org/x/net", "v0.5.6"),
            ("github.com/local/dep", "v1.0.0"),
        ])
    );
    assert_eq!(p.packages[3].source, Source::Path("../dep".into()));
    assert_eq!(p.packages[1].source, Source::Registry);
}

#[test]
fn old_go_versions_are_warned_about() {
    let p = parse("module m\ngo 1.15\nrequire a.b/c v1.0.0\n");
    assert_eq!(p.warnings.len(), 1);
    assert_eq!(p.warnings[0].line, Some(2));
    assert!(p.warnings[0].message.contains("before Go 1.17"));
    assert!(
        parse("module m\ngo 1.17\nrequire a.b/c v1.0.0\n")
            .warnings
            .is_empty()
    );
}

#[test]
fn unknown_directives_and_bad_lines() {
    let p = parse("module m\ngo 1.22\nfrobnicate x\nrequire a.b/c\n");
    assert_eq!(p.warnings.len(), 2, "{:?}", p.warnings);
    assert_eq!(p.warnings[0].line, Some(3));
    assert_eq!(p.warnings[1].line, Some(4));
    let e = parse_str(FileKind::GoMod, "go.mod", "this is not a go.mod file!\n").unwrap_err();
    assert_eq!(e.line, Some(1));
    assert!(
        e.to_string().starts_with("go.mod:1: not a go.mod file"),
        "{e}"
    );
}

/// Every fixture of ../shared/fixtures/lockfiles/golang/gomod, read by hand.
#[test]
fn shared_fixtures() {
    type Row = (
        &'static str,
        Option<usize>,
        &'static [(&'static str, &'static str)],
    );
    let table: &[Row] = &[
        ("empty.mod", Some(0), &[]),
        (
            "indirect-1.16.mod",
            Some(2),
            &[("stdlib", "1.16"), ("github.com/sirupsen/logrus", "v1.9.3")],
        ),
        (
            "indirect-1.23.mod",
            Some(3),
            &[("golang.org/x/sys", "v0.0.0-20220715151400-c0bba94af5f8")],
        ),
        (
            "indirect-packages.mod",
            Some(6),
            &[("stdlib", "1.17"), ("gopkg.in/yaml.v2", "v2.4.0")],
        ),
        ("not-go-mod.mod", None, &[]),
        (
            "one-package.mod",
            Some(1),
            &[("github.com/BurntSushi/toml", "v1.0.0")],
        ),
        // Both x/net versions are replaced by fork/net v1.4.5 and v1.4.2.
        (
            "replace-different.mod",
            Some(2),
            &[
                ("example.com/fork/foe", "v1.4.5"),
                ("example.com/fork/foe", "v1.4.2"),
            ],
        ),
        (
            "replace-local.mod",
            Some(2),
            &[
                ("golang.org/x/net", "v1.2.3"),
                ("github.com/BurntSushi/toml", "v1.0.0"),
            ],
        ),
        (
            "replace-mixed.mod",
            Some(2),
            &[
                ("example.com/fork/net", "v1.4.5"),
                ("golang.org/x/net", "v0.5.6"),
            ],
        ),
        // Both versions become the same replacement: listed once.
        (
            "replace-no-version.mod",
            Some(1),
            &[("example.com/fork/net", "v1.4.5")],
        ),
        (
            "replace-not-required.mod",
            Some(2),
            &[("golang.org/x/net", "v0.5.6")],
        ),
        (
            "replace-one.mod",
            Some(1),
            &[("example.com/fork/net", "v1.4.5")],
        ),
        (
            "toolchain-with-suffix.mod",
            Some(2),
            &[("stdlib", "1.23.6")],
        ),
        ("toolchain.mod", Some(2), &[("stdlib", "1.23.6")]),
        (
            "two-packages.mod",
            Some(3),
            &[("gopkg.in/yaml.v2", "v2.4.0")],
        ),
    ];
    let Some(fixtures) = fixtures(cverun_testkit::test_name!()) else {
        return;
    };
    let dir = fixtures.join("golang/gomod");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".mod"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = table.iter().map(|r| r.0.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
    for (file, n, checks) in table {
        let r = parse_fixture(&fixtures, FileKind::GoMod, &format!("golang/gomod/{file}"));
        match n {
            None => {
                let e = r.unwrap_err();
                assert!(e.line.is_some() && e.path.ends_with(file), "{file}: {e}");
            }
            Some(n) => {
                let p = r.unwrap();
                assert_eq!(p.packages.len(), *n, "{file}: {:?}", summary(&p));
                let s = summary(&p);
                for (name, v) in *checks {
                    assert!(
                        s.contains(&(name.to_string(), v.to_string())),
                        "{file}: {name} {v} not in {s:?}"
                    );
                }
            }
        }
        never_panics(
            FileKind::GoMod,
            &std::fs::read_to_string(dir.join(file)).unwrap(),
        );
    }
}

/// Malformations that used to parse to zero packages without a word.
#[test]
fn structure() {
    let run = |t: &str| {
        let p = crate::testutil::parse_str(crate::FileKind::GoMod, "go.mod", t).unwrap();
        let w: Vec<(Option<u32>, String)> = p
            .warnings
            .iter()
            .map(|w| (w.line, w.message.clone()))
            .collect();
        (p.packages.len(), w)
    };
    let empty = |line| {
        (
            0,
            vec![(line, "empty: no dependencies declared".to_owned())],
        )
    };
    assert_eq!(run(""), (0, vec![(None, "empty file".to_owned())]));
    assert_eq!(
        run("// only a comment\n\n"),
        (0, vec![(None, "empty file".to_owned())])
    );
    assert_eq!(run("module example.com/x\n"), empty(Some(1)));
    assert_eq!(
        run("// x\nmodule example.com/x\n\nrequire ()\n"),
        empty(Some(2))
    );
    // Requirements without a module line: read, with a warning.
    let (n, w) = run("require golang.org/x/text v0.3.0\n");
    assert_eq!(n, 1);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].1.starts_with("no `module` line"), "{w:?}");
}

/// 20,000 requirements, every thousandth replaced (twice: the last replacement
/// applies), the second required again: every one read once, with its own line.
#[test]
fn a_large_file_is_read_whole_with_its_lines() {
    let n = 20_000;
    let mut text = String::from("module example.com/svc\n\ngo 1.22\n\nrequire (\n");
    for i in 0..n {
        text.push_str(&format!("\texample.com/a{i} v1.0.{i}\n"));
    }
    text.push_str(")\n\nrequire example.com/a1 v1.0.1\n\nreplace (\n");
    for i in (0..n).step_by(1000) {
        text.push_str(&format!("\texample.com/a{i} => example.com/x v9.0.0\n"));
        text.push_str(&format!(
            "\texample.com/a{i} v1.0.{i} => example.com/b{i} v2.0.0\n"
        ));
    }
    text.push_str(")\n");
    let p = parse(&text);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings.first());
    // The standard library first, then one package per requirement.
    assert_eq!(p.packages.len(), n + 1);
    assert_eq!(p.packages[0].name, "stdlib");
    let (first, last) = (&p.packages[1], &p.packages[n]);
    assert_eq!(
        (first.name.as_str(), first.exact_version(), first.line),
        ("example.com/b0", Some("v2.0.0"), Some(6))
    );
    assert_eq!(
        (last.name.as_str(), last.exact_version(), last.line),
        ("example.com/a19999", Some("v1.0.19999"), Some(n as u32 + 5))
    );
    let replaced = p
        .packages
        .iter()
        .filter(|q| q.name.starts_with("example.com/b"));
    assert_eq!(replaced.count(), n / 1000);
}
