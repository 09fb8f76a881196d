//! Delimited files with the user's own column names: CSV, TSV, `;`-separated, with or
//! without a header.
//!
//! Columns are found by header name (or by 1-based number with `--no-header`); the delimiter
//! is sniffed from the first 20 rows unless given (tab for a `.tsv`). Invalid UTF-8 is
//! replaced with U+FFFD and counted (never silently). A row with the wrong number of fields
//! is an error naming `path:line`; the caller decides whether that stops the run (train) or
//! is counted (score).
//! Optional context columns (`conversation_id`, `direction`, `kind`, `contact_profile_url`,
//! `timestamp`, `connected_on`, `contact_is_connection`) are picked up by name when present.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use csv::ByteRecord;

use super::jsonl::{looks_like_jsonl, JsonlRows};
use super::{capped, dates, Message, Origin, ReadReport, Thread};
use crate::error::{Error, Result};

/// A column chosen by header name or by 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnRef {
    /// By header name (matched case-insensitively).
    Name(String),
    /// By 1-based position.
    Number(usize),
}

/// How to read a table; see `hardsell train --help` for the flags behind each field.
#[derive(Debug, Clone, PartialEq)]
pub struct TableOptions {
    /// The text column (default `text`).
    pub text: ColumnRef,
    /// The label column (default `label`); required when `require_label`.
    pub label: ColumnRef,
    /// The subject column; `None` uses `subject` when present.
    pub subject: Option<ColumnRef>,
    /// The id column; `None` uses `id` when present, else `<file>:<line>`.
    pub id: Option<ColumnRef>,
    /// Field delimiter; `None` sniffs it from the first 20 rows ([`sniff_delimiter`]).
    pub delimiter: Option<u8>,
    /// Whether the first row is a header (default true).
    pub has_header: bool,
    /// Whether `"` quotes fields (default true; turn off for raw TSV such as the SMS corpus).
    pub quoting: bool,
    /// Whether a missing label column is an error (training, eval) or not (scoring).
    pub require_label: bool,
    /// You (an address, profile URL or name; `score --senders --me`): a row whose sender is
    /// you is one of yours, outgoing, and belongs to its recipient's thread (default: none; a
    /// `direction` column says which rows are yours).
    pub me: Option<String>,
}

impl TableOptions {
    /// [`TableOptions::me`], trimmed; none when empty.
    pub fn you(&self) -> Option<&str> {
        self.me
            .as_deref()
            .map(str::trim)
            .filter(|me| !me.is_empty())
    }
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            text: ColumnRef::Name("text".into()),
            label: ColumnRef::Name("label".into()),
            subject: None,
            id: None,
            delimiter: None,
            has_header: true,
            quoting: true,
            require_label: true,
            me: None,
        }
    }
}

#[derive(Debug, Default, PartialEq)]
struct Columns {
    text: usize,
    label: Option<usize>,
    subject: Option<usize>,
    id: Option<usize>,
    conversation: Option<usize>,
    direction: Option<usize>,
    kind: Option<usize>,
    contact: Option<usize>,
    contact_name: Option<usize>,
    /// Who a row was sent to: the other party of a row you sent.
    recipient: Option<usize>,
    recipient_name: Option<usize>,
    timestamp: Option<usize>,
    connected_on: Option<usize>,
    claim_checked: Option<usize>,
}

impl Columns {
    /// The warning for context columns (dates, direction, kind) that are read only with a
    /// thread to put them in, when the table has no conversation or sender column.
    fn unused_context(&self, name: &str, header: &[String]) -> Option<String> {
        if self.conversation.is_some() || self.contact.is_some() {
            return None;
        }
        let named: Vec<&str> = [self.timestamp, self.direction, self.kind, self.connected_on]
            .into_iter()
            .flatten()
            .filter_map(|i| header.get(i).map(String::as_str))
            .collect();
        (!named.is_empty()).then(|| {
            format!(
                "{name}: column(s) {} not used: timing and follow-ups need a conversation_id \
                 (or thread_id) or a sender column to put each row in its thread",
                named.join(", ")
            )
        })
    }

    /// Every column the reader uses, to renumber them.
    fn used_mut(&mut self) -> impl Iterator<Item = &mut usize> {
        let optional = [
            &mut self.label,
            &mut self.subject,
            &mut self.id,
            &mut self.conversation,
            &mut self.direction,
            &mut self.kind,
            &mut self.contact,
            &mut self.contact_name,
            &mut self.recipient,
            &mut self.recipient_name,
            &mut self.timestamp,
            &mut self.connected_on,
            &mut self.claim_checked,
        ];
        std::iter::once(&mut self.text).chain(optional.into_iter().filter_map(Option::as_mut))
    }

    /// Renumbers the columns to those of a table that has only the used ones, in their order,
    /// and says which those were.
    fn narrow(&mut self) -> Vec<usize> {
        let mut keep: Vec<usize> = self.used_mut().map(|i| *i).collect();
        keep.sort_unstable();
        keep.dedup();
        for i in self.used_mut() {
            *i = keep.binary_search(i).expect("a used column is kept");
        }
        keep
    }
}

enum Source {
    Csv(csv::Reader<BufReader<Box<dyn Read + Send>>>),
    /// JSON Lines, with the options its columns were resolved by (to tell whether a key first
    /// seen late would have been read).
    Jsonl(Box<JsonlRows>, Box<TableOptions>),
}

