//! Reachability on trees built on disk: what is walked, what is skipped, and that
//! anything not read gives Unknown, never NotImported.

use std::fs;
use std::path::Path;

use cverun_reach::{MAX_FILE_SIZE, Reach, SymbolReach, Target, reach, reach_all};
use cverun_versions::Ecosystem;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

fn yaml() -> Target {
    Target::new(Ecosystem::PyPI, "pyyaml")
}

fn unknown_reason(r: Reach) -> String {
    match r {
        Reach::Unknown { reason } => reason,
        other => panic!("expected Unknown, got {other:?}"),
    }
}

#[test]
fn absent_or_not_a_directory_is_unknown() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("nope");
    let reason = unknown_reason(reach(&missing, &yaml()));
    assert!(
        reason.starts_with("the service directory cannot be read"),
        "{reason}"
    );
    write(d.path(), "file.py", "import os\n");
    let reason = unknown_reason(reach(&d.path().join("file.py"), &yaml()));
    assert_eq!(reason, "the service path is not a directory");
    // An unsupported ecosystem says so even when the directory is missing.
    let maven = Target::new(Ecosystem::Maven, "g:a");
    assert!(unknown_reason(reach(&missing, &maven)).contains("not checked for Maven"));
}

#[test]
fn no_source_of_the_language_is_unknown() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "requirements.txt", "pyyaml==5.3.1\n");
    write(d.path(), "index.js", "require('yaml')\n");
    let reason = unknown_reason(reach(d.path(), &yaml()));
    assert_eq!(reason, "no Python source file in the service directory");
}

#[test]
fn skipped_directories_hidden_and_ignored_files() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(r, "app.py", "import json\n");
    for dir in [
        "node_modules/x",
        "vendor",
        "target",
        ".venv/lib",
        "venv/lib",
        "lib/site-packages",
        "dist",
        "build",
        ".git",
        ".hidden",
        "generated",
    ] {
        write(r, &format!("{dir}/m.py"), "import yaml\n");
    }
    write(r, ".gitignore", "generated/\n");
    assert_eq!(
        reach(r, &yaml()),
        Reach::NotImported {
            files_scanned: 1,
            looked_for: vec!["yaml".into(), "_yaml".into()],
            dynamic_imports: vec![],
        }
    );
    // The same file outside those directories is found.
    write(r, "src/build_tools.py", "import yaml\n");
    assert!(reach(r, &yaml()).is_imported());
}

#[test]
fn oversized_file_makes_not_imported_unknown() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(r, "app.py", "import json\n");
    let big = "x = 1\n".repeat((MAX_FILE_SIZE as usize) / 6 + 10);
    write(r, "generated_pb2.py", &big);
    let reason = unknown_reason(reach(r, &yaml()));
    assert!(reason.contains("generated_pb2.py"), "{reason}");
    assert!(reason.contains("MiB"), "{reason}");
    assert!(
        reason.contains("none of the 1 Python file read imports yaml"),
        "{reason}"
    );
    // An import found elsewhere still counts; the symbol answer becomes Unknown.
    write(r, "app.py", "import yaml\n");
    let t = yaml().with_symbols(["full_load"]);
    match reach(r, &t) {
        Reach::Imported { symbols, .. } => {
            assert!(
                matches!(symbols, SymbolReach::Unknown { .. }),
                "{symbols:?}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[cfg(unix)]
#[test]
fn unreadable_files_are_never_not_imported() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(r, "app.py", "import json\n");
    write(r, "secret.py", "import yaml\n");
    let p = r.join("secret.py");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o000)).unwrap();
    let denied = fs::read(&p).is_err(); // false when tests run as root
    let answer = reach(r, &yaml());
    if denied {
        let reason = unknown_reason(answer);
        assert!(reason.contains("secret.py"), "{reason}");
    } else {
        assert!(answer.is_imported(), "{answer:?}");
    }
    // Every file unreadable: Unknown as well.
    let p2 = r.join("app.py");
    fs::set_permissions(&p2, fs::Permissions::from_mode(0o000)).unwrap();
    let answer = reach(r, &Target::new(Ecosystem::PyPI, "requests"));
    if denied {
        let reason = unknown_reason(answer);
        assert!(
            reason.starts_with("2 files or directories could not be read"),
            "{reason}"
        );
    } else {
        assert!(answer.is_not_imported());
    }
    fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
    fs::set_permissions(&p2, fs::Permissions::from_mode(0o644)).unwrap();
}

