//! The dependency inventory of a host: lockfiles and manifests found under a root
//! (the scan's walk and parsers), and installed Python distributions
//! (`*.dist-info/METADATA` in site-packages directories).

use std::path::{Path, PathBuf};

use cverun_inventory::{ConfinedFiles, Confinement, Package, parse_file};
use cverun_scan::discover::{self, Root};
use serde::Serialize;

/// One manifest found under the root.
#[derive(Clone, Debug, Serialize)]
pub struct ManifestRecord {
    /// Its path as reported (relative to the root).
    pub path: String,
    /// Its format.
    pub kind: cverun_inventory::FileKind,
    /// The service it belongs to.
    pub service: String,
    /// Its packages.
    pub packages: Vec<Package>,
    /// Why it could not be parsed, when it could not.
    pub error: Option<String>,
    /// Problems in parts of it.
    pub warnings: Vec<String>,
    /// Where it is on disk (for copying into the archive).
    #[serde(skip)]
    pub disk_path: PathBuf,
}

/// One installed Python distribution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Distribution {
    /// `Name:` from METADATA.
    pub name: String,
    /// `Version:` from METADATA.
    pub version: String,
    /// The `.dist-info` directory.
    pub dist_info: String,
}

/// The Python distributions of one site-packages directory.
#[derive(Clone, Debug, Serialize)]
pub struct SitePackages {
    /// The directory.
    pub path: String,
    /// Distributions, by name.
    pub distributions: Vec<Distribution>,
    /// `.dist-info` directories that could not be read.
    pub unreadable: Vec<String>,
}

/// Everything found.
#[derive(Clone, Debug, Serialize)]
pub struct Inventory {
    /// The root walked.
    pub root: String,
    /// Manifests, by path.
    pub manifests: Vec<ManifestRecord>,
    /// Parts of the tree that could not be read.
    pub walk_errors: Vec<String>,
    /// Python distributions per site-packages directory.
    pub python: Vec<SitePackages>,
}

/// `Name` and `Version` from the header of a METADATA file (RFC 822 style; the
/// header ends at the first blank line).
pub fn parse_metadata(text: &str) -> Option<(String, String)> {
    let (mut name, mut version) = (None, None);
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "name" if name.is_none() => name = Some(v.trim().to_owned()),
                "version" if version.is_none() => version = Some(v.trim().to_owned()),
                _ => {}
            }
        }
    }
    Some((
        name.filter(|n| !n.is_empty())?,
        version.filter(|v| !v.is_empty())?,
    ))
}

/// Reads the distributions installed in `dir`; an error when `dir` cannot be listed.
pub fn site_packages(dir: &Path) -> Result<SitePackages, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read site-packages directory {}: {e}", dir.display()))?;
    let mut out = SitePackages {
        path: dir.display().to_string(),
        distributions: Vec::new(),
        unreadable: Vec::new(),
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".dist-info") {
            continue;
        }
        // The header is at the start: 1 MiB is plenty.
        match super::files::read_bounded(&entry.path().join("METADATA"), 1 << 20)
            .ok()
            .and_then(|b| parse_metadata(&String::from_utf8_lossy(&b.bytes)))
        {
            Some((n, v)) => out.distributions.push(Distribution {
                name: n,
                version: v,
                dist_info: name,
            }),
            None => out.unreadable.push(name),
        }
    }
    out.distributions.sort_by(|a, b| {
        (a.name.to_lowercase(), &a.version).cmp(&(b.name.to_lowercase(), &b.version))
    });
    out.unreadable.sort();
    Ok(out)
}

/// Walks `root` as a scan does and parses every manifest found.
pub fn lockfiles(root: &Path) -> (Vec<ManifestRecord>, Vec<String>) {
    let mut notes = Vec::new();
    let config = match cverun_scan::config::load(root) {
        Ok(c) => c,
        Err(e) => {
            notes.push(format!("{e} (services grouped by directory instead)"));
            None
        }
    };
    // Confined to the root: nothing outside it ends up in the archive.
    let files = ConfinedFiles {
        confinement: Confinement::new(&[root.to_owned()], false),
    };
    let plan = discover::plan_confined(
        &[Root {
            path: root,
            config: config.as_ref(),
        }],
        &files.confinement,
    );
    notes.extend(
        plan.errors
            .iter()
            .chain(&plan.warnings)
            .map(|e| format!("{}: {}", e.path, e.message)),
    );
    let mut out = Vec::new();
    for service in &plan.services {
        for m in &service.manifests {
            let (packages, error, warnings) = match parse_file(m.kind, &m.path, &files) {
                Ok(p) => (
                    p.packages,
                    None,
                    p.warnings.iter().map(|w| w.message.clone()).collect(),
                ),
                Err(e) => (Vec::new(), Some(e.to_string()), Vec::new()),
            };
            out.push(ManifestRecord {
                path: m.display.clone(),
                kind: m.kind,
                service: service.name.clone(),
                packages,
                error,
                warnings,
                disk_path: m.path.clone(),
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    (out, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_metadata_headers_only() {
        let m =
            "Metadata-Version: 2.1\nName: Jinja2\nVersion: 2.10\nSummary: x\n\nName: not-this\n";
        assert_eq!(parse_metadata(m), Some(("Jinja2".into(), "2.10".into())));
        assert_eq!(parse_metadata("Name: x\n"), None);
        assert_eq!(parse_metadata(""), None);
    }

    #[test]
    fn lists_installed_distributions_and_lockfiles() {
        let dir = tempfile::tempdir().unwrap();
        let sp = dir.path().join("site-packages");
        std::fs::create_dir_all(sp.join("jinja2-2.10.dist-info")).unwrap();
        std::fs::write(
            sp.join("jinja2-2.10.dist-info/METADATA"),
            "Name: Jinja2\nVersion: 2.10\n",
        )
        .unwrap();
        std::fs::create_dir_all(sp.join("broken-1.0.dist-info")).unwrap();
        std::fs::create_dir_all(sp.join("jinja2")).unwrap();
        let s = site_packages(&sp).unwrap();
        assert_eq!(s.distributions.len(), 1);
        assert_eq!(s.distributions[0].version, "2.10");
        assert_eq!(s.unreadable, vec!["broken-1.0.dist-info"]);
        assert!(
            site_packages(&dir.path().join("nope"))
                .unwrap_err()
                .contains("cannot read")
        );

        let app = dir.path().join("app");
        std::fs::create_dir_all(&app).unwrap();
        std::fs::write(app.join("requirements.txt"), "jinja2==2.10\nflask>=1\n").unwrap();
        let (m, notes) = lockfiles(dir.path());
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].path, "app/requirements.txt");
        assert_eq!(m[0].packages.len(), 2);
        assert_eq!(m[0].packages[0].exact_version(), Some("2.10"));
    }
}
