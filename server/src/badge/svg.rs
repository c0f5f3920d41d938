//! The badge image: label on grey, message on the state's colour, in the
//! layout of shields.io's "flat" style, so it sits well beside others.

use telltale_model::BadgeLook;

/// Approximate width in pixels of `text` in 11 px Verdana (what badges
/// use); no font is measured, so wide and narrow letters are guessed.
fn text_width(text: &str) -> u32 {
    let tenths: u32 = text
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | 'I' => 35,
            'f' | 'r' | 't' | '(' | ')' | '[' | ']' | ' ' | '-' | '/' => 50,
            'm' | 'w' | 'M' | 'W' => 105,
            'A'..='Z' | '0'..='9' | '_' => 75,
            c if c.is_ascii() => 65,
            // Wider scripts (CJK and the like) take about a square each.
            _ => 110,
        })
        .sum();
    tenths.div_ceil(10)
}

/// XML text and attribute values: the job name comes from producers.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

pub fn render(label: &str, look: BadgeLook) -> String {
    let (lw, mw) = (text_width(label) + 10, text_width(look.message) + 10);
    let width = lw + mw;
    let (lx, mx) = (lw * 5, lw * 10 + mw * 5);
    let (label, message, fill) = (escape(label), escape(look.message), look.hex);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="{label}: {message}"><title>{label}: {message}</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)"><rect width="{lw}" height="20" fill="#555"/><rect x="{lw}" width="{mw}" height="20" fill="{fill}"/><rect width="{width}" height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="110"><text x="{lx}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)">{label}</text><text x="{lx}" y="140" transform="scale(.1)">{label}</text><text x="{mx}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)">{message}</text><text x="{mx}" y="140" transform="scale(.1)">{message}</text></g></svg>"##
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_model::JobHealth;

    #[test]
    fn the_name_is_escaped_and_the_state_is_in_words() {
        let svg = render("a<b>&\"c\"", BadgeLook::of(JobHealth::Down));
        assert!(svg.contains("a&lt;b&gt;&amp;&quot;c&quot;: DOWN"), "{svg}");
        assert!(!svg.contains("a<b>"));
        assert!(svg.contains("#e05d44"));
        assert!(text_width("nightly-render") > text_width("etl"));
    }
}
