//! Package URLs (purl), as SBOMs name packages.
//!
//! A purl is `pkg:type/namespace/name@version?qualifiers#subpath` (the purl
//! specification, github.com/package-url/purl-spec). [`Purl::parse`] follows the
//! specification's parsing steps: the subpath is split off at the last `#`, the
//! qualifiers at the last `?`, the scheme `pkg` (any case) must come first and slashes
//! after it are not significant, the type is lower-cased, the version is what follows
//! the last `@`, the name is the last `/`-segment and the namespace everything before
//! it; every component is percent-decoded. Qualifier keys are lower-cased and must be
//! made of ASCII letters, digits, `.`, `-` and `_`; qualifiers with an empty value are
//! dropped. The type-specific rules of the specification that cverun relies on are
//! applied: `pypi` names are lower-cased with `_` as `-`, and the `npm` scope is kept
//! with its `@`.
//!
//! [`Purl::ecosystem`] and [`Purl::package_name`] map a purl to cverun's ecosystems
//! and package names (as OSV spells them):
//!
//! | purl type  | ecosystem   | name                        |
//! |------------|-------------|-----------------------------|
//! | `pypi`     | PyPI        | name                        |
//! | `cargo`    | crates.io   | name                        |
//! | `golang`   | Go          | `namespace/name`            |
//! | `npm`      | npm         | `@scope/name` or name       |
//! | `gem`      | RubyGems    | name                        |
//! | `maven`    | Maven       | `namespace:name`            |
//! | `nuget`    | NuGet       | name                        |
//! | `composer` | Packagist   | `namespace/name`            |
//! | `hex`      | Hex         | name                        |
//! | other      | `Other(type)` | `namespace/name` or name  |
//!
//! The Go subpath (a package inside a module) is not part of the name: OSV records
//! Go advisories per module. Qualifiers such as `repository_url` are kept on the
//! [`Purl`] but do not change the package's source: SBOM producers use them for
//! mirrors of the public registry as often as for other registries.

use std::fmt;

use cverun_versions::Ecosystem;

use crate::{Package, Pin};

/// A parsed package URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purl {
    /// The package type, lower case (`npm`, `maven`, `pypi`, ...).
    pub ty: String,
    /// The namespace (Maven group, npm scope with its `@`, Go module path prefix), decoded.
    pub namespace: Option<String>,
    /// The name, decoded.
    pub name: String,
    /// The version, decoded.
    pub version: Option<String>,
    /// Qualifiers (`key`, `value`), keys lower case, in the order written.
    pub qualifiers: Vec<(String, String)>,
    /// The subpath, decoded, without empty, `.` and `..` segments.
    pub subpath: Option<String>,
}

/// Why a string is not a package URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurlError(String);

impl fmt::Display for PurlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PurlError {}

fn err(msg: impl Into<String>) -> PurlError {
    PurlError(msg.into())
}

