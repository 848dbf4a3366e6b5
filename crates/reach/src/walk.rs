//! The I/O edge: walking a service directory and reading its sources.
//!
//! The walk honours `.gitignore` (also outside a git checkout), skips hidden
//! directories and [`SKIPPED_DIRS`], and does not follow symbolic links. Every
//! source file of a language asked about is either read (once, whatever the number
//! of targets) or named as not read: unreadable, larger than [`MAX_FILE_SIZE`], a
//! link to outside the service, or inside a directory that could not be listed. A
//! file not read can only make an answer [`Reach::Unknown`], never
//! [`Reach::NotImported`].

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use cverun_versions::{Ecosystem, normalize_name};

use crate::aliases::{cargo_renames, npm_aliases};
use crate::{Evidence, Lang, Needle, Reach, Source, SymbolReach, Target};

/// Largest source file read (2 MiB). Larger files are named as not read.
pub const MAX_FILE_SIZE: u64 = 2 * 1024 * 1024;

/// Directories never walked into: installed dependencies, virtual environments and
/// build output.
pub const SKIPPED_DIRS: [&str; 9] = [
    "node_modules",
    "vendor",
    "target",
    ".venv",
    "venv",
    "site-packages",
    "dist",
    "build",
    ".git",
];

/// Does `service_dir`'s code import `target`'s package, and where?
pub fn reach(service_dir: &Path, target: &Target) -> Reach {
    reach_all(service_dir, std::slice::from_ref(target))
        .pop()
        .unwrap_or_else(|| Reach::Unknown {
            reason: "no answer".into(),
        })
}

/// [`reach`] for several packages of one service: one walk, each file read once.
/// The answers are in the order of `targets`.
pub fn reach_all(service_dir: &Path, targets: &[Target]) -> Vec<Reach> {
    let mut needles: Vec<Result<Needle, String>> = targets.iter().map(Needle::new).collect();
    let mut langs: Vec<Lang> = needles
        .iter()
        .filter_map(|n| n.as_ref().ok().map(|n| n.lang))
        .collect();
    langs.sort();
    langs.dedup();
    if !langs.is_empty() {
        let problem = match fs::metadata(service_dir) {
            Err(e) => Some(format!("the service directory cannot be read: {e}")),
            Ok(m) if !m.is_dir() => Some("the service path is not a directory".to_owned()),
            Ok(_) => None,
        };
        if let Some(reason) = problem {
            for n in &mut needles {
                if n.is_ok() {
                    *n = Err(reason.clone());
                }
            }
            langs.clear();
        }
    }
    if langs.is_empty() {
        return needles
            .into_iter()
            .map(|n| Reach::Unknown {
                reason: n.err().unwrap_or_else(|| "nothing to check".into()),
            })
            .collect();
    }

    let tree = collect(service_dir, &langs);
    let mut not_read = tree.not_read;

    // Renames and aliases declared in the service's manifests.
    for manifest in &tree.manifests {
        let text = match read_limited(&service_dir.join(manifest)) {
            Ok(t) => t,
            Err(why) => {
                let lang = if manifest.ends_with("Cargo.toml") {
                    Lang::Rust
                } else {
                    Lang::JavaScript
                };
                not_read.entry(Some(lang)).or_default().push(NotRead {
                    file: display(manifest),
                    why: format!("{why} (read for renamed dependencies)"),
                });
                continue;
            }
        };
        let (eco, pairs) = if manifest.ends_with("Cargo.toml") {
            (Ecosystem::CratesIo, cargo_renames(&text))
        } else {
            (Ecosystem::Npm, npm_aliases(&text))
        };
        for (key, package) in pairs {
            let package = normalize_name(&eco, &package).to_ascii_lowercase();
            for (t, n) in targets.iter().zip(needles.iter_mut()) {
                let Ok(n) = n else { continue };
                if t.ecosystem == eco
                    && normalize_name(&eco, &t.package).to_ascii_lowercase() == package
                {
                    let key = match eco {
                        Ecosystem::CratesIo => key.replace('-', "_"),
                        _ => key.clone(),
                    };
                    if !n.names.contains(&key) {
                        n.names.push(key);
                    }
                }
            }
        }
    }

    // Read every source file once; scan it for every target of its language.
    let mut acc: Vec<Acc> = targets.iter().map(|_| Acc::default()).collect();
    let mut scanned: BTreeMap<Lang, usize> = BTreeMap::new();
    for (rel, lang) in &tree.files {
        let text = match read_limited(&service_dir.join(rel)) {
            Ok(t) => t,
            Err(why) => {
                not_read.entry(Some(*lang)).or_default().push(NotRead {
                    file: display(rel),
                    why,
                });
                continue;
            }
        };
        *scanned.entry(*lang).or_default() += 1;
        let source = Source::new(*lang, &text);
        for (n, a) in needles.iter().zip(acc.iter_mut()) {
            if let Ok(n) = n
                && n.lang == *lang
            {
                let f = source.scan(rel, n);
                a.imports.extend(f.imports);
                a.symbols.extend(f.symbols);
                a.dynamic.extend(f.dynamic_imports);
            }
        }
    }

    needles
        .into_iter()
        .zip(acc)
        .map(|(n, a)| match n {
            Err(reason) => Reach::Unknown { reason },
            Ok(n) => {
                let mut problems: Vec<&NotRead> =
                    not_read.get(&None).into_iter().flatten().collect();
                problems.extend(not_read.get(&Some(n.lang)).into_iter().flatten());
                let files = scanned.get(&n.lang).copied().unwrap_or(0);
                answer(&n, a, files, &problems)
            }
        })
        .collect()
}

