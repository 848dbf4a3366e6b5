//! Text helpers shared by parsers: byte offsets to line numbers, and the lines of
//! JSON values (serde_json keeps no positions).

use std::collections::HashMap;

/// `text` without its UTF-8 byte order mark, if it has one (editors on Windows
/// write one; it is not part of the content and moves no line).
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// How many characters of an input [`excerpt`] quotes.
pub const EXCERPT_CHARS: usize = 80;

/// A short, quoted and escaped excerpt of text read from an input, for messages:
/// at most [`EXCERPT_CHARS`] characters, control characters escaped, `...` after the
/// quote when cut. Messages quote inputs only through this, so that a report never
/// carries more of a file than a recognisable start of the line that failed.
pub fn excerpt(text: &str) -> String {
    let cut = text
        .char_indices()
        .nth(EXCERPT_CHARS)
        .map_or(text.len(), |(i, _)| i);
    let more = if cut < text.len() { "..." } else { "" };
    let mut out = String::with_capacity(cut + 8);
    out.push('"');
    for c in text[..cut].chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() || is_invisible(c) => {
                out.extend(c.escape_default());
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out.push_str(more);
    out
}

/// Characters that change how a terminal shows the text around them (bidirectional
/// overrides, zero-width characters): escaped in excerpts.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// Maps byte offsets of a text to 1-based line numbers.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// The 1-based line holding byte `offset` (offsets past the end map to the last line).
    pub fn line(&self, offset: usize) -> u32 {
        let i = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        u32::try_from(i + 1).unwrap_or(u32::MAX)
    }
}

/// The line of every JSON value up to a depth, addressed by JSON Pointer
/// (RFC 6901: `/packages/node_modules~1left-pad`, `/components/3`).
///
/// Built by a small tokenizer that only tracks strings and brackets, so it costs a
/// fraction of a full parse and never fails: on malformed input it records what it
/// saw before the damage (the real parse reports the error). For an object member
/// the line is the line of its key; for an array element, the line where it starts.
#[derive(Clone, Debug, Default)]
pub struct JsonLines {
    lines: HashMap<String, u32>,
}

enum Frame {
    Object { base: String, key: Option<String> },
    Array { base: String, index: usize },
}

impl JsonLines {
    /// Indexes `text`, recording values at most `max_depth` levels deep (the root's
    /// members or elements are depth 1).
    pub fn new(text: &str, max_depth: usize) -> JsonLines {
        let bytes = text.as_bytes();
        let mut lines = HashMap::new();
        let mut stack: Vec<Frame> = Vec::new();
        let mut line: u32 = 1;
        let mut prev: u8 = b',';
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'\n' {
                line = line.saturating_add(1);
                i += 1;
                continue;
            }
            if b.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            let value_start =
                matches!(prev, b':' | b'[' | b',') && !matches!(b, b']' | b'}' | b',' | b':');
            let key_position =
                matches!(stack.last(), Some(Frame::Object { key: None, .. })) && b == b'"';
            match b {
                b'"' => {
                    let start_line = line;
                    let mut raw = Vec::new();
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' {
                        if bytes[i] == b'\\' && i + 1 < bytes.len() {
                            raw.push(bytes[i + 1]);
                            i += 2;
                            continue;
                        }
                        if bytes[i] == b'\n' {
                            line = line.saturating_add(1);
                        }
                        raw.push(bytes[i]);
                        i += 1;
                    }
                    if key_position {
                        let depth = stack.len();
                        if let Some(Frame::Object { base, key }) = stack.last_mut() {
                            let k = String::from_utf8_lossy(&raw).into_owned();
                            if depth <= max_depth {
                                lines
                                    .entry(format!("{base}/{}", escape(&k)))
                                    .or_insert(start_line);
                            }
                            *key = Some(k);
                        }
                    } else if value_start {
                        Self::element(&stack, max_depth, start_line, &mut lines);
                    }
                }
                b'{' | b'[' => {
                    if value_start {
                        Self::element(&stack, max_depth, line, &mut lines);
                    }
                    let base = match stack.last() {
                        Some(Frame::Object { base, key: Some(k) }) => {
                            format!("{base}/{}", escape(k))
                        }
                        Some(Frame::Array { base, index }) => format!("{base}/{index}"),
                        Some(Frame::Object { base, key: None }) => base.clone(),
                        None => String::new(),
                    };
                    stack.push(if b == b'{' {
                        Frame::Object { base, key: None }
                    } else {
                        Frame::Array { base, index: 0 }
                    });
                }
                b'}' | b']' => {
                    stack.pop();
                }
                b',' => match stack.last_mut() {
                    Some(Frame::Object { key, .. }) => *key = None,
                    Some(Frame::Array { index, .. }) => *index += 1,
                    None => {}
                },
                _ => {
                    if value_start {
                        Self::element(&stack, max_depth, line, &mut lines);
                    }
                }
            }
            prev = if b == b'"' { b'"' } else { b };
            i += 1;
        }
        JsonLines { lines }
    }

    /// Records the start of an array element.
    fn element(stack: &[Frame], max_depth: usize, line: u32, lines: &mut HashMap<String, u32>) {
        if let Some(Frame::Array { base, index }) = stack.last() {
            if stack.len() <= max_depth {
                lines.entry(format!("{base}/{index}")).or_insert(line);
            }
        }
    }

    /// The line of the value at `pointer` (RFC 6901), when recorded.
    pub fn line(&self, pointer: &str) -> Option<u32> {
        self.lines.get(pointer).copied()
    }
}

