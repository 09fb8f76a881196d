//! Text clean-up for export fields: sponsored-message HTML turned into plain text (links kept
//! as `label [url]`), HTML entities decoded everywhere, and profile URLs normalised for joins.

use std::sync::LazyLock;

use percent_encoding::percent_decode_str;
use regex::Regex;
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Any tag; group 1 is `/` for a closing tag, group 2 the tag name, group 3 the attributes.
static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)<(/?)([a-zA-Z][a-zA-Z0-9]*)\b([^<>]*)>").unwrap());

/// Tags that mark a field as HTML (so `a < b > c` in plain text is left alone).
static HTML_MARK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)<(?:p|br|a|div|span|strong|b|i|em|u|ul|ol|li|h[1-6])(?:\s[^<>]*)?/?>|</(?:p|a|div|span|strong|b|i|em|u|ul|ol|li|h[1-6])>").unwrap()
});

static HREF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"#).unwrap());

static BLANK_LINES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\n[ \t\u{a0}]*(?:\n[ \t\u{a0}]*){2,}").unwrap());

/// The plain text of a CONTENT / SUBJECT / note field: HTML is flattened, entities decoded;
/// plain text keeps its own line breaks and spacing.
pub(super) fn plain_text(field: &str) -> String {
    if HTML_MARK.is_match(field) {
        html_to_text(field)
    } else {
        html_escape::decode_html_entities(field).into_owned()
    }
}

/// Strips tags: `<br>` and the end of a block become a line break, a link becomes
/// `label [url]` (the url is a feature), runs of blank lines shrink to one.
fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut links: Vec<(usize, Option<String>)> = Vec::new();
    let mut last = 0;
    for tag in TAG.captures_iter(html) {
        let whole = tag.get(0).expect("group 0");
        out.push_str(&html[last..whole.start()]);
        last = whole.end();
        let closing = &tag[1] == "/";
        match (tag[2].to_ascii_lowercase().as_str(), closing) {
            ("br", _) => out.push('\n'),
            ("p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6", true) => {
                out.push('\n')
            }
            ("a", false) => {
                // Keep the link a token of its own: "laboris<a>https://…" would glue them.
                if out.ends_with(char::is_alphanumeric)
                    && !html[last..].starts_with(char::is_whitespace)
                {
                    out.push(' ');
                }
                links.push((out.len(), href(&tag[3])));
            }
            ("a", true) => close_link(&mut out, links.pop()),
            _ => {}
        }
    }
    out.push_str(&html[last..]);
    let decoded = html_escape::decode_html_entities(&out).into_owned();
    BLANK_LINES.replace_all(&decoded, "\n\n").trim().to_string()
}

fn href(attributes: &str) -> Option<String> {
    let caps = HREF.captures(attributes)?;
    let url = caps.get(1).or(caps.get(2)).or(caps.get(3))?.as_str().trim();
    (!url.is_empty()).then(|| url.to_string())
}

/// Appends ` [url]` after a link's label unless the label already shows the url, then a
/// space so the next word stays apart.
fn close_link(out: &mut String, link: Option<(usize, Option<String>)>) {
    let Some((start, Some(url))) = link else {
        return;
    };
    if !out
        .get(start..)
        .is_some_and(|label| label.contains(url.as_str()))
    {
        out.truncate(out.trim_end().len());
        out.push_str(&format!(" [{url}]"));
    }
    if !out.ends_with(char::is_whitespace) {
        out.push(' ');
    }
}

/// Normalises a LinkedIn profile URL for joins: percent-decoded, NFC, lower-case, without
/// query string, fragment or trailing `/`; `http://`, a missing `www.` or a country host
/// (`de.linkedin.com`) become `https://www.linkedin.com`.
pub fn normalize_profile_url(url: &str) -> String {
    let raw = url.trim();
    let raw = raw.split(['?', '#']).next().unwrap_or(raw);
    // Plain ASCII without escapes (nearly every URL) is already decoded and in NFC: one
    // allocation, lower-cased, then searched for the host.
    if raw.is_ascii() && !raw.contains('%') {
        return canonical_host(raw.to_ascii_lowercase());
    }
    let decoded = percent_decode_str(raw).decode_utf8_lossy();
    // Decoded escapes are nearly always composed already: the quick check spares the copy.
    canonical_host(match is_nfc_quick(decoded.chars()) {
        IsNormalized::Yes => decoded.to_lowercase(),
        _ => decoded.nfc().collect::<String>().to_lowercase(),
    })
}

/// A lower-cased URL with whatever comes before [`HOST`] made [`CANONICAL`] and trailing `/`
/// dropped, in place.
fn canonical_host(mut norm: String) -> String {
    if let Some(at) = norm.find(HOST) {
        norm.replace_range(..at, CANONICAL);
    }
    let kept = norm.trim_end_matches('/').len();
    norm.truncate(kept);
    norm
}

/// The part of a profile URL from which it is rewritten to [`CANONICAL`].
const HOST: &str = "linkedin.com/";
/// What goes before [`HOST`] in every normalised profile URL.
const CANONICAL: &str = "https://www.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_spinmail_html_and_keeps_links() {
        let html = r#"<p class="spinmail-quill-editor__spin-break">Hi %FIRSTNAME%,</p><p class="spinmail-quill-editor__spin-break"><br></p><p class="spinmail-quill-editor__spin-break">See<a rel="noopener" href="https://example.com/x?utm=1&amp;b=2" target="_blank"> our offer </a>now &amp; <strong>save</strong>.</p>"#;
        assert_eq!(
            plain_text(html),
            "Hi %FIRSTNAME%,\n\nSee our offer [https://example.com/x?utm=1&b=2] now & save."
        );
    }

    #[test]
    fn decodes_entities_in_plain_text_and_keeps_its_newlines() {
        assert_eq!(
            plain_text("Don&rsquo;t&nbsp;wait &amp; see\n\nok"),
            "Don\u{2019}t\u{a0}wait & see\n\nok"
        );
        assert_eq!(plain_text("if a < b > c"), "if a < b > c");
    }

    #[test]
    fn normalises_profile_urls() {
        let a = normalize_profile_url(
            "https://www.linkedin.com/in/Person-14-Jos%C3%A9-a8c43c74/?trk=x#top",
        );
        assert_eq!(
            a,
            "https://www.linkedin.com/in/person-14-jos\u{e9}-a8c43c74"
        );
        assert_eq!(
            normalize_profile_url("http://de.linkedin.com/in/person-14-jose\u{301}-a8c43c74"),
            a
        );
        assert_eq!(
            normalize_profile_url("linkedin.com/in/x/"),
            "https://www.linkedin.com/in/x"
        );
        assert_eq!(
            normalize_profile_url("HTTP://DE.LinkedIn.COM/in/Some-One//"),
            "https://www.linkedin.com/in/some-one"
        );
        assert_eq!(normalize_profile_url(" Example.org/X/ "), "example.org/x");
        assert_eq!(
            normalize_profile_url("https://www.linkedin.com/"),
            "https://www.linkedin.com"
        );
    }
}
