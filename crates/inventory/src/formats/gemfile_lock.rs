//! Bundler lockfiles (`Gemfile.lock`, `gems.locked`).
//!
//! The format is line based: a section starts with its name at column 0 and its
//! content is indented by spaces. Read as Bundler 1.x and 2.x (up to the `CHECKSUMS`
//! section of 2.5+) write it:
//! - source sections `GEM`, `GIT`, `PATH` and `PLUGIN SOURCE` hold 2-space `key: value`
//!   lines (`remote:`, `revision:`, `branch:`, `tag:`, `ref:`, ...) and a `specs:` list:
//!   4-space `name (version)` lines are the locked gems, the 6-space lines under one
//!   (`rack (~> 2.0, >= 2.2.0)` or a bare name) are what that gem depends on;
//! - `DEPENDENCIES` lists what the Gemfile asks for (2-space `name`, `name (~> 1.0)`,
//!   `name!` for gems pinned to a git or path source);
//! - `PLATFORMS`, `RUBY VERSION`, `BUNDLED WITH` and `CHECKSUMS` are read and ignored.
//!
//! A spec's version may carry a platform after the first `-`, as Bundler writes it:
//! `nokogiri (1.13.4-x86_64-linux)` is nokogiri 1.13.4. The platform variants of one
//! gem version (`google-protobuf (3.25.0-x86_64-linux)`, `(3.25.0-arm64-darwin)`) are
//! one package: they are the same release for advisories.
//!
//! For cverun:
//! - every spec is an exact version ([`Pin::Exact`]);
//! - source: `GEM` is the registry, whatever its `remote:` (a private mirror of
//!   rubygems.org holds the public gems, and a section may list several remotes);
//!   `GIT` is [`Source::Git`] at its `revision:` (else tag, branch or ref); `PATH` is
//!   [`Source::Path`]; `PLUGIN SOURCE` is [`Source::OtherRegistry`] (its remote);
//! - relation: `DEPENDENCIES` names the direct gems and the specs' dependency lines give
//!   the graph, so every gem is direct, transitive (with paths) or, when nothing
//!   reaches it, unknown. A dependency without a spec (a gem for another platform, or
//!   `bundler` itself) is not a package;
//! - scope: the lockfile does not record groups. When the `Gemfile` (`gems.rb` for
//!   `gems.locked`) beside it can be read, a gem reached from a runtime direct gem is
//!   runtime, one reached only from `:development`/`:test` gems is development (and
//!   only from optional groups, optional); otherwise the scope is unknown.
//!
//! Problems: a spec without a version, or a line that fits no section, is a warning
//! with its line; an unknown section is a warning and its lines are skipped. Git
//! merge-conflict markers, and text with none of the Bundler sections, are errors.

use std::collections::HashMap;

use cverun_versions::Ecosystem;

use crate::graph::Graph;
use crate::{Input, Package, ParseError, Parsed, Pin, Scope, Source, Warning};

