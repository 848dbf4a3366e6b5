//! One module per file format. Each exposes `parse(&Input) -> Result<Parsed, ParseError>`
//! and keeps its tests beside it.

use crate::text::strip_bom;
use crate::{FileKind, Input, ParseError, Parsed, Pin};

pub mod build_gradle;
pub mod bun_lock;
pub mod cargo_lock;
pub mod cargo_toml;
pub mod composer_json;
pub mod composer_lock;
pub mod cyclonedx;
pub mod gemfile;
pub mod gemfile_lock;
pub mod go_mod;
pub mod gradle_lockfile;
mod js_common;
pub mod mix_exs;
pub mod mix_lock;
pub mod msbuild;
pub mod nuget_lock;
pub mod package_json;
pub mod package_lock;
pub mod packages_config;
pub mod pdm_lock;
pub mod pipfile;
pub mod pipfile_lock;
pub mod pnpm_lock;
pub mod poetry_lock;
pub mod pom_xml;
pub mod purl;
pub mod pylock;
pub mod pyproject;
mod python;
pub mod requirements;
pub mod spdx;
mod structure;
mod toml_doc;
pub mod uv_lock;
pub mod yarn_lock;

/// The parser of `kind`.
fn parser(kind: FileKind) -> fn(&Input<'_>) -> Result<Parsed, ParseError> {
    match kind {
        FileKind::Requirements => requirements::parse,
        FileKind::PipfileLock => pipfile_lock::parse,
        FileKind::PoetryLock => poetry_lock::parse,
        FileKind::UvLock => uv_lock::parse,
        FileKind::PdmLock => pdm_lock::parse,
        FileKind::PyLock => pylock::parse,
        FileKind::PyProject => pyproject::parse,
        FileKind::Pipfile => pipfile::parse,
        FileKind::CargoLock => cargo_lock::parse,
        FileKind::CargoToml => cargo_toml::parse,
        FileKind::GoMod => go_mod::parse,
        FileKind::PackageLockJson => package_lock::parse,
        FileKind::YarnLock => yarn_lock::parse,
        FileKind::PnpmLock => pnpm_lock::parse,
        FileKind::BunLock => bun_lock::parse,
        FileKind::PackageJson => package_json::parse,
        FileKind::GemfileLock => gemfile_lock::parse,
        FileKind::Gemfile => gemfile::parse,
        FileKind::ComposerLock => composer_lock::parse,
        FileKind::ComposerJson => composer_json::parse,
        FileKind::MixLock => mix_lock::parse,
        FileKind::MixExs => mix_exs::parse,
        FileKind::GradleLockfile => gradle_lockfile::parse,
        FileKind::BuildGradle => build_gradle::parse,
        FileKind::PomXml => pom_xml::parse,
        FileKind::NuGetLock => nuget_lock::parse,
        FileKind::MsBuildProject => msbuild::parse,
        FileKind::PackagesConfig => packages_config::parse,
        FileKind::CycloneDx => cyclonedx::parse,
        FileKind::Spdx => spdx::parse,
    }
}

/// Parses `input` as `kind`. A UTF-8 byte order mark at the start is skipped for
/// every format (it sits on line 1, so no line moves). A file that gives no
/// package always comes with a warning: when its parser found nothing to say, the
/// warning is "empty: no packages found", so that no file passes as checked and
/// clean without a word.
pub fn parse(kind: FileKind, input: &Input<'_>) -> Result<Parsed, ParseError> {
    let mut parsed = parser(kind)(&without_bom(input))?;
    keep_readable(input, &mut parsed);
    if parsed.packages.is_empty() && parsed.warnings.is_empty() {
        parsed
            .warnings
            .push(input.warning(None, "empty: no packages found"));
    }
    Ok(parsed)
}

/// What every format guarantees, whatever the file says: an entry with an empty
/// name (`"": "1.0.0"` in a JSON map, say) is no package but a warning at its
/// line, and an empty exact version is no version (unpinned, so reported as
/// unmatchable rather than compared).
fn keep_readable(input: &Input<'_>, parsed: &mut Parsed) {
    let mut warnings = Vec::new();
    parsed.packages.retain_mut(|p| {
        if p.name.trim().is_empty() {
            let mut w = input.warning(p.line, "package entry with an empty name; skipped");
            if let Some(file) = &p.file {
                w.path = file.clone();
            }
            warnings.push(w);
            return false;
        }
        if matches!(&p.pin, Pin::Exact(v) if v.trim().is_empty()) {
            p.pin = Pin::Unpinned {
                specifier: String::new(),
            };
        }
        true
    });
    parsed.warnings.extend(warnings);
}