/// Streams [`Message`]s out of a delimited file or JSON Lines.
pub struct TableReader {
    name: std::sync::Arc<str>,
    source: Source,
    /// The CSV header's names (empty without a header, and for JSON Lines).
    header: Vec<String>,
    cols: Columns,
    /// [`TableOptions::me`], trimmed, and its party key.
    me: Option<(String, String)>,
    /// Whether a row was from or to `me` (a `--me` no row names is a typo: [`Self::me_unseen`]).
    me_seen: std::cell::Cell<bool>,
    width: usize,
    record: ByteRecord,
    /// Corrects the csv crate's line numbers in files with CRLF or CR line breaks.
    lines: super::LineFix,
    delimiter: u8,
    /// The file behind a CSV source, to look again at a last row that may hold an unclosed
    /// quote ([`super::ends_in_open_quote`]); `None` for standard input and JSON Lines.
    tail: Option<Tail>,
    /// Bytes of byte order marks taken out of the input so far ([`super::LineBoms::removed`]).
    marks: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Warnings gathered so far.
    pub report: ReadReport,
}

/// Where the bytes of a CSV source can be read again, for [`TableReader::open_quote`].
enum Tail {
    /// A regular file, opened again, and its length.
    File(std::path::PathBuf, u64),
    /// Standard input or a pipe: a copy of what has been read of it ([`Kept`]).
    Memory(Copy),
}

/// The bytes a [`Kept`] reader has passed on, from the start of the row being read (less a
/// margin): what [`TableReader::open_quote`] may look at again.
type Copy = std::sync::Arc<std::sync::Mutex<KeptBytes>>;

/// The bytes kept, and where they start in the input.
#[derive(Debug, Default)]
struct KeptBytes {
    start: u64,
    bytes: Vec<u8>,
    /// Nothing is kept (a JSON Lines source, or a table read without quoting).
    off: bool,
}

impl KeptBytes {
    /// How many bytes have been read in all.
    fn len(&self) -> u64 {
        self.start + self.bytes.len() as u64
    }

    /// The bytes from `at` on (none when they were let go).
    fn from(&self, at: u64) -> &[u8] {
        let skip = at.checked_sub(self.start).unwrap_or(u64::MAX);
        self.bytes.get(skip as usize..).unwrap_or_default()
    }
}

/// A reader that keeps a copy of the bytes it passes on from the row being read: input that
/// cannot be read again is held as it is read, not read whole first, so that memory stays
/// flat whatever its length, and an endless one (`/dev/zero`) meets the row limit
/// ([`super::MAX_ROW_BYTES`]) instead of filling memory before any row is read.
struct Kept {
    inner: Box<dyn Read + Send>,
    copy: Copy,
    /// Where the row being read starts ([`super::LineFix::row_at`]).
    lines: super::LineFix,
}

/// Bytes kept before the row being read: more than the readers above hold.
const KEPT_MARGIN: u64 = 4 << 20;

impl Read for Kept {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut copy = self.copy.lock().unwrap_or_else(|p| p.into_inner());
        if copy.off {
            return Ok(n);
        }
        copy.bytes.extend_from_slice(&buf[..n]);
        // Let go of what lies well before the row being read, a few megabytes at a time.
        let keep_from = self.lines.row_at().saturating_sub(KEPT_MARGIN);
        if keep_from >= copy.start + KEPT_MARGIN {
            let drop = ((keep_from - copy.start) as usize).min(copy.bytes.len());
            copy.bytes.drain(..drop);
            copy.start += drop as u64;
        }
        Ok(n)
    }
}

impl std::fmt::Debug for TableReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TableReader({})", self.name)
    }
}

impl TableReader {
    /// Opens `path` (`-` for standard input).
    pub fn open(path: &Path, opts: &TableOptions) -> Result<Self> {
        let stdin = path.as_os_str() == "-";
        let file_len = std::fs::metadata(path)
            .ok()
            .filter(|m| !stdin && m.is_file())
            .map(|m| m.len());
        let input: Box<dyn Read + Send> = if stdin {
            Box::new(std::io::stdin())
        } else {
            Box::new(File::open(path).map_err(|e| Error::io(path, e))?)
        };
        // Input that cannot be read again is kept as it is read, so that its end can be
        // looked at.
        let (keep, tail) = match file_len {
            Some(len) => (None, Tail::File(path.to_path_buf(), len)),
            None => {
                let copy = Copy::default();
                (Some(copy.clone()), Tail::Memory(copy))
            }
        };
        let name = path.display().to_string();
        let mut reader = Self::with_lines(&name, input, opts, keep)?;
        if matches!(reader.source, Source::Csv(_)) && opts.quoting {
            reader.tail = Some(tail);
        } else if let Tail::Memory(copy) = tail {
            let mut copy = copy.lock().unwrap_or_else(|p| p.into_inner());
            *copy = KeptBytes {
                off: true,
                ..KeptBytes::default()
            };
        }
        Ok(reader)
    }

    /// True when the table has thread columns (a conversation or a contact), so that its rows
    /// have a place in a thread.
    pub fn has_threads(&self) -> bool {
        self.cols.conversation.is_some() || self.cols.contact.is_some()
    }

    /// `--me` when no row read so far was from or to it.
    pub fn me_unseen(&self) -> Option<&str> {
        let (me, _) = self.me.as_ref()?;
        (!self.me_seen.get()).then_some(me.as_str())
    }

    /// True when the table has a timestamp column.
    pub fn has_timestamps(&self) -> bool {
        self.cols.timestamp.is_some()
    }

    /// Reads from any byte source; `name` is used in messages.
    pub fn from_reader(
        name: &str,
        input: Box<dyn Read + Send>,
        opts: &TableOptions,
    ) -> Result<Self> {
        Self::with_lines(name, input, opts, None)
    }