/// Parses a `Gemfile.lock`.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    let mut parsed = Parsed::default();
    if input.text.trim().is_empty() {
        parsed.warnings.push(input.warning(None, "empty file"));
        return Ok(parsed);
    }
    let lock = read(input, &mut parsed.warnings)?;
    let sources: Vec<Source> = lock.sources.iter().map(SourceBlock::source).collect();

    // One package per (name, version, source section): platform variants merge.
    let mut packages: Vec<Package> = Vec::new();
    let mut by_key: HashMap<(String, String, usize), usize> = HashMap::new();
    let mut spec_package = Vec::with_capacity(lock.specs.len());
    for spec in &lock.specs {
        let key = (spec.name.clone(), spec.version.clone(), spec.source);
        let index = *by_key.entry(key).or_insert_with(|| {
            let mut p = Package::new(
                Ecosystem::RubyGems,
                &spec.name,
                Pin::Exact(spec.version.clone()),
            );
            p.source = sources
                .get(spec.source)
                .cloned()
                .unwrap_or(Source::Registry);
            p.line = Some(spec.line);
            packages.push(p);
            packages.len() - 1
        });
        spec_package.push(index);
    }

    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (spec, &index) in lock.specs.iter().zip(&spec_package) {
        let entry = by_name.entry(spec.name.as_str()).or_default();
        if !entry.contains(&index) {
            entry.push(index);
        }
    }
    let mut adjacency: Vec<Vec<usize>> = vec![Vec::new(); packages.len()];
    for (spec, &from) in lock.specs.iter().zip(&spec_package) {
        for dep in &spec.deps {
            for &to in by_name
                .get(dep.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                if to != from && !adjacency[from].contains(&to) {
                    adjacency[from].push(to);
                }
            }
        }
    }
    let mut graph = Graph::new(packages.len());
    for (from, targets) in adjacency.iter().enumerate() {
        for &to in targets {
            graph.add_edge(from, to);
        }
    }
    let mut direct: Vec<usize> = Vec::new();
    let mut direct_names: Vec<&str> = Vec::new();
    for name in &lock.direct {
        for &i in by_name
            .get(name.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            if !direct.contains(&i) {
                direct.push(i);
                direct_names.push(name);
            }
        }
    }
    graph.annotate(&direct, &mut packages);

    if let Some(scopes) = gemfile_scopes(input, &mut parsed.warnings) {
        let roots: Vec<(usize, Scope)> = direct
            .iter()
            .zip(&direct_names)
            .map(|(&i, name)| (i, scopes.get(*name).copied().unwrap_or(Scope::Unknown)))
            .collect();
        propagate_scopes(&adjacency, &roots, &mut packages);
    }
    parsed.packages = packages;
    Ok(parsed)
}

/// The kind of a source section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SourceKind {
    Gem,
    Git,
    Path,
    Plugin,
}

/// One `GEM`, `GIT`, `PATH` or `PLUGIN SOURCE` section.
#[derive(Debug)]
struct SourceBlock {
    kind: SourceKind,
    remotes: Vec<String>,
    revision: Option<String>,
    tag: Option<String>,
    branch: Option<String>,
    reference: Option<String>,
}

impl SourceBlock {
    fn new(kind: SourceKind) -> SourceBlock {
        SourceBlock {
            kind,
            remotes: Vec::new(),
            revision: None,
            tag: None,
            branch: None,
            reference: None,
        }
    }

    /// Where the gems of this section come from.
    fn source(&self) -> Source {
        let remote = self.remotes.join(", ");
        match self.kind {
            SourceKind::Gem => Source::Registry,
            SourceKind::Git => Source::Git {
                url: remote,
                rev: self
                    .revision
                    .clone()
                    .or_else(|| self.tag.clone())
                    .or_else(|| self.branch.clone())
                    .or_else(|| self.reference.clone()),
            },
            SourceKind::Path => Source::Path(remote),
            SourceKind::Plugin => Source::OtherRegistry(remote),
        }
    }
}

/// One locked gem (`    name (version)`) and the names it depends on.
#[derive(Debug)]
struct Spec {
    name: String,
    version: String,
    source: usize,
    line: u32,
    deps: Vec<String>,
}

/// What the lockfile says, before packages are built.
#[derive(Debug, Default)]
struct Lock {
    sources: Vec<SourceBlock>,
    specs: Vec<Spec>,
    direct: Vec<String>,
}

/// The section the current line belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    None,
    Source(usize),
    Dependencies,
    /// `PLATFORMS`, `RUBY VERSION`, `BUNDLED WITH`, `CHECKSUMS`: read and ignored.
    Ignored,
    /// An unknown section (already warned about): its lines are skipped.
    Unknown,
}

