//! Python: which modules a PyPI distribution installs, and the lines that import them.
//!
//! **Module names.** Code imports modules, not distributions, and the two names
//! often differ (`pyyaml` installs `yaml`). [`modules_for`] gives the names to look
//! for: the modules [`DISTRIBUTIONS`] lists for well-known distributions (taken from
//! their published metadata), and otherwise a generous set of guesses, because a
//! module name missed is a wrong "not imported" while an extra name can at worst
//! show a needless import:
//!
//! - the name with `-` and `.` replaced by `_` (`typing-extensions` ->
//!   `typing_extensions`), and the name itself;
//! - the name with `-` as `.`, for namespace packages (`google-cloud-storage` ->
//!   `google.cloud.storage`, `zope-interface` -> `zope.interface`);
//! - the same after removing a `python-` or `py` prefix or a `-python`, `-py` or
//!   `-binary` suffix (`python-magic` -> `magic`, `pyserial` -> `serial`).
//!
//! Names are compared ASCII case-insensitively (`PIL`, `pil`): a distribution named
//! in lower case by PEP 503 may install `PyQt5`.
//!
//! **Imports** recognised (comments and strings never count):
//!
//! - `import x`, `import x.y as z`, `import a, x` (any position in the list);
//! - `from x import ...`, `from x.y import ...`, with parenthesised multi-line name
//!   lists; `from google import protobuf` for the module `google.protobuf`;
//! - `importlib.import_module("x")` and `__import__("x")` with a literal name.
//!
//! A name matches a module when it is the module or inside it (`yaml.constructor`
//! is `yaml`; `yamllint` is not). Relative imports (`from . import yaml`) are the
//! service's own modules. `import_module(name)` with a computed name is listed as a
//! dynamic import.

use crate::Found;
use crate::lex::{Tok, Token};
use cverun_versions::{Ecosystem, normalize_name};

/// Well-known distributions whose importable modules differ from their name:
/// (PEP 503 name, top-level modules), sorted by name.
pub const DISTRIBUTIONS: &[(&str, &[&str])] = &[
    ("ansible-core", &["ansible"]),
    ("apache-airflow", &["airflow"]),
    ("attrs", &["attr", "attrs"]),
    ("azure-core", &["azure.core"]),
    ("beautifulsoup4", &["bs4"]),
    ("django-cors-headers", &["corsheaders"]),
    ("django-filter", &["django_filters"]),
    ("djangorestframework", &["rest_framework"]),
    ("dnspython", &["dns"]),
    ("gitpython", &["git"]),
    ("google-api-core", &["google.api_core"]),
    (
        "google-api-python-client",
        &["googleapiclient", "apiclient"],
    ),
    ("google-auth", &["google.auth", "google.oauth2"]),
    ("grpcio", &["grpc"]),
    ("grpcio-tools", &["grpc_tools"]),
    ("ipython", &["IPython"]),
    ("kafka-python", &["kafka"]),
    ("msgpack-python", &["msgpack"]),
    ("mysql-connector-python", &["mysql.connector", "mysqlx"]),
    ("mysqlclient", &["MySQLdb"]),
    ("opencv-contrib-python", &["cv2"]),
    ("opencv-contrib-python-headless", &["cv2"]),
    ("opencv-python", &["cv2"]),
    ("opencv-python-headless", &["cv2"]),
    ("opensearch-py", &["opensearchpy"]),
    ("pillow", &["PIL"]),
    ("protobuf", &["google.protobuf"]),
    ("psycopg2-binary", &["psycopg2"]),
    ("py", &["py"]),
    ("pycrypto", &["Crypto"]),
    ("pycryptodome", &["Crypto"]),
    ("pycryptodomex", &["Cryptodome"]),
    ("pygithub", &["github"]),
    ("pyinstaller", &["PyInstaller"]),
    ("pyjwt", &["jwt"]),
    ("pymongo", &["pymongo", "bson", "gridfs"]),
    ("pymupdf", &["fitz", "pymupdf"]),
    ("pymysql", &["pymysql"]),
    ("pynacl", &["nacl"]),
    ("pyopenssl", &["OpenSSL"]),
    ("pysaml2", &["saml2"]),
    ("pyserial", &["serial"]),
    ("pytest", &["pytest", "_pytest"]),
    ("python-dateutil", &["dateutil"]),
    ("python-docx", &["docx"]),
    ("python-dotenv", &["dotenv"]),
    ("python-engineio", &["engineio"]),
    ("python-gitlab", &["gitlab"]),
    ("python-jose", &["jose"]),
    ("python-ldap", &["ldap", "ldif", "ldapurl", "slapdtest"]),
    ("python-magic", &["magic"]),
    ("python-memcached", &["memcache"]),
    ("python-multipart", &["multipart", "python_multipart"]),
    ("python-pptx", &["pptx"]),
    ("python-slugify", &["slugify"]),
    ("python-socketio", &["socketio"]),
    ("pywavelets", &["pywt"]),
    ("pyyaml", &["yaml", "_yaml"]),
    ("pyzmq", &["zmq"]),
    ("ruamel-yaml", &["ruamel.yaml"]),
    ("scikit-image", &["skimage"]),
    ("scikit-learn", &["sklearn"]),
    (
        "setuptools",
        &["setuptools", "pkg_resources", "_distutils_hack"],
    ),
    ("tensorflow-cpu", &["tensorflow"]),
    ("tensorflow-gpu", &["tensorflow"]),
    ("websocket-client", &["websocket"]),
];

