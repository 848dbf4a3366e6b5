//! What `cverun notify list` and `cverun notify attempts` show: their JSON
//! documents (`cverun.notify-list/1`, `cverun.notify-attempts/1`) and the rows
//! of their tables, built here so that every front end shows the same view.

use cverun_incident::{AttemptRow, MessageId, MessageRow};
use serde::Serialize;

/// The schema of [`ListDoc`].
pub const LIST_SCHEMA: &str = "cverun.notify-list/1";
/// The schema of [`AttemptsDoc`].
pub const ATTEMPTS_SCHEMA: &str = "cverun.notify-attempts/1";

/// `notify list --json`.
#[derive(Serialize)]
pub struct ListDoc<'a> {
    /// [`LIST_SCHEMA`].
    pub schema: &'static str,
    /// The messages, oldest first (without bodies).
    pub messages: &'a [MessageRow],
}

/// `notify attempts --json`.
#[derive(Serialize)]
pub struct AttemptsDoc<'a> {
    /// [`ATTEMPTS_SCHEMA`].
    pub schema: &'static str,
    /// The message.
    pub message: &'a MessageId,
    /// Its attempts, in order.
    pub attempts: &'a [AttemptRow],
}

/// The document of `rows`.
pub fn list(rows: &[MessageRow]) -> ListDoc<'_> {
    ListDoc {
        schema: LIST_SCHEMA,
        messages: rows,
    }
}

/// The document of `message`'s `attempts`.
pub fn attempts<'a>(message: &'a MessageId, attempts: &'a [AttemptRow]) -> AttemptsDoc<'a> {
    AttemptsDoc {
        schema: ATTEMPTS_SCHEMA,
        message,
        attempts,
    }
}

/// The table of `notify list`: a header, then one row per message.
pub fn list_rows(rows: &[MessageRow]) -> Vec<[String; 7]> {
    let mut table = vec![
        [
            "ID",
            "INCIDENT",
            "CHANNEL",
            "TEMPLATE",
            "STATE",
            "ATTEMPTS",
            "LAST ERROR",
        ]
        .map(str::to_owned),
    ];
    for m in rows {
        table.push([
            m.id.to_string(),
            m.incident.clone(),
            m.channel.clone(),
            m.template.clone(),
            m.state.to_string(),
            m.attempts.to_string(),
            m.last_error
                .as_deref()
                .map(one_line)
                .unwrap_or_else(|| "-".into()),
        ]);
    }
    table
}

/// The table of `notify attempts`: a header, then one row per attempt.
pub fn attempt_rows(rows: &[AttemptRow]) -> Vec<[String; 7]> {
    let mut table =
        vec![["N", "AT", "WORKER", "OUTCOME", "STATUS", "MS", "REASON"].map(str::to_owned)];
    for a in rows {
        table.push([
            a.n.to_string(),
            a.at.to_string(),
            a.worker.clone(),
            a.outcome.to_string(),
            a.status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            a.latency_ms.to_string(),
            a.reason
                .as_deref()
                .map(one_line)
                .unwrap_or_else(|| "-".into()),
        ]);
    }
    table
}

/// `s` on one line (control characters as spaces), at most 120 characters.
pub fn one_line(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().count() > 120 {
        format!("{}…", s.chars().take(119).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_fit_one_line_and_120_characters() {
        assert_eq!(one_line("a\nb\tc"), "a b c");
        let long = "x".repeat(300);
        let cut = one_line(&long);
        assert_eq!(cut.chars().count(), 120);
        assert!(cut.ends_with('…'));
    }
}
