//! Arbitrary text through every language's scanner: no panic, and every line of
//! evidence is a line of the text.

use std::path::Path;

use cverun_reach::{Lang, Target, scan_text};
use cverun_versions::Ecosystem;
use proptest::prelude::*;

fn targets() -> Vec<(Lang, Target)> {
    vec![
        (
            Lang::Python,
            Target::new(Ecosystem::PyPI, "pyyaml").with_symbols(["yaml.full_load"]),
        ),
        (Lang::Python, Target::new(Ecosystem::PyPI, "protobuf")),
        (
            Lang::JavaScript,
            Target::new(Ecosystem::Npm, "lodash").with_symbols(["template"]),
        ),
        (Lang::JavaScript, Target::new(Ecosystem::Npm, "@s/x")),
        (
            Lang::Rust,
            Target::new(Ecosystem::CratesIo, "smallvec")
                .with_symbols(["smallvec::SmallVec::insert_many", "a::<T>::b<U>"]),
        ),
        (
            Lang::Go,
            Target::new(Ecosystem::Go, "golang.org/x/net")
                .with_import_paths(["golang.org/x/net/http2"])
                .with_symbols(["(*Server).ServeConn"]),
        ),
    ]
}

/// Fragments that exercise the tokenizers' states.
const FRAGMENTS: &[&str] = &[
    "import ",
    "from ",
    " as ",
    "yaml",
    "google",
    ".",
    "protobuf",
    ",",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "'",
    "\"",
    "`",
    "'''",
    "\"\"\"",
    "${",
    "#",
    "//",
    "/*",
    "*/",
    "/",
    "\\",
    "\n",
    "\r\n",
    " ",
    "\t",
    "require",
    "export",
    "use ",
    "::",
    "smallvec",
    "extern crate ",
    "r#\"",
    "\"#",
    "b'",
    "'a",
    "lodash",
    "@s/x",
    "golang.org/x/net/http2",
    "_",
    "é",
    "\u{1F600}",
    "importlib.import_module",
    "__import__",
    ";",
    "<",
    ">",
    "=",
    "*",
    "insert_many",
    "ServeConn",
    "full_load",
    "f'",
    "rb\"",
    "return /",
    "x = /",
];

fn check(text: &str) {
    let line_count = text.split('\n').count() as u32;
    for lang in Lang::ALL {
        for (_, target) in targets() {
            let f = scan_text(lang, Path::new("f"), text, &target);
            for e in f.imports.iter().chain(&f.symbols).chain(&f.dynamic_imports) {
                assert!(
                    e.line >= 1 && e.line <= line_count,
                    "line {} of {line_count}",
                    e.line
                );
                assert!(e.text.chars().count() <= cverun_reach::MAX_EVIDENCE_CHARS + 3);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        check(&text);
    }

    #[test]
    fn arbitrary_bytes_as_lossy_text_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn token_soup_never_panics(parts in proptest::collection::vec(0usize..FRAGMENTS.len(), 0..120)) {
        let text: String = parts.iter().map(|&i| FRAGMENTS[i]).collect();
        check(&text);
    }
}

#[test]
fn each_language_finds_its_import_in_a_soup() {
    // Sanity: the generator's fragments can form real imports.
    let f = scan_text(Lang::Python, Path::new("f"), "import yaml", &targets()[0].1);
    assert_eq!(f.imports.len(), 1);
    let f = scan_text(
        Lang::Go,
        Path::new("f"),
        "import \"golang.org/x/net/http2\"",
        &targets()[5].1,
    );
    assert_eq!(f.imports.len(), 1);
}
