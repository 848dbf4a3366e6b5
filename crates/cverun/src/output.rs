//! Printing helpers: styles (dropped when the output is not a terminal or `NO_COLOR`
//! is set, by `anstream`), errors and warnings on stderr, reports on stdout or in a
//! file, JSON.
//!
//! Rules every command follows:
//! - standard output holds only the report; errors, warnings and progress go to
//!   standard error, in every format (the lines of a rendered table that begin
//!   with `error:` or `warning:` are sent there too, see [`Report::text`]);
//! - a report written with `-o FILE` is written to a temporary file beside FILE and
//!   renamed over it: FILE is the whole report or is left as it was;
//! - JSON is pretty-printed (indented, one field a line) when standard output is a
//!   terminal, and compact (one line) when it is piped or written to a file, so that
//!   large reports stay small and streamable; pipe it through `jq` to read it.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Context;
use serde::Serialize;

pub use cverun_scan::render::style::{BOLD, CYAN, DIM, GREEN, RED, YELLOW, count, paint};

/// Prints an error line on stderr.
pub fn error(message: &str) {
    anstream::eprintln!("{}: {message}", paint(RED, "error"));
}

/// Prints a warning line on stderr.
pub fn warn(message: &str) {
    anstream::eprintln!("{}: {message}", paint(YELLOW, "warning"));
}

/// A report being written: to standard output, or to a file (atomically).
pub struct Report<'a> {
    out: &'a mut dyn Write,
    styled: bool,
    pretty: bool,
}

impl Report<'_> {
    /// The raw writer (for renderers that stream).
    pub fn writer(&mut self) -> &mut dyn Write {
        self.out
    }

    /// Writes `text`, without its styles when they are not kept. Lines of the text
    /// that begin with `error:` or `warning:` are diagnostics, not the report: they
    /// go to stderr (as [`error`] and [`warn`] print them), in their order.
    pub fn text(&mut self, text: &str) -> anyhow::Result<()> {
        for line in text.split_inclusive('\n') {
            let plain = anstream::adapter::strip_str(line).to_string();
            if plain.starts_with("error:") || plain.starts_with("warning:") {
                anstream::eprint!("{line}");
                if !line.ends_with('\n') {
                    anstream::eprintln!();
                }
            } else if self.styled {
                self.out.write_all(line.as_bytes())?;
            } else {
                self.out.write_all(plain.as_bytes())?;
            }
        }
        Ok(())
    }

    /// Writes `value` as JSON and a newline: pretty on a terminal, else compact.
    pub fn json<T: Serialize + ?Sized>(&mut self, value: &T) -> anyhow::Result<()> {
        if self.pretty {
            serde_json::to_writer_pretty(&mut *self.out, value)?;
        } else {
            serde_json::to_writer(&mut *self.out, value)?;
        }
        self.out.write_all(b"\n")?;
        Ok(())
    }
}

/// Writes a report through `fill`: into `path` atomically when given, else on
/// standard output.
pub fn report(
    path: Option<&Path>,
    fill: impl FnOnce(&mut Report<'_>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    match path {
        Some(path) => write_atomically(path, |w| {
            fill(&mut Report {
                out: w,
                styled: false,
                pretty: false,
            })
        }),
        None => {
            let stdout = std::io::stdout();
            let styled = anstream::AutoStream::choice(&stdout) != anstream::ColorChoice::Never;
            let pretty = stdout.is_terminal();
            let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
            fill(&mut Report {
                out: &mut w,
                styled,
                pretty,
            })?;
            w.flush()?;
            Ok(())
        }
    }
}

/// Prints `value` as JSON on stdout (see [`Report::json`] for the layout).
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    report(None, |r| r.json(value))
}

/// Writes through `fill` into a temporary file beside `path`, then renames it over
/// `path`: the report is either whole or not there.
pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().context("--output needs a file name")?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> anyhow::Result<()> {
        let file = std::fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        fill(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}

/// The first `n` characters of a hex digest, for tables.
pub fn short_hash(h: &str) -> &str {
    &h[..h.len().min(12)]
}