/// Reads the sections of the lockfile.
fn read(input: &Input<'_>, warnings: &mut Vec<Warning>) -> Result<Lock, ParseError> {
    let mut lock = Lock::default();
    let mut section = Section::None;
    let mut known_sections = 0usize;
    // The spec the 6-space dependency lines belong to, if it could be read.
    let mut current_spec: Option<usize> = None;
    for (i, raw) in input.text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let text = raw.trim_end();
        if text.is_empty() {
            continue;
        }
        if is_conflict_marker(text) {
            return Err(input.error(
                Some(line),
                "merge conflict marker: resolve the conflict first",
            ));
        }
        let content = text.trim_start_matches(' ');
        let indent = text.len() - content.len();
        if content.starts_with('\t') {
            warnings.push(input.warning(Some(line), "line indented with a tab: skipped"));
            continue;
        }
        if indent == 0 {
            current_spec = None;
            section = match content {
                "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE" => {
                    let kind = match content {
                        "GEM" => SourceKind::Gem,
                        "GIT" => SourceKind::Git,
                        "PATH" => SourceKind::Path,
                        _ => SourceKind::Plugin,
                    };
                    lock.sources.push(SourceBlock::new(kind));
                    Section::Source(lock.sources.len() - 1)
                }
                "DEPENDENCIES" => Section::Dependencies,
                "PLATFORMS" | "RUBY VERSION" | "BUNDLED WITH" | "CHECKSUMS" => Section::Ignored,
                _ => {
                    warnings.push(input.warning(
                        Some(line),
                        format!(
                            "unknown section `{}`: its lines are skipped",
                            shorten(content)
                        ),
                    ));
                    Section::Unknown
                }
            };
            if section != Section::Unknown {
                known_sections += 1;
            }
            continue;
        }
        match section {
            Section::None => {
                warnings
                    .push(input.warning(Some(line), "indented line before any section: skipped"));
            }
            Section::Unknown | Section::Ignored => {}
            Section::Dependencies => {
                if indent != 2 {
                    warnings.push(input.warning(
                        Some(line),
                        "unexpected indentation in DEPENDENCIES: skipped",
                    ));
                } else if let Some(entry) = name_and_parens(content) {
                    lock.direct.push(entry.name.to_owned());
                } else {
                    warnings.push(input.warning(
                        Some(line),
                        format!("cannot read dependency `{}`: skipped", shorten(content)),
                    ));
                }
            }
            Section::Source(s) => {
                match indent {
                    2 => {
                        current_spec = None;
                        source_attribute(input, line, content, lock.sources.get_mut(s), warnings);
                    }
                    4 => {
                        current_spec = None;
                        match name_and_parens(content) {
                            Some(NameAndParens {
                                name,
                                parens: Some(inner),
                                ..
                            }) if !inner.trim().is_empty() => {
                                // Bundler: the version ends at the first `-`; the rest is the platform.
                                let version = inner.split('-').next().unwrap_or(inner).trim();
                                if version.is_empty() || version.contains(char::is_whitespace) {
                                    warnings.push(input.warning(
                                    Some(line),
                                    format!("gem `{name}` has an unreadable version `{inner}`: skipped"),
                                ));
                                } else {
                                    lock.specs.push(Spec {
                                        name: name.to_owned(),
                                        version: version.to_owned(),
                                        source: s,
                                        line,
                                        deps: Vec::new(),
                                    });
                                    current_spec = Some(lock.specs.len() - 1);
                                }
                            }
                            Some(entry) => warnings.push(input.warning(
                                Some(line),
                                format!("gem `{}` has no version: skipped", entry.name),
                            )),
                            None => warnings.push(input.warning(
                                Some(line),
                                format!("cannot read gem `{}`: skipped", shorten(content)),
                            )),
                        }
                    }
                    6 => {
                        if let Some(spec) = current_spec.and_then(|c| lock.specs.get_mut(c)) {
                            match name_and_parens(content) {
                                Some(entry) => spec.deps.push(entry.name.to_owned()),
                                None => warnings.push(input.warning(
                                    Some(line),
                                    format!(
                                        "cannot read dependency `{}` of `{}`",
                                        shorten(content),
                                        spec.name
                                    ),
                                )),
                            }
                        }
                    }
                    _ => warnings
                        .push(input.warning(Some(line), "unexpected indentation: line skipped")),
                }
            }
        }
    }
    if known_sections == 0 {
        return Err(input.error(
            Some(1),
            "not a Gemfile.lock: no GEM, GIT, PATH, PLATFORMS or DEPENDENCIES section",
        ));
    }
    Ok(lock)
}

