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
    /// `pyproject.toml` (PEP 621, PEP 735, Poetry, PDM, uv)
    PyProject,
    /// `Pipfile`
    Pipfile,
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
    /// `composer.json`
    ComposerJson,
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
    /// NuGet `packages.config`
    PackagesConfig,
    /// CycloneDX JSON SBOM (`*.cdx.json`, `bom.json`)
    CycloneDx,
    /// SPDX JSON SBOM (`*.spdx.json`)
    Spdx,
}

impl FileKind {
    /// Every kind, in a stable order.
    pub const ALL: [FileKind; 30] = [
        FileKind::Requirements,
        FileKind::PipfileLock,
        FileKind::PoetryLock,
        FileKind::UvLock,
        FileKind::PdmLock,
        FileKind::PyLock,
        FileKind::PyProject,
        FileKind::Pipfile,
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
        FileKind::ComposerJson,
        FileKind::MixLock,
        FileKind::MixExs,
        FileKind::GradleLockfile,
        FileKind::BuildGradle,
        FileKind::PomXml,
        FileKind::NuGetLock,
        FileKind::MsBuildProject,
        FileKind::PackagesConfig,
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
            "pyproject.toml" => FileKind::PyProject,
            "Pipfile" => FileKind::Pipfile,
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
            "composer.json" => FileKind::ComposerJson,
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
                } else if lower == "packages.config" {
                    FileKind::PackagesConfig
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
            FileKind::PyProject => "pyproject.toml",
            FileKind::Pipfile => "Pipfile",
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
            FileKind::ComposerJson => "composer.json",
            FileKind::MixLock => "mix.lock",
            FileKind::MixExs => "mix.exs",
            FileKind::GradleLockfile => "gradle.lockfile",
            FileKind::BuildGradle => "build.gradle",
            FileKind::PomXml => "pom.xml",
            FileKind::NuGetLock => "packages.lock.json",
            FileKind::MsBuildProject => "MSBuild project",
            FileKind::PackagesConfig => "packages.config",
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
                | FileKind::PyProject
                | FileKind::Pipfile
                | FileKind::ComposerJson
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
            FileKind::PyProject => &[
                FileKind::PoetryLock,
                FileKind::UvLock,
                FileKind::PdmLock,
                FileKind::PyLock,
            ],
            FileKind::Pipfile => &[FileKind::PipfileLock],
            FileKind::ComposerJson => &[FileKind::ComposerLock],
            _ => &[],
        }
    }
}

fn is_requirements(path: &Path, lower: &str) -> bool {
    let ext_ok = lower.ends_with(".txt") || lower.ends_with(".in");
    if !ext_ok || is_constraints_name(lower) {
        return false;
    }
    let stem = lower.trim_end_matches(".txt").trim_end_matches(".in");
    let named = stem.starts_with("requirements") || stem.ends_with("requirements");
    let in_dir = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .is_some_and(|d| d.eq_ignore_ascii_case("requirements"));
    named || in_dir
}

/// True for a pip constraints file: `constraints.txt`, `constraints-<name>.txt`,
/// `<name>-constraints.txt` (also `.in`, any case). A constraints file restricts
/// versions but installs nothing, so it is not a manifest: it is read only through
/// the `-c` of a requirements file that names it.
pub fn is_constraints_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| is_constraints_name(&n.to_ascii_lowercase()))
}

fn is_constraints_name(lower: &str) -> bool {
    let Some(stem) = lower
        .strip_suffix(".txt")
        .or_else(|| lower.strip_suffix(".in"))
    else {
        return false;
    };
    stem == "constraints" || stem.starts_with("constraints-") || stem.ends_with("-constraints")
}

