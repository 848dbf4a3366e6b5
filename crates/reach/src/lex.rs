//! A small tokenizer per language: just enough to tell code from comments and
//! strings, and to give every token its line.
//!
//! It is not a parser and never fails: unterminated strings and comments run to the
//! end of their line or of the file, unknown bytes become punctuation, and every
//! slice is taken with checked indexing, so arbitrary text gives some tokens and
//! never a panic. Single-quoted and double-quoted strings of Python, JavaScript and
//! Go end at the end of their line when unterminated, so one stray quote (an
//! apostrophe in JSX text, say) cannot hide the rest of a file.

use crate::Lang;

/// One token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok<'a> {
    /// An identifier, keyword or number (any run of `[A-Za-z0-9_$]` and non-ASCII).
    Word(&'a str),
    /// A string literal's raw content (escapes not processed). `dynamic` when part
    /// of it is computed at run time (a JavaScript template with `${...}`, a Python
    /// f-string with `{...}`).
    Str { text: &'a str, dynamic: bool },
    /// A JavaScript regular-expression literal (content ignored).
    Regex,
    /// Any other byte outside whitespace, comments and literals.
    Punct(u8),
}

/// A token and the 1-based line it starts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub tok: Tok<'a>,
    pub line: u32,
    /// Byte offsets of the token in the text.
    pub start: usize,
    pub end: usize,
}

/// Line starts of a text, to number tokens and quote evidence.
pub(crate) struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Lines<'a> {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines { text, starts }
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> u32 {
        let n = self.starts.partition_point(|&s| s <= offset);
        u32::try_from(n.max(1)).unwrap_or(u32::MAX)
    }

    /// The text of a 1-based line, without its line break.
    pub fn text(&self, line: u32) -> &'a str {
        let i = (line as usize).saturating_sub(1);
        let Some(&start) = self.starts.get(i) else {
            return "";
        };
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.text.len(), |&e| e.saturating_sub(1));
        let s = self.text.get(start..end).unwrap_or("");
        s.strip_suffix('\r').unwrap_or(s)
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Words JavaScript lets a regular expression follow.
const JS_REGEX_AFTER: [&str; 14] = [
    "return",
    "typeof",
    "instanceof",
    "in",
    "of",
    "new",
    "delete",
    "void",
    "throw",
    "case",
    "do",
    "else",
    "yield",
    "await",
];

/// Tokenizes `src` as `lang`.
pub(crate) fn lex<'a>(lang: Lang, src: &'a str, lines: &Lines<'_>) -> Vec<Token<'a>> {
    let mut lx = Lexer {
        src,
        b: src.as_bytes(),
        lines,
        out: Vec::new(),
    };
    match lang {
        Lang::Python => lx.python(),
        Lang::JavaScript | Lang::Rust | Lang::Go => lx.c_like(lang),
    }
    lx.out
}

struct Lexer<'a, 'l> {
    src: &'a str,
    b: &'a [u8],
    lines: &'l Lines<'l>,
    out: Vec<Token<'a>>,
}

