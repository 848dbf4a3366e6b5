//! Printing helpers: styles (dropped when the output is not a terminal or `NO_COLOR`
//! is set, by `anstream`), errors and warnings on stderr, JSON.

use anstyle::{AnsiColor, Color, Style};
use serde::Serialize;

pub const BOLD: Style = Style::new().bold();
pub const DIM: Style = Style::new().dimmed();
pub const RED: Style = Style::new()
    .fg_color(Some(Color::Ansi(AnsiColor::Red)))
    .bold();
pub const YELLOW: Style = Style::new().fg_color(Some(Color::Ansi(AnsiColor::Yellow)));
pub const GREEN: Style = Style::new().fg_color(Some(Color::Ansi(AnsiColor::Green)));
pub const CYAN: Style = Style::new().fg_color(Some(Color::Ansi(AnsiColor::Cyan)));

/// `text` in `style` (the escape codes are removed on output when not wanted).
pub fn paint(style: Style, text: impl std::fmt::Display) -> String {
    format!("{style}{text}{style:#}")
}

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