/// The modules to look for when code may import distribution `name` (any
/// spelling; it is PEP 503-normalised first): the table's modules for a
/// well-known distribution, else the guesses the module documentation lists.
pub fn modules_for(name: &str) -> Vec<String> {
    let norm = normalize_name(&Ecosystem::PyPI, name.trim()).into_owned();
    if let Ok(i) = DISTRIBUTIONS.binary_search_by(|(d, _)| (*d).cmp(norm.as_str())) {
        return DISTRIBUTIONS[i].1.iter().map(|m| (*m).to_owned()).collect();
    }
    let mut out: Vec<String> = Vec::new();
    let mut add = |m: String| {
        if !m.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(&m)) {
            out.push(m);
        }
    };
    let mut stems = vec![norm.clone()];
    if let Some(rest) = norm.strip_prefix("python-") {
        stems.push(rest.to_owned());
    } else if let Some(rest) = norm.strip_prefix("py")
        && rest.len() >= 2
        && !rest.contains('-')
    {
        // pyserial -> serial, pyzmq -> zmq (one-word names only).
        stems.push(rest.to_owned());
    }
    for suffix in ["-python", "-py", "-binary"] {
        if let Some(rest) = norm.strip_suffix(suffix)
            && !rest.is_empty()
        {
            stems.push(rest.to_owned());
        }
    }
    for stem in stems {
        add(stem.replace(['-', '.'], "_"));
        if stem.contains('-') {
            add(stem.replace('-', "."));
        }
    }
    let raw = name.trim().to_owned();
    add(raw);
    out
}

/// Whether dotted module name `found` is `module` or inside it.
pub(crate) fn module_matches(found: &str, module: &str) -> bool {
    let (f, m) = (found.as_bytes(), module.as_bytes());
    !m.is_empty()
        && f.len() >= m.len()
        && f[..m.len()].eq_ignore_ascii_case(m)
        && (f.len() == m.len() || f[m.len()] == b'.')
}

fn word<'a>(tokens: &[Token<'a>], i: usize) -> Option<&'a str> {
    match tokens.get(i).map(|t| t.tok) {
        Some(Tok::Word(w)) => Some(w),
        _ => None,
    }
}

