//! `cverun.toml`: services named explicitly, with the metadata triage and blast radius
//! use (owner, exposure, data, tier).
//!
//! ```toml
//! [[service]]
//! name = "checkout"
//! path = "src/checkoutservice"   # directory, relative to cverun.toml; "." is allowed
//! owner = "team-payments"
//! exposure = "internet"          # internet | internal | offline
//! data = "customer-pii"          # e.g. customer-pii | internal | public
//! tier = "1"                     # free text (or a number)
//! ```
//!
//! The same file may hold `[[exception]]` entries (docs/exceptions.md), read by
//! [`crate::triage`], and standing excludes (docs/filters.md): manifests whose
//! findings are left out of every report, each with its reason, always listed in
//! the report's `filtered.excluded_paths`:
//!
//! ```toml
//! [[scan.exclude]]
//! path = "internal/tools/**"     # glob, relative to the directory of cverun.toml
//! reason = "build tools, not shipped"
//! ```
//!
//! Every manifest below a service's `path` belongs to it (the longest matching path
//! wins). Manifests outside every configured path form services of their own, one per
//! directory, as without a configuration. Unknown keys, duplicate names or paths, an
//! unknown exposure and paths leaving the scan root are errors naming the line.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use cverun_inventory::text::LineIndex;
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// The name of the configuration file looked for at each scan root.
pub const FILE_NAME: &str = "cverun.toml";

/// How reachable a service is from outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Exposure {
    /// Reachable from the internet.
    Internet,
    /// Reachable only from inside the organisation's network.
    Internal,
    /// Not reachable over a network (batch jobs, build tools).
    Offline,
}

impl Exposure {
    /// The spelling used in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Exposure::Internet => "internet",
            Exposure::Internal => "internal",
            Exposure::Offline => "offline",
        }
    }
}

/// One configured service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServiceConfig {
    /// Its name.
    pub name: String,
    /// Its directory, relative to the scan root, normalised (`""` for the root).
    pub path: PathBuf,
    /// Who owns it.
    pub owner: Option<String>,
    /// How exposed it is.
    pub exposure: Option<Exposure>,
    /// What data it handles.
    pub data: Option<String>,
    /// Its tier.
    pub tier: Option<String>,
    /// Line of its `name` in cverun.toml.
    pub line: u32,
}

/// A parsed cverun.toml.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// Configured services.
    pub services: Vec<ServiceConfig>,
    /// `max_db_age`: the oldest advisory data accepted, in days; older data fails
    /// the scan (exit 2).
    pub max_db_age: Option<i64>,
    /// `[[scan.exclude]]`: standing excludes.
    pub excludes: Vec<StandingExclude>,
}

/// A `[[scan.exclude]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandingExclude {
    /// The glob (relative to the directory of cverun.toml).
    pub path: String,
    /// Why (required).
    pub reason: String,
    /// Line of its `path`.
    pub line: u32,
}

