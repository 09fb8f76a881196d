//! One raw message → the facts the reader keeps: subject, plain text, parties, date, labels
//! and bulk-mail headers. mail-parser does the MIME work (charsets, RFC 2047, quoted-printable,
//! base64); only text/plain and text/html parts become text (HTML converted only when there is
//! no plain alternative), and the subject and the text are each cut at [`MAX_TEXT_CHARS`].
//! Broken input is read as far as it goes: invalid UTF-8 is replaced with U+FFFD and flagged
//! as lossy.
//!
//! Passes that need no text ([`parse_headers`], [`parse_without_text`]) stop after the
//! top-level headers, so the MIME parts are never decoded.

use std::borrow::Cow;

use mail_parser::{Address, Message as Mime, MessageParser, MessagePart, MimeHeaders, PartType};

use super::headers::{self, ThreadIds};
use super::html;
use crate::read::{dates, MailHeaders};

pub(super) use crate::read::{MAX_NESTED_MESSAGES, MAX_TEXT_CHARS};

/// A party of a message: address (lower-case) and display name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Party {
    pub address: String,
    pub name: String,
}

/// What the reader keeps of one message.
#[derive(Debug, Clone, Default)]
pub(super) struct ParsedMail {
    pub subject: String,
    pub text: String,
    /// From (or Sender when From is missing).
    pub from: Party,
    /// Every To address, then every Cc address.
    pub recipients: Vec<Party>,
    pub delivered_to: Vec<String>,
    /// Gmail's `X-Gmail-Labels`.
    pub labels: Vec<String>,
    /// The `Date:` header, as Unix seconds.
    pub timestamp: Option<i64>,
    pub headers: MailHeaders,
    /// X-GM-THRID, Message-ID, References and In-Reply-To.
    pub thread_ids: ThreadIds,
    /// Invalid UTF-8 was replaced with U+FFFD somewhere (in the headers only, for a
    /// message parsed without its body).
    pub lossy: bool,
    /// The subject or the text was cut at [`MAX_TEXT_CHARS`].
    pub cut: bool,
    /// A receiving server found the sender forged ([`headers::failed_authentication`]).
    pub auth_failed: bool,
    /// It held more than [`MAX_NESTED_MESSAGES`] messages: read by its headers only.
    pub too_nested: bool,
}

impl ParsedMail {
    /// True when Gmail filed the message under `Sent` (the owner wrote it).
    pub fn has_sent_label(&self) -> bool {
        self.has_label("Sent")
    }

    /// Mail in one of your addresses' name that came from elsewhere: a receiving server
    /// found the sender forged (unless a `List-Id` says a list brought your own post back),
    /// or Gmail filed it in the inbox or spam, not under `Sent` or drafts (list and bulk mail
    /// aside). Called only for mail whose From is yours.
    pub fn received_in_your_name(&self) -> bool {
        if self.has_sent_label() || self.has_label("Drafts") || self.has_label("Draft") {
            return false;
        }
        // A list's header exempts: a bulk sender's `Precedence: bulk` only from the labels.
        let bulk = self.headers.list_id || self.headers.precedence_bulk;
        (!self.headers.list_id && self.auth_failed)
            || (!bulk && (self.has_label("Inbox") || self.has_label("Spam")))
    }

    fn has_label(&self, label: &str) -> bool {
        self.labels.iter().any(|l| l.eq_ignore_ascii_case(label))
    }
}

/// Parses one message. Bytes with no header at all (a bare body in an mbox) are kept as the
/// text of a message without sender or subject; `None` only for blank input.
pub(super) fn parse(bytes: &[u8]) -> Option<ParsedMail> {
    parse_with(bytes, true)
}

/// Parses the top-level headers only: `text` is empty, and the LinkedIn invitation flag is
/// what the sender and subject say. `None` only for blank input, as for [`parse`].
pub(super) fn parse_headers(bytes: &[u8]) -> Option<ParsedMail> {
    parse_with(bytes, false)
}

/// Parses what a pass without text needs, giving the same parties, date, thread ids and
/// [`MailHeaders`] as [`parse`]: the headers, and the body only when the LinkedIn invitation
/// flag depends on it (mail from LinkedIn, or with no sender).
pub(super) fn parse_without_text(bytes: &[u8]) -> Option<ParsedMail> {
    let mail = parse_headers(bytes)?;
    if headers::body_decides_invitation(&mail.from.address) {
        return parse(bytes);
    }
    Some(mail)
}

