//! Mail input: mbox files (Google Takeout, Thunderbird, Apple Mail's `Name.mbox/mbox`), `.eml`
//! files, maildirs, Takeout `.zip`/`.tgz` archives, and labeled corpora (`spam/`, `ham/`).
//!
//! Owns splitting mboxes, parsing each message with mail-parser, working out the mailbox's
//! owner and giving each message its [`Thread`](crate::read::Thread) (the thread, the
//! correspondent, the direction, the `Date:` header) and
//! [`MailHeaders`](crate::read::MailHeaders) (List-*, Precedence, Feedback-ID, LinkedIn
//! notifications). It does not score anything.
//!
//! Threads are real threads: Gmail's `X-GM-THRID`, else the reply chain of `Message-ID`,
//! `References` and `In-Reply-To`, else the correspondent; the contact is the correspondent.
//!
//! Memory stays bounded whatever the input size: [`open_mail`] gives a [`MailStream`] that
//! reads the mail again on every pass, one message at a time, keeping only the owner's
//! addresses and a hashed index of reply chains between passes. Each message keeps at most
//! 64 MiB of its bytes (the rest of a huge attachment is skipped), only text/plain and
//! text/html parts become text, and each message's text is cut at 100,000 characters. A
//! message that cannot be parsed at all is listed in the [`ReadReport`] as
//! `file:line: message <n>: problem`; a damaged one is kept with what could be read (invalid
//! UTF-8 replaced with U+FFFD and counted as lossy).

mod headers;
mod html;
mod mbox;
mod owner;
mod parse;
mod sources;
mod stream;
mod threads;

use std::path::Path;

use super::{Message, MessageStream, ReadReport};
use crate::error::{Error, Result};
use sources::Select;
pub use stream::MailStream;
pub use threads::FORGED;

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

/// Whether `path` is named as a `.tgz` / `.tar.gz` archive, which hardsell only reads as mail
/// (one that [`is_mail`] cannot open is still mail, to be reported as a broken archive).
pub fn is_tar_gz(path: &Path) -> bool {
    sources::is_tar_gz(path)
}

/// Opens the mail at `path` (see [`is_mail`]) for streaming, with one index pass over it
/// (headers only): `me` (an address) overrides owner detection (Delivered-To, then Gmail's
/// `Sent` label, then the most common To), and the reply chains are hashed for the thread
/// keys. No message is kept; each [`MessageStream::each`] reads them again.
pub fn open_mail(path: &Path, me: Option<&str>) -> Result<MailStream> {
    let (stream, files, _) = MailStream::open(path, Select::Mail, &[], me)?;
    if files == 0 {
        return Err(no_mail(
            path,
            "no mail found (no *.mbox, *.eml, maildir or Apple Mail mbox)",
        ));
    }
    Ok(stream)
}

/// Reads every message at `path` into memory: [`open_mail`] and one pass with text.
pub fn read_mail(path: &Path, me: Option<&str>) -> Result<MailBox> {
    let stream = open_mail(path, me)?;
    let (messages, report) = collect(&stream)?;
    Ok(MailBox {
        messages,
        owner: stream.owner().to_vec(),
        report,
    })
}

/// Reads a labeled corpus: a folder (or `.zip`/`.tar.gz`) whose files are raw messages or
/// mboxes, labeled by the folder directly containing them. `label_map` renames folders
/// (`("spam-1", "spam")`); a folder mapped to `-` is skipped; others keep their own name.
/// Also returns the label folders found, by their own names.
pub fn read_labeled_mail(
    path: &Path,
    label_map: &[(String, String)],
) -> Result<(Vec<Message>, ReadReport, Vec<String>)> {
    let (stream, _, index_report) = MailStream::open(path, Select::Labeled, label_map, None)?;
    if stream.message_count() == 0 && index_report.bad_rows.is_empty() {
        return Err(no_mail(
            path,
            "no labeled messages found (expected label folders such as spam/ and ham/)",
        ));
    }
    let (messages, report) = collect(&stream)?;
    Ok((messages, report, stream.folders()))
}

/// One pass with text, every message kept.
fn collect(stream: &MailStream) -> Result<(Vec<Message>, ReadReport)> {
    let mut messages = Vec::with_capacity(stream.message_count());
    let report = stream.each(true, &mut |m| {
        messages.push(m);
        Ok(())
    })?;
    Ok((messages, report))
}

fn no_mail(path: &Path, message: &str) -> Error {
    Error::Export {
        path: path.into(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests;