/// A cverun.toml that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// What is wrong.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    service: Vec<RawService>,
    /// `7d`, `36h`, `2w`, or a number of days.
    max_db_age: Option<Spanned<toml::Value>>,
    /// Exceptions: read by `cverun_triage::exceptions` (see `crate::triage`).
    #[serde(default)]
    #[allow(dead_code)]
    exception: Option<serde::de::IgnoredAny>,
    /// Scan settings.
    scan: Option<RawScan>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScan {
    #[serde(default)]
    exclude: Vec<Spanned<RawExclude>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExclude {
    path: Spanned<String>,
    reason: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    name: Spanned<String>,
    path: Spanned<String>,
    owner: Option<String>,
    exposure: Option<Exposure>,
    data: Option<String>,
    tier: Option<Tier>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Tier {
    Text(String),
    Number(i64),
}

/// Parses the text of `path` (a cverun.toml).
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let err = |line: Option<u32>, message: String| ConfigError {
        path: path.to_owned(),
        line,
        message,
    };
    let lines = LineIndex::new(text);
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        err(
            e.span().map(|s| lines.line(s.start)),
            e.message().trim().to_owned(),
        )
    })?;
    let mut services: Vec<ServiceConfig> = Vec::new();
    // Index in `services` by name and by path, for the duplicate checks.
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut by_path: HashMap<PathBuf, usize> = HashMap::new();
    for s in raw.service {
        let line = lines.line(s.name.span().start);
        let name = s.name.into_inner();
        if name.trim().is_empty() {
            return Err(err(Some(line), "service name is empty".into()));
        }
        let path_line = lines.line(s.path.span().start);
        let rel = normalise(s.path.get_ref()).ok_or_else(|| {
            err(
                Some(path_line),
                format!(
                    "service path {:?} must stay inside the directory of cverun.toml",
                    s.path.get_ref()
                ),
            )
        })?;
        if let Some(other) = by_name.get(&name).map(|&i| &services[i]) {
            return Err(err(
                Some(line),
                format!("service {name:?} is already defined at line {}", other.line),
            ));
        }
        if let Some(other) = by_path.get(&rel).map(|&i| &services[i]) {
            return Err(err(
                Some(path_line),
                format!(
                    "path {:?} is already the path of service {:?}",
                    s.path.get_ref(),
                    other.name
                ),
            ));
        }
        by_name.insert(name.clone(), services.len());
        by_path.insert(rel.clone(), services.len());
        services.push(ServiceConfig {
            name,
            path: rel,
            owner: s.owner,
            exposure: s.exposure,
            data: s.data,
            tier: s.tier.map(|t| match t {
                Tier::Text(t) => t,
                Tier::Number(n) => n.to_string(),
            }),
            line,
        });
    }
    let max_db_age = match raw.max_db_age {
        None => None,
        Some(v) => {
            let line = Some(lines.line(v.span().start));
            let text = match v.get_ref() {
                toml::Value::String(t) => t.clone(),
                toml::Value::Integer(n) => n.to_string(),
                other => {
                    return Err(err(
                        line,
                        format!(
                            "max_db_age: expected a duration such as \"7d\", found {}",
                            other.type_str()
                        ),
                    ));
                }
            };
            Some(
                cverun_db::coverage::parse_max_age(&text)
                    .map_err(|m| err(line, format!("max_db_age: {m}")))?,
            )
        }
    };
    let mut excludes = Vec::new();
    for e in raw.scan.map(|s| s.exclude).unwrap_or_default() {
        let entry_line = lines.line(e.span().start);
        let e = e.into_inner();
        let line = lines.line(e.path.span().start);
        let path = e.path.into_inner();
        if path.trim().is_empty() {
            return Err(err(Some(line), "scan.exclude: path is empty".into()));
        }
        if let Err(g) = globset::GlobBuilder::new(&path)
            .literal_separator(true)
            .build()
        {
            return Err(err(
                Some(line),
                format!("scan.exclude: invalid pattern {path:?}: {}", g.kind()),
            ));
        }
        let reason_line = lines.line(e.reason.span().start);
        let reason = e.reason.into_inner();
        if reason.trim().is_empty() {
            return Err(err(
                Some(reason_line.max(entry_line)),
                format!(
                    "scan.exclude {path:?}: reason is empty: say why these findings are left out"
                ),
            ));
        }
        excludes.push(StandingExclude { path, reason, line });
    }
    Ok(Config {
        services,
        max_db_age,
        excludes,
    })
}

/// The standing excludes of every root's cverun.toml, as filters: each applies to
/// its root's manifests only, and names its file and line.
pub fn standing_excludes(roots: &[PathBuf]) -> Result<Vec<crate::filter::Exclude>, ConfigError> {
    let mut out = Vec::new();
    for root in roots.iter().filter(|r| r.is_dir()) {
        let Some(c) = load(root)? else { continue };
        let file = root.join(FILE_NAME);
        for e in c.excludes {
            out.push(crate::filter::Exclude {
                pattern: e.path,
                reason: Some(e.reason),
                from: format!("{}:{}", file.display(), e.line),
                root: Some(root.to_string_lossy().into_owned()),
            });
        }
    }
    Ok(out)
}

/// Reads `<root>/cverun.toml` when there is one: a regular file inside the root
/// (a link leading out of it is refused), of at most the configuration size limit
/// ([`cverun_inventory::read`]).
pub fn load(root: &Path) -> Result<Option<Config>, ConfigError> {
    let path = root.join(FILE_NAME);
    match read_in_root(root, &path) {
        Ok(text) => parse(&path, &text).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigError {
            path,
            line: None,
            message: format!("cannot read: {e}"),
        }),
    }
}

/// Reads the configuration file `path` found in `root`: a regular file that
/// resolves inside `root`, bounded by the configuration size limit. `NotFound`
/// when there is none.
pub fn read_in_root(root: &Path, path: &Path) -> std::io::Result<String> {
    use cverun_inventory::read::{Class, read_text};
    if path.symlink_metadata().is_err() {
        return Err(std::io::ErrorKind::NotFound.into());
    }
    let confinement = cverun_inventory::Confinement::new(&[root.to_owned()], false);
    let resolved = confinement.resolve(path)?;
    read_text(&resolved, Class::Config)
}

