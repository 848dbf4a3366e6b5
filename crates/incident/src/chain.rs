//! The hash chain that makes each incident's timeline tamper-evident.
//!
//! Each event's hash is SHA-256 over a canonical encoding of (incident id, seq, at,
//! actor, kind, details, prev_hash): the tag `cverun.timeline/1`, then each field as
//! an 8-byte big-endian length followed by its UTF-8 bytes (seq in decimal, at in RFC
//! 3339 as stored, details as canonical JSON with sorted keys and no spaces).
//! `prev_hash` is the previous event's hash, 64 zeros for the first event. The
//! incident row also records the head (last seq and hash), so events removed from
//! the end are noticed unless the head row is moved back too (that takes an
//! [`Anchor`] kept elsewhere).
//!
//! [`verify`] recomputes the chain and names every event that was edited, deleted,
//! inserted or reordered, by position and seq.
//!
//! The chain alone proves nothing against someone who can write the database: they
//! can recompute every hash. So each event also carries an HMAC-SHA256 of its hash
//! under the incident key, kept outside the database ([`crate::key`]);
//! [`authenticate`] checks them. Incidents are numbered in the store's own log
//! ([`LogEntry`], checked by [`verify_log`]), chained and signed the same way, so a
//! deleted incident leaves a gap. A shortened timeline (or log) is only caught
//! against a head kept elsewhere: an [`Anchor`], checked by [`check_anchor`].

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::event::Event;
use crate::key::{Key, Keyring, MacCheck};

/// `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// `value` as canonical JSON: object keys sorted (by their UTF-8 bytes), no
/// whitespace, strings escaped as `serde_json` does.
pub fn canonical_json(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                write_canonical(&map[*k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The hash of one event (hex SHA-256 of the canonical encoding above).
pub fn event_hash(
    incident: &str,
    seq: u64,
    at: &str,
    actor: &str,
    kind: &str,
    details: &str,
    prev_hash: &str,
) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(b"cverun.timeline/1");
    field(incident.as_bytes());
    field(seq.to_string().as_bytes());
    field(at.as_bytes());
    field(actor.as_bytes());
    field(kind.as_bytes());
    field(details.as_bytes());
    field(prev_hash.as_bytes());
    hex(&h.finalize())
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// What is wrong with one place in a timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The event's content does not match its hash.
    Edited,
    /// Events are missing.
    Deleted,
    /// An event that is not part of the recorded chain.
    Inserted,
    /// An event is at another position than the one it was recorded at.
    Reordered,
    /// An event (or store-log entry) whose MAC cannot be checked: it has none, the
    /// key that made it is not available, or no key is available at all.
    Unauthenticated,
    /// An event (or store-log entry, or a given head) whose MAC does not match:
    /// written or rehashed by someone without the key.
    ForgedMac,
    /// The timeline no longer reaches a head taken earlier (events removed from
    /// the end, with the head row moved back).
    Truncated,
}

/// One problem found by [`verify`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What kind of tampering it shows.
    pub kind: ProblemKind,
    /// 1-based position in the stored timeline (ordered by seq) of the event
    /// concerned; for deletions, the position where events are missing.
    pub position: u64,
    /// The seq stored on that event (for deletions: the first missing seq).
    pub seq: u64,
    /// What is wrong, for people.
    pub message: String,
}

/// The head (last seq and hash) the incident row records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// Last seq (0 before the first event).
    pub seq: u64,
    /// Last hash ([`GENESIS`] before the first event).
    pub hash: String,
}

