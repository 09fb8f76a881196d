//! Mail input: mbox files (Google Takeout, Thunderbird, Apple Mail's `Name.mbox/mbox`), `.eml`
//! files, maildirs, Takeout `.zip`/`.tgz` archives, and labeled corpora (`spam/`, `ham/`).
//!
//! Owns splitting mboxes, parsing each message with mail-parser, working out the mailbox's
//! owner and giving each message its [`Thread`](crate::read::Thread) (the correspondent, the
//! direction, the `Date:` header) and [`MailHeaders`](crate::read::MailHeaders) (List-*,
//! Precedence, Feedback-ID, LinkedIn notifications). It does not score anything.
//!
//! Memory stays bounded whatever the input size: mboxes and archives are streamed one message
//! at a time, each message keeps at most 64 MiB of its bytes (the rest of a huge attachment is
//! skipped), only text/plain and text/html parts become text, and each message's text is cut at
//! 100,000 characters. A message that cannot be parsed at all is listed in the
//! [`ReadReport`] as `file:line: message <n>: problem`; a damaged one is kept with what could
//! be read (invalid UTF-8 replaced with U+FFFD and counted as lossy).

mod headers;
mod html;
mod mbox;
mod parse;
mod sources;
mod threads;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::{Message, Origin, ReadReport};
use crate::error::{Error, Result};
use mbox::{MboxSplitter, RawMail, MAX_MESSAGE_BYTES};
use sources::{Entry, Kind, Select};
use threads::Collected;

/// Everything read from a mailbox.
#[derive(Debug, Clone, Default)]
pub struct MailBox {
    /// Every message, in input order.
    pub messages: Vec<Message>,
    /// The owner's addresses, lower-case, most used first.
    pub owner: Vec<String>,
    /// Messages that could not be read, and lossy UTF-8 counts.
    pub report: ReadReport,
}

/// True for mail this module reads: an `*.mbox` file or any file starting with a `From ` line;
/// an `.eml` file; a folder holding an Apple Mail `Name.mbox/mbox`, `.eml` files, a maildir
/// (`cur/`, `new/`) or `*.mbox` files; a `.zip`, `.tgz` or `.tar.gz` holding `*.mbox` or
/// `*.eml` files (a `.tgz` is read up to its first one).
pub fn is_mail(path: &Path) -> bool {
    sources::is_mail(path)
}

/// Reads every message at `path` (see [`is_mail`]); `me` (an address) overrides owner
/// detection (Delivered-To, then Gmail's `Sent` label, then the most common To).
pub fn read_mail(path: &Path, me: Option<&str>) -> Result<MailBox> {
    let mut collector = Collector::default();
    let files = sources::visit(path, Select::Mail, &mut |entry| collector.read(entry, None))?;
    if files == 0 {
        return Err(no_mail(
            path,
            "no mail found (no *.mbox, *.eml, maildir or Apple Mail mbox)",
        ));
    }
    let owner = threads::detect_owner(me, &collector.mails);
    Ok(MailBox {
        messages: threads::build(&owner, collector.mails),
        owner,
        report: collector.report,
    })
}

/// Reads a labeled corpus: a folder (or `.zip`/`.tar.gz`) whose files are raw messages or
/// mboxes, labeled by the folder directly containing them. `label_map` renames folders
/// (`("spam-1", "spam")`); a folder mapped to `-` is skipped; others keep their own name.
pub fn read_labeled_mail(
    path: &Path,
    label_map: &[(String, String)],
) -> Result<(Vec<Message>, ReadReport)> {
    let mut collector = Collector::default();
    sources::visit(path, Select::Labeled, &mut |entry| {
        let folder = entry.folder.clone().unwrap_or_default();
        let label = label_map
            .iter()
            .find(|(from, _)| *from == folder)
            .map_or(folder.as_str(), |(_, to)| to.as_str());
        if label == "-" {
            return Ok(());
        }
        let label = label.to_string();
        collector.read(entry, Some(label))
    })?;
    if collector.mails.is_empty() && collector.report.bad_rows.is_empty() {
        return Err(no_mail(
            path,
            "no labeled messages found (expected label folders such as spam/ and ham/)",
        ));
    }
    let owner = threads::detect_owner(None, &collector.mails);
    Ok((threads::build(&owner, collector.mails), collector.report))
}

fn no_mail(path: &Path, message: &str) -> Error {
    Error::Export {
        path: path.into(),
        message: message.into(),
    }
}

/// Parses the messages of each file handed over and keeps them with the report.
#[derive(Default)]
struct Collector {
    mails: Vec<Collected>,
    report: ReadReport,
}

impl Collector {
    /// Reads one file: split as an mbox when it is one (or starts with a `From ` line), else
    /// taken as a single message.
    fn read(&mut self, entry: Entry<'_>, label: Option<String>) -> Result<()> {
        let display = entry.display;
        let io_error = |e| Error::io(&display, e);
        let mut reader = BufReader::with_capacity(1 << 16, entry.reader);
        let is_mbox =
            entry.kind == Kind::Mbox || reader.fill_buf().map_err(io_error)?.starts_with(b"From ");
        if is_mbox {
            let mut count = 0;
            for (index, raw) in MboxSplitter::new(reader).enumerate() {
                self.add(&display, index + 1, raw.map_err(io_error)?, &label);
                count += 1;
            }
            if count == 0 {
                self.report
                    .bad_rows
                    .push(format!("{display}:1: empty file, no message"));
            }
            return Ok(());
        }
        let mut bytes = Vec::new();
        let limit = MAX_MESSAGE_BYTES as u64 + 1;
        reader
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(io_error)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            self.report
                .bad_rows
                .push(format!("{display}:1: empty file, no message"));
            return Ok(());
        }
        let truncated = bytes.len() > MAX_MESSAGE_BYTES;
        bytes.truncate(MAX_MESSAGE_BYTES);
        self.add(
            &display,
            1,
            RawMail {
                line: 1,
                bytes,
                truncated,
            },
            &label,
        );
        Ok(())
    }

    /// Parses one message, or lists it as a bad row when nothing can be read from it.
    fn add(&mut self, display: &str, number: usize, raw: RawMail, label: &Option<String>) {
        let origin = Origin {
            file: display.to_string(),
            line: raw.line,
        };
        let Some(mail) = parse::parse(&raw.bytes) else {
            let problem = "empty message (nothing after the separator line)";
            self.report
                .bad_rows
                .push(format!("{origin}: message {number}: {problem}"));
            return;
        };
        if mail.lossy {
            self.report.lossy_rows += 1;
            self.report
                .first_lossy
                .get_or_insert_with(|| origin.clone());
        }
        self.mails.push(Collected {
            origin,
            label: label.clone(),
            mail,
        });
    }
}

#[cfg(test)]
mod tests;