/// `input` with its text after a UTF-8 byte order mark, if it has one. Every
/// parser calls it first, so that each is BOM-safe when called on its own too.
pub(crate) fn without_bom<'a>(input: &Input<'a>) -> Input<'a> {
    Input {
        path: input.path,
        text: strip_bom(input.text),
        files: input.files,
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::testutil::{MemFiles, fixtures};
    use crate::{DiskFiles, parse_text};

    /// The kind of the files of each shared fixture directory (`dotnet/depsjson`
    /// holds `.deps.json` files, a format cverun does not read).
    const FIXTURE_DIRS: &[(&str, FileKind)] = &[
        ("dotnet/packagesconfig", FileKind::PackagesConfig),
        ("dotnet/packageslockjson", FileKind::NuGetLock),
        ("elixir/mixlock", FileKind::MixLock),
        ("erlang/mixlock", FileKind::MixLock),
        ("golang/gomod", FileKind::GoMod),
        ("java/gradlelockfile", FileKind::GradleLockfile),
        ("java/pomxml", FileKind::PomXml),
        ("javascript/bunlock", FileKind::BunLock),
        ("javascript/packagelockjson", FileKind::PackageLockJson),
        ("javascript/pnpmlock", FileKind::PnpmLock),
        ("javascript/yarnlock", FileKind::YarnLock),
        ("php/composerlock", FileKind::ComposerLock),
        ("python/pdmlock", FileKind::PdmLock),
        ("python/pipfilelock", FileKind::PipfileLock),
        ("python/poetrylock", FileKind::PoetryLock),
        ("python/pylock", FileKind::PyLock),
        ("python/requirements", FileKind::Requirements),
        ("python/uvlock", FileKind::UvLock),
        ("ruby/gemfilelock", FileKind::GemfileLock),
        ("rust/cargolock", FileKind::CargoLock),
    ];

    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("directory entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }

    /// A small valid file of `kind` (its name, its text), with at least one package.
    fn sample(kind: FileKind) -> (&'static str, &'static str) {
        match kind {
            FileKind::Requirements => (
                "requirements.txt",
                "# pins\nrequests==2.19.1\nsix==1.16.0\n",
            ),
            FileKind::PipfileLock => (
                "Pipfile.lock",
                "{\n  \"_meta\": {\"pipfile-spec\": 6},\n  \"default\": {\n    \"six\": {\"version\": \"==1.16.0\"}\n  },\n  \"develop\": {}\n}\n",
            ),
            FileKind::PoetryLock => (
                "poetry.lock",
                "[[package]]\nname = \"six\"\nversion = \"1.16.0\"\n\n[metadata]\nlock-version = \"2.0\"\n",
            ),
            FileKind::UvLock => (
                "uv.lock",
                "version = 1\n\n[[package]]\nname = \"six\"\nversion = \"1.16.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n",
            ),
            FileKind::PdmLock => (
                "pdm.lock",
                "[metadata]\nlock_version = \"4.4\"\n\n[[package]]\nname = \"six\"\nversion = \"1.16.0\"\n",
            ),
            FileKind::PyLock => (
                "pylock.toml",
                "lock-version = \"1.0\"\ncreated-by = \"x\"\n\n[[packages]]\nname = \"six\"\nversion = \"1.16.0\"\n",
            ),
            FileKind::PyProject => (
                "pyproject.toml",
                "[project]\nname = \"x\"\ndependencies = [\n  \"requests==2.19.1\",\n]\n",
            ),
            FileKind::Pipfile => ("Pipfile", "[packages]\nsix = \"==1.16.0\"\n"),
            FileKind::CargoLock => (
                "Cargo.lock",
                "version = 3\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
            ),
            FileKind::CargoToml => (
                "Cargo.toml",
                "[package]\nname = \"x\"\nversion = \"0.1.0\"\n\n[dependencies]\nserde = \"=1.0.0\"\n",
            ),
            FileKind::GoMod => (
                "go.mod",
                "module example.com/x\n\ngo 1.21\n\nrequire golang.org/x/text v0.3.0\n",
            ),
            FileKind::PackageLockJson => (
                "package-lock.json",
                "{\n  \"name\": \"x\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {\"name\": \"x\"},\n    \"node_modules/left-pad\": {\"version\": \"1.3.0\"}\n  }\n}\n",
            ),
            FileKind::YarnLock => (
                "yarn.lock",
                "# yarn lockfile v1\n\n\nleft-pad@^1.3.0:\n  version \"1.3.0\"\n",
            ),
            FileKind::PnpmLock => (
                "pnpm-lock.yaml",
                "lockfileVersion: '6.0'\n\npackages:\n\n  /left-pad@1.3.0:\n    resolution: {integrity: sha512-x}\n",
            ),
            FileKind::BunLock => (
                "bun.lock",
                "{\n  \"lockfileVersion\": 1,\n  \"workspaces\": {\"\": {\"name\": \"x\"}},\n  \"packages\": {\n    \"left-pad\": [\"left-pad@1.3.0\", \"\", {}, \"sha512-x\"]\n  }\n}\n",
            ),
            FileKind::PackageJson => (
                "package.json",
                "{\n  \"name\": \"x\",\n  \"dependencies\": {\"left-pad\": \"1.3.0\"}\n}\n",
            ),
            FileKind::GemfileLock => (
                "Gemfile.lock",
                "GEM\n  remote: https://rubygems.org/\n  specs:\n    rake (13.0.6)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rake\n",
            ),
            FileKind::Gemfile => (
                "Gemfile",
                "source 'https://rubygems.org'\ngem 'rake', '13.0.6'\n",
            ),
            FileKind::ComposerLock => (
                "composer.lock",
                "{\n  \"packages\": [\n    {\"name\": \"a/b\", \"version\": \"1.0.0\"}\n  ],\n  \"packages-dev\": []\n}\n",
            ),
            FileKind::ComposerJson => (
                "composer.json",
                "{\n  \"require\": {\"a/b\": \"1.0.0\"}\n}\n",
            ),
            FileKind::MixLock => (
                "mix.lock",
                "%{\n  \"plug\": {:hex, :plug, \"1.14.0\", \"abc\", [:mix], [], \"hexpm\", \"def\"},\n}\n",
            ),
            FileKind::MixExs => (
                "mix.exs",
                "defmodule X.MixProject do\n  use Mix.Project\n\n  defp deps do\n    [{:plug, \"1.14.0\"}]\n  end\nend\n",
            ),
            FileKind::GradleLockfile => (
                "gradle.lockfile",
                "# header\ncom.squareup.okio:okio:1.17.2=compileClasspath\nempty=\n",
            ),
            FileKind::BuildGradle => (
                "build.gradle",
                "dependencies {\n  implementation 'com.google.guava:guava:31.1-jre'\n}\n",
            ),
            FileKind::PomXml => (
                "pom.xml",
                "<project>\n  <dependencies>\n    <dependency>\n      <groupId>junit</groupId>\n      <artifactId>junit</artifactId>\n      <version>4.13</version>\n    </dependency>\n  </dependencies>\n</project>\n",
            ),
            FileKind::NuGetLock => (
                "packages.lock.json",
                "{\n  \"version\": 1,\n  \"dependencies\": {\n    \"net6.0\": {\n      \"Newtonsoft.Json\": {\"type\": \"Direct\", \"requested\": \"[13.0.1, )\", \"resolved\": \"13.0.1\"}\n    }\n  }\n}\n",
            ),
            FileKind::MsBuildProject => (
                "x.csproj",
                "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <ItemGroup>\n    <PackageReference Include=\"Newtonsoft.Json\" Version=\"13.0.1\" />\n  </ItemGroup>\n</Project>\n",
            ),
            FileKind::PackagesConfig => (
                "packages.config",
                "<?xml version=\"1.0\"?>\n<packages>\n  <package id=\"jQuery\" version=\"1.8.2\" />\n</packages>\n",
            ),
            FileKind::CycloneDx => (
                "bom.cdx.json",
                "{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.5\",\n  \"components\": [\n    {\"type\": \"library\", \"name\": \"left-pad\", \"version\": \"1.3.0\", \"purl\": \"pkg:npm/left-pad@1.3.0\"}\n  ]\n}\n",
            ),
            FileKind::Spdx => (
                "x.spdx.json",
                "{\n  \"spdxVersion\": \"SPDX-2.3\",\n  \"SPDXID\": \"SPDXRef-DOCUMENT\",\n  \"packages\": [\n    {\"SPDXID\": \"SPDXRef-1\", \"name\": \"left-pad\", \"versionInfo\": \"1.3.0\", \"externalRefs\": [{\"referenceCategory\": \"PACKAGE-MANAGER\", \"referenceType\": \"purl\", \"referenceLocator\": \"pkg:npm/left-pad@1.3.0\"}]}\n  ]\n}\n",
            ),
        }
    }

    /// Every format reads a file with a UTF-8 byte order mark as it reads the file
    /// without one: same packages, versions and lines, through the dispatcher and
    /// through the format's own parser.
    #[test]
    fn every_kind_skips_a_bom() {
        let none = MemFiles::default();
        for kind in FileKind::ALL {
            let (name, text) = sample(kind);
            assert_eq!(FileKind::detect(Path::new(name)), Some(kind), "{name}");
            let path = Path::new(name);
            let plain = parse_text(kind, path, text, &none);
            let packages = plain.as_ref().map(|p| p.packages.len());
            assert!(
                matches!(packages, Ok(n) if n > 0),
                "{name}: the sample must give packages: {plain:?}"
            );
            assert!(
                plain
                    .as_ref()
                    .is_ok_and(|p| p.packages.iter().all(|p| p.line.is_some())
                        || kind == FileKind::Requirements),
                "{name}: lines"
            );
            let with_bom = format!("\u{feff}{text}");
            let dispatched = parse_text(kind, path, &with_bom, &none);
            assert_eq!(outcome(&dispatched), outcome(&plain), "{name} with a BOM");
            let own = parser(kind)(&Input {
                path,
                text: &with_bom,
                files: &none,
            });
            if kind != FileKind::Requirements && kind != FileKind::PomXml {
                assert_eq!(outcome(&own), outcome(&plain), "{name}'s parser with a BOM");
            }
        }
    }

    /// Hand-made malformations: each fails with the file and a line, or parses
    /// with a warning; never an Ok with no package and nothing said. The first
    /// group (`true`) used to parse to zero packages without a word and now gets a
    /// message from its own parser (not only the catch-all "empty: no packages
    /// found" of [`parse`]).
    #[test]
    fn malformations_are_never_silent() {
        use FileKind as K;
        let cases: &[(K, &str, bool)] = &[
            (
                K::PackageLockJson,
                "{\"name\": \"x\", \"lockfileVersion\": 3}",
                true,
            ),
            (
                K::PackageLockJson,
                "{\"lockfileVersion\": 3,\n\"pakages\": {\"node_modules/a\": {\"version\": \"1.0.0\"}}}",
                true,
            ),
            (K::PackageLockJson, "{\"name\": \"x\"}", true),
            (
                K::PackageLockJson,
                "{\"lockfileVersion\": 3, \"packages\": {\"\": {}}}",
                true,
            ),
            (
                K::PnpmLock,
                "lockfileVersion: '9.0'\npakages:\n  a@1.0.0:\n    resolution: {integrity: x}\n",
                true,
            ),
            (
                K::PnpmLock,
                "lockfileVerison: '9.0'\npackages:\n  a@1.0.0: {}\n",
                true,
            ),
            (K::PnpmLock, "lockfileVersion: '9.0'\n", true),
            (
                K::PnpmLock,
                "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      a:\n        specifier: ^1\n",
                true,
            ),
            (
                K::CargoLock,
                "version = 3\n[[pakage]]\nname = \"a\"\nversion = \"1.0.0\"\n",
                true,
            ),
            (K::CargoLock, "", true),
            (K::CargoLock, "version = 3\n", true),
            (
                K::UvLock,
                "version = 1\n[[pakage]]\nname = \"a\"\nversion = \"1.0.0\"\n",
                true,
            ),
            (K::UvLock, "version = 1\n", true),
            (K::GoMod, "", true),
            (K::GoMod, "module example.com/x\n", true),
            (
                K::CycloneDx,
                "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\",\n\"components\": \"a\"}",
                true,
            ),
            (
                K::CycloneDx,
                "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\",\n\"compnents\": []}",
                true,
            ),
            (
                K::CycloneDx,
                "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\"}",
                true,
            ),
            (
                K::Spdx,
                "{\"spdxVersion\": \"SPDX-2.3\",\n\"packages\": \"a\"}",
                true,
            ),
            (
                K::Spdx,
                "{\"spdxVersion\": \"SPDX-2.3\",\n\"pakages\": []}",
                true,
            ),
            (K::Spdx, "{\"spdxVersion\": \"SPDX-2.3\"}", true),
            (K::BunLock, "{\"packages\": {}}", true),
            (
                K::BunLock,
                "{\"lockfileVersion\": 1, \"pakages\": {}}",
                true,
            ),
            (K::GemfileLock, "PLATFORMS\n  ruby\n", false),
            (
                K::GemfileLock,
                "GEM\n  remote: https://rubygems.org/\n  specs:\n\nPLATFORMS\n  ruby\n",
                false,
            ),
            (K::YarnLock, "# yarn lockfile v1\n", false),
            (K::PipfileLock, "{\"_meta\": {}}", false),
            (K::PoetryLock, "[metadata]\nlock-version = \"2.0\"\n", false),
            (K::PdmLock, "[metadata]\nlock_version = \"4.4\"\n", false),
            (
                K::PyLock,
                "lock-version = \"1.0\"\n[[pakages]]\nname = \"a\"\nversion = \"1\"\n",
                false,
            ),
            (K::MixLock, "%{}\n", false),
            (K::GradleLockfile, "# x\nempty=\n", false),
            (K::NuGetLock, "{\"version\": 1, \"depndencies\": {}}", false),
            (K::ComposerLock, "{\"content-hash\": \"x\"}", false),
        ];
        let none = MemFiles::default();
        for (kind, text, specific) in cases {
            let path = Path::new("svc/f");
            match parse_text(*kind, path, text, &none) {
                Ok(p) => {
                    assert!(
                        !p.packages.is_empty() || !p.warnings.is_empty(),
                        "{kind:?} {text:?}: silent"
                    );
                    if *specific {
                        let own = parser(*kind)(&Input {
                            path,
                            text,
                            files: &none,
                        })
                        .unwrap();
                        assert!(
                            !own.warnings.is_empty(),
                            "{kind:?} {text:?}: only the catch-all warning"
                        );
                    }
                }
                Err(e) => {
                    assert!(e.line.is_some(), "{kind:?} {text:?}: {e}");
                    assert!(e.to_string().starts_with("svc/f:"), "{e}");
                }
            }
        }
    }

    /// A manifest read beside a lockfile may start with a BOM too.
    #[test]
    fn siblings_with_a_bom() {
        let lock = "{\n  \"name\": \"x\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"node_modules/left-pad\": {\"version\": \"1.3.0\"}\n  }\n}\n";
        let files = MemFiles::with(&[(
            "app/package.json",
            "\u{feff}{\"dependencies\": {\"left-pad\": \"1.3.0\"}}",
        )]);
        let p = parse_text(
            FileKind::PackageLockJson,
            Path::new("app/package-lock.json"),
            lock,
            &files,
        )
        .unwrap();
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.packages[0].relation, crate::Relation::Direct);
        let gem_lock = sample(FileKind::GemfileLock).1;
        let files = MemFiles::with(&[(
            "app/Gemfile",
            "\u{feff}source 'https://rubygems.org'\ngroup :test do\n  gem 'rake'\nend\n",
        )]);
        let p = parse_text(
            FileKind::GemfileLock,
            Path::new("app/Gemfile.lock"),
            gem_lock,
            &files,
        )
        .unwrap();
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(
            p.packages[0].scope,
            crate::Scope::Development,
            "{:?}",
            p.packages
        );
    }

    /// What a parse gave, for comparison: each package's name, version and line,
    /// or the error's line and message.
    fn outcome(r: &Result<Parsed, ParseError>) -> Result<Vec<String>, (Option<u32>, String)> {
        match r {
            Ok(p) => Ok(p
                .packages
                .iter()
                .map(|x| format!("{} {:?} {:?}", x.name, x.pin, x.line))
                .collect()),
            Err(e) => Err((e.line, e.message.clone())),
        }
    }

    /// Every shared fixture parses the same with a UTF-8 byte order mark in front:
    /// same packages, versions and lines, or the same error at the same line.
    #[test]
    fn shared_fixtures_parse_the_same_with_a_bom() {
        let Some(root) = fixtures(cverun_testkit::test_name!()) else {
            return;
        };
        let (mut checked, mut differing, mut losing) = (0, Vec::new(), 0);
        for (dir, dir_kind) in FIXTURE_DIRS {
            let mut files = Vec::new();
            walk(&root.join(dir), &mut files);
            for path in files {
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue; // not UTF-8: the plain parse cannot read it either
                };
                let kind = FileKind::detect(&path).unwrap_or(*dir_kind);
                let plain = parse_text(kind, &path, &text, &DiskFiles);
                let bom = parse_text(kind, &path, &format!("\u{feff}{text}"), &DiskFiles);
                checked += 1;
                let count =
                    |r: &Result<Parsed, ParseError>| r.as_ref().map_or(0, |p| p.packages.len());
                if count(&bom) < count(&plain) {
                    losing += 1;
                }
                if outcome(&plain) != outcome(&bom) {
                    differing.push(path.display().to_string());
                }
            }
        }
        assert!(checked > 250, "{checked} fixture files");
        assert!(
            differing.is_empty(),
            "{} of {checked} fixture files parse differently with a BOM ({losing} lose packages): {differing:#?}",
            differing.len()
        );
    }
}