/// Recomputes the chain of `events` (one incident's stored events, in seq order)
/// against the recorded `head` and returns every problem found (empty: intact).
pub fn verify(events: &[Event], head: &Head) -> Vec<Problem> {
    let mut problems = Vec::new();
    let by_hash: HashMap<&str, usize> = events
        .iter()
        .enumerate()
        .map(|(i, e)| (e.hash.as_str(), i))
        .collect();
    let referenced: std::collections::HashSet<&str> = events
        .iter()
        .map(|e| e.prev_hash.as_str())
        .chain([head.hash.as_str()])
        .collect();
    let max_seq = events
        .iter()
        .map(|e| e.seq)
        .max()
        .unwrap_or(0)
        .max(head.seq);
    let mut expected_seq = 1u64;
    let mut prev_hash = GENESIS.to_owned();
    let mut moved = std::collections::HashSet::new();
    for (i, e) in events.iter().enumerate() {
        let position = i as u64 + 1;
        let describe = format!("seq {} ({} by {} at {})", e.seq, e.kind, e.actor, e.at);
        if e.seq > head.seq {
            problems.push(Problem {
                kind: ProblemKind::Inserted,
                position,
                seq: e.seq,
                message: format!(
                    "event at position {position}, {describe}, is not part of the recorded chain, which ends at seq {} (inserted)",
                    head.seq
                ),
            });
            prev_hash = e.hash.clone();
            expected_seq = e.seq + 1;
            continue;
        }
        let mut gap = false;
        if e.seq > expected_seq {
            gap = true;
            let missing = if e.seq - expected_seq == 1 {
                format!("seq {expected_seq} is")
            } else {
                format!("seqs {expected_seq} to {} are", e.seq - 1)
            };
            problems.push(Problem {
                kind: ProblemKind::Deleted,
                position,
                seq: expected_seq,
                message: format!("{missing} missing before position {position} (deleted)"),
            });
        }
        let content_ok = e.computed_hash() == e.hash;
        let mut reported = false;
        if !content_ok {
            reported = true;
            // Moved: the content is intact for another seq.
            let moved_from = (1..=max_seq.saturating_add(1).min(1_000_000))
                .filter(|n| *n != e.seq)
                .find(|n| {
                    crate::chain::event_hash(
                        &e.incident,
                        *n,
                        &e.at,
                        &e.actor,
                        &e.kind,
                        &e.details,
                        &e.prev_hash,
                    ) == e.hash
                });
            if moved_from.is_some() {
                moved.insert(i);
            }
            problems.push(match moved_from {
                Some(n) => Problem {
                    kind: ProblemKind::Reordered,
                    position,
                    seq: e.seq,
                    message: format!(
                        "event at position {position} is stored as seq {} but was recorded as seq {n} ({} by {} at {}) (reordered)",
                        e.seq, e.kind, e.actor, e.at
                    ),
                },
                None => Problem {
                    kind: ProblemKind::Edited,
                    position,
                    seq: e.seq,
                    message: format!(
                        "event at position {position}, {describe}, does not match its hash (edited)"
                    ),
                },
            });
        }
        if e.prev_hash != prev_hash {
            // The event does not follow the one before it.
            match by_hash.get(e.prev_hash.as_str()) {
                Some(&j)
                    if j + 1 < i
                        && (j + 1..i).all(|k| !referenced.contains(events[k].hash.as_str())) =>
                {
                    // It follows an earlier event: the ones in between, which nothing
                    // follows, were inserted.
                    for (k, ev) in events.iter().enumerate().take(i).skip(j + 1) {
                        problems.retain(|p| p.position != k as u64 + 1);
                        problems.push(Problem {
                            kind: ProblemKind::Inserted,
                            position: k as u64 + 1,
                            seq: ev.seq,
                            message: format!(
                                "event at position {}, seq {} ({} by {} at {}), is not part of the recorded chain (inserted)",
                                k + 1,
                                ev.seq,
                                ev.kind,
                                ev.actor,
                                ev.at
                            ),
                        });
                    }
                }
                // Explained by a moved event already named.
                Some(&j) if moved.contains(&j) || (i > 0 && moved.contains(&(i - 1))) => {}
                Some(&j) if !reported && !gap => problems.push(Problem {
                    kind: ProblemKind::Reordered,
                    position,
                    seq: e.seq,
                    message: format!(
                        "event at position {position}, {describe}, was recorded after the event now at position {} (reordered)",
                        j + 1
                    ),
                }),
                None if !reported && !gap => problems.push(Problem {
                    kind: ProblemKind::Edited,
                    position,
                    seq: e.seq,
                    message: format!(
                        "event at position {position}, {describe}, does not follow the event before it (the chain is broken there)"
                    ),
                }),
                _ => {}
            }
        }
        prev_hash = e.hash.clone();
        expected_seq = e.seq + 1;
    }
    let last = events.iter().rev().find(|e| e.seq <= head.seq);
    let last_seq = last.map(|e| e.seq).unwrap_or(0);
    if last_seq < head.seq {
        let position = events.iter().filter(|e| e.seq <= head.seq).count() as u64 + 1;
        let missing = if head.seq - last_seq == 1 {
            format!("seq {} is", head.seq)
        } else {
            format!("seqs {} to {} are", last_seq + 1, head.seq)
        };
        problems.push(Problem {
            kind: ProblemKind::Deleted,
            position,
            seq: last_seq + 1,
            message: format!("{missing} missing at the end (deleted)"),
        });
    } else if let Some(last) = last
        && last.hash != head.hash
        && problems.is_empty()
    {
        problems.push(Problem {
            kind: ProblemKind::Edited,
            position: events.iter().filter(|e| e.seq <= head.seq).count() as u64,
            seq: last.seq,
            message: format!(
                "the last event (seq {}) is not the one the incident records as its head (edited)",
                last.seq
            ),
        });
    }
    problems
}

