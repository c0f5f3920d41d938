//! Producer text in each provider's markup: shown as written, never acted
//! on. Where a provider has no escape for a character, an invisible
//! zero-width space after it breaks the markup it would start.

const ZWSP: char = '\u{200B}';

/// Markdown (Discord, Mattermost, Rocket.Chat, Teams' TextBlocks): the
/// characters that start emphasis, code, links, headings, quotes, spoilers
/// and tables are backslash-escaped (`-`, `+` and `.` only make lists at a
/// line's start, and stay readable in names such as `nightly-etl`), and
/// `@` is followed by a zero-width space so `@here`, `@channel`, `@all`
/// and `@everyone` do not ping.
pub(crate) fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '@' => {
                out.push('@');
                out.push(ZWSP);
            }
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '<' | '>' | '|'
            | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// HTML text (Telegram's `parse_mode: HTML`, Matrix's `formatted_body`):
/// the email body's escaping.
pub(crate) use crate::compose::html;

/// Google Chat's text formatting: `<`, `>` and `&` as entities (so
/// `<users/all>` does not mention and `<url|text>` does not link), and a
/// zero-width space after each of `*`, `_`, `~` and `` ` `` so they
/// neither start nor end bold, italics, strike-through or code.
pub(crate) fn google_chat(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '*' | '_' | '~' | '`' => {
                out.push(c);
                out.push(ZWSP);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_cannot_ping_link_or_format() {
        let s = markdown("@here **bold** [x](http://evil) `code` <@123>");
        assert!(!s.contains("@here"));
        assert!(s.contains(r"\*\*bold\*\*"), "{s}");
        assert!(s.contains(r"\[x\]\(http://evil\)"), "{s}");
        assert!(s.contains(r"\`code\`"), "{s}");
        assert!(s.contains(r"\<@"), "{s}");
    }

    #[test]
    fn html_and_google_chat_escape_their_markup() {
        assert_eq!(
            html(r#"<b>"x" & y</b>"#),
            "&lt;b&gt;&quot;x&quot; &amp; y&lt;/b&gt;"
        );
        let g = google_chat("<users/all> *bold* `x`");
        assert!(g.starts_with("&lt;users/all&gt;"), "{g}");
        assert!(!g.contains("*bold*"), "{g}");
    }
}
