//! The delivery worker: leases due messages from the incident store's outbox,
//! sends each through its channel, and records every attempt.
//!
//! The decisions are pure functions ([`RetryPolicy`], [`after_send`],
//! [`after_lookup`], [`before_send`]) of the channel's answer, the attempt's
//! number, the message's age, the time and a random draw; [`Worker`] does the
//! I/O around them (store, network, threads).
//!
//! How an answer is recorded:
//!
//! | channel answer | recorded |
//! | --- | --- |
//! | delivered | `delivered` |
//! | retry (408, 429, 5xx, nothing sent) | `retry` after a backoff (`Retry-After` as a floor); `dead` once the attempts or the age run out |
//! | permanent (another 4xx, a payload refused) | `dead` |
//! | unknown (sent, no answer), channel deduplicating (webhook, PagerDuty, email) | `retry`: a second copy is dropped by the receiver |
//! | unknown, channel not deduplicating | looked up by key ([`Channel::find_sent`]): found `delivered`, not found `retry`, no lookup `unknown` (a person decides, `cverun notify replay`) |
//!
//! A message leased before whose lease ended with no attempt recorded (a
//! worker stopped between sending and recording), or tried before (a
//! replayed `unknown`, a retry), may already be at the receiver: a channel
//! that does not deduplicate looks it up before sending again
//! ([`look_up_first`]); one without a lookup sends again (at least once).
//!
//! Messages of different (incident, channel) pairs are sent concurrently by a
//! few threads; the store leases at most the oldest message of a pair, so the
//! order within a pair holds.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cverun_incident::Store;
use cverun_incident::outbox::{self, Attempt, Leased, MessageId, MessageState};
use jiff::Timestamp;

use crate::channel::{Lookup, Outcome, OutgoingMessage};
use crate::config::BoxChannel;

/// When to try again, and when to give up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The ceiling of the first wait; it doubles with each failed attempt.
    pub base: Duration,
    /// The largest ceiling.
    pub cap: Duration,
    /// Attempts before a message is dead.
    pub max_attempts: u64,
    /// Age (since queueing) after which a failed message is dead.
    pub max_age: Duration,
    /// The longest `Retry-After` honoured (a longer one is cut to this).
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 2 s doubling up to 10 min, 12 attempts, 24 h, `Retry-After` up to 1 h.
    fn default() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(600),
            max_attempts: 12,
            max_age: Duration::from_secs(24 * 3600),
            max_retry_after: Duration::from_secs(3600),
        }
    }
}