/// The clock mode a store's MACs bind: `system` or `simulated`.
pub fn mode(simulated: bool) -> &'static str {
    if simulated { "simulated" } else { "system" }
}

/// The parts an event's MAC covers: the tag `cverun.event-mac/1`, the store's clock
/// mode and the event's hash (which covers its content and position).
pub fn event_mac_parts(hash: &str, simulated: bool) -> [&[u8]; 3] {
    [
        b"cverun.event-mac/1",
        mode(simulated).as_bytes(),
        hash.as_bytes(),
    ]
}

fn mac_problem(
    check: MacCheck,
    position: u64,
    seq: u64,
    what: &str,
    keys: &Keyring,
) -> Option<Problem> {
    let (kind, message) = match check {
        MacCheck::Valid => return None,
        MacCheck::Missing => (
            ProblemKind::Unauthenticated,
            format!(
                "{what} carries no MAC (written without the incident key, or its MAC was removed) (unauthenticated)"
            ),
        ),
        MacCheck::UnknownKey(id) => (
            ProblemKind::Unauthenticated,
            format!(
                "{what} is signed with key {id}, which is not available{} (unauthenticated; list old keys in CVERUN_INCIDENT_OLD_KEYS)",
                match keys.current() {
                    Some(k) => format!(" (the current key is {})", k.id()),
                    None => String::new(),
                }
            ),
        ),
        MacCheck::Forged => (
            ProblemKind::ForgedMac,
            format!(
                "{what} does not carry a valid MAC: written or rehashed without the key (forged)"
            ),
        ),
    };
    Some(Problem {
        kind,
        position,
        seq,
        message,
    })
}

/// The problem reported when no key is available to check `n` records.
fn no_key(what: &str, n: usize) -> Problem {
    Problem {
        kind: ProblemKind::Unauthenticated,
        position: 1,
        seq: 1,
        message: format!(
            "no incident key is available (CVERUN_INCIDENT_KEY, CVERUN_INCIDENT_KEY_FILE or <state>/incident.key), so the {n} {what} cannot be authenticated (unauthenticated)"
        ),
    }
}

/// Checks every event's MAC under `keys`; events at a position in `skip` (already
/// reported) are not reported again. Without any key: one `unauthenticated`
/// problem for the whole timeline.
pub fn authenticate(
    events: &[Event],
    keys: &Keyring,
    simulated: bool,
    skip: &HashSet<u64>,
) -> Vec<Problem> {
    if events.is_empty() {
        return Vec::new();
    }
    if keys.is_empty() {
        return vec![no_key("events of this timeline", events.len())];
    }
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let position = i as u64 + 1;
        if skip.contains(&position) {
            continue;
        }
        let check = keys.check(
            e.key_id.as_deref(),
            e.mac.as_deref(),
            &event_mac_parts(&e.hash, simulated),
        );
        let what = format!(
            "event at position {position}, seq {} ({} by {} at {}),",
            e.seq, e.kind, e.actor, e.at
        );
        out.extend(mac_problem(
            check,
            position,
            e.seq,
            what.trim_end_matches(','),
            keys,
        ));
    }
    out
}