/// Applies a `key: value` line of a source section.
fn source_attribute(
    input: &Input<'_>,
    line: u32,
    content: &str,
    block: Option<&mut SourceBlock>,
    warnings: &mut Vec<Warning>,
) {
    let Some(block) = block else { return };
    if content == "specs:" {
        return;
    }
    let Some((key, value)) = content.split_once(':') else {
        warnings.push(input.warning(
            Some(line),
            format!(
                "unexpected line `{}` in a source section: skipped",
                shorten(content)
            ),
        ));
        return;
    };
    let value = value.trim().to_owned();
    match key {
        "remote" => block.remotes.push(value),
        "revision" => block.revision = Some(value),
        "tag" => block.tag = Some(value),
        "branch" => block.branch = Some(value),
        "ref" => block.reference = Some(value),
        // `glob:`, `submodules:`, `type:` and plugin options say nothing about versions.
        _ => {}
    }
}

/// `name`, `name (inside)`, either optionally followed by `!`.
struct NameAndParens<'a> {
    name: &'a str,
    parens: Option<&'a str>,
}

/// Reads `name`, `name (inside)` or either with a trailing `!` (Bundler's
/// `NAME_VERSION` shape). `None` when the text has another shape.
fn name_and_parens(content: &str) -> Option<NameAndParens<'_>> {
    let content = content.strip_suffix('!').unwrap_or(content);
    let (name, parens) = match content.split_once(" (") {
        Some((name, rest)) => (name, Some(rest.strip_suffix(')')?)),
        None => (content, None),
    };
    let valid =
        !name.is_empty() && !name.contains(|c: char| c.is_whitespace() || c == '(' || c == ')');
    if !valid || parens.is_some_and(|p| p.contains(['(', ')'])) {
        return None;
    }
    Some(NameAndParens { name, parens })
}

/// Git merge-conflict markers at the start of a line.
fn is_conflict_marker(line: &str) -> bool {
    ["<<<<<<<", "|||||||", ">>>>>>>"]
        .iter()
        .any(|m| line.starts_with(m))
        || (line.starts_with("=======") && line.trim_end().bytes().all(|b| b == b'='))
}