    /// [`Self::from_reader`], keeping into `keep` a copy of the bytes as the csv reader sees
    /// them (byte order marks taken out), for input that cannot be read again.
    fn with_lines(
        name: &str,
        input: Box<dyn Read + Send>,
        opts: &TableOptions,
        keep: Option<Copy>,
    ) -> Result<Self> {
        let lines = super::LineFix::default();
        let boms = super::LineBoms::new(BufReader::with_capacity(1 << 16, input));
        let marks = boms.removed();
        let mut input: Box<dyn Read + Send> = Box::new(boms);
        if let Some(copy) = keep {
            let lines = lines.clone();
            input = Box::new(Kept {
                inner: input,
                copy,
                lines,
            });
        }
        let input: Box<dyn Read + Send> = Box::new(super::Counted::new(input, &lines));
        let mut buffered = BufReader::with_capacity(1 << 18, input);
        let head = buffered.fill_buf().map_err(|e| Error::io(name, e))?;
        if let Some(e) = super::utf16_error(name, head) {
            return Err(e);
        }
        if head
            .iter()
            .all(|b| b.is_ascii_whitespace() || *b == 0xEF || *b == 0xBB || *b == 0xBF)
            && head.len() < 4
        {
            return Err(Error::EmptyFile { path: name.into() });
        }
        if looks_like_jsonl(name, head) {
            lines.stop();
            let mut rows = JsonlRows::new(name, buffered)?;
            let opts = TableOptions {
                has_header: true,
                ..opts.clone()
            };
            let mut cols = resolve_columns(name, &rows.header, rows.header.len(), &opts)?;
            let mut report = ReadReport::default();
            report.notes.extend(cols.unused_context(name, &rows.header));
            rows.narrow(&cols.narrow());
            rows.require(cols.text);
            return Ok(TableReader {
                name: name.into(),
                width: rows.header.len(),
                header: Vec::new(),
                me: opts.you().map(|me| (me.to_string(), party(me).0)),
                me_seen: std::cell::Cell::new(false),
                source: Source::Jsonl(Box::new(rows), Box::new(opts)),
                cols,
                record: ByteRecord::new(),
                lines,
                delimiter: b',',
                tail: None,
                marks,
                report,
            });
        }
        // A file named .tsv is split at tabs, whatever its first rows hold.
        let tsv = name.to_ascii_lowercase().ends_with(".tsv");
        let delimiter = (opts.delimiter)
            .or(tsv.then_some(b'\t'))
            .unwrap_or_else(|| sniff_delimiter(head, opts.quoting));
        // Without a header, the first row tells how many columns there are.
        let first_width = (!opts.has_header).then(|| {
            csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .has_headers(false)
                .quoting(opts.quoting)
                .flexible(true)
                .from_reader(head)
                .byte_records()
                .next()
                .and_then(|r| r.ok())
                .map_or(0, |r| r.len())
        });
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(opts.has_header)
            .quoting(opts.quoting)
            .flexible(true)
            .from_reader(buffered);
        let mut report = ReadReport::default();
        let header: Vec<String> = if opts.has_header {
            let h = reader
                .byte_headers()
                .map_err(|e| csv_error(name, delimiter, e))?
                .clone();
            // The first row starts after the header: a runaway one is told on its own line.
            lines.next_row_at(reader.position().byte());
            // A column name with invalid UTF-8 will not match: said like any replaced field.
            if h.iter().any(|f| std::str::from_utf8(f).is_err()) {
                report.lossy_rows += 1;
                report.first_lossy = Some(Origin {
                    file: name.into(),
                    line: h.position().map_or(1, |p| lines.line(p.byte())),
                });
            }
            h.iter()
                .map(|f| String::from_utf8_lossy(f).trim().to_string())
                .collect()
        } else {
            Vec::new()
        };
        if opts.has_header && header.is_empty() {
            return Err(Error::EmptyFile { path: name.into() });
        }
        if opts.has_header && header.iter().all(|h| h.is_empty()) {
            return Err(Error::BadRow {
                path: name.into(),
                line: 1,
                message: format!(
                    "the header row has {} fields but no column names (for a file without a \
                     header, use --no-header and name columns by number)",
                    header.len()
                ),
            });
        }
        let width = first_width.unwrap_or(header.len());
        let cols = resolve_columns(name, &header, width, opts)?;
        report.notes.extend(cols.unused_context(name, &header));
        Ok(TableReader {
            name: name.into(),
            source: Source::Csv(reader),
            width: header.len(),
            header,
            cols,
            me: opts.you().map(|me| (me.to_string(), party(me).0)),
            me_seen: std::cell::Cell::new(false),
            record: ByteRecord::new(),
            lines,
            delimiter,
            tail: None,
            marks,
            report,
        })
    }

    /// The next row as a message, or the error that row has; `None` at the end of the file.
    /// A row that repeats the header (files joined end to end) is left out, with a note.
    pub fn next_message(&mut self) -> Option<Result<Message>> {
        loop {
            let read = match &mut self.source {
                Source::Csv(r) => {
                    let read = r.read_byte_record(&mut self.record);
                    self.lines.next_row_at(r.position().byte());
                    read.map_err(|e| csv_error(&self.name, self.delimiter, e))
                }
                Source::Jsonl(r, _) => r.read_record(&mut self.record),
            };
            self.tell_late_keys();
            return match read {
                Ok(false) => None,
                Err(e) => Some(Err(e)),
                Ok(true) if self.repeats_header() => {
                    let reason = format!("{}: repeated header rows (files joined?)", self.name);
                    self.report.leave_out(&reason);
                    continue;
                }
                Ok(true) => match self.open_quote() {
                    Some(e) => Some(Err(e)),
                    None => Some(self.current()),
                },
            };
        }
    }

    /// Warns of a JSON Lines key first seen after the look-ahead that names a column the reader
    /// would have used (a text, label, sender or other column): it is not read.
    fn tell_late_keys(&mut self) {
        let Source::Jsonl(rows, opts) = &mut self.source else {
            return;
        };
        for (key, line) in rows.late_keys() {
            let mut header = rows.header.clone();
            header.push(key.clone());
            let wider = resolve_columns(&self.name, &header, header.len(), opts);
            if wider.is_ok_and(|c| c != self.cols) {
                self.report.notes.push(format!(
                    "{}:{line}: key '{key}' first appears here, after the first {} lines \
                     whose keys are the columns, so it is not read; put it (even as null) in \
                     an object near the top",
                    self.name, rows.looked_ahead
                ));
            }
        }
    }

