use super::*;
use crate::rewrite::rewrite;
use crate::rewrite::testing::{bump, pins, refused, rewrite_checked, shared};
use cverun_inventory::FileKind;
use cverun_versions::Ecosystem;

fn go(name: &str, from: &str, to: &str) -> Bump {
    bump(Ecosystem::Go, name, from, to)
}

#[test]
fn require_block_from_the_corpus() {
    let Some((_, text)) = shared(
        cverun_testkit::test_name!(),
        "corpus/microservices-demo@2021-06/src/productcatalogservice/go.mod",
    ) else {
        return;
    };
    // Line 16: a pseudo-version; the bump spells the fix without `v`.
    let (edit, parsed) = rewrite_checked(
        FileKind::GoMod,
        "go.mod",
        &text,
        &go(
            "golang.org/x/net",
            "v0.0.0-20190628185345-da137c7871d7",
            "0.7.0",
        ),
        &[16],
    );
    assert!(edit.text.contains("\tgolang.org/x/net v0.7.0\n"));
    assert_eq!(
        edit.summary,
        "golang.org/x/net v0.0.0-20190628185345-da137c7871d7 -> v0.7.0 (line 16)"
    );
    assert_eq!(pins(&parsed, "golang.org/x/net"), ["v0.7.0"]);
    // Line 19 keeps its `// indirect`.
    let (edit, _) = rewrite_checked(
        FileKind::GoMod,
        "go.mod",
        &text,
        &go("google.golang.org/appengine", "v1.6.1", "v1.6.8"),
        &[19],
    );
    assert!(
        edit.text
            .contains("\tgoogle.golang.org/appengine v1.6.8 // indirect\n")
    );
}

#[test]
fn single_line_require_crlf_no_final_newline() {
    let text = "module example.com/m\r\n\r\ngo 1.21\r\n\r\nrequire golang.org/x/text v0.3.7 // indirect\r\nrequire golang.org/x/crypto v0.1.0";
    let (edit, parsed) = rewrite_checked(
        FileKind::GoMod,
        "go.mod",
        text,
        &go("golang.org/x/crypto", "v0.1.0", "v0.17.0"),
        &[6],
    );
    assert!(edit.text.ends_with("require golang.org/x/crypto v0.17.0"));
    assert_eq!(pins(&parsed, "golang.org/x/crypto"), ["v0.17.0"]);
    rewrite_checked(
        FileKind::GoMod,
        "go.mod",
        text,
        &go("golang.org/x/text", "v0.3.7", "v0.3.8"),
        &[5],
    );
    // A requirement already at or above the fix (minimal version selection picked more).
    assert_eq!(
        rewrite(
            FileKind::GoMod,
            text,
            &go("golang.org/x/text", "v0.3.6", "v0.3.7")
        ),
        Ok(None)
    );
}

#[test]
fn replaced_modules_are_refused() {
    let Some((_, text)) = shared(
        cverun_testkit::test_name!(),
        "fixtures/lockfiles/golang/gomod/replace-one.mod",
    ) else {
        return;
    };
    let r = refused(
        FileKind::GoMod,
        &text,
        &go("golang.org/x/net", "v1.4.5", "v1.4.6"),
    );
    assert_eq!(
        r.reason,
        "go.mod line 5: golang.org/x/net is replaced by example.com/fork/net v1.4.5; the require version is not what is built"
    );
    assert_eq!(
        r.manual.as_deref(),
        Some(
            "change or remove the replace directive at go.mod line 5, then run `go get golang.org/x/net@v1.4.6`"
        )
    );
    let r = refused(
        FileKind::GoMod,
        &text,
        &go("golang.org/x/net", "v1.4.6", "v1.4.5"),
    );
    assert!(r.reason.contains("downgrade"));
}