#[cfg(test)]
mod fuzz_findings {
    use crate::testutil::{parse_str, summary};
    use crate::{FileKind, Pin};

    /// Found by the fuzz targets `inv_package_json`, `inv_composer_json`,
    /// `inv_nuget_lock` and `inv_pipfile_lock` (docs/fuzzing.md): a map key `""`
    /// became a package with an empty name.
    #[test]
    fn entries_with_empty_names_are_warnings() {
        let cases = [
            (
                FileKind::PackageJson,
                "package.json",
                "{\n  \"dependencies\": {\n    \"\": \"8.16.1\",\n    \"a\": \"1.0.0\"\n  }\n}\n",
                "a",
            ),
            (
                FileKind::ComposerJson,
                "composer.json",
                "{\n  \"require\": {\n    \"\": \"v5.4.3\",\n    \"acme/a\": \"1.0.0\"\n  }\n}\n",
                "acme/a",
            ),
            (
                FileKind::NuGetLock,
                "packages.lock.json",
                "{\n  \"version\": 1,\n  \"dependencies\": {\n    \"net6.0\": {\n      \"\": {\"type\": \"Direct\", \"resolved\": \"1.0.0\"},\n      \"A\": {\"type\": \"Direct\", \"resolved\": \"1.0.0\"}\n    }\n  }\n}\n",
                "A",
            ),
            (
                FileKind::PipfileLock,
                "Pipfile.lock",
                "{\n  \"default\": {\n    \"\": {\"version\": \"==1.0\"},\n    \"a\": {\"version\": \"==1.0\"}\n  }\n}\n",
                "a",
            ),
        ];
        for (kind, name, text, kept) in cases {
            let p = parse_str(kind, name, text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                p.packages
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>(),
                [kept],
                "{name}"
            );
            let w: Vec<_> = p
                .warnings
                .iter()
                .filter(|w| w.message.contains("empty name"))
                .collect();
            assert_eq!(w.len(), 1, "{name}: {:?}", p.warnings);
            assert!(w[0].line.is_some(), "{name}: {w:?}");
        }
    }

    /// Found by the fuzz target `inv_go_mod`: a `go` directive without a version
    /// made the standard library `stdlib` pinned to the empty string.
    #[test]
    fn an_empty_exact_version_is_no_version() {
        let p = parse_str(FileKind::GoMod, "go.mod", "module example.com/m\n\ngo\n").unwrap();
        assert_eq!(summary(&p), [("stdlib".to_owned(), "unpinned:".to_owned())]);
        assert_eq!(p.packages[0].line, Some(3));
        assert_eq!(
            p.packages[0].unmatchable_reason().as_deref(),
            Some("no version given")
        );
        assert!(matches!(&p.packages[0].pin, Pin::Unpinned { specifier } if specifier.is_empty()));
    }
}