impl RetryPolicy {
    /// The ceiling of the wait after failed attempt `attempt` (from 1):
    /// `min(cap, base * 2^(attempt - 1))`.
    pub fn ceiling(&self, attempt: u64) -> Duration {
        let shift = u32::try_from(attempt.saturating_sub(1)).unwrap_or(u32::MAX);
        let factor = 1u32.checked_shl(shift.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The wait after failed attempt `attempt`: full jitter (uniform in
    /// `[0, ceiling]`, drawn from `draw`), but never less than the provider's
    /// `Retry-After` (itself at most `max_retry_after`).
    pub fn delay(&self, attempt: u64, retry_after: Option<Duration>, draw: u64) -> Duration {
        let ceiling = u64::try_from(self.ceiling(attempt).as_millis()).unwrap_or(u64::MAX);
        let jittered = Duration::from_millis(draw % ceiling.saturating_add(1));
        match retry_after {
            Some(floor) => jittered.max(floor.min(self.max_retry_after)),
            None => jittered,
        }
    }

    /// Why a message failing its attempt `attempt`, queued `age` ago, is given
    /// up, or `None` when it may be tried again.
    pub fn exhausted(&self, attempt: u64, age: Duration) -> Option<String> {
        if attempt >= self.max_attempts {
            Some(format!("gave up after {attempt} attempts"))
        } else if age >= self.max_age {
            Some(format!(
                "gave up: queued {} s ago (at most {} s)",
                age.as_secs(),
                self.max_age.as_secs()
            ))
        } else {
            None
        }
    }
}

/// What is known about the attempt being decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Facts {
    /// This attempt's number (from 1).
    pub attempt: u64,
    /// Since the message was queued.
    pub age: Duration,
    /// Now.
    pub now: Timestamp,
    /// A random draw for the jitter.
    pub draw: u64,
}

/// What to do after a send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Record this outcome.
    Record(outbox::Outcome),
    /// The receiver may have it: look it up by key, then [`after_lookup`].
    LookUp {
        /// Why the outcome is unknown.
        reason: String,
    },
}

fn retry(
    policy: &RetryPolicy,
    f: &Facts,
    after: Option<Duration>,
    reason: String,
) -> outbox::Outcome {
    if let Some(why) = policy.exhausted(f.attempt, f.age) {
        return outbox::Outcome::Dead {
            reason: format!("{why}; last: {reason}"),
        };
    }
    let wait = policy.delay(f.attempt, after, f.draw);
    let not_before = f
        .now
        .checked_add(jiff::SignedDuration::try_from(wait).unwrap_or(jiff::SignedDuration::MAX))
        .unwrap_or(f.now);
    outbox::Outcome::Retry { not_before, reason }
}

/// The outcome to record after a send answered `outcome`, on a channel that
/// deduplicates (`dedup`) or not.
pub fn after_send(policy: &RetryPolicy, f: &Facts, outcome: &Outcome, dedup: bool) -> Step {
    Step::Record(match outcome {
        Outcome::Delivered { .. } => outbox::Outcome::Delivered,
        Outcome::Retry { after, reason, .. } => retry(policy, f, *after, reason.clone()),
        Outcome::Permanent { reason, .. } => outbox::Outcome::Dead {
            reason: reason.clone(),
        },
        Outcome::Unknown { reason } if dedup => retry(
            policy,
            f,
            None,
            format!("{reason} (the receiver drops a second copy: sent again)"),
        ),
        Outcome::Unknown { reason } => {
            return Step::LookUp {
                reason: reason.clone(),
            };
        }
    })
}

/// The outcome to record after a send whose outcome was unknown (`reason`)
/// and the channel's lookup of the message by key.
pub fn after_lookup(
    policy: &RetryPolicy,
    f: &Facts,
    reason: &str,
    lookup: &Lookup,
) -> outbox::Outcome {
    match lookup {
        Lookup::Found => outbox::Outcome::Delivered,
        Lookup::NotFound => retry(
            policy,
            f,
            None,
            format!("{reason} (looked up: not received)"),
        ),
        Lookup::Unsupported => outbox::Outcome::Unknown {
            reason: format!(
                "{reason}; the channel cannot look the message up and does not drop duplicates: check whether it arrived, then `cverun notify replay` it if not"
            ),
        },
        Lookup::Failed { reason: why } => outbox::Outcome::Unknown {
            reason: format!(
                "{reason}; looking it up failed ({why}): check whether it arrived, then `cverun notify replay` it if not"
            ),
        },
    }
}

/// Before sending a message whose earlier lease ended with nothing recorded:
/// `None` to send it, or the outcome to record instead, from the channel's
/// lookup.
pub fn before_send(policy: &RetryPolicy, f: &Facts, lookup: &Lookup) -> Option<outbox::Outcome> {
    match lookup {
        Lookup::Unsupported | Lookup::NotFound => None,
        Lookup::Found => Some(outbox::Outcome::Delivered),
        Lookup::Failed { reason } => Some(retry(
            policy,
            f,
            None,
            format!(
                "an earlier send may have arrived and looking it up failed ({reason}): not sent again yet"
            ),
        )),
    }
}

/// Whether a message is looked up by key before it is sent: on a channel that
/// does not deduplicate, whenever it may be at the receiver already. That is
/// after a lease that ended with nothing recorded (`leases >= attempt`: a
/// worker may have sent it and stopped before recording), and on any attempt
/// after the first (`attempt > 1`): an earlier send may have arrived even
/// though it was recorded otherwise, as when it ended `unknown` (its lookup
/// failed) and a person replayed it, or when a lookup answered "not received"
/// while the receiver was still processing the post. A channel without a
/// lookup answers [`Lookup::Unsupported`] at no cost, and the message is sent.
pub fn look_up_first(attempt: u64, leases: u64, dedup: bool) -> bool {
    !dedup && (attempt > 1 || leases >= attempt)
}

/// Removes URLs from a reason (a webhook URL is a credential).
pub fn scrub(reason: &str) -> String {
    reason
        .split(' ')
        .map(|w| {
            if let Some(i) = w.find("http://").or_else(|| w.find("https://")) {
                format!("{}<url>", &w[..i])
            } else {
                w.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A small xorshift64* generator for the jitter (seedable for tests).
#[derive(Clone, Debug)]
pub struct Jitter(u64);

impl Jitter {
    /// A generator from `seed` (0 is replaced by a constant).
    pub fn new(seed: u64) -> Jitter {
        Jitter(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// Seeded from the clock and the process id.
    pub fn from_entropy() -> Jitter {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        Jitter::new(t ^ (u64::from(std::process::id()) << 32))
    }

    /// The next draw.
    pub fn draw(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// One message's result in a run.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Delivery {
    /// The message.
    pub id: MessageId,
    /// Its channel's name.
    pub channel: String,
    /// The state it moved to (`None`: the attempt could not be recorded).
    pub state: Option<MessageState>,
    /// Why it failed, if it did.
    pub reason: Option<String>,
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunReport {
    /// Messages leased.
    pub leased: usize,
    /// Per message.
    pub deliveries: Vec<Delivery>,
    /// Configuration errors met (a message's channel missing or unusable).
    pub config_errors: Vec<String>,
    /// Attempts the store refused (the lease was lost: sent, but another
    /// worker holds the message now).
    pub lost: usize,
}

impl RunReport {
    /// Messages that moved to `state`.
    pub fn count(&self, state: MessageState) -> usize {
        self.deliveries
            .iter()
            .filter(|d| d.state == Some(state))
            .count()
    }

    /// Whether any message ended dead or unknown.
    pub fn failed(&self) -> bool {
        self.count(MessageState::Dead) + self.count(MessageState::Unknown) > 0
    }

    fn absorb(&mut self, other: RunReport) {
        self.leased += other.leased;
        self.deliveries.extend(other.deliveries);
        for e in other.config_errors {
            if !self.config_errors.contains(&e) {
                self.config_errors.push(e);
            }
        }
        self.lost += other.lost;
    }
}

/// The time a worker decides with.
pub type Now = Box<dyn Fn(&Store) -> Timestamp + Send + Sync>;

/// The store's time: a simulated store's, else the system clock.
pub fn store_now(store: &Store) -> Timestamp {
    match store.clock() {
        cverun_incident::store::Clock::Simulated(t) => t,
        cverun_incident::store::Clock::System => Timestamp::now(),
    }
}

/// A delivery worker.
pub struct Worker {
    /// Its name (recorded with each attempt; unique per process).
    pub name: String,
    /// The channels it sends through, by name.
    pub channels: BTreeMap<String, BoxChannel>,
    /// Channels configured but unusable, and why (messages for them wait).
    pub broken: BTreeMap<String, String>,
    /// Where the channels are configured (for messages).
    pub source: String,
    /// The longest wait for each step of a send.
    pub timeout: Duration,
    /// How long a lease lasts (longer than a send and a lookup).
    pub lease: Duration,
    /// Messages leased at a time.
    pub batch: usize,
    /// Threads sending at once.
    pub threads: usize,
    /// Retries and giving up.
    pub policy: RetryPolicy,
    /// The time.
    pub now: Now,
    jitter: Mutex<Jitter>,
}

/// A worker that cannot run as configured.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct WorkerError(pub String);

/// The result of one message's send, before it is recorded.
struct Sent {
    leased: Leased,
    attempt: Attempt,
    config_error: Option<String>,
}

impl Worker {
    /// A worker named `name` over `channels`, with the defaults: 10 s timeout,
    /// 60 s lease, 32 per batch, 4 threads, [`RetryPolicy::default`].
    pub fn new(name: &str, channels: BTreeMap<String, BoxChannel>) -> Worker {
        Worker {
            name: name.to_owned(),
            channels,
            broken: BTreeMap::new(),
            source: "the runbook file".into(),
            timeout: Duration::from_secs(10),
            lease: Duration::from_secs(60),
            batch: 32,
            threads: 4,
            policy: RetryPolicy::default(),
            now: Box::new(store_now),
            jitter: Mutex::new(Jitter::from_entropy()),
        }
    }

    /// Seeds the jitter (tests).
    pub fn seed(&mut self, seed: u64) {
        self.jitter = Mutex::new(Jitter::new(seed));
    }

    /// Checks the settings: a lease must outlast a send and a lookup (three
    /// timeouts), a batch and the threads are at least 1.
    pub fn check(&self) -> Result<(), WorkerError> {
        if self.timeout.is_zero() {
            return Err(WorkerError("the send timeout must be more than 0".into()));
        }
        if self.lease < self.timeout.saturating_mul(3) {
            return Err(WorkerError(format!(
                "a lease of {} ms is shorter than three send timeouts ({} ms each): another worker could take a message while it is being sent",
                self.lease.as_millis(),
                self.timeout.as_millis()
            )));
        }
        if self.batch == 0 || self.threads == 0 {
            return Err(WorkerError("batch and threads must be at least 1".into()));
        }
        if self.policy.max_attempts == 0 {
            return Err(WorkerError("max attempts must be at least 1".into()));
        }
        Ok(())
    }

    fn draw(&self) -> u64 {
        self.jitter.lock().unwrap_or_else(|e| e.into_inner()).draw()
    }

    /// Leases the due messages (up to the batch), sends them, and records each
    /// attempt.
    pub fn run_once(&self, store: &mut Store) -> Result<RunReport, WorkerError> {
        self.check()?;
        let leased = store
            .lease(&self.name, self.batch, self.lease)
            .map_err(|e| WorkerError(format!("leasing messages: {e}")))?;
        let mut report = RunReport {
            leased: leased.len(),
            ..RunReport::default()
        };
        if leased.is_empty() {
            return Ok(report);
        }
        let now = (self.now)(store);
        let queue = Mutex::new(
            leased
                .into_iter()
                .collect::<std::collections::VecDeque<_>>(),
        );
        let (tx, rx) = mpsc::channel::<Sent>();
        std::thread::scope(|scope| {
            for _ in 0..self.threads.min(report.leased) {
                let tx = tx.clone();
                let queue = &queue;
                scope.spawn(move || {
                    loop {
                        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                        let Some(l) = next else { break };
                        if tx.send(self.deliver(l, now)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            // Each outcome is recorded as soon as it is known.
            for sent in rx {
                self.record(store, sent, &mut report);
            }
        });
        Ok(report)
    }

    fn record(&self, store: &mut Store, sent: Sent, report: &mut RunReport) {
        if let Some(e) = &sent.config_error {
            if !report.config_errors.contains(e) {
                report.config_errors.push(e.clone());
            }
        }
        let reason = sent.attempt.outcome.reason().map(str::to_owned);
        let state =
            match store.record_attempt(&sent.leased.id, &sent.leased.lease_token, &sent.attempt) {
                Ok(s) => Some(s),
                Err(e) => {
                    report.lost += 1;
                    report.deliveries.push(Delivery {
                        id: sent.leased.id,
                        channel: sent.leased.channel,
                        state: None,
                        reason: Some(e.to_string()),
                    });
                    return;
                }
            };
        report.deliveries.push(Delivery {
            id: sent.leased.id,
            channel: sent.leased.channel,
            state,
            reason,
        });
    }

    /// Sends one leased message (decode, look up if needed, send, decide).
    fn deliver(&self, leased: Leased, now: Timestamp) -> Sent {
        let age = now
            .duration_since(leased.queued_at)
            .try_into()
            .unwrap_or(Duration::ZERO);
        let facts = Facts {
            attempt: leased.attempt,
            age,
            now,
            draw: self.draw(),
        };
        let attempt = |outcome: outbox::Outcome,
                       status: Option<u16>,
                       latency_ms: u64,
                       sha: Option<String>| Attempt {
            outcome: scrubbed(outcome),
            status: status.filter(|s| *s > 0),
            latency_ms,
            response_sha256: sha,
            at: now,
        };
        let Some(channel) = self.channels.get(&leased.channel) else {
            let why = match self.broken.get(&leased.channel) {
                Some(e) => format!("configuration error: {e}"),
                None => format!(
                    "configuration error: channel {:?} is not configured in {} ([notify.channel.{}])",
                    leased.channel, self.source, leased.channel
                ),
            };
            // Not the message's fault: it waits (the policy's cap) and is never
            // given up for it.
            let not_before = now
                .checked_add(
                    jiff::SignedDuration::try_from(self.policy.cap)
                        .unwrap_or(jiff::SignedDuration::MAX),
                )
                .unwrap_or(now);
            return Sent {
                attempt: attempt(
                    outbox::Outcome::Retry {
                        not_before,
                        reason: why.clone(),
                    },
                    None,
                    0,
                    None,
                ),
                leased,
                config_error: Some(why),
            };
        };
        let msg = match OutgoingMessage::from_body(&leased.body) {
            Ok(m) => m,
            Err(e) => {
                return Sent {
                    attempt: attempt(
                        outbox::Outcome::Dead {
                            reason: format!("the queued body cannot be sent: {e}"),
                        },
                        None,
                        0,
                        None,
                    ),
                    leased,
                    config_error: None,
                };
            }
        };
        if msg.key != leased.key {
            return Sent {
                attempt: attempt(
                    outbox::Outcome::Dead {
                        reason: format!(
                            "the queued body's key {:?} is not the message's idempotency key {:?}",
                            msg.key, leased.key
                        ),
                    },
                    None,
                    0,
                    None,
                ),
                leased,
                config_error: None,
            };
        }
        let start = Instant::now();
        let ms = |s: Instant| u64::try_from(s.elapsed().as_millis()).unwrap_or(u64::MAX);
        // The message may be there already: look it up first.
        if look_up_first(leased.attempt, leased.leases, channel.deduplicates()) {
            let lookup = channel.find_sent(&msg, self.timeout);
            if let Some(o) = before_send(&self.policy, &facts, &lookup) {
                return Sent {
                    attempt: attempt(o, None, ms(start), None),
                    leased,
                    config_error: None,
                };
            }
        }
        let sent = channel.send(&msg, self.timeout);
        let (status, latency, sha) = match &sent {
            Outcome::Delivered {
                status,
                latency_ms,
                response_sha256,
            } => (Some(*status), *latency_ms, Some(response_sha256.clone())),
            Outcome::Retry { status, .. } | Outcome::Permanent { status, .. } => {
                (Some(*status), ms(start), None)
            }
            Outcome::Unknown { .. } => (None, ms(start), None),
        };
        let outcome = match after_send(&self.policy, &facts, &sent, channel.deduplicates()) {
            Step::Record(o) => o,
            Step::LookUp { reason } => {
                let lookup = channel.find_sent(&msg, self.timeout);
                after_lookup(&self.policy, &facts, &reason, &lookup)
            }
        };
        Sent {
            attempt: attempt(outcome, status, latency, sha),
            leased,
            config_error: None,
        }
    }

    /// Runs until nothing is due (messages to retry later are left for a later
    /// run); stops early when a run only met configuration errors.
    pub fn run_until_idle(&self, store: &mut Store) -> Result<RunReport, WorkerError> {
        let mut total = RunReport::default();
        loop {
            let r = self.run_once(store)?;
            let leased = r.leased;
            let only_config = leased > 0
                && r.deliveries.iter().all(|d| {
                    d.reason
                        .as_deref()
                        .is_some_and(|x| x.starts_with("configuration error"))
                });
            total.absorb(r);
            if leased == 0 || only_config {
                return Ok(total);
            }
        }
    }

    /// Runs until `stop` is set: delivers what is due, then waits `poll`
    /// (checking `stop` every 50 ms), calling `each` with every non-empty
    /// run's report. A store error is reported to `each`'s caller through
    /// `on_error` and the loop goes on after the poll.
    pub fn follow(
        &self,
        store: &mut Store,
        stop: &AtomicBool,
        poll: Duration,
        each: &mut dyn FnMut(&RunReport),
        on_error: &mut dyn FnMut(&WorkerError),
    ) -> Result<(), WorkerError> {
        self.check()?;
        while !stop.load(Ordering::SeqCst) {
            match self.run_until_idle(store) {
                Ok(r) if r.leased > 0 => each(&r),
                Ok(_) => {}
                Err(e) => on_error(&e),
            }
            let until = Instant::now() + poll;
            while !stop.load(Ordering::SeqCst) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(50).min(poll));
            }
        }
        Ok(())
    }
}

fn scrubbed(o: outbox::Outcome) -> outbox::Outcome {
    match o {
        outbox::Outcome::Retry { not_before, reason } => outbox::Outcome::Retry {
            not_before,
            reason: scrub(&reason),
        },
        outbox::Outcome::Dead { reason } => outbox::Outcome::Dead {
            reason: scrub(&reason),
        },
        outbox::Outcome::Unknown { reason } => outbox::Outcome::Unknown {
            reason: scrub(&reason),
        },
        outbox::Outcome::Delivered => outbox::Outcome::Delivered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(2),
            max_attempts: 5,
            max_age: Duration::from_secs(3600),
            max_retry_after: Duration::from_secs(60),
        }
    }

    fn facts(attempt: u64) -> Facts {
        Facts {
            attempt,
            age: Duration::from_secs(10),
            now: "2026-11-23T12:00:00Z".parse().unwrap(),
            draw: 12345,
        }
    }

    fn wait_of(o: &outbox::Outcome) -> Duration {
        match o {
            outbox::Outcome::Retry { not_before, .. } => {
                Duration::try_from(not_before.duration_since(facts(1).now)).unwrap()
            }
            other => panic!("not a retry: {other:?}"),
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_full_jitter() {
        let p = policy();
        assert_eq!(p.ceiling(1), Duration::from_millis(100));
        assert_eq!(p.ceiling(2), Duration::from_millis(200));
        assert_eq!(p.ceiling(5), Duration::from_millis(1600));
        assert_eq!(p.ceiling(6), Duration::from_secs(2));
        assert_eq!(p.ceiling(500), Duration::from_secs(2));
        assert_eq!(p.ceiling(0), Duration::from_millis(100));
        let mut j = Jitter::new(7);
        let mut seen_low = false;
        let mut seen_high = false;
        for attempt in 1..12 {
            for _ in 0..500 {
                let d = p.delay(attempt, None, j.draw());
                assert!(
                    d <= p.ceiling(attempt),
                    "{d:?} over {:?}",
                    p.ceiling(attempt)
                );
                seen_low |= d < p.ceiling(attempt) / 4;
                seen_high |= d > p.ceiling(attempt) * 3 / 4;
            }
        }
        assert!(
            seen_low && seen_high,
            "the jitter spreads over [0, ceiling]"
        );
        // Retry-After is a floor, itself bounded.
        for _ in 0..100 {
            let d = p.delay(1, Some(Duration::from_secs(7)), j.draw());
            assert_eq!(d, Duration::from_secs(7));
        }
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(86_400)), 3),
            Duration::from_secs(60)
        );
        // The same seed draws the same waits.
        let (mut a, mut b) = (Jitter::new(42), Jitter::new(42));
        assert_eq!(
            (0..10).map(|_| a.draw()).collect::<Vec<_>>(),
            (0..10).map(|_| b.draw()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn answers_map_to_states() {
        let p = policy();
        let f = facts(1);
        let delivered = Outcome::Delivered {
            status: 202,
            latency_ms: 3,
            response_sha256: "00".repeat(32),
        };
        assert_eq!(
            after_send(&p, &f, &delivered, false),
            Step::Record(outbox::Outcome::Delivered)
        );
        let busy = Outcome::Retry {
            after: Some(Duration::from_secs(3)),
            status: 429,
            reason: "HTTP 429: slow down".into(),
        };
        let Step::Record(o) = after_send(&p, &f, &busy, false) else {
            panic!()
        };
        assert_eq!(wait_of(&o), Duration::from_secs(3));
        assert_eq!(o.reason(), Some("HTTP 429: slow down"));
        // The last attempt, or too old: dead, saying why.
        let Step::Record(o) = after_send(&p, &facts(5), &busy, false) else {
            panic!()
        };
        assert_eq!(o.state(), MessageState::Dead);
        assert!(
            o.reason()
                .unwrap()
                .starts_with("gave up after 5 attempts; last: HTTP 429")
        );
        let old = Facts {
            age: Duration::from_secs(3600),
            ..f
        };
        let Step::Record(o) = after_send(&p, &old, &busy, false) else {
            panic!()
        };
        assert!(o.reason().unwrap().contains("queued 3600 s ago"), "{o:?}");
        // Permanent: dead at once.
        let refused = Outcome::Permanent {
            status: 400,
            reason: "HTTP 400: invalid_payload".into(),
        };
        assert_eq!(
            after_send(&p, &f, &refused, true),
            Step::Record(outbox::Outcome::Dead {
                reason: "HTTP 400: invalid_payload".into()
            })
        );
        // Unknown: retried where duplicates are dropped, else looked up.
        let silent = Outcome::Unknown {
            reason: "timed out".into(),
        };
        let Step::Record(o) = after_send(&p, &f, &silent, true) else {
            panic!()
        };
        assert_eq!(o.state(), MessageState::Retry);
        assert!(wait_of(&o) <= p.ceiling(1));
        assert_eq!(
            after_send(&p, &f, &silent, false),
            Step::LookUp {
                reason: "timed out".into()
            }
        );
        assert_eq!(
            after_lookup(&p, &f, "timed out", &Lookup::Found),
            outbox::Outcome::Delivered
        );
        assert_eq!(
            after_lookup(&p, &f, "timed out", &Lookup::NotFound).state(),
            MessageState::Retry
        );
        let o = after_lookup(&p, &f, "timed out", &Lookup::Unsupported);
        assert_eq!(o.state(), MessageState::Unknown);
        assert!(o.reason().unwrap().contains("notify replay"));
        let o = after_lookup(
            &p,
            &f,
            "timed out",
            &Lookup::Failed {
                reason: "HTTP 500".into(),
            },
        );
        assert_eq!(o.state(), MessageState::Unknown);
        // Before resending after a lost lease.
        assert_eq!(before_send(&p, &f, &Lookup::Unsupported), None);
        assert_eq!(before_send(&p, &f, &Lookup::NotFound), None);
        assert_eq!(
            before_send(&p, &f, &Lookup::Found),
            Some(outbox::Outcome::Delivered)
        );
        assert_eq!(
            before_send(&p, &f, &Lookup::Failed { reason: "x".into() })
                .unwrap()
                .state(),
            MessageState::Retry
        );
    }

    #[test]
    fn a_resend_on_a_channel_without_deduplication_is_looked_up_first() {
        // The first send of a message never leased before: sent.
        assert!(!look_up_first(1, 0, false));
        // A worker stopped between sending and recording: looked up.
        assert!(look_up_first(1, 1, false));
        assert!(look_up_first(3, 4, false));
        // An earlier attempt was recorded (an unknown outcome replayed by a
        // person, a retry after a lookup found nothing): looked up as well,
        // never sent blindly.
        assert!(look_up_first(2, 1, false));
        assert!(look_up_first(5, 4, false));
        // A channel that drops duplicates itself is never looked up.
        for (attempt, leases) in [(1, 0), (1, 1), (2, 1), (5, 9)] {
            assert!(!look_up_first(attempt, leases, true));
        }
    }

    #[test]
    fn urls_are_scrubbed_from_reasons() {
        assert_eq!(
            scrub("could not connect: http://127.0.0.1:9/services/T0/B0/XXXX: refused"),
            "could not connect: <url> refused"
        );
        assert_eq!(
            scrub("bad uri (https://hooks.slack.com/services/T/B/SECRET)"),
            "bad uri (<url>"
        );
        assert_eq!(scrub("HTTP 500: oops"), "HTTP 500: oops");
    }
}
