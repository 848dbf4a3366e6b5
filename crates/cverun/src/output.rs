//! Printing helpers: styles (dropped when the output is not a terminal or `NO_COLOR`
//! is set, by `anstream`), errors and warnings on stderr, JSON.

use serde::Serialize;

pub use cverun_scan::render::style::{BOLD, CYAN, DIM, GREEN, RED, YELLOW, paint};

/// Prints an error line on stderr.
pub fn error(message: &str) {
    anstream::eprintln!("{}: {message}", paint(RED, "error"));
}

/// Prints a warning line on stderr.
pub fn warn(message: &str) {
    anstream::eprintln!("{}: {message}", paint(YELLOW, "warning"));
}

/// Prints `value` as pretty JSON on stdout.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    println!("{text}");
    Ok(())
}

/// The first `n` characters of a hex digest, for tables.
pub fn short_hash(h: &str) -> &str {
    &h[..h.len().min(12)]
}

/// `1 vulnerability`, `2 vulnerabilities`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}
