//! Reachability: does a service's own source code import a vulnerable package, and
//! where? When the advisory names affected functions, do those names appear?
//!
//! This crate owns one question, asked of one service directory and one package
//! ([`Target`]), answered with file:line [`Evidence`]:
//!
//! - [`Reach::Imported`]: the service's code imports the package (every import
//!   quoted), and [`SymbolReach`] says whether the functions the advisory names
//!   appear in its code.
//! - [`Reach::NotImported`]: every source file of the package's language was read
//!   and none imports it. This is about the service's *own* code only: a dependency
//!   of the service may still import the package and call the vulnerable code (the
//!   example fleet's `web` gets `lodash` through `async`).
//! - [`Reach::Unknown`]: cverun could not tell, with the reason: no source file of
//!   the language, an ecosystem it does not check, or a file it could not read. A
//!   file that could not be read (or was too large, or is a link out of the service)
//!   is never taken as "does not import": a wrong "not affected" is the worst answer
//!   this product can give, so "we could not tell" stays [`Reach::Unknown`].
//!
//! Languages ([`Lang`]): Python for PyPI, JavaScript/TypeScript for npm, Rust for
//! crates.io, Go for Go. Each language has a small tokenizer (comments and strings
//! are never read as code) and one module of import rules: [`python`],
//! [`javascript`], [`rust`], [`go`]. PyPI distribution names are turned into module
//! names by a table of well-known differences ([`python::modules_for`]).
//!
//! The symbol check is textual: a function name appearing in the code is evidence,
//! not proof, of a call, and a name not appearing means the service does not call it
//! *directly*. The package's own functions may still call it (the example fleet's
//! `payments` never writes `ServeConn`, but `http2.ConfigureServer` makes the
//! standard library's server call it for every HTTP/2 connection), so
//! [`SymbolReach::NotFound`] is not a verdict of "not affected".
//!
//! [`scan_text`] is pure (one file's text in, evidence out); [`reach`] and
//! [`reach_all`] are the I/O edge: they walk the service directory (honouring
//! `.gitignore`, skipping dependency and build directories, not following links)
//! and read each source file once.

use std::fmt;
use std::path::{Path, PathBuf};

use cverun_versions::Ecosystem;
use serde::Serialize;

mod aliases;
pub mod go;
pub mod javascript;
mod lex;
pub mod python;
pub mod rust;
mod symbols;
mod walk;

pub use walk::{MAX_FILE_SIZE, SKIPPED_DIRS, reach, reach_all};

/// Longest evidence text kept, in characters (longer lines are cut and marked).
pub const MAX_EVIDENCE_CHARS: usize = 160;

/// One package to look for in a service's code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Target {
    /// Its ecosystem. PyPI, npm, crates.io and Go are checked; any other gives
    /// [`Reach::Unknown`].
    pub ecosystem: Ecosystem,
    /// Its name as declared (PyPI: the PEP 503 name; Go: the module path).
    pub package: String,
    /// Go: the import paths the advisory names (`ecosystem_specific.imports[].path`),
    /// else empty and the module path is used. A module path covers its packages
    /// (`golang.org/x/net` covers `golang.org/x/net/http2`). The `stdlib` module's
    /// import paths are the advisory's (`net/http`); without any, the standard
    /// library cannot be checked.
    pub import_paths: Vec<String>,
    /// Functions or symbols the advisory names: RustSec's `affects.functions`
    /// (`smallvec::SmallVec::insert_many`), Go's `imports[].symbols`
    /// (`Server.ServeConn`). Their last segment is looked for.
    pub symbols: Vec<String>,
    /// Other names the service's code may import the package under: a Cargo
    /// `package = "..."` rename's key, an npm `npm:` alias's key. [`reach`] adds
    /// those it finds in the service's `Cargo.toml` and `package.json` files.
    pub aliases: Vec<String>,
}

