//! File formats and how to recognise them by name.

use std::path::Path;

use serde::Serialize;

/// A file format cverun reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// pip requirements (`requirements*.txt`, `requirements*.in`, files under `requirements/`).
    Requirements,
    /// `Pipfile.lock`
    PipfileLock,
    /// `poetry.lock`
    PoetryLock,
    /// `uv.lock`
    UvLock,
    /// `pdm.lock`
    PdmLock,
    /// `pylock.toml`, `pylock.<name>.toml` (PEP 751)
    PyLock,
    /// `Cargo.lock`
    CargoLock,
    /// `Cargo.toml`
    CargoToml,
    /// `go.mod`
    GoMod,
    /// `package-lock.json`, `npm-shrinkwrap.json`
    PackageLockJson,
    /// `yarn.lock` (classic and berry)
    YarnLock,
    /// `pnpm-lock.yaml`
    PnpmLock,
    /// `bun.lock`
    BunLock,
    /// `package.json`
    PackageJson,
    /// `Gemfile.lock`
    GemfileLock,
    /// `Gemfile`
    Gemfile,
    /// `composer.lock`
    ComposerLock,
    /// `mix.lock`
    MixLock,
    /// `mix.exs`
    MixExs,
    /// `gradle.lockfile`
    GradleLockfile,
    /// `build.gradle`, `build.gradle.kts`
    BuildGradle,
    /// `pom.xml`
    PomXml,
    /// NuGet `packages.lock.json`
    NuGetLock,
    /// `*.csproj`, `*.fsproj`, `*.vbproj`
    MsBuildProject,
    /// CycloneDX JSON SBOM (`*.cdx.json`, `bom.json`)
    CycloneDx,
    /// SPDX JSON SBOM (`*.spdx.json`)
    Spdx,
}

impl FileKind {
    /// Every kind, in a stable order.
    pub const ALL: [FileKind; 26] = [
        FileKind::Requirements,
        FileKind::PipfileLock,
        FileKind::PoetryLock,
        FileKind::UvLock,
        FileKind::PdmLock,
        FileKind::PyLock,
        FileKind::CargoLock,
        FileKind::CargoToml,
        FileKind::GoMod,
        FileKind::PackageLockJson,
        FileKind::YarnLock,
        FileKind::PnpmLock,
        FileKind::BunLock,
        FileKind::PackageJson,
        FileKind::GemfileLock,
        FileKind::Gemfile,
        FileKind::ComposerLock,
        FileKind::MixLock,
        FileKind::MixExs,
        FileKind::GradleLockfile,
        FileKind::BuildGradle,
        FileKind::PomXml,
        FileKind::NuGetLock,
        FileKind::MsBuildProject,
        FileKind::CycloneDx,
        FileKind::Spdx,
    ];

    /// Recognises a file by its name (and, for requirements files, its directory).
    pub fn detect(path: &Path) -> Option<FileKind> {
        let name = path.file_name()?.to_str()?;
        let lower = name.to_ascii_lowercase();
        let kind = match name {
            "Pipfile.lock" => FileKind::PipfileLock,
            "poetry.lock" => FileKind::PoetryLock,
            "uv.lock" => FileKind::UvLock,
            "pdm.lock" => FileKind::PdmLock,
            "Cargo.lock" => FileKind::CargoLock,
            "Cargo.toml" => FileKind::CargoToml,
            "go.mod" => FileKind::GoMod,
            "package-lock.json" | "npm-shrinkwrap.json" => FileKind::PackageLockJson,
            "yarn.lock" => FileKind::YarnLock,
            "pnpm-lock.yaml" => FileKind::PnpmLock,
            "bun.lock" => FileKind::BunLock,
            "package.json" => FileKind::PackageJson,
            "Gemfile.lock" | "gems.locked" => FileKind::GemfileLock,
            "Gemfile" | "gems.rb" => FileKind::Gemfile,
            "composer.lock" => FileKind::ComposerLock,
            "mix.lock" => FileKind::MixLock,
            "mix.exs" => FileKind::MixExs,
            "gradle.lockfile" => FileKind::GradleLockfile,
            "build.gradle" | "build.gradle.kts" => FileKind::BuildGradle,
            "pom.xml" => FileKind::PomXml,
            "packages.lock.json" => FileKind::NuGetLock,
            "bom.json" => FileKind::CycloneDx,
            _ => {
                if lower == "pylock.toml"
                    || (lower.starts_with("pylock.") && lower.ends_with(".toml"))
                {
                    FileKind::PyLock
                } else if lower.ends_with(".cdx.json") {
                    FileKind::CycloneDx
                } else if lower.ends_with(".spdx.json") {
                    FileKind::Spdx
                } else if lower.ends_with(".csproj")
                    || lower.ends_with(".fsproj")
                    || lower.ends_with(".vbproj")
                {
                    FileKind::MsBuildProject
                } else if is_requirements(path, &lower) {
                    FileKind::Requirements
                } else {
                    return None;
                }
            }
        };
        Some(kind)
    }

