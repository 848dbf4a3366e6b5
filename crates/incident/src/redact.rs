//! Redaction by rule: secrets taken out of text before it is archived or shown.
//!
//! [`RULES`] is the whole rule list; each rule has an id, and every function here
//! counts in a [`Tally`] how many times each rule fired, so a caller can say that
//! redaction happened and where without ever keeping the secret. A rule replaces
//! only the secret part with [`MASK`] and keeps what identifies it (the URL's user,
//! the flag, the variable's name, the header's scheme, a token's prefix), so the
//! redacted text still says what was there.
//!
//! The text is scanned once, left to right; at each position the rules are tried
//! in the order of [`RULES`] and the first that matches consumes its span, so a
//! secret is counted once (`API_TOKEN=ghp_...` fires `secret-assignment`, not
//! also `github-token`). Every rule starts at a word boundary and reads its span
//! once, so the scan is linear in the text. Redacting redacted text changes
//! nothing and fires nothing (a value that is already [`MASK`] is left alone).
//!
//! Three entry points: [`text`] for one string, [`args`] for a command line as an
//! argument vector (`--token X` spans two arguments there), and [`json`] for every
//! string in a JSON value (string arrays are treated as argument vectors).
//!
//! Choices: a flag or variable is judged by its name alone, so `--no-password`
//! and names ending `_KEY` that hold no secret are redacted too; a wrong mask costs
//! a value, a missed one leaks it. Short flags whose value is glued on (`-pSECRET`)
//! are not recognised: `-p` means too many things. The matchers are written by
//! hand rather than with the `regex` crate (not otherwise in the tree): each rule
//! needs its own boundary and replacement logic, which a pattern would only find.

use std::collections::BTreeMap;

/// What replaces a secret.
pub const MASK: &str = "***";

/// One redaction rule, as documented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Its id, as tallies and manifests name it.
    pub id: &'static str,
    /// What it matches.
    pub matches: &'static str,
    /// What it leaves.
    pub replacement: &'static str,
}

/// Every rule, in the order they are tried at each position.
pub const RULES: &[Rule] = &[
    Rule {
        id: "private-key",
        matches: "a PEM block `-----BEGIN ... PRIVATE KEY...-----` up to its END line (to the end of the text when there is none)",
        replacement: "the BEGIN line, `***`, the END line",
    },
    Rule {
        id: "url-password",
        matches: "the password of a URL's user info, `scheme://user:password@host`",
        replacement: "`scheme://user:***@host`",
    },
    Rule {
        id: "auth-header",
        matches: "the value of an `Authorization:` or `Proxy-Authorization:` header (any case), to the end of the line",
        replacement: "`Authorization: Bearer ***` (the scheme word is kept when there are two words)",
    },
    Rule {
        id: "secret-flag",
        matches: "the value of a flag named `password`, `passwd`, `pass`, `passin`, `passout`, `token`, `secret`, `api-key`, `apikey`, or ending `-password`, `-passwd`, `-token`, `-secret`, `-api-key`, `-apikey`, `-secret-key`, `-access-key`, `-private-key` (one or two dashes, `_` same as `-`, any case, not starting `no-`): `--token=X` and `--token X` (not when X starts with `--`)",
        replacement: "`--token=***`, `--token ***`",
    },
    Rule {
        id: "secret-assignment",
        matches: "`NAME=value` where NAME (any case, `-` and `.` same as `_`) is `PASSWORD`, `PASSWD`, `TOKEN`, `SECRET`, `API_KEY`, `APIKEY`, or ends `_KEY`, `_SECRET`, `_TOKEN`, `_PASSWORD`, `_PASSWD`, `_PASS`, `_PWD`, `_APIKEY`, `_CREDENTIALS`; after `?` or `&` (a query string) the value also ends at `&` or `#`, after `;` (a connection string) at `;`",
        replacement: "`NAME=***`",
    },
    Rule {
        id: "github-token",
        matches: "GitHub tokens: `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` and 20 or more letters and digits; `github_pat_` and 20 or more letters, digits and `_`",
        replacement: "the prefix and `***` (`ghp_***`)",
    },
    Rule {
        id: "gitlab-token",
        matches: "GitLab personal access tokens: `glpat-` and 20 or more letters, digits, `_`, `-`",
        replacement: "`glpat-***`",
    },
    Rule {
        id: "slack-token",
        matches: "Slack tokens: `xoxa-`, `xoxb-`, `xoxp-`, `xoxr-`, `xoxs-` and 10 or more letters, digits, `-`",
        replacement: "the prefix and `***` (`xoxb-***`)",
    },
    Rule {
        id: "aws-access-key-id",
        matches: "AWS access key ids: `AKIA` or `ASIA` and exactly 16 upper-case letters and digits, as a whole word",
        replacement: "`AKIA***` / `ASIA***`",
    },
    Rule {
        id: "jwt",
        matches: "JSON Web Tokens: `eyJ...` `.` `eyJ...` `.` signature (base64url segments)",
        replacement: "`eyJ***`",
    },
];

