//! Mix project files (`mix.exs`, Elixir), read when no `mix.lock` is beside them.
//!
//! A `mix.exs` is Elixir code. It is not evaluated: its dependency list is found
//! and read as literals with the tokenizer and reader of [`super::mix_lock`]. The
//! list is the body of `defp deps do ... end` / `def deps` (every clause, also the
//! `, do: [...]` form), or else the `deps: [...]` of the project keyword list. Every
//! tuple in that body is a dependency, also inside `if`/`case` branches or
//! concatenated lists (`[...] ++ [...]`): the safe direction.
//!
//! A dependency is `{:app, requirement?, options?}` with the options as a trailing
//! keyword list:
//! - `{:phoenix, "~> 1.6.0"}` is [`Pin::Unpinned`] with its requirement; `"== 3.9.0"`
//!   or a bare `"3.9.0"` (which Elixir reads as `==`) is [`Pin::Exact`]; no
//!   requirement is unpinned with an empty specifier;
//! - `git:` (at `ref:`/`tag:`/`branch:`) and `github: "org/repo"` are [`Source::Git`];
//!   `path:` is [`Source::Path`], and so is `in_umbrella: true` (`../app`); `repo:`
//!   other than `"hexpm"` and `organization:` are [`Source::OtherRegistry`];
//! - `hex: :name` names the Hex package when it differs from the app;
//! - scope: `only:` limited to `:dev`/`:test` is development, `optional: true` is
//!   optional, anything else runtime; an `only:` that is not a literal leaves it
//!   unknown;
//! - relation: all direct.
//!
//! Problems: a tuple in the dependency list that does not start with an atom, or a
//! requirement that is not a string literal (a module attribute, an interpolated
//! string: the dependency is kept unpinned with the expression as its specifier),
//! is a warning with its line; so is a `deps: deps()` whose function is missing.
//! Unterminated strings and unbalanced brackets in the dependency list, text without
//! `Mix.Project`, and git merge-conflict markers are errors.

use cverun_versions::Ecosystem;

use super::mix_lock::{Node, Reader, Term, Tok, Token, check_conflict_markers, keyword, tokenize};
use crate::{Input, Package, ParseError, Parsed, Pin, Relation, Scope, Source, Warning};

/// Parses a `mix.exs`.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    let mut parsed = Parsed::default();
    if input.text.trim().is_empty() {
        parsed.warnings.push(input.warning(None, "empty file"));
        return Ok(parsed);
    }
    let (deps, warnings) = dependencies(input)?;
    parsed.packages = deps.into_iter().map(|d| d.package).collect();
    parsed.warnings = warnings;
    Ok(parsed)
}

/// A dependency declared in `mix.exs`: its app name (the `mix.lock` key) and the
/// package.
#[derive(Clone, Debug)]
pub(crate) struct Dep {
    pub(crate) app: String,
    pub(crate) package: Package,
}

/// The dependencies of a `mix.exs` and the warnings met reading them.
pub(crate) fn dependencies(input: &Input<'_>) -> Result<(Vec<Dep>, Vec<Warning>), ParseError> {
    check_conflict_markers(input)?;
    let tokens = tokenize(input.text).map_err(|(line, msg)| input.error(Some(line), msg))?;
    let is_mix_project = tokens.windows(3).any(|w| {
        w[0].tok == Tok::Ident("Mix".into())
            && w[1].tok == Tok::Op(".".into())
            && w[2].tok == Tok::Ident("Project".into())
    });
    if !is_mix_project {
        return Err(input.error(Some(1), "not a mix.exs: no `Mix.Project`"));
    }
    let mut warnings = Vec::new();
    let mut bodies = deps_functions(&tokens);
    if bodies.is_empty() {
        // `deps: [...]` written inline in the project keyword list.
        for (i, t) in tokens.iter().enumerate() {
            if t.tok == Tok::Key("deps".into()) {
                match tokens.get(i + 1).map(|t| &t.tok) {
                    Some(Tok::Open('[')) => bodies.push((i + 1, matching(&tokens, i + 1))),
                    _ => warnings.push(input.warning(
                        Some(t.line),
                        "`deps:` is not a literal list and no `deps` function was found: dependencies not read",
                    )),
                }
            }
        }
    }
    let mut deps = Vec::new();
    for (start, end) in bodies {
        let body = tokens.get(start..end).unwrap_or_default();
        let mut reader = Reader::new(body, input.text);
        while let Some(token) = body.get(reader.pos) {
            match token.tok {
                Tok::Open('{') => {
                    let line = token.line;
                    match reader.primary() {
                        Ok(Some(node)) => match dependency(&node) {
                            Ok((dep, problem)) => {
                                if let Some(problem) = problem {
                                    warnings.push(input.warning(Some(line), problem));
                                }
                                deps.push(dep);
                            }
                            Err(problem) => warnings.push(input.warning(Some(line), problem)),
                        },
                        Ok(None) => reader.pos += 1,
                        Err((line, msg)) => return Err(input.error(Some(line), msg)),
                    }
                }
                _ => reader.pos += 1,
            }
        }
    }
    Ok((deps, warnings))
}

