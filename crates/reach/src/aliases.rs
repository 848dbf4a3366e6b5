//! Other names a service's code uses for a package, read from its manifests:
//! Cargo renames (`sv = { package = "smallvec" }`, `[dependencies.sv]` with
//! `package = "smallvec"`) and npm aliases (`"lodash4": "npm:lodash@^4"`).
//!
//! Both readers are textual and forgiving: a line they do not understand is skipped
//! (the manifest parsers of `cverun-inventory` judge the files themselves). They
//! can only add names to look for, never remove one.

/// Dependency tables of a Cargo manifest.
fn is_dependency_table(name: &str) -> bool {
    matches!(
        name,
        "dependencies"
            | "dev-dependencies"
            | "build-dependencies"
            | "dev_dependencies"
            | "build_dependencies"
    )
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')))
        .unwrap_or(s)
}

/// The line without a `#` comment outside quotes.
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') => return line.get(..i).unwrap_or(line),
            _ => {}
        }
    }
    line
}

/// Splits a dotted TOML key on dots outside quotes.
fn dotted_key(key: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    for c in key.chars() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '.') => parts.push(std::mem::take(&mut cur)),
            (_, c) => cur.push(c),
        }
    }
    parts.push(cur);
    parts.into_iter().map(|p| p.trim().to_owned()).collect()
}

/// The value of `package = "..."` inside an inline table's text.
fn package_in(inline: &str) -> Option<String> {
    let mut from = 0;
    while let Some(p) = inline.get(from..).and_then(|r| r.find("package")) {
        let start = from + p;
        from = start + "package".len();
        let before_ok = inline
            .get(..start)
            .and_then(|b| b.chars().next_back())
            .is_none_or(|c| c == '{' || c == ',' || c.is_whitespace());
        let rest = inline.get(from..).unwrap_or("").trim_start();
        if !before_ok {
            continue;
        }
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        let rest = rest.trim_start();
        let q = rest.chars().next()?;
        if q != '"' && q != '\'' {
            continue;
        }
        let body = rest.get(1..)?;
        let end = body.find(q)?;
        return Some(body.get(..end)?.to_owned());
    }
    None
}

/// Renames in a Cargo manifest: (the key code uses, the real package).
pub(crate) fn cargo_renames(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_deps = false;
    let mut table_key: Option<String> = None;
    for raw in text.lines() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('[') {
            let header = line.trim_start_matches('[').trim_end_matches(']');
            let parts = dotted_key(header);
            in_deps = parts.last().is_some_and(|l| is_dependency_table(l));
            table_key = match parts.len() {
                n if n >= 2 && is_dependency_table(&parts[n - 2]) => Some(parts[n - 1].clone()),
                _ => None,
            };
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = unquote(key);
        let value = value.trim();
        if in_deps && value.starts_with('{') {
            if let Some(pkg) = package_in(value) {
                out.push((key.to_owned(), pkg));
            }
        } else if let Some(k) = &table_key
            && key == "package"
        {
            out.push((k.clone(), unquote(value).to_owned()));
        }
    }
    out
}

/// `npm:` aliases in a package.json: (the name code uses, the real package).
pub(crate) fn npm_aliases(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = text.get(from..).and_then(|r| r.find("\"npm:")) {
        let quote = from + p;
        from = quote + 5;
        let spec_start = quote + 5;
        let Some(spec_len) = text.get(spec_start..).and_then(|r| r.find('"')) else {
            break;
        };
        let spec = text.get(spec_start..spec_start + spec_len).unwrap_or("");
        // `@scope/name@range` or `name@range` or a bare name.
        let name = match spec.strip_prefix('@') {
            Some(rest) => match rest.find('@') {
                Some(at) => spec.get(..at + 1).unwrap_or(spec),
                None => spec,
            },
            None => spec.split('@').next().unwrap_or(spec),
        };
        // The key: `"key"` and `:` before the value.
        let before = text.get(..quote).unwrap_or("").trim_end();
        let Some(before) = before.strip_suffix(':') else {
            continue;
        };
        let before = before.trim_end();
        let Some(before) = before.strip_suffix('"') else {
            continue;
        };
        let Some(open) = before.rfind('"') else {
            continue;
        };
        let key = before.get(open + 1..).unwrap_or("");
        if !key.is_empty() && !name.is_empty() {
            out.push((key.to_owned(), name.trim().to_owned()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_inline_and_table_renames() {
        let toml = r#"
[package]
name = "x"
package = "not-a-rename"

[dependencies]
serde = "1"
sv = { version = "1.6", package = "smallvec" }  # renamed
"quoted-key" = { package = 'ansi_term', version = "0.12" }
plain = { version = "1", features = ["package"] }

[dependencies.sv2]
version = "1"
package = "smallvec"

[target.'cfg(unix)'.dev-dependencies]
nx = { package = "nix" }

[workspace.dependencies]
wsv = { package = "smallvec" }

[features]
package = []
"#;
        assert_eq!(
            cargo_renames(toml),
            [
                ("sv".to_owned(), "smallvec".to_owned()),
                ("quoted-key".to_owned(), "ansi_term".to_owned()),
                ("sv2".to_owned(), "smallvec".to_owned()),
                ("nx".to_owned(), "nix".to_owned()),
                ("wsv".to_owned(), "smallvec".to_owned()),
            ]
        );
    }

    #[test]
    fn npm_alias_values() {
        let json = r#"{
  "dependencies": {
    "lodash4": "npm:lodash@^4.17.20",
    "babel7": "npm:@babel/core@7.1.0",
    "bare" : "npm:left-pad",
    "async": "^2.6.4"
  },
  "description": "npm:not-a-dependency"
}"#;
        assert_eq!(
            npm_aliases(json),
            [
                ("lodash4".to_owned(), "lodash".to_owned()),
                ("babel7".to_owned(), "@babel/core".to_owned()),
                ("bare".to_owned(), "left-pad".to_owned()),
                ("description".to_owned(), "not-a-dependency".to_owned()),
            ]
        );
    }

    #[test]
    fn garbage_is_skipped() {
        assert!(cargo_renames("[[[\n= {package\npackage = \"").is_empty());
        assert!(npm_aliases("\"npm:").is_empty());
        assert!(npm_aliases(": \"npm:x\"").is_empty());
    }
}
