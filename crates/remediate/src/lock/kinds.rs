//! The commands per lockfile kind: which tool, which flags, which environment.
//!
//! Each command is the one the tool documents for moving named packages while keeping
//! every other locked version; when the tool cannot move a package to an exact
//! version, the command moves it as far as the manifest allows (the manifest having
//! been rewritten first) and the caller's re-scan says where it landed. Names and
//! versions come from lockfiles, which are not trusted: one that a tool could read as
//! an option (a leading `-`) or that holds spaces or control characters is refused.

use std::path::Path;

use cverun_inventory::{FileKind, Relation};
use cverun_versions::Ecosystem;

use super::{ToolCommand, dir_of};
use crate::{Bump, Refusal};

/// npm's configuration through the environment: no lifecycle scripts, no audit or
/// funding requests, no update check (so a pasted line behaves as the run did).
const NPM_ENV: [(&str, &str); 4] = [
    ("npm_config_ignore_scripts", "true"),
    ("npm_config_audit", "false"),
    ("npm_config_fund", "false"),
    ("npm_config_update_notifier", "false"),
];

pub(super) fn regenerate(
    kind: FileKind,
    lockfile: &Path,
    bumps: &[Bump],
    manifest_changed: bool,
) -> Result<Vec<ToolCommand>, Refusal> {
    if let Some(reason) = not_regenerated(kind) {
        return Err(Refusal::new(format!("{}: {reason}", lockfile.display())));
    }
    if bumps.is_empty() && !manifest_changed {
        return Ok(Vec::new());
    }
    check_bumps(kind, lockfile, bumps)?;
    let dir = dir_of(lockfile);
    let names = || bumps.iter().map(|b| b.name.clone());
    let commands = match kind {
        FileKind::CargoLock => cargo(&dir, bumps),
        FileKind::PackageLockJson => npm(lockfile, &dir, bumps, manifest_changed)?,
        FileKind::UvLock => vec![uv_lock(&dir, bumps)],
        FileKind::PoetryLock => vec![ToolCommand::new(
            "poetry",
            ["update", "--lock", "--no-interaction"]
                .into_iter()
                .map(String::from)
                .chain(names()),
            &dir,
        )],
        FileKind::PdmLock => vec![ToolCommand::new(
            "pdm",
            ["update", "--no-sync", "--update-reuse"]
                .into_iter()
                .map(String::from)
                .chain(names()),
            &dir,
        )],
        FileKind::PipfileLock => vec![pipenv(&dir, bumps)],
        FileKind::GoMod => go(lockfile, &dir, bumps)?,
        FileKind::GemfileLock => vec![ToolCommand::new(
            "bundle",
            ["lock", "--conservative", "--update"]
                .into_iter()
                .map(String::from)
                .chain(names()),
            &dir,
        )],
        FileKind::ComposerLock => vec![composer(&dir, bumps)],
        FileKind::PnpmLock => vec![manifest_only(
            lockfile,
            bumps,
            manifest_changed,
            ToolCommand::new(
                "pnpm",
                ["install", "--lockfile-only", "--ignore-scripts"],
                &dir,
            )
            .with_env("npm_config_ignore_scripts", "true"),
        )?],
        FileKind::BunLock => vec![manifest_only(
            lockfile,
            bumps,
            manifest_changed,
            ToolCommand::new(
                "bun",
                ["install", "--lockfile-only", "--ignore-scripts"],
                &dir,
            ),
        )?],
        FileKind::YarnLock => return Err(yarn(lockfile, &dir, bumps)),
        FileKind::GradleLockfile => {
            let modules: Vec<String> = names().collect();
            vec![ToolCommand::new(
                "gradle",
                [
                    "dependencies".to_owned(),
                    "--update-locks".to_owned(),
                    modules.join(","),
                ],
                &dir,
            )]
        }
        FileKind::MixLock => vec![ToolCommand::new(
            "mix",
            std::iter::once("deps.update".to_owned()).chain(names()),
            &dir,
        )],
        FileKind::NuGetLock => vec![manifest_only(
            lockfile,
            bumps,
            manifest_changed,
            ToolCommand::new("dotnet", ["restore", "--force-evaluate"], &dir)
                .with_env("DOTNET_CLI_TELEMETRY_OPTOUT", "1"),
        )?],
        _ => {
            return Err(Refusal::new(format!(
                "{}: {} is not a lockfile a tool regenerates",
                lockfile.display(),
                kind.name()
            )));
        }
    };
    Ok(commands)
}

