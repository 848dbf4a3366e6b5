//! A JSON reader that keeps byte positions, for editing `package.json` and
//! `composer.json` in place.
//!
//! `serde_json` keeps no positions, and the edits here must touch only the bytes
//! of one string, so this small recursive-descent reader records the span of every
//! value and key. It accepts RFC 8259 JSON (nesting bounded by [`MAX_DEPTH`]);
//! anything else is an error with its byte offset.

use std::ops::Range;

/// Deepest nesting read; manifests are a few levels deep.
const MAX_DEPTH: usize = 128;

/// A JSON value and where it is.
#[derive(Debug)]
pub(crate) struct Node {
    /// Byte range of the whole value (quotes and brackets included).
    pub span: Range<usize>,
    /// The value.
    pub value: Value,
}

/// The parts of a value the rewriters need.
#[derive(Debug)]
pub(crate) enum Value {
    /// An object's members, in order.
    Object(Vec<Member>),
    /// An array (its elements are read, not kept).
    Array,
    /// A string: its decoded text, and whether its source had escapes (then the
    /// source bytes inside the quotes differ from the text).
    String { text: String, escaped: bool },
    /// A number, `true`, `false` or `null`.
    Scalar,
}

/// One member of an object.
#[derive(Debug)]
pub(crate) struct Member {
    /// The decoded key.
    pub key: String,
    /// Byte range of the key, quotes included.
    pub key_span: Range<usize>,
    /// The value.
    pub node: Node,
}

impl Node {
    /// The members, when an object.
    pub fn members(&self) -> Option<&[Member]> {
        match &self.value {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// A member by key (the last one, as JSON readers keep).
    pub fn get(&self, key: &str) -> Option<&Member> {
        self.members()?.iter().rev().find(|m| m.key == key)
    }
}

/// Parses `text` (starting at byte `base` of the file) as one JSON value with
/// optional white space around it.
pub(crate) fn parse(text: &str, base: usize) -> Result<Node, String> {
    let mut p = Parser {
        bytes: text.as_bytes(),
        text,
        at: 0,
        base,
    };
    p.ws();
    let node = p.value(0)?;
    p.ws();
    if p.at != p.bytes.len() {
        return Err(p.err("text after the JSON value"));
    }
    Ok(node)
}

struct Parser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    at: usize,
    base: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> String {
        format!("not valid JSON at byte {}: {what}", self.base + self.at)
    }

    fn ws(&mut self) {
        while self
            .bytes
            .get(self.at)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.at += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, String> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        let start = self.at;
        let value = match self.bytes.get(self.at) {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => {
                let (text, escaped) = self.string()?;
                Value::String { text, escaped }
            }
            Some(b) if b.is_ascii_digit() || *b == b'-' => {
                while self.bytes.get(self.at).is_some_and(|b| {
                    b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')
                }) {
                    self.at += 1;
                }
                Value::Scalar
            }
            _ => {
                let rest = &self.text[self.at..];
                let word = ["true", "false", "null"]
                    .into_iter()
                    .find(|w| rest.starts_with(w))
                    .ok_or_else(|| self.err("expected a value"))?;
                self.at += word.len();
                Value::Scalar
            }
        };
        Ok(Node {
            span: self.base + start..self.base + self.at,
            value,
        })
    }

    fn expect(&mut self, b: u8) -> Result<(), String> {
        if self.bytes.get(self.at) == Some(&b) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected {:?}", b as char)))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, String> {
        self.expect(b'{')?;
        let mut members = Vec::new();
        self.ws();
        if self.bytes.get(self.at) == Some(&b'}') {
            self.at += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.ws();
            let key_start = self.at;
            if self.bytes.get(self.at) != Some(&b'"') {
                return Err(self.err("expected a key"));
            }
            let (key, _) = self.string()?;
            let key_span = self.base + key_start..self.base + self.at;
            self.ws();
            self.expect(b':')?;
            self.ws();
            let node = self.value(depth + 1)?;
            members.push(Member {
                key,
                key_span,
                node,
            });
            self.ws();
            match self.bytes.get(self.at) {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, String> {
        self.expect(b'[')?;
        self.ws();
        if self.bytes.get(self.at) == Some(&b']') {
            self.at += 1;
            return Ok(Value::Array);
        }
        loop {
            self.ws();
            self.value(depth + 1)?;
            self.ws();
            match self.bytes.get(self.at) {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Value::Array);
                }
                _ => return Err(self.err("expected ',' or ']'")),
            }
        }
    }

    /// A string at the cursor: its text and whether it had escapes.
    fn string(&mut self) -> Result<(String, bool), String> {
        self.expect(b'"')?;
        let start = self.at;
        let mut escaped = false;
        loop {
            match self.bytes.get(self.at) {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    self.at += 2;
                }
                Some(b) if *b < 0x20 => return Err(self.err("control character in a string")),
                Some(_) => self.at += 1,
            }
        }
        let raw = self
            .text
            .get(start..self.at)
            .ok_or_else(|| self.err("bad string"))?;
        self.at += 1;
        let text = if escaped {
            serde_json::from_str::<String>(&self.text[start - 1..self.at])
                .map_err(|e| self.err(&e.to_string()))?
        } else {
            raw.to_owned()
        };
        Ok((text, escaped))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_of_members_and_strings() {
        let text = "{\"a\": {\"b\" : \"^1.2\"}, \"c\": [1, true, null], \"d\": \"x\\ty\"}";
        let root = parse(text, 0).unwrap();
        let a = root.get("a").unwrap();
        let b = a.node.get("b").unwrap();
        assert!(matches!(&b.node.value, Value::String { text, escaped: false } if text == "^1.2"));
        assert_eq!(&text[b.node.span.clone()], "\"^1.2\"");
        assert_eq!(&text[b.key_span.clone()], "\"b\"");
        let d = root.get("d").unwrap();
        assert!(matches!(&d.node.value, Value::String { text, escaped: true } if text == "x\ty"));
    }

    #[test]
    fn bad_json_is_an_error_not_a_panic() {
        for bad in [
            "{",
            "{\"a\" 1}",
            "[1,",
            "\"abc",
            "{\"a\":1} x",
            "tru",
            "{\"a\":\"\\",
        ] {
            assert!(parse(bad, 0).is_err(), "{bad}");
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(parse(&deep, 0).unwrap_err().contains("nested too deeply"));
    }
}