impl Target {
    /// A target with no import paths, symbols or aliases.
    pub fn new(ecosystem: Ecosystem, package: impl Into<String>) -> Target {
        Target {
            ecosystem,
            package: package.into(),
            import_paths: Vec::new(),
            symbols: Vec::new(),
            aliases: Vec::new(),
        }
    }

    /// Adds import paths (Go).
    pub fn with_import_paths<S: Into<String>>(
        mut self,
        paths: impl IntoIterator<Item = S>,
    ) -> Self {
        self.import_paths.extend(paths.into_iter().map(Into::into));
        self
    }

    /// Adds the symbols the advisory names.
    pub fn with_symbols<S: Into<String>>(mut self, symbols: impl IntoIterator<Item = S>) -> Self {
        self.symbols.extend(symbols.into_iter().map(Into::into));
        self
    }

    /// The names the code is searched for: Python modules, npm specifiers, Rust
    /// crate names or Go import paths. `Err` says why this target cannot be
    /// checked.
    pub fn looked_for(&self) -> Result<Vec<String>, String> {
        let Some(lang) = Lang::for_ecosystem(&self.ecosystem) else {
            return Err(format!(
                "reachability is not checked for {} yet",
                self.ecosystem
            ));
        };
        if self.package.trim().is_empty() {
            return Err("the target has no package name".into());
        }
        let mut names = match lang {
            Lang::Python => python::modules_for(&self.package),
            Lang::JavaScript => vec![self.package.trim().to_owned()],
            Lang::Rust => rust::crate_names_for(&self.package),
            Lang::Go => go::import_paths_for(&self.package, &self.import_paths)?,
        };
        for alias in &self.aliases {
            let alias = alias.trim();
            let alias = match lang {
                Lang::Rust => alias.replace('-', "_"),
                _ => alias.to_owned(),
            };
            if !alias.is_empty() && !names.contains(&alias) {
                names.push(alias);
            }
        }
        Ok(names)
    }
}

/// A source language cverun reads for reachability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// `.py`, `.pyw`.
    Python,
    /// JavaScript and TypeScript: `.js .mjs .cjs .jsx .ts .tsx .mts .cts`, and the
    /// script blocks of `.vue`, `.svelte` and `.astro` components (read whole).
    JavaScript,
    /// `.rs`.
    Rust,
    /// `.go`.
    Go,
}

impl Lang {
    /// Every language, in a stable order.
    pub const ALL: [Lang; 4] = [Lang::Python, Lang::JavaScript, Lang::Rust, Lang::Go];

    /// The language a package of `ecosystem` is imported from, if cverun reads it.
    pub fn for_ecosystem(ecosystem: &Ecosystem) -> Option<Lang> {
        match ecosystem {
            Ecosystem::PyPI => Some(Lang::Python),
            Ecosystem::Npm => Some(Lang::JavaScript),
            Ecosystem::CratesIo => Some(Lang::Rust),
            Ecosystem::Go => Some(Lang::Go),
            _ => None,
        }
    }

    /// The language of a file, by its extension.
    pub fn from_path(path: &Path) -> Option<Lang> {
        let ext = path.extension()?.to_str()?;
        Lang::from_extension(ext)
    }

    /// The language of a file extension (without the dot, case-insensitive).
    pub fn from_extension(ext: &str) -> Option<Lang> {
        Some(match ext.to_ascii_lowercase().as_str() {
            "py" | "pyw" => Lang::Python,
            "js" | "mjs" | "cjs" | "jsx" | "ts" | "tsx" | "mts" | "cts" | "vue" | "svelte"
            | "astro" => Lang::JavaScript,
            "rs" => Lang::Rust,
            "go" => Lang::Go,
            _ => return None,
        })
    }

