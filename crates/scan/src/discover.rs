//! Finding manifests under the scan roots and grouping them into services.
//!
//! The walk honours `.gitignore` (also outside a git checkout), skips hidden
//! directories and `node_modules`, `vendor`, `target`, `.venv`, and never walks into
//! a linked directory: each is a warning naming it. A file is a manifest when
//! [`FileKind::detect`] recognises its name; a link with a manifest's name is read
//! when it leads to a regular file inside the scanned roots (or anywhere, when the
//! [`Confinement`] allows it), else it is an error naming it.
//!
//! Services: by default each directory holding manifests is one service. With a
//! `cverun.toml` at the root, every manifest below a configured service's path belongs
//! to it. Within a directory, a manifest locked by a lockfile beside it
//! (`package.json` beside `package-lock.json`, `requirements.in` beside
//! `requirements.txt`, `pyproject.toml` beside `poetry.lock`, `uv.lock`, `pdm.lock`
//! or `pylock.toml`, `Pipfile` beside `Pipfile.lock`, `composer.json` beside
//! `composer.lock`) is not read separately: the lockfile says what is installed.
//! It is listed as skipped, with the reason. A requirements file beside a
//! `pyproject.toml` locks nothing: both are read.
//!
//! pip constraints files ([`is_constraints_file`]) install nothing and are read
//! only through the `-c` of a requirements file: beside a requirements file they
//! are listed as skipped, alone as not read. Files cverun recognises as dependency
//! declarations in formats it does not read ([`not_read_reason`]: `setup.py`,
//! `environment.yml`, `Podfile.lock`, ...) are listed as not read, with the reason;
//! a directory holding only such files is still a service, so that it is never
//! silently absent from a report.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use cverun_inventory::read::kind_of;
use cverun_inventory::{Confinement, FileKind, is_constraints_file, not_read_reason};

use crate::config::{Config, ServiceConfig};

/// Directories never walked into.
pub const SKIPPED_DIRS: [&str; 4] = ["node_modules", "vendor", "target", ".venv"];

/// A manifest to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// Its path on disk.
    pub path: PathBuf,
    /// Its path as reported: relative to the scan root (prefixed by the root when
    /// several roots are scanned), with `/` separators.
    pub display: String,
    /// Its format.
    pub kind: FileKind,
}

/// A service and the manifests it ships.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedService {
    /// Name (configured, or the directory as reported).
    pub name: String,
    /// Directory as reported (`.` for a root).
    pub dir: String,
    /// The directory on disk (the scan root joined with the service's path).
    pub location: PathBuf,
    /// The configuration entry, when configured.
    pub config: Option<ServiceConfig>,
    /// Manifests to read, in path order.
    pub manifests: Vec<Manifest>,
    /// Manifests not read because a lockfile beside them locks them, and
    /// constraints files beside requirements files: (path, reason).
    pub skipped: Vec<(String, String)>,
    /// Files recognised as dependency declarations that cverun does not read
    /// (`setup.py`, `Podfile.lock`, a constraints file no requirements file sits
    /// beside, ...): (path as reported, reason).
    pub not_read: Vec<(String, String)>,
}

/// What the walk found in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Found {
    /// A manifest of this kind, to read.
    Manifest(FileKind),
    /// A pip constraints file.
    Constraints,
    /// A declaration cverun does not read, and why.
    NotRead(&'static str),
}

/// What the walk makes of a file, by its name; `None` for unrelated files.
fn classify(path: &Path) -> Option<Found> {
    if let Some(kind) = FileKind::detect(path) {
        return Some(Found::Manifest(kind));
    }
    if is_constraints_file(path) {
        return Some(Found::Constraints);
    }
    not_read_reason(path).map(Found::NotRead)
}

