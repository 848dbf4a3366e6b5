use super::*;
use crate::rewrite::rewrite;
use crate::rewrite::testing::{bump, pins, refused, rewrite_checked, shared};
use cverun_inventory::FileKind;

fn krate(name: &str, from: &str, to: &str) -> Bump {
    bump(Ecosystem::CratesIo, name, from, to)
}

#[test]
fn shippingservice_from_the_corpus() {
    let Some((_, text)) = shared(
        cverun_testkit::test_name!(),
        "corpus/opentelemetry-demo@2024-06/src/shippingservice/Cargo.toml",
    ) else {
        return;
    };
    // Line 21: `tokio = { version = "1.36", features = [...] }`.
    let (edit, parsed) = rewrite_checked(
        FileKind::CargoToml,
        "Cargo.toml",
        &text,
        &krate("tokio", "1.36.0", "1.38.2"),
        &[21],
    );
    assert_eq!(edit.summary, "tokio 1.36 -> 1.38.2 (line 21)");
    assert_eq!(pins(&parsed, "tokio"), ["1.38.2"]);
    // Line 36: `version = "1.8.0"` of `[dependencies.uuid]`.
    let (_, parsed) = rewrite_checked(
        FileKind::CargoToml,
        "Cargo.toml",
        &text,
        &krate("uuid", "1.8.0", "1.10.0"),
        &[36],
    );
    assert_eq!(pins(&parsed, "uuid"), ["1.10.0"]);
    // Line 23, named with `_` in the file and `-` in the bump.
    rewrite_checked(
        FileKind::CargoToml,
        "Cargo.toml",
        &text,
        &krate("opentelemetry-sdk", "0.22.1", "0.22.2"),
        &[23],
    );
    // The build dependency on line 44.
    rewrite_checked(
        FileKind::CargoToml,
        "Cargo.toml",
        &text,
        &krate("tonic-build", "0.11.0", "0.11.1"),
        &[44],
    );
}

#[test]
fn targets_renames_exact_crlf_no_final_newline() {
    let text = "[package]\r\nname = 'x'\r\n\r\n[dependencies]\r\nh2 = \"=0.3.20\" # pinned for now\r\nhttp1 = { package = \"h2\", version = '0.3', optional = true }\r\n\r\n[target.'cfg(unix)'.dev-dependencies]\r\nh2 = { version = \"^0.3.20\" }\r\n\r\n[dev-dependencies]\r\nh2 = \"0.4\"";
    let (edit, parsed) = rewrite_checked(
        FileKind::CargoToml,
        "Cargo.toml",
        text,
        &krate("h2", "0.3.20", "0.3.26"),
        &[5, 6, 9],
    );
    assert!(edit.text.ends_with("h2 = \"0.4\""));
    assert!(edit.text.contains("h2 = \"=0.3.26\" # pinned for now\r\n"));
    assert!(edit.text.contains("version = '0.3.26', optional"));
    assert_eq!(
        edit.summary,
        "h2 =0.3.20 -> =0.3.26 (line 5); http1 (package h2) 0.3 -> 0.3.26 (line 6); h2 ^0.3.20 -> ^0.3.26 (line 9)"
    );
    let mut got = pins(&parsed, "h2");
    got.sort();
    assert_eq!(got, ["0.3.26", "0.3.26", "0.4", "^0.3.26"]);
}

#[test]
fn workspace_dependencies_of_a_root() {
    let text = "[workspace]\nmembers = [\"a\"]\n\n[workspace.dependencies]\nserde = { version = \"1.0.100\", features = [\"derive\"] }\n";
    rewrite_checked(
        FileKind::CargoToml,
        "Cargo.toml",
        text,
        &krate("serde", "1.0.100", "1.0.130"),
        &[5],
    );
}

#[test]
fn refusals() {
    let b = krate("h2", "0.3.20", "0.3.26");
    let r = refused(
        FileKind::CargoToml,
        "[package]\nname = 'x'\n[dependencies]\nh2.workspace = true\n",
        &b,
    );
    assert_eq!(
        r.reason,
        "Cargo.toml line 4: h2 is inherited from the workspace (workspace = true)"
    );
    assert_eq!(
        r.manual.as_deref(),
        Some(
            "edit [workspace.dependencies] h2 in the workspace root's Cargo.toml so that it requires 0.3.26"
        )
    );
    let r = refused(
        FileKind::CargoToml,
        "[package]\nname = 'x'\n[dependencies]\nh2 = { git = 'https://example.invalid/h2' }\n",
        &b,
    );
    assert!(r.reason.contains("comes from git or a path"));
    let r = refused(
        FileKind::CargoToml,
        "[dependencies]\nh2 = \">=0.3, <0.3.25\"\n",
        &b,
    );
    assert!(r.reason.ends_with("`<0.3.25` excludes it"), "{}", r.reason);
    let r = refused(
        FileKind::CargoToml,
        "[dependencies]\nh2 = \"0.3.20\"\n",
        &krate("h2", "0.3.26", "0.3.20"),
    );
    assert!(r.reason.contains("downgrade"));
    let r = refused(
        FileKind::CargoToml,
        "[dependencies]\nh2 = \"0.3\\u002e20\"\n",
        &b,
    );
    assert!(r.reason.contains("escapes"), "{}", r.reason);
}

#[test]
fn nothing_to_change() {
    let b = krate("h2", "0.3.20", "0.3.26");
    for text in [
        "[dependencies]\nh2 = \"*\"\n",
        "[dependencies]\nh2 = \"0.3.26\"\n",
        "[dependencies]\nhttp = \"0.2\"\n",
        "[dependencies]\nh2 = { path = '../h2', version = '0.3.26' }\n",
    ] {
        assert_eq!(rewrite(FileKind::CargoToml, text, &b), Ok(None), "{text}");
    }
}
