//! `messages.csv` (and the 2018 `Messages.csv`): columns found by name, in any case, in every
//! layout LinkedIn has written; every column after FOLDER optional. Drafts and rows with
//! neither a sender nor any content are left out; a row whose DATE cannot be read goes to the
//! report as `path:line: problem`.

use std::io::Read;

use super::csvrows::{each_row, row_id, Outcome, Row, Table};
use super::normalize_profile_url;
use crate::error::{Error, Result};
use crate::read::{dates, Origin, ReadReport};

/// The Message-Ad editor's class, found in sponsored messages' HTML (searched for in every
/// row of every pass: its searcher is built once).
static SPINMAIL_MARK: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new("spinmail-quill-editor"));

/// Columns every layout has.
const COMMON: [&str; 6] = ["FROM", "TO", "DATE", "SUBJECT", "CONTENT", "FOLDER"];
/// The 2018-2020 layout identifies the owner's rows by this column.
const LEGACY_ONLY: [&str; 1] = ["DIRECTION"];
/// The 2021+ layouts add these.
const MODERN_ONLY: [&str; 3] = [
    "CONVERSATION ID",
    "CONVERSATION TITLE",
    "SENDER PROFILE URL",
];

/// The layouts known, for the error message.
const KNOWN_LAYOUTS: &str = "\
  From,To,Date,Subject,Content,Direction,Folder (2018; also upper-case, 2020)\n  \
  CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,[RECIPIENT PROFILE URLS,]DATE,SUBJECT,CONTENT,FOLDER \
  (2021 on), optionally followed by ATTACHMENTS, IS MESSAGE DRAFT, IS CONVERSATION DRAFT";

/// One row of messages.csv, with the fields the reader uses.
#[derive(Debug, Clone, Default)]
pub(super) struct RawMessage {
    pub origin: Origin,
    /// `<file name>:<line>`.
    pub id: String,
    /// CONVERSATION ID (empty in the 2018 layout).
    pub conversation: String,
    pub title: String,
    pub from: String,
    /// Normalised SENDER PROFILE URL; `None` when empty or absent.
    pub sender_url: Option<String>,
    pub to: String,
    /// Normalised RECIPIENT PROFILE URLS.
    pub recipient_urls: Vec<String>,
    pub timestamp: Option<i64>,
    pub subject: String,
    /// CONTENT as written (may be HTML).
    pub content: String,
    /// CONTENT holds LinkedIn's Message-Ad editor mark (a sponsored message's HTML).
    pub spinmail: bool,
    /// `Some(true)` for Direction OUTGOING (2018 layout); `None` when the file does not say.
    pub outgoing: Option<bool>,
    /// A hash of the row's conversation, sender, date, subject, content length and first 128
    /// content bytes (read in every pass, with text or without): two rows with the same are
    /// one message written twice.
    pub fingerprint: u64,
    /// A hash of CONTENT as written, trimmed ([`note_key`]; read in every pass): an accepted
    /// invitation's note repeated in messages.csv has its note's.
    pub content_key: u64,
}

/// The hash of a text as [`RawMessage::content_key`] takes it: its bytes, trimmed.
pub(super) fn note_key(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(text.trim().as_bytes())
}

struct Layout {
    conversation: Option<usize>,
    title: Option<usize>,
    from: usize,
    sender_url: Option<usize>,
    to: usize,
    recipient_urls: Option<usize>,
    date: usize,
    subject: usize,
    content: usize,
    folder: usize,
    direction: Option<usize>,
    message_draft: Option<usize>,
    conversation_draft: Option<usize>,
    attachments: Option<usize>,
}

/// Reads every row of a messages file; `file_name` prefixes the ids.
#[cfg(test)]
pub(super) fn read_messages<R: Read>(
    display: &str,
    file_name: &str,
    input: R,
    report: &mut ReadReport,
) -> Result<Vec<RawMessage>> {
    let mut out = Vec::new();
    each_message(display, file_name, input, true, report, |m| m, &mut |m| {
        out.push(m);
        Ok(())
    })?;
    Ok(out)
}