/// Why a constraints file is not read on its own.
const CONSTRAINTS_BESIDE: &str = "pip constraints file: installs nothing; its pins apply through the -c of the requirements files that name it";
/// Why a constraints file with no requirements file beside it is not read.
const CONSTRAINTS_ALONE: &str = "pip constraints file: installs nothing; cverun reads it only through the -c of a requirements file that names it";

/// A file or directory the walk could not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkError {
    /// The path, as reported.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// Everything the walk found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Services, in name order.
    pub services: Vec<PlannedService>,
    /// Unreadable parts of the tree.
    pub errors: Vec<WalkError>,
    /// Parts of the tree not walked: linked directories.
    pub warnings: Vec<WalkError>,
}

/// One root to scan and its configuration.
pub struct Root<'a> {
    /// The path as given.
    pub path: &'a Path,
    /// Its cverun.toml, if any.
    pub config: Option<&'a Config>,
}

/// Walks `roots` and groups their manifests into services; links are followed only
/// inside the roots.
pub fn plan(roots: &[Root<'_>]) -> Plan {
    let paths: Vec<PathBuf> = roots.iter().map(|r| r.path.to_owned()).collect();
    plan_confined(roots, &Confinement::new(&paths, false))
}

/// What a linked entry of the walk is.
enum Link {
    /// A manifest-named link to a regular file that may be read.
    Read,
    /// A link to a directory: not walked.
    Directory,
    /// A manifest-named link that is not read, and why.
    Refused(String),
    /// Of no interest (a link to an unrelated file).
    Ignored,
}

/// Judges the link at `path`, whose name the walk classified as `found`.
fn judge_link(path: &Path, found: Option<Found>, confinement: &Confinement) -> Link {
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Link::Directory;
    }
    if found.is_none() {
        return Link::Ignored;
    }
    match confinement.resolve(path) {
        Ok(target) => match std::fs::metadata(&target) {
            Ok(m) if m.is_file() => Link::Read,
            Ok(m) => Link::Refused(format!(
                "symbolic link to {}; not read",
                kind_of(m.file_type())
            )),
            Err(e) => Link::Refused(format!("symbolic link: {e}")),
        },
        Err(e) => Link::Refused(format!("symbolic link: {e}")),
    }
}