#[cfg(unix)]
#[test]
fn unreadable_directory_is_never_not_imported() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(r, "app.py", "import json\n");
    write(r, "pkg/m.py", "import yaml\n");
    let p = r.join("pkg");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o000)).unwrap();
    let denied = fs::read_dir(&p).is_err();
    let answer = reach(r, &yaml());
    fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    if denied {
        let reason = unknown_reason(answer);
        assert!(reason.contains("pkg"), "{reason}");
    } else {
        assert!(answer.is_imported());
    }
}

#[cfg(unix)]
#[test]
fn links_out_of_the_service_are_not_followed_and_not_ignored() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "shared/util.py", "import yaml\n");
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(r, "app.py", "import json\n");
    std::os::unix::fs::symlink(outside.path().join("shared"), r.join("shared")).unwrap();
    let reason = unknown_reason(reach(r, &yaml()));
    assert!(
        reason.contains("shared (a symbolic link out of the service"),
        "{reason}"
    );

    // A link to a file inside the service is covered by the file itself.
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(r, "app.py", "import json\n");
    std::os::unix::fs::symlink(r.join("app.py"), r.join("current.py")).unwrap();
    std::os::unix::fs::symlink(r.join("missing.py"), r.join("dangling.py")).unwrap();
    assert_eq!(
        reach(r, &yaml()),
        Reach::NotImported {
            files_scanned: 1,
            looked_for: vec!["yaml".into(), "_yaml".into()],
            dynamic_imports: vec![],
        }
    );
}

#[test]
fn cargo_renames_and_npm_aliases_are_followed() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(
        r,
        "Cargo.toml",
        "[package]\nname = \"x\"\n\n[dependencies]\nsv = { version = \"1\", package = \"smallvec\" }\n",
    );
    write(r, "src/lib.rs", "use sv::SmallVec;\n");
    write(
        r,
        "package.json",
        "{\"dependencies\": {\"lodash4\": \"npm:lodash@^4.17.20\"}}\n",
    );
    write(r, "index.js", "const _ = require('lodash4/template');\n");
    let answers = reach_all(
        r,
        &[
            Target::new(Ecosystem::CratesIo, "smallvec"),
            Target::new(Ecosystem::Npm, "lodash"),
            Target::new(Ecosystem::CratesIo, "serde"),
        ],
    );
    for a in &answers[..2] {
        match a {
            Reach::Imported { imports, .. } => assert_eq!(imports[0].line, 1),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        answers[2],
        Reach::NotImported {
            files_scanned: 1,
            looked_for: vec!["serde".into()],
            dynamic_imports: vec![],
        }
    );
}

#[test]
fn many_targets_one_walk_in_order() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(r, "a/x.py", "from yaml import load\n");
    write(r, "b/y.py", "# nothing\nimport yaml.constructor\n");
    write(r, "c.go", "package c\nimport \"golang.org/x/net/html\"\n");
    write(r, "d.py", "m = importlib.import_module(name)\n");
    let answers = reach_all(
        r,
        &[
            yaml(),
            Target::new(Ecosystem::Go, "golang.org/x/net"),
            Target::new(Ecosystem::Maven, "g:a"),
            Target::new(Ecosystem::PyPI, "requests"),
        ],
    );
    assert_eq!(answers.len(), 4);
    match &answers[0] {
        Reach::Imported {
            imports,
            files_scanned,
            ..
        } => {
            let at: Vec<String> = imports
                .iter()
                .map(|e| format!("{}:{}", e.file.display(), e.line))
                .collect();
            assert_eq!(at, ["a/x.py:1", "b/y.py:2"]);
            assert_eq!(*files_scanned, 3);
        }
        other => panic!("{other:?}"),
    }
    assert!(answers[1].is_imported());
    assert!(matches!(answers[2], Reach::Unknown { .. }));
    match &answers[3] {
        Reach::NotImported {
            dynamic_imports, ..
        } => {
            assert_eq!(dynamic_imports.len(), 1);
            assert_eq!(dynamic_imports[0].text, "m = importlib.import_module(name)");
        }
        other => panic!("{other:?}"),
    }
}