/// Streams the rows of a messages file to `visit`, in file order, each made into a `T` by
/// `finish` on the thread pool; `file_name` prefixes the ids. Without `text`, SUBJECT and
/// CONTENT are left empty (`spinmail` is still set).
pub(super) fn each_message<R: Read, T: Send>(
    display: &str,
    file_name: &str,
    input: R,
    text: bool,
    report: &mut ReadReport,
    finish: impl Fn(RawMessage) -> T + Sync,
    visit: &mut dyn FnMut(T) -> Result<()>,
) -> Result<()> {
    each_row(
        display,
        input,
        0,
        report,
        resolve_layout,
        |table, layout, row| {
            if is_draft(row, layout) {
                return Outcome::LeaveOut(format!("{display}: unsent drafts"));
            }
            if is_empty(row, layout) {
                return Outcome::LeaveOut(format!(
                    "{display}: rows with no sender, text or attachment"
                ));
            }
            parse_row(table, row, layout, file_name, text)
                .map(&finish)
                .into()
        },
        visit,
    )?;
    Ok(())
}

fn resolve_layout(table: &Table) -> Result<Layout> {
    if table.header.iter().all(|h| h.is_empty()) {
        return Err(Error::Export {
            path: (*table.name).into(),
            message: "the file is empty (no header)".into(),
        });
    }
    let has = |name: &str| table.column(&[name]).is_some();
    let legacy = LEGACY_ONLY.iter().all(|c| has(c));
    let modern = MODERN_ONLY.iter().all(|c| has(c));
    if !COMMON.iter().all(|c| has(c)) || !(legacy || modern) {
        return Err(Error::Export {
            path: (*table.name).into(),
            message: format!(
                "unrecognised messages.csv header:\n  {}\nknown layouts (column names in any case and order):\n{KNOWN_LAYOUTS}",
                table.header_line()
            ),
        });
    }
    let col = |name: &str| table.column(&[name]);
    let required = |name: &str| col(name).expect("checked above");
    Ok(Layout {
        conversation: col("CONVERSATION ID"),
        title: col("CONVERSATION TITLE"),
        from: required("FROM"),
        sender_url: col("SENDER PROFILE URL"),
        to: required("TO"),
        recipient_urls: col("RECIPIENT PROFILE URLS"),
        date: required("DATE"),
        subject: required("SUBJECT"),
        content: required("CONTENT"),
        folder: required("FOLDER"),
        direction: col("DIRECTION"),
        message_draft: col("IS MESSAGE DRAFT"),
        conversation_draft: col("IS CONVERSATION DRAFT"),
        attachments: col("ATTACHMENTS"),
    })
}

/// An unsent draft: flagged, or (Dec 2024) filed in no folder at all.
fn is_draft(row: &Row, layout: &Layout) -> bool {
    let yes = |idx| row.get(idx).trim().eq_ignore_ascii_case("yes");
    yes(layout.message_draft)
        || yes(layout.conversation_draft)
        || row.get(Some(layout.folder)).trim().is_empty()
}

/// A row with no sender and nothing in it (seen in 2022 and 2024 threads): nobody said anything.
fn is_empty(row: &Row, layout: &Layout) -> bool {
    [
        Some(layout.from),
        layout.sender_url,
        Some(layout.content),
        Some(layout.subject),
        layout.attachments,
    ]
    .iter()
    .all(|&idx| row.get(idx).trim().is_empty())
}