/// Files cverun recognises as dependency declarations but does not read, by exact
/// name, with the reason reported for them.
const NOT_READ: &[(&str, &str)] = &[
    (
        "setup.py",
        "Python build script: cverun does not run or read it; declare dependencies in pyproject.toml or a requirements file",
    ),
    (
        "setup.cfg",
        "setuptools configuration: its install_requires are not read; declare dependencies in pyproject.toml or a requirements file",
    ),
    (
        "environment.yml",
        "conda environment: not read (conda packages are not in an OSV ecosystem cverun reads, and its pip section is not read either)",
    ),
    (
        "environment.yaml",
        "conda environment: not read (conda packages are not in an OSV ecosystem cverun reads, and its pip section is not read either)",
    ),
    (
        "conda-lock.yml",
        "conda lockfile: not read (conda packages are not in an OSV ecosystem cverun reads)",
    ),
    (
        "bun.lockb",
        "binary Bun lockfile: not read; a text bun.lock is",
    ),
    ("deno.lock", "Deno lockfile: not read"),
    (
        "project.assets.json",
        "NuGet restore output: not read; a packages.lock.json (RestorePackagesWithLockFile) is",
    ),
    ("paket.dependencies", "Paket manifest: not read"),
    ("paket.lock", "Paket lockfile: not read"),
    ("Podfile", "CocoaPods manifest (Ruby code): not read"),
    ("Podfile.lock", "CocoaPods lockfile: not read"),
    (
        "Package.swift",
        "Swift package manifest (Swift code): not read",
    ),
    ("Package.resolved", "Swift package lockfile: not read"),
    ("Cartfile", "Carthage manifest: not read"),
    ("Cartfile.resolved", "Carthage lockfile: not read"),
    ("pubspec.yaml", "Dart/Flutter manifest: not read"),
    ("pubspec.lock", "Dart/Flutter lockfile: not read"),
    ("conanfile.txt", "Conan (C/C++) manifest: not read"),
    (
        "conanfile.py",
        "Conan (C/C++) recipe (Python code): not read",
    ),
    ("conan.lock", "Conan (C/C++) lockfile: not read"),
    ("vcpkg.json", "vcpkg (C/C++) manifest: not read"),
    ("renv.lock", "R renv lockfile: not read"),
    ("stack.yaml.lock", "Haskell Stack lockfile: not read"),
    (
        "cabal.project.freeze",
        "Haskell Cabal freeze file: not read",
    ),
    (
        "rebar.config",
        "rebar3 (Erlang) configuration: not read; its Hex packages are not checked",
    ),
    (
        "rebar.lock",
        "rebar3 (Erlang) lockfile: not read; its Hex packages are not checked",
    ),
    (
        "Gopkg.lock",
        "dep (Go before modules) lockfile: not read; a go.mod is",
    ),
    (
        "Gopkg.toml",
        "dep (Go before modules) manifest: not read; a go.mod is",
    ),
    (
        "glide.lock",
        "Glide (Go before modules) lockfile: not read; a go.mod is",
    ),
    ("build.sbt", "sbt build (Scala code): not read"),
    ("project.clj", "Leiningen (Clojure) project: not read"),
    ("deps.edn", "Clojure CLI dependencies: not read"),
];

/// Why cverun does not read `path`, when its name says it declares dependencies
/// in a format cverun does not read (`setup.py`, `Podfile.lock`, `*.deps.json`,
/// ...); `None` for every other file, including the formats cverun reads and files
/// it reads only through another one (`gradle/libs.versions.toml` through the
/// build scripts, `Directory.Packages.props` through the projects, constraints
/// files through `-c`).
pub fn not_read_reason(path: &Path) -> Option<&'static str> {
    let name = path.file_name()?.to_str()?;
    if let Some((_, reason)) = NOT_READ.iter().find(|(n, _)| *n == name) {
        return Some(reason);
    }
    if name.to_ascii_lowercase().ends_with(".deps.json") {
        return Some(".NET build output dependency manifest: not read; a packages.lock.json is");
    }
    None
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
            ("x/pyproject.toml", Some(FileKind::PyProject)),
            ("x/Pipfile", Some(FileKind::Pipfile)),
            ("x/pipfile", None),
            ("x/composer.json", Some(FileKind::ComposerJson)),
            ("x/packages.config", Some(FileKind::PackagesConfig)),
            ("x/Packages.config", Some(FileKind::PackagesConfig)),
            // Constraints files are read only through `-c`.
            ("x/constraints.txt", None),
            ("x/constraints-py311.txt", None),
            ("x/pip-constraints.txt", None),
            ("x/requirements/constraints.txt", None),
            ("x/constraints.in", None),
            ("x/requirements-constraints.txt", None),
            // ... but only those names.
            ("x/constraintsfoo.txt", None),
            (
                "x/requirements/constraintsfoo.txt",
                Some(FileKind::Requirements),
            ),
            ("x/constraints-requirements.txt", None),
        ];
        for (p, expected) in cases {
            assert_eq!(FileKind::detect(Path::new(p)), expected, "{p}");
        }
    }

    #[test]
    fn constraints_files_by_name() {
        for name in [
            "constraints.txt",
            "Constraints.TXT",
            "constraints-dev.txt",
            "pip-constraints.txt",
            "constraints.in",
        ] {
            assert!(is_constraints_file(Path::new(name)), "{name}");
        }
        for name in [
            "requirements.txt",
            "constraintsfoo.txt",
            "constraints.cfg",
            "myconstraints.txt",
        ] {
            assert!(!is_constraints_file(Path::new(name)), "{name}");
        }
    }

    #[test]
    fn recognised_but_not_read() {
        assert!(
            not_read_reason(Path::new("svc/setup.py"))
                .is_some_and(|r| r.contains("does not run or read it"))
        );
        assert!(not_read_reason(Path::new("svc/bin/Release/app.deps.json")).is_some());
        for name in [
            "environment.yml",
            "Podfile.lock",
            "pubspec.lock",
            "renv.lock",
        ] {
            assert!(not_read_reason(Path::new(name)).is_some(), "{name}");
        }
        // Read formats, files read through others, and unrelated files.
        for name in [
            "requirements.txt",
            "pyproject.toml",
            "gradle/libs.versions.toml",
            "Directory.Packages.props",
            "constraints.txt",
            "README.md",
        ] {
            assert_eq!(not_read_reason(Path::new(name)), None, "{name}");
        }
        // No name is both read and listed as not read.
        for (name, _) in NOT_READ {
            assert_eq!(FileKind::detect(Path::new(name)), None, "{name}");
        }
    }

    #[test]
    fn manifests_know_their_lockfiles() {
        for k in FileKind::ALL {
            assert_eq!(k.is_lockfile(), k.locked_by().is_empty(), "{k:?}");
        }
    }
}