/// [`verify`] and [`authenticate`]: every structural problem, then every event
/// with a missing or bad MAC that is not already named.
pub fn verify_with(events: &[Event], head: &Head, keys: &Keyring, simulated: bool) -> Vec<Problem> {
    let mut problems = verify(events, head);
    let skip: HashSet<u64> = problems
        .iter()
        .filter(|p| p.kind != ProblemKind::Deleted)
        .map(|p| p.position)
        .collect();
    problems.extend(authenticate(events, keys, simulated, &skip));
    problems
}

/// One entry of the store's log: incident number `seq` in the whole store (from
/// 1, contiguous), chained and signed like events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    /// The store-wide number.
    pub seq: u64,
    /// The incident it numbers.
    pub incident: String,
    /// When it was declared (as its first event's `at`).
    pub at: String,
    /// The hash of the incident's first (`declared`) event.
    pub declared_hash: String,
    /// The previous entry's hash ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
    /// HMAC-SHA256 of the hash (see [`log_mac_parts`]).
    pub mac: String,
    /// The key that made it.
    pub key_id: String,
}

impl LogEntry {
    /// The entry after `prev_hash` at `seq`, hashed and signed with `key`.
    pub fn new(
        seq: u64,
        incident: &str,
        at: &str,
        declared_hash: &str,
        prev_hash: &str,
        key: &Key,
        simulated: bool,
    ) -> LogEntry {
        let mut e = LogEntry {
            seq,
            incident: incident.to_owned(),
            at: at.to_owned(),
            declared_hash: declared_hash.to_owned(),
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
            mac: String::new(),
            key_id: key.id().to_owned(),
        };
        e.hash = e.computed_hash();
        e.mac = key.mac(&log_mac_parts(&e.hash, simulated));
        e
    }