    /// Human name.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Python => "Python",
            Lang::JavaScript => "JavaScript/TypeScript",
            Lang::Rust => "Rust",
            Lang::Go => "Go",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A line of source that shows something.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Evidence {
    /// The file, relative to the service directory.
    #[serde(serialize_with = "serialize_path")]
    pub file: PathBuf,
    /// 1-based line.
    pub line: u32,
    /// The line, trimmed, control characters replaced, cut at
    /// [`MAX_EVIDENCE_CHARS`] characters.
    pub text: String,
}

impl Evidence {
    /// Evidence for `line` of `file`, quoting `source_line`.
    pub fn new(file: &Path, line: u32, source_line: &str) -> Evidence {
        Evidence {
            file: file.to_owned(),
            line,
            text: quote(source_line),
        }
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}",
            self.file.to_string_lossy().replace('\\', "/"),
            self.line,
            self.text
        )
    }
}

fn serialize_path<S: serde::Serializer>(p: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&p.to_string_lossy().replace('\\', "/"))
}

/// A source line made safe to show: trimmed, control characters (terminal escapes
/// included) replaced by U+FFFD, tabs by spaces, cut with `...` when too long.
fn quote(line: &str) -> String {
    let t = line.trim();
    let mut out = String::new();
    for (n, c) in t.chars().enumerate() {
        if n == MAX_EVIDENCE_CHARS {
            out.push_str("...");
            break;
        }
        out.push(match c {
            '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        });
    }
    out
}

/// Whether a service's code imports a package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reach", rename_all = "snake_case")]
pub enum Reach {
    /// The service's code imports the package.
    Imported {
        /// Every import, in file and line order.
        imports: Vec<Evidence>,
        /// Whether the functions the advisory names appear.
        symbols: SymbolReach,
        /// Source files of the language read.
        files_scanned: usize,
    },
    /// Every source file of the language was read and none imports the package.
    /// Its dependencies may still use it.
    NotImported {
        /// Source files of the language read (at least one).
        files_scanned: usize,
        /// The names looked for (module names, specifiers, crate names, import
        /// paths), so that a reader can judge what was not.
        looked_for: Vec<String>,
        /// Imports whose module is computed at run time
        /// (`importlib.import_module(name)`, `require(path)`, `` import(`./${x}`) ``):
        /// not followed, listed so that a reader can check them.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        dynamic_imports: Vec<Evidence>,
    },
    /// cverun could not tell.
    Unknown {
        /// Why.
        reason: String,
    },
}

impl Reach {
    /// True only for [`Reach::NotImported`].
    pub fn is_not_imported(&self) -> bool {
        matches!(self, Reach::NotImported { .. })
    }

    /// True for [`Reach::Imported`].
    pub fn is_imported(&self) -> bool {
        matches!(self, Reach::Imported { .. })
    }
}

impl fmt::Display for Reach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reach::Imported {
                imports,
                symbols,
                files_scanned,
            } => {
                write!(
                    f,
                    "imported in {} place{} of {} file{} read",
                    imports.len(),
                    plural(imports.len()),
                    files_scanned,
                    plural(*files_scanned)
                )?;
                if let Some(first) = imports.first() {
                    write!(f, " (first: {first})")?;
                }
                match symbols {
                    SymbolReach::NotNamed => Ok(()),
                    s => write!(f, "; {s}"),
                }
            }
            Reach::NotImported {
                files_scanned,
                looked_for,
                dynamic_imports,
            } => {
                write!(
                    f,
                    "not imported by the service's own code: none of {} file{} read imports {} \
                     (its dependencies may still use it)",
                    files_scanned,
                    plural(*files_scanned),
                    looked_for.join(", ")
                )?;
                if !dynamic_imports.is_empty() {
                    write!(
                        f,
                        "; {} import{} computed at run time not followed (first: {})",
                        dynamic_imports.len(),
                        plural(dynamic_imports.len()),
                        dynamic_imports[0]
                    )?;
                }
                Ok(())
            }
            Reach::Unknown { reason } => write!(f, "could not tell: {reason}"),
        }
    }
}