/// Evidence gathered for one target.
#[derive(Default)]
struct Acc {
    imports: Vec<Evidence>,
    symbols: Vec<Evidence>,
    dynamic: Vec<Evidence>,
}

/// A file that was not read, and why.
#[derive(Clone, Debug)]
struct NotRead {
    file: String,
    why: String,
}

fn display(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    if s.is_empty() { ".".into() } else { s }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "2 files could not be read: a.py (why), b.py (why)".
fn describe(problems: &[&NotRead]) -> String {
    const SHOWN: usize = 3;
    let mut s = format!(
        "{} could not be read: ",
        plural(problems.len(), "file or directory", "files or directories")
    );
    let listed: Vec<String> = problems
        .iter()
        .take(SHOWN)
        .map(|p| format!("{} ({})", p.file, p.why))
        .collect();
    s.push_str(&listed.join(", "));
    if problems.len() > SHOWN {
        s.push_str(&format!(" and {} more", problems.len() - SHOWN));
    }
    s
}

fn answer(n: &Needle, mut a: Acc, files: usize, problems: &[&NotRead]) -> Reach {
    a.imports.sort();
    a.symbols.sort();
    a.dynamic.sort();
    let lang = n.lang;
    let files_read = plural(files, &format!("{lang} file"), &format!("{lang} files"));
    if !a.imports.is_empty() {
        let s = &n.symbols;
        let symbols = if s.names.is_empty() {
            SymbolReach::NotNamed
        } else if !a.symbols.is_empty() {
            SymbolReach::Found(a.symbols)
        } else if !problems.is_empty() {
            SymbolReach::Unknown {
                names: s.names.clone(),
                reason: format!(
                    "none of them appears in the {files_read} read, but {}",
                    describe(problems)
                ),
            }
        } else if !s.unsearchable.is_empty() {
            SymbolReach::Unknown {
                names: s.names.clone(),
                reason: format!(
                    "no function name to search for in {}",
                    s.unsearchable.join(", ")
                ),
            }
        } else {
            SymbolReach::NotFound(s.names.clone())
        };
        return Reach::Imported {
            imports: a.imports,
            symbols,
            files_scanned: files,
        };
    }
    if !problems.is_empty() {
        return Reach::Unknown {
            reason: format!(
                "{}; none of the {files_read} read imports {}",
                describe(problems),
                n.names.join(", ")
            ),
        };
    }
    if files == 0 {
        return Reach::Unknown {
            reason: format!("no {lang} source file in the service directory"),
        };
    }
    Reach::NotImported {
        files_scanned: files,
        looked_for: n.names.clone(),
        dynamic_imports: a.dynamic,
    }
}

/// What the walk found.
struct Tree {
    /// Source files of the languages asked about, relative to the service
    /// directory, in path order.
    files: Vec<(PathBuf, Lang)>,
    /// `Cargo.toml` and `package.json` files, relative.
    manifests: Vec<PathBuf>,
    /// Not read, by language (`None`: any language, such as a directory that could
    /// not be listed).
    not_read: BTreeMap<Option<Lang>, Vec<NotRead>>,
}

fn collect(root: &Path, langs: &[Lang]) -> Tree {
    let mut tree = Tree {
        files: Vec::new(),
        manifests: Vec::new(),
        not_read: BTreeMap::new(),
    };
    let canon_root = fs::canonicalize(root).ok();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .require_git(false)
        .ignore(false)
        .parents(false)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
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
                // Unreadable directories and files; a malformed .gitignore line
                // (not an I/O error) only means more files are read.
                if let Some(io) = e.io_error() {
                    let path = walk_error_path(&e)
                        .map(|p| display(p.strip_prefix(root).unwrap_or(&p)))
                        .unwrap_or_else(|| ".".into());
                    tree.not_read.entry(None).or_default().push(NotRead {
                        file: path,
                        why: io.to_string(),
                    });
                }
                continue;
            }
        };
        let rel = entry
            .path()
            .strip_prefix(root)
            .unwrap_or(entry.path())
            .to_owned();
        let Some(ft) = entry.file_type() else {
            continue;
        };
        if ft.is_symlink() {
            link(&mut tree, entry.path(), &rel, canon_root.as_deref(), langs);
            continue;
        }
        if !ft.is_file() {
            continue;
        }
        let name = entry.file_name();
        if (name == "Cargo.toml" && langs.contains(&Lang::Rust))
            || (name == "package.json" && langs.contains(&Lang::JavaScript))
        {
            tree.manifests.push(rel.clone());
        }
        let Some(lang) = Lang::from_path(&rel).filter(|l| langs.contains(l)) else {
            continue;
        };
        if let Ok(m) = entry.metadata()
            && m.len() > MAX_FILE_SIZE
        {
            tree.not_read.entry(Some(lang)).or_default().push(NotRead {
                file: display(&rel),
                why: too_large(m.len()),
            });
            continue;
        }
        tree.files.push((rel, lang));
    }
    tree
}