    /// The hash the entry's content calls for: SHA-256 over the tag
    /// `cverun.store-log/1`, seq, incident, at, declared_hash and prev_hash, each
    /// length-prefixed as in [`event_hash`].
    pub fn computed_hash(&self) -> String {
        let mut h = Sha256::new();
        let seq = self.seq.to_string();
        for part in [
            "cverun.store-log/1",
            &seq,
            &self.incident,
            &self.at,
            &self.declared_hash,
            &self.prev_hash,
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        hex(&h.finalize())
    }
}

/// The parts a store-log entry's MAC covers.
pub fn log_mac_parts(hash: &str, simulated: bool) -> [&[u8]; 3] {
    [
        b"cverun.store-log-mac/1",
        mode(simulated).as_bytes(),
        hash.as_bytes(),
    ]
}

/// Checks the store's log (`entries` in seq order) against the incidents stored
/// (`(id, hash of its first event)`): numbers missing (deleted incidents), entries
/// edited, unchained or unsigned, incidents the log does not hold (inserted), and
/// declarations that are not the ones the log recorded.
pub fn verify_log(
    entries: &[LogEntry],
    incidents: &[(String, Option<String>)],
    keys: &Keyring,
    simulated: bool,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let stored: HashMap<&str, Option<&str>> = incidents
        .iter()
        .map(|(id, h)| (id.as_str(), h.as_deref()))
        .collect();
    let mut expected = 1u64;
    let mut prev = GENESIS.to_owned();
    for (i, e) in entries.iter().enumerate() {
        let position = i as u64 + 1;
        let mut reported = false;
        if e.seq > expected {
            let missing = if e.seq - expected == 1 {
                format!("store number {expected} is")
            } else {
                format!("store numbers {expected} to {} are", e.seq - 1)
            };
            problems.push(Problem {
                kind: ProblemKind::Deleted,
                position,
                seq: expected,
                message: format!(
                    "{missing} missing before {} (number {}): an incident was deleted (deleted)",
                    e.incident, e.seq
                ),
            });
        } else if e.computed_hash() != e.hash {
            reported = true;
            problems.push(Problem {
                kind: ProblemKind::Edited,
                position,
                seq: e.seq,
                message: format!(
                    "store log entry {} ({}) does not match its hash (edited)",
                    e.seq, e.incident
                ),
            });
        } else if e.prev_hash != prev {
            reported = true;
            problems.push(Problem {
                kind: ProblemKind::Edited,
                position,
                seq: e.seq,
                message: format!(
                    "store log entry {} ({}) does not follow the entry before it (edited)",
                    e.seq, e.incident
                ),
            });
        }
        if !reported {
            if keys.is_empty() {
                if position == 1 {
                    problems.push(no_key("entries of the store log", entries.len()));
                }
            } else {
                let check = keys.check(
                    Some(&e.key_id),
                    Some(&e.mac),
                    &log_mac_parts(&e.hash, simulated),
                );
                let what = format!("store log entry {} ({})", e.seq, e.incident);
                problems.extend(mac_problem(check, position, e.seq, &what, keys));
            }
        }
        match stored.get(e.incident.as_str()) {
            None => problems.push(Problem {
                kind: ProblemKind::Deleted,
                position,
                seq: e.seq,
                message: format!(
                    "incident {} (store number {}) was deleted (deleted)",
                    e.incident, e.seq
                ),
            }),
            Some(first) if *first != Some(e.declared_hash.as_str()) => problems.push(Problem {
                kind: ProblemKind::Edited,
                position,
                seq: e.seq,
                message: format!(
                    "the declaration of {} is not the one the store log recorded (edited)",
                    e.incident
                ),
            }),
            Some(_) => {}
        }
        prev = e.hash.clone();
        expected = e.seq.saturating_add(1);
    }
    let logged: HashSet<&str> = entries.iter().map(|e| e.incident.as_str()).collect();
    for (id, _) in incidents {
        if !logged.contains(id.as_str()) {
            problems.push(Problem {
                kind: ProblemKind::Inserted,
                position: entries.len() as u64 + 1,
                seq: 0,
                message: format!(
                    "incident {id} has no number in the store's signed log (inserted, or declared before the log existed)"
                ),
            });
        }
    }
    problems
}

/// A head taken earlier and kept outside the database: the name (an incident id,
/// or `store` for the store's log), the seq and hash of its last record, and a
/// MAC binding them. Written `NAME:SEQ:HASH:MAC`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Anchor {
    /// The incident id, or [`STORE_ANCHOR`].
    pub name: String,
    /// The last seq.
    pub seq: u64,
    /// The last hash.
    pub hash: String,
    /// HMAC-SHA256 of (tag `cverun.head/1`, mode, name, seq, hash).
    pub mac: String,
}

/// The name of the store log's head.
pub const STORE_ANCHOR: &str = "store";