/// The token ranges of the bodies of every `def deps`/`defp deps` clause.
fn deps_functions(tokens: &[Token]) -> Vec<(usize, usize)> {
    let mut bodies = Vec::new();
    let ident = |i: usize, w: &str| matches!(tokens.get(i), Some(Token { tok: Tok::Ident(x), .. }) if x == w);
    for i in 0..tokens.len() {
        if !(ident(i, "def") || ident(i, "defp")) || !ident(i + 1, "deps") {
            continue;
        }
        // Skip parameters and guards up to `do` / `do:`.
        let mut j = i + 2;
        let mut depth = 0usize;
        while let Some(t) = tokens.get(j) {
            match &t.tok {
                Tok::Open(_) | Tok::MapOpen => depth += 1,
                Tok::Close(_) => depth = depth.saturating_sub(1),
                Tok::Ident(w) if depth == 0 && w == "do" => break,
                Tok::Key(k) if depth == 0 && k == "do" => break,
                Tok::Ident(w) if depth == 0 && (w == "def" || w == "defp" || w == "end") => break,
                _ => {}
            }
            j += 1;
        }
        match tokens.get(j).map(|t| &t.tok) {
            Some(Tok::Ident(w)) if w == "do" => {
                // Up to the matching `end`.
                let mut level = 1usize;
                let mut k = j + 1;
                while let Some(t) = tokens.get(k) {
                    match &t.tok {
                        Tok::Ident(w) if w == "do" || w == "fn" => level += 1,
                        Tok::Ident(w) if w == "end" => {
                            level -= 1;
                            if level == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    k += 1;
                }
                bodies.push((j + 1, k));
            }
            Some(Tok::Key(_)) => {
                // `, do: expression`: up to the next definition or the module's `end`.
                let mut k = j + 1;
                let mut depth = 0usize;
                while let Some(t) = tokens.get(k) {
                    match &t.tok {
                        Tok::Open(_) | Tok::MapOpen => depth += 1,
                        Tok::Close(_) => depth = depth.saturating_sub(1),
                        Tok::Ident(w)
                            if depth == 0
                                && matches!(w.as_str(), "def" | "defp" | "end" | "defmacro") =>
                        {
                            break;
                        }
                        _ => {}
                    }
                    k += 1;
                }
                bodies.push((j + 1, k));
            }
            _ => {}
        }
    }
    bodies
}

/// The index after the bracket closing the one opened at `open`.
fn matching(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    for (k, t) in tokens.iter().enumerate().skip(open) {
        match t.tok {
            Tok::Open(_) | Tok::MapOpen => depth += 1,
            Tok::Close(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return k + 1;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

/// Reads one dependency tuple; the second value is a problem worth a warning.
fn dependency(node: &Node) -> Result<(Dep, Option<String>), String> {
    let Term::Tuple(items) = &node.term else {
        return Err("not a dependency tuple: skipped".into());
    };
    let app = match items.first().map(|n| &n.term) {
        Some(Term::Atom(app)) if !app.is_empty() => app.clone(),
        Some(Term::Expr(e)) => {
            return Err(format!(
                "dependency name `{}` is not an atom: skipped",
                shorten(e)
            ));
        }
        _ => return Err("dependency tuple does not start with an atom: skipped".into()),
    };
    let mut requirement: Option<String> = None;
    let mut expression: Option<String> = None;
    let mut options: Option<&Node> = None;
    for item in items.iter().skip(1) {
        match &item.term {
            Term::Str(s) if requirement.is_none() && options.is_none() => {
                requirement = Some(s.clone())
            }
            Term::List(_) => options = Some(item),
            Term::Expr(e) if options.is_none() => expression = Some(e.clone()),
            other => expression = Some(node_text(other)),
        }
    }
    let option = |key: &str| options.and_then(|o| keyword(o, key));
    let text = |key: &str| option(key).map(|n| node_text(&n.term));
    let name = text("hex").unwrap_or_else(|| app.clone());
    let mut problem = None;
    let pin = match (requirement, expression) {
        (_, Some(e)) => {
            problem = Some(format!(
                "{app}: requirement `{}` is not a string literal; kept unpinned",
                shorten(&e)
            ));
            Pin::Unpinned { specifier: e }
        }
        (Some(r), None) => pin(&r),
        (None, None) => Pin::Unpinned {
            specifier: String::new(),
        },
    };
    let mut package = Package::new(Ecosystem::Hex, &name, pin);
    package.relation = Relation::Direct;
    package.line = Some(node.line);
    let rev = ["ref", "tag", "branch"].iter().find_map(|k| text(k));
    package.source = if let Some(url) = text("git") {
        Source::Git { url, rev }
    } else if let Some(repo) = text("github") {
        Source::Git {
            url: format!("https://github.com/{repo}.git"),
            rev,
        }
    } else if let Some(dir) = text("path") {
        Source::Path(dir)
    } else if option("in_umbrella").is_some_and(|n| n.term == Term::Atom("true".into())) {
        Source::Path(format!("../{app}"))
    } else if let Some(org) = text("organization") {
        Source::OtherRegistry(format!("hexpm:{org}"))
    } else {
        match text("repo") {
            Some(repo) if repo != "hexpm" => Source::OtherRegistry(repo),
            _ => Source::Registry,
        }
    };
    let only = option("only").map(|n| match &n.term {
        Term::Atom(a) => Some(vec![a.as_str()]),
        Term::List(items) => items
            .iter()
            .map(|i| match &i.term {
                Term::Atom(a) => Some(a.as_str()),
                _ => None,
            })
            .collect(),
        _ => None,
    });
    let optional = option("optional").is_some_and(|n| n.term == Term::Atom("true".into()));
    package.scope = match only {
        Some(None) => Scope::Unknown,
        Some(Some(envs))
            if !envs.is_empty() && envs.iter().all(|e| *e == "dev" || *e == "test") =>
        {
            Scope::Development
        }
        _ if optional => Scope::Optional,
        _ => Scope::Runtime,
    };
    Ok((Dep { app, package }, problem))
}

/// A string's text, an atom's name, or code as written.
fn node_text(term: &Term) -> String {
    match term {
        Term::Str(s) | Term::Atom(s) | Term::Num(s) | Term::Expr(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

/// `Exact` for `== X` or a bare version `X`; otherwise `Unpinned` as written.
fn pin(requirement: &str) -> Pin {
    let t = requirement.trim();
    let version = match t.strip_prefix("==") {
        Some(rest) => rest.trim(),
        None if t.starts_with(|c: char| c.is_ascii_digit()) => t,
        None => "",
    };
    if !version.is_empty() && !version.contains(char::is_whitespace) {
        Pin::Exact(version.to_owned())
    } else {
        Pin::Unpinned {
            specifier: t.to_owned(),
        }
    }
}

/// At most 60 characters of `s` (one line), for messages.
fn shorten(s: &str) -> String {
    let s = s.lines().next().unwrap_or_default();
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DiskFiles;
    use std::path::Path;

    fn parse_str(text: &str) -> Result<Parsed, ParseError> {
        parse(&Input {
            path: Path::new("app/mix.exs"),
            text,
            files: &DiskFiles,
        })
    }

    fn find<'a>(parsed: &'a Parsed, name: &str) -> &'a Package {
        parsed
            .packages
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no package {name}"))
    }

    fn unpinned(s: &str) -> Pin {
        Pin::Unpinned {
            specifier: s.into(),
        }
    }

    const EXS: &str = r#"defmodule MyApp.MixProject do
  use Mix.Project

  @version "1.0.0"

  def project do
    [app: :my_app, version: @version, deps: deps()]
  end

  # Dependencies
  defp deps do
    [
      {:phoenix, "~> 1.6.0"},
      {:plug, ">= 0.0.0", only: :dev},
      {:ecto, "== 3.9.0"},
      {:jason, "1.4.0"},
      {:tagged, git: "https://github.com/org/tagged.git", tag: "v1"},
      {:local, path: "../x"},
      {:gh, github: "org/repo", branch: "main"},
      {:floki, ">= 0.30.0", only: [:dev, :test]},
      {:telemetry, "~> 1.0", optional: true},
      {:esbuild, "~> 0.4", runtime: Mix.env() == :dev},
      {:chatterbox, "~> 0.12", hex: :ts_chatterbox},
      {:private, "~> 1.0", organization: "acme"},
      {:sibling, in_umbrella: true},
      {:prod_only, "~> 1.0", only: :prod},
      {:credo, "~> 1.6", [only: [:dev, :test], runtime: false]},
      {:pinned_attr, @version},
      {dep_name, "~> 1.0"},
      {:no_req}
    ] ++ extra_deps()
  end

  defp extra_deps, do: [{:extra, "~> 2.0"}]
end
"#;

    #[test]
    fn dependencies_and_pins() {
        let parsed = parse_str(EXS).expect("parses");
        assert_eq!(parsed.packages.len(), 17);
        assert!(
            parsed
                .packages
                .iter()
                .all(|p| p.relation == Relation::Direct)
        );
        assert_eq!(find(&parsed, "phoenix").pin, unpinned("~> 1.6.0"));
        assert_eq!(find(&parsed, "phoenix").line, Some(13));
        assert_eq!(find(&parsed, "ecto").pin, Pin::Exact("3.9.0".into()));
        assert_eq!(find(&parsed, "jason").pin, Pin::Exact("1.4.0".into()));
        assert_eq!(find(&parsed, "no_req").pin, unpinned(""));
        assert_eq!(find(&parsed, "pinned_attr").pin, unpinned("@version"));
        assert_eq!(find(&parsed, "ts_chatterbox").pin, unpinned("~> 0.12"));
        assert!(
            parsed.packages.iter().all(|p| p.name != "extra"),
            "other functions are not deps"
        );
        let lines: Vec<Option<u32>> = parsed.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [Some(28), Some(29)], "{:?}", parsed.warnings);
        assert!(parsed.warnings[1].message.contains("not an atom"));
    }

    #[test]
    fn sources_and_scopes() {
        let parsed = parse_str(EXS).expect("parses");
        assert_eq!(
            find(&parsed, "tagged").source,
            Source::Git {
                url: "https://github.com/org/tagged.git".into(),
                rev: Some("v1".into())
            }
        );
        assert_eq!(
            find(&parsed, "gh").source,
            Source::Git {
                url: "https://github.com/org/repo.git".into(),
                rev: Some("main".into())
            }
        );
        assert_eq!(find(&parsed, "local").source, Source::Path("../x".into()));
        assert_eq!(
            find(&parsed, "sibling").source,
            Source::Path("../sibling".into())
        );
        assert_eq!(
            find(&parsed, "private").source,
            Source::OtherRegistry("hexpm:acme".into())
        );
        assert_eq!(find(&parsed, "phoenix").source, Source::Registry);
        for dev in ["plug", "floki", "credo"] {
            assert_eq!(find(&parsed, dev).scope, Scope::Development, "{dev}");
        }
        assert_eq!(find(&parsed, "telemetry").scope, Scope::Optional);
        for runtime in ["phoenix", "esbuild", "prod_only"] {
            assert_eq!(find(&parsed, runtime).scope, Scope::Runtime, "{runtime}");
        }
    }

    #[test]
    fn other_shapes() {
        let inline = "defmodule A.MixProject do\n  use Mix.Project\n  def project, do: [app: :a, deps: [{:x, \"~> 1.0\"}]]\nend\n";
        let parsed = parse_str(inline).expect("inline");
        assert_eq!(parsed.packages.len(), 1);
        assert_eq!(parsed.packages[0].line, Some(3));

        let keyword_fn = "defmodule A.MixProject do\n  use Mix.Project\n  defp deps, do: [{:x, \"~> 1.0\"}, {:y, \"2.0.0\"}]\n  defp other, do: [{:z, \"1\"}]\nend\n";
        let parsed = parse_str(keyword_fn).expect("do:");
        let names: Vec<&str> = parsed.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["x", "y"]);

        let clauses = "defmodule A.MixProject do\n  use Mix.Project\n  defp deps(:prod), do: [{:a, \"~> 1.0\"}]\n  defp deps(_) do\n    if true do\n      [{:b, \"~> 1.0\"}]\n    else\n      []\n    end\n  end\nend\n";
        let parsed = parse_str(clauses).expect("clauses");
        let names: Vec<&str> = parsed.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);

        let missing = "defmodule A.MixProject do\n  use Mix.Project\n  def project, do: [deps: deps()]\nend\n";
        let parsed = parse_str(missing).expect("missing");
        assert!(parsed.packages.is_empty());
        assert_eq!(parsed.warnings[0].line, Some(3));
    }

    #[test]
    fn errors() {
        let err = parse_str("[1, 2, 3]").expect_err("not mix.exs");
        assert!(err.message.contains("Mix.Project"));
        let err = parse_str(
            "defmodule A do\n  use Mix.Project\n  defp deps do\n    [{:a, \"~> 1.0}]\n  end\nend\n",
        )
        .expect_err("unterminated");
        assert_eq!(err.line, Some(4));
        let err = parse_str("defmodule A do\n  use Mix.Project\n  defp deps do\n    [{:a, \"~> 1.0\"]\n  end\nend\n")
            .expect_err("mismatched");
        assert_eq!(err.line, Some(4));
        let err = parse_str("use Mix.Project\n<<<<<<< ours\n").expect_err("conflict");
        assert_eq!(err.line, Some(2));
        let deep = format!(
            "use Mix.Project\ndefp deps do\n  [{{:a, {}{}}}]\nend\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let err = parse_str(&deep).expect_err("deep");
        assert!(err.message.contains("nested too deeply"));
        let empty = parse_str("").expect("empty");
        assert_eq!(empty.warnings[0].message, "empty file");
    }

    /// Count computed independently (dependency tuples inside `defp deps do ... end`):
    /// python3 -c "import re,sys; t=open(sys.argv[1]).read(); b=t[t.index('defp deps do'):]; b=b[:b.index('\n  end')]; print(len(re.findall(r'\{:\w+,', b)))" mix.exs
    #[test]
    fn corpus_file() {
        let Some(corpus) = crate::testutil::corpus(cverun_testkit::test_name!()) else {
            return;
        };
        let path = corpus.join("opentelemetry-demo@2022-10/src/featureflagservice/mix.exs");
        let parsed = crate::parse_file(crate::FileKind::MixExs, &path, &DiskFiles).expect("parses");
        assert_eq!(parsed.packages.len(), 21);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        assert_eq!(find(&parsed, "phoenix").pin, unpinned("~> 1.6.9"));
        assert_eq!(find(&parsed, "grpcbox").pin, unpinned("~> 0.15.0"));
        assert_eq!(find(&parsed, "floki").scope, Scope::Development);
        assert_eq!(
            find(&parsed, "phoenix_live_reload").scope,
            Scope::Development
        );
        assert_eq!(find(&parsed, "esbuild").scope, Scope::Runtime);
    }

    #[test]
    fn truncations_never_panic() {
        // The inline text always; the corpus file when `../shared` is present.
        let mut texts = vec![EXS.to_owned()];
        if let Some(corpus) = crate::testutil::corpus(cverun_testkit::test_name!()) {
            let path = corpus.join("opentelemetry-demo@2022-10/src/featureflagservice/mix.exs");
            texts.push(std::fs::read_to_string(path).expect("corpus"));
        }
        for text in texts {
            let bytes = text.as_bytes();
            for k in 0..=20 {
                let cut = bytes.len() * k / 20;
                let _ = parse_str(&String::from_utf8_lossy(&bytes[..cut]));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn byte_flips_never_panic(
            flips in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), proptest::prelude::any::<u8>()), 1..8),
        ) {
            let mut bytes = EXS.as_bytes().to_vec();
            for (at, b) in flips {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
            let _ = parse_str(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn arbitrary_text_never_panics(text in "(use Mix.Project|defp deps do|[ -~\n]){0,60}") {
            let _ = parse_str(&text);
        }
    }
}