    /// Whether the current record is the header again (names compared as the header was
    /// read: trimmed, without a byte order mark, in any case).
    fn repeats_header(&self) -> bool {
        // Bytes compared in place: this runs on every row.
        fn field(f: &[u8]) -> &[u8] {
            let f = f.trim_ascii();
            f.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(f).trim_ascii()
        }
        !self.header.is_empty()
            && self.record.len() == self.header.len()
            && self.record.iter().zip(&self.header).all(|(f, h)| {
                field(f).eq_ignore_ascii_case(h.trim_start_matches('\u{feff}').trim().as_bytes())
            })
    }

    /// The 1-based line the current record starts on.
    fn line(&self) -> u64 {
        let Some(p) = self.record.position() else {
            return 0;
        };
        match self.source {
            Source::Csv(_) => self.lines.line(p.byte()),
            Source::Jsonl(..) => p.line(),
        }
    }

    /// The error for a last row whose quoted field is never closed: the csv crate reads the
    /// rest of the file into that field, so the rows after it would vanish unreported. Only a
    /// row that reaches the end of the file with a line break in its last field is looked at
    /// again, from the file.
    fn open_quote(&self) -> Option<Error> {
        let (Source::Csv(reader), Some(tail)) = (&self.source, &self.tail) else {
            return None;
        };
        let last = self.record.get(self.record.len().checked_sub(1)?)?;
        // The input's length as the csv reader counts (marks taken out): past the last row,
        // every mark has been met.
        let len = match tail {
            Tail::File(_, len) => len - self.marks.load(std::sync::atomic::Ordering::Relaxed),
            Tail::Memory(copy) => copy.lock().unwrap_or_else(|p| p.into_inner()).len(),
        };
        if reader.position().byte() < len || !last.iter().any(|&b| b == b'\n' || b == b'\r') {
            return None;
        }
        // Where the row starts, as the csv reader counts: byte order marks taken out.
        let start = self.record.position()?.byte();
        let open = match tail {
            Tail::File(path, _) => File::open(path).and_then(|f| {
                let mut f = super::LineBoms::new(BufReader::new(f));
                std::io::copy(&mut (&mut f).take(start), &mut std::io::sink())?;
                super::ends_in_open_quote(f, self.delimiter, b'"')
            }),
            Tail::Memory(copy) => {
                let kept = copy.lock().unwrap_or_else(|p| p.into_inner());
                super::ends_in_open_quote(kept.from(start), self.delimiter, b'"')
            }
        };
        if !matches!(open, Ok(true)) {
            return None;
        }
        let lines = last.iter().filter(|&&b| b == b'\n').count();
        Some(Error::BadRow {
            path: (*self.name).into(),
            line: self.line(),
            message: format!(
                "a quoted field on this row is never closed, so the rest of the file \
                 ({lines} more line(s)) would be read into it as one value; close the quote \
                 (or use --no-quoting for a file without quoting)"
            ),
        })
    }

    fn current(&mut self) -> Result<Message> {
        let line = self.line();
        let got = self.record.len();
        if self.width == 0 && got > 0 {
            self.width = got;
        }
        if got != self.width && !(got == 1 && self.record.get(0).is_some_and(|f| f.is_empty())) {
            return Err(Error::FieldCount {
                path: (*self.name).into(),
                line,
                expected: self.width,
                got,
                delimiter: self.delimiter,
                span: super::spanned_lines(&self.record, line),
            });
        }
        let origin = Origin {
            file: self.name.clone(),
            line,
        };
        let (mut lossy, mut cut) = (false, false);
        // A field as text; a subject or body only up to `MAX_TEXT_CHARS` (`long`).
        let mut read_field = |idx: Option<usize>, long: bool| -> String {
            let bytes = idx.and_then(|i| self.record.get(i)).unwrap_or(b"");
            let text = match std::str::from_utf8(bytes) {
                Ok(s) => std::borrow::Cow::Borrowed(s),
                Err(_) => {
                    lossy = true;
                    String::from_utf8_lossy(bytes)
                }
            };
            let (kept, was_cut) = if long { capped(&text) } else { (&*text, false) };
            cut |= was_cut;
            kept.to_string()
        };
        let text = read_field(Some(self.cols.text), true);
        let subject = read_field(self.cols.subject, true);
        let mut field = |idx: Option<usize>| read_field(idx, false);
        let label = self
            .cols
            .label
            .map(|i| super::clean_label(&field(Some(i))))
            .filter(|l| !l.is_empty());
        let id = self
            .cols
            .id
            .map(|i| field(Some(i)))
            .filter(|s| !s.is_empty());
        let thread = self.thread(&mut field, &origin)?;
        if thread
            .as_ref()
            .is_some_and(|t| t.contact_name == NO_SENDER || t.contact_name == NO_RECIPIENT)
        {
            self.report.unnamed_parties += 1;
            self.report
                .first_unnamed
                .get_or_insert_with(|| origin.clone());
        }
        if lossy {
            self.report.lossy_rows += 1;
            self.report
                .first_lossy
                .get_or_insert_with(|| origin.clone());
        }
        if cut {
            self.report.cut_text(&origin);
        }
        Ok(Message {
            id: id.unwrap_or_else(|| origin.to_string()),
            origin,
            label,
            subject,
            text,
            thread,
            mail: None,
        })
    }

