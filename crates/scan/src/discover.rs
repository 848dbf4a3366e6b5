//! Finding manifests under the scan roots and grouping them into services.
//!
//! The walk honours `.gitignore` (also outside a git checkout), skips hidden
//! directories and `node_modules`, `vendor`, `target`, `.venv`, and never follows
//! symbolic links. A file is a manifest when [`FileKind::detect`] recognises its name.
//!
//! Services: by default each directory holding manifests is one service. With a
//! `cverun.toml` at the root, every manifest below a configured service's path belongs
//! to it. Within a directory, a manifest locked by a lockfile beside it
//! (`package.json` beside `package-lock.json`, `requirements.in` beside
//! `requirements.txt`) is not read separately: the lockfile says what is installed.
//! It is listed as skipped, with the reason.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use cverun_inventory::FileKind;

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
    /// Manifests not read because a lockfile beside them locks them: (path, reason).
    pub skipped: Vec<(String, String)>,
}

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
}

/// One root to scan and its configuration.
pub struct Root<'a> {
    /// The path as given.
    pub path: &'a Path,
    /// Its cverun.toml, if any.
    pub config: Option<&'a Config>,
}

/// Walks `roots` and groups their manifests into services.
pub fn plan(roots: &[Root<'_>]) -> Plan {
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
            match FileKind::detect(root.path) {
                Some(kind) => {
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
                    });
                }
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
        let mut by_dir: BTreeMap<PathBuf, Vec<(PathBuf, FileKind)>> = BTreeMap::new();
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
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let Some(kind) = FileKind::detect(entry.path()) else {
                continue;
            };
            let rel = entry
                .path()
                .strip_prefix(root.path)
                .unwrap_or(entry.path())
                .to_owned();
            let dir = rel.parent().map(Path::to_owned).unwrap_or_default();
            by_dir.entry(dir).or_default().push((rel, kind));
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
                    },
                );
            }
        }
        for (dir, mut files) in by_dir {
            files.sort();
            let kinds: BTreeSet<FileKind> = files.iter().map(|(_, k)| *k).collect();
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
                });
            for (rel, kind) in files {
                let shown = display(&rel);
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
