//! [`MailStream`]: a mailbox read message by message, as often as the caller needs.
//!
//! Opening it takes one index pass over the mail (headers only: the owner's addresses and the
//! reply chains, see [`threads`](super::threads)); each [`MessageStream::each`] then reads the
//! files again and hands over one [`Message`] at a time, so memory holds a batch of messages
//! (at most 256, about 8 MB: they are parsed on the thread pool, then handed over in order)
//! and the index, never the mailbox. Every pass walks the files in the same order and cuts the same
//! messages, so a message has the same id (`file:line`) and the same place in every pass, and
//! a message that cannot be read is reported by every pass.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::mbox::{MboxSplitter, MAX_MESSAGE_BYTES};
use super::owner::OwnerTally;
use super::parse;
use super::sources::{self, Entry, Kind, Select};
use super::threads::{self, ThreadIndex, ThreadIndexer};
use crate::error::{Error, Result};
use crate::read::{Copies, Message, MessageStream, Origin, ReadReport, MAX_NESTED_MESSAGES};

/// A mailbox opened for streaming: its owner and reply chains are known, its messages are
/// read afresh by every [`MessageStream::each`] pass (see [`open_mail`](super::open_mail)).
#[derive(Debug)]
pub struct MailStream {
    path: PathBuf,
    select: Select,
    /// Folder → label renames of a labeled corpus (`-` skips the folder).
    label_map: Vec<(String, String)>,
    owner: Vec<String>,
    index: ThreadIndex,
    messages: usize,
    /// The label folders met by the walks of a labeled corpus, by their own names.
    folders: std::sync::Mutex<std::collections::BTreeSet<String>>,
    /// Messages with the Message-ID and sender of an earlier one (saved in two folders, or in
    /// one file twice); a labeled corpus is taken as it is (its copies are its authors' choice).
    copies: Copies,
}

/// Messages parsed on the pool at a time, at most.
pub(super) const BATCH_MESSAGES: usize = 256;
/// Bytes of mail parsed on the pool at a time, about (a batch ends at the message that
/// reaches it).
const BATCH_BYTES: usize = 8 << 20;

/// One message cut out of a file, with where it starts and its label folder's label.
struct Cut {
    origin: Origin,
    /// 1-based number of the message in its file.
    number: usize,
    bytes: Vec<u8>,
    label: Option<String>,
}

/// What cutting the files finds, in file order: a message, or a file without one.
enum Found {
    Message(Cut),
    Problem(String),
}

/// Called with everything cut, in order, and the report to add problems to.
type OnCut<'a> = dyn FnMut(Found, &mut ReadReport) -> Result<()> + 'a;

impl MailStream {
    /// Opens `path` with one index pass. Returns the stream, how many files held mail and the
    /// index pass's report (for the callers' "nothing found" checks).
    pub(super) fn open(
        path: &Path,
        select: Select,
        label_map: &[(String, String)],
        me: Option<&str>,
    ) -> Result<(MailStream, usize, ReadReport)> {
        let mut stream = MailStream {
            path: path.to_path_buf(),
            select,
            label_map: label_map.to_vec(),
            owner: Vec::new(),
            index: ThreadIndex::default(),
            messages: 0,
            folders: Default::default(),
            copies: Copies::default(),
        };
        let mut owner = OwnerTally::looking_for(me);
        let mut indexer = ThreadIndexer::default();
        let mut messages = 0;
        let mut copy_keys: Vec<u32> = Vec::new();
        let mut report = ReadReport::default();
        let files = stream.walk_parsed(
            &mut report,
            &|cut| parse::parse_headers(&cut.bytes),
            &mut |cut, parsed, report| {
                match parsed {
                    Some(mail) => {
                        copy_keys.extend(stream.fingerprint(&mail).map(Copies::key));
                        owner.add(&mail);
                        indexer.add(&mail.thread_ids);
                        messages += 1;
                    }
                    None => report.bad_rows.push(unreadable(&cut)),
                }
                Ok(())
            },
        )?;
        stream.owner = owner
            .owner(me)
            .map_err(|m| Error::Usage(format!("{}: {m}", path.display())))?;
        stream.index = indexer.finish();
        stream.messages = messages;
        stream.copies = Copies::new(copy_keys);
        Ok((stream, files, report))
    }

    /// What tells a copy of a message ([`Copies`]): its Message-ID and sender; `None` without
    /// a Message-ID, and in a labeled corpus.
    fn fingerprint(&self, mail: &parse::ParsedMail) -> Option<u64> {
        let id = mail.thread_ids.id.as_deref().filter(|id| !id.is_empty())?;
        (self.select == Select::Mail)
            .then(|| xxhash_rust::xxh3::xxh3_64(format!("{id}\n{}", mail.from.address).as_bytes()))
    }

