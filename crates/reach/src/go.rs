//! Go: the lines that import a package of a module.
//!
//! **Import paths.** Advisories of the Go database name the vulnerable packages
//! (`ecosystem_specific.imports[].path`, `golang.org/x/net/http2`); when given,
//! those are looked for, else the module path, which covers every package of the
//! module (`golang.org/x/net` covers `golang.org/x/net/http2`). The standard
//! library (`stdlib`) can only be checked through the advisory's import paths
//! (`net/http`), and the toolchain (`toolchain`: the `go` command, the compiler) is
//! never imported by code.
//!
//! **Imports** recognised (comments and strings elsewhere never count): import
//! declarations, single or grouped, with or without a name (`h "net/http"`,
//! `_ "net/http/pprof"`, `. "net/http"`), with interpreted or raw (`` `x` ``) path
//! strings. A path is imported when it equals a looked-for path or starts with it
//! followed by `/`. Go import paths are case-sensitive.

use crate::Found;
use crate::lex::{Tok, Token};

/// The import paths to look for, or why the target cannot be checked.
pub fn import_paths_for(module: &str, import_paths: &[String]) -> Result<Vec<String>, String> {
    let module = module.trim();
    if module == "toolchain" {
        return Err("the Go toolchain is not imported by code: reachability does not apply".into());
    }
    let mut out: Vec<String> = Vec::new();
    for p in import_paths {
        let p = p.trim().trim_end_matches('/');
        if !p.is_empty() && !out.iter().any(|o| o == p) {
            out.push(p.to_owned());
        }
    }
    if !out.is_empty() {
        return Ok(out);
    }
    if module == "stdlib" {
        return Err(
            "the advisory names no standard-library package (import path) to look for".into(),
        );
    }
    Ok(vec![module.trim_end_matches('/').to_owned()])
}

/// Whether import path `path` is `wanted` or a package below it.
pub(crate) fn path_matches(path: &str, wanted: &str) -> bool {
    let (p, w) = (path.as_bytes(), wanted.as_bytes());
    !w.is_empty() && p.starts_with(w) && (p.len() == w.len() || p[w.len()] == b'/')
}

fn tok<'a>(tokens: &[Token<'a>], i: usize) -> Option<Tok<'a>> {
    tokens.get(i).map(|t| t.tok)
}

/// Scans Go tokens for imports of any of `paths`.
pub(crate) fn scan(tokens: &[Token<'_>], paths: &[String], found: &mut Found) {
    let hit = |p: &str| paths.iter().any(|w| path_matches(p, w));
    // One import spec at `i`: `[name] "path"`. Returns the index after it.
    let spec = |i: usize, found: &mut Found| -> Option<usize> {
        let (at, next) = match tok(tokens, i)? {
            Tok::Str { .. } => (i, i + 1),
            Tok::Word(_) | Tok::Punct(b'.') => match tok(tokens, i + 1)? {
                Tok::Str { .. } => (i + 1, i + 2),
                _ => return None,
            },
            _ => return None,
        };
        if let Some(Tok::Str { text, .. }) = tok(tokens, at)
            && hit(text.trim())
        {
            found.imports.push(tokens[at].line);
        }
        Some(next)
    };
    for i in 0..tokens.len() {
        if tokens[i].tok != Tok::Word("import") {
            continue;
        }
        if tok(tokens, i + 1) == Some(Tok::Punct(b'(')) {
            let mut j = i + 2;
            loop {
                match tok(tokens, j) {
                    Some(Tok::Punct(b';')) => j += 1,
                    Some(Tok::Punct(b')')) | None => break,
                    Some(_) => match spec(j, found) {
                        Some(n) => j = n,
                        None => break,
                    },
                }
            }
        } else {
            spec(i + 1, found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Lang, Target, scan_text};
    use cverun_versions::Ecosystem;
    use std::path::Path;

    fn lines(src: &str, module: &str, paths: &[&str]) -> Vec<u32> {
        let t = Target::new(Ecosystem::Go, module).with_import_paths(paths.iter().copied());
        scan_text(Lang::Go, Path::new("m.go"), src, &t)
            .imports
            .iter()
            .map(|e| e.line)
            .collect()
    }

    #[test]
    fn paths_to_look_for() {
        assert_eq!(
            import_paths_for("golang.org/x/net", &[]).unwrap(),
            ["golang.org/x/net"]
        );
        assert_eq!(
            import_paths_for(
                "golang.org/x/net",
                &[
                    "golang.org/x/net/http2".into(),
                    " golang.org/x/net/http2/ ".into()
                ]
            )
            .unwrap(),
            ["golang.org/x/net/http2"]
        );
        assert_eq!(
            import_paths_for("stdlib", &["net/http".into()]).unwrap(),
            ["net/http"]
        );
        assert!(import_paths_for("stdlib", &[]).is_err());
        assert!(import_paths_for("stdlib", &[" ".into()]).is_err());
        assert!(import_paths_for("toolchain", &["cmd/go".into()]).is_err());
    }

    #[test]
    fn import_forms() {
        let x = "golang.org/x/net";
        assert_eq!(
            lines("package m\nimport \"golang.org/x/net/http2\"\n", x, &[]),
            [2]
        );
        assert_eq!(
            lines(
                "import (\n\t\"fmt\"\n\n\th2 \"golang.org/x/net/http2\"\n)\n",
                x,
                &[]
            ),
            [4]
        );
        assert_eq!(lines("import _ \"golang.org/x/net/http2\"", x, &[]), [1]);
        assert_eq!(lines("import . \"golang.org/x/net\"", x, &[]), [1]);
        assert_eq!(lines("import `golang.org/x/net/http2`", x, &[]), [1]);
        assert_eq!(
            lines("import (\"fmt\"; \"golang.org/x/net/idna\")", x, &[]),
            [1]
        );
        assert_eq!(
            lines(
                "import (\n\"golang.org/x/net/http2\"\n)",
                x,
                &["golang.org/x/net/http2"]
            ),
            [2]
        );
        assert_eq!(
            lines(
                "import (\n\"golang.org/x/net/http2/hpack\"\n)",
                x,
                &["golang.org/x/net/http2"]
            ),
            [2]
        );
        assert_eq!(lines("import \"net/http\"", "stdlib", &["net/http"]), [1]);
    }

    #[test]
    fn not_imports() {
        let x = "golang.org/x/net";
        // Another package of the module than the advisory names.
        assert!(
            lines(
                "import \"golang.org/x/net/idna\"",
                x,
                &["golang.org/x/net/http2"]
            )
            .is_empty()
        );
        // Similar prefixes, case.
        assert!(lines("import \"golang.org/x/netx\"", x, &[]).is_empty());
        assert!(lines("import \"golang.org/x/Net\"", x, &[]).is_empty());
        assert!(
            lines(
                "import \"net/http/httptest\"",
                "stdlib",
                &["net/http/pprof"]
            )
            .is_empty()
        );
        assert!(lines("import \"net/httpx\"", "stdlib", &["net/http"]).is_empty());
        // Comments and strings elsewhere.
        assert!(lines("// import \"golang.org/x/net\"", x, &[]).is_empty());
        assert!(lines("/* import \"golang.org/x/net\" */", x, &[]).is_empty());
        assert!(lines("var s = \"golang.org/x/net\"", x, &[]).is_empty());
        assert!(lines("var s = `\nimport \"golang.org/x/net\"\n`", x, &[]).is_empty());
    }
}