/// `./a/../b/` -> `b`; `None` when it leaves the root or is absolute.
fn normalise(p: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in Path::new(p).components() {
        match c {
            Component::CurDir => {}
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

impl Config {
    /// The configured service holding `rel` (a path relative to the root): the one
    /// with the longest matching path.
    pub fn service_for(&self, rel: &Path) -> Option<&ServiceConfig> {
        self.services
            .iter()
            .filter(|s| rel.starts_with(&s.path))
            .max_by_key(|s| s.path.components().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Config, ConfigError> {
        parse(Path::new("cverun.toml"), text)
    }

    #[test]
    fn reads_services() {
        let c = p(r#"
[[service]]
name = "checkout"
path = "./src/checkout/"
owner = "team-payments"
exposure = "internet"
data = "customer-pii"
tier = 1

[[service]]
name = "root"
path = "."
"#)
        .unwrap();
        assert_eq!(c.services.len(), 2);
        let s = &c.services[0];
        assert_eq!(s.path, PathBuf::from("src/checkout"));
        assert_eq!(s.exposure, Some(Exposure::Internet));
        assert_eq!(s.tier.as_deref(), Some("1"));
        assert_eq!(s.line, 3);
        assert_eq!(
            c.service_for(Path::new("src/checkout/go.mod"))
                .unwrap()
                .name,
            "checkout"
        );
        assert_eq!(
            c.service_for(Path::new("src/other/go.mod")).unwrap().name,
            "root"
        );
        assert_eq!(c.services[1].path, PathBuf::new());
    }

    #[test]
    fn errors_name_the_line() {
        let e =
            p("[[service]]\nname = \"a\"\npath = \"a\"\nexposure = \"everywhere\"\n").unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.to_string().starts_with("cverun.toml:4: "), "{e}");
        let e = p("[[service]]\nname = \"a\"\npath = \"a\"\nowners = \"x\"\n").unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.message.contains("owners"), "{e}");
        let e =
            p("[[service]]\nname = \"a\"\npath = \"a\"\n[[service]]\nname = \"a\"\npath = \"b\"\n")
                .unwrap_err();
        assert_eq!(e.line, Some(5));
        assert!(e.message.contains("already defined at line 2"), "{e}");
        let e = p("[[service]]\nname = \"a\"\npath = \"../elsewhere\"\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        let e = p("[[service]]\nname = \"a\"\n").unwrap_err();
        assert!(e.message.contains("path"), "{e}");
        let e = p("[[service]\n").unwrap_err();
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn standing_excludes_need_a_reason() {
        let c = p(r#"
max_db_age = "7d"

[[scan.exclude]]
path = "internal/tools/**"
reason = "build tools, not shipped"
"#)
        .unwrap();
        assert_eq!(
            c.excludes,
            [StandingExclude {
                path: "internal/tools/**".into(),
                reason: "build tools, not shipped".into(),
                line: 5,
            }]
        );
        let c = p("[scan]\nexclude = [{ path = \"a/**\", reason = \"x\" }]\n").unwrap();
        assert_eq!(c.excludes[0].line, 2);
        let e = p("[[scan.exclude]]\npath = \"internal/tools/**\"\n").unwrap_err();
        assert_eq!(e.line, Some(1), "{e}");
        assert!(e.message.contains("reason"), "{e}");
        let e = p("[[scan.exclude]]\npath = \"a\"\nreason = \"  \"\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("reason is empty"), "{e}");
        let e = p("\n[[scan.exclude]]\npath = \"a/[z\"\nreason = \"r\"\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(
            e.to_string()
                .starts_with("cverun.toml:3: scan.exclude: invalid pattern"),
            "{e}"
        );
        let e = p("[[scan.exclude]]\npath = \"a\"\nreason = \"r\"\nwhy = 1\n").unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        let e = p("[scan]\nexcludes = []\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }

    #[test]
    fn empty_file_is_no_services() {
        assert_eq!(p("").unwrap(), Config::default());
    }

    /// 20,000 services: every one read, with the line of its name; a duplicate name
    /// or path after them names the line of the first.
    #[test]
    fn a_large_file_is_read_whole_with_its_lines() {
        let n = 20_000;
        let mut text = String::new();
        for i in 0..n {
            text.push_str(&format!(
                "[[service]]\nname = \"svc-{i}\"\npath = \"services/{i}\"\n\n"
            ));
        }
        let c = p(&text).unwrap();
        assert_eq!(c.services.len(), n);
        let (first, last) = (&c.services[0], &c.services[n - 1]);
        assert_eq!((first.name.as_str(), first.line), ("svc-0", 2));
        assert_eq!(
            (last.name.as_str(), last.path.as_path(), last.line),
            (
                "svc-19999",
                Path::new("services/19999"),
                4 * (n as u32 - 1) + 2
            )
        );
        let name = format!("{text}[[service]]\nname = \"svc-7\"\npath = \"new\"\n");
        let e = p(&name).unwrap_err();
        assert_eq!(e.line, Some(4 * n as u32 + 2));
        assert!(e.message.contains("already defined at line 30"), "{e}");
        let path = format!("{text}[[service]]\nname = \"new\"\npath = \"services/7/\"\n");
        let e = p(&path).unwrap_err();
        assert_eq!(e.line, Some(4 * n as u32 + 3));
        assert!(e.message.contains("of service \"svc-7\""), "{e}");
    }
}