    /// The owner's addresses, lower-case, most used first (`--me` when given; else
    /// Delivered-To and the From of Gmail `Sent` mail; else the most common To).
    pub fn owner(&self) -> &[String] {
        &self.owner
    }

    /// How many messages the index pass read (every pass gives this many to `visit`, less
    /// the copies it leaves out).
    pub fn message_count(&self) -> usize {
        self.messages
    }

    /// The label folders of a labeled corpus, by their own names (before `--label-map`).
    pub fn folders(&self) -> Vec<String> {
        let folders = self.folders.lock().unwrap_or_else(|p| p.into_inner());
        folders.iter().cloned().collect()
    }

    /// Cuts every message of every file and hands each to `on_cut`; returns how many files
    /// there were.
    fn walk(&self, report: &mut ReadReport, on_cut: &mut OnCut<'_>) -> Result<usize> {
        let visited = sources::visit(&self.path, self.select, &mut |entry| {
            if let (Select::Labeled, Some(folder)) = (self.select, &entry.folder) {
                let mut folders = self.folders.lock().unwrap_or_else(|p| p.into_inner());
                folders.insert(crate::read::clean_label(folder));
            }
            let label = match self.select {
                Select::Mail => None,
                Select::Labeled => match self.label_of(entry.folder.as_deref()) {
                    Some(label) => Some(label),
                    None => return Ok(()),
                },
            };
            cut_file(entry, label, report, on_cut)
        })?;
        if visited.unlabeled > 0 {
            let reason = format!(
                "{}: files at the top of a labeled corpus, outside any label folder (put each \
                 in the folder of its label)",
                self.path.display()
            );
            *report.left_out.entry(reason).or_default() += visited.unlabeled;
        }
        Ok(visited.files)
    }

    /// [`MailStream::walk`], with every message put through `parse` on the thread pool, a
    /// batch of messages at a time (at most [`BATCH_MESSAGES`] and about [`BATCH_BYTES`]), and
    /// handed to `on_parsed` in order. With one thread, messages are parsed where they are
    /// handed over.
    fn walk_parsed<P: Send>(
        &self,
        report: &mut ReadReport,
        parse: &(dyn Fn(&Cut) -> P + Sync),
        on_parsed: &mut dyn FnMut(Cut, P, &mut ReadReport) -> Result<()>,
    ) -> Result<usize> {
        use rayon::prelude::*;
        let parallel = rayon::current_num_threads() > 1;
        let most = if parallel { BATCH_MESSAGES } else { 1 };
        // Messages and problems, in order: a problem waits for the messages before it.
        let mut batch: Vec<Found> = Vec::new();
        let mut bytes = 0usize;
        let mut flush = |batch: &mut Vec<Found>, report: &mut ReadReport| -> Result<()> {
            let one = |found: &Found| match found {
                Found::Message(cut) => Some(parse(cut)),
                Found::Problem(_) => None,
            };
            let parsed: Vec<Option<P>> = match parallel {
                true => batch.par_iter().with_min_len(4).map(one).collect(),
                false => batch.iter().map(one).collect(),
            };
            for (found, p) in batch.drain(..).zip(parsed) {
                match (found, p) {
                    (Found::Message(cut), Some(p)) => on_parsed(cut, p, report)?,
                    (Found::Problem(problem), _) => report.bad_rows.push(problem),
                    (Found::Message(_), None) => {}
                }
            }
            Ok(())
        };
        let files = self.walk(report, &mut |found, report| {
            if let Found::Message(cut) = &found {
                bytes += cut.bytes.len();
            }
            batch.push(found);
            if batch.len() >= most || bytes >= BATCH_BYTES {
                bytes = 0;
                flush(&mut batch, report)?;
            }
            Ok(())
        })?;
        flush(&mut batch, report)?;
        Ok(files)
    }

    /// The label of a file in `folder`, renamed by the label map; `None` for a skipped folder.
    fn label_of(&self, folder: Option<&str>) -> Option<String> {
        let folder = crate::read::clean_label(folder.unwrap_or_default());
        let folder = folder.as_str();
        let label = self
            .label_map
            .iter()
            .find(|(from, _)| from == folder)
            .map_or(folder, |(_, to)| to.as_str());
        (label != "-").then(|| label.to_string())
    }
}

