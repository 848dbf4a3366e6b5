//! Reachability on the example fleet (`examples/fleet`), with the packages its
//! services pin and the advisories of `examples/advisories`.

use std::path::{Path, PathBuf};

use cverun_reach::{Evidence, Reach, SymbolReach, Target, reach, reach_all};
use cverun_versions::Ecosystem;

fn service(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/fleet")
        .join(name)
}

fn ev(file: &str, line: u32, text: &str) -> Evidence {
    Evidence {
        file: PathBuf::from(file),
        line,
        text: text.to_owned(),
    }
}

#[test]
fn storefront_imports_pyyaml_as_yaml() {
    // EXAMPLE-2020-0001 (CVE-2020-14343) is about `full_load`; the record names no
    // function, so it is passed here to show the symbol check.
    let t = Target::new(Ecosystem::PyPI, "pyyaml").with_symbols(["yaml.full_load"]);
    assert_eq!(
        reach(&service("storefront"), &t),
        Reach::Imported {
            imports: vec![ev("app.py", 2, "import yaml")],
            symbols: SymbolReach::Found(vec![ev("app.py", 11, "return yaml.full_load(f)")]),
            files_scanned: 1,
        }
    );
    let t = Target::new(Ecosystem::PyPI, "pyyaml");
    match reach(&service("storefront"), &t) {
        Reach::Imported { symbols, .. } => assert_eq!(symbols, SymbolReach::NotNamed),
        other => panic!("{other:?}"),
    }
}

#[test]
fn storefront_declares_packages_it_does_not_import() {
    let dir = service("storefront");
    let targets = [
        Target::new(Ecosystem::PyPI, "jinja2"),
        Target::new(Ecosystem::PyPI, "requests"),
        Target::new(Ecosystem::PyPI, "legacy-feeds"),
        Target::new(Ecosystem::PyPI, "flask"),
    ];
    let r = reach_all(&dir, &targets);
    assert_eq!(
        r[0],
        Reach::NotImported {
            files_scanned: 1,
            looked_for: vec!["jinja2".into()],
            dynamic_imports: vec![],
        }
    );
    assert!(r[1].is_not_imported());
    assert_eq!(
        r[2],
        Reach::NotImported {
            files_scanned: 1,
            looked_for: vec![
                "legacy_feeds".into(),
                "legacy.feeds".into(),
                "legacy-feeds".into()
            ],
            dynamic_imports: vec![],
        }
    );
    assert_eq!(
        r[3],
        Reach::Imported {
            imports: vec![ev("app.py", 3, "from flask import Flask")],
            symbols: SymbolReach::NotNamed,
            files_scanned: 1,
        }
    );
}

#[test]
fn web_gets_lodash_only_through_async() {
    let lodash = Target::new(Ecosystem::Npm, "lodash").with_symbols(["template"]);
    let r = reach(&service("web"), &lodash);
    assert_eq!(
        r,
        Reach::NotImported {
            files_scanned: 1,
            looked_for: vec!["lodash".into()],
            dynamic_imports: vec![],
        }
    );
    assert!(r.to_string().contains("its dependencies may still use it"));
    let r = reach(&service("web"), &Target::new(Ecosystem::Npm, "async"));
    assert_eq!(
        r,
        Reach::Imported {
            imports: vec![ev("src/index.js", 2, "const async = require(\"async\");")],
            symbols: SymbolReach::NotNamed,
            files_scanned: 1,
        }
    );
}