/// How many times each rule fired, by rule id.
pub type Tally = BTreeMap<String, u64>;

/// `input` with every secret the rules find masked.
pub fn text(input: &str, tally: &mut Tally) -> String {
    let out = bytes(input.as_bytes(), tally);
    // Spans start and end at ASCII bytes or at the ends, so this stays UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `input` (any bytes; the rules read ASCII) with every secret masked.
pub fn bytes(input: &[u8], tally: &mut Tally) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match hit_at(input, i, tally) {
            Some(hit) => {
                *tally.entry(hit.rule.to_owned()).or_insert(0) += 1;
                out.extend_from_slice(&hit.replacement);
                i = hit.end.max(i + 1);
            }
            None => {
                out.push(input[i]);
                i += 1;
            }
        }
    }
    out
}

/// A command line, argument by argument: a secret flag standing alone
/// (`--token`) masks the whole next argument, and each argument goes through
/// [`text`].
pub fn args(argv: &[String], tally: &mut Tally) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    let mut i = 0;
    while i < argv.len() {
        let arg = &argv[i];
        if let Some(next) = argv.get(i + 1)
            && bare_secret_flag(arg.as_bytes())
            && !next.is_empty()
            && !next.starts_with("--")
            && next != MASK
        {
            *tally.entry("secret-flag".to_owned()).or_insert(0) += 1;
            out.push(text(arg, tally));
            out.push(MASK.to_owned());
            i += 2;
            continue;
        }
        out.push(text(arg, tally));
        i += 1;
    }
    out
}

/// Every string in `value` redacted in place; an array of strings only is taken
/// as an argument vector ([`args`]).
pub fn json(value: &mut serde_json::Value, tally: &mut Tally) {
    use serde_json::Value;
    match value {
        Value::String(s) => *s = text(s, tally),
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_string) => {
            let argv: Vec<String> = items
                .iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect();
            *items = args(&argv, tally).into_iter().map(Value::String).collect();
        }
        Value::Array(items) => items.iter_mut().for_each(|v| json(v, tally)),
        Value::Object(map) => map.values_mut().for_each(|v| json(v, tally)),
        _ => {}
    }
}

/// A match: the rule, where its span ends, and what replaces `[start, end)`.
struct Hit {
    rule: &'static str,
    end: usize,
    replacement: Vec<u8>,
}

fn hit_at(s: &[u8], i: usize, tally: &mut Tally) -> Option<Hit> {
    private_key(s, i)
        .or_else(|| url_password(s, i, tally))
        .or_else(|| auth_header(s, i))
        .or_else(|| secret_flag(s, i))
        .or_else(|| secret_assignment(s, i))
        .or_else(|| github_token(s, i))
        .or_else(|| prefixed_token(s, i, "gitlab-token", &[b"glpat-"], 20, token_dash_char))
        .or_else(|| {
            prefixed_token(
                s,
                i,
                "slack-token",
                &[b"xoxa-", b"xoxb-", b"xoxp-", b"xoxr-", b"xoxs-"],
                10,
                |c| c.is_ascii_alphanumeric() || c == b'-',
            )
        })
        .or_else(|| aws_key_id(s, i))
        .or_else(|| jwt(s, i))
}

