//! JavaScript and TypeScript: the lines that import an npm package.
//!
//! Imports recognised (comments, strings and regular expressions never count):
//!
//! - `require('x')`, `require("x/sub")`, `` require(`x`) ``, `require.resolve('x')`;
//! - `import ... from 'x'` (default, named over several lines, namespace, `type`),
//!   `import 'x'`, `import('x')`, `import x = require('x')` (TypeScript);
//! - `export ... from 'x'` (`export * from`, `export { a } from`, `export type`).
//!
//! A specifier is the package when it equals the package name or starts with it
//! followed by `/` (`lodash/template` is `lodash`; `lodash.template` and `lodash-es`
//! are other packages; scoped `@scope/pkg/sub` is `@scope/pkg`). Names are compared
//! ASCII case-insensitively (an old package may be published with capitals).
//! `require(path)`, `require('./a' + b)` or `` import(`./${x}`) `` with a computed
//! specifier is listed as a dynamic import.
//!
//! Bundler and `tsconfig` path aliases are not read: code importing the package
//! through such an alias is not seen.

use crate::Found;
use crate::lex::{Tok, Token};

/// Whether import specifier `spec` names `package` or a path inside it.
pub(crate) fn specifier_matches(spec: &str, package: &str) -> bool {
    let (s, p) = (spec.trim().as_bytes(), package.as_bytes());
    !p.is_empty()
        && s.len() >= p.len()
        && s[..p.len()].eq_ignore_ascii_case(p)
        && (s.len() == p.len() || s[p.len()] == b'/')
}

fn tok<'a>(tokens: &[Token<'a>], i: usize) -> Option<Tok<'a>> {
    tokens.get(i).map(|t| t.tok)
}

fn punct(tokens: &[Token<'_>], i: usize, p: u8) -> bool {
    matches!(tok(tokens, i), Some(Tok::Punct(c)) if c == p)
}

/// Scans JavaScript/TypeScript tokens for imports of any of `packages`.
pub(crate) fn scan(tokens: &[Token<'_>], packages: &[String], found: &mut Found) {
    let hit = |spec: &str| packages.iter().any(|p| specifier_matches(spec, p));
    // A call `(spec)` at `i`: a literal specifier, or a dynamic import.
    let call = |i: usize, line: u32, found: &mut Found| {
        if !punct(tokens, i, b'(') {
            return;
        }
        // A literal alone (or before import options: `import('x', { with })`).
        let alone = matches!(tok(tokens, i + 2), Some(Tok::Punct(b')' | b',')));
        match tok(tokens, i + 1) {
            Some(Tok::Str {
                text,
                dynamic: false,
            }) if alone => {
                if hit(text) {
                    found.imports.push(line);
                }
            }
            _ => found.dynamic.push(line),
        }
    };
    let mut clauses = Clauses::default();
    for i in 0..tokens.len() {
        let line = tokens[i].line;
        let after_dot = i > 0 && punct(tokens, i - 1, b'.');
        match tokens[i].tok {
            Tok::Word("require") if !after_dot => {
                if punct(tokens, i + 1, b'.') && tok(tokens, i + 2) == Some(Tok::Word("resolve")) {
                    call(i + 3, line, found);
                } else {
                    call(i + 1, line, found);
                }
            }
            Tok::Word("import") if !after_dot => match tok(tokens, i + 1) {
                Some(Tok::Punct(b'(')) => call(i + 1, line, found),
                Some(Tok::Str {
                    text,
                    dynamic: false,
                }) => {
                    if hit(text) {
                        found.imports.push(line);
                    }
                }
                _ => {
                    if let Some(spec) = clauses.spec(tokens, i + 1)
                        && hit(spec)
                    {
                        found.imports.push(line);
                    }
                }
            },
            Tok::Word("export") if !after_dot => {
                if let Some(spec) = clauses.spec(tokens, i + 1)
                    && hit(spec)
                {
                    found.imports.push(line);
                }
            }
            _ => {}
        }
    }
}

/// The specifier of an import or export clause starting at `i` (`x, { a as b } from
/// 'spec'`, `* as ns from 'spec'`, `type { T } from 'spec'`), if the clause ends in
/// `from 'spec'`, and the index where the walk stopped. Anything else
/// (`export const x = ...`) ends the clause.
fn from_clause<'a>(tokens: &[Token<'a>], mut i: usize) -> (Option<&'a str>, usize) {
    while let Some(t) = tok(tokens, i) {
        match t {
            Tok::Word("from") => {
                if let Some(Tok::Str {
                    text,
                    dynamic: false,
                }) = tok(tokens, i + 1)
                {
                    return (Some(text), i);
                }
                // `import { from } from 'x'`: a name.
            }
            Tok::Word(_) | Tok::Punct(b',' | b'{' | b'}' | b'*') => {}
            _ => return (None, i),
        }
        i += 1;
    }
    (None, i)
}

/// [`from_clause`] with the last walk remembered: the walk keeps no state, so a
/// start inside the stretch already walked ends the same way. Keeps the scan linear
/// on inputs like `export a a a ... export a a ...`.
#[derive(Default)]
struct Clauses<'a> {
    last: Option<(usize, usize, Option<&'a str>)>,
}