pub(super) fn check(kind: FileKind, lockfile: &Path) -> Option<ToolCommand> {
    let dir = dir_of(lockfile);
    let file = lockfile.file_name()?.to_string_lossy().into_owned();
    let command = match kind {
        FileKind::CargoLock => ToolCommand::new(
            "cargo",
            ["metadata", "--locked", "--format-version", "1"],
            &dir,
        )
        .with_env("CARGO_TERM_COLOR", "never"),
        FileKind::PackageLockJson => npm_command(
            &dir,
            [
                "ci",
                "--dry-run",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
            ],
        ),
        FileKind::UvLock => ToolCommand::new("uv", ["lock", "--check", "--no-build"], &dir),
        FileKind::PoetryLock => ToolCommand::new("poetry", ["check", "--lock"], &dir),
        FileKind::PdmLock => ToolCommand::new("pdm", ["lock", "--check"], &dir),
        FileKind::PipfileLock => ToolCommand::new("pipenv", ["verify"], &dir),
        FileKind::GoMod => go_command(&dir, ["mod", "verify"]),
        FileKind::ComposerLock => ToolCommand::new(
            "composer",
            [
                "validate",
                "--no-check-all",
                "--no-check-publish",
                "--no-plugins",
                "--no-interaction",
            ],
            &dir,
        ),
        FileKind::PnpmLock => ToolCommand::new(
            "pnpm",
            [
                "install",
                "--frozen-lockfile",
                "--lockfile-only",
                "--ignore-scripts",
            ],
            &dir,
        )
        .with_env("npm_config_ignore_scripts", "true"),
        FileKind::NuGetLock => ToolCommand::new("dotnet", ["restore", "--locked-mode"], &dir)
            .with_env("DOTNET_CLI_TELEMETRY_OPTOUT", "1"),
        FileKind::Requirements => super::pip_check(&dir, true, ["-r", &file]),
        _ => return None,
    };
    Some(command)
}

/// Why `kind` is never regenerated by a tool here, or `None` when it is.
fn not_regenerated(kind: FileKind) -> Option<&'static str> {
    match kind {
        FileKind::Requirements => Some(
            "a requirements file is rewritten as text, or recompiled from the command its header names (recompile_requirements)",
        ),
        FileKind::PyLock => Some(
            "pylock.toml is written by the tool named in its `created-by` field; regenerate it with that tool",
        ),
        FileKind::CycloneDx | FileKind::Spdx => {
            Some("an SBOM is regenerated by the build that produced it, not changed in place")
        }
        kind if !kind.is_lockfile() => {
            Some("a manifest is rewritten as text, not regenerated by a tool")
        }
        _ => None,
    }
}

/// The ecosystem whose packages `kind` locks.
fn ecosystem_of(kind: FileKind) -> Option<Ecosystem> {
    Some(match kind {
        FileKind::CargoLock => Ecosystem::CratesIo,
        FileKind::PackageLockJson | FileKind::YarnLock | FileKind::PnpmLock | FileKind::BunLock => {
            Ecosystem::Npm
        }
        FileKind::UvLock | FileKind::PoetryLock | FileKind::PdmLock | FileKind::PipfileLock => {
            Ecosystem::PyPI
        }
        FileKind::GoMod => Ecosystem::Go,
        FileKind::GemfileLock => Ecosystem::RubyGems,
        FileKind::ComposerLock => Ecosystem::Packagist,
        FileKind::GradleLockfile => Ecosystem::Maven,
        FileKind::MixLock => Ecosystem::Hex,
        FileKind::NuGetLock => Ecosystem::NuGet,
        _ => return None,
    })
}