fn parse_with(bytes: &[u8], body: bool) -> Option<ParsedMail> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    // A message holding more messages than any mail needs (nested `message/rfc822` costs
    // about 3 KB a level once parsed, so 64 MiB of them would take gigabytes) is read by its
    // headers alone, and said so.
    let too_nested = body && nested_messages(bytes) > MAX_NESTED_MESSAGES;
    let body = body && !too_nested;
    let parser = MessageParser::default();
    let message = if body {
        parser.parse(bytes)
    } else {
        parser.parse_headers(bytes)
    };
    let mut parsed = match &message {
        Some(message) if !message.headers().is_empty() => from_mime(message, bytes, body),
        _ => headerless(bytes),
    };
    if let Some(message) = message {
        drop_flat(message);
    }
    parsed.too_nested = too_nested;
    Some(parsed)
}

/// How many `Content-Type:` lines of `bytes` say `message/rfc822` or `message/global` (the
/// types mail-parser reads as a message in the message), in any case; text that only
/// mentions them does not count.
fn nested_messages(bytes: &[u8]) -> usize {
    static FINDER: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(["message/rfc822", "message/global"])
                .expect("fixed patterns")
        });
    FINDER
        .find_iter(bytes)
        .filter(|m| {
            let line_start = bytes[..m.start()]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let before = &bytes[line_start..m.start()];
            let name = b"content-type:";
            before.len() >= name.len()
                && before[..name.len()].eq_ignore_ascii_case(name)
                && before[name.len()..].iter().all(u8::is_ascii_whitespace)
        })
        .count()
}

/// Drops a parsed message one nested message at a time: dropped as it is, a message nested
/// 30,000 levels deep (`message/rfc822` in `message/rfc822` …, 870 KB) recurses once per
/// level and overflows a thread's stack, ending the whole run.
fn drop_flat(message: Mime<'_>) {
    let mut nested = vec![message];
    while let Some(mut message) = nested.pop() {
        for part in &mut message.parts {
            if let PartType::Message(inner) = std::mem::take(&mut part.body) {
                nested.push(inner);
            }
        }
    }
}

fn headerless(bytes: &[u8]) -> ParsedMail {
    let text = String::from_utf8_lossy(bytes);
    let (text, cut) = crate::read::capped(&text);
    let text = text.to_string();
    ParsedMail {
        lossy: std::str::from_utf8(bytes).is_err(),
        headers: MailHeaders {
            linkedin_invitation: headers::is_linkedin_invitation("", "", &text),
            ..MailHeaders::default()
        },
        text,
        cut,
        ..ParsedMail::default()
    }
}

fn from_mime(message: &Mime<'_>, bytes: &[u8], body: bool) -> ParsedMail {
    // A subject is cut at MAX_TEXT_CHARS like a body (one of 48 MB took 870 MB to score).
    let (subject, subject_cut) = crate::read::capped(message.subject().unwrap_or_default().trim());
    let subject = subject.to_string();
    let (text, body_cut) = if body {
        body_text(message)
    } else {
        (String::new(), false)
    };
    let from = first_party(message.from()).or_else(|| first_party(message.sender()));
    let mut from = from.unwrap_or_default();
    let headers = headers::mail_headers(message, &from.address, &subject, &text);
    let (mut subject, mut text) = (subject, text);
    if headers.linkedin_invitation && headers.linkedin_notification {
        // Each inviter is a sender of their own (other LinkedIn mail shares its address).
        from.name = headers::linkedin_person(&from.name).to_string();
        // The inviter's own words only, as an export holds them: LinkedIn's subject ("… wants
        // to connect"), card and footer are not theirs.
        subject.clear();
        text = headers::invitation_note(&text, &from.name);
    }
    let recipients = message
        .to()
        .into_iter()
        .chain(message.cc())
        .flat_map(parties)
        .collect();
    let lossy = [subject.as_str(), &text, &from.name, &from.address]
        .iter()
        .any(|s| s.contains('\u{FFFD}'))
        && !contains_replacement_char(bytes);
    ParsedMail {
        timestamp: timestamp(message),
        delivered_to: headers::delivered_to(message),
        labels: headers::gmail_labels(message),
        thread_ids: headers::thread_ids(message),
        subject,
        text,
        from,
        recipients,
        headers,
        lossy,
        cut: subject_cut || body_cut,
        auth_failed: headers::failed_authentication(message),
        too_nested: false,
    }
}

