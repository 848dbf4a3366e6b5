//! Named functions and symbols: the word to look for, and where it appears.
//!
//! An advisory names a function by its path (`smallvec::SmallVec::insert_many`,
//! Go's `Server.ServeConn`, `(*Server).ServeConn`); code calls it by its last
//! segment (`v.insert_many(...)`, `srv.ServeConn(...)`), so that segment is the word
//! searched for: as a whole identifier in code, or as a whole word inside a string
//! (`getattr(yaml, "full_load")`), never in comments. Generic arguments and call
//! parentheses are dropped (`Foo::bar<T>()` -> `bar`). A name that leaves no word to
//! search for is reported as unsearchable rather than as absent.

use crate::lex::{Tok, Token};

/// The symbols of one target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Symbols {
    /// The names as the advisory gives them (trimmed, non-empty, deduplicated).
    pub names: Vec<String>,
    /// The words searched for.
    pub words: Vec<String>,
    /// Names that leave no word to search for.
    pub unsearchable: Vec<String>,
}

impl Symbols {
    pub fn new(names: &[String]) -> Symbols {
        let mut s = Symbols::default();
        for name in names {
            let name = name.trim();
            if name.is_empty() || s.names.iter().any(|n| n == name) {
                continue;
            }
            s.names.push(name.to_owned());
            match word_of(name) {
                Some(w) => {
                    if !s.words.iter().any(|x| x == w) {
                        s.words.push(w.to_owned());
                    }
                }
                None => s.unsearchable.push(name.to_owned()),
            }
        }
        s
    }

    /// Lines of `tokens` where a word appears.
    pub fn scan(&self, tokens: &[Token<'_>], out: &mut Vec<u32>) {
        if self.words.is_empty() {
            return;
        }
        for t in tokens {
            let hit = match t.tok {
                Tok::Word(w) => self.words.iter().any(|x| x == w),
                Tok::Str { text, .. } => self.words.iter().any(|x| contains_word(text, x)),
                Tok::Regex | Tok::Punct(_) => false,
            };
            if hit {
                out.push(t.line);
            }
        }
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// The word code calls a named symbol by: its last path segment.
pub(crate) fn word_of(symbol: &str) -> Option<&str> {
    let mut s = symbol.trim();
    // Drop trailing generic arguments and call parentheses: `bar<T>()`.
    loop {
        let before = s;
        s = s.strip_suffix("()").unwrap_or(s).trim_end();
        if s.ends_with('>') {
            // Cut the last balanced <...> group.
            let mut depth = 0usize;
            let mut cut = None;
            for (i, c) in s.char_indices().rev() {
                match c {
                    '>' => depth += 1,
                    '<' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            cut = Some(i);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            s = match cut {
                Some(i) => s.get(..i).unwrap_or("").trim_end(),
                None => "",
            };
            s = s.strip_suffix("::").unwrap_or(s);
        }
        if s == before {
            break;
        }
    }
    let s = s.rsplit("::").next().unwrap_or(s);
    let s = s.rsplit('.').next().unwrap_or(s);
    let s = s.trim_matches(|c: char| c == '(' || c == ')' || c == '*' || c.is_whitespace());
    let ok = !s.is_empty() && s.bytes().all(is_word_byte) && !s.as_bytes()[0].is_ascii_digit();
    ok.then_some(s)
}

/// Whether `word` appears in `text` with no word character on either side.
pub(crate) fn contains_word(text: &str, word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    let t = text.as_bytes();
    let mut from = 0;
    while let Some(p) = text.get(from..).and_then(|r| r.find(word)) {
        let start = from + p;
        let end = start + word.len();
        let before = start == 0 || !is_word_byte(t[start - 1]);
        let after = end >= t.len() || !is_word_byte(t[end]);
        if before && after {
            return true;
        }
        from = start + word.len().max(1);
        // Stay on a character boundary.
        while from < t.len() && !text.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use crate::lex::{Lines, lex};

    #[test]
    fn words_of_symbols() {
        assert_eq!(
            word_of("smallvec::SmallVec::insert_many"),
            Some("insert_many")
        );
        assert_eq!(word_of("Server.ServeConn"), Some("ServeConn"));
        assert_eq!(word_of("(*Server).ServeConn"), Some("ServeConn"));
        assert_eq!(word_of("ListenAndServe"), Some("ListenAndServe"));
        assert_eq!(word_of("yaml.full_load"), Some("full_load"));
        assert_eq!(word_of("Foo::<T>::bar"), Some("bar"));
        assert_eq!(word_of("foo::Bar::baz<T, Vec<U>>()"), Some("baz"));
        assert_eq!(word_of("<Foo as Trait>::method"), Some("method"));
        assert_eq!(word_of("_.template"), Some("template"));
        assert_eq!(word_of("  "), None);
        assert_eq!(word_of("a::"), None);
        assert_eq!(word_of("foo-bar"), None);
        assert_eq!(word_of("9lives"), None);
        assert_eq!(word_of("<<>>"), None);
    }

    #[test]
    fn whole_words_only() {
        assert!(contains_word("full_load", "full_load"));
        assert!(contains_word("call full_load(x)", "full_load"));
        assert!(!contains_word("full_loader", "full_load"));
        assert!(!contains_word("ListenAndServeTLS", "ListenAndServe"));
        assert!(contains_word("a ServeConn", "ServeConn"));
        assert!(!contains_word("éServeConn", "ServeConn"));
        assert!(contains_word("éé ServeConn é", "ServeConn"));
        assert!(!contains_word("", "x"));
        assert!(!contains_word("x", ""));
    }

    #[test]
    fn names_deduplicated_and_unsearchable_kept() {
        let s = Symbols::new(&[
            "a::b::insert_many".into(),
            "c::insert_many".into(),
            "c::insert_many".into(),
            " ".into(),
            "weird-name".into(),
        ]);
        assert_eq!(
            s.names,
            ["a::b::insert_many", "c::insert_many", "weird-name"]
        );
        assert_eq!(s.words, ["insert_many"]);
        assert_eq!(s.unsearchable, ["weird-name"]);
    }

    fn lines_of(lang: Lang, src: &str, names: &[&str]) -> Vec<u32> {
        let lines = Lines::new(src);
        let toks = lex(lang, src, &lines);
        let s = Symbols::new(&names.iter().map(|n| n.to_string()).collect::<Vec<_>>());
        let mut out = Vec::new();
        s.scan(&toks, &mut out);
        out
    }

    #[test]
    fn found_in_code_and_strings_not_comments() {
        let src = "// insert_many\nv.insert_many(0, x);\nlet s = \"insert_many\";\nv.insert_many_more();\n";
        assert_eq!(
            lines_of(Lang::Rust, src, &["smallvec::SmallVec::insert_many"]),
            [2, 3]
        );
        let py = "# yaml.full_load\nx = getattr(yaml, 'full_load')\nyaml.full_load(f)\n";
        assert_eq!(lines_of(Lang::Python, py, &["full_load"]), [2, 3]);
        let go = "srv.ListenAndServeTLS(a, b)\n/* ServeConn */\ns.ServeConn(c, o)\n";
        assert_eq!(
            lines_of(Lang::Go, go, &["Server.ServeConn", "ListenAndServe"]),
            [3]
        );
        assert!(lines_of(Lang::Go, go, &[]).is_empty());
    }
}