impl<'a> Lexer<'a, '_> {
    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.src.get(start..end).unwrap_or("")
    }

    fn push(&mut self, tok: Tok<'a>, start: usize, end: usize) {
        let line = self.lines.line_of(start);
        self.out.push(Token {
            tok,
            line,
            start,
            end,
        });
    }

    /// Index just past the next `\n` at or after `i` (or the end).
    fn skip_line(&self, i: usize) -> usize {
        match self
            .b
            .get(i..)
            .and_then(|r| r.iter().position(|&c| c == b'\n'))
        {
            Some(p) => i + p + 1,
            None => self.b.len(),
        }
    }

    fn word_end(&self, mut i: usize) -> usize {
        while i < self.b.len() && is_word_byte(self.b[i]) {
            i += 1;
        }
        i
    }

    /// A quoted literal starting at `i` (the opening quote). Returns (content end,
    /// next index). `escapes`: a backslash escapes the next byte. `one_line`: an
    /// unescaped line break ends an unterminated literal.
    fn quoted(&self, i: usize, quote: u8, escapes: bool, one_line: bool) -> (usize, usize) {
        let mut j = i + 1;
        while j < self.b.len() {
            let c = self.b[j];
            if escapes && c == b'\\' {
                j += 2;
                continue;
            }
            if c == quote {
                return (j, j + 1);
            }
            if one_line && c == b'\n' {
                return (j, j);
            }
            j += 1;
        }
        (self.b.len(), self.b.len())
    }

    /// Block comment starting at `i` (`/*`); Rust's nest.
    fn block_comment(&self, i: usize, nested: bool) -> usize {
        let mut depth = 0usize;
        let mut j = i;
        while j < self.b.len() {
            if self.at(j) == b'/' && self.at(j + 1) == b'*' {
                depth += 1;
                j += 2;
                if !nested && depth > 1 {
                    depth = 1;
                }
            } else if self.at(j) == b'*' && self.at(j + 1) == b'/' {
                depth = depth.saturating_sub(1);
                j += 2;
                if depth == 0 {
                    return j;
                }
            } else {
                j += 1;
            }
        }
        self.b.len()
    }

    fn python(&mut self) {
        let mut i = 0;
        while i < self.b.len() {
            let c = self.b[i];
            match c {
                b'#' => i = self.skip_line(i),
                // Outside strings, a backslash only continues a line.
                b'\\' => i += 1,
                b'\'' | b'"' => i = self.python_string(i, c),
                _ if c.is_ascii_whitespace() => i += 1,
                _ if is_word_byte(c) => {
                    let e = self.word_end(i);
                    self.push(Tok::Word(self.slice(i, e)), i, e);
                    i = e;
                }
                _ => {
                    self.push(Tok::Punct(c), i, i + 1);
                    i += 1;
                }
            }
        }
    }

    fn python_string(&mut self, i: usize, q: u8) -> usize {
        // A prefix (r, b, u, f and pairs) written right before the quote.
        let mut start = i;
        let mut fstring = false;
        if let Some(prev) = self.out.last()
            && prev.end == i
            && let Tok::Word(w) = prev.tok
            && w.len() <= 2
            && w.bytes().all(|c| b"rRbBuUfF".contains(&c))
        {
            fstring = w.bytes().any(|c| c == b'f' || c == b'F');
            start = prev.start;
            self.out.pop();
        }
        let triple = self.at(i + 1) == q && self.at(i + 2) == q;
        let (body, content_end, next) = if triple {
            let mut j = i + 3;
            loop {
                if j >= self.b.len() {
                    break (i + 3, self.b.len(), self.b.len());
                }
                if self.b[j] == b'\\' {
                    j += 2;
                    continue;
                }
                if self.b[j] == q && self.at(j + 1) == q && self.at(j + 2) == q {
                    break (i + 3, j, j + 3);
                }
                j += 1;
            }
        } else {
            let (e, n) = self.quoted(i, q, true, true);
            (i + 1, e, n)
        };
        let text = self.slice(body.min(content_end), content_end);
        let dynamic = fstring && text.contains('{');
        self.push(Tok::Str { text, dynamic }, start, next.max(start));
        next
    }

    fn c_like(&mut self, lang: Lang) {
        // JavaScript template literals nest: the brace depth at which each open
        // `${` began.
        let mut templates: Vec<usize> = Vec::new();
        let mut braces = 0usize;
        let mut i = 0;
        while i < self.b.len() {
            let c = self.b[i];
            let next = self.at(i + 1);
            match c {
                b'/' if next == b'/' => i = self.skip_line(i),
                b'/' if next == b'*' => i = self.block_comment(i, lang == Lang::Rust),
                _ if c.is_ascii_whitespace() => i += 1,
                b'"' => {
                    let one_line = lang != Lang::Rust;
                    let (e, n) = self.quoted(i, b'"', true, one_line);
                    let text = self.slice(i + 1, e.max(i + 1));
                    self.push(
                        Tok::Str {
                            text,
                            dynamic: false,
                        },
                        i,
                        n,
                    );
                    i = n;
                }
                b'\'' if lang == Lang::Rust => i = self.rust_quote(i),
                b'\'' => {
                    let (e, n) = self.quoted(i, b'\'', true, true);
                    let text = self.slice(i + 1, e.max(i + 1));
                    self.push(
                        Tok::Str {
                            text,
                            dynamic: false,
                        },
                        i,
                        n,
                    );
                    i = n;
                }
                b'`' if lang == Lang::Go => {
                    let (e, n) = self.quoted(i, b'`', false, false);
                    let text = self.slice(i + 1, e.max(i + 1));
                    self.push(
                        Tok::Str {
                            text,
                            dynamic: false,
                        },
                        i,
                        n,
                    );
                    i = n;
                }
                b'`' if lang == Lang::JavaScript => {
                    i = self.template(i, i + 1, &mut templates, braces);
                }
                b'/' if lang == Lang::JavaScript && self.regex_allowed() => i = self.regex(i),
                b'{' => {
                    braces += 1;
                    self.push(Tok::Punct(c), i, i + 1);
                    i += 1;
                }
                b'}' => {
                    if lang == Lang::JavaScript && templates.last() == Some(&braces) {
                        templates.pop();
                        i = self.template(i, i + 1, &mut templates, braces);
                    } else {
                        braces = braces.saturating_sub(1);
                        self.push(Tok::Punct(c), i, i + 1);
                        i += 1;
                    }
                }
                b'r' | b'b' | b'c' if lang == Lang::Rust => {
                    if let Some(n) = self.rust_raw_string(i) {
                        i = n;
                    } else {
                        let e = self.word_end(i);
                        self.push(Tok::Word(self.slice(i, e)), i, e);
                        i = e;
                    }
                }
                _ if is_word_byte(c) => {
                    let e = self.word_end(i);
                    self.push(Tok::Word(self.slice(i, e)), i, e);
                    i = e;
                }
                _ => {
                    self.push(Tok::Punct(c), i, i + 1);
                    i += 1;
                }
            }
        }
    }

    /// The rest of a template literal from `j` (after the backquote or after the `}`
    /// closing an interpolation). `open` is where the token starts.
    fn template(
        &mut self,
        open: usize,
        mut j: usize,
        templates: &mut Vec<usize>,
        braces: usize,
    ) -> usize {
        let body = j;
        let resumed = self.at(open) == b'}';
        while j < self.b.len() {
            match self.b[j] {
                b'\\' => j += 2,
                b'`' => {
                    let text = self.slice(body, j);
                    self.push(
                        Tok::Str {
                            text,
                            dynamic: resumed,
                        },
                        open,
                        j + 1,
                    );
                    return j + 1;
                }
                b'$' if self.at(j + 1) == b'{' => {
                    let text = self.slice(body, j);
                    self.push(
                        Tok::Str {
                            text,
                            dynamic: true,
                        },
                        open,
                        j + 2,
                    );
                    templates.push(braces);
                    return j + 2;
                }
                _ => j += 1,
            }
        }
        let text = self.slice(body.min(self.b.len()), self.b.len());
        self.push(
            Tok::Str {
                text,
                dynamic: resumed,
            },
            open,
            self.b.len(),
        );
        self.b.len()
    }

    fn regex_allowed(&self) -> bool {
        match self.out.last().map(|t| t.tok) {
            None => true,
            Some(Tok::Punct(p)) => !matches!(p, b')' | b']' | b'}'),
            Some(Tok::Word(w)) => JS_REGEX_AFTER.contains(&w),
            Some(Tok::Str { .. } | Tok::Regex) => false,
        }
    }

    fn regex(&mut self, i: usize) -> usize {
        let mut j = i + 1;
        let mut class = false;
        while j < self.b.len() {
            match self.b[j] {
                b'\\' => j += 2,
                b'\n' => break,
                b'[' => {
                    class = true;
                    j += 1;
                }
                b']' => {
                    class = false;
                    j += 1;
                }
                b'/' if !class => {
                    j += 1;
                    break;
                }
                _ => j += 1,
            }
        }
        let j = j.min(self.b.len());
        self.push(Tok::Regex, i, j);
        j
    }

    /// A Rust `'`: a character literal (`'a'`, `'\n'`, `'é'`) or a lifetime (`'a`).
    fn rust_quote(&mut self, i: usize) -> usize {
        let c = self.at(i + 1);
        if c == b'\\' {
            // Escaped character: up to the closing quote, within a short distance.
            let mut j = i + 2;
            while j < self.b.len() && j < i + 16 && self.b[j] != b'\'' && self.b[j] != b'\n' {
                j += 1;
            }
            let end = if self.at(j) == b'\'' { j + 1 } else { j };
            self.push(
                Tok::Str {
                    text: "",
                    dynamic: false,
                },
                i,
                end,
            );
            return end.max(i + 1);
        }
        let width = match c {
            0x00..=0x7f => 1,
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xff => 4,
            _ => 1,
        };
        if i + 1 < self.b.len() && c != b'\n' && self.at(i + 1 + width) == b'\'' {
            let end = i + 2 + width;
            self.push(
                Tok::Str {
                    text: self.slice(i + 1, i + 1 + width),
                    dynamic: false,
                },
                i,
                end,
            );
            return end;
        }
        // A lifetime or label: the quote is punctuation, the name a word.
        self.push(Tok::Punct(b'\''), i, i + 1);
        i + 1
    }

    /// `r"..."`, `r#"..."#`, `br".."`, `cr#".."#` starting at `i`, if there is one.
    fn rust_raw_string(&mut self, i: usize) -> Option<usize> {
        let mut j = i;
        if matches!(self.at(j), b'b' | b'c') {
            j += 1;
        }
        if self.at(j) != b'r' {
            return None;
        }
        // Must start a word: not the tail of an identifier like `bar`.
        if i > 0 && is_word_byte(self.at(i - 1)) {
            return None;
        }
        j += 1;
        let hashes_start = j;
        while self.at(j) == b'#' {
            j += 1;
        }
        let hashes = j - hashes_start;
        if self.at(j) != b'"' {
            return None;
        }
        let body = j + 1;
        let mut k = body;
        while k < self.b.len() {
            if self.b[k] == b'"'
                && self
                    .b
                    .get(k + 1..k + 1 + hashes)
                    .is_some_and(|h| h.iter().all(|&x| x == b'#'))
            {
                let text = self.slice(body, k);
                let end = k + 1 + hashes;
                self.push(
                    Tok::Str {
                        text,
                        dynamic: false,
                    },
                    i,
                    end,
                );
                return Some(end);
            }
            k += 1;
        }
        let text = self.slice(body, self.b.len());
        self.push(
            Tok::Str {
                text,
                dynamic: false,
            },
            i,
            self.b.len(),
        );
        Some(self.b.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(lang: Lang, src: &str) -> Vec<Tok<'_>> {
        let lines = Lines::new(src);
        lex(lang, src, &lines).into_iter().map(|t| t.tok).collect()
    }

    fn words(lang: Lang, src: &str) -> Vec<&str> {
        toks(lang, src)
            .into_iter()
            .filter_map(|t| match t {
                Tok::Word(w) => Some(w),
                _ => None,
            })
            .collect()
    }

    fn strs(lang: Lang, src: &str) -> Vec<(&str, bool)> {
        toks(lang, src)
            .into_iter()
            .filter_map(|t| match t {
                Tok::Str { text, dynamic } => Some((text, dynamic)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn lines_number_and_quote() {
        let l = Lines::new("a\r\nbb\n\nccc");
        assert_eq!(l.line_of(0), 1);
        assert_eq!(l.line_of(3), 2);
        assert_eq!(l.line_of(7), 4);
        assert_eq!(l.text(1), "a");
        assert_eq!(l.text(2), "bb");
        assert_eq!(l.text(3), "");
        assert_eq!(l.text(4), "ccc");
        assert_eq!(l.text(5), "");
        assert_eq!(l.text(0), "a");
    }

    #[test]
    fn python_comments_and_strings() {
        let src = "# import yaml\nx = 'import yaml'  # yaml\ny = \"\"\"\nimport yaml\n\"\"\"\nz";
        assert_eq!(words(Lang::Python, src), ["x", "y", "z"]);
        let lines = Lines::new(src);
        let t = lex(Lang::Python, src, &lines);
        assert_eq!(t.last().map(|t| t.line), Some(6));
    }

    #[test]
    fn python_prefixes_and_fstrings() {
        assert_eq!(
            strs(Lang::Python, "rb'a' f\"m.{x}\" F'plain' u'u'"),
            [
                ("a", false),
                ("m.{x}", true),
                ("plain", false),
                ("u", false)
            ]
        );
        // A word that is not a prefix stays a word.
        assert_eq!(words(Lang::Python, "name'x'"), ["name"]);
    }

    #[test]
    fn unterminated_strings_stop_at_line_end() {
        assert_eq!(
            words(Lang::Python, "x = 'oops\nimport yaml"),
            ["x", "import", "yaml"]
        );
        assert_eq!(
            words(Lang::JavaScript, "<p>don't</p>\nconst a = 1"),
            ["p", "don", "const", "a", "1"]
        );
        assert_eq!(
            words(Lang::Go, "s := \"oops\nimport x"),
            ["s", "import", "x"]
        );
    }

    #[test]
    fn js_templates_and_regexes() {
        assert_eq!(
            strs(Lang::JavaScript, "require(`lodash`)"),
            [("lodash", false)]
        );
        let s = strs(Lang::JavaScript, "require(`lo${x}dash`)");
        assert_eq!(s, [("lo", true), ("dash", true)]);
        // Nested template inside an interpolation, with braces.
        let w = words(Lang::JavaScript, "`a${ {k: `b${c}`}.k }d` + e");
        assert_eq!(w, ["k", "c", "k", "e"]);
        // A regex with quotes and slashes does not start strings.
        assert_eq!(
            words(Lang::JavaScript, "x = /'[/]\"/g; import y"),
            ["x", "g", "import", "y"]
        );
        // Division is not a regex.
        assert_eq!(words(Lang::JavaScript, "a / b / c"), ["a", "b", "c"]);
        assert_eq!(words(Lang::JavaScript, "/* import x */ // y\nz"), ["z"]);
    }

    #[test]
    fn rust_literals_lifetimes_and_nested_comments() {
        assert_eq!(
            words(Lang::Rust, "/* a /* b */ c */ d"),
            ["d"],
            "nested block comment"
        );
        assert_eq!(
            words(Lang::Rust, "fn f<'a>(x: &'a str) -> char { 'x' }"),
            ["fn", "f", "a", "x", "a", "str", "char"]
        );
        assert_eq!(
            strs(
                Lang::Rust,
                r####"r#"use x;"# br"y" '\n' 'é' "multi
line""####
            ),
            [
                ("use x;", false),
                ("y", false),
                ("", false),
                ("é", false),
                ("multi\nline", false)
            ]
        );
        // `r` and `br` inside words are not raw strings.
        assert_eq!(words(Lang::Rust, "bar\"s\""), ["bar"]);
        assert_eq!(words(Lang::Rust, "r#type"), ["r", "type"]);
    }

    #[test]
    fn go_raw_strings_and_runes() {
        assert_eq!(
            strs(Lang::Go, "import `net/http`\nr := '\"'"),
            [("net/http", false), ("\"", false)]
        );
    }
}