/// At most 60 characters of `s`, for messages.
fn shorten(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

/// The groups of the Gemfile beside this lockfile, as a scope per gem name; `None`
/// when there is no Gemfile or it cannot be read.
fn gemfile_scopes(
    input: &Input<'_>,
    warnings: &mut Vec<Warning>,
) -> Option<HashMap<String, Scope>> {
    let manifest = if input.path.file_name().is_some_and(|n| n == "gems.locked") {
        "gems.rb"
    } else {
        "Gemfile"
    };
    let (path, text) = input.sibling(manifest, "scopes unknown", warnings)?;
    let manifest_input = Input {
        path: &path,
        text: &text,
        files: input.files,
    };
    let parsed = match super::gemfile::parse(&manifest_input) {
        Ok(parsed) => parsed,
        Err(e) => {
            warnings.push(input.warning(None, format!("groups unknown: {e}")));
            return None;
        }
    };
    let mut scopes = HashMap::new();
    for p in parsed.packages {
        // A gem declared twice (once per platform, say) takes the widest scope.
        let scope = scopes
            .get(&p.name)
            .map_or(p.scope, |s: &Scope| s.broader(p.scope));
        scopes.insert(p.name, scope);
    }
    Some(scopes)
}

/// Sets the scope of every package reachable from `roots` (also used for `mix.lock`):
/// runtime when a runtime (or unknown-scope: it may ship) root reaches it, else
/// optional, else development. Packages no root reaches keep their scope.
pub(crate) fn propagate_scopes(
    adjacency: &[Vec<usize>],
    roots: &[(usize, Scope)],
    packages: &mut [Package],
) {
    let seeds: Vec<(usize, Scope)> = roots
        .iter()
        .map(|&(i, s)| {
            (
                i,
                if s == Scope::Unknown {
                    Scope::Runtime
                } else {
                    s
                },
            )
        })
        .collect();
    let spread = crate::graph::spread_scopes(adjacency, &seeds);
    for (p, s) in packages.iter_mut().zip(spread) {
        if let Some(s) = s {
            p.scope = s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::MemFiles;
    use crate::{DiskFiles, Files, Relation};
    use std::path::{Path, PathBuf};

    fn parse_at(path: &str, text: &str, files: &dyn Files) -> Result<Parsed, ParseError> {
        parse(&Input {
            path: Path::new(path),
            text,
            files,
        })
    }

    fn parse_str(text: &str) -> Result<Parsed, ParseError> {
        parse_at("app/Gemfile.lock", text, &MemFiles::default())
    }

    fn find<'a>(parsed: &'a Parsed, name: &str) -> &'a Package {
        parsed
            .packages
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no package {name}"))
    }

    const SMALL: &str = "\
GIT
  remote: https://github.com/hanami/utils.git
  revision: 5904fc9a70683b8749aa2861257d0c8c01eae4aa
  branch: unstable
  specs:
    hanami-utils (2.0.0.alpha1)
      concurrent-ruby (~> 1.0)

PATH
  remote: vendor/local
  specs:
    local-gem (0.1.0)
      rack

GEM
  remote: https://rubygems.org/
  specs:
    concurrent-ruby (1.1.7)
    nokogiri (1.13.4-x86_64-linux)
      racc (~> 1.4)
    nokogiri (1.13.4-arm64-darwin)
      racc (~> 1.4)
    racc (1.6.0)
    rack (2.2.3)
    rspec (3.12.0)
    orphan (1.0.0)

PLATFORMS
  arm64-darwin
  x86_64-linux

DEPENDENCIES
  hanami-utils!
  local-gem!
  nokogiri (~> 1.13)
  rspec
  tzinfo-data

CHECKSUMS
  rack (2.2.3) sha256=abc

RUBY VERSION
   ruby 3.2.2p53

BUNDLED WITH
   2.5.3
";

    #[test]
    fn sources_versions_and_platforms() {
        let parsed = parse_str(SMALL).expect("parses");
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let names: Vec<&str> = parsed.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "hanami-utils",
                "local-gem",
                "concurrent-ruby",
                "nokogiri",
                "racc",
                "rack",
                "rspec",
                "orphan"
            ]
        );
        let utils = find(&parsed, "hanami-utils");
        assert_eq!(utils.pin, Pin::Exact("2.0.0.alpha1".into()));
        assert_eq!(
            utils.source,
            Source::Git {
                url: "https://github.com/hanami/utils.git".into(),
                rev: Some("5904fc9a70683b8749aa2861257d0c8c01eae4aa".into()),
            }
        );
        assert_eq!(utils.line, Some(6));
        assert_eq!(
            find(&parsed, "local-gem").source,
            Source::Path("vendor/local".into())
        );
        let nokogiri = find(&parsed, "nokogiri");
        assert_eq!(
            nokogiri.pin,
            Pin::Exact("1.13.4".into()),
            "platform stripped"
        );
        assert_eq!(nokogiri.source, Source::Registry);
        assert_eq!(nokogiri.line, Some(19), "first platform variant");
    }

    #[test]
    fn graph_gives_relations_and_paths() {
        let parsed = parse_str(SMALL).expect("parses");
        for direct in ["hanami-utils", "local-gem", "nokogiri", "rspec"] {
            assert_eq!(find(&parsed, direct).relation, Relation::Direct, "{direct}");
        }
        let racc = find(&parsed, "racc");
        assert_eq!(racc.relation, Relation::Transitive);
        assert_eq!(racc.paths, vec![vec!["nokogiri@1.13.4", "racc@1.6.0"]]);
        assert_eq!(find(&parsed, "rack").relation, Relation::Transitive);
        assert_eq!(
            find(&parsed, "concurrent-ruby").relation,
            Relation::Transitive
        );
        assert_eq!(find(&parsed, "orphan").relation, Relation::Unknown);
        assert_eq!(
            find(&parsed, "rack").scope,
            Scope::Unknown,
            "no Gemfile beside"
        );
    }

    #[test]
    fn scopes_come_from_the_gemfile_beside() {
        let gemfile = "\
source 'https://rubygems.org'
gem 'hanami-utils', git: 'https://github.com/hanami/utils.git'
gem 'local-gem', path: 'vendor/local'
gem 'nokogiri', '~> 1.13'
group :development, :test do
  gem 'rspec'
end
";
        let files = MemFiles::with(&[("app/Gemfile", gemfile)]);
        let parsed = parse_at("app/Gemfile.lock", SMALL, &files).expect("parses");
        assert_eq!(find(&parsed, "rspec").scope, Scope::Development);
        assert_eq!(find(&parsed, "racc").scope, Scope::Runtime);
        assert_eq!(find(&parsed, "rack").scope, Scope::Runtime);
        assert_eq!(find(&parsed, "orphan").scope, Scope::Unknown);
    }

    #[test]
    fn dev_only_transitive_is_development_and_shared_is_runtime() {
        let lock = "\
GEM
  remote: https://rubygems.org/
  specs:
    a (1.0)
      shared
    shared (1.0)
    t (1.0)
      shared
      tonly
    tonly (1.0)

DEPENDENCIES
  a
  t
";
        let gemfile = "gem 'a'\ngem 't', group: :test\n";
        let files = MemFiles::with(&[("x/gems.rb", gemfile)]);
        let parsed = parse_at("x/gems.locked", lock, &files).expect("parses");
        assert_eq!(find(&parsed, "shared").scope, Scope::Runtime);
        assert_eq!(find(&parsed, "tonly").scope, Scope::Development);
        assert_eq!(find(&parsed, "t").scope, Scope::Development);
    }

    #[test]
    fn problems_are_warnings_with_lines() {
        let lock = "\
GEM
  remote: https://rubygems.org/
  specs:
    noversion
    good (1.0)
   odd-indent (1.0)
    bad (1.0

WEIRD SECTION
  whatever (1.0)

DEPENDENCIES
  good
";
        let parsed = parse_str(lock).expect("parses");
        assert_eq!(parsed.packages.len(), 1);
        let lines: Vec<Option<u32>> = parsed.warnings.iter().map(|w| w.line).collect();
        assert_eq!(
            lines,
            [Some(4), Some(6), Some(7), Some(9)],
            "{:?}",
            parsed.warnings
        );
        assert!(parsed.warnings[0].message.contains("no version"));
        assert!(parsed.warnings[3].message.contains("unknown section"));
    }

    #[test]
    fn errors_and_empty() {
        let conflict =
            "GEM\n  specs:\n<<<<<<< HEAD\n    a (1.0)\n=======\n    a (1.1)\n>>>>>>> b\n";
        let err = parse_str(conflict).expect_err("conflict");
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("merge conflict"));
        let err = parse_str("this is not a lockfile\n").expect_err("not a lockfile");
        assert!(err.message.contains("not a Gemfile.lock"), "{err}");
        assert_eq!(err.line, Some(1));
        let empty = parse_str(" \n\n").expect("empty is ok");
        assert!(empty.packages.is_empty());
        assert_eq!(empty.warnings[0].message, "empty file");
    }

    #[test]
    fn crlf_and_git_tag() {
        let lock = "GIT\r\n  remote: https://g/x.git\r\n  tag: v1\r\n  specs:\r\n    x (1.0)\r\n\r\nDEPENDENCIES\r\n  x!\r\n";
        let parsed = parse_str(lock).expect("parses");
        assert_eq!(
            parsed.packages[0].source,
            Source::Git {
                url: "https://g/x.git".into(),
                rev: Some("v1".into())
            }
        );
        assert_eq!(parsed.packages[0].relation, Relation::Direct);
    }

    /// The Gemfile.lock fixtures of `../shared`, or `None` (the test named `test`
    /// reported as skipped) when it is absent.
    fn fixture_dir(test: &str) -> Option<PathBuf> {
        crate::testutil::fixtures(test).map(|d| d.join("ruby/gemfilelock"))
    }

    /// Expected outcome per fixture, read off the files.
    enum Expect {
        Ok {
            count: usize,
            pins: &'static [(&'static str, &'static str)],
            warnings: usize,
        },
    }

    const FIXTURES: &[(&str, Expect)] = &[
        (
            "has-git-gem.lock",
            Expect::Ok {
                count: 5,
                pins: &[
                    ("hanami-controller", "2.0.0.alpha1"),
                    ("transproc", "1.1.1"),
                ],
                warnings: 0,
            },
        ),
        (
            "has-local-gem.lock",
            Expect::Ok {
                count: 30,
                pins: &[
                    ("backbone-on-rails", "1.2.0.0"),
                    ("nokogiri", "1.13.3"),
                    ("eco-source", "1.1.0.rc.1"),
                ],
                warnings: 0,
            },
        ),
        (
            "invalid.lock",
            Expect::Ok {
                count: 0,
                pins: &[],
                warnings: 1,
            },
        ),
        (
            "multiple-gems.lock",
            Expect::Ok {
                count: 6,
                pins: &[("bundler-audit", "0.9.0.1"), ("thor", "1.2.1")],
                warnings: 0,
            },
        ),
        (
            "no-gem-section.lock",
            Expect::Ok {
                count: 0,
                pins: &[],
                warnings: 1, // "empty: no packages found"
            },
        ),
        (
            "no-gems.lock",
            Expect::Ok {
                count: 0,
                pins: &[],
                warnings: 1, // "empty: no packages found"
            },
        ),
        (
            "no-spec-section.lock",
            Expect::Ok {
                count: 0,
                pins: &[],
                warnings: 1, // "empty: no packages found"
            },
        ),
        (
            "one-gem.lock",
            Expect::Ok {
                count: 1,
                pins: &[("ast", "2.4.2")],
                warnings: 0,
            },
        ),
        (
            "rails.lock",
            Expect::Ok {
                count: 46,
                pins: &[
                    ("rails", "7.0.2.2"),
                    ("nokogiri", "1.13.3"),
                    ("zeitwerk", "2.5.4"),
                ],
                warnings: 0,
            },
        ),
        (
            "rubocop.lock",
            Expect::Ok {
                count: 10,
                pins: &[("rubocop", "1.25.1"), ("unicode-display_width", "2.1.0")],
                warnings: 0,
            },
        ),
        (
            "some-gems.lock",
            Expect::Ok {
                count: 3,
                pins: &[("pry", "0.14.1"), ("coderay", "1.1.3")],
                warnings: 0,
            },
        ),
        (
            "source-section-at-end.lock",
            Expect::Ok {
                count: 1,
                pins: &[("ast", "2.4.2")],
                warnings: 0,
            },
        ),
    ];

    #[test]
    fn fixtures() {
        let Some(dir) = fixture_dir(cverun_testkit::test_name!()) else {
            return;
        };
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .expect("fixture directory")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = FIXTURES.iter().map(|(n, _)| (*n).to_owned()).collect();
        listed.sort();
        assert_eq!(on_disk, listed, "every fixture has a row");
        for (name, expect) in FIXTURES {
            let result =
                crate::parse_file(crate::FileKind::GemfileLock, &dir.join(name), &DiskFiles);
            match expect {
                Expect::Ok {
                    count,
                    pins,
                    warnings,
                } => {
                    let parsed = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                    assert_eq!(parsed.packages.len(), *count, "{name}");
                    assert_eq!(
                        parsed.warnings.len(),
                        *warnings,
                        "{name}: {:?}",
                        parsed.warnings
                    );
                    for (n, v) in *pins {
                        assert_eq!(find(&parsed, n).exact_version(), Some(*v), "{name}: {n}");
                    }
                }
            }
        }
    }

    #[test]
    fn fixture_details() {
        let Some(dir) = fixture_dir(cverun_testkit::test_name!()) else {
            return;
        };
        let read = |name: &str| {
            crate::parse_file(crate::FileKind::GemfileLock, &dir.join(name), &DiskFiles)
        };
        let git = read("has-git-gem.lock").expect("git");
        assert_eq!(find(&git, "hanami-utils").relation, Relation::Direct);
        assert_eq!(find(&git, "transproc").relation, Relation::Transitive);
        assert_eq!(
            find(&git, "transproc").paths,
            vec![vec!["hanami-utils@2.0.0.alpha1", "transproc@1.1.1"]]
        );
        // Nothing the project asks for depends on hanami-controller.
        assert_eq!(find(&git, "hanami-controller").relation, Relation::Unknown);
        assert!(matches!(
            find(&git, "hanami-controller").source,
            Source::Git { .. }
        ));
        let invalid = read("invalid.lock").expect("invalid");
        assert_eq!(invalid.warnings[0].line, Some(4));
        assert!(invalid.warnings[0].message.contains("invalid-name"));
        let local = read("has-local-gem.lock").expect("local");
        assert_eq!(
            find(&local, "backbone-on-rails").source,
            Source::Path("vendor/gem/backbone-on-rails".into())
        );
        assert_eq!(find(&local, "railties").relation, Relation::Transitive);
        let rails = read("rails.lock").expect("rails");
        assert_eq!(find(&rails, "rails").relation, Relation::Direct);
        assert!(
            rails
                .packages
                .iter()
                .all(|p| p.name == "rails" || p.relation == Relation::Transitive)
        );
    }

    /// Every fixture, truncated or with bytes changed, parses or fails without panicking.
    /// The texts; none when `../shared` is absent.
    fn fixture_texts(test: &str) -> Vec<String> {
        let Some(dir) = fixture_dir(test) else {
            return Vec::new();
        };
        FIXTURES
            .iter()
            .map(|(n, _)| std::fs::read_to_string(dir.join(n)).expect("fixture"))
            .collect()
    }

    #[test]
    fn truncations_never_panic() {
        for text in fixture_texts(cverun_testkit::test_name!()) {
            let bytes = text.as_bytes();
            for k in 0..=10 {
                let cut = bytes.len() * k / 10;
                let _ = parse_str(&String::from_utf8_lossy(&bytes[..cut]));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn byte_flips_never_panic(
            which in 0usize..12,
            flips in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), proptest::prelude::any::<u8>()), 1..8),
        ) {
            let texts = fixture_texts(cverun_testkit::test_name!());
            if texts.is_empty() {
                return Ok(());
            }
            let mut bytes = texts[which % texts.len()].clone().into_bytes();
            if !bytes.is_empty() {
                for (at, b) in flips {
                    let i = at.index(bytes.len());
                    bytes[i] = b;
                }
            }
            let _ = parse_str(&String::from_utf8_lossy(&bytes));
        }
    }

    /// Counts computed independently: distinct (name, version without platform) specs:
    /// python3 -c "import re,sys; print(len({(m[1], m[2].split('-')[0]) for m in re.finditer(r'^    (\S+) \(([^)]*)\)$', open(sys.argv[1]).read(), re.M)}))" Gemfile.lock
    #[test]
    fn corpus_files() {
        let Some(corpus) = crate::testutil::corpus(cverun_testkit::test_name!()) else {
            return;
        };
        for (path, count, pins) in [
            (
                "opentelemetry-demo@2022-10/src/emailservice/Gemfile.lock",
                25,
                &[("sinatra", "2.2.0"), ("rack", "2.2.3.1")],
            ),
            (
                "opentelemetry-demo@2024-06/src/emailservice/Gemfile.lock",
                65,
                &[("google-protobuf", "3.25.0"), ("puma", "6.4.0")],
            ),
        ] {
            let parsed =
                crate::parse_file(crate::FileKind::GemfileLock, &corpus.join(path), &DiskFiles)
                    .unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(parsed.packages.len(), count, "{path}");
            assert!(parsed.warnings.is_empty(), "{path}: {:?}", parsed.warnings);
            for (n, v) in pins {
                assert_eq!(find(&parsed, n).exact_version(), Some(*v), "{path}: {n}");
            }
            // The Gemfile beside it declares no groups: everything reached is runtime.
            assert!(
                parsed
                    .packages
                    .iter()
                    .all(|p| p.relation != Relation::Unknown && p.scope == Scope::Runtime),
                "{path}"
            );
        }
    }
}