/// The text of the message's body parts (HTML converted when a part has no plain
/// alternative), joined by blank lines and cut at [`MAX_TEXT_CHARS`]. When they hold no text,
/// text parts that mail-parser filed as attachments are used instead (a `text/html` part in
/// `multipart/mixed` whose base64 starts after an extra blank line is one).
fn body_text(message: &Mime<'_>) -> (String, bool) {
    let text = join_parts(message, &message.text_body);
    if !text.0.trim().is_empty() {
        return text;
    }
    let html = join_parts(message, &message.html_body);
    if !html.0.trim().is_empty() {
        return html;
    }
    join_parts(message, &message.attachments)
}

/// The text parts `ids` joined by blank lines, up to [`MAX_TEXT_CHARS`]; and whether text was
/// left out there.
fn join_parts(message: &Mime<'_>, ids: &[u32]) -> (String, bool) {
    let mut text = String::new();
    let mut chars = 0;
    for part in ids.iter().filter_map(|&id| message.parts.get(id as usize)) {
        let Some(part_text) = part_text(part) else {
            continue;
        };
        if chars >= MAX_TEXT_CHARS {
            return (text, !part_text.trim().is_empty());
        }
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        let (kept, count) = prefix_chars(&part_text, MAX_TEXT_CHARS - chars);
        text.push_str(kept);
        if kept.len() < part_text.len() {
            return (text, true);
        }
        chars += count;
    }
    (text, false)
}