fn too_large(len: u64) -> String {
    format!(
        "{:.1} MiB, larger than the {} MiB read",
        len as f64 / (1024.0 * 1024.0),
        MAX_FILE_SIZE / (1024 * 1024)
    )
}

/// A symbolic link: covered when it points inside the service (its target is
/// walked there); a link out of the service to a source file or a directory is not
/// followed, and named as not read.
fn link(tree: &mut Tree, path: &Path, rel: &Path, root: Option<&Path>, langs: &[Lang]) {
    let Ok(meta) = fs::metadata(path) else {
        return; // Dangling: nothing there.
    };
    let target = fs::canonicalize(path).ok();
    if let (Some(t), Some(r)) = (&target, root)
        && t.starts_with(r)
    {
        return;
    }
    let lang = Lang::from_path(rel)
        .or_else(|| target.as_deref().and_then(Lang::from_path))
        .filter(|l| langs.contains(l));
    let key = if meta.is_dir() {
        None
    } else if lang.is_some() {
        lang
    } else {
        return;
    };
    tree.not_read.entry(key).or_default().push(NotRead {
        file: display(rel),
        why: "a symbolic link out of the service directory, not followed".into(),
    });
}

fn walk_error_path(e: &ignore::Error) -> Option<PathBuf> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_path(err)
        }
        ignore::Error::Partial(errs) => errs.iter().find_map(walk_error_path),
        _ => None,
    }
}

/// Reads a file of at most [`MAX_FILE_SIZE`] bytes as text (invalid UTF-8 replaced).
/// Only regular files are opened: a FIFO put in place of a file would block.
fn read_limited(path: &Path) -> Result<String, String> {
    let meta = fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let file = fs::File::open(path).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut buf)
        .map_err(|e| e.to_string())?;
    if buf.len() as u64 > MAX_FILE_SIZE {
        return Err(format!(
            "larger than the {} MiB read",
            MAX_FILE_SIZE / (1024 * 1024)
        ));
    }
    Ok(match String::from_utf8(buf) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}