/// Escapes one JSON Pointer token (`~` as `~0`, `/` as `~1`).
pub fn escape(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains(['~', '/']) {
        std::borrow::Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        std::borrow::Cow::Borrowed(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_short_quoted_and_escaped() {
        assert_eq!(excerpt("flask==1.0"), "\"flask==1.0\"");
        assert_eq!(excerpt("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(
            excerpt("x\u{1b}[31m\r\n\u{202e}"),
            "\"x\\u{1b}[31m\\r\\n\\u{202e}\""
        );
        let long = "é".repeat(200);
        let e = excerpt(&long);
        assert_eq!(e, format!("\"{}\"...", "é".repeat(EXCERPT_CHARS)));
        assert_eq!(excerpt(&"b".repeat(EXCERPT_CHARS)).len(), EXCERPT_CHARS + 2);
    }

    #[test]
    fn lines() {
        let idx = LineIndex::new("a\nbc\n\nd");
        assert_eq!(idx.line(0), 1);
        assert_eq!(idx.line(1), 1);
        assert_eq!(idx.line(2), 2);
        assert_eq!(idx.line(4), 2);
        assert_eq!(idx.line(5), 3);
        assert_eq!(idx.line(6), 4);
        assert_eq!(idx.line(99), 4);
    }

    #[test]
    fn json_lines() {
        let text = r#"{
  "name": "x",
  "packages": {
    "": {"version": "1.0.0"},
    "node_modules/@scope/a": {
      "version": "2.0.0"
    }
  },
  "list": [
    1,
    {"k": "v"},
    "s\"tr"
  ],
  "tilde~key": true
}"#;
        let j = JsonLines::new(text, 3);
        assert_eq!(j.line("/name"), Some(2));
        assert_eq!(j.line("/packages"), Some(3));
        assert_eq!(j.line("/packages/"), Some(4));
        assert_eq!(j.line("/packages//version"), Some(4));
        assert_eq!(j.line("/packages/node_modules~1@scope~1a"), Some(5));
        assert_eq!(j.line("/packages/node_modules~1@scope~1a/version"), Some(6));
        assert_eq!(j.line("/list/0"), Some(10));
        assert_eq!(j.line("/list/1"), Some(11));
        assert_eq!(j.line("/list/1/k"), Some(11));
        assert_eq!(j.line("/list/2"), Some(12));
        assert_eq!(j.line("/tilde~0key"), Some(14));
        let shallow = JsonLines::new(text, 1);
        assert_eq!(shallow.line("/packages"), Some(3));
        assert_eq!(shallow.line("/packages/"), None);
    }

    #[test]
    fn json_lines_never_fails_on_garbage() {
        for t in [
            "",
            "{",
            "}",
            "[[[",
            "\"unterminated",
            "{\"a\": [1, {\"b\"",
            "]]]}}}",
            "{,,:::}",
        ] {
            let _ = JsonLines::new(t, 5);
        }
    }
}