/// The text of a text/plain or text/html part (HTML converted); `None` for anything else.
fn part_text<'a>(part: &'a MessagePart<'_>) -> Option<Cow<'a, str>> {
    match &part.body {
        PartType::Text(text) => Some(Cow::Borrowed(text.as_ref())),
        PartType::Html(html) => Some(Cow::Owned(html::to_text(html))),
        PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
            let content_type = part.content_type()?;
            if !content_type.ctype().eq_ignore_ascii_case("text") {
                return None;
            }
            let text = String::from_utf8_lossy(bytes);
            match content_type.subtype() {
                Some(sub) if sub.eq_ignore_ascii_case("html") => {
                    Some(Cow::Owned(html::to_text(&text)))
                }
                Some(sub) if sub.eq_ignore_ascii_case("plain") => Some(text),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The first `max` characters of `s`, and how many characters that is.
pub(super) fn prefix_chars(s: &str, max: usize) -> (&str, usize) {
    match s.char_indices().nth(max) {
        Some((end, _)) => (&s[..end], max),
        None => (s, s.chars().count()),
    }
}

/// The `Date:` header as mail-parser reads it, else as [`dates::parse`] reads its raw text.
/// Years from 1 to 999 get 1900 added: Outlook Express wrote 2002 as `0102` (a Y2K bug), and
/// RFC 5322's obsolete syntax says so for three-digit years. A day the month does not have
/// (31 February), a zone that is not hours and minutes (+9999), or a year outside 1970–2099
/// or 0000 is no date.
fn timestamp(message: &Mime<'_>) -> Option<i64> {
    let parsed = message.date().map(|date| {
        let mut date = *date;
        if (1..1000).contains(&date.year) {
            date.year += 1900;
        }
        date
    });
    let real = |d: &mail_parser::DateTime| {
        d.is_valid()
            && chrono::NaiveDate::from_ymd_opt(i32::from(d.year), d.month.into(), d.day.into())
                .is_some()
    };
    let raw = headers::raw_value(message, "Date");
    // Year 0000 is a placeholder (mail-parser reads it as 2000, like a two-digit 00), and a
    // zone is hours and minutes (2002 spam wrote -1600: odd, but a time).
    let impossible_zone = |w: &str| {
        w.strip_prefix(['+', '-'])
            .filter(|d| d.len() == 4 && d.bytes().all(|b| b.is_ascii_digit()))
            .is_some_and(|d| &d[..2] > "23" || &d[2..] > "59")
    };
    if raw
        .split_whitespace()
        .any(|w| w == "0000" || impossible_zone(w))
    {
        return None;
    }
    match parsed {
        Some(date) if real(&date) => Some(date.to_timestamp()).filter(|&t| dates::plausible(t)),
        _ => dates::parse(&raw)
            .or_else(|| zoneless_date(&raw))
            .filter(|&t| dates::plausible(t)),
    }
}

/// `[Day,] DD Mon YYYY HH:MM[:SS]` with no zone (2002 bulk mailers wrote that), as UTC.
fn zoneless_date(raw: &str) -> Option<i64> {
    let words: Vec<&str> = raw.split_whitespace().collect();
    let start = usize::from(words.first()?.ends_with(','));
    let value = words.get(start..(start + 4).min(words.len()))?.join(" ");
    ["%d %b %Y %H:%M:%S", "%d %b %Y %H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(&value, f).ok())
        .map(|dt| dt.and_utc().timestamp())
}

fn first_party(address: Option<&Address<'_>>) -> Option<Party> {
    address.and_then(|a| parties(a).into_iter().next())
}

/// The parties of an address header that have an address (groups flattened).
fn parties(address: &Address<'_>) -> Vec<Party> {
    address
        .iter()
        .filter_map(|a| {
            let addr = a.address()?.trim().trim_matches(['<', '>']).to_lowercase();
            (!addr.is_empty()).then(|| Party {
                address: addr,
                name: a
                    .name()
                    .unwrap_or_default()
                    .trim()
                    .trim_matches('"')
                    .to_string(),
            })
        })
        .collect()
}

/// True when the raw bytes themselves hold a U+FFFD (so its presence in the text is no loss).
fn contains_replacement_char(bytes: &[u8]) -> bool {
    bytes.windows(3).any(|w| w == "\u{FFFD}".as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mail_holding_more_nested_messages_than_the_cap_is_read_by_its_headers() {
        let mut deep = b"From: a@b.org\nSubject: deep\nContent-Type: message/rfc822\n\n".to_vec();
        deep.extend(b"Content-Type: message/rfc822\n\n".repeat(30_000));
        // The pool's threads have 2 MiB stacks: freeing 30,000 levels recursively took more.
        let small_stack = std::thread::Builder::new().stack_size(2 << 20);
        let mail = small_stack
            .spawn(move || parse(&deep).expect("a message"))
            .unwrap()
            .join()
            .expect("no stack overflow");
        assert_eq!(
            (mail.from.address.as_str(), mail.subject.as_str()),
            ("a@b.org", "deep")
        );
        assert!(mail.too_nested && mail.text.is_empty());
        // Below the cap, a message in a message is read through, and freed flat.
        let mut nested = b"From: a@b.org\nContent-Type: message/rfc822\n\n".to_vec();
        nested.extend(b"Content-Type: message/rfc822\n\n".repeat(MAX_NESTED_MESSAGES - 2));
        nested.extend(b"Subject: inner\n\nhello there\n");
        let mail = parse(&nested).unwrap();
        assert!(!mail.too_nested);
        // Text that only names the type is no nested message.
        let mut told = b"From: a@b.org\nSubject: types\n\n".to_vec();
        told.extend(b"We send message/rfc822 parts.\n".repeat(MAX_NESTED_MESSAGES + 1));
        let mail = parse(&told).unwrap();
        assert!(!mail.too_nested && mail.text.contains("message/rfc822"));
    }

    #[test]
    fn a_parsed_message_is_freed_one_nested_message_at_a_time() {
        // Built by hand, past any cap: dropped as it is, this chain overflows a 2 MiB stack.
        let mut message = Mime::default();
        for _ in 0..200_000 {
            let part = MessagePart {
                body: PartType::Message(message),
                ..MessagePart::default()
            };
            message = Mime {
                parts: vec![part],
                ..Mime::default()
            };
        }
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || drop_flat(message))
            .unwrap()
            .join()
            .expect("no stack overflow");
    }

    #[test]
    fn converts_html_when_there_is_no_plain_part() {
        let raw = b"From: A <a@b.com>\nSubject: hi\nContent-Type: text/html\n\n<p>Hello &amp; welcome</p>\n";
        let mail = parse(raw).unwrap();
        assert!(mail.text.contains("Hello & welcome"), "{:?}", mail.text);
        assert!(!mail.text.contains("<p>"));
        assert_eq!(mail.from.address, "a@b.com");
        assert_eq!(mail.from.name, "A");
    }

    #[test]
    fn reads_y2k_years_and_dates_without_a_zone() {
        let utc = dates::parse("Thu, 22 Aug 2002 04:07:35 +0000");
        let raw = b"From: a@b.com\nDate: Thu, 22 Aug 0102 12:07:35 +0800\n\nx\n";
        assert_eq!(parse(raw).unwrap().timestamp, utc);
        let raw = b"From: a@b.com\nDate: Thu, 22 Aug 2002 04:07:35\n\nx\n";
        assert_eq!(parse(raw).unwrap().timestamp, utc);
    }

    #[test]
    fn placeholder_years_days_a_month_lacks_and_impossible_zones_are_no_date() {
        for date in [
            "Mon, 1 Jan 0000 10:00:00 +0000",
            "31 Feb 2024 10:00:00 +0000",
            "Mon, 1 Jan 2024 10:00:00 +9999",
            "1 Jan 1 10:00 GMT",
            "Mon, 1 Jan 2150 10:00:00 +0000",
        ] {
            let raw = format!("From: a@b.com\nDate: {date}\n\nx\n");
            assert_eq!(parse(raw.as_bytes()).unwrap().timestamp, None, "{date}");
        }
        let raw = b"From: a@b.com\nDate: Mon, 1 Jan 2024 10:00:00 -1200\n\nx\n";
        assert!(
            parse(raw).unwrap().timestamp.is_some(),
            "a real far-west zone"
        );
    }

    #[test]
    fn a_subject_is_cut_at_the_text_limit_like_a_body() {
        let long = "buy now ".repeat(MAX_TEXT_CHARS / 4);
        let raw = format!("From: a@b.com\nSubject: {long}\n\nshort body\n");
        let mail = parse(raw.as_bytes()).unwrap();
        assert_eq!(mail.subject.chars().count(), MAX_TEXT_CHARS);
        assert!(mail.cut && long.starts_with(&mail.subject));
        let raw = b"From: a@b.com\nSubject: short\n\nshort body\n";
        let mail = parse(raw).unwrap();
        assert!(!mail.cut && mail.subject == "short");
    }

    #[test]
    fn cuts_text_at_a_char_boundary() {
        assert_eq!(prefix_chars("héllo", 2), ("hé", 2));
        assert_eq!(prefix_chars("hé", 5), ("hé", 2));
    }

    #[test]
    fn flags_non_utf8_headers_as_lossy_but_keeps_them() {
        let raw = b"From: Jos\xe9 <jose@b.com>\nSubject: caf\xe9 \xff\nDate: Wed, 6 Mar 2002 16:49:39 -0800 (PST)\n\nbody\n";
        let mail = parse(raw).unwrap();
        assert_eq!(mail.from.address, "jose@b.com");
        assert!(mail.subject.starts_with("caf"), "{:?}", mail.subject);
        assert_eq!(
            mail.timestamp,
            dates::parse("Thu, 07 Mar 2002 00:49:39 +0000")
        );
        assert_eq!(mail.text.trim(), "body");
    }

    #[test]
    fn a_headers_only_parse_agrees_with_a_full_one_on_everything_but_the_text() {
        let raw = b"From: Ann <ann@x.com>\r\nTo: me@y.com\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\nMessage-ID: <1@x>\r\nIn-Reply-To: <0@y>\r\nList-Id: <l.x.com>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nContent-Type: text/plain\r\n\r\nI'd like to join your LinkedIn network\r\n";
        let (full, head) = (parse(raw).unwrap(), parse_without_text(raw).unwrap());
        assert_eq!(head.text, "");
        assert!(full.text.contains("LinkedIn network"));
        assert_eq!((&head.subject, &head.from), (&full.subject, &full.from));
        assert_eq!(
            (&head.recipients, head.timestamp),
            (&full.recipients, full.timestamp)
        );
        assert_eq!(
            (&head.headers, &head.thread_ids),
            (&full.headers, &full.thread_ids)
        );
        assert_eq!(head.thread_ids.parents, ["0@y"]);
        // From LinkedIn the note in the body decides, so the body is read.
        let linkedin =
            String::from_utf8_lossy(raw).replace("ann@x.com", "invitations-noreply@linkedin.com");
        let head = parse_without_text(linkedin.as_bytes()).unwrap();
        assert!(head.headers.linkedin_invitation);
        assert_eq!(head.headers, parse(linkedin.as_bytes()).unwrap().headers);
    }
}
