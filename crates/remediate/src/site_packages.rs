//! Installed Python environments: the packages a `site-packages` directory actually
//! holds, read from the metadata pip (or any installer following the packaging
//! specifications) leaves beside each distribution.
//!
//! A manifest says what should be installed; a deployed environment is what is. The
//! runbook's last check (`pkg_resources.get_distribution(...).version` on the host)
//! confirms the fixed version really landed; `cverun verify --site-packages DIR`
//! does the same for every distribution at once, matched against the advisories.
//!
//! What is read, following the "Recording installed projects" specification (PyPA)
//! and the core metadata specification:
//!
//! - `NAME-VERSION.dist-info/METADATA` (wheels, modern pip);
//! - `NAME-VERSION.egg-info/PKG-INFO`, and `NAME-VERSION.egg-info` as a single file
//!   (setuptools' `develop` and old `install` layouts).
//!
//! Only the `Name` and `Version` headers matter: the header block ends at the first
//! empty line (the long description follows as the body), header names are
//! case-insensitive, continuation lines (starting with white space) belong to the
//! previous header. Directory names are never trusted for the version: the name in
//! the directory is normalised and escaped by the installer, the headers are not.
//!
//! [`parse_metadata`] is pure; [`read_environment`] lists one directory (not
//! recursively) and reads each metadata file through the bounded reader of
//! `cverun-inventory`. A metadata file that cannot be read or lacks a header is a
//! [`Problem`], never a silent omission: the caller reports the environment as not
//! fully checked. No Python code runs (unlike `pkg_resources`, which imports the
//! environment's own code).

use std::path::{Path, PathBuf};

use cverun_inventory::read::{Class, read_text};

/// One installed distribution.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Installed {
    /// Its name, as its `Name` header spells it.
    pub name: String,
    /// Its version, as its `Version` header gives it.
    pub version: String,
    /// The metadata file it was read from.
    pub metadata: PathBuf,
}

/// A metadata file that could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file (or directory).
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

/// What a `site-packages` directory holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Environment {
    /// The directory read (the `site-packages` itself, also when a virtual
    /// environment's root was given).
    pub dir: PathBuf,
    /// Every distribution found, sorted by name then version.
    pub packages: Vec<Installed>,
    /// Metadata that could not be read or used: the environment is not fully known.
    pub problems: Vec<Problem>,
}

/// Why the directory itself could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct EnvironmentError {
    /// The directory given.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
    /// The I/O error, when there is one.
    #[source]
    pub source: Option<std::io::Error>,
}

/// Why a metadata text gives no distribution.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// No `Name` header in the header block.
    #[error("no Name header")]
    NoName,
    /// No `Version` header in the header block.
    #[error("no Version header")]
    NoVersion,
}

/// The `Name` and `Version` headers of a core metadata text (`METADATA`,
/// `PKG-INFO`): the first of each, trimmed, from the header block only.
pub fn parse_metadata(text: &str) -> Result<(String, String), MetadataError> {
    let mut name = None;
    let mut version = None;
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((header, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if header.eq_ignore_ascii_case("name") && name.is_none() {
            name = Some(value.to_owned());
        } else if header.eq_ignore_ascii_case("version") && version.is_none() {
            version = Some(value.to_owned());
        }
    }
    match (name, version) {
        (None, _) => Err(MetadataError::NoName),
        (Some(_), None) => Err(MetadataError::NoVersion),
        (Some(n), Some(v)) => Ok((n, v)),
    }
}

/// Reads every distribution installed in `dir`: a `site-packages` directory, or a
/// virtual environment's root (holding `pyvenv.cfg`), whose `lib/python*/site-packages`
/// (or `Lib/site-packages`) is read instead.
pub fn read_environment(dir: &Path) -> Result<Environment, EnvironmentError> {
    let fail = |message: &str, source: Option<std::io::Error>| EnvironmentError {
        path: dir.to_owned(),
        message: message.to_owned(),
        source,
    };
    if !dir.is_dir() {
        return Err(fail("not a directory", None));
    }
    let site = site_packages_of(dir).map_err(|e| fail("cannot list it", Some(e)))?;
    let entries = list(&site).map_err(|e| fail("cannot list it", Some(e)))?;
    let mut env = Environment {
        dir: site.clone(),
        ..Environment::default()
    };
    for (path, is_dir) in entries {
        let Some(file) = metadata_file(&path, is_dir) else {
            continue;
        };
        match read_text(&file, Class::Data) {
            Err(e) => env.problems.push(Problem {
                path: file,
                message: format!("cannot read it: {e}"),
            }),
            Ok(text) => match parse_metadata(&text) {
                Ok((name, version)) => env.packages.push(Installed {
                    name,
                    version,
                    metadata: file,
                }),
                Err(e) => env.problems.push(Problem {
                    path: file,
                    message: e.to_string(),
                }),
            },
        }
    }
    env.packages.sort();
    if env.packages.is_empty() && env.problems.is_empty() {
        return Err(fail(
            "no installed distribution found (no *.dist-info or *.egg-info): not a site-packages directory or virtual environment",
            None,
        ));
    }
    Ok(env)
}

/// `dir` itself, or the `site-packages` of the virtual environment rooted at `dir`.
fn site_packages_of(dir: &Path) -> std::io::Result<PathBuf> {
    if !dir.join("pyvenv.cfg").is_file() {
        return Ok(dir.to_owned());
    }
    let windows = dir.join("Lib").join("site-packages");
    if windows.is_dir() {
        return Ok(windows);
    }
    let lib = dir.join("lib");
    if lib.is_dir() {
        for (path, is_dir) in list(&lib)? {
            let python = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("python"));
            if is_dir && python && path.join("site-packages").is_dir() {
                return Ok(path.join("site-packages"));
            }
        }
    }
    Ok(dir.to_owned())
}

