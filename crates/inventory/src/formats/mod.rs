//! One module per file format. Each exposes `parse(&Input) -> Result<Parsed, ParseError>`
//! and keeps its tests beside it.

use crate::{FileKind, Input, ParseError, Parsed};

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
