//! Lengths of time as people write them in runbooks: `30m`, `2h`, `1h30m`, `3d`.

use std::fmt;
use std::str::FromStr;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A positive length of time, whole seconds. Written as a sequence of
/// `<number><unit>` with units `d` (24 hours), `h`, `m`, `s`, optionally separated
/// by spaces: `30m`, `2h`, `1h 30m`, `3d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Interval {
    seconds: i64,
}

impl Interval {
    /// `n` hours.
    pub const fn hours(n: i64) -> Interval {
        Interval { seconds: n * 3600 }
    }

    /// `n` minutes.
    pub const fn minutes(n: i64) -> Interval {
        Interval { seconds: n * 60 }
    }

    /// `n` seconds (at least one second).
    pub fn seconds_saturating(n: i64) -> Interval {
        Interval { seconds: n.max(1) }
    }

    /// The length in seconds.
    pub fn as_seconds(self) -> i64 {
        self.seconds
    }

    /// As a jiff duration.
    pub fn duration(self) -> SignedDuration {
        SignedDuration::from_secs(self.seconds)
    }

    /// `at + self`, saturating at the end of time (never panics).
    pub fn after(self, at: Timestamp) -> Timestamp {
        at.saturating_add(self.duration()).unwrap_or(Timestamp::MAX)
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", human(self.seconds))
    }
}

/// A length of time in seconds as `1h30m`, `45s`, `0s` (days are written as hours,
/// as deadlines are: `72h`).
pub fn human(seconds: i64) -> String {
    let mut s = seconds.unsigned_abs();
    let mut out = String::new();
    if seconds < 0 {
        out.push('-');
    }
    let h = s / 3600;
    s %= 3600;
    let m = s / 60;
    s %= 60;
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || (h == 0 && m == 0) {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// Like [`human`], rounded to minutes (seconds shown only under a minute), for
/// "time left" columns.
pub fn human_minutes(seconds: i64) -> String {
    if seconds.abs() < 60 {
        return human(seconds);
    }
    let rounded = (seconds / 60) * 60;
    human(rounded)
}

impl FromStr for Interval {
    type Err = String;
    fn from_str(text: &str) -> Result<Interval, String> {
        let bad = || {
            format!(
                "invalid length of time {text:?} (expected e.g. \"30m\", \"2h\", \"1h 30m\", \"3d\")"
            )
        };
        let mut total: i64 = 0;
        let mut rest = text.trim();
        if rest.is_empty() {
            return Err(bad());
        }
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(bad());
            }
            let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
            rest = &rest[digits..];
            let unit = rest.chars().next().ok_or_else(bad)?;
            let factor = match unit {
                'd' => 86_400,
                'h' => 3_600,
                'm' => 60,
                's' => 1,
                _ => return Err(bad()),
            };
            rest = rest[unit.len_utf8()..].trim_start();
            total = n
                .checked_mul(factor)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(bad)?;
        }
        // Far beyond any deadline (about 300 years), and keeps timestamp sums in range.
        if total > 10_000_000_000 {
            return Err(bad());
        }
        if total == 0 {
            return Err(format!("length of time {text:?} must be more than zero"));
        }
        Ok(Interval { seconds: total })
    }
}

impl Serialize for Interval {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Interval, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let p = |s: &str| s.parse::<Interval>().map(|i| i.as_seconds());
        assert_eq!(p("30m"), Ok(1800));
        assert_eq!(p("2h"), Ok(7200));
        assert_eq!(p("1h 30m"), Ok(5400));
        assert_eq!(p("1h30m15s"), Ok(5415));
        assert_eq!(p("3d"), Ok(259_200));
        assert!(p("").is_err());
        assert!(p("2").is_err());
        assert!(p("h").is_err());
        assert!(p("2x").is_err());
        assert!(p("-2h").is_err());
        assert!(p("0h").unwrap_err().contains("more than zero"));
        assert!(p("99999999999999999999d").is_err());
        assert_eq!(Interval::hours(72).to_string(), "72h");
        assert_eq!("1h 30m".parse::<Interval>().unwrap().to_string(), "1h30m");
        assert_eq!(human(0), "0s");
        assert_eq!(human(-3661), "-1h1m1s");
        assert_eq!(human_minutes(3661), "1h1m");
    }

    #[test]
    fn after_saturates() {
        let i: Interval = "1000d".parse().unwrap();
        assert!(i.after(Timestamp::MAX) == Timestamp::MAX);
        assert_eq!(
            Interval::hours(2)
                .after("2026-01-01T00:00:00Z".parse().unwrap())
                .to_string(),
            "2026-01-01T02:00:00Z"
        );
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(s in ".{0,24}") {
            let _ = s.parse::<Interval>();
        }

        #[test]
        fn printing_round_trips(secs in 1i64..10_000_000) {
            let i = Interval { seconds: secs };
            proptest::prop_assert_eq!(i.to_string().parse::<Interval>(), Ok(i));
        }
    }
}