impl Anchor {
    fn parts<'a>(name: &'a str, seq: &'a str, hash: &'a str, simulated: bool) -> [&'a [u8]; 5] {
        [
            b"cverun.head/1",
            mode(simulated).as_bytes(),
            name.as_bytes(),
            seq.as_bytes(),
            hash.as_bytes(),
        ]
    }

    /// The head `name` at (`seq`, `hash`), signed with `key`.
    pub fn new(name: &str, seq: u64, hash: &str, key: &Key, simulated: bool) -> Anchor {
        let s = seq.to_string();
        Anchor {
            name: name.to_owned(),
            seq,
            hash: hash.to_owned(),
            mac: key.mac(&Anchor::parts(name, &s, hash, simulated)),
        }
    }

    /// Whether a key of `keys` made this head's MAC.
    pub fn authentic(&self, keys: &Keyring, simulated: bool) -> bool {
        let s = self.seq.to_string();
        keys.check_any(
            &self.mac,
            &Anchor::parts(&self.name, &s, &self.hash, simulated),
        )
    }

    /// Reads `NAME:SEQ:HASH:MAC`.
    pub fn parse(text: &str) -> Result<Anchor, String> {
        let t = text.trim();
        let mut parts = t.rsplitn(4, ':');
        let (Some(mac), Some(hash), Some(seq), Some(name)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(format!(
                "{t:?} is not a head: expected NAME:SEQ:HASH:MAC as `cverun incident head` prints it"
            ));
        };
        let seq = seq
            .parse::<u64>()
            .map_err(|_| format!("{t:?} is not a head: the seq {seq:?} is not a number"))?;
        let is_hex = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
        if !is_hex(hash) || !is_hex(mac) || name.is_empty() {
            return Err(format!(
                "{t:?} is not a head: expected NAME:SEQ:HASH:MAC with 64 hex digits each for HASH and MAC"
            ));
        }
        Ok(Anchor {
            name: name.to_owned(),
            seq,
            hash: hash.to_ascii_lowercase(),
            mac: mac.to_ascii_lowercase(),
        })
    }
}

impl std::fmt::Display for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}:{}", self.name, self.seq, self.hash, self.mac)
    }
}

