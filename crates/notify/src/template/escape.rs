//! Escaping per target: what a value taken from incident data becomes in each
//! message format, so that data can never become markup, a mention or a link.
//!
//! - Slack mrkdwn: `&`, `<` and `>` are Slack's control characters and become
//!   `&amp;`, `&lt;`, `&gt;` (Slack decodes only these three), so `<!channel>`,
//!   `<!here>` or `<@U123>` in data is shown, never parsed. `@here`, `@channel`
//!   and `@everyone` written plainly are broken with a zero-width joiner after
//!   the `@`, in case a workspace parses plain names (`link_names`).
//! - HTML (email): the five HTML-significant characters become entities.
//! - Adaptive Card: a TextBlock renders a small Markdown subset and never HTML;
//!   the Markdown punctuation is backslash-escaped. The card itself is built as
//!   JSON values, so JSON string escaping is serde_json's.
//! - Markdown: backslash-escaped punctuation, and `&`, `<`, `>` as entities
//!   (Markdown renderers pass raw HTML through).
//! - Text: unchanged (plain text parts, PagerDuty summaries).

use super::Target;

/// Zero-width joiner: placed after the `@` of a broadcast name.
pub const ZWJ: char = '\u{200D}';

/// `s` escaped for `target`.
pub fn escape(target: Target, s: &str) -> String {
    match target {
        Target::SlackMrkdwn => slack(s),
        Target::Html => html(s),
        Target::AdaptiveCard => markdown_punctuation(s),
        Target::Markdown => markdown_punctuation(&slack_entities(s)),
        Target::Text => s.to_owned(),
    }
}

/// Slack's three control characters as entities.
fn slack_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Slack mrkdwn: control characters as entities, broadcast names broken.
pub fn slack(s: &str) -> String {
    neutralise_broadcasts(&slack_entities(s))
}

/// `@here`, `@channel`, `@everyone` (any case) with a zero-width joiner after
/// the `@`.
pub fn neutralise_broadcasts(s: &str) -> String {
    const NAMES: [&str; 3] = ["here", "channel", "everyone"];
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('@') {
        out.push_str(&rest[..=i]);
        let after = &rest[i + 1..];
        let lower = after.get(..after.len().min(8)).unwrap_or("");
        let lower = lower.to_ascii_lowercase();
        if NAMES.iter().any(|n| lower.starts_with(n)) {
            out.push(ZWJ);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// HTML text and attribute escaping.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// Markdown punctuation backslash-escaped.
fn markdown_punctuation(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '[' | ']' | '(' | ')' | '`' | '#' | '~' | '|' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `s` in bold, itself escaped, as markup for `target`.
pub fn bold(target: Target, s: &str) -> String {
    let e = escape(target, s);
    match target {
        Target::SlackMrkdwn => format!("*{e}*"),
        Target::Html => format!("<strong>{e}</strong>"),
        Target::AdaptiveCard | Target::Markdown => format!("**{e}**"),
        Target::Text => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_mentions_are_shown_not_parsed() {
        assert_eq!(
            slack("<!channel> <@U024BE7LH> a&b"),
            "&lt;!channel&gt; &lt;@U024BE7LH&gt; a&amp;b"
        );
        assert_eq!(slack("hi @Here"), format!("hi @{ZWJ}Here"));
        assert_eq!(slack("mail a@example.com"), "mail a@example.com");
    }

    #[test]
    fn html_and_markdown() {
        assert_eq!(
            html("<script>alert('1')</script>"),
            "&lt;script&gt;alert(&#x27;1&#x27;)&lt;/script&gt;"
        );
        assert_eq!(escape(Target::Markdown, "*b* <i>"), "\\*b\\* &lt;i&gt;");
        assert_eq!(escape(Target::AdaptiveCard, "[x](y)"), "\\[x\\]\\(y\\)");
    }
}
