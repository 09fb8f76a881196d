//! HTML mail bodies → plain text: tags dropped, `<script>`, `<style>` and comments skipped,
//! block elements turned into line breaks, entities decoded, runs of blanks collapsed.
//!
//! mail-parser's own converter drops everything after a stray `<head>` inside `<body>` (real
//! 2002 newsletters do that: SpamAssassin `hard-ham-1/00029`), so this one ignores document
//! structure and keeps every piece of text outside a tag.

/// Tags whose content is never text.
const SKIPPED: [&str; 2] = ["script", "style"];

/// Tags that start a new line.
const BLOCKS: [&str; 16] = [
    "br",
    "p",
    "div",
    "tr",
    "li",
    "ul",
    "ol",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "hr",
];

/// The text of an HTML document.
pub(super) fn to_text(html: &str) -> String {
    let mut raw = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        raw.push_str(&rest[..open]);
        rest = &rest[open..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        let Some(close) = rest.find('>') else {
            rest = ""; // an unclosed tag at the end: not text
            break;
        };
        let name = tag_name(&rest[1..close]);
        rest = &rest[close + 1..];
        if SKIPPED.contains(&name.as_str()) {
            rest = skip_past_closing(rest, &name);
        } else if BLOCKS.contains(&name.as_str()) {
            raw.push('\n');
        } else if name == "td" || name == "th" {
            raw.push(' ');
        }
    }
    raw.push_str(rest);
    collapse_blanks(&html_escape::decode_html_entities(&raw))
}

/// The lower-case element name of a tag's inside (`/P class=x` → `p`).
fn tag_name(inside: &str) -> String {
    inside
        .trim_start_matches('/')
        .split(|c: char| c.is_whitespace() || c == '/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The text after `</name …>`, or nothing when the element is never closed.
fn skip_past_closing<'a>(rest: &'a str, name: &str) -> &'a str {
    let mut from = 0;
    while let Some(found) = rest[from..].find("</") {
        let at = from + found;
        let after = &rest.as_bytes()[at + 2..];
        if after.len() >= name.len() && after[..name.len()].eq_ignore_ascii_case(name.as_bytes()) {
            return rest[at..].find('>').map_or("", |end| &rest[at + end + 1..]);
        }
        from = at + 2;
    }
    ""
}

/// Spaces and tabs collapse to one space, lines are trimmed, and at most one empty line is
/// kept between paragraphs.
fn collapse_blanks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut empty_lines = 0;
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            empty_lines += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if empty_lines > 0 { "\n\n" } else { "\n" });
        }
        empty_lines = 0;
        out.push_str(&words.join(" "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_text_after_a_stray_head_and_drops_scripts() {
        let html = "<HTML><body><HEAD>\n<TITLE>News</TITLE><script>var x = '<p>';</script>\
                    <P>Hello&nbsp;&amp; welcome<BR>to <b>our</b> list<!-- hidden --></p>";
        assert_eq!(to_text(html), "News\nHello & welcome\nto our list");
    }

    #[test]
    fn survives_unclosed_tags_and_comments() {
        assert_eq!(to_text("a <!-- b"), "a");
        assert_eq!(to_text("a <b"), "a");
        assert_eq!(to_text("<style>x"), "");
        assert_eq!(to_text("x<td>y</td><td>z"), "x y z");
    }
}
