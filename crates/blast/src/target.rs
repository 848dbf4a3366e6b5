//! What a blast query asks about: an advisory (any of its ids), a package, or one
//! exact version of a package.

use cverun_scan::explain::canonical_id;
use cverun_versions::Ecosystem;

/// The subject of a blast query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// An advisory by any of its ids (GHSA, CVE, PYSEC, RUSTSEC, GO...), spelled
    /// canonically (`GHSA-` ids lower case after the prefix, others upper case).
    Advisory(String),
    /// A package: with a version, every service that ships exactly that version (a
    /// compromised release, say, whether or not an advisory exists); without one,
    /// every service whose version a known advisory affects.
    Package {
        /// Its ecosystem.
        ecosystem: Ecosystem,
        /// Its name (Go: the module path; Maven: `group:artifact`; npm: with scope).
        name: String,
        /// The exact version asked about.
        version: Option<String>,
    },
}

/// Reads `GHSA-...`/`CVE-...`/any advisory id, or `ecosystem/package[@version]`
/// (`PyPI/pyyaml@5.3.1`, `npm/@babel/core@7.0.0`, `Go/golang.org/x/net@v0.7.0`).
pub fn parse(s: &str) -> Result<Target, String> {
    let s = s.trim();
    if let Some((eco, rest)) = s.split_once('/') {
        if let Some(ecosystem) = Ecosystem::from_user(eco) {
            // The version follows the last `@` that does not start the name
            // (npm scopes start with one).
            let (name, version) = match rest.rfind('@') {
                Some(i) if i > 0 => (&rest[..i], Some(&rest[i + 1..])),
                _ => (rest, None),
            };
            if name.trim().is_empty() {
                return Err(format!("{s:?}: no package name after {eco}/"));
            }
            if version.is_some_and(|v| v.trim().is_empty()) {
                return Err(format!("{s:?}: no version after @"));
            }
            return Ok(Target::Package {
                ecosystem,
                name: name.trim().to_owned(),
                version: version.map(|v| v.trim().to_owned()),
            });
        }
        return Err(format!(
            "{s:?}: {eco:?} is not an ecosystem cverun knows (PyPI, npm, crates.io, Go, Maven, NuGet, RubyGems, Packagist, Hex)"
        ));
    }
    let looks_like_id = s.contains('-')
        && !s.contains(char::is_whitespace)
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
    if looks_like_id {
        Ok(Target::Advisory(canonical_id(s)))
    } else {
        Err(format!(
            "{s:?}: expected an advisory id (GHSA-..., CVE-..., PYSEC-...) or ecosystem/package[@version]"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_form() {
        assert_eq!(
            parse("cve-2021-44228"),
            Ok(Target::Advisory("CVE-2021-44228".into()))
        );
        assert_eq!(
            parse("GHSA-JFH8-C2JP-5V3Q"),
            Ok(Target::Advisory("GHSA-jfh8-c2jp-5v3q".into()))
        );
        assert_eq!(
            parse("pypi/PyYAML@5.3.1"),
            Ok(Target::Package {
                ecosystem: Ecosystem::PyPI,
                name: "PyYAML".into(),
                version: Some("5.3.1".into())
            })
        );
        assert_eq!(
            parse("npm/@babel/core@7.0.0"),
            Ok(Target::Package {
                ecosystem: Ecosystem::Npm,
                name: "@babel/core".into(),
                version: Some("7.0.0".into())
            })
        );
        assert_eq!(
            parse("npm/@babel/core"),
            Ok(Target::Package {
                ecosystem: Ecosystem::Npm,
                name: "@babel/core".into(),
                version: None
            })
        );
        assert_eq!(
            parse("Go/golang.org/x/net@v0.7.0"),
            Ok(Target::Package {
                ecosystem: Ecosystem::Go,
                name: "golang.org/x/net".into(),
                version: Some("v0.7.0".into())
            })
        );
        assert_eq!(
            parse("maven/org.apache.logging.log4j:log4j-core"),
            Ok(Target::Package {
                ecosystem: Ecosystem::Maven,
                name: "org.apache.logging.log4j:log4j-core".into(),
                version: None
            })
        );
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for bad in [
            "cobol/thing",
            "PyPI/",
            "PyPI/x@",
            "log4shell please",
            "nothing",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
