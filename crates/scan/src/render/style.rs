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

/// A moment as people read it: the local time zone (`TZ`, else the system's), to the
/// minute, with its offset: `2026-11-23 13:00 +01:00`. Every human view prints times
/// through this; JSON keeps RFC 3339.
pub fn local_time(t: jiff::Timestamp) -> String {
    time_in(t, &jiff::tz::TimeZone::system(), false)
}

/// `t` in `tz`, to the minute or to the second.
fn time_in(t: jiff::Timestamp, tz: &jiff::tz::TimeZone, seconds: bool) -> String {
    let format = if seconds {
        "%Y-%m-%d %H:%M:%S %:z"
    } else {
        "%Y-%m-%d %H:%M %:z"
    };
    t.to_zoned_datetime(tz.clone()).strftime(format).to_string()
}

/// `t` in the local time zone to the second (`2026-11-23 13:00:05 +01:00`), for
/// audit timelines where the order within a minute matters.
pub fn local_time_seconds(t: jiff::Timestamp) -> String {
    time_in(t, &jiff::tz::TimeZone::system(), true)
}

/// How far `due` is from `now`, roughly: `in 8 h`, `in 3 d`, `in 20 min`, or
/// `overdue by 2 h`.
pub fn until(now: jiff::Timestamp, due: jiff::Timestamp) -> String {
    let secs = due.as_second() - now.as_second();
    let a = secs.unsigned_abs();
    let span = if a >= 2 * 86_400 {
        format!("{} d", a / 86_400)
    } else if a >= 3600 {
        format!("{} h", a / 3600)
    } else {
        format!("{} min", a.div_ceil(60))
    };
    if secs >= 0 {
        format!("in {span}")
    } else {
        format!("overdue by {span}")
    }
}

/// `n thing` or `n things`: `plural(1, "package", "packages")`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The width a human table is fitted to when nothing else is known (not a terminal,
/// no `COLUMNS`).
pub const DEFAULT_WIDTH: usize = 100;

/// The narrowest width tables are fitted to.
pub const MIN_WIDTH: usize = 60;

/// `s` cut to at most `w` characters, ending in `…` when cut.
pub fn elide(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        return s.to_owned();
    }
    if w == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(w - 1).collect();
    out.push('…');
    out
}

/// Column widths that fit `total` characters (cells separated by two spaces, after
/// `indent`): each column as wide as its widest cell, then the widest shrinkable
/// columns narrowed in turn (never below their floor in `floors`, 0 for a column
/// that never shrinks, nor below their header) until the line fits.
pub fn fit_widths(
    headers: &[&str],
    rows: &[Vec<String>],
    total: usize,
    indent: usize,
    floors: &[usize],
) -> Vec<usize> {
    let mut w: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in w.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let floor = |i: usize| floors[i].max(headers[i].chars().count());
    let shrinkable: Vec<usize> = (0..headers.len())
        .filter(|&i| floors.get(i).is_some_and(|f| *f > 0))
        .collect();
    let line = |w: &[usize]| indent + w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
    while line(&w) > total {
        let Some(i) = shrinkable
            .iter()
            .copied()
            .filter(|&i| w[i] > floor(i))
            .max_by_key(|&i| w[i])
        else {
            break;
        };
        w[i] -= 1;
    }
    w
}

/// One table line: every cell elided and padded to its width (the last one not
/// padded), `paint` applied to each padded cell.
pub fn table_line(
    indent: usize,
    cells: &[String],
    widths: &[usize],
    paint_cell: impl Fn(usize, String) -> String,
) -> String {
    let mut l = " ".repeat(indent);
    let last = cells.len().saturating_sub(1);
    for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
        let c = elide(c, *w);
        let c = if i == last {
            c
        } else {
            format!("{c:<w$}", w = *w)
        };
        l.push_str(&paint_cell(i, c));
        if i != last {
            l.push_str("  ");
        }
    }
    l.trim_end().to_owned()
}

/// A list of names on one line of at most `width` characters: as many as fit, then
/// `+N more`.
pub fn fit_list(names: &[String], width: usize) -> String {
    // Room for the longest `+N more` ending.
    let reserve = format!(", +{} more", names.len()).len();
    let mut out = String::new();
    let mut used = 0;
    for (i, n) in names.iter().enumerate() {
        let last = i + 1 == names.len();
        let sep = if i == 0 { 0 } else { 2 };
        let need = used + sep + n.chars().count() + if last { 0 } else { reserve };
        if need > width && i > 0 {
            out.push_str(&format!(", +{} more", names.len() - i));
            return out;
        }
        if i > 0 {
            out.push_str(", ");
        }
        // A first name too long for the line is cut, leaving room for the ending.
        let n = if i == 0 && need > width {
            elide(
                n,
                width.saturating_sub(if last { 0 } else { reserve }).max(1),
            )
        } else {
            n.clone()
        };
        used += sep + n.chars().count();
        out.push_str(&n);
    }
    out
}

/// `text` without its ANSI escape sequences (for plain outputs built from styled
/// lines).
pub fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters final-byte.
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_for_people_are_local_with_their_offset() {
        let t: jiff::Timestamp = "2026-11-23T12:00:05.123456789Z".parse().unwrap();
        let paris = jiff::tz::TimeZone::fixed(jiff::tz::offset(1));
        assert_eq!(time_in(t, &paris, false), "2026-11-23 13:00 +01:00");
        assert_eq!(time_in(t, &paris, true), "2026-11-23 13:00:05 +01:00");
        assert_eq!(
            time_in(t, &jiff::tz::TimeZone::UTC, false),
            "2026-11-23 12:00 +00:00"
        );
    }
}