/// Whether the functions or symbols an advisory names appear in the service's code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "detail", rename_all = "snake_case")]
pub enum SymbolReach {
    /// The advisory names none.
    NotNamed,
    /// Lines where a named function's name appears as a word (in code or in a
    /// string, not in comments), in any source file of the language: evidence of
    /// use, not proof of a call.
    Found(Vec<Evidence>),
    /// Every source file of the language was read and none of these names appears:
    /// the service does not call them directly. The package's other functions may
    /// still call them.
    NotFound(Vec<String>),
    /// Could not tell: a file could not be read, or a name could not be searched.
    Unknown {
        /// The names the advisory gives.
        names: Vec<String>,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for SymbolReach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SymbolReach::NotNamed => f.write_str("the advisory names no function"),
            SymbolReach::Found(ev) => {
                write!(
                    f,
                    "a named function appears in {} place{}",
                    ev.len(),
                    plural(ev.len())
                )?;
                if let Some(first) = ev.first() {
                    write!(f, " (first: {first})")?;
                }
                Ok(())
            }
            SymbolReach::NotFound(names) => write!(
                f,
                "no direct use of {} (the package may still call it itself)",
                names.join(", ")
            ),
            SymbolReach::Unknown { names, reason } => {
                write!(f, "use of {} unknown: {reason}", names.join(", "))
            }
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What one file's text shows about one target.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FileScan {
    /// Lines importing the package.
    pub imports: Vec<Evidence>,
    /// Lines where a named symbol appears (searched whatever the imports).
    pub symbols: Vec<Evidence>,
    /// Imports whose module is computed at run time.
    pub dynamic_imports: Vec<Evidence>,
}

/// A target prepared for scanning: the names to look for, once.
#[derive(Clone, Debug)]
pub(crate) struct Needle {
    pub lang: Lang,
    pub names: Vec<String>,
    pub symbols: symbols::Symbols,
}

impl Needle {
    pub fn new(target: &Target) -> Result<Needle, String> {
        let names = target.looked_for()?;
        let lang = Lang::for_ecosystem(&target.ecosystem)
            .ok_or_else(|| format!("reachability is not checked for {} yet", target.ecosystem))?;
        Ok(Needle {
            lang,
            names,
            symbols: symbols::Symbols::new(&target.symbols),
        })
    }
}

/// Lines found in one file: imports, symbol uses, dynamic imports.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub imports: Vec<u32>,
    pub symbols: Vec<u32>,
    pub dynamic: Vec<u32>,
}

/// One file's text, tokenized once, scanned for any number of targets.
pub(crate) struct Source<'a> {
    lang: Lang,
    lines: lex::Lines<'a>,
    tokens: Vec<lex::Token<'a>>,
}