#[test]
fn ledger_calls_smallvec_insert_many() {
    let t = Target::new(Ecosystem::CratesIo, "smallvec")
        .with_symbols(["smallvec::SmallVec::insert_many"]);
    assert_eq!(
        reach(&service("ledger"), &t),
        Reach::Imported {
            imports: vec![ev("src/main.rs", 2, "use smallvec::SmallVec;")],
            symbols: SymbolReach::Found(vec![ev(
                "src/main.rs",
                6,
                "batch.insert_many(0, [1, 2, 3]);"
            )]),
            files_scanned: 1,
        }
    );
    // ansi_term is used through a path, without `use`; serde is declared only.
    let r = reach_all(
        &service("ledger"),
        &[
            Target::new(Ecosystem::CratesIo, "ansi_term"),
            Target::new(Ecosystem::CratesIo, "serde"),
        ],
    );
    match &r[0] {
        Reach::Imported { imports, .. } => {
            assert_eq!(imports.len(), 1);
            assert_eq!(
                (imports[0].file.as_path(), imports[0].line),
                (Path::new("src/main.rs"), 7)
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(r[1].is_not_imported());
}

#[test]
fn payments_imports_http2_and_net_http() {
    // EXAMPLE-2023-0005: golang.org/x/net, package golang.org/x/net/http2, symbol
    // Server.ServeConn. The code imports http2 but never writes ServeConn: it calls
    // http2.ConfigureServer, through which net/http's server calls ServeConn for
    // every HTTP/2 connection. The textual check can only say "no direct use", which
    // is why NotFound is never read as "not affected".
    let x = Target::new(Ecosystem::Go, "golang.org/x/net")
        .with_import_paths(["golang.org/x/net/http2"])
        .with_symbols(["Server.ServeConn"]);
    let r = reach(&service("payments"), &x);
    assert_eq!(
        r,
        Reach::Imported {
            imports: vec![ev("main.go", 7, "\"golang.org/x/net/http2\"")],
            symbols: SymbolReach::NotFound(vec!["Server.ServeConn".into()]),
            files_scanned: 1,
        }
    );
    assert!(r.to_string().contains("may still call it itself"));

    // The module path alone covers http2 as well.
    let module = Target::new(Ecosystem::Go, "golang.org/x/net");
    assert!(reach(&service("payments"), &module).is_imported());

    // stdlib: net/http, symbols ListenAndServe and Serve. The code calls
    // ListenAndServeTLS, a different word: textually, no direct use.
    let std = Target::new(Ecosystem::Go, "stdlib")
        .with_import_paths(["net/http"])
        .with_symbols(["ListenAndServe", "Serve"]);
    assert_eq!(
        reach(&service("payments"), &std),
        Reach::Imported {
            imports: vec![ev("main.go", 5, "\"net/http\"")],
            symbols: SymbolReach::NotFound(vec!["ListenAndServe".into(), "Serve".into()]),
            files_scanned: 1,
        }
    );

    // Without import paths the standard library cannot be checked.
    match reach(&service("payments"), &Target::new(Ecosystem::Go, "stdlib")) {
        Reach::Unknown { reason } => assert!(reason.contains("standard-library"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // golang.org/x/text is required indirectly and never imported.
    assert!(
        reach(
            &service("payments"),
            &Target::new(Ecosystem::Go, "golang.org/x/text")
        )
        .is_not_imported()
    );
}

#[test]
fn other_ecosystems_and_languages_are_unknown() {
    let log4j = Target::new(Ecosystem::Maven, "org.apache.logging.log4j:log4j-core");
    assert_eq!(
        reach(&service("reporting"), &log4j),
        Reach::Unknown {
            reason: "reachability is not checked for Maven yet".into()
        }
    );
    let nokogiri = Target::new(Ecosystem::RubyGems, "nokogiri");
    assert!(matches!(
        reach(&service("mailer"), &nokogiri),
        Reach::Unknown { .. }
    ));
    // A service with no Python code cannot say it does not import a PyPI package.
    match reach(&service("web"), &Target::new(Ecosystem::PyPI, "pyyaml")) {
        Reach::Unknown { reason } => {
            assert_eq!(reason, "no Python source file in the service directory")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn answers_serialise_to_json() {
    let t = Target::new(Ecosystem::CratesIo, "smallvec")
        .with_symbols(["smallvec::SmallVec::insert_many"]);
    let json = serde_json::to_value(reach(&service("ledger"), &t)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "reach": "imported",
            "imports": [{"file": "src/main.rs", "line": 2, "text": "use smallvec::SmallVec;"}],
            "symbols": {
                "status": "found",
                "detail": [{"file": "src/main.rs", "line": 6, "text": "batch.insert_many(0, [1, 2, 3]);"}]
            },
            "files_scanned": 1
        })
    );
    let json = serde_json::to_value(reach(
        &service("web"),
        &Target::new(Ecosystem::Npm, "lodash"),
    ))
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!({"reach": "not_imported", "files_scanned": 1, "looked_for": ["lodash"]})
    );
    let json = serde_json::to_value(Reach::Imported {
        imports: vec![],
        symbols: SymbolReach::NotNamed,
        files_scanned: 0,
    })
    .unwrap();
    assert_eq!(json["symbols"], serde_json::json!({"status": "not_named"}));
}
