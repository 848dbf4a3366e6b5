//! One module per file format. Each exposes `parse(&Input) -> Result<Parsed, ParseError>`
//! and keeps its tests beside it.

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
mod toml_doc;
pub mod uv_lock;
pub mod yarn_lock;

/// Parses `input` as `kind`.
pub fn parse(kind: FileKind, input: &Input<'_>) -> Result<Parsed, ParseError> {
    let mut parsed = parse_as(kind, input)?;
    keep_readable(input, &mut parsed);
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

fn parse_as(kind: FileKind, input: &Input<'_>) -> Result<Parsed, ParseError> {
    match kind {
        FileKind::Requirements => requirements::parse(input),
        FileKind::PipfileLock => pipfile_lock::parse(input),
        FileKind::PoetryLock => poetry_lock::parse(input),
        FileKind::UvLock => uv_lock::parse(input),
        FileKind::PdmLock => pdm_lock::parse(input),
        FileKind::PyLock => pylock::parse(input),
        FileKind::PyProject => pyproject::parse(input),
        FileKind::Pipfile => pipfile::parse(input),
        FileKind::CargoLock => cargo_lock::parse(input),
        FileKind::CargoToml => cargo_toml::parse(input),
        FileKind::GoMod => go_mod::parse(input),
        FileKind::PackageLockJson => package_lock::parse(input),
        FileKind::YarnLock => yarn_lock::parse(input),
        FileKind::PnpmLock => pnpm_lock::parse(input),
        FileKind::BunLock => bun_lock::parse(input),
        FileKind::PackageJson => package_json::parse(input),
        FileKind::GemfileLock => gemfile_lock::parse(input),
        FileKind::Gemfile => gemfile::parse(input),
        FileKind::ComposerLock => composer_lock::parse(input),
        FileKind::ComposerJson => composer_json::parse(input),
        FileKind::MixLock => mix_lock::parse(input),
        FileKind::MixExs => mix_exs::parse(input),
        FileKind::GradleLockfile => gradle_lockfile::parse(input),
        FileKind::BuildGradle => build_gradle::parse(input),
        FileKind::PomXml => pom_xml::parse(input),
        FileKind::NuGetLock => nuget_lock::parse(input),
        FileKind::MsBuildProject => msbuild::parse(input),
        FileKind::PackagesConfig => packages_config::parse(input),
        FileKind::CycloneDx => cyclonedx::parse(input),
        FileKind::Spdx => spdx::parse(input),
    }
}

#[cfg(test)]
mod tests {
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