impl<'a> Source<'a> {
    pub fn new(lang: Lang, text: &'a str) -> Source<'a> {
        let lines = lex::Lines::new(text);
        let tokens = lex::lex(lang, text, &lines);
        Source {
            lang,
            lines,
            tokens,
        }
    }

    /// Scans for `needle`; a needle of another language finds nothing.
    pub fn scan(&self, file: &Path, needle: &Needle) -> FileScan {
        if needle.lang != self.lang {
            return FileScan::default();
        }
        let mut found = Found::default();
        match self.lang {
            Lang::Python => python::scan(&self.tokens, &needle.names, &mut found),
            Lang::JavaScript => javascript::scan(&self.tokens, &needle.names, &mut found),
            Lang::Rust => rust::scan(&self.tokens, &needle.names, &mut found),
            Lang::Go => go::scan(&self.tokens, &needle.names, &mut found),
        }
        needle.symbols.scan(&self.tokens, &mut found.symbols);
        let evidence = |mut lines: Vec<u32>| -> Vec<Evidence> {
            lines.sort_unstable();
            lines.dedup();
            lines
                .into_iter()
                .map(|l| Evidence::new(file, l, self.lines.text(l)))
                .collect()
        };
        FileScan {
            imports: evidence(found.imports),
            symbols: evidence(found.symbols),
            dynamic_imports: evidence(found.dynamic),
        }
    }
}

/// Scans one file's text (pure): the lines of `text` that import `target`'s
/// package, that mention the symbols it names, and that import a module computed at
/// run time. `file` is only written into the evidence. A target of another language
/// than `lang`, or one that cannot be checked, finds nothing.
pub fn scan_text(lang: Lang, file: &Path, text: &str, target: &Target) -> FileScan {
    match Needle::new(target) {
        Ok(needle) => Source::new(lang, text).scan(file, &needle),
        Err(_) => FileScan::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_by_extension_and_ecosystem() {
        assert_eq!(Lang::from_path(Path::new("a/b.py")), Some(Lang::Python));
        assert_eq!(Lang::from_path(Path::new("x.TSX")), Some(Lang::JavaScript));
        assert_eq!(Lang::from_path(Path::new("x.mts")), Some(Lang::JavaScript));
        assert_eq!(Lang::from_path(Path::new("x.vue")), Some(Lang::JavaScript));
        assert_eq!(Lang::from_path(Path::new("lib.rs")), Some(Lang::Rust));
        assert_eq!(Lang::from_path(Path::new("main.go")), Some(Lang::Go));
        assert_eq!(Lang::from_path(Path::new("Makefile")), None);
        assert_eq!(Lang::from_path(Path::new("x.pyc")), None);
        assert_eq!(Lang::for_ecosystem(&Ecosystem::Maven), None);
        assert_eq!(Lang::for_ecosystem(&Ecosystem::Go), Some(Lang::Go));
    }

    #[test]
    fn quoting_trims_cuts_and_neutralises() {
        assert_eq!(quote("   import yaml  \r"), "import yaml");
        assert_eq!(quote("a\u{1b}[31mb\tc"), "a\u{fffd}[31mb c");
        let long = "x".repeat(500);
        let q = quote(&long);
        assert_eq!(q.chars().count(), MAX_EVIDENCE_CHARS + 3);
        assert!(q.ends_with("..."));
        let wide = "é".repeat(400);
        assert!(quote(&wide).ends_with("..."));
    }

    #[test]
    fn unsupported_targets_say_why() {
        let t = Target::new(Ecosystem::Maven, "org.apache.logging.log4j:log4j-core");
        assert_eq!(
            t.looked_for(),
            Err("reachability is not checked for Maven yet".to_owned())
        );
        let t = Target::new(Ecosystem::PyPI, "  ");
        assert!(t.looked_for().is_err());
        let f = scan_text(Lang::Python, Path::new("a.py"), "import yaml", &t);
        assert_eq!(f, FileScan::default());
    }

    #[test]
    fn other_language_finds_nothing() {
        let t = Target::new(Ecosystem::PyPI, "pyyaml");
        let f = scan_text(Lang::JavaScript, Path::new("a.js"), "import yaml", &t);
        assert!(f.imports.is_empty());
    }

    #[test]
    fn aliases_join_the_names() {
        let mut t = Target::new(Ecosystem::CratesIo, "smallvec");
        t.aliases = vec!["small-vec2".into(), "smallvec".into()];
        assert_eq!(t.looked_for().unwrap(), ["smallvec", "small_vec2"]);
    }

    #[test]
    fn display_explains() {
        let ev = Evidence::new(Path::new("app.py"), 2, "import yaml");
        let r = Reach::Imported {
            imports: vec![ev.clone()],
            symbols: SymbolReach::NotFound(vec!["full_load".into()]),
            files_scanned: 1,
        };
        assert_eq!(
            r.to_string(),
            "imported in 1 place of 1 file read (first: app.py:2: import yaml); \
             no direct use of full_load (the package may still call it itself)"
        );
        let r = Reach::NotImported {
            files_scanned: 3,
            looked_for: vec!["yaml".into()],
            dynamic_imports: vec![ev],
        };
        assert!(r.to_string().contains("none of 3 files read imports yaml"));
        assert!(r.to_string().contains("1 import computed at run time"));
    }
}