/// [`plan`], with links followed as `confinement` allows.
pub fn plan_confined(roots: &[Root<'_>], confinement: &Confinement) -> Plan {
    let several = roots.len() > 1;
    let mut out = Plan::default();
    for root in roots {
        let label = root.path.to_string_lossy().replace('\\', "/");
        let display = |rel: &Path| -> String {
            let r = rel.to_string_lossy().replace('\\', "/");
            match (several, r.is_empty()) {
                (true, true) => label.clone(),
                (true, false) => format!("{}/{r}", label.trim_end_matches('/')),
                (false, true) => ".".to_owned(),
                (false, false) => r,
            }
        };
        // A single file given as root.
        if root.path.is_file() {
            match classify(root.path) {
                Some(Found::Manifest(kind)) => {
                    let dir = root
                        .path
                        .parent()
                        .map(|p| p.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    out.services.push(PlannedService {
                        name: if dir.is_empty() {
                            ".".into()
                        } else {
                            dir.clone()
                        },
                        location: root.path.parent().map(Path::to_owned).unwrap_or_default(),
                        dir: if dir.is_empty() { ".".into() } else { dir },
                        config: None,
                        manifests: vec![Manifest {
                            path: root.path.to_owned(),
                            display: label.clone(),
                            kind,
                        }],
                        skipped: Vec::new(),
                        not_read: Vec::new(),
                    });
                }
                Some(Found::Constraints) => out.errors.push(WalkError {
                    path: label.clone(),
                    message: CONSTRAINTS_ALONE.into(),
                }),
                Some(Found::NotRead(reason)) => out.errors.push(WalkError {
                    path: label.clone(),
                    message: reason.into(),
                }),
                None => out.errors.push(WalkError {
                    path: label.clone(),
                    message: "not a lockfile, manifest or SBOM cverun reads".into(),
                }),
            }
            continue;
        }
        if !root.path.is_dir() {
            out.errors.push(WalkError {
                path: label.clone(),
                message: "no such file or directory".into(),
            });
            continue;
        }
        // Directory -> manifests in it.
        let mut by_dir: BTreeMap<PathBuf, Vec<(PathBuf, Found)>> = BTreeMap::new();
        let walker = ignore::WalkBuilder::new(root.path)
            .hidden(true)
            .git_ignore(true)
            .git_exclude(true)
            .git_global(false)
            .require_git(false)
            .ignore(false)
            .parents(false)
            .follow_links(false)
            .filter_entry(|e| {
                !(e.file_type().is_some_and(|t| t.is_dir())
                    && e.depth() > 0
                    && SKIPPED_DIRS.iter().any(|d| e.file_name() == *d))
            })
            .build();
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    out.errors.push(WalkError {
                        path: label.clone(),
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            let rel = entry
                .path()
                .strip_prefix(root.path)
                .unwrap_or(entry.path())
                .to_owned();
            if entry.path_is_symlink() && entry.depth() > 0 {
                match judge_link(entry.path(), classify(entry.path()), confinement) {
                    Link::Read => {}
                    Link::Directory => {
                        out.warnings.push(WalkError {
                            path: display(&rel),
                            message: "symbolic link to a directory: not walked, manifests under it are not read (scan its target as a root to check them)".into(),
                        });
                        continue;
                    }
                    Link::Refused(message) => {
                        out.errors.push(WalkError {
                            path: display(&rel),
                            message,
                        });
                        continue;
                    }
                    Link::Ignored => continue,
                }
            } else if let Some(t) = entry.file_type().filter(|t| !t.is_file() && !t.is_dir()) {
                // A FIFO, socket or device with a manifest's name: never opened.
                if classify(entry.path()).is_some() {
                    out.errors.push(WalkError {
                        path: display(&rel),
                        message: format!("not a regular file ({}); not read", kind_of(t)),
                    });
                }
                continue;
            } else if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let Some(found) = classify(entry.path()) else {
                continue;
            };
            let dir = rel.parent().map(Path::to_owned).unwrap_or_default();
            by_dir.entry(dir).or_default().push((rel, found));
        }
        // Group directories into services.
        let mut services: BTreeMap<String, PlannedService> = BTreeMap::new();
        if let Some(config) = root.config {
            // Configured services are reported even when nothing was found for them.
            for sc in &config.services {
                services.insert(
                    sc.name.clone(),
                    PlannedService {
                        name: sc.name.clone(),
                        dir: display(&sc.path),
                        location: root.path.join(&sc.path),
                        config: Some(sc.clone()),
                        manifests: Vec::new(),
                        skipped: Vec::new(),
                        not_read: Vec::new(),
                    },
                );
            }
        }
        for (dir, mut files) in by_dir {
            files.sort();
            let kinds: BTreeSet<FileKind> = files
                .iter()
                .filter_map(|(_, found)| match found {
                    Found::Manifest(kind) => Some(*kind),
                    _ => None,
                })
                .collect();
            let names: BTreeSet<String> = files
                .iter()
                .filter_map(|(p, _)| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect();
            let configured = root.config.and_then(|c| c.service_for(&dir));
            let key = match configured {
                Some(sc) => sc.name.clone(),
                None => {
                    let d = display(&dir);
                    if d == "." && !several {
                        root.path
                            .canonicalize()
                            .ok()
                            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                            .unwrap_or(d)
                    } else {
                        d
                    }
                }
            };
            let svc = services
                .entry(key.clone())
                .or_insert_with(|| PlannedService {
                    name: key.clone(),
                    dir: display(&dir),
                    location: root.path.join(&dir),
                    config: configured.cloned(),
                    manifests: Vec::new(),
                    skipped: Vec::new(),
                    not_read: Vec::new(),
                });
            for (rel, found) in files {
                let shown = display(&rel);
                let kind = match found {
                    Found::Manifest(kind) => kind,
                    Found::Constraints if kinds.contains(&FileKind::Requirements) => {
                        svc.skipped.push((shown, CONSTRAINTS_BESIDE.into()));
                        continue;
                    }
                    Found::Constraints => {
                        svc.not_read.push((shown, CONSTRAINTS_ALONE.into()));
                        continue;
                    }
                    Found::NotRead(reason) => {
                        svc.not_read.push((shown, reason.into()));
                        continue;
                    }
                };
                if let Some(lock) = kind.locked_by().iter().find(|k| kinds.contains(k)) {
                    svc.skipped
                        .push((shown, format!("locked by {} beside it", lock.name())));
                    continue;
                }
                if let Some(stem) = rel
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_suffix(".in"))
                {
                    if kind == FileKind::Requirements && names.contains(&format!("{stem}.txt")) {
                        svc.skipped
                            .push((shown, format!("compiled into {stem}.txt beside it")));
                        continue;
                    }
                }
                svc.manifests.push(Manifest {
                    path: root.path.join(&rel),
                    display: shown,
                    kind,
                });
            }
        }
        out.services.extend(services.into_values());
    }
    out.services.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn names(p: &Plan) -> Vec<(String, Vec<String>, Vec<String>)> {
        p.services
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    s.manifests.iter().map(|m| m.display.clone()).collect(),
                    s.skipped.iter().map(|(p, _)| p.clone()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn one_service_per_directory_lockfiles_preferred() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        touch(r, "web/package.json", "{}");
        touch(r, "web/package-lock.json", "{}");
        touch(r, "web/node_modules/left-pad/package.json", "{}");
        touch(r, "api/requirements.in", "flask");
        touch(r, "api/requirements.txt", "flask==2.0");
        touch(r, "api/requirements-dev.txt", "pytest==7.0");
        touch(r, "tools/go.mod", "module x\n");
        touch(r, "tools/vendor/x/go.mod", "module y\n");
        touch(r, "svc/target/debug/Cargo.lock", "");
        touch(r, "svc/Cargo.lock", "");
        touch(r, "svc/Cargo.toml", "");
        touch(r, ".hidden/go.mod", "module z\n");
        touch(r, "ignored/go.mod", "module z\n");
        touch(r, ".gitignore", "ignored/\n");
        touch(r, "README.md", "");
        let p = plan(&[Root {
            path: r,
            config: None,
        }]);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(
            names(&p),
            vec![
                (
                    "api".into(),
                    vec![
                        "api/requirements-dev.txt".into(),
                        "api/requirements.txt".into()
                    ],
                    vec!["api/requirements.in".into()]
                ),
                (
                    "svc".into(),
                    vec!["svc/Cargo.lock".into()],
                    vec!["svc/Cargo.toml".into()]
                ),
                ("tools".into(), vec!["tools/go.mod".into()], vec![]),
                (
                    "web".into(),
                    vec!["web/package-lock.json".into()],
                    vec!["web/package.json".into()]
                ),
            ]
        );
        assert_eq!(
            p.services[3].skipped[0].1,
            "locked by package-lock.json beside it"
        );
    }

    #[test]
    fn configured_services_gather_their_subdirectories() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        touch(r, "cart/src/cart.csproj", "<Project/>");
        touch(r, "cart/tests/cart.tests.csproj", "<Project/>");
        touch(r, "other/go.mod", "module x\n");
        let config = crate::config::parse(
            Path::new("cverun.toml"),
            "[[service]]\nname = \"cart\"\npath = \"cart\"\nowner = \"team-cart\"\n[[service]]\nname = \"ghost\"\npath = \"nowhere\"\n",
        )
        .unwrap();
        let p = plan(&[Root {
            path: r,
            config: Some(&config),
        }]);
        let n = names(&p);
        assert_eq!(
            n[0],
            (
                "cart".into(),
                vec![
                    "cart/src/cart.csproj".into(),
                    "cart/tests/cart.tests.csproj".into()
                ],
                vec![]
            )
        );
        assert_eq!(
            n[1],
            ("ghost".into(), vec![], vec![]),
            "configured, nothing found: still reported"
        );
        assert_eq!(n[2].0, "other");
        assert_eq!(
            p.services[0].config.as_ref().unwrap().owner.as_deref(),
            Some("team-cart")
        );
    }

    fn plan_of(r: &Path) -> Plan {
        plan(&[Root {
            path: r,
            config: None,
        }])
    }

    fn service<'p>(p: &'p Plan, name: &str) -> &'p PlannedService {
        p.services
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no service {name}"))
    }

    #[test]
    fn python_php_and_pipenv_manifests_yield_to_their_lockfiles() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        for (dir, lock) in [
            ("poetry", "poetry.lock"),
            ("uv", "uv.lock"),
            ("pdm", "pdm.lock"),
            ("pylock", "pylock.toml"),
        ] {
            touch(r, &format!("{dir}/pyproject.toml"), "[project]\n");
            touch(r, &format!("{dir}/{lock}"), "");
        }
        touch(r, "pipenv/Pipfile", "[packages]\n");
        touch(r, "pipenv/Pipfile.lock", "{}");
        touch(r, "php/composer.json", "{}");
        touch(r, "php/composer.lock", "{}");
        // A requirements file locks no pyproject.toml: both are read.
        touch(r, "both/pyproject.toml", "[project]\n");
        touch(r, "both/requirements.txt", "flask==2.0\n");
        // Alone, each new manifest is read.
        touch(r, "alone/pyproject.toml", "[project]\n");
        touch(r, "alone/Pipfile", "[packages]\n");
        touch(r, "alone/composer.json", "{}");
        touch(r, "dotnet/packages.config", "<packages/>");
        let p = plan_of(r);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        for (dir, lock) in [
            ("poetry", "poetry.lock"),
            ("uv", "uv.lock"),
            ("pdm", "pdm.lock"),
            ("pylock", "pylock.toml"),
        ] {
            let s = service(&p, dir);
            assert_eq!(s.manifests.len(), 1, "{dir}");
            assert_eq!(s.manifests[0].display, format!("{dir}/{lock}"));
            assert_eq!(
                s.skipped,
                vec![(
                    format!("{dir}/pyproject.toml"),
                    format!("locked by {lock} beside it")
                )]
            );
        }
        assert_eq!(
            service(&p, "pipenv").skipped,
            vec![(
                "pipenv/Pipfile".to_owned(),
                "locked by Pipfile.lock beside it".to_owned()
            )]
        );
        assert_eq!(
            service(&p, "php").skipped,
            vec![(
                "php/composer.json".to_owned(),
                "locked by composer.lock beside it".to_owned()
            )]
        );
        let both: Vec<FileKind> = service(&p, "both")
            .manifests
            .iter()
            .map(|m| m.kind)
            .collect();
        assert_eq!(both, vec![FileKind::PyProject, FileKind::Requirements]);
        assert!(service(&p, "both").skipped.is_empty());
        let alone: Vec<FileKind> = service(&p, "alone")
            .manifests
            .iter()
            .map(|m| m.kind)
            .collect();
        assert_eq!(
            alone,
            vec![
                FileKind::Pipfile,
                FileKind::ComposerJson,
                FileKind::PyProject
            ]
        );
        assert_eq!(
            service(&p, "dotnet").manifests[0].kind,
            FileKind::PackagesConfig
        );
    }

    #[test]
    fn constraints_files_are_not_manifests() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        touch(r, "api/requirements.txt", "-c constraints.txt\nrequests\n");
        touch(
            r,
            "api/constraints.txt",
            "requests==2.19.1\nurllib3==1.24.1\n",
        );
        touch(r, "api/requirements/base.txt", "six==1.16.0\n");
        touch(r, "api/requirements/pip-constraints.txt", "six==1.16.0\n");
        touch(r, "pins/constraints-py311.txt", "urllib3==1.24.1\n");
        let p = plan_of(r);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let api = service(&p, "api");
        assert_eq!(api.manifests.len(), 1);
        assert_eq!(api.manifests[0].display, "api/requirements.txt");
        assert_eq!(api.skipped.len(), 1);
        assert_eq!(api.skipped[0].0, "api/constraints.txt");
        assert!(api.skipped[0].1.contains("-c"), "{}", api.skipped[0].1);
        let sub = service(&p, "api/requirements");
        assert_eq!(sub.manifests[0].display, "api/requirements/base.txt");
        assert_eq!(sub.skipped[0].0, "api/requirements/pip-constraints.txt");
        // Alone, a constraints file is a service with nothing read, and says why.
        let pins = service(&p, "pins");
        assert!(pins.manifests.is_empty() && pins.skipped.is_empty());
        assert_eq!(pins.not_read.len(), 1);
        assert_eq!(pins.not_read[0].0, "pins/constraints-py311.txt");
        assert!(pins.not_read[0].1.starts_with("pip constraints file"));
    }

    #[test]
    fn recognised_files_that_are_not_read_are_listed() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        touch(r, "legacy/setup.py", "from setuptools import setup\n");
        touch(r, "legacy/setup.cfg", "[options]\n");
        touch(r, "science/environment.yml", "dependencies: [numpy]\n");
        touch(r, "ios/Podfile.lock", "PODS:\n");
        touch(r, "web/pyproject.toml", "[project]\n");
        touch(r, "web/setup.py", "");
        touch(r, "web/README.md", "");
        touch(r, "dotnet/bin/app.deps.json", "{}");
        let p = plan_of(r);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let legacy = service(&p, "legacy");
        assert!(legacy.manifests.is_empty());
        let listed: Vec<&str> = legacy.not_read.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(listed, vec!["legacy/setup.cfg", "legacy/setup.py"]);
        assert!(legacy.not_read[1].1.contains("does not run or read it"));
        assert_eq!(service(&p, "science").not_read.len(), 1);
        assert_eq!(service(&p, "ios").not_read[0].0, "ios/Podfile.lock");
        assert_eq!(service(&p, "dotnet/bin").not_read.len(), 1);
        let web = service(&p, "web");
        assert_eq!(web.manifests.len(), 1);
        assert_eq!(web.not_read.len(), 1);
        assert_eq!(web.not_read[0].0, "web/setup.py");
        // Named as a root, a file cverun does not read is an error saying why.
        let file = r.join("legacy/setup.py");
        let p = plan_of(&file);
        assert!(p.services.is_empty());
        assert!(p.errors[0].message.contains("does not run or read it"));
        touch(r, "constraints.txt", "a==1\n");
        let p = plan_of(&r.join("constraints.txt"));
        assert!(p.errors[0].message.starts_with("pip constraints file"));
    }

    #[test]
    fn missing_root_and_file_roots() {
        let d = tempfile::tempdir().unwrap();
        touch(d.path(), "go.mod", "module x\n");
        let missing = d.path().join("nope");
        let file = d.path().join("go.mod");
        let notes = d.path().join("notes.txt");
        touch(d.path(), "notes.txt", "");
        let p = plan(&[
            Root {
                path: &missing,
                config: None,
            },
            Root {
                path: &file,
                config: None,
            },
            Root {
                path: &notes,
                config: None,
            },
        ]);
        assert_eq!(p.errors.len(), 2);
        assert!(p.errors[0].message.contains("no such file"));
        assert!(p.errors[1].message.contains("not a lockfile"));
        assert_eq!(p.services.len(), 1);
        assert_eq!(p.services[0].manifests[0].kind, FileKind::GoMod);
    }
}
