use std::path::Path;

use crate::testutil::{MemFiles, fixtures, never_panics, parse_fixture, summary};
use crate::{FileKind, Pin, Relation, Source, parse_text};

fn parse_mem(files: &[(&str, &str)], root: &str) -> crate::Parsed {
    let mem = MemFiles::with(files);
    let text = mem.0[Path::new(root)].clone();
    parse_text(FileKind::Requirements, Path::new(root), &text, &mem).unwrap()
}

fn one(text: &str) -> crate::Parsed {
    parse_mem(&[("r.txt", text)], "r.txt")
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn pins_and_specifiers() {
    let p = one(
        "Flask==2.2.2\nrequests>=2.0,<3\nyolo===1.0-weird\nasdf==0.7.*\nplain\nboth==1.0,>=0.9\n",
    );
    assert_eq!(
        summary(&p),
        pairs(&[
            ("flask", "2.2.2"),
            ("requests", "unpinned:>=2.0,<3"),
            ("yolo", "1.0-weird"),
            ("asdf", "unpinned:==0.7.*"),
            ("plain", "unpinned:"),
            ("both", "1.0"),
        ])
    );
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert!(p.packages.iter().all(|p| p.relation == Relation::Direct));
    assert_eq!(
        p.packages
            .iter()
            .map(|p| p.line.unwrap())
            .collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6]
    );
}