fn parse_row(
    table: &Table,
    row: &Row,
    layout: &Layout,
    file_name: &str,
    text: bool,
) -> Result<RawMessage, String> {
    let origin = table.origin(row);
    let timestamp = dates::parse_cell(row.get(Some(layout.date)), "DATE")
        .map_err(|e| format!("{origin}: {e}"))?;
    let outgoing = match layout.direction.map(|i| row.get(Some(i)).trim()) {
        None => None,
        Some(d) if d.eq_ignore_ascii_case("OUTGOING") => Some(true),
        Some(d) if d.eq_ignore_ascii_case("INCOMING") => Some(false),
        Some(d) => {
            return Err(format!(
                "{origin}: column 'Direction': expected INCOMING or OUTGOING, got '{d}'"
            ))
        }
    };
    let url = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(normalized_url);
    // Every pass computes it, so the content counts by its length and first bytes only, and
    // each field is hashed with the hash so far as its seed (no streaming state).
    let content = row.get(Some(layout.content)).as_bytes();
    let fingerprint = [
        layout.conversation,
        Some(layout.from),
        Some(layout.date),
        Some(layout.subject),
    ]
    .into_iter()
    .map(|idx| row.get(idx).as_bytes())
    .chain([&content[..content.len().min(128)]])
    .fold(content.len() as u64, |seed, field| {
        xxhash_rust::xxh3::xxh3_64_with_seed(field, seed)
    });
    Ok(RawMessage {
        fingerprint,
        content_key: note_key(row.get(Some(layout.content))),
        id: row_id(file_name, row.line),
        conversation: row.get(layout.conversation).trim().to_string(),
        title: row.get(layout.title).trim().to_string(),
        from: row.get(Some(layout.from)).trim().to_string(),
        sender_url: url(row.get(layout.sender_url)),
        to: row.get(Some(layout.to)).trim().to_string(),
        recipient_urls: split_urls(row.get(layout.recipient_urls))
            .filter_map(url)
            .collect(),
        timestamp,
        spinmail: SPINMAIL_MARK.find(content).is_some(),
        subject: if text {
            row.take_text(Some(layout.subject))
        } else {
            String::new()
        },
        content: if text {
            row.take_text(Some(layout.content))
        } else {
            String::new()
        },
        outgoing,
        origin,
    })
}

/// Profile URLs normalised lately on this thread, by the hash of their text as read (with
/// that text, to rule out a shared hash): a conversation's rows name the same two or three
/// URLs again and again, in every pass. Emptied when it holds [`URL_CACHE`] of them.
type UrlCache = std::collections::HashMap<u64, (Box<str>, String)>;

/// How many normalised URLs a thread keeps.
const URL_CACHE: usize = 4096;

thread_local! {
    static URLS: std::cell::RefCell<UrlCache> = std::cell::RefCell::new(UrlCache::new());
}

/// [`normalize_profile_url`], remembered per thread.
fn normalized_url(raw: &str) -> String {
    let key = xxhash_rust::xxh3::xxh3_64(raw.as_bytes());
    URLS.with_borrow_mut(|cache| {
        if let Some((seen, norm)) = cache.get(&key) {
            if **seen == *raw {
                return norm.clone();
            }
        }
        let norm = normalize_profile_url(raw);
        if cache.len() >= URL_CACHE {
            cache.clear();
        }
        cache.insert(key, (raw.into(), norm.clone()));
        norm
    })
}