impl Purl {
    /// Parses a package URL.
    pub fn parse(s: &str) -> Result<Purl, PurlError> {
        let s = s.trim();
        // Subpath: after the last '#'.
        let (rest, subpath) = match s.rsplit_once('#') {
            Some((r, sp)) => {
                let mut segs = Vec::new();
                for seg in sp.split('/') {
                    if seg.is_empty() || seg == "." || seg == ".." {
                        continue;
                    }
                    let d = decode(seg)?;
                    if d == "." || d == ".." {
                        continue;
                    }
                    segs.push(d);
                }
                (
                    r,
                    if segs.is_empty() {
                        None
                    } else {
                        Some(segs.join("/"))
                    },
                )
            }
            None => (s, None),
        };
        // Qualifiers: after the last '?'.
        let (rest, qualifiers) = match rest.rsplit_once('?') {
            Some((r, q)) => {
                let mut out: Vec<(String, String)> = Vec::new();
                for pair in q.split('&') {
                    if pair.is_empty() {
                        continue;
                    }
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    let key = k.to_ascii_lowercase();
                    let key_ok = !key.is_empty()
                        && !key.starts_with(|c: char| c.is_ascii_digit())
                        && key
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
                    if !key_ok {
                        return Err(err(format!("invalid qualifier key {k:?}")));
                    }
                    if out.iter().any(|(k2, _)| *k2 == key) {
                        return Err(err(format!("qualifier {key:?} given twice")));
                    }
                    let value = decode(v)?;
                    if !value.is_empty() {
                        out.push((key, value));
                    }
                }
                (r, out)
            }
            None => (rest, Vec::new()),
        };
        // Scheme.
        let (scheme, rest) = rest
            .split_once(':')
            .ok_or_else(|| err("not a package URL (no `pkg:` scheme)"))?;
        if !scheme.eq_ignore_ascii_case("pkg") {
            return Err(err(format!(
                "not a package URL (scheme {scheme:?}, expected `pkg`)"
            )));
        }
        let rest = rest.trim_matches('/');
        // Type.
        let (ty, rest) = rest
            .split_once('/')
            .ok_or_else(|| err("package URL has no name (expected `pkg:type/name`)"))?;
        let ty = ty.to_ascii_lowercase();
        let ty_ok = !ty.is_empty()
            && !ty.starts_with(|c: char| c.is_ascii_digit())
            && ty
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'));
        if !ty_ok {
            return Err(err(format!("invalid package URL type {ty:?}")));
        }
        // Version: after the last '@' (an npm scope's '@' is percent-encoded or precedes a '/').
        let (rest, version) = match rest.rsplit_once('@') {
            Some((r, v)) if !v.contains('/') => (r, Some(decode(v)?)),
            _ => (rest, None),
        };
        let version = version.filter(|v| !v.is_empty());
        // Name and namespace.
        let rest = rest.trim_end_matches('/');
        let (ns, name) = match rest.rsplit_once('/') {
            Some((ns, n)) => (Some(ns), n),
            None => (None, rest),
        };
        let mut name = decode(name)?;
        if name.is_empty() {
            return Err(err("package URL has an empty name"));
        }
        let mut namespace = match ns {
            Some(ns) => {
                let mut segs = Vec::new();
                for seg in ns.split('/').filter(|s| !s.is_empty()) {
                    let d = decode(seg)?;
                    if d.contains('/') {
                        return Err(err("a namespace segment contains `/`"));
                    }
                    segs.push(d);
                }
                if segs.is_empty() {
                    None
                } else {
                    Some(segs.join("/"))
                }
            }
            None => None,
        };
        match ty.as_str() {
            "pypi" => name = name.to_ascii_lowercase().replace('_', "-"),
            "github" | "bitbucket" => {
                name = name.to_ascii_lowercase();
                namespace = namespace.map(|n| n.to_ascii_lowercase());
            }
            _ => {}
        }
        Ok(Purl {
            ty,
            namespace,
            name,
            version,
            qualifiers,
            subpath,
        })
    }

    /// The value of qualifier `key` (lower case), when present.
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The cverun ecosystem of this purl's type.
    pub fn ecosystem(&self) -> Ecosystem {
        match self.ty.as_str() {
            "pypi" => Ecosystem::PyPI,
            "cargo" => Ecosystem::CratesIo,
            "golang" => Ecosystem::Go,
            "npm" => Ecosystem::Npm,
            "gem" => Ecosystem::RubyGems,
            "maven" => Ecosystem::Maven,
            "nuget" => Ecosystem::NuGet,
            "composer" => Ecosystem::Packagist,
            "hex" => Ecosystem::Hex,
            other => Ecosystem::Other(other.to_owned()),
        }
    }

    /// The package name as the ecosystem (and OSV) spells it.
    pub fn package_name(&self) -> String {
        let ns = self.namespace.as_deref().filter(|n| !n.is_empty());
        match (self.ty.as_str(), ns) {
            ("maven", Some(ns)) => format!("{ns}:{}", self.name),
            ("npm", Some(ns)) if ns.starts_with('@') => format!("{ns}/{}", self.name),
            ("npm", Some(ns)) => format!("@{ns}/{}", self.name),
            ("pypi" | "cargo" | "gem" | "nuget" | "hex", _) => self.name.clone(),
            (_, Some(ns)) => format!("{ns}/{}", self.name),
            (_, None) => self.name.clone(),
        }
    }

    /// A package for this purl: its ecosystem and name, the version when given
    /// (else unpinned with an empty specifier), registry source, the rest unknown.
    pub fn to_package(&self) -> Package {
        let pin = match &self.version {
            Some(v) => Pin::Exact(v.clone()),
            None => Pin::Unpinned {
                specifier: String::new(),
            },
        };
        Package::new(self.ecosystem(), &self.package_name(), pin)
    }
}

impl std::str::FromStr for Purl {
    type Err = PurlError;

    fn from_str(s: &str) -> Result<Purl, PurlError> {
        Purl::parse(s)
    }
}