impl<'a> Clauses<'a> {
    fn spec(&mut self, tokens: &[Token<'a>], start: usize) -> Option<&'a str> {
        if let Some((from, to, spec)) = self.last
            && from <= start
            && start <= to
        {
            return spec;
        }
        let (spec, end) = from_clause(tokens, start);
        self.last = Some((start, end, spec));
        spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Lang, Target, scan_text};
    use cverun_versions::Ecosystem;
    use std::path::Path;

    fn lines(src: &str, pkg: &str) -> Vec<u32> {
        let t = Target::new(Ecosystem::Npm, pkg);
        scan_text(Lang::JavaScript, Path::new("m.ts"), src, &t)
            .imports
            .iter()
            .map(|e| e.line)
            .collect()
    }

    fn dynamic(src: &str) -> Vec<u32> {
        let t = Target::new(Ecosystem::Npm, "lodash");
        scan_text(Lang::JavaScript, Path::new("m.js"), src, &t)
            .dynamic_imports
            .iter()
            .map(|e| e.line)
            .collect()
    }

    #[test]
    fn specifiers() {
        assert!(specifier_matches("lodash", "lodash"));
        assert!(specifier_matches("lodash/fp/map", "lodash"));
        assert!(specifier_matches(" Lodash ", "lodash"));
        assert!(!specifier_matches("lodash.template", "lodash"));
        assert!(!specifier_matches("lodas", "lodash"));
        assert!(!specifier_matches("lodash", ""));
    }

    #[test]
    fn require_forms() {
        assert_eq!(lines("const _ = require('lodash');", "lodash"), [1]);
        assert_eq!(
            lines("const t = require(\"lodash/template\");", "lodash"),
            [1]
        );
        assert_eq!(lines("const t = require(`lodash`);", "lodash"), [1]);
        assert_eq!(lines("const p = require.resolve('lodash');", "lodash"), [1]);
        assert_eq!(lines("x = require ( 'lodash' )", "lodash"), [1]);
        assert_eq!(lines("import _ = require('lodash');", "lodash"), [1]);
    }

    #[test]
    fn import_and_export_forms() {
        assert_eq!(lines("import _ from 'lodash';", "lodash"), [1]);
        assert_eq!(lines("import * as _ from \"lodash\"", "lodash"), [1]);
        assert_eq!(lines("import _, { map } from 'lodash'", "lodash"), [1]);
        assert_eq!(
            lines(
                "\nimport {\n  map,\n  filter as f,\n} from 'lodash/fp';\n",
                "lodash"
            ),
            [2]
        );
        assert_eq!(lines("import type { T } from 'lodash'", "lodash"), [1]);
        assert_eq!(lines("import { from } from 'lodash'", "lodash"), [1]);
        assert_eq!(lines("import 'lodash';", "lodash"), [1]);
        assert_eq!(lines("const m = await import('lodash');", "lodash"), [1]);
        assert_eq!(lines("type L = typeof import('lodash');", "lodash"), [1]);
        assert_eq!(lines("export * from 'lodash';", "lodash"), [1]);
        assert_eq!(lines("export * as l from 'lodash';", "lodash"), [1]);
        assert_eq!(lines("export { map } from 'lodash';", "lodash"), [1]);
        assert_eq!(lines("export type { T } from 'lodash';", "lodash"), [1]);
    }

    #[test]
    fn scoped_packages() {
        assert_eq!(lines("import x from '@babel/core'", "@babel/core"), [1]);
        assert_eq!(lines("require('@babel/core/lib/x')", "@babel/core"), [1]);
        assert!(lines("require('@babel/core-js')", "@babel/core").is_empty());
        assert!(lines("require('@babel/corex/y')", "@babel/core").is_empty());
    }

    #[test]
    fn not_imports() {
        // Similar names are other packages.
        assert!(lines("require('lodash.template')", "lodash").is_empty());
        assert!(lines("import x from 'lodash-es'", "lodash").is_empty());
        assert!(lines("import x from 'lodashx/y'", "lodash").is_empty());
        // Comments, strings, regexes.
        assert!(lines("// require('lodash')", "lodash").is_empty());
        assert!(lines("/* import _ from 'lodash' */", "lodash").is_empty());
        assert!(lines("const s = \"require('lodash')\";", "lodash").is_empty());
        assert!(lines("const s = `import _ from 'lodash'`;", "lodash").is_empty());
        assert!(lines("const r = /require('lodash')/;", "lodash").is_empty());
        // Exports that are not re-exports; methods named like keywords.
        assert!(lines("export const from = 'lodash';", "lodash").is_empty());
        assert!(lines("export default 'lodash';", "lodash").is_empty());
        assert!(lines("loader.require('lodash'); x.import('lodash')", "lodash").is_empty());
        assert!(lines("import.meta.url; const l = 'lodash'", "lodash").is_empty());
        // Another package entirely.
        assert!(lines("const async = require(\"async\");", "lodash").is_empty());
    }

    #[test]
    fn computed_specifiers_are_dynamic() {
        assert_eq!(dynamic("const m = require(name);"), [1]);
        assert_eq!(dynamic("\nconst m = import(`./${x}`);"), [2]);
        assert_eq!(dynamic("const m = require('./a' + b);"), [1]);
        assert!(dynamic("const m = import('./a', { with: { type: 'json' } });").is_empty());
        assert!(dynamic("require('async')").is_empty());
    }

    #[test]
    fn long_clauses_stay_linear() {
        let mut src = "export a ".repeat(200_000);
        src.push_str("from 'lodash'");
        let start = std::time::Instant::now();
        assert_eq!(lines(&src, "lodash"), [1]);
        assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
        // Consecutive re-exports each find their own specifier.
        assert_eq!(
            lines(
                "export * from 'a';\nexport { b } from 'lodash';\nexport * from 'c'",
                "lodash"
            ),
            [2]
        );
    }

    #[test]
    fn vue_components() {
        let src = "<template><p>Don't {{ x }}</p></template>\n<script>\nimport _ from 'lodash'\n</script>\n";
        assert_eq!(lines(src, "lodash"), [3]);
    }
}