/// Every bump of `kind`'s ecosystem, with a name and versions no tool reads as an
/// option.
fn check_bumps(kind: FileKind, lockfile: &Path, bumps: &[Bump]) -> Result<(), Refusal> {
    let expected = ecosystem_of(kind);
    for bump in bumps {
        if expected.as_ref().is_some_and(|e| *e != bump.ecosystem) {
            return Err(Refusal::new(format!(
                "{}: {} locks {} packages, not {} ({})",
                lockfile.display(),
                kind.name(),
                expected
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                bump.ecosystem,
                bump.name
            )));
        }
        for (what, word) in [("name", &bump.name), ("from", &bump.from), ("to", &bump.to)] {
            if !is_safe_word(word) {
                return Err(Refusal::new(format!(
                    "{}: the package {what} {word:?} could be read as an option or holds spaces or control characters; not passed to a tool",
                    lockfile.display()
                )));
            }
        }
    }
    Ok(())
}

/// Not empty, no leading `-`, no whitespace or control character.
pub(super) fn is_safe_word(word: &str) -> bool {
    !word.is_empty()
        && !word.starts_with('-')
        && !word.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `cargo update --package NAME@FROM --precise TO`, one per bump: cargo moves the
/// one locked package and adds or moves only what the new version needs.
fn cargo(dir: &Path, bumps: &[Bump]) -> Vec<ToolCommand> {
    bumps
        .iter()
        .map(|bump| {
            ToolCommand::new(
                "cargo",
                [
                    "update".to_owned(),
                    "--package".to_owned(),
                    format!("{}@{}", bump.name, bump.from),
                    "--precise".to_owned(),
                    bump.to.clone(),
                ],
                dir,
            )
            .with_env("CARGO_TERM_COLOR", "never")
        })
        .collect()
}

fn npm_command<I, S>(dir: &Path, args: I) -> ToolCommand
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut command = ToolCommand::new("npm", args, dir);
    for (name, value) in NPM_ENV {
        command = command.with_env(name, value);
    }
    command
}

/// npm: after a manifest change, `npm install --package-lock-only` re-resolves from
/// package.json (its ranges and `overrides`); without one, direct packages move with
/// `npm install NAME@TO --package-lock-only`, which also writes the new range into
/// package.json with the project's own save-prefix. A transitive package moves only
/// through an `overrides` entry, which the manifest rewrite writes: refused here.
fn npm(
    lockfile: &Path,
    dir: &Path,
    bumps: &[Bump],
    manifest_changed: bool,
) -> Result<Vec<ToolCommand>, Refusal> {
    const FLAGS: [&str; 4] = [
        "--package-lock-only",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
    ];
    let mut args = vec!["install".to_owned()];
    if !manifest_changed {
        if let Some(bump) = bumps.iter().find(|b| b.relation != Relation::Direct) {
            return Err(Refusal::with_manual(
                format!(
                    "{}: {} is not a direct dependency; npm moves it only through an `overrides` entry in package.json, which was not written",
                    lockfile.display(),
                    bump.name
                ),
                format!(
                    "add \"overrides\": {{ \"{}\": \"{}\" }} to package.json, then: {}",
                    bump.name,
                    bump.to,
                    npm_command(dir, std::iter::once("install").chain(FLAGS)).shell_line()
                ),
            ));
        }
        args.extend(bumps.iter().map(|b| format!("{}@{}", b.name, b.to)));
    }
    args.extend(FLAGS.map(String::from));
    Ok(vec![npm_command(dir, args)])
}

/// `uv lock --no-build --upgrade-package NAME==TO ...`: uv keeps every other locked
/// version and refuses to build a source distribution (no build backend runs).
fn uv_lock(dir: &Path, bumps: &[Bump]) -> ToolCommand {
    let mut args = vec!["lock".to_owned(), "--no-build".to_owned()];
    for bump in bumps {
        args.push("--upgrade-package".to_owned());
        args.push(format!("{}=={}", bump.name, bump.to));
    }
    ToolCommand::new("uv", args, dir)
}

/// `pipenv upgrade --lock-only NAME==TO ...`: Pipfile.lock only, the Pipfile kept.
fn pipenv(dir: &Path, bumps: &[Bump]) -> ToolCommand {
    let mut args = vec!["upgrade".to_owned(), "--lock-only".to_owned()];
    args.extend(bumps.iter().map(|b| format!("{}=={}", b.name, b.to)));
    ToolCommand::new("pipenv", args, dir)
        .with_env("PIP_ONLY_BINARY", ":all:")
        .with_env("PIPENV_NOSPIN", "1")
}