/// Percent-decodes one purl component.
fn decode(s: &str) -> Result<String, PurlError> {
    if !s.contains('%') {
        return Ok(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).and_then(|c| (*c as char).to_digit(16));
            let lo = bytes.get(i + 2).and_then(|c| (*c as char).to_digit(16));
            match (hi, lo) {
                (Some(h), Some(l)) => {
                    out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                    i += 3;
                }
                _ => return Err(err(format!("invalid percent-encoding in {s:?}"))),
            }
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| err(format!("percent-encoding in {s:?} is not UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Purl {
        Purl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    /// (purl, type, namespace, name, version, qualifiers, subpath): examples from the
    /// purl specification's test suite.
    #[test]
    fn specification_examples() {
        type Row<'a> = (
            &'a str,
            &'a str,
            Option<&'a str>,
            &'a str,
            Option<&'a str>,
            &'a [(&'a str, &'a str)],
            Option<&'a str>,
        );
        let rows: &[Row] = &[
            (
                "pkg:maven/org.apache.commons/io@1.3.4",
                "maven",
                Some("org.apache.commons"),
                "io",
                Some("1.3.4"),
                &[],
                None,
            ),
            (
                "pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?packaging=sources",
                "maven",
                Some("org.apache.xmlgraphics"),
                "batik-anim",
                Some("1.9.1"),
                &[("packaging", "sources")],
                None,
            ),
            (
                "pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?repository_url=repo.spring.io%2Frelease",
                "maven",
                Some("org.apache.xmlgraphics"),
                "batik-anim",
                Some("1.9.1"),
                &[("repository_url", "repo.spring.io/release")],
                None,
            ),
            (
                "pkg:npm/%40angular/animation@12.3.1",
                "npm",
                Some("@angular"),
                "animation",
                Some("12.3.1"),
                &[],
                None,
            ),
            (
                "pkg:npm/foobar@12.3.1",
                "npm",
                None,
                "foobar",
                Some("12.3.1"),
                &[],
                None,
            ),
            (
                "pkg:pypi/django@1.11.1",
                "pypi",
                None,
                "django",
                Some("1.11.1"),
                &[],
                None,
            ),
            (
                "pkg:pypi/Django_package@1.11.1.dev1",
                "pypi",
                None,
                "django-package",
                Some("1.11.1.dev1"),
                &[],
                None,
            ),
            (
                "pkg:golang/google.golang.org/genproto#googleapis/api/annotations",
                "golang",
                Some("google.golang.org"),
                "genproto",
                None,
                &[],
                Some("googleapis/api/annotations"),
            ),
            (
                "pkg:golang/github.com/gorilla/context@234fd47e07d1004f0aed9c#api",
                "golang",
                Some("github.com/gorilla"),
                "context",
                Some("234fd47e07d1004f0aed9c"),
                &[],
                Some("api"),
            ),
            (
                "pkg:golang/github.com/gorilla/context@234fd47e07d1004f0aed9c#/api/../",
                "golang",
                Some("github.com/gorilla"),
                "context",
                Some("234fd47e07d1004f0aed9c"),
                &[],
                Some("api"),
            ),
            (
                "pkg:gem/ruby-advisory-db-check@0.12.4",
                "gem",
                None,
                "ruby-advisory-db-check",
                Some("0.12.4"),
                &[],
                None,
            ),
            (
                "pkg:gem/jruby-launcher@1.1.2?Platform=java",
                "gem",
                None,
                "jruby-launcher",
                Some("1.1.2"),
                &[("platform", "java")],
                None,
            ),
            (
                "pkg:nuget/EnterpriseLibrary.Common@6.0.1304",
                "nuget",
                None,
                "EnterpriseLibrary.Common",
                Some("6.0.1304"),
                &[],
                None,
            ),
            (
                "pkg:cargo/rand@0.7.2",
                "cargo",
                None,
                "rand",
                Some("0.7.2"),
                &[],
                None,
            ),
            (
                "pkg:composer/laravel/laravel@5.5.0",
                "composer",
                Some("laravel"),
                "laravel",
                Some("5.5.0"),
                &[],
                None,
            ),
            (
                "pkg:hex/jason@1.1.2",
                "hex",
                None,
                "jason",
                Some("1.1.2"),
                &[],
                None,
            ),
            (
                "pkg:docker/customer/dockerimage@sha256%3A244fd47e07d10?repository_url=gcr.io",
                "docker",
                Some("customer"),
                "dockerimage",
                Some("sha256:244fd47e07d10"),
                &[("repository_url", "gcr.io")],
                None,
            ),
            (
                "pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie",
                "deb",
                Some("debian"),
                "curl",
                Some("7.50.3-1"),
                &[("arch", "i386"), ("distro", "jessie")],
                None,
            ),
            (
                "pkg:GitHub/Package-URL/purl-spec@244fd47e07d1004f0aed9c",
                "github",
                Some("package-url"),
                "purl-spec",
                Some("244fd47e07d1004f0aed9c"),
                &[],
                None,
            ),
            (
                "pkg://maven/org.apache.commons/io",
                "maven",
                Some("org.apache.commons"),
                "io",
                None,
                &[],
                None,
            ),
            (
                "pkg:maven/org.apache.commons/io@1.3.4?empty=",
                "maven",
                Some("org.apache.commons"),
                "io",
                Some("1.3.4"),
                &[],
                None,
            ),
        ];
        for &(s, ty, ns, name, version, quals, subpath) in rows {
            let got = p(s);
            assert_eq!(got.ty, ty, "{s}");
            assert_eq!(got.namespace.as_deref(), ns, "{s}");
            assert_eq!(got.name, name, "{s}");
            assert_eq!(got.version.as_deref(), version, "{s}");
            let q: Vec<(&str, &str)> = got
                .qualifiers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            assert_eq!(q, quals.to_vec(), "{s}");
            assert_eq!(got.subpath.as_deref(), subpath, "{s}");
        }
    }

    #[test]
    fn invalid_purls() {
        for s in [
            "",
            "EnterpriseLibrary.Common@6.0.1304",
            "http://example.com/x",
            "pkg:maven",
            "pkg:maven/@1.3.4",
            "pkg:/",
            "pkg:n&g?inx/nginx@0.8.9",
            "pkg:3d/x@1",
            "pkg:npm/myartifact@1.0.0?in%20production=true",
            "pkg:npm/x@1?a=1&a=2",
            "pkg:npm/x%zz@1",
            "pkg:npm/x%ff@1",
        ] {
            assert!(Purl::parse(s).is_err(), "{s:?} should be rejected");
        }
    }

    #[test]
    fn ecosystems_and_names() {
        let cases = [
            (
                "pkg:pypi/Django_Package@1.0",
                Ecosystem::PyPI,
                "django-package",
            ),
            (
                "pkg:cargo/serde_json@1.0.0",
                Ecosystem::CratesIo,
                "serde_json",
            ),
            (
                "pkg:golang/github.com/gorilla/mux@v1.8.0",
                Ecosystem::Go,
                "github.com/gorilla/mux",
            ),
            (
                "pkg:golang/golang.org/x/net@v0.1.0#http2",
                Ecosystem::Go,
                "golang.org/x/net",
            ),
            ("pkg:npm/%40babel/core@7.0.0", Ecosystem::Npm, "@babel/core"),
            ("pkg:npm/babel/core@7.0.0", Ecosystem::Npm, "@babel/core"),
            ("pkg:npm/left-pad@1.3.0", Ecosystem::Npm, "left-pad"),
            ("pkg:gem/rails@7.0.0", Ecosystem::RubyGems, "rails"),
            (
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                Ecosystem::Maven,
                "org.apache.logging.log4j:log4j-core",
            ),
            (
                "pkg:nuget/Newtonsoft.Json@13.0.1",
                Ecosystem::NuGet,
                "Newtonsoft.Json",
            ),
            (
                "pkg:composer/symfony/http-kernel@5.4.0",
                Ecosystem::Packagist,
                "symfony/http-kernel",
            ),
            ("pkg:hex/phoenix@1.7.0", Ecosystem::Hex, "phoenix"),
            (
                "pkg:deb/debian/openssl@3.0.11-1",
                Ecosystem::Other("deb".into()),
                "debian/openssl",
            ),
            (
                "pkg:generic/openssl@3.0.0",
                Ecosystem::Other("generic".into()),
                "openssl",
            ),
        ];
        for (s, eco, name) in cases {
            let pkg = p(s).to_package();
            assert_eq!(pkg.ecosystem, eco, "{s}");
            assert_eq!(pkg.name, name, "{s}");
        }
        let no_version = p("pkg:npm/left-pad").to_package();
        assert_eq!(
            no_version.pin,
            Pin::Unpinned {
                specifier: String::new()
            }
        );
        assert_eq!(p("pkg:maven/a/b@1.0").qualifier("type"), None);
        assert_eq!(
            p("pkg:maven/a/b@1.0?type=pom").qualifier("type"),
            Some("pom")
        );
        assert_eq!(
            "pkg:cargo/rand@0.7.2".parse::<Purl>().map(|p| p.name),
            Ok("rand".to_owned())
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in ".{0,60}", t in "pkg:[a-z%@/?#=&]{0,30}") {
            let _ = Purl::parse(&s);
            let _ = Purl::parse(&t).map(|p| p.to_package());
        }
    }
}