    fn thread(
        &self,
        field: &mut impl FnMut(Option<usize>) -> String,
        origin: &Origin,
    ) -> Result<Option<Thread>> {
        let c = &self.cols;
        if c.conversation.is_none() && c.contact.is_none() {
            return Ok(None);
        }
        let (from, from_name) = (field(c.contact), field(c.contact_name));
        let (mut contact, shown) = party(&from);
        let mut name = named(from_name, shown);
        let mine = (self.me.as_ref())
            .is_some_and(|(me, key)| contact == *key || name.trim().eq_ignore_ascii_case(me));
        if let Some((_, key)) = self.me.as_ref().filter(|_| !self.me_seen.get()) {
            let to = field(c.recipient);
            let seen = mine || (!key.is_empty() && parties(&to).iter().any(|p| party(p).0 == *key));
            self.me_seen.set(seen);
        }
        if mine && c.recipient.is_some() {
            // Your row is in the thread of the first party it went to.
            let to = field(c.recipient);
            let (to_key, shown) = party(first_party(&to));
            contact = to_key;
            name = named(first_party(&field(c.recipient_name)).to_string(), shown);
        }
        // A row whose sender cell is empty is keyed as an export's is: by its conversation
        // when it has one, else by its name, unless that is LinkedIn's placeholder for a
        // hidden member, else as a party of its own, named for what it is and keyed by its
        // line. Rows of unknown senders are not one sender's follow-ups.
        let conversation = field(c.conversation);
        if c.contact.is_some() && contact.is_empty() {
            let name_given = !name.trim().is_empty() && name.trim() != HIDDEN_MEMBER;
            if !conversation.is_empty() {
                contact = format!("conv:{conversation}");
            } else if name_given {
                contact = name.trim().to_string();
            } else {
                name = if mine { NO_RECIPIENT } else { NO_SENDER }.to_string();
                contact = format!("{name} {origin}");
            }
        }
        let conversation = Some(conversation)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| contact.clone());
        let date = |value: String, column: &str| -> Result<Option<i64>> {
            dates::parse_cell(&value, column).map_err(|message| Error::BadRow {
                path: (*origin.file).into(),
                line: origin.line,
                message,
            })
        };
        let direction = field(c.direction).to_ascii_lowercase();
        let claim = field(c.claim_checked).to_ascii_lowercase();
        Ok(Some(Thread {
            conversation,
            contact_name: Some(name)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| contact.clone()),
            contact,
            incoming: !mine && !matches!(direction.as_str(), "outgoing" | "out" | "sent"),
            invitation: field(c.kind).eq_ignore_ascii_case("invitation"),
            timestamp: date(field(c.timestamp), "timestamp")?,
            connected_on: date(field(c.connected_on), "connected_on")?,
            claimed_contact: match claim.as_str() {
                "yes" | "true" | "1" => Some(true),
                "no" | "false" | "0" => Some(false),
                _ => None,
            },
            sponsored: false,
            // A direction column says where your messages would be; --me alone does not (an
            // Inbox's table names you on every row, as the recipient).
            replies_included: c.direction.is_some(),
            to_self: false,
        }))
    }
}

/// The party of a row that names no sender.
pub const NO_SENDER: &str = "(no sender)";

/// The name LinkedIn gives a member whose profile is hidden: a placeholder, not a person.
const HIDDEN_MEMBER: &str = "LinkedIn Member";

/// The party of a row you sent that names no recipient.
pub const NO_RECIPIENT: &str = "(no recipient)";

/// A party cell as the joins compare it, and the display name it carries: `Jane Doe
/// <Jane@X.example>` is `jane@x.example` named Jane Doe, and `Jane Doe <>` (the null sender)
/// is no address named Jane Doe; a profile URL is normalised as an export's are; an address is
/// put in lower case; anything else is trimmed.
fn party(raw: &str) -> (String, &str) {
    let v = raw.trim();
    if let Some((shown, rest)) = v.rsplit_once('<') {
        let address = rest.strip_suffix('>').map(str::trim);
        if let Some(address) = address.filter(|a| a.is_empty() || a.contains('@')) {
            let shown = shown.trim().trim_matches('"').trim();
            return (address.to_lowercase(), shown);
        }
    }
    let lower = v.to_lowercase();
    let url = ["http://", "https://"].iter().any(|p| lower.starts_with(p));
    let key = if url || lower.contains("linkedin.com/") {
        super::linkedin::normalize_profile_url(v)
    } else if v.contains('@') && !v.contains(char::is_whitespace) {
        lower
    } else {
        v.to_string()
    };
    (key, "")
}

/// The name column's value, or (when it is empty) the name shown beside the address.
fn named(column: String, shown: &str) -> String {
    match column.trim().is_empty() {
        true => shown.to_string(),
        false => column,
    }
}

/// The first non-empty party of a list separated by `;` or `,` (by `;` alone when the list
/// has one, as Outlook's `Doe, Jane;Smith, Bob`), where a separator inside quotes or angle
/// brackets (`"Doe, Jane" <jane@x.example>`) separates nothing. A list whose quotes do not
/// pair is split as if it had none.
fn first_party(list: &str) -> &str {
    parties(list).into_iter().next().unwrap_or("")
}

/// Every party of a list of them, as [`first_party`] splits it.
fn parties(list: &str) -> Vec<&str> {
    let parts = |separators: &[char]| {
        split_outside(list, separators, true).or_else(|| split_outside(list, separators, false))
    };
    let by_semicolon = parts(&[';']).unwrap_or_default();
    let parts = match by_semicolon.len() > 1 {
        true => by_semicolon,
        false => parts(&[';', ',']).unwrap_or_default(),
    };
    parts
        .into_iter()
        .map(|p| p.trim_matches(|c: char| c.is_whitespace() || c == ','))
        .filter(|p| !p.is_empty())
        .collect()
}

