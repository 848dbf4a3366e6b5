//! The footer every human format ends with when filters are in force: what was
//! hidden, by which filter, and each exclude with its reason (never a silent
//! filter).

use crate::report::Report;

/// The lines to print under a report (none when nothing is filtered).
pub fn filtered_lines(report: &Report) -> Vec<String> {
    report.filtered.lines("findings")
}