    /// A short name for messages and reports.
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Requirements => "requirements",
            FileKind::PipfileLock => "Pipfile.lock",
            FileKind::PoetryLock => "poetry.lock",
            FileKind::UvLock => "uv.lock",
            FileKind::PdmLock => "pdm.lock",
            FileKind::PyLock => "pylock.toml",
            FileKind::CargoLock => "Cargo.lock",
            FileKind::CargoToml => "Cargo.toml",
            FileKind::GoMod => "go.mod",
            FileKind::PackageLockJson => "package-lock.json",
            FileKind::YarnLock => "yarn.lock",
            FileKind::PnpmLock => "pnpm-lock.yaml",
            FileKind::BunLock => "bun.lock",
            FileKind::PackageJson => "package.json",
            FileKind::GemfileLock => "Gemfile.lock",
            FileKind::Gemfile => "Gemfile",
            FileKind::ComposerLock => "composer.lock",
            FileKind::MixLock => "mix.lock",
            FileKind::MixExs => "mix.exs",
            FileKind::GradleLockfile => "gradle.lockfile",
            FileKind::BuildGradle => "build.gradle",
            FileKind::PomXml => "pom.xml",
            FileKind::NuGetLock => "packages.lock.json",
            FileKind::MsBuildProject => "MSBuild project",
            FileKind::CycloneDx => "CycloneDX SBOM",
            FileKind::Spdx => "SPDX SBOM",
        }
    }

    /// True for files that pin what is actually installed (lockfiles, SBOMs, pip
    /// requirements), false for manifests that only state what is wanted.
    pub fn is_lockfile(self) -> bool {
        !matches!(
            self,
            FileKind::CargoToml
                | FileKind::PackageJson
                | FileKind::Gemfile
                | FileKind::MixExs
                | FileKind::BuildGradle
                | FileKind::MsBuildProject
        )
    }

    /// The lockfiles that, when present beside this manifest, lock it (so the
    /// manifest is not reported separately). Empty for lockfiles.
    pub fn locked_by(self) -> &'static [FileKind] {
        match self {
            FileKind::CargoToml => &[FileKind::CargoLock],
            FileKind::PackageJson => &[
                FileKind::PackageLockJson,
                FileKind::YarnLock,
                FileKind::PnpmLock,
                FileKind::BunLock,
            ],
            FileKind::Gemfile => &[FileKind::GemfileLock],
            FileKind::MixExs => &[FileKind::MixLock],
            FileKind::BuildGradle => &[FileKind::GradleLockfile],
            FileKind::MsBuildProject => &[FileKind::NuGetLock],
            _ => &[],
        }
    }
}

fn is_requirements(path: &Path, lower: &str) -> bool {
    let ext_ok = lower.ends_with(".txt") || lower.ends_with(".in");
    if !ext_ok {
        return false;
    }
    let stem = lower.trim_end_matches(".txt").trim_end_matches(".in");
    let named = stem.starts_with("requirements")
        || stem.ends_with("requirements")
        || stem.starts_with("constraints")
        || stem.ends_with("-constraints");
    let in_dir = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .is_some_and(|d| d.eq_ignore_ascii_case("requirements"));
    named || in_dir
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_name() {
        let cases = [
            ("svc/requirements.txt", Some(FileKind::Requirements)),
            ("svc/requirements-dev.txt", Some(FileKind::Requirements)),
            ("svc/requirements.in", Some(FileKind::Requirements)),
            ("svc/dev-requirements.txt", Some(FileKind::Requirements)),
            ("svc/requirements/base.txt", Some(FileKind::Requirements)),
            ("svc/MANIFEST.in", None),
            ("svc/notes.txt", None),
            ("Cargo.lock", Some(FileKind::CargoLock)),
            ("a/go.mod", Some(FileKind::GoMod)),
            ("a/go.sum", None),
            ("x/package-lock.json", Some(FileKind::PackageLockJson)),
            ("x/npm-shrinkwrap.json", Some(FileKind::PackageLockJson)),
            ("x/pylock.toml", Some(FileKind::PyLock)),
            ("x/pylock.dev.toml", Some(FileKind::PyLock)),
            ("x/app.cdx.json", Some(FileKind::CycloneDx)),
            ("x/app.spdx.json", Some(FileKind::Spdx)),
            ("x/src/cartservice.csproj", Some(FileKind::MsBuildProject)),
            ("x/build.gradle.kts", Some(FileKind::BuildGradle)),
            ("x/Gemfile.lock", Some(FileKind::GemfileLock)),
        ];
        for (p, expected) in cases {
            assert_eq!(FileKind::detect(Path::new(p)), expected, "{p}");
        }
    }

    #[test]
    fn manifests_know_their_lockfiles() {
        for k in FileKind::ALL {
            assert_eq!(k.is_lockfile(), k.locked_by().is_empty(), "{k:?}");
        }
    }
}