impl MessageStream for MailStream {
    /// Reads the mail again and hands over each message with its thread and headers. With
    /// `text` false only the top-level headers are decoded (the body too for mail from
    /// LinkedIn, whose invitation flag depends on it); subject and text are left empty, and
    /// lossy UTF-8 is not counted (it is a property of the decoded text). Unreadable messages
    /// are reported alike in every pass.
    fn each(&self, text: bool, visit: &mut dyn FnMut(Message) -> Result<()>) -> Result<ReadReport> {
        let mut report = ReadReport::default();
        // Parsed and made into messages on the pool; reported and visited in order here.
        let make = |cut: &Cut| {
            let parsed = if text {
                parse::parse(&cut.bytes)
            } else {
                parse::parse_without_text(&cut.bytes)
            };
            parsed.map(|mail| {
                let noticed = (
                    text && mail.lossy,
                    text && mail.cut,
                    self.fingerprint(&mail),
                    text && mail.too_nested,
                );
                let message = threads::message(
                    &self.owner,
                    &self.index,
                    cut.origin.clone(),
                    cut.label.clone(),
                    mail,
                    text,
                );
                (noticed, message)
            })
        };
        let mut met = std::collections::HashSet::new();
        self.walk_parsed(&mut report, &make, &mut |cut, made, report| {
            let Some(((lossy, long, fingerprint, too_nested), message)) = made else {
                report.bad_rows.push(unreadable(&cut));
                return Ok(());
            };
            if fingerprint.is_some_and(|f| self.copies.is_copy(f, &mut met)) {
                report.leave_out(&format!(
                    "{}: copies of a message read before (the same Message-ID and sender)",
                    self.path.display()
                ));
                return Ok(());
            }
            if lossy {
                report.lossy_rows += 1;
                report.first_lossy.get_or_insert_with(|| cut.origin.clone());
            }
            if long {
                report.cut_text(&cut.origin);
            }
            if too_nested {
                report.notes.push(format!(
                    "{}: holds more than {MAX_NESTED_MESSAGES} nested messages: read by its \
                     headers only",
                    cut.origin
                ));
            }
            if message
                .thread
                .as_ref()
                .is_some_and(|t| t.timestamp.is_none())
            {
                report.undated(&cut.origin);
            }
            if message
                .thread
                .as_ref()
                .is_some_and(threads::names_no_address)
            {
                report.unnamed_parties += 1;
                report
                    .first_unnamed
                    .get_or_insert_with(|| cut.origin.clone());
            }
            visit(message)
        })?;
        Ok(report)
    }
}

/// The bad row of a message with nothing in it.
fn unreadable(cut: &Cut) -> String {
    let problem = "empty message (nothing after the separator line)";
    format!("{}: message {}: {problem}", cut.origin, cut.number)
}

/// Cuts one file: split as an mbox when it is one (or starts with a `From ` line), else
/// taken as a single message (its first [`MAX_MESSAGE_BYTES`]).
fn cut_file(
    entry: Entry<'_>,
    label: Option<String>,
    report: &mut ReadReport,
    on_cut: &mut OnCut<'_>,
) -> Result<()> {
    let display = entry.display;
    let io_error = |e| Error::io(&display, e);
    let mut reader = BufReader::with_capacity(1 << 16, entry.reader);
    let is_mbox =
        entry.kind == Kind::Mbox || reader.fill_buf().map_err(io_error)?.starts_with(b"From ");
    let cut = |number: usize, line: u64, bytes: Vec<u8>| Cut {
        origin: Origin {
            file: display.as_str().into(),
            line,
        },
        number,
        bytes,
        label: label.clone(),
    };
    if is_mbox {
        let mut count = 0;
        for (index, raw) in MboxSplitter::new(reader).enumerate() {
            let raw = raw.map_err(io_error)?;
            on_cut(Found::Message(cut(index + 1, raw.line, raw.bytes)), report)?;
            count += 1;
        }
        if count == 0 {
            on_cut(Found::Problem(empty_file(&display)), report)?;
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
        return on_cut(Found::Problem(empty_file(&display)), report);
    }
    if !starts_with_header(&bytes) {
        let problem = format!(
            "{display}:1: not a mail message (it does not start with a header line such as \
             'From: …' or 'Received: …')"
        );
        return on_cut(Found::Problem(problem), report);
    }
    bytes.truncate(MAX_MESSAGE_BYTES);
    on_cut(Found::Message(cut(1, 1, bytes)), report)
}

/// Whether a message file starts (after any UTF-8 byte order mark) with a header field: a
/// name of printable ASCII without `:` (RFC 5322's field-name), then `:`.
fn starts_with_header(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let name_len = bytes
        .iter()
        .take_while(|&&b| (33..=126).contains(&b) && b != b':')
        .count();
    name_len > 0 && bytes.get(name_len) == Some(&b':')
}

fn empty_file(display: &str) -> String {
    format!("{display}:1: empty file, no message")
}
