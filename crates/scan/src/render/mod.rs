//! Report formats for people and tools. JSON is the [`Report`](crate::Report)
//! serialised; the others are here.
//!
//! Every human report (the scan table, the plan table, Markdown) starts with the
//! same answer ([`headline`]): counts by priority, the next deadline, the services
//! hit, what is not checked or cannot be judged, and the data snapshot and its age;
//! then the rows. That summary never takes more than [`headline::MAX_LINES`] lines.

pub mod filtered;
pub mod headline;
pub mod markdown;
pub mod sarif;
pub mod style;
pub mod table;

/// How a human table is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextOptions {
    /// The width to fit (the terminal's, else `COLUMNS`, else
    /// [`style::DEFAULT_WIDTH`]); never below [`style::MIN_WIDTH`].
    pub width: usize,
    /// Only the summary (`--summary`).
    pub summary_only: bool,
    /// Also each row's explanation (plan `--explain`).
    pub explain: bool,
}

impl Default for TextOptions {
    fn default() -> TextOptions {
        TextOptions {
            width: style::DEFAULT_WIDTH,
            summary_only: false,
            explain: false,
        }
    }
}

impl TextOptions {
    /// The width to fit, at least [`style::MIN_WIDTH`].
    pub fn width(&self) -> usize {
        self.width.max(style::MIN_WIDTH)
    }
}

/// Service and file names as people read them: with several roots, the records name
/// services and manifests by the root as given (often an absolute path); the
/// directories every root shares are left out.
#[derive(Clone, Debug, Default)]
pub struct Names {
    prefix: String,
}

impl Names {
    /// For a report of `roots`.
    pub fn new(roots: &[String]) -> Names {
        if roots.len() < 2 {
            return Names::default();
        }
        let split: Vec<Vec<&str>> = roots
            .iter()
            .map(|r| r.trim_end_matches('/').split('/').collect())
            .collect();
        let mut common = 0;
        // Every root keeps at least its own last component.
        let shortest = split.iter().map(Vec::len).min().unwrap_or(0);
        while common + 1 < shortest && split.iter().all(|s| s[common] == split[0][common]) {
            common += 1;
        }
        let mut prefix = split[0][..common].join("/");
        if common > 0 {
            prefix.push('/');
        }
        if prefix == "/" || prefix == "./" {
            prefix.clear();
        }
        Names { prefix }
    }

    /// `name` without the shared directories.
    pub fn show<'a>(&self, name: &'a str) -> &'a str {
        if self.prefix.is_empty() {
            return name;
        }
        name.strip_prefix(self.prefix.as_str()).unwrap_or(name)
    }

    /// A manifest path as the row of service `dir` shows it: relative to the
    /// service's directory when inside it, else as [`Names::show`] does.
    pub fn file<'a>(&self, manifest: &'a str, dir: &str) -> &'a str {
        let dir = dir.trim_end_matches('/');
        if !dir.is_empty() && dir != "." {
            if let Some(rest) = manifest.strip_prefix(dir).and_then(|r| r.strip_prefix('/')) {
                return rest;
            }
        }
        self.show(manifest)
    }
}
