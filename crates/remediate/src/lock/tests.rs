//! The commands per kind, compared whole as the shell lines a person would paste.

use std::path::Path;

use cverun_inventory::{FileKind, Relation};
use cverun_versions::Ecosystem;

use super::*;

fn lines(kind: FileKind, lockfile: &str, bumps: &[Bump], manifest_changed: bool) -> Vec<String> {
    regenerate(kind, Path::new(lockfile), bumps, manifest_changed)
        .unwrap()
        .iter()
        .map(ToolCommand::shell_line)
        .collect()
}

#[test]
fn shell_lines_quote_what_the_shell_would_read() {
    assert_eq!(shell_quote("requests==2.31.0"), "requests==2.31.0");
    assert_eq!(shell_quote("@scope/pkg@1.0.0"), "@scope/pkg@1.0.0");
    assert_eq!(shell_quote(""), "''");
    assert_eq!(shell_quote("a b"), "'a b'");
    assert_eq!(shell_quote("it's"), r"'it'\''s'");
    assert_eq!(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
    let command = ToolCommand::new("npm", ["install", "x;y"], Path::new("/srv/my app"))
        .with_env("npm_config_ignore_scripts", "true");
    assert_eq!(
        command.shell_line(),
        "cd '/srv/my app' && npm_config_ignore_scripts=true npm install 'x;y'"
    );
}

#[test]
fn cargo_moves_each_locked_version_precisely() {
    let bumps = [
        Bump::new(
            Ecosystem::CratesIo,
            "h2",
            "0.3.13",
            "0.3.26",
            Relation::Transitive,
        ),
        Bump::new(
            Ecosystem::CratesIo,
            "tokio",
            "1.19.2",
            "1.38.2",
            Relation::Direct,
        ),
    ];
    assert_eq!(
        lines(FileKind::CargoLock, "/srv/ship/Cargo.lock", &bumps, false),
        [
            "cd /srv/ship && CARGO_TERM_COLOR=never cargo update --package h2@0.3.13 --precise 0.3.26",
            "cd /srv/ship && CARGO_TERM_COLOR=never cargo update --package tokio@1.19.2 --precise 1.38.2",
        ]
    );
}

#[test]
fn npm_reresolves_after_a_manifest_change_and_installs_direct_packages_otherwise() {
    let env = "npm_config_ignore_scripts=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false";
    let transitive = [Bump::new(
        Ecosystem::Npm,
        "lodash",
        "4.17.21",
        "4.17.23",
        Relation::Transitive,
    )];
    assert_eq!(
        lines(
            FileKind::PackageLockJson,
            "/srv/pay/package-lock.json",
            &transitive,
            true
        ),
        [format!(
            "cd /srv/pay && {env} npm install --package-lock-only --ignore-scripts --no-audit --no-fund"
        )]
    );
    let direct = [Bump::new(
        Ecosystem::Npm,
        "@grpc/grpc-js",
        "1.9.9",
        "1.9.15",
        Relation::Direct,
    )];
    assert_eq!(
        lines(
            FileKind::PackageLockJson,
            "/srv/pay/package-lock.json",
            &direct,
            false
        ),
        [format!(
            "cd /srv/pay && {env} npm install @grpc/grpc-js@1.9.15 --package-lock-only --ignore-scripts --no-audit --no-fund"
        )]
    );
    let refused = regenerate(
        FileKind::PackageLockJson,
        Path::new("/srv/pay/package-lock.json"),
        &transitive,
        false,
    )
    .unwrap_err();
    assert!(
        refused.reason.contains("lodash is not a direct dependency"),
        "{refused}"
    );
    assert!(refused.manual.unwrap().starts_with(
        "add \"overrides\": { \"lodash\": \"4.17.23\" } to package.json, then: cd /srv/pay && "
    ));
}

#[test]
fn python_lockfiles() {
    let bumps = [Bump::new(
        Ecosystem::PyPI,
        "requests",
        "2.27.1",
        "2.31.0",
        Relation::Direct,
    )];
    assert_eq!(
        lines(FileKind::UvLock, "/p/uv.lock", &bumps, false),
        ["cd /p && uv lock --no-build --upgrade-package requests==2.31.0"]
    );
    assert_eq!(
        lines(FileKind::PoetryLock, "/p/poetry.lock", &bumps, true),
        ["cd /p && poetry update --lock --no-interaction requests"]
    );
    assert_eq!(
        lines(FileKind::PdmLock, "/p/pdm.lock", &bumps, false),
        ["cd /p && pdm update --no-sync --update-reuse requests"]
    );
    assert_eq!(
        lines(FileKind::PipfileLock, "/p/Pipfile.lock", &bumps, false),
        [
            "cd /p && PIP_ONLY_BINARY=:all: PIPENV_NOSPIN=1 pipenv upgrade --lock-only requests==2.31.0"
        ]
    );
}

#[test]
fn other_ecosystems() {
    use Relation::{Direct, Transitive};
    // (lockfile kind, path, bump, manifest changed, expected lines)
    let cases: [(FileKind, &str, Bump, bool, &[&str]); 7] = [
        (
            FileKind::GoMod,
            "/g/go.mod",
            Bump::new(
                Ecosystem::Go,
                "golang.org/x/net",
                "v0.7.0",
                "0.23.0",
                Transitive,
            ),
            false,
            &[
                "cd /g && GOTOOLCHAIN=local GOFLAGS=-mod=mod go get golang.org/x/net@v0.23.0",
                "cd /g && GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod tidy",
            ],
        ),
        (
            FileKind::GemfileLock,
            "/r/Gemfile.lock",
            Bump::new(Ecosystem::RubyGems, "rack", "2.2.3", "2.2.8.1", Transitive),
            false,
            &["cd /r && bundle lock --conservative --update rack"],
        ),
        (
            FileKind::ComposerLock,
            "/c/composer.lock",
            Bump::new(
                Ecosystem::Packagist,
                "guzzlehttp/psr7",
                "2.4.0",
                "2.4.5",
                Transitive,
            ),
            false,
            &[
                "cd /c && COMPOSER_NO_INTERACTION=1 composer update guzzlehttp/psr7 --with guzzlehttp/psr7:2.4.5 --no-install --no-scripts --no-plugins --no-interaction",
            ],
        ),
        (
            FileKind::GradleLockfile,
            "/j/gradle.lockfile",
            Bump::new(
                Ecosystem::Maven,
                "org.yaml:snakeyaml",
                "1.33",
                "2.0",
                Transitive,
            ),
            false,
            &["cd /j && gradle dependencies --update-locks org.yaml:snakeyaml"],
        ),
        (
            FileKind::MixLock,
            "/e/mix.lock",
            Bump::new(Ecosystem::Hex, "plug", "1.13.6", "1.14.2", Transitive),
            false,
            &["cd /e && mix deps.update plug"],
        ),
        (
            FileKind::NuGetLock,
            "/n/packages.lock.json",
            Bump::new(
                Ecosystem::NuGet,
                "Grpc.Net.Client",
                "2.40.0",
                "2.52.0",
                Direct,
            ),
            true,
            &["cd /n && DOTNET_CLI_TELEMETRY_OPTOUT=1 dotnet restore --force-evaluate"],
        ),
        (
            FileKind::PnpmLock,
            "/w/pnpm-lock.yaml",
            Bump::new(Ecosystem::Npm, "ws", "8.5.0", "8.17.1", Transitive),
            true,
            &[
                "cd /w && npm_config_ignore_scripts=true pnpm install --lockfile-only --ignore-scripts",
            ],
        ),
    ];
    for (kind, lockfile, bump, manifest_changed, expected) in cases {
        assert_eq!(
            lines(kind, lockfile, &[bump], manifest_changed),
            expected,
            "{kind:?}"
        );
    }
}

#[test]
fn refusals_say_why_and_what_to_do() {
    let npm = [Bump::new(
        Ecosystem::Npm,
        "ws",
        "8.5.0",
        "8.17.1",
        Relation::Transitive,
    )];
    let path = Path::new("/w/yarn.lock");
    let yarn = regenerate(FileKind::YarnLock, path, &npm, true).unwrap_err();
    assert_eq!(
        yarn.manual.as_deref(),
        Some(
            "Yarn 2+: cd /w && YARN_ENABLE_SCRIPTS=false yarn up --mode=update-lockfile ws@8.17.1\n\
             Yarn 1: cd /w && yarn upgrade ws@8.17.1 --ignore-scripts --non-interactive"
        )
    );
    let pnpm = regenerate(
        FileKind::PnpmLock,
        Path::new("/w/pnpm-lock.yaml"),
        &npm,
        false,
    )
    .unwrap_err();
    assert!(pnpm.reason.contains("only after the manifest"), "{pnpm}");

    let stdlib = [Bump::new(
        Ecosystem::Go,
        "stdlib",
        "1.19.1",
        "1.20.14",
        Relation::Direct,
    )];
    let refused = regenerate(FileKind::GoMod, Path::new("/g/go.mod"), &stdlib, false).unwrap_err();
    assert_eq!(
        refused.manual.as_deref(),
        Some(
            "build with Go 1.20.14 or later (the `go` and `toolchain` lines of go.mod and the build image)"
        )
    );

    let wrong = [Bump::new(Ecosystem::PyPI, "h2", "1", "2", Relation::Direct)];
    let refused = regenerate(
        FileKind::CargoLock,
        Path::new("/s/Cargo.lock"),
        &wrong,
        false,
    )
    .unwrap_err();
    assert_eq!(
        refused.reason,
        "/s/Cargo.lock: Cargo.lock locks crates.io packages, not PyPI (h2)"
    );

    let option = [Bump::new(
        Ecosystem::CratesIo,
        "--config=x",
        "1",
        "2",
        Relation::Direct,
    )];
    assert!(
        regenerate(
            FileKind::CargoLock,
            Path::new("/s/Cargo.lock"),
            &option,
            false
        )
        .is_err()
    );
    let spaced = [Bump::new(
        Ecosystem::CratesIo,
        "h2",
        "1",
        "2 --x",
        Relation::Direct,
    )];
    assert!(
        regenerate(
            FileKind::CargoLock,
            Path::new("/s/Cargo.lock"),
            &spaced,
            false
        )
        .is_err()
    );

    for kind in [
        FileKind::CargoToml,
        FileKind::Requirements,
        FileKind::PyLock,
        FileKind::Spdx,
    ] {
        assert!(
            regenerate(kind, Path::new("/x/f"), &[], true).is_err(),
            "{kind:?}"
        );
    }
    // Nothing to move and nothing changed: no command.
    assert_eq!(
        regenerate(FileKind::CargoLock, Path::new("/s/Cargo.lock"), &[], false),
        Ok(Vec::new())
    );
}

#[test]
fn checks_per_kind() {
    let line = |kind, path: &str| check(kind, Path::new(path)).map(|c| c.shell_line());
    assert_eq!(
        line(FileKind::CargoLock, "/s/Cargo.lock").as_deref(),
        Some("cd /s && CARGO_TERM_COLOR=never cargo metadata --locked --format-version 1")
    );
    assert_eq!(
        line(FileKind::UvLock, "/p/uv.lock").as_deref(),
        Some("cd /p && uv lock --check --no-build")
    );
    assert_eq!(
        line(FileKind::Requirements, "/p/requirements.txt").as_deref(),
        Some(
            "cd /p && python3 -m pip install --dry-run --no-deps --ignore-installed --require-hashes --only-binary=:all: --disable-pip-version-check -r requirements.txt"
        )
    );
    assert!(
        line(FileKind::PackageLockJson, "/w/package-lock.json")
            .unwrap()
            .ends_with("npm ci --dry-run --ignore-scripts --no-audit --no-fund")
    );
    assert_eq!(line(FileKind::GemfileLock, "/r/Gemfile.lock"), None);
    assert_eq!(line(FileKind::GradleLockfile, "/j/gradle.lockfile"), None);
    assert_eq!(line(FileKind::CargoToml, "/s/Cargo.toml"), None);
}