#[test]
fn names_extras_markers_and_options() {
    let p = one(concat!(
        "Zope.Interface[test, docs] == 5.4.0 ; python_version >= \"3\" --hash=sha256:abc \\\n",
        "    --hash=sha256:def\n",
        "pkgB==2.0 -C key=value\n",
        "pkgC==3.0 # a comment\n",
        "# a whole comment line\n",
        "-i https://pypi.example.invalid/simple\n",
        "--extra-index-url https://mirror.example.invalid/simple\n",
        "pkgD==4.0\n",
    ));
    assert_eq!(
        summary(&p),
        pairs(&[
            ("zope-interface", "5.4.0"),
            ("pkgb", "2.0"),
            ("pkgc", "3.0"),
            ("pkgd", "4.0")
        ])
    );
    assert_eq!(p.packages[3].line, Some(8));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn urls_paths_and_editables_keep_their_source() {
    let p = one(concat!(
        "urllib3 @ https://github.com/urllib3/urllib3/archive/refs/tags/1.26.8.zip\n",
        "git+https://github.com/org/repo.git@v1.2#egg=RepoPkg\n",
        "https://files.example.invalid/packages/Some_Pkg-3.1.0-py3-none-any.whl\n",
        "./downloads/numpy-1.9.2-cp34-none-win32.whl\n",
        "-e ./libs/local#egg=local-lib\n",
        "-e .\n",
        "./vendor/tool-2.5.tar.gz\n",
    ));
    assert_eq!(
        summary(&p),
        pairs(&[
            ("urllib3", "unpinned:"),
            ("repopkg", "unpinned:"),
            ("some-pkg", "3.1.0"),
            ("numpy", "1.9.2"),
            ("local-lib", "unpinned:"),
            ("tool", "2.5"),
        ])
    );
    assert!(matches!(p.packages[0].source, Source::Url(_)));
    assert_eq!(
        p.packages[1].source,
        Source::Git {
            url: "https://github.com/org/repo.git".into(),
            rev: Some("v1.2".into())
        }
    );
    assert!(matches!(p.packages[3].source, Source::Path(_)));
    assert!(p.packages.iter().all(|p| p.unmatchable_reason().is_some()));
    // `-e .` does not name its package: said, not dropped silently.
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    assert_eq!(p.warnings[0].line, Some(6));
    assert!(p.warnings[0].message.contains("#egg="), "{:?}", p.warnings);
}

#[test]
fn includes_constraints_and_loops() {
    let p = parse_mem(
        &[
            (
                "svc/requirements.txt",
                "-r base/common.txt\n-c constraints.txt\nrequests\nflask==2.0\n",
            ),
            (
                "svc/base/common.txt",
                "six==1.16.0\n-r ../requirements.txt\n",
            ),
            (
                "svc/constraints.txt",
                "requests==2.31.0\nnot-required==9.9\n",
            ),
        ],
        "svc/requirements.txt",
    );
    assert_eq!(
        summary(&p),
        pairs(&[("six", "1.16.0"), ("requests", "2.31.0"), ("flask", "2.0")]),
        "constraints pin, but do not add"
    );
    assert_eq!(
        p.packages[0].file.as_deref(),
        Some(Path::new("svc/base/common.txt"))
    );
    assert_eq!(p.packages[0].line, Some(1));
    assert_eq!(p.packages[1].file, None);
    assert_eq!(p.includes.len(), 2);
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    let w = &p.warnings[0];
    assert_eq!(w.path, Path::new("svc/base/common.txt"));
    assert_eq!(w.line, Some(2));
    assert!(w.message.contains("include loop"), "{}", w.message);
}

#[test]
fn constraints_pin_by_normalised_name_and_install_nothing() {
    let p = parse_mem(
        &[
            (
                "svc/requirements.txt",
                "-c constraints.txt\nflask_cors\nRequests[socks]>=2\npyyaml==6.0\nlocal @ file:///src/local\n",
            ),
            (
                "svc/constraints.txt",
                "Flask-CORS==3.0.10\nrequests==2.19.1\nPyYAML==5.4\nlocal==1.0\nurllib3==1.26.5\njinja2<3\n",
            ),
        ],
        "svc/requirements.txt",
    );
    // PEP 503 names match across the two files; urllib3 and jinja2 are only
    // constrained, so they are not installed and not reported.
    assert_eq!(
        summary(&p),
        pairs(&[
            ("flask-cors", "3.0.10"),
            ("requests", "2.19.1"),
            ("pyyaml", "6.0"),
            ("local", "unpinned:"),
        ])
    );
    // The requirement keeps its own file and line.
    assert_eq!(
        (p.packages[1].file.as_ref(), p.packages[1].line),
        (None, Some(3))
    );
    // An exact requirement that the constraints contradict: pip refuses to install,
    // so it is said, at the requirement's line.
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    assert_eq!(p.warnings[0].line, Some(4));
    assert!(
        p.warnings[0]
            .message
            .contains("conflicts with the constraint pyyaml==5.4"),
        "{}",
        p.warnings[0].message
    );
}

#[test]
fn missing_include_is_a_warning_with_its_line() {
    let p = one("a==1\n\n-r nowhere.txt\n");
    assert_eq!(p.packages.len(), 1);
    assert_eq!(p.warnings[0].line, Some(3));
    assert!(
        p.warnings[0]
            .message
            .contains("cannot read included file nowhere.txt"),
        "{:?}",
        p.warnings
    );
}

#[test]
fn pip_compile_annotations_give_relations_and_paths() {
    // Multi-line style (pip-tools 6+).
    let p = one(concat!(
        "flask==2.2.2\n",
        "    # via -r requirements.in\n",
        "jinja2==3.1.2\n",
        "    # via flask\n",
        "markupsafe==2.1.1\n",
        "    # via\n",
        "    #   jinja2\n",
        "    #   werkzeug\n",
        "werkzeug==2.2.2\n",
        "    # via flask\n",
    ));
    let rel: Vec<Relation> = p.packages.iter().map(|p| p.relation).collect();
    assert_eq!(
        rel,
        vec![
            Relation::Direct,
            Relation::Transitive,
            Relation::Transitive,
            Relation::Transitive
        ]
    );
    assert_eq!(
        p.packages[2].paths[0],
        vec!["flask@2.2.2", "jinja2@3.1.2", "markupsafe@2.1.1"]
    );
    // One-line style (older pip-tools): unannotated lines are the direct ones.
    let p = one(
        "cachetools==3.0.0         # via google-auth\ngoogle-auth==1.6.2        # via google-api-core\ngoogle-api-core[grpc]==1.6.0\n",
    );
    let rel: Vec<Relation> = p.packages.iter().map(|p| p.relation).collect();
    assert_eq!(
        rel,
        vec![Relation::Transitive, Relation::Transitive, Relation::Direct]
    );
    assert_eq!(
        p.packages[0].paths[0],
        vec![
            "google-api-core@1.6.0",
            "google-auth@1.6.2",
            "cachetools@3.0.0"
        ]
    );
}

#[test]
fn environment_variables_are_not_guessed() {
    let p = one("qwert==${MY_VARIABLE_1}\n");
    assert_eq!(
        summary(&p),
        pairs(&[("qwert", "unpinned:==${MY_VARIABLE_1}")])
    );
    assert!(p.warnings[0].message.contains("environment variable"));
}

#[test]
fn empty_and_comment_only_files_have_no_packages() {
    assert!(one("").packages.is_empty());
    assert!(one("# nothing\n\n   \n").packages.is_empty());
}

/// Every fixture of ../shared/fixtures/lockfiles/python/requirements, with the
/// outcome read from the fixture by hand: (file, packages, warnings, spot checks).
#[test]
fn shared_fixtures() {
    type Row = (
        &'static str,
        usize,
        usize,
        &'static [(&'static str, &'static str)],
    );
    let table: &[Row] = &[
        (
            "comments.txt",
            5,
            0,
            &[("pycrypto", "1.2-alpha"), ("requests", "1.0")],
        ),
        (
            "env_var.txt",
            3,
            1,
            &[("qwert", "unpinned:==${MY_VARIABLE_1}")],
        ),
        // 9 listed + pandas (via -r other-requirements.txt) + numpy wheel path + wxPython URL;
        // -c constraints.txt does not exist: one warning.
        (
            "example.txt",
            12,
            1,
            &[
                ("docopt", "0.6.1"),
                ("pandas", "2.2.3"),
                ("numpy", "1.9.2"),
                ("wxpython-phoenix", "3.0.3.dev1820+49a8884"),
            ],
        ),
        (
            "extras.txt",
            2,
            0,
            &[("pyjwt", "2.1.0"), ("celery", "4.4.7")],
        ),
        // asdf==, ==1.0, "asdf 1.0" and the unknown option -foo are unreadable; urllib3 @ url is fine.
        ("invalid.txt", 1, 4, &[("urllib3", "unpinned:")]),
        ("loop.txt", 0, 1, &[]),
        (
            "multiline_and_comments.txt",
            2,
            0,
            &[("pkga", "1.0"), ("pkgb", "2.0")],
        ),
        ("no_version.txt", 3, 0, &[("pycrypto", "unpinned:")]),
        ("other-loop.txt", 0, 1, &[]),
        ("other-requirements.txt", 1, 0, &[("pandas", "2.2.3")]),
        // foo7 (text before options), foo10 and foo15 (== without version) are unreadable.
        (
            "per_req_options.txt",
            15,
            3,
            &[
                ("foo9", "1.0"),
                ("foo16-client", "1.0"),
                ("foo17-hash", "1.0"),
            ],
        ),
        ("trailing_backslash.txt", 1, 0, &[("pkg1", "1.0")]),
        (
            "with_versions.txt",
            11,
            0,
            &[
                ("qwerty", "0.1"),
                ("yolo", "1.0"),
                ("pkg-dot-name", "5.0.0"),
            ],
        ),
    ];
    let Some(fixtures) = fixtures(cverun_testkit::test_name!()) else {
        return;
    };
    let dir = fixtures.join("python/requirements");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = table.iter().map(|r| r.0.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "every fixture has a row");
    for (file, n, warnings, checks) in table {
        let p = parse_fixture(
            &fixtures,
            FileKind::Requirements,
            &format!("python/requirements/{file}"),
        )
        .unwrap();
        assert_eq!(p.packages.len(), *n, "{file}: {:?}", summary(&p));
        assert_eq!(p.warnings.len(), *warnings, "{file}: {:?}", p.warnings);
        for w in &p.warnings {
            assert!(w.line.is_some(), "{file}: warning without line: {w:?}");
        }
        let s = summary(&p);
        for (name, v) in *checks {
            assert!(
                s.contains(&(name.to_string(), v.to_string())),
                "{file}: {name} {v} not in {s:?}"
            );
        }
        never_panics(
            FileKind::Requirements,
            &std::fs::read_to_string(dir.join(file)).unwrap(),
        );
    }
}

#[test]
fn unreadable_lines_name_their_line() {
    let Some(fixtures) = fixtures(cverun_testkit::test_name!()) else {
        return;
    };
    let p = parse_fixture(
        &fixtures,
        FileKind::Requirements,
        "python/requirements/invalid.txt",
    )
    .unwrap();
    let lines: Vec<u32> = p.warnings.iter().map(|w| w.line.unwrap()).collect();
    assert_eq!(lines, vec![1, 2, 3, 5]);
    assert!(matches!(p.packages[0].pin, Pin::Unpinned { .. }));
}

#[test]
fn warnings_quote_a_short_escaped_excerpt_of_the_line() {
    let long = format!("bad \u{1b}[2J line {}", "SECRET".repeat(100));
    let p = one(&format!("flask==1.0\n{long}\n--weird{}\n", "x".repeat(500)));
    assert_eq!(p.warnings.len(), 2, "{:?}", p.warnings);
    for w in &p.warnings {
        // At most two excerpts (the line, the clause that failed) and the words.
        assert!(
            w.message.len() < 2 * crate::text::EXCERPT_CHARS + 120,
            "{}",
            w.message
        );
        assert!(!w.message.contains(&"SECRET".repeat(12)), "{}", w.message);
        assert!(!w.message.contains('\u{1b}'), "{}", w.message);
    }
    assert!(
        p.warnings[0]
            .message
            .starts_with("cannot read requirement \"bad \\u{1b}[2J line SECRETSECRET"),
        "{}",
        p.warnings[0].message
    );
}

#[cfg(unix)]
#[test]
fn includes_leaving_the_root_are_errors_at_the_including_line() {
    use crate::{ConfinedFiles, Confinement, parse_file};
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("root");
    std::fs::create_dir_all(root.join("svc")).unwrap();
    std::fs::write(outer.path().join("outside.txt"), "django==1.11\n").unwrap();
    std::fs::write(root.join("base.txt"), "-r ../outside.txt\n").unwrap();
    let files = ConfinedFiles {
        confinement: Confinement::new(std::slice::from_ref(&root), false),
    };
    let req = root.join("svc/requirements.txt");
    std::fs::write(&req, "flask==1.0\n-r ../../outside.txt\n").unwrap();
    let e = parse_file(FileKind::Requirements, &req, &files).unwrap_err();
    assert_eq!(e.line, Some(2));
    assert!(
        e.message
            .starts_with("included file \"../../outside.txt\": resolves to "),
        "{}",
        e.message
    );
    // Through an include inside the root: located by the nested file's line.
    std::fs::write(&req, "flask==1.0\n-r ../base.txt\n").unwrap();
    let e = parse_file(FileKind::Requirements, &req, &files).unwrap_err();
    assert_eq!(e.line, None);
    assert!(
        e.message.starts_with(&format!(
            "included file \"../outside.txt\" (line 1 of {}): resolves to ",
            root.join("svc/../base.txt").display()
        )),
        "{}",
        e.message
    );
    // A missing include stays a warning.
    std::fs::write(&req, "flask==1.0\n-r missing.txt\n").unwrap();
    let p = parse_file(FileKind::Requirements, &req, &files).unwrap();
    assert!(p.warnings[0].message.contains("no such file"));
}

/// An included file (and a constraints file) that starts with a byte-order mark
/// gives the same packages, at the same lines, as without it.
#[test]
fn included_files_may_start_with_a_bom() {
    let files = |bom: &str| {
        parse_mem(
            &[
                (
                    "svc/requirements.txt",
                    "-r base.txt\n-c constraints.txt\nrequests\n",
                ),
                ("svc/base.txt", &format!("{bom}six==1.16.0\nidna==3.7\n")),
                ("svc/constraints.txt", &format!("{bom}requests==2.31.0\n")),
            ],
            "svc/requirements.txt",
        )
    };
    let plain = files("");
    let bom = files("\u{feff}");
    assert_eq!(
        summary(&bom),
        pairs(&[("six", "1.16.0"), ("idna", "3.7"), ("requests", "2.31.0")])
    );
    assert_eq!(summary(&bom), summary(&plain));
    let lines = |p: &crate::Parsed| p.packages.iter().map(|x| x.line).collect::<Vec<_>>();
    assert_eq!(lines(&bom), lines(&plain));
    assert!(bom.warnings.is_empty(), "{:?}", bom.warnings);
}

/// Found by the fuzz target `inv_requirements` (docs/fuzzing.md): an option
/// followed by a multi-byte character, or separated from its value by one,
/// panicked slicing a string inside that character.
#[test]
fn options_beside_multibyte_characters_are_read_not_panicked_on() {
    let p = one("-\u{e9}\nflask==2.0.1\n");
    assert_eq!(summary(&p), pairs(&[("flask", "2.0.1")]));
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    assert_eq!(p.warnings[0].line, Some(1));
    // U+3000 (ideographic space, three bytes) separates an option from its value.
    let p = parse_mem(
        &[
            ("r.txt", "-r\u{3000}other.txt\n"),
            ("other.txt", "six==1.16.0\n"),
        ],
        "r.txt",
    );
    assert_eq!(summary(&p), pairs(&[("six", "1.16.0")]));
    let p = one("-r\u{e9}.txt\n");
    assert!(p.packages.is_empty());
    assert!(
        p.warnings.iter().any(|w| w.message.contains("\u{e9}.txt")),
        "{:?}",
        p.warnings
    );
}
