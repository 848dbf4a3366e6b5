//! The styles every human view shares (scan, blast, incidents, the CLI's messages):
//! `anstyle` escapes that the caller's output stream drops when the output is not a
//! terminal or `NO_COLOR` is set.

use anstyle::{AnsiColor, Color, Style};

/// Headings and names.
pub const BOLD: Style = Style::new().bold();
/// Secondary text.
pub const DIM: Style = Style::new().dimmed();
/// What needs attention now.
pub const RED: Style = Style::new()
    .fg_color(Some(Color::Ansi(AnsiColor::Red)))
    .bold();
/// Warnings.
pub const YELLOW: Style = Style::new().fg_color(Some(Color::Ansi(AnsiColor::Yellow)));
/// Identifiers.
pub const CYAN: Style = Style::new().fg_color(Some(Color::Ansi(AnsiColor::Cyan)));
/// Done, valid.
pub const GREEN: Style = Style::new().fg_color(Some(Color::Ansi(AnsiColor::Green)));

/// `text` in `style`.
pub fn paint(style: Style, text: impl std::fmt::Display) -> String {
    format!("{style}{text}{style:#}")
}