/// Splits RECIPIENT PROFILE URLS, joined by `,` (no space) before each `http`; names in TO can
/// hold commas, URLs cannot be split that way safely otherwise. A piece runs from the start,
/// or from an `http` after a `,` or `;` (spaces between allowed), to the next such `http`.
fn split_urls(field: &str) -> impl Iterator<Item = &str> {
    let begins_url = move |i: usize| field[..i].trim_end().ends_with([',', ';']);
    let mut start = Some(0);
    std::iter::from_fn(move || {
        let a = start?;
        let b = field[a..]
            .match_indices("http")
            .map(|(i, _)| a + i)
            .find(|&i| i > a && begins_url(i))
            .unwrap_or(field.len());
        start = (b < field.len()).then_some(b);
        Some(field[a..b].trim().trim_end_matches([',', ';']).trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_urls_are_the_normalised_ones_however_often_asked_and_past_a_full_cache() {
        let urls: Vec<String> = (0..URL_CACHE + 10)
            .map(|i| format!("https://de.linkedin.com/in/Jos%C3%A9-{i}/?trk=x"))
            .chain([
                "http://LinkedIn.com/in/ann/".into(),
                "https://www.linkedin.com/in/ann".into(),
            ])
            .collect();
        for round in 0..2 {
            for url in urls.iter().rev() {
                assert_eq!(
                    normalized_url(url),
                    normalize_profile_url(url),
                    "round {round}"
                );
            }
        }
        assert!(URLS.with_borrow(|cache| cache.len()) <= URL_CACHE);
        assert_eq!(
            normalized_url(&urls[0]),
            "https://www.linkedin.com/in/josé-0"
        );
    }

    fn read(bytes: &[u8]) -> (Result<Vec<RawMessage>>, ReadReport) {
        let mut report = ReadReport::default();
        (read_messages("m.csv", "m.csv", bytes, &mut report), report)
    }

    /// The first form of [`split_urls`] (two vectors of positions), kept as its reference.
    fn split_urls_by_positions(field: &str) -> Vec<&str> {
        let mut starts: Vec<usize> = field
            .match_indices("http")
            .map(|(i, _)| i)
            .filter(|&i| i == 0 || field[..i].trim_end().ends_with([',', ';']))
            .collect();
        if starts.first() != Some(&0) {
            starts.insert(0, 0);
        }
        let ends: Vec<usize> = starts
            .iter()
            .skip(1)
            .copied()
            .chain([field.len()])
            .collect();
        starts
            .into_iter()
            .zip(ends)
            .map(|(a, b)| field[a..b].trim().trim_end_matches([',', ';']).trim())
            .collect()
    }

    #[test]
    fn splits_urls_as_the_positions_form_did() {
        let fields = [
            "",
            "http",
            "https://x/in/a",
            " https://x/in/a , https://x/in/b;https://x/in/c ",
            "Jos\u{e9},https://x/in/a,b,http://x/in/c;",
            "é,http",
            "httphttp,http,,https://x/in/d",
            "name, with comma , https://x/in/e/,",
            ",;https://x",
            "ühttps://x,https://y",
        ];
        for f in fields {
            assert_eq!(
                split_urls(f).collect::<Vec<_>>(),
                split_urls_by_positions(f),
                "{f:?}"
            );
        }
    }

    #[test]
    fn splits_group_recipients_only_before_urls() {
        let urls: Vec<&str> =
            split_urls("https://x/in/a,https://x/in/b,c,https://x/in/d").collect();
        assert_eq!(
            urls,
            ["https://x/in/a", "https://x/in/b,c", "https://x/in/d"]
        );
        assert_eq!(split_urls("").count(), 1);
    }

    #[test]
    fn reads_the_13_column_layout_in_lower_case() {
        let csv = b"conversation id,conversation title,from,sender profile url,to,recipient profile urls,date,subject,content,folder,attachments,is message draft,is conversation draft\n\
                    c1,,P,https://www.linkedin.com/in/p,Me,https://www.linkedin.com/in/me,2025-01-02 03:04:05 UTC,,hi,INBOX,,No,No\n\
                    c1,,Me,https://www.linkedin.com/in/me,P,https://www.linkedin.com/in/p,2025-01-02 03:04:06 UTC,,draft,INBOX,,Yes,No\n";
        let (rows, report) = read(csv);
        let rows = rows.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].sender_url.as_deref(),
            Some("https://www.linkedin.com/in/p")
        );
        assert!(report.bad_rows.is_empty());
    }

    #[test]
    fn rejects_an_unknown_header_naming_it_and_the_known_layouts() {
        let err = read(b"Sender,Body,When\na,b,c\n").0.unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::Export { .. }));
        assert!(
            text.contains("Sender,Body,When")
                && text.contains("From,To,Date,Subject,Content,Direction,Folder"),
            "{text}"
        );
    }

    #[test]
    fn reports_an_unreadable_date_and_keeps_the_other_rows() {
        let csv = b"From,To,Date,Subject,Content,Direction,Folder\n\
                    A,Me,\"1/2/18, 3:04 PM\",,one,INCOMING,INBOX\n\
                    B,Me,xyz,,two,INCOMING,INBOX\n\
                    C,Me,\"1/3/18, 3:04 PM\",,three,INCOMING,INBOX\n";
        let (rows, report) = read(csv);
        assert_eq!(rows.unwrap().len(), 2);
        assert_eq!(
            report.bad_rows,
            ["m.csv:3: column 'DATE': unrecognised date 'xyz'"]
        );
    }
}