fn word_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn token_dash_char(c: u8) -> bool {
    word_char(c) || c == b'-'
}

/// Where a run of `pred` bytes starting at `from` ends.
fn run(s: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> usize {
    let mut j = from;
    while j < s.len() && pred(s[j]) {
        j += 1;
    }
    j
}

fn starts_with_ci(s: &[u8], i: usize, prefix: &[u8]) -> bool {
    s.len() >= i + prefix.len() && s[i..i + prefix.len()].eq_ignore_ascii_case(prefix)
}

fn find(s: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from > s.len() {
        return None;
    }
    s[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn masked(prefix: &[u8], suffix: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(prefix.len() + MASK.len() + suffix.len());
    v.extend_from_slice(prefix);
    v.extend_from_slice(MASK.as_bytes());
    v.extend_from_slice(suffix);
    v
}

fn private_key(s: &[u8], i: usize) -> Option<Hit> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    if !s[i..].starts_with(BEGIN) {
        return None;
    }
    let label_start = i + BEGIN.len();
    let label_end = run(s, label_start, |c| c.is_ascii_uppercase() || c == b' ');
    let label = &s[label_start..label_end];
    if !s[label_end..].starts_with(b"-----") || find(label, 0, b"PRIVATE KEY").is_none() {
        return None;
    }
    let header_end = label_end + 5;
    let mut end_line = b"-----END ".to_vec();
    end_line.extend_from_slice(label);
    end_line.extend_from_slice(b"-----");
    let (end, tail) = match find(s, header_end, &end_line) {
        Some(at) => (at + end_line.len(), end_line),
        None => (s.len(), Vec::new()),
    };
    let body = &s[header_end..end - tail.len()];
    if body.trim_ascii() == MASK.as_bytes() {
        return None;
    }
    let mut replacement = s[i..header_end].to_vec();
    replacement.push(b'\n');
    replacement.extend_from_slice(MASK.as_bytes());
    if !tail.is_empty() {
        replacement.push(b'\n');
        replacement.extend_from_slice(&tail);
    }
    Some(Hit {
        rule: "private-key",
        end,
        replacement,
    })
}

fn scheme_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')
}

fn url_password(s: &[u8], i: usize, tally: &mut Tally) -> Option<Hit> {
    if !s[i].is_ascii_alphabetic() || (i > 0 && scheme_char(s[i - 1])) {
        return None;
    }
    let scheme_end = run(s, i, scheme_char);
    if !s[scheme_end..].starts_with(b"://") {
        return None;
    }
    let authority = scheme_end + 3;
    let authority_end = run(s, authority, |c| {
        !(c.is_ascii_whitespace()
            || matches!(c, b'/' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>' | b'`'))
    });
    let at = authority
        + s[authority..authority_end]
            .iter()
            .rposition(|&c| c == b'@')?;
    let colon = authority + s[authority..at].iter().position(|&c| c == b':')?;
    let password = &s[colon + 1..at];
    if password.is_empty() || password == MASK.as_bytes() {
        return None;
    }
    // The user part may itself hold a token (`https://ghp_...:x@github.com`).
    let prefix = bytes(&s[i..=colon], tally);
    Some(Hit {
        rule: "url-password",
        end: at,
        replacement: masked(&prefix, b""),
    })
}

fn auth_header(s: &[u8], i: usize) -> Option<Hit> {
    if i > 0 && token_dash_char(s[i - 1]) {
        return None;
    }
    let name_end = [&b"proxy-authorization:"[..], b"authorization:"]
        .iter()
        .find(|n| starts_with_ci(s, i, n))
        .map(|n| i + n.len())?;
    let value = run(s, name_end, |c| c == b' ' || c == b'\t');
    let value_end = run(s, value, |c| !matches!(c, b'\r' | b'\n' | b'"' | b'\''));
    let v = &s[value..value_end];
    let first_end = run(v, 0, |c| c != b' ' && c != b'\t');
    let rest = run(v, first_end, |c| c == b' ' || c == b'\t');
    let (keep, secret) = if rest < v.len() {
        (value + rest, &v[rest..])
    } else {
        (value, v)
    };
    let secret = secret.trim_ascii_end();
    if secret.is_empty() || secret == MASK.as_bytes() {
        return None;
    }
    Some(Hit {
        rule: "auth-header",
        end: keep + secret.len(),
        replacement: masked(&s[i..keep], b""),
    })
}

/// Whether a flag name (without dashes) names a secret.
fn secret_flag_name(name: &[u8]) -> bool {
    let name = String::from_utf8_lossy(name)
        .to_ascii_lowercase()
        .replace('_', "-");
    if name.starts_with("no-") {
        return false;
    }
    const EXACT: &[&str] = &[
        "password", "passwd", "pass", "passin", "passout", "token", "secret", "api-key", "apikey",
    ];
    const SUFFIX: &[&str] = &[
        "-password",
        "-passwd",
        "-token",
        "-secret",
        "-api-key",
        "-apikey",
        "-secret-key",
        "-access-key",
        "-private-key",
    ];
    EXACT.contains(&name.as_str()) || SUFFIX.iter().any(|s| name.ends_with(s))
}

/// `-name` / `--name` at `i`: the end of the name, when it is a secret flag.
fn flag_at(s: &[u8], i: usize) -> Option<usize> {
    let dashes = run(s, i, |c| c == b'-') - i;
    if !(1..=2).contains(&dashes) {
        return None;
    }
    let name_start = i + dashes;
    let name_end = run(s, name_start, token_dash_char);
    (name_end > name_start && secret_flag_name(&s[name_start..name_end])).then_some(name_end)
}

fn bare_secret_flag(arg: &[u8]) -> bool {
    !arg.is_empty() && flag_at(arg, 0) == Some(arg.len())
}

/// The value starting at `start`: `(mask_start, mask_end, end)`, where a quoted
/// value keeps its quotes and an unquoted one ends at whitespace, a quote or one
/// of `extra`.
fn value_at(s: &[u8], start: usize, extra: &[u8]) -> (usize, usize, usize) {
    match s.get(start) {
        Some(&q) if q == b'"' || q == b'\'' => {
            let close = run(s, start + 1, |c| c != q && c != b'\n');
            let end = if s.get(close) == Some(&q) {
                close + 1
            } else {
                close
            };
            (start + 1, close, end)
        }
        _ => {
            let end = run(s, start, |c| {
                !(c.is_ascii_whitespace() || matches!(c, b'"' | b'\'' | b'`') || extra.contains(&c))
            });
            (start, end, end)
        }
    }
}

fn mask_value(s: &[u8], i: usize, value: usize, extra: &[u8], rule: &'static str) -> Option<Hit> {
    let (ms, me, end) = value_at(s, value, extra);
    if ms == me || &s[ms..me] == MASK.as_bytes() {
        return None;
    }
    Some(Hit {
        rule,
        end,
        replacement: masked(&s[i..ms], &s[me..end]),
    })
}

fn secret_flag(s: &[u8], i: usize) -> Option<Hit> {
    if s[i] != b'-'
        || (i > 0 && !(s[i - 1].is_ascii_whitespace() || matches!(s[i - 1], b'"' | b'\'')))
    {
        return None;
    }
    let name_end = flag_at(s, i)?;
    match s.get(name_end) {
        Some(b'=') => mask_value(s, i, name_end + 1, b"", "secret-flag"),
        Some(b' ' | b'\t') => {
            let value = run(s, name_end, |c| c == b' ' || c == b'\t');
            if s[value..].starts_with(b"--") {
                return None;
            }
            mask_value(s, i, value, b"", "secret-flag")
        }
        _ => None,
    }
}

/// Whether a variable name names a secret.
fn secret_variable_name(name: &[u8]) -> bool {
    let name = String::from_utf8_lossy(name)
        .to_ascii_uppercase()
        .replace(['-', '.'], "_");
    const EXACT: &[&str] = &["PASSWORD", "PASSWD", "TOKEN", "SECRET", "API_KEY", "APIKEY"];
    const SUFFIX: &[&str] = &[
        "_KEY",
        "_SECRET",
        "_TOKEN",
        "_PASSWORD",
        "_PASSWD",
        "_PASS",
        "_PWD",
        "_APIKEY",
        "_CREDENTIALS",
    ];
    EXACT.contains(&name.as_str()) || SUFFIX.iter().any(|s| name.ends_with(s))
}

fn variable_char(c: u8) -> bool {
    word_char(c) || c == b'-' || c == b'.'
}

fn secret_assignment(s: &[u8], i: usize) -> Option<Hit> {
    if !(s[i].is_ascii_alphabetic() || s[i] == b'_') || (i > 0 && variable_char(s[i - 1])) {
        return None;
    }
    let name_end = run(s, i, variable_char);
    if s.get(name_end) != Some(&b'=') || !secret_variable_name(&s[i..name_end]) {
        return None;
    }
    // In a query string the value ends at the next parameter, in a connection
    // string at the next `;`.
    let extra: &[u8] = match i.checked_sub(1).map(|p| s[p]) {
        Some(b'?' | b'&') => b"&#",
        Some(b';') => b";",
        _ => b"",
    };
    mask_value(s, i, name_end + 1, extra, "secret-assignment")
}

fn github_token(s: &[u8], i: usize) -> Option<Hit> {
    for prefix in [&b"ghp_"[..], b"gho_", b"ghu_", b"ghs_", b"ghr_"] {
        if let Some(hit) = prefixed_token(s, i, "github-token", &[prefix], 20, |c| {
            c.is_ascii_alphanumeric()
        }) {
            return Some(hit);
        }
    }
    prefixed_token(s, i, "github-token", &[b"github_pat_"], 20, word_char)
}

/// A token made of one of `prefixes` and at least `min` bytes of `body`, as a
/// whole word.
fn prefixed_token(
    s: &[u8],
    i: usize,
    rule: &'static str,
    prefixes: &[&[u8]],
    min: usize,
    body: impl Fn(u8) -> bool,
) -> Option<Hit> {
    if i > 0 && token_dash_char(s[i - 1]) {
        return None;
    }
    let prefix = prefixes.iter().find(|p| s[i..].starts_with(p))?;
    let start = i + prefix.len();
    let end = run(s, start, body);
    if end - start < min {
        return None;
    }
    Some(Hit {
        rule,
        end,
        replacement: masked(prefix, b""),
    })
}

fn aws_key_id(s: &[u8], i: usize) -> Option<Hit> {
    if i > 0 && s[i - 1].is_ascii_alphanumeric() {
        return None;
    }
    let prefix = [&b"AKIA"[..], b"ASIA"]
        .into_iter()
        .find(|p| s[i..].starts_with(p))?;
    let start = i + 4;
    let end = run(s, start, |c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if end - start != 16 || s.get(end).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some(Hit {
        rule: "aws-access-key-id",
        end,
        replacement: masked(prefix, b""),
    })
}

fn jwt(s: &[u8], i: usize) -> Option<Hit> {
    let b64 = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
    if i > 0 && (b64(s[i - 1]) || s[i - 1] == b'.') || !s[i..].starts_with(b"eyJ") {
        return None;
    }
    let header_end = run(s, i + 3, b64);
    if s.get(header_end) != Some(&b'.') || !s[header_end + 1..].starts_with(b"eyJ") {
        return None;
    }
    let payload_end = run(s, header_end + 4, b64);
    if s.get(payload_end) != Some(&b'.') {
        return None;
    }
    let end = run(s, payload_end + 1, b64);
    Some(Hit {
        rule: "jwt",
        end,
        replacement: masked(b"eyJ", b""),
    })
}

#[cfg(test)]
mod tests;