/// `list` split on `separators` outside angle brackets and (when `quotes`) double quotes;
/// `None` when the quotes do not pair.
fn split_outside<'a>(list: &'a str, separators: &[char], quotes: bool) -> Option<Vec<&'a str>> {
    let (mut quoted, mut angled, mut start, mut parts) = (false, false, 0, Vec::new());
    for (i, ch) in list.char_indices() {
        match ch {
            '"' if quotes => quoted = !quoted,
            '<' if !quoted => angled = true,
            '>' if !quoted => angled = false,
            c if separators.contains(&c) && !quoted && !angled => {
                parts.push(&list[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&list[start..]);
    (!quoted).then_some(parts)
}

/// Reads every row of `path`; the first bad row stops the read with its `path:line`.
pub fn read_all(path: &Path, opts: &TableOptions) -> Result<(Vec<Message>, ReadReport)> {
    let mut reader = TableReader::open(path, opts)?;
    let mut out = Vec::new();
    while let Some(row) = reader.next_message() {
        out.push(row?);
    }
    Ok((out, reader.report))
}

fn csv_error(name: &str, delimiter: u8, e: csv::Error) -> Error {
    let line = e.position().map_or(0, |p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(io) => crate::read::read_error(name, io),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => Error::FieldCount {
            path: name.into(),
            line,
            expected: expected_len as usize,
            got: len as usize,
            delimiter,
            span: String::new(),
        },
        other => Error::BadRow {
            path: name.into(),
            line,
            message: format!("{other:?}"),
        },
    }
}

/// Picks the delimiter of a table from its first bytes: the candidate (tab, comma, semicolon,
/// pipe) that occurs the same number of times, at least once, in every whole row of the head
/// (up to 20, blank lines aside), the most frequent of those; else the one most frequent in
/// the first row. Ties go to the earlier candidate: a tab is rarely inside text, a comma
/// often is. Quotes hide what is inside them unless `quoting` is off.
pub fn sniff_delimiter(head: &[u8], quoting: bool) -> u8 {
    const CANDIDATES: [u8; 4] = [b'\t', b',', b';', b'|'];
    let (mut rows, mut counts, mut empty, mut quoted) = (Vec::new(), [0usize; 4], true, false);
    for &b in head {
        if b == b'"' && quoting {
            quoted = !quoted;
            empty = false;
        } else if quoted {
        } else if b == b'\n' {
            if !empty {
                rows.push(counts);
            }
            (counts, empty) = ([0; 4], true);
            if rows.len() == 20 {
                break;
            }
        } else if b != b'\r' {
            empty = false;
            if let Some(k) = CANDIDATES.iter().position(|&c| c == b) {
                counts[k] += 1;
            }
        }
    }
    if rows.is_empty() {
        rows.push(counts);
    }
    let first = rows[0];
    let steady =
        |k: &usize| first[*k] > 0 && rows.len() > 1 && rows.iter().all(|r| r[*k] == first[*k]);
    let most = |k: &usize| (first[*k], std::cmp::Reverse(*k));
    let best = (0..4).filter(steady).max_by_key(most);
    match best.or_else(|| (0..4).filter(|&k| first[k] > 0).max_by_key(most)) {
        Some(k) => CANDIDATES[k],
        None => b',',
    }
}

/// The columns the options name in a table of `width` columns (`header` empty without one).
fn resolve_columns(
    name: &str,
    header: &[String],
    width: usize,
    opts: &TableOptions,
) -> Result<Columns> {
    let find = |wanted: &str| header.iter().position(|h| h.eq_ignore_ascii_case(wanted));
    // A column the reader uses must be named once: which of two would be meant is a guess.
    let twice = |i: usize| {
        let again = header
            .iter()
            .enumerate()
            .skip(i + 1)
            .find(|(_, h)| h.eq_ignore_ascii_case(&header[i]));
        match again {
            Some((j, _)) => Err(Error::BadRow {
                path: name.into(),
                line: 1,
                message: format!(
                    "the header names column '{}' twice (columns {} and {}); rename one",
                    header[i],
                    i + 1,
                    j + 1
                ),
            }),
            None => Ok(()),
        }
    };
    let find_any = |names: &[&str]| names.iter().find_map(|n| find(n));
    let resolve = |r: &ColumnRef, flag: &str| -> Result<usize> {
        match r {
            ColumnRef::Number(n) if *n >= 1 && *n <= width => Ok(n - 1),
            ColumnRef::Number(n) if *n >= 1 => Err(Error::MissingColumn {
                path: name.into(),
                column: n.to_string(),
                flag: flag.to_string(),
                available: match header.is_empty() {
                    true => (1..=width).map(|i| i.to_string()).collect(),
                    false => header.to_vec(),
                },
            }),
            ColumnRef::Number(_) => Err(Error::Usage(format!("{flag}: column numbers start at 1"))),
            ColumnRef::Name(col) if !opts.has_header => Err(Error::Usage(format!(
                "{flag} '{col}': with --no-header, name columns by number (1, 2, ...)"
            ))),
            ColumnRef::Name(col) => find(col).ok_or_else(|| Error::MissingColumn {
                path: name.into(),
                column: col.clone(),
                flag: flag.to_string(),
                available: header.to_vec(),
            }),
        }
    };
    let text = resolve(&opts.text, "--text-column")?;
    let label = match resolve(&opts.label, "--label-column") {
        Ok(i) => Some(i),
        Err(e) if opts.require_label => return Err(e),
        Err(_) => None,
    };
    if label == Some(text) {
        return Err(Error::Usage(format!(
            "{name}: the text column and the label column are the same column ({}); the model \
             would learn the labels from themselves",
            text + 1
        )));
    }
    let optional = |r: &Option<ColumnRef>, default: &str, flag: &str| -> Result<Option<usize>> {
        match r {
            Some(r) => resolve(r, flag).map(Some),
            None => Ok(find(default)),
        }
    };
    let subject = optional(&opts.subject, "subject", "--subject-column")?;
    let id = optional(&opts.id, "id", "--id-column")?;
    if opts.has_header {
        for i in [Some(text), label, subject, id].into_iter().flatten() {
            twice(i)?;
        }
    }
    let columns = Columns {
        text,
        label,
        subject,
        id,
        conversation: find_any(&["conversation_id", "conversation id", "thread_id"]),
        direction: find("direction"),
        kind: find("kind"),
        contact: find_any(&[
            "contact_profile_url",
            "sender_profile_url",
            "sender profile url",
            "sender",
            "from",
            // Outlook's "Comma Separated Values" mail export.
            "from: (address)",
        ]),
        contact_name: find_any(&["contact_name", "sender_name", "from: (name)"]),
        recipient: find_any(&["recipient_profile_url", "recipient", "to", "to: (address)"]),
        recipient_name: find_any(&["recipient_name", "to: (name)"]),
        timestamp: find_any(&["timestamp", "date", "sent_at"]),
        connected_on: find("connected_on"),
        claim_checked: find("contact_is_connection"),
    };
    if opts.has_header {
        let c = &columns;
        let context = [
            c.conversation,
            c.direction,
            c.kind,
            c.contact,
            c.contact_name,
            c.recipient,
            c.recipient_name,
            c.timestamp,
            c.connected_on,
            c.claim_checked,
        ];
        for i in context.into_iter().flatten() {
            twice(i)?;
        }
    }
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader of `bytes` with the default options.
    fn reader(bytes: &'static [u8]) -> TableReader {
        TableReader::from_reader("t.csv", Box::new(bytes), &TableOptions::default()).unwrap()
    }

    fn read(bytes: &'static [u8], opts: &TableOptions) -> Result<Vec<Message>> {
        let mut r = TableReader::from_reader("t.csv", Box::new(bytes), opts)?;
        let mut out = Vec::new();
        while let Some(m) = r.next_message() {
            out.push(m?);
        }
        Ok(out)
    }

    #[test]
    fn a_party_cell_is_keyed_by_its_address_and_keeps_the_name_beside_it() {
        let cases = [
            ("Jane Doe <Jane@X.example>", "jane@x.example", "Jane Doe"),
            (
                "\"Doe, Jane\" <jane@x.example>",
                "jane@x.example",
                "Doe, Jane",
            ),
            ("<jane@x.example>", "jane@x.example", ""),
            (" JANE@X.EXAMPLE ", "jane@x.example", ""),
            (
                "https://www.linkedin.com/in/jane/?trk=1",
                "https://www.linkedin.com/in/jane",
                "",
            ),
            // Angle brackets without an address are a name, as written.
            ("Team <Sales>", "Team <Sales>", ""),
            ("Jane Doe", "Jane Doe", ""),
            ("", "", ""),
            // The null sender is no address.
            ("<>", "", ""),
            ("Mail Delivery <>", "", "Mail Delivery"),
            ("Zoë <ZOË@X.EXAMPLE>", "zoë@x.example", "Zoë"),
        ];
        for (cell, key, name) in cases {
            assert_eq!(party(cell), (key.to_string(), name), "cell {cell:?}");
        }
    }

    #[test]
    fn the_first_party_of_a_list_ignores_separators_inside_quotes_and_brackets() {
        let cases = [
            ("a@x.example; b@y.example", "a@x.example"),
            ("; ,a@x.example", "a@x.example"),
            (
                "\"Doe, Jane\" <jane@x.example>, b@y.example",
                "\"Doe, Jane\" <jane@x.example>",
            ),
            (
                "Jane <jane@x.example;old>, b@y.example",
                "Jane <jane@x.example;old>",
            ),
            // Outlook's names: `;` between parties, `,` inside a name.
            ("Doe, Jane;Smith, Bob", "Doe, Jane"),
            // Quotes that do not pair separate as if they were not there.
            (
                "O\"Brien <o@x.example>, b@y.example",
                "O\"Brien <o@x.example>",
            ),
            ("", ""),
        ];
        for (list, first) in cases {
            assert_eq!(first_party(list), first, "list {list:?}");
        }
    }

    #[test]
    fn a_header_repeated_inside_the_file_is_left_out_with_a_note() {
        let mut r = TableReader::from_reader(
            "t.csv",
            Box::new(&b"id,text\n1,a\n\xEF\xBB\xBFid,text\n2,b\n ID , Text\n"[..]),
            &TableOptions {
                require_label: false,
                ..TableOptions::default()
            },
        )
        .unwrap();
        let mut ids = Vec::new();
        while let Some(m) = r.next_message() {
            ids.push(m.unwrap().id);
        }
        assert_eq!(ids, ["1", "2"]);
        assert_eq!(
            r.report.warnings(),
            ["note: left out 2 row(s): t.csv: repeated header rows (files joined?)"]
        );
    }

    #[test]
    fn a_byte_order_mark_opening_a_row_is_not_part_of_its_first_field() {
        let opts = TableOptions {
            require_label: false,
            ..TableOptions::default()
        };
        let got = read(
            b"id,text\na,hello\n\xEF\xBB\xBFb,mid bom row\r\n\xEF\xBB\xBF\"c,d\",quoted\n\xEF\xBB\xBF\n\xEF\xBBe,not a mark\n",
            &opts,
        )
        .unwrap();
        let ids: Vec<&str> = got.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c,d", "\u{FFFD}e"]);
        assert_eq!(got[2].origin.line, 4);
        let got = read(b"text,id\n\xEF\xBB\xBFhello,a\n", &opts).unwrap();
        assert_eq!(got[0].text, "hello");
    }

    #[test]
    fn a_used_column_named_twice_or_text_read_as_label_is_refused() {
        let opts = TableOptions {
            require_label: true,
            ..TableOptions::default()
        };
        let err = read(b"label,text,label\nspam,a,ham\n", &opts)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("t.csv:1: the header names column 'label' twice (columns 1 and 3)"),
            "{err}"
        );
        // An unused column may repeat.
        assert!(read(b"label,text,x,x\nspam,a,1,2\n", &opts).is_ok());
        let same = TableOptions {
            text: ColumnRef::Name("label".into()),
            ..opts
        };
        let err = read(b"label,text\nspam,a\n", &same).unwrap_err();
        assert!(matches!(err, Error::Usage(_)), "{err}");
    }

    #[test]
    fn reads_columns_by_name_in_any_order() {
        let rows = read(
            b"label,id,text\nspam,a1,win now\nham,a2,hi\n",
            &TableOptions::default(),
        )
        .unwrap();
        assert_eq!(rows[0].id, "a1");
        assert_eq!(rows[0].label.as_deref(), Some("spam"));
        assert_eq!(rows[1].text, "hi");
        assert_eq!(rows[1].origin.line, 3);
    }

    #[test]
    fn names_the_existing_columns_when_one_is_missing() {
        let err = read(b"category,body\nspam,x\n", &TableOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no column 'text'") && err.contains("category, body"),
            "{err}"
        );
    }

    #[test]
    fn reports_the_line_of_a_short_row() {
        let err = read(
            b"label,text\nspam,a\nham\nham,b\n",
            &TableOptions::default(),
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("t.csv:3:"), "{err}");
    }

    #[test]
    fn sniffs_tabs_and_semicolons() {
        assert_eq!(sniff_delimiter(b"label\ttext\n", true), b'\t');
        assert_eq!(sniff_delimiter(b"label;text;\"a,b\"\n", true), b';');
        assert_eq!(sniff_delimiter(b"just one column\n", true), b',');
        assert_eq!(
            sniff_delimiter(b"ham\tGo until jurong point, crazy..\n", true),
            b'\t'
        );
    }

    #[test]
    fn sniffs_the_delimiter_every_row_has_as_often_not_the_first_rows_commonest() {
        // The first text has more commas than tabs; the tab is the one every row has once.
        let sms = b"ham\tHi, yes, ok see you\nspam\tWIN a prize now\n\nham\tOk lar, joking\n";
        assert_eq!(sniff_delimiter(sms, false), b'\t');
        // Commas inside quotes are not counted; an unpaired quote with quoting off is text.
        let csv = b"id,text\n1,\"a; b; c\"\n2,plain\n";
        assert_eq!(sniff_delimiter(csv, true), b',');
        let unpaired = b"ham\tHe said \"hi, you\nspam\tfree, now, win\n";
        assert_eq!(sniff_delimiter(unpaired, false), b'\t');
    }

    #[test]
    fn a_file_named_tsv_is_split_at_tabs() {
        let opts = TableOptions {
            text: ColumnRef::Number(2),
            label: ColumnRef::Number(1),
            has_header: false,
            ..TableOptions::default()
        };
        let bytes = &b"ham,x\tHi, yes, ok, see, you\n"[..];
        let r = TableReader::from_reader("t.tsv", Box::new(bytes), &opts).unwrap();
        assert_eq!(r.delimiter, b'\t');
    }

    #[test]
    fn reads_headerless_files_by_column_number() {
        let opts = TableOptions {
            text: ColumnRef::Number(2),
            label: ColumnRef::Number(1),
            has_header: false,
            quoting: false,
            ..TableOptions::default()
        };
        let rows = read(b"ham\tOk lar... \"Joking\nspam\tFree entry\n", &opts).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].text, "Ok lar... \"Joking");
    }

    #[test]
    fn replaces_invalid_utf8_and_counts_it() {
        let mut r = reader(b"label,text\nham,caf\xe9\n");
        let m = r.next_message().unwrap().unwrap();
        assert_eq!(m.text, "caf\u{fffd}");
        assert_eq!(r.report.lossy_rows, 1);
    }

    #[test]
    fn an_invalid_byte_in_a_column_name_is_counted_at_the_header_line() {
        let mut r = reader(b"\nid,label,subj\xffect,text\n1,spam,WIN,Free prize\n");
        let m = r.next_message().unwrap().unwrap();
        assert_eq!((m.text.as_str(), m.subject.as_str()), ("Free prize", ""));
        assert_eq!(r.report.lossy_rows, 1);
        assert_eq!(r.report.first_lossy.as_ref().map(|o| o.line), Some(2));
    }

    #[test]
    fn counts_lines_right_in_crlf_files() {
        let rows = read(
            b"label,text\r\nham,a\r\nspam,\"two\r\nlines\"\r\nham,c\r\n",
            &TableOptions::default(),
        )
        .unwrap();
        let lines: Vec<u64> = rows.iter().map(|m| m.origin.line).collect();
        assert_eq!(lines, vec![2, 3, 5]);
    }

    #[test]
    fn reads_json_lines_by_key() {
        let rows = read(b"{\"id\": \"a\", \"text\": \"hi there\", \"label\": \"ham\"}\n\n{\"text\": \"win\", \"label\": \"spam\", \"id\": 7}\n", &TableOptions::default()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (
                rows[1].id.as_str(),
                rows[1].text.as_str(),
                rows[1].origin.line
            ),
            ("7", "win", 3)
        );
        let err = read(
            b"{\"text\": \"a\", \"label\": \"x\"}\nnot json\n",
            &TableOptions::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("t.csv:2: invalid JSON"),
            "{err}"
        );
        let err = read(
            b"{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": 42, \"label\": \"y\"}\n",
            &TableOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv:2: the 'text' field is a number, not text"
        );
    }

    #[test]
    fn rejects_an_empty_file() {
        assert!(matches!(
            read(b"", &TableOptions::default()),
            Err(Error::EmptyFile { .. })
        ));
    }
}