/// The entries of `dir` with whether each is a directory (links not followed),
/// sorted by name.
fn list(dir: &Path) -> std::io::Result<Vec<(PathBuf, bool)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let is_dir = entry.file_type()?.is_dir();
        out.push((entry.path(), is_dir));
    }
    out.sort();
    Ok(out)
}

/// The metadata file of a `site-packages` entry, when it is a distribution's.
fn metadata_file(path: &Path, is_dir: bool) -> Option<PathBuf> {
    let name = path.file_name()?.to_string_lossy();
    if name.ends_with(".dist-info") && is_dir {
        Some(path.join("METADATA"))
    } else if name.ends_with(".egg-info") {
        Some(if is_dir {
            path.join("PKG-INFO")
        } else {
            path.to_owned()
        })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_only_first_of_each_case_insensitive() {
        // The start of requests 2.27.1's METADATA as pip installs it (Metadata 2.1).
        let text = "Metadata-Version: 2.1\nName: requests\nVersion: 2.27.1\nSummary: Python HTTP for Humans.\nHome-page: https://requests.readthedocs.io\n\nName: not-a-header\n";
        assert_eq!(
            parse_metadata(text),
            Ok(("requests".to_owned(), "2.27.1".to_owned()))
        );
        let crlf = "name: Foo_Bar\r\nVERSION:  1.0.post1 \r\n\r\n";
        assert_eq!(
            parse_metadata(crlf),
            Ok(("Foo_Bar".to_owned(), "1.0.post1".to_owned()))
        );
    }

    #[test]
    fn missing_headers_are_errors() {
        assert_eq!(parse_metadata("Version: 1\n"), Err(MetadataError::NoName));
        // The body is not read: a Version after the empty line does not count.
        assert_eq!(
            parse_metadata("Name: x\n\nVersion: 1\n"),
            Err(MetadataError::NoVersion)
        );
    }

    #[test]
    fn layouts_and_problems() {
        let d = tempfile::tempdir().unwrap();
        let site = d.path();
        std::fs::create_dir(site.join("a-1.0.dist-info")).unwrap();
        std::fs::write(
            site.join("a-1.0.dist-info/METADATA"),
            "Name: a\nVersion: 1.0\n",
        )
        .unwrap();
        std::fs::create_dir(site.join("b-2.0-py3.11.egg-info")).unwrap();
        std::fs::write(
            site.join("b-2.0-py3.11.egg-info/PKG-INFO"),
            "Name: b\nVersion: 2.0\n",
        )
        .unwrap();
        std::fs::write(
            site.join("c-3.0-py3.11.egg-info"),
            "Name: c\nVersion: 3.0\n",
        )
        .unwrap();
        // A dist-info without METADATA: a problem, named.
        std::fs::create_dir(site.join("d-4.0.dist-info")).unwrap();
        std::fs::create_dir(site.join("e")).unwrap();
        let env = read_environment(site).unwrap();
        let got: Vec<(&str, &str)> = env
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(got, [("a", "1.0"), ("b", "2.0"), ("c", "3.0")]);
        assert_eq!(env.problems.len(), 1);
        assert!(env.problems[0].path.ends_with("d-4.0.dist-info/METADATA"));
    }

    #[test]
    fn a_directory_without_distributions_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let e = read_environment(d.path()).unwrap_err();
        assert!(e.to_string().contains("no installed distribution"), "{e}");
        assert!(read_environment(&d.path().join("absent")).is_err());
    }

    /// A real environment: `python3 -m venv`, then pip installs requests 2.27.1 from
    /// PyPI (without its dependencies); the reader must find it, and pip and
    /// setuptools as the venv module installed them.
    #[test]
    fn a_real_virtual_environment() {
        let d = tempfile::tempdir().unwrap();
        let venv = d.path().join("venv");
        let made = std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status();
        let Ok(status) = made else {
            eprintln!(
                "SKIPPED site_packages::a_real_virtual_environment: python3 is not installed"
            );
            return;
        };
        assert!(status.success(), "python3 -m venv failed");
        let pip = std::process::Command::new(venv.join("bin/python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "requests==2.27.1",
            ])
            .output()
            .expect("run pip");
        assert!(
            pip.status.success(),
            "pip install requests==2.27.1: {}",
            String::from_utf8_lossy(&pip.stderr)
        );
        // The venv root is accepted as well as its site-packages.
        let env = read_environment(&venv).unwrap();
        assert!(env.dir.ends_with("site-packages"), "{}", env.dir.display());
        assert!(env.problems.is_empty(), "{:?}", env.problems);
        let requests: Vec<&Installed> = env
            .packages
            .iter()
            .filter(|p| p.name == "requests")
            .collect();
        assert_eq!(requests.len(), 1, "{:?}", env.packages);
        assert_eq!(requests[0].version, "2.27.1");
        assert!(
            requests[0]
                .metadata
                .ends_with("requests-2.27.1.dist-info/METADATA")
        );
        assert!(env.packages.iter().any(|p| p.name == "pip"));
        let again = read_environment(&env.dir).unwrap();
        assert_eq!(again.packages, env.packages);
    }
}