fn go_command<I, S>(dir: &Path, args: I) -> ToolCommand
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    // GOTOOLCHAIN=local: never download another Go toolchain to satisfy go.mod.
    ToolCommand::new("go", args, dir)
        .with_env("GOTOOLCHAIN", "local")
        .with_env("GOFLAGS", "-mod=mod")
}

/// `go get MODULE@vTO ...` then `go mod tidy`. The Go standard library and toolchain
/// move with the Go version, not with `go get`: refused.
fn go(lockfile: &Path, dir: &Path, bumps: &[Bump]) -> Result<Vec<ToolCommand>, Refusal> {
    if let Some(bump) = bumps
        .iter()
        .find(|b| b.name == "stdlib" || b.name == "toolchain")
    {
        return Err(Refusal::with_manual(
            format!(
                "{}: {} is part of the Go toolchain; it moves with the Go version that builds the service",
                lockfile.display(),
                bump.name
            ),
            format!(
                "build with Go {} or later (the `go` and `toolchain` lines of go.mod and the build image)",
                bump.to.trim_start_matches('v')
            ),
        ));
    }
    let mut get = vec!["get".to_owned()];
    get.extend(bumps.iter().map(|b| {
        let version = if b.to.starts_with('v') {
            b.to.clone()
        } else {
            format!("v{}", b.to)
        };
        format!("{}@{version}", b.name)
    }));
    let mut commands = Vec::new();
    if !bumps.is_empty() {
        commands.push(go_command(dir, get));
    }
    commands.push(go_command(dir, ["mod", "tidy"]));
    Ok(commands)
}

/// `composer update NAME --with NAME:TO ... --no-install --no-scripts --no-plugins`:
/// the lock only, no package script or plugin code.
fn composer(dir: &Path, bumps: &[Bump]) -> ToolCommand {
    let mut args = vec!["update".to_owned()];
    args.extend(bumps.iter().map(|b| b.name.clone()));
    for bump in bumps {
        args.push("--with".to_owned());
        args.push(format!("{}:{}", bump.name, bump.to));
    }
    args.extend(
        [
            "--no-install",
            "--no-scripts",
            "--no-plugins",
            "--no-interaction",
        ]
        .map(String::from),
    );
    ToolCommand::new("composer", args, dir).with_env("COMPOSER_NO_INTERACTION", "1")
}

/// `command` when the manifest was rewritten first; a refusal otherwise (the tool
/// has no command that moves a package to an exact version without editing the
/// manifest itself).
fn manifest_only(
    lockfile: &Path,
    bumps: &[Bump],
    manifest_changed: bool,
    command: ToolCommand,
) -> Result<ToolCommand, Refusal> {
    if manifest_changed {
        return Ok(command);
    }
    let names: Vec<&str> = bumps.iter().map(|b| b.name.as_str()).collect();
    Err(Refusal::with_manual(
        format!(
            "{}: its tool moves {} only after the manifest beside it names the new version (a range or an override), which was not rewritten",
            lockfile.display(),
            names.join(", ")
        ),
        format!("edit the manifest, then: {}", command.shell_line()),
    ))
}

/// yarn.lock: Yarn 1 and Yarn 2+ take different commands and script switches, and
/// the flavour is in the file's text, not its name; refused with both commands.
fn yarn(lockfile: &Path, dir: &Path, bumps: &[Bump]) -> Refusal {
    let targets: Vec<String> = bumps
        .iter()
        .map(|b| format!("{}@{}", b.name, b.to))
        .collect();
    let berry = ToolCommand::new(
        "yarn",
        std::iter::once("up".to_owned())
            .chain(std::iter::once("--mode=update-lockfile".to_owned()))
            .chain(targets.iter().cloned()),
        dir,
    )
    .with_env("YARN_ENABLE_SCRIPTS", "false");
    let classic = ToolCommand::new(
        "yarn",
        std::iter::once("upgrade".to_owned())
            .chain(targets.iter().cloned())
            .chain([
                "--ignore-scripts".to_owned(),
                "--non-interactive".to_owned(),
            ]),
        dir,
    );
    Refusal::with_manual(
        format!(
            "{}: yarn.lock is regenerated by hand (Yarn 1 and Yarn 2+ differ in commands and script switches)",
            lockfile.display()
        ),
        format!(
            "Yarn 2+: {}\nYarn 1: {}",
            berry.shell_line(),
            classic.shell_line()
        ),
    )
}