fn punct(tokens: &[Token<'_>], i: usize, p: u8) -> bool {
    matches!(tokens.get(i).map(|t| t.tok), Some(Tok::Punct(c)) if c == p)
}

/// A dotted name from `i`: (name, line of its first token, index after it).
fn dotted(tokens: &[Token<'_>], mut i: usize) -> Option<(String, u32, usize)> {
    let first = word(tokens, i)?;
    if is_keyword(first) {
        return None;
    }
    let line = tokens[i].line;
    let mut name = first.to_owned();
    i += 1;
    while punct(tokens, i, b'.')
        && let Some(w) = word(tokens, i + 1)
    {
        name.push('.');
        name.push_str(w);
        i += 2;
    }
    Some((name, line, i))
}

fn is_keyword(w: &str) -> bool {
    matches!(w, "import" | "from" | "as")
}

/// Scans Python tokens for imports of any of `modules`.
pub(crate) fn scan(tokens: &[Token<'_>], modules: &[String], found: &mut Found) {
    let hit = |name: &str| modules.iter().any(|m| module_matches(name, m));
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i].tok {
            Tok::Word("from") => {
                let from_line = tokens[i].line;
                let mut j = i + 1;
                let mut relative = false;
                while punct(tokens, j, b'.') {
                    relative = true;
                    j += 1;
                }
                let (base, after) = match dotted(tokens, j) {
                    Some((name, _, after)) => (Some(name), after),
                    None => (None, j),
                };
                // The `import` keyword on the line the name ends on: a `raise E from e`
                // followed by an `import` line is not a from-import.
                let name_line = tokens
                    .get(after.saturating_sub(1).max(i))
                    .map_or(from_line, |t| t.line);
                if word(tokens, after) != Some("import")
                    || tokens.get(after).is_some_and(|t| t.line != name_line)
                {
                    // `yield from x`, `raise E from e`.
                    i += 1;
                    continue;
                }
                let (names, end) = import_names(tokens, after + 1);
                if let (Some(base), false) = (&base, relative) {
                    if hit(base) {
                        found.imports.push(from_line);
                    } else {
                        for (n, line) in &names {
                            if hit(&format!("{base}.{n}")) {
                                found.imports.push(*line);
                            }
                        }
                    }
                }
                i = end.max(i + 1);
            }
            Tok::Word("import") => {
                let mut j = i + 1;
                while let Some((name, line, after)) = dotted(tokens, j) {
                    if hit(&name) {
                        found.imports.push(line);
                    }
                    j = after;
                    if word(tokens, j) == Some("as") {
                        j += 2;
                    }
                    if punct(tokens, j, b',') {
                        j += 1;
                    } else {
                        break;
                    }
                }
                i = j.max(i + 1);
            }
            Tok::Word("import_module" | "__import__") if punct(tokens, i + 1, b'(') => {
                match tokens.get(i + 2).map(|t| t.tok) {
                    Some(Tok::Str {
                        text,
                        dynamic: false,
                    }) => {
                        let name = text.trim();
                        if !name.starts_with('.') && hit(name) {
                            found.imports.push(tokens[i].line);
                        }
                    }
                    _ => found.dynamic.push(tokens[i].line),
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
}

/// The names after `from x import`: `*`, `a as b, c`, or the same in parentheses
/// over several lines. Returns (names with their lines, index after the list).
fn import_names<'a>(tokens: &[Token<'a>], mut i: usize) -> (Vec<(&'a str, u32)>, usize) {
    let mut names = Vec::new();
    if punct(tokens, i, b'*') {
        return (names, i + 1);
    }
    let parens = punct(tokens, i, b'(');
    if parens {
        i += 1;
    }
    while let Some(w) = word(tokens, i) {
        if is_keyword(w) {
            break;
        }
        names.push((w, tokens[i].line));
        i += 1;
        if word(tokens, i) == Some("as") {
            i += 2;
        }
        if punct(tokens, i, b',') {
            i += 1;
        } else {
            break;
        }
    }
    if parens && punct(tokens, i, b')') {
        i += 1;
    }
    (names, i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Lang, Target, scan_text};
    use std::path::Path;

    fn lines(src: &str, dist: &str) -> Vec<u32> {
        let t = Target::new(Ecosystem::PyPI, dist);
        scan_text(Lang::Python, Path::new("m.py"), src, &t)
            .imports
            .iter()
            .map(|e| e.line)
            .collect()
    }

    fn dynamic(src: &str) -> Vec<u32> {
        let t = Target::new(Ecosystem::PyPI, "pyyaml");
        scan_text(Lang::Python, Path::new("m.py"), src, &t)
            .dynamic_imports
            .iter()
            .map(|e| e.line)
            .collect()
    }

    #[test]
    fn table_is_sorted_normalised_and_big_enough() {
        assert!(DISTRIBUTIONS.len() >= 30);
        for w in DISTRIBUTIONS.windows(2) {
            assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
        }
        for (d, mods) in DISTRIBUTIONS {
            assert_eq!(normalize_name(&Ecosystem::PyPI, d), *d, "{d} is PEP 503");
            assert!(!mods.is_empty());
            for m in *mods {
                assert!(
                    m.split('.').all(|p| !p.is_empty()
                        && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')),
                    "{m}"
                );
            }
        }
    }

    #[test]
    fn distribution_names_to_modules() {
        assert_eq!(modules_for("PyYAML"), ["yaml", "_yaml"]);
        assert_eq!(modules_for("Pillow"), ["PIL"]);
        assert_eq!(modules_for("beautifulsoup4"), ["bs4"]);
        assert_eq!(modules_for("scikit_learn"), ["sklearn"]);
        assert_eq!(modules_for("python-dateutil"), ["dateutil"]);
        assert_eq!(modules_for("opencv-python"), ["cv2"]);
        assert_eq!(modules_for("protobuf"), ["google.protobuf"]);
        assert_eq!(modules_for("google-api-core"), ["google.api_core"]);
        assert_eq!(modules_for("PyJWT"), ["jwt"]);
        assert_eq!(modules_for("pycryptodome"), ["Crypto"]);
        assert_eq!(modules_for("attrs"), ["attr", "attrs"]);
        assert_eq!(modules_for("msgpack-python"), ["msgpack"]);
        assert_eq!(modules_for("python-jose"), ["jose"]);
        assert_eq!(modules_for("PyMySQL"), ["pymysql"]);
        assert_eq!(modules_for("psycopg2-binary"), ["psycopg2"]);
        // Not in the table: the name, underscores, namespaces, prefixes, suffixes.
        assert_eq!(modules_for("flask"), ["flask"]);
        assert_eq!(
            modules_for("typing-extensions"),
            [
                "typing_extensions",
                "typing.extensions",
                "typing-extensions"
            ]
        );
        assert_eq!(
            modules_for("google-cloud-storage"),
            [
                "google_cloud_storage",
                "google.cloud.storage",
                "google-cloud-storage"
            ]
        );
        assert!(modules_for("zope.interface").contains(&"zope.interface".to_owned()));
        assert!(modules_for("python-ldap3x").contains(&"ldap3x".to_owned()));
        assert!(modules_for("pyasn1").contains(&"asn1".to_owned()));
        assert!(modules_for("psycopg-binary").contains(&"psycopg".to_owned()));
        assert_eq!(
            modules_for("python-ldap3x"),
            ["python_ldap3x", "python.ldap3x", "ldap3x", "python-ldap3x"]
        );
        assert_eq!(modules_for("pyserialx"), ["pyserialx", "serialx"]);
        assert!(modules_for("Jinja2").contains(&"jinja2".to_owned()));
    }

    #[test]
    fn plain_imports() {
        assert_eq!(lines("import yaml\n", "pyyaml"), [1]);
        assert_eq!(lines("import yaml.constructor as c\n", "pyyaml"), [1]);
        assert_eq!(lines("import os, sys,\\\n  yaml\n", "pyyaml"), [2]);
        assert_eq!(lines("import os as o, yaml as y\n", "pyyaml"), [1]);
        assert_eq!(
            lines(
                "try:\n    import yaml\nexcept ImportError:\n    yaml = None\n",
                "pyyaml"
            ),
            [2]
        );
        assert_eq!(lines("if x: import yaml; import json\n", "pyyaml"), [1]);
        assert_eq!(lines("import PIL.Image\n", "pillow"), [1]);
        assert_eq!(
            lines("import google.protobuf.json_format\n", "protobuf"),
            [1]
        );
    }

    #[test]
    fn from_imports() {
        assert_eq!(lines("from yaml import load\n", "pyyaml"), [1]);
        assert_eq!(lines("from yaml.loader import FullLoader\n", "pyyaml"), [1]);
        assert_eq!(
            lines(
                "from yaml import (\n    load,\n    dump as d,\n)\n",
                "pyyaml"
            ),
            [1]
        );
        assert_eq!(lines("from google import protobuf\n", "protobuf"), [1]);
        assert_eq!(
            lines(
                "from google import (\n  auth,\n  protobuf as pb,\n)\n",
                "protobuf"
            ),
            [3]
        );
        assert_eq!(
            lines("from google.protobuf import message\n", "protobuf"),
            [1]
        );
        assert_eq!(
            lines("from bs4 import BeautifulSoup\n", "beautifulsoup4"),
            [1]
        );
        assert_eq!(
            lines("from dateutil.parser import parse\n", "python-dateutil"),
            [1]
        );
        assert_eq!(lines("from yaml import *\n", "pyyaml"), [1]);
    }

    #[test]
    fn dynamic_imports() {
        assert_eq!(
            lines("m = importlib.import_module(\"yaml\")\n", "pyyaml"),
            [1]
        );
        assert_eq!(lines("m = import_module('yaml.loader')\n", "pyyaml"), [1]);
        assert_eq!(lines("m = __import__('yaml')\n", "pyyaml"), [1]);
        assert_eq!(
            lines("m = importlib.import_module(r'yaml')\n", "pyyaml"),
            [1]
        );
        assert!(lines("m = importlib.import_module('.yaml', 'pkg')\n", "pyyaml").is_empty());
        assert_eq!(dynamic("m = importlib.import_module(name)\n"), [1]);
        assert_eq!(dynamic("\n\nm = __import__(f'plugins.{n}')\n"), [3]);
        assert!(dynamic("m = importlib.import_module('json')\n").is_empty());
    }

    #[test]
    fn not_imports() {
        // Similar prefixes.
        assert!(lines("import yamllint\n", "pyyaml").is_empty());
        assert!(lines("from yamllint import x\n", "pyyaml").is_empty());
        assert!(lines("import yaml_include\n", "pyyaml").is_empty());
        assert!(lines("import pyyaml_env\n", "pyyaml").is_empty());
        // Comments, strings, docstrings.
        assert!(lines("# import yaml\n", "pyyaml").is_empty());
        assert!(lines("x = 1  # from yaml import load\n", "pyyaml").is_empty());
        assert!(lines("s = 'import yaml'\n", "pyyaml").is_empty());
        assert!(lines("\"\"\"\nimport yaml\n\"\"\"\n", "pyyaml").is_empty());
        assert!(lines("s = f'''from yaml import x'''\n", "pyyaml").is_empty());
        // Relative imports are the service's own modules.
        assert!(lines("from . import yaml\n", "pyyaml").is_empty());
        assert!(lines("from .yaml import load\n", "pyyaml").is_empty());
        assert!(lines("from ..yaml import load\n", "pyyaml").is_empty());
        // `from` that is not an import; attribute access.
        assert!(lines("raise E from yaml\nx = yaml.load(f)\n", "pyyaml").is_empty());
        assert!(lines("yield from yaml\n", "pyyaml").is_empty());
        assert!(lines("raise E from yaml\nimport json\n", "pyyaml").is_empty());
        // `google` alone is not `google.protobuf`.
        assert!(lines("import google\nfrom google import auth\n", "protobuf").is_empty());
        // The distribution name is not the module name.
        assert!(lines("import pyyaml_loader\n", "pyyaml").is_empty());
        assert!(lines("import cv\n", "opencv-python").is_empty());
    }

    #[test]
    fn case_insensitive_names() {
        assert_eq!(lines("import PyQt5.QtCore\n", "pyqt5"), [1]);
        assert_eq!(lines("import pil\n", "pillow"), [1]);
    }

    #[test]
    fn module_matching() {
        assert!(module_matches("yaml", "yaml"));
        assert!(module_matches("yaml.x.y", "yaml"));
        assert!(!module_matches("yamlx", "yaml"));
        assert!(!module_matches("yam", "yaml"));
        assert!(!module_matches("yaml", ""));
        assert!(module_matches("google.protobuf.x", "google.protobuf"));
        assert!(!module_matches("google.protobufx", "google.protobuf"));
    }
}