/// Checks that a chain whose records are `(seq, hash)` (in seq order) still reaches
/// `anchor`: its MAC is valid under `keys`, the chain has a record at its seq, and
/// that record's hash is the anchor's.
pub fn check_anchor(
    records: &[(u64, String)],
    anchor: &Anchor,
    keys: &Keyring,
    simulated: bool,
) -> Vec<Problem> {
    if !anchor.authentic(keys, simulated) {
        return vec![Problem {
            kind: ProblemKind::ForgedMac,
            position: 0,
            seq: anchor.seq,
            message: format!(
                "the expected head {}:{} does not carry a valid MAC under the available keys (a forged head, or one signed with a key that is not available)",
                anchor.name, anchor.seq
            ),
        }];
    }
    match records.iter().position(|(s, _)| *s == anchor.seq) {
        Some(i) if records[i].1 == anchor.hash => Vec::new(),
        Some(i) => vec![Problem {
            kind: ProblemKind::Edited,
            position: i as u64 + 1,
            seq: anchor.seq,
            message: format!(
                "the record at seq {} is not the one the expected head recorded (hash {} instead of {}): rewritten after the head was taken (edited)",
                anchor.seq,
                records[i].1.chars().take(12).collect::<String>(),
                anchor.hash.chars().take(12).collect::<String>()
            ),
        }],
        None => {
            let last = records.last().map(|(s, _)| *s).unwrap_or(0);
            vec![Problem {
                kind: ProblemKind::Truncated,
                position: records.len() as u64 + 1,
                seq: anchor.seq,
                message: format!(
                    "{} ends at seq {last}, but the expected head is at seq {}: records were removed from the end (truncated)",
                    if anchor.name == STORE_ANCHOR {
                        "the store log".to_owned()
                    } else {
                        format!("the timeline of {}", anchor.name)
                    },
                    anchor.seq
                ),
            }]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventBody;
    use crate::model::ApprovalKind;

    fn chain(n: u64) -> (Vec<Event>, Head) {
        let mut prev = GENESIS.to_owned();
        let mut out = Vec::new();
        for seq in 1..=n {
            let at: jiff::Timestamp = format!("2026-11-23T12:{:02}:00Z", seq % 60)
                .parse()
                .unwrap();
            let body = EventBody::Approved {
                kind: if seq % 2 == 0 {
                    ApprovalKind::Technical
                } else {
                    ApprovalKind::Security
                },
            };
            let e = Event::new(
                "INC-2026-11-23-1",
                seq,
                at,
                &format!("user{seq}"),
                &body,
                &prev,
            );
            prev = e.hash.clone();
            out.push(e);
        }
        let head = Head { seq: n, hash: prev };
        (out, head)
    }

    fn kinds(p: &[Problem]) -> Vec<(ProblemKind, u64, u64)> {
        p.iter().map(|p| (p.kind, p.position, p.seq)).collect()
    }

    #[test]
    fn canonical_json_sorts_keys_and_has_no_spaces() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"b": [1, {"z": null, "a": "\u00e9\n"}], "a": true}"#).unwrap();
        assert_eq!(
            canonical_json(&v),
            "{\"a\":true,\"b\":[1,{\"a\":\"é\\n\",\"z\":null}]}"
        );
    }

    #[test]
    fn the_hash_covers_every_field() {
        let base = event_hash("I", 1, "t", "a", "k", "{}", GENESIS);
        assert_eq!(base.len(), 64);
        assert_ne!(base, event_hash("I", 2, "t", "a", "k", "{}", GENESIS));
        assert_ne!(base, event_hash("J", 1, "t", "a", "k", "{}", GENESIS));
        assert_ne!(base, event_hash("I", 1, "u", "a", "k", "{}", GENESIS));
        assert_ne!(base, event_hash("I", 1, "t", "b", "k", "{}", GENESIS));
        assert_ne!(base, event_hash("I", 1, "t", "a", "l", "{}", GENESIS));
        assert_ne!(base, event_hash("I", 1, "t", "a", "k", "{ }", GENESIS));
        assert_ne!(
            base,
            event_hash("I", 1, "t", "a", "k", "{}", &"1".repeat(64))
        );
        // Field boundaries are unambiguous.
        assert_ne!(
            event_hash("I", 1, "t", "ab", "k", "{}", GENESIS),
            event_hash("I", 1, "ta", "b", "k", "{}", GENESIS)
        );
    }

    #[test]
    fn an_intact_chain_verifies() {
        let (events, head) = chain(6);
        assert_eq!(verify(&events, &head), vec![]);
        assert_eq!(
            verify(
                &[],
                &Head {
                    seq: 0,
                    hash: GENESIS.into()
                }
            ),
            vec![]
        );
    }

    #[test]
    fn an_edit_is_named() {
        let (mut events, head) = chain(6);
        events[2].details = r#"{"as":"technical"}"#.into();
        assert_eq!(
            kinds(&verify(&events, &head)),
            vec![(ProblemKind::Edited, 3, 3)]
        );
        let (mut events, head) = chain(6);
        events[4].actor = "mallory".into();
        assert_eq!(
            kinds(&verify(&events, &head)),
            vec![(ProblemKind::Edited, 5, 5)]
        );
    }

    #[test]
    fn a_deletion_is_named() {
        let (mut events, head) = chain(6);
        events.remove(2);
        assert_eq!(
            kinds(&verify(&events, &head)),
            vec![(ProblemKind::Deleted, 3, 3)]
        );
        let (mut events, head) = chain(6);
        events.truncate(4);
        let p = verify(&events, &head);
        assert_eq!(kinds(&p), vec![(ProblemKind::Deleted, 5, 5)]);
        assert!(p[0].message.contains("seqs 5 to 6"), "{}", p[0].message);
    }

    #[test]
    fn a_forged_event_is_named_even_with_a_valid_hash() {
        let (mut events, head) = chain(4);
        let forged = Event::new(
            "INC-2026-11-23-1",
            5,
            jiff::Timestamp::UNIX_EPOCH,
            "mallory",
            &EventBody::Approved {
                kind: ApprovalKind::Security,
            },
            &head.hash,
        );
        events.push(forged);
        assert_eq!(
            kinds(&verify(&events, &head)),
            vec![(ProblemKind::Inserted, 5, 5)]
        );
        // In the middle, with the seqs after it shifted and the head moved on.
        let (mut events, _) = chain(4);
        let forged = Event::new(
            "INC-2026-11-23-1",
            3,
            jiff::Timestamp::UNIX_EPOCH,
            "mallory",
            &EventBody::Approved {
                kind: ApprovalKind::Security,
            },
            &events[1].hash,
        );
        for e in &mut events[2..] {
            e.seq += 1;
        }
        events.insert(2, forged);
        let head = Head {
            seq: 5,
            hash: events[4].hash.clone(),
        };
        let p = kinds(&verify(&events, &head));
        assert!(p.contains(&(ProblemKind::Inserted, 3, 3)), "{p:?}");
        assert!(p.contains(&(ProblemKind::Reordered, 4, 4)), "{p:?}");
        assert!(p.contains(&(ProblemKind::Reordered, 5, 5)), "{p:?}");
    }

    #[test]
    fn swapped_seqs_are_named() {
        let (mut events, head) = chain(6);
        events[1].seq = 3;
        events[2].seq = 2;
        events.swap(1, 2);
        let p = verify(&events, &head);
        assert_eq!(
            kinds(&p),
            vec![
                (ProblemKind::Reordered, 2, 2),
                (ProblemKind::Reordered, 3, 3)
            ]
        );
        assert!(
            p[0].message.contains("recorded as seq 3"),
            "{}",
            p[0].message
        );
    }

    #[test]
    fn a_moved_head_is_named() {
        let (events, mut head) = chain(3);
        head.hash = "f".repeat(64);
        assert_eq!(
            kinds(&verify(&events, &head)),
            vec![(ProblemKind::Edited, 3, 3)]
        );
    }
    #[test]
    fn heads_print_parse_and_authenticate() {
        let key = crate::key::Key::from_bytes(vec![3; 32]).unwrap();
        let a = Anchor::new("INC-2026-11-23-1", 12, &"ab".repeat(32), &key, false);
        let text = a.to_string();
        assert!(text.starts_with("INC-2026-11-23-1:12:abab"), "{text}");
        let b = Anchor::parse(&format!("  {text}\n")).unwrap();
        assert_eq!(a, b);
        let ring = Keyring::new(Some(key), vec![]);
        assert!(b.authentic(&ring, false));
        assert!(!b.authentic(&ring, true), "the clock mode is bound");
        assert!(!b.authentic(&Keyring::none(), false));
        let mut moved = b.clone();
        moved.seq = 11;
        assert!(!moved.authentic(&ring, false));
        for bad in [
            "",
            "INC-1:12:abc",
            &format!("INC-1:x:{}:{}", "a".repeat(64), "b".repeat(64)),
            &format!(":1:{}:{}", "a".repeat(64), "b".repeat(64)),
            &format!("INC-1:1:{}:{}", "a".repeat(63), "b".repeat(64)),
        ] {
            assert!(
                Anchor::parse(bad).unwrap_err().contains("not a head"),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_store_log_names_gaps_and_strangers() {
        let key = crate::key::Key::from_bytes(vec![5; 32]).unwrap();
        let ring = Keyring::new(Some(key.clone()), vec![]);
        let mut entries = Vec::new();
        let mut prev = GENESIS.to_owned();
        for n in 1..=4u64 {
            let e = LogEntry::new(
                n,
                &format!("INC-{n}"),
                "t",
                &format!("h{n}"),
                &prev,
                &key,
                true,
            );
            prev = e.hash.clone();
            entries.push(e);
        }
        let stored = |ids: &[u64]| -> Vec<(String, Option<String>)> {
            ids.iter()
                .map(|n| (format!("INC-{n}"), Some(format!("h{n}"))))
                .collect()
        };
        assert_eq!(
            verify_log(&entries, &stored(&[1, 2, 3, 4]), &ring, true),
            vec![]
        );
        let mut gap = entries.clone();
        gap.remove(1);
        let p = verify_log(&gap, &stored(&[1, 3, 4]), &ring, true);
        assert_eq!(kinds(&p), vec![(ProblemKind::Deleted, 2, 2)]);
        let p = verify_log(&entries, &stored(&[1, 2, 3, 4, 5]), &ring, true);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].kind, ProblemKind::Inserted);
        assert!(p[0].message.contains("INC-5"), "{}", p[0].message);
        let p = verify_log(&entries, &stored(&[1, 2, 3, 4]), &ring, false);
        assert_eq!(p.len(), 4, "signed as simulated: {p:?}");
        assert!(p.iter().all(|p| p.kind == ProblemKind::ForgedMac));
    }
}
