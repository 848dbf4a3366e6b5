//! Messages as witnesses: every message carries the incident's chain head at
//! the time it was rendered (the seq and hash of the last event), so a copy kept
//! by its receivers (a chat, a mailbox, a webhook log) can later prove that the
//! timeline still holds that event: `cverun incident verify ID --expect HEAD`.
//!
//! Two forms: the short one for chat, `SEQ:HEX12` (`14:3f2a9c1b7d0e`, the first
//! 12 hex digits), and the full one, `SEQ:HEX64`. Neither is signed (a message
//! is public); it is the receivers' copy that makes it a witness.

use crate::chain::{Problem, ProblemKind};

/// How many hex digits the short form keeps.
pub const SHORT_HEX: usize = 12;

/// A chain head as a message carries it: a seq and the hash (or its first hex
/// digits, at least [`SHORT_HEX`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordHead {
    /// The seq of the event.
    pub seq: u64,
    /// The event's hash, or its beginning (lower case).
    pub hash: String,
}

impl RecordHead {
    /// The short form, `SEQ:HEX12`.
    pub fn short(seq: u64, hash: &str) -> String {
        format!("{seq}:{}", hash.chars().take(SHORT_HEX).collect::<String>())
    }

    /// The full form, `SEQ:HEX64`.
    pub fn full(seq: u64, hash: &str) -> String {
        format!("{seq}:{hash}")
    }

    /// Reads `SEQ:HEX` (12 to 64 hex digits), optionally after the word
    /// `record` as messages print it, or `INCIDENT:SEQ:HEX`. `Ok(None)` when the
    /// text has another shape (a signed head, `NAME:SEQ:HASH:MAC`); an error
    /// when it has this shape but is not valid.
    pub fn parse(text: &str) -> Result<Option<RecordHead>, String> {
        let t = text.trim();
        let t = t.strip_prefix("record").map(str::trim_start).unwrap_or(t);
        let parts: Vec<&str> = t.split(':').collect();
        let (seq, hash) = match parts.as_slice() {
            [seq, hash] => (*seq, *hash),
            [name, seq, hash] if name.starts_with("INC-") => (*seq, *hash),
            _ => return Ok(None),
        };
        let seq: u64 = seq
            .parse()
            .map_err(|_| format!("{t:?} is not a head: the seq {seq:?} is not a number"))?;
        if hash.len() < SHORT_HEX || hash.len() > 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(format!(
                "{t:?} is not a head: expected SEQ:HEX with {SHORT_HEX} to 64 hex digits, as a message prints it (record 14:3f2a9c1b7d0e), or NAME:SEQ:HASH:MAC as `cverun incident head` prints it"
            ));
        }
        Ok(Some(RecordHead {
            seq,
            hash: hash.to_ascii_lowercase(),
        }))
    }

    /// The head as given (`SEQ:HEX`).
    pub fn text(&self) -> String {
        format!("{}:{}", self.seq, self.hash)
    }

    /// Whether the timeline of `incident`, `records` (seq, hash), holds this
    /// head: the event at its seq has exactly this hash (or one beginning with
    /// it, for the short form). The problems when not.
    pub fn check(&self, incident: &str, records: &[(u64, String)]) -> Vec<Problem> {
        match records.iter().position(|(s, _)| *s == self.seq) {
            Some(i) if records[i].1.starts_with(&self.hash) => Vec::new(),
            Some(i) => vec![Problem {
                kind: ProblemKind::Edited,
                position: i as u64 + 1,
                seq: self.seq,
                message: format!(
                    "the event at seq {} of {incident} is not the one the message recorded (hash {} instead of {}): rewritten after the message was sent (edited), or a head of another incident",
                    self.seq,
                    records[i].1.chars().take(SHORT_HEX).collect::<String>(),
                    self.hash.chars().take(SHORT_HEX).collect::<String>()
                ),
            }],
            None => {
                let last = records.last().map(|(s, _)| *s).unwrap_or(0);
                vec![Problem {
                    kind: ProblemKind::Truncated,
                    position: records.len() as u64 + 1,
                    seq: self.seq,
                    message: format!(
                        "the timeline of {incident} ends at seq {last}, but the message recorded seq {}: events were removed from the end (truncated), or a head of another incident",
                        self.seq
                    ),
                }]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "3f2a9c1b7d0e44556677889900aabbccddeeff00112233445566778899aabbcc";

    #[test]
    fn reads_short_and_full_heads_and_leaves_signed_ones() {
        let short = RecordHead::parse("record 14:3f2a9c1b7d0e")
            .unwrap()
            .unwrap();
        assert_eq!((short.seq, short.hash.as_str()), (14, "3f2a9c1b7d0e"));
        assert_eq!(RecordHead::short(14, H), "14:3f2a9c1b7d0e");
        let full = RecordHead::parse(&RecordHead::full(14, &H.to_uppercase()))
            .unwrap()
            .unwrap();
        assert_eq!(full.hash, H);
        let named = RecordHead::parse("INC-2026-11-23-1:14:3f2a9c1b7d0e")
            .unwrap()
            .unwrap();
        assert_eq!(named.seq, 14);
        assert_eq!(
            RecordHead::parse(&format!("INC-2026-11-23-1:14:{H}:{H}")).unwrap(),
            None
        );
        assert!(RecordHead::parse("14:3f2a").is_err(), "too short");
        assert!(RecordHead::parse("x:3f2a9c1b7d0e").is_err());
        assert!(RecordHead::parse("14:3f2a9c1b7d0g").is_err());
    }

    #[test]
    fn a_head_holds_only_with_that_hash_at_that_seq() {
        let records = vec![(13, "00".repeat(32)), (14, H.to_owned())];
        let h = |t: &str| RecordHead::parse(t).unwrap().unwrap();
        assert!(h("14:3f2a9c1b7d0e").check("INC-1", &records).is_empty());
        assert!(h(&format!("14:{H}")).check("INC-1", &records).is_empty());
        let wrong = h("14:3f2a9c1b7d0f").check("INC-1", &records);
        assert_eq!(wrong[0].kind, ProblemKind::Edited);
        assert!(
            wrong[0].message.contains("3f2a9c1b7d0f"),
            "{}",
            wrong[0].message
        );
        let other = h("13:3f2a9c1b7d0e").check("INC-1", &records);
        assert_eq!(other[0].kind, ProblemKind::Edited);
        let gone = h("15:3f2a9c1b7d0e").check("INC-1", &records);
        assert_eq!(gone[0].kind, ProblemKind::Truncated);
        assert!(
            gone[0].message.contains("ends at seq 14"),
            "{}",
            gone[0].message
        );
    }
}
