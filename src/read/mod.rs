//! Reading: turns input files into [`Message`]s.
//!
//! Owns file formats, encodings and the positions (`path:line`) that errors name. It knows
//! nothing of features or models. [`table`] reads any delimited file (or [`jsonl`]) with the
//! user's column names; [`dates`] parses the date formats the exports use.

pub mod dates;
pub mod jsonl;
pub mod linkedin;
pub mod mail;
pub mod table;

use serde::Serialize;

use crate::error::Result;

/// A mail whose `Content-Type:` lines name more `message/rfc822` or `message/global` parts
/// than this is read by its headers alone (a mailing list's digest holds one per post it
/// gathers; parsed, each costs about 3 KB, so 64 MiB of them would take gigabytes).
pub const MAX_NESTED_MESSAGES: usize = 1000;

/// The most chars of one text (a message's subject or body) that are read: a field or a mail
/// body longer than this is cut to its first `MAX_TEXT_CHARS` chars, so that one huge field
/// costs no more than a long letter (about 15,000 words) in memory and time.
pub const MAX_TEXT_CHARS: usize = 100_000;

/// Copies among a stream's messages (a mail saved in two folders, an export written twice):
/// each message has a 64-bit fingerprint, the opening pass collects 32 bits of each (4 bytes
/// a message, only while it lasts) to learn which repeat, and every later pass leaves out a
/// message whose whole fingerprint it has met before, so that a copy never counts as a
/// follow-up.
#[derive(Debug, Default)]
pub struct Copies {
    /// The keys ([`Copies::key`]) more than one message has: nearly always none, plus a few
    /// equal by chance.
    repeated: std::collections::HashSet<u32>,
}

impl Copies {
    /// The part of a fingerprint the opening pass collects.
    pub fn key(fingerprint: u64) -> u32 {
        (fingerprint >> 32) as u32
    }

    /// From the keys of every message of the opening pass (sorted in place: no second copy).
    pub fn new(mut keys: Vec<u32>) -> Self {
        keys.sort_unstable();
        let repeated = keys.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]);
        Copies {
            repeated: repeated.collect(),
        }
    }

    /// Whether a message with `fingerprint` repeats one met before in this pass (`met`, one
    /// per pass, holds the repeated fingerprints met so far).
    pub fn is_copy(&self, fingerprint: u64, met: &mut std::collections::HashSet<u64>) -> bool {
        self.repeated.contains(&Self::key(fingerprint)) && !met.insert(fingerprint)
    }
}

/// A label as read (a table cell, a mail folder name): trimmed, in Unicode NFC and without
/// invisible format characters (zero-width spaces and joiners, direction marks, byte order
/// marks, soft hyphens), so that `café` typed two ways, or `spam` pasted with a zero-width
/// space, is one label.
pub fn clean_label(raw: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let label = raw.trim();
    if label.is_ascii() {
        return label.to_string();
    }
    let invisible = |c: &char| {
        matches!(c, '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}')
    };
    let visible: String = label.chars().filter(|c| !invisible(c)).collect();
    visible.trim().nfc().collect()
}

/// For a row of the wrong width that starting on `line` runs over more lines (a quote left
/// open reads the rows after it into one field): `; it runs over N more line(s), to line L: …`;
/// else nothing.
pub fn spanned_lines(record: &csv::ByteRecord, line: u64) -> String {
    let more = memchr::memchr_iter(b'\n', record.as_slice()).count() as u64;
    match more {
        0 => String::new(),
        n => format!(
            "; it runs over {n} more line(s), to line {}: a quote opened in it may never be \
             closed where it should, taking the rows after it in",
            line + n
        ),
    }
}

/// The whole of a small file (a model, a baseline). A regular file is read as it is; a
/// device or pipe (`<(zcat model.gz)`, `/dev/zero` by mistake) at most `limit` bytes, so one
/// that never ends is an error instead of filling memory.
pub fn read_bounded(path: &std::path::Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    if file.metadata()?.is_file() {
        return std::fs::read(path);
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "it goes on past {} MiB without ending (a device or an endless stream?)",
            limit >> 20
        )));
    }
    Ok(bytes)
}

/// `text` cut to its first [`MAX_TEXT_CHARS`] chars (only those are looked at), and whether
/// it was longer.
pub fn capped(text: &str) -> (&str, bool) {
    if text.len() <= MAX_TEXT_CHARS {
        return (text, false);
    }
    match text.char_indices().nth(MAX_TEXT_CHARS) {
        Some((end, _)) => (&text[..end], true),
        None => (text, false),
    }
}

/// The error for a file that starts with a UTF-16 byte order mark (Excel's "Unicode text",
/// some exports): read as UTF-8 its header would be noise, so say what it is instead.
pub(crate) fn utf16_error(name: &str, head: &[u8]) -> Option<crate::error::Error> {
    let utf16 = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    utf16.then(|| {
        crate::error::Error::io(
            name,
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the file is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8 \
                 (in Excel: CSV UTF-8) and run again",
            ),
        )
    })
}

/// Whether CSV bytes (from the start of a record to the end of the file) end inside a quoted
/// field that was never closed: the csv crate then reads the rest of the file into that one
/// field, and every row after it would silently vanish. The states are the csv crate's own
/// (RFC 4180 with doubled quotes; a quote inside an unquoted field is an ordinary character).
pub(crate) fn ends_in_open_quote(
    bytes: impl std::io::Read,
    delimiter: u8,
    quote: u8,
) -> std::io::Result<bool> {
    #[derive(PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::FieldStart;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, bytes);
    loop {
        let buf = std::io::BufRead::fill_buf(&mut reader)?;
        if buf.is_empty() {
            return Ok(state == State::Quoted);
        }
        for &b in buf {
            let ends_field = b == delimiter || b == b'\n' || b == b'\r';
            state = match state {
                State::FieldStart if b == quote => State::Quoted,
                State::FieldStart | State::Unquoted if ends_field => State::FieldStart,
                State::FieldStart | State::Unquoted => State::Unquoted,
                State::Quoted if b == quote => State::QuoteInQuoted,
                State::Quoted => State::Quoted,
                State::QuoteInQuoted if b == quote => State::Quoted,
                State::QuoteInQuoted if ends_field => State::FieldStart,
                State::QuoteInQuoted => State::Unquoted,
            };
        }
        let n = buf.len();
        std::io::BufRead::consume(&mut reader, n);
    }
}

/// The line breaks of a file, noted as the bytes stream past ([`Counted`]), by which
/// [`LineFix::line`] numbers a record's line itself: the csv crate puts a record that follows
/// a CRLF-terminated one a line early (it starts the record on the `\n` it has not counted
/// yet: BurntSushi/rust-csv#395), does not count a lone `\r` (old Mac files), and puts a record
/// after blank lines on the first of them. Right in files of LF, CRLF, CR or a mix.
#[derive(Clone, Default)]
pub(crate) struct LineFix(std::sync::Arc<std::sync::Mutex<Breaks>>);

/// What [`Counted`] has seen and [`LineFix::line`] has not yet passed.
#[derive(Default)]
struct Breaks {
    /// The first and last byte offsets of each line break ahead: `\n`, `\r\n` or a lone `\r`.
    ahead: std::collections::VecDeque<(u64, u64)>,
    /// Line breaks already passed.
    passed: u64,
    /// Nobody asks for lines (the reader counts its own): nothing is noted.
    off: bool,
    /// Where the record being read starts ([`LineFix::next_row_at`]).
    row_at: u64,
}

/// The longest row a table may have: a row that runs on past it (a quote never closed in a
/// large file, a file that is not text, `/dev/zero`) stops the reading with an error on its
/// line instead of filling memory. A message's text is read to its first
/// [`MAX_TEXT_CHARS`] characters anyway.
pub const MAX_ROW_BYTES: u64 = 16 << 20;

impl LineFix {
    /// Stops noting line breaks, for a reader that counts its own lines.
    pub(crate) fn stop(&self) {
        let mut b = self.0.lock().unwrap_or_else(|p| p.into_inner());
        b.off = true;
        b.ahead = Default::default();
    }

    /// The 1-based line of a record that the csv crate started at byte `start`: one more
    /// than the line breaks before its first byte that is not one. Records must be asked for
    /// in file order (the breaks before are let go).
    pub(crate) fn line(&self, start: u64) -> u64 {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).line(start)
    }

    /// Where the record being read starts ([`Self::next_row_at`]).
    pub(crate) fn row_at(&self) -> u64 {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).row_at
    }

    /// Notes that the next record starts at byte `at` (the csv reader's position after a
    /// record): a row running on from there past [`MAX_ROW_BYTES`] is an error.
    pub(crate) fn next_row_at(&self, at: u64) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).row_at = at;
    }
}

impl Breaks {
    /// [`LineFix::line`].
    fn line(&mut self, start: u64) -> u64 {
        while self.ahead.front().is_some_and(|&(_, last)| last < start) {
            self.ahead.pop_front();
            self.passed += 1;
        }
        // The breaks the record was started on: the `\n` of a CRLF, blank lines.
        let mut at = start;
        while let Some(&(first, last)) = self.ahead.front() {
            if first > at {
                break;
            }
            self.ahead.pop_front();
            self.passed += 1;
            at = last + 1;
        }
        self.passed + 1
    }
}

/// Bytes the readers above a [`Counted`] may hold past the row being parsed (a table's 256 KiB
/// buffer and the csv crate's; an export file's 64 + 64 KiB): allowed for, so that no row
/// shorter than [`MAX_ROW_BYTES`] is refused.
const READ_AHEAD: u64 = 1 << 20;

/// A row longer than [`MAX_ROW_BYTES`], on its 1-based line.
#[derive(Debug)]
pub(crate) struct RunawayRow {
    line: u64,
}

impl std::fmt::Display for RunawayRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a row runs on past {} MiB without ending (a quote never closed, or a file that is \
             not a text table); nothing after it was read",
            MAX_ROW_BYTES >> 20
        )
    }
}

impl std::error::Error for RunawayRow {}

/// Whether a read failed on a [`RunawayRow`].
pub(crate) fn is_runaway(io: &std::io::Error) -> bool {
    io.get_ref().is_some_and(|e| e.is::<RunawayRow>())
}

/// The error for a failure to read the table `name`: a [`RunawayRow`] on its line, else
/// what the system said.
pub(crate) fn read_error(name: &str, io: std::io::Error) -> crate::error::Error {
    match io.get_ref().and_then(|e| e.downcast_ref::<RunawayRow>()) {
        Some(row) => crate::error::Error::BadRow {
            path: name.into(),
            line: row.line,
            message: row.to_string(),
        },
        None => crate::error::Error::io(name, io),
    }
}

/// A byte source that notes its line breaks for a [`LineFix`] as they are read.
pub(crate) struct Counted<R> {
    inner: R,
    fix: LineFix,
    /// Bytes read so far.
    offset: u64,
    /// A `\r` that ended the last read, not yet known to be lone.
    cr_at_end: Option<u64>,
}

impl<R> Counted<R> {
    /// `inner`, noting its line breaks for `fix`.
    pub(crate) fn new(inner: R, fix: &LineFix) -> Self {
        Counted {
            inner,
            fix: fix.clone(),
            offset: 0,
            cr_at_end: None,
        }
    }
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = &buf[..n];
        let mut b = self.fix.0.lock().unwrap_or_else(|p| p.into_inner());
        if b.off {
            return Ok(n);
        }
        let mut pending = self.cr_at_end.take();
        let base = self.offset;
        for i in memchr::memchr2_iter(b'\r', b'\n', chunk) {
            let at = base + i as u64;
            if chunk[i] == b'\n' {
                match pending.take() {
                    Some(cr) if cr + 1 == at => b.ahead.push_back((cr, at)),
                    Some(cr) => {
                        b.ahead.push_back((cr, cr));
                        b.ahead.push_back((at, at));
                    }
                    None => b.ahead.push_back((at, at)),
                }
            } else {
                if let Some(cr) = pending.replace(at) {
                    b.ahead.push_back((cr, cr));
                }
            }
        }
        // A `\r` last in the chunk waits for the next byte; any other is lone.
        if let Some(cr) = pending {
            if n == 0 || cr + 1 < base + n as u64 {
                b.ahead.push_back((cr, cr));
            } else {
                self.cr_at_end = Some(cr);
            }
        }
        self.offset += n as u64;
        if self.offset - b.row_at > MAX_ROW_BYTES + READ_AHEAD {
            let start = b.row_at;
            return Err(std::io::Error::other(RunawayRow {
                line: b.line(start),
            }));
        }
        Ok(n)
    }
}

/// A byte source without the UTF-8 byte order marks that open its lines (after LF, CRLF or a
/// lone CR; one or several): files joined byte for byte each keep their own, and the csv
/// reader, which drops one at the start of the input only, would read the mark into the first
/// field and a quote after it as a plain character (`\u{feff}"c,d"` split in two).
pub(crate) struct LineBoms<R> {
    inner: R,
    /// The next byte starts a line.
    line_start: bool,
    /// Bytes that looked like the start of a mark and were not one, given back first.
    pending: Vec<u8>,
    /// Bytes of marks taken out so far ([`LineBoms::removed`]).
    removed: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

impl<R: std::io::BufRead> LineBoms<R> {
    /// `inner` without the marks that open its lines.
    pub(crate) fn new(inner: R) -> Self {
        LineBoms {
            inner,
            line_start: true,
            pending: Vec::new(),
            removed: Default::default(),
        }
    }

    /// A count of the bytes of marks taken out so far, to be read while the reader is in use:
    /// what lies between the positions of the input and those of what is read from it.
    pub(crate) fn removed(&self) -> std::sync::Arc<std::sync::atomic::AtomicU64> {
        self.removed.clone()
    }

    /// Consumes a mark at the start of what is left, even one split across reads, and says
    /// whether it did; the bytes of a partial match go to `pending`.
    fn skip_mark(&mut self) -> std::io::Result<bool> {
        let mut seen = 0;
        loop {
            let avail = self.inner.fill_buf()?;
            let n = (BOM.len() - seen).min(avail.len());
            if n == 0 || avail[..n] != BOM[seen..seen + n] {
                break;
            }
            self.inner.consume(n);
            seen += n;
            if seen == BOM.len() {
                let marks = &self.removed;
                marks.fetch_add(BOM.len() as u64, std::sync::atomic::Ordering::Relaxed);
                return Ok(true);
            }
        }
        self.pending.extend_from_slice(&BOM[..seen]);
        Ok(false)
    }
}

impl<R: std::io::BufRead> std::io::Read for LineBoms<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.line_start && self.pending.is_empty() {
            self.line_start = false;
            while self.skip_mark()? {}
        }
        if !self.pending.is_empty() {
            let n = self.pending.len().min(out.len());
            out[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
            return Ok(n);
        }
        let avail = self.inner.fill_buf()?;
        let room = avail.len().min(out.len());
        // Through the first line break after which a mark may start (its first byte, or the
        // end of what is buffered, follows): the next read looks there.
        let mut take = room;
        for i in memchr::memchr2_iter(b'\n', b'\r', &avail[..room]) {
            if avail.get(i + 1).is_none_or(|&b| b == BOM[0]) {
                take = i + 1;
                self.line_start = true;
                break;
            }
        }
        out[..take].copy_from_slice(&avail[..take]);
        self.inner.consume(take);
        Ok(take)
    }
}

/// Messages that can be read more than once, in the same order each time, so that scoring
/// can take one pass for thread context and a second for the words, holding only compact
/// per-message and per-sender state in between (memory does not hold the messages).
pub trait MessageStream {
    /// Calls `visit` with every message, in order. With `text` false the messages may come
    /// without subject and body (only ids, origins, threads and mail headers are needed), so
    /// a source can skip decoding them. Rows that cannot be read go to the returned report,
    /// never silently dropped; an error from `visit` stops the pass and is returned.
    fn each(&self, text: bool, visit: &mut dyn FnMut(Message) -> Result<()>) -> Result<ReadReport>;
}

/// Messages already in memory (training sets, tests) are a stream too.
impl MessageStream for [Message] {
    fn each(
        &self,
        _text: bool,
        visit: &mut dyn FnMut(Message) -> Result<()>,
    ) -> Result<ReadReport> {
        for m in self {
            visit(m.clone())?;
        }
        Ok(ReadReport::default())
    }
}

/// One message (or invitation note) as read from an input, with where it came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    /// Identifier: the id column, or `<file>:<line>` when there is none.
    pub id: String,
    /// Where the row starts, for messages about it.
    pub origin: Origin,
    /// The label, when the input is labeled and the row has one.
    pub label: Option<String>,
    /// Subject line (empty when none).
    pub subject: String,
    /// Body text.
    pub text: String,
    /// The thread around the message, when the input says.
    pub thread: Option<Thread>,
    /// What a mail's headers say (bulk-mail and list headers), for mail input only.
    pub mail: Option<MailHeaders>,
}

/// Bulk-mail facts from a mail's headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailHeaders {
    /// A List-Unsubscribe header is present (RFC 2369).
    pub list_unsubscribe: bool,
    /// List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058).
    pub one_click_unsubscribe: bool,
    /// Precedence: bulk, list or junk.
    pub precedence_bulk: bool,
    /// A List-Id header is present.
    pub list_id: bool,
    /// A Feedback-ID header is present (bulk senders' feedback loops).
    pub feedback_id: bool,
    /// A LinkedIn notification (from linkedin.com).
    pub linkedin_notification: bool,
    /// A LinkedIn invitation notification ("… wants to connect", "please add me to your LinkedIn network").
    pub linkedin_invitation: bool,
}

/// A row's position in its file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// The file's display name (shared by the file's rows).
    pub file: std::sync::Arc<str>,
    /// 1-based line where the row starts.
    pub line: u64,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Thread context of a message: who, when, which way.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Thread {
    /// Thread key (a conversation id, or the contact when there is none).
    pub conversation: String,
    /// The other party's key: a normalised profile URL, an address, or a name.
    pub contact: String,
    /// The other party's display name.
    pub contact_name: String,
    /// True when the contact wrote it, false when the owner did.
    pub incoming: bool,
    /// True for a connection request (its note is the text).
    pub invitation: bool,
    /// When it was sent, as Unix seconds (UTC).
    pub timestamp: Option<i64>,
    /// When the owner accepted the connection, as Unix seconds (UTC).
    pub connected_on: Option<i64>,
    /// A claimed mutual contact: `Some(true)` if among the owner's connections, `Some(false)` if not.
    pub claimed_contact: Option<bool>,
    /// An advertisement (LinkedIn sponsored message), not personal outreach.
    pub sponsored: bool,
    /// The source holds the owner's messages by its nature (a LinkedIn export, a table with a
    /// direction column): the owner's replies are known, even where there are none
    /// ([`crate::features::context::Threads::replies_unknown`]).
    pub replies_included: bool,
    /// Mail the owner sent to themselves (a note to self): no reply to anyone, and no sign
    /// that the input holds the owner's sent mail.
    pub to_self: bool,
}

/// Problems met while reading that did not stop it, for the summary on stderr.
#[derive(Debug, Clone, Default)]
pub struct ReadReport {
    /// Rows whose invalid UTF-8 was replaced with U+FFFD, and the first such position.
    pub lossy_rows: usize,
    /// Position of the first lossy row.
    pub first_lossy: Option<Origin>,
    /// Rows that could not be read, each as `path:line: problem`.
    pub bad_rows: Vec<String>,
    /// Rows read but left out by design (unsent drafts, rows with nothing in them), by reason.
    pub left_out: std::collections::BTreeMap<String, usize>,
    /// Messages without a readable date (a mail's `Date:` header, an export's empty DATE): no
    /// timing for their context.
    pub undated: usize,
    /// Position of the first undated message.
    pub first_undated: Option<Origin>,
    /// Rows with a text longer than [`MAX_TEXT_CHARS`], cut there.
    pub cut_texts: usize,
    /// Position of the first row with a cut text.
    pub first_cut: Option<Origin>,
    /// Table rows with a sender (or, yours, a recipient) cell left empty: each is a party of
    /// its own, named [`table::NO_SENDER`] or [`table::NO_RECIPIENT`].
    pub unnamed_parties: usize,
    /// Position of the first such row.
    pub first_unnamed: Option<Origin>,
    /// Other warnings, each whole (`path:line: what was not read`).
    pub notes: Vec<String>,
    /// `--me` when no row of a table was from or to it (a typo, most likely).
    pub me_unseen: Option<String>,
}

impl ReadReport {
    /// Adds another report's counts to this one.
    pub fn merge(&mut self, other: ReadReport) {
        self.lossy_rows += other.lossy_rows;
        if self.first_lossy.is_none() {
            self.first_lossy = other.first_lossy;
        }
        self.bad_rows.extend(other.bad_rows);
        self.undated += other.undated;
        if self.first_undated.is_none() {
            self.first_undated = other.first_undated;
        }
        self.cut_texts += other.cut_texts;
        if self.first_cut.is_none() {
            self.first_cut = other.first_cut;
        }
        self.notes.extend(other.notes);
        self.me_unseen = self.me_unseen.take().or(other.me_unseen);
        self.unnamed_parties += other.unnamed_parties;
        if self.first_unnamed.is_none() {
            self.first_unnamed = other.first_unnamed;
        }
        for (reason, n) in other.left_out {
            *self.left_out.entry(reason).or_default() += n;
        }
    }

    /// Counts a message without a readable date.
    pub fn undated(&mut self, origin: &Origin) {
        self.undated += 1;
        self.first_undated.get_or_insert_with(|| origin.clone());
    }

    /// Counts a row whose text was cut at [`MAX_TEXT_CHARS`].
    pub fn cut_text(&mut self, origin: &Origin) {
        self.cut_texts += 1;
        self.first_cut.get_or_insert_with(|| origin.clone());
    }

    /// Counts a row left out by design, with its reason.
    pub fn leave_out(&mut self, reason: &str) {
        *self.left_out.entry(reason.to_string()).or_default() += 1;
    }

    /// Human-readable warnings, one per line.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(first) = &self.first_lossy {
            out.push(format!(
                "warning: {} row(s) had invalid UTF-8, replaced with U+FFFD (first at {first})",
                self.lossy_rows
            ));
        }
        if let Some(first) = &self.first_undated {
            out.push(format!(
                "warning: {} message(s) have no readable date, so their timing (time to \
                 pitch, follow-ups) is unknown (first at {first})",
                self.undated
            ));
        }
        if let Some(first) = &self.first_cut {
            out.push(format!(
                "warning: {} row(s) had a text longer than {}k characters, read only up to \
                 there (first at {first})",
                self.cut_texts,
                MAX_TEXT_CHARS / 1000
            ));
        }
        if let Some(first) = &self.first_unnamed {
            out.push(format!(
                "warning: {} row(s) name no sender (or, yours, no recipient), so each is judged \
                 alone as '{}' or '{}' (in mail: '(no address)') (first at {first})",
                self.unnamed_parties,
                table::NO_SENDER,
                table::NO_RECIPIENT
            ));
        }
        out.extend(self.notes.iter().map(|n| format!("warning: {n}")));
        out.extend(
            self.left_out
                .iter()
                .map(|(reason, n)| format!("note: left out {n} row(s): {reason}")),
        );
        out.extend(self.bad_rows.iter().map(|b| format!("error: {b}")));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{
        capped, clean_label, ends_in_open_quote, Counted, LineBoms, LineFix, MAX_TEXT_CHARS,
    };

    #[test]
    fn a_label_is_one_label_however_it_was_typed_or_pasted() {
        for raw in [
            "spam",
            " spam ",
            "spam\u{200B}",
            "\u{FEFF}spam",
            "sp\u{00AD}am",
            "\u{200E}spam ",
        ] {
            assert_eq!(clean_label(raw), "spam", "{raw:?}");
        }
        assert_eq!(clean_label("cafe\u{301}"), "café");
        assert_eq!(clean_label("\u{200B}"), "");
    }

    #[test]
    fn a_text_is_cut_after_its_first_max_text_chars_chars_on_a_char_boundary() {
        let short = "ü".repeat(MAX_TEXT_CHARS);
        assert_eq!(capped(&short), (short.as_str(), false), "exactly the limit");
        let long = format!("{short}ß and more");
        assert_eq!(capped(&long), (short.as_str(), true));
        let ascii = "a".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(capped(&ascii).0.len(), MAX_TEXT_CHARS);
    }
    use std::io::Read;

    /// Reads one byte per call, so that a CRLF falls across two reads.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let Some((&first, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            buf[0] = first;
            self.0 = rest;
            Ok(1)
        }
    }

    /// The line of every record of `text`, as the csv crate reports it once corrected.
    fn record_lines(text: &[u8], trickle: bool) -> Vec<u64> {
        let fix = LineFix::default();
        let input: Box<dyn Read> = match trickle {
            true => Box::new(Counted::new(Trickle(text), &fix)),
            false => Box::new(Counted::new(text, &fix)),
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        let mut record = csv::ByteRecord::new();
        let mut lines = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let p = record.position().unwrap();
            lines.push(fix.line(p.byte()));
        }
        lines
    }

    #[test]
    fn record_lines_are_right_with_lf_crlf_cr_a_mix_or_blank_lines() {
        for trickle in [false, true] {
            let lines = |text: &str| record_lines(text.as_bytes(), trickle);
            assert_eq!(lines("h\na\nb\nc\n"), [1, 2, 3, 4]);
            assert_eq!(lines("h\r\na\r\nb\r\nc\r\n"), [1, 2, 3, 4]);
            assert_eq!(lines("h\na\r\nb\nc\r\nd\n"), [1, 2, 3, 4, 5]);
            assert_eq!(lines("h\ra\rb\rc"), [1, 2, 3, 4]);
            assert_eq!(lines("h\r\n\"multi\r\nline\",x\r\nb\r\n"), [1, 2, 4]);
            assert_eq!(lines("h\r\"multi\rline\"\rb\r"), [1, 2, 4]);
            // Blank lines, which the crate puts the next record on.
            assert_eq!(lines("h\na\n\nb\n\n\nc\n"), [1, 2, 4, 7]);
            assert_eq!(lines("h\r\n\r\na\r\n\r\n\r\nb"), [1, 3, 6]);
            assert_eq!(lines("h\r\ra\r\r\rb"), [1, 3, 6]);
            assert_eq!(lines("\nh\n\r\n\ra\n"), [2, 5]);
        }
    }

    #[test]
    fn marks_opening_lines_are_left_out_even_split_across_reads() {
        let text = b"\xEF\xBB\xBFid,text\n\xEF\xBB\xBF\"a\",x\r\n\xEF\xBB\xBF\n\xEF\xBBb,\xEF\xBB\xBF\n\xEF";
        let want = b"id,text\n\"a\",x\r\n\n\xEF\xBBb,\xEF\xBB\xBF\n\xEF";
        for capacity in [1, 2, 3, 5, 64] {
            for trickle in [false, true] {
                let inner: Box<dyn Read> = match trickle {
                    true => Box::new(Trickle(text)),
                    false => Box::new(&text[..]),
                };
                let mut out = Vec::new();
                LineBoms::new(std::io::BufReader::with_capacity(capacity, inner))
                    .read_to_end(&mut out)
                    .unwrap();
                assert_eq!(out, want, "capacity {capacity}, trickle {trickle}");
            }
        }
    }

    #[test]
    fn repeated_marks_and_marks_after_a_lone_cr_are_left_out_too() {
        let text = b"h\ra\r\xEF\xBB\xBFb\n\xEF\xBB\xBF\xEF\xBB\xBFc\r\n\xEF\xBB\xBF\xEF\xBB!";
        let want = b"h\ra\rb\nc\r\n\xEF\xBB!";
        for capacity in [1, 2, 3, 5, 64] {
            let mut out = Vec::new();
            LineBoms::new(std::io::BufReader::with_capacity(capacity, &text[..]))
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, want, "capacity {capacity}");
        }
    }

    #[test]
    fn a_quote_left_open_at_the_end_of_the_file_is_found() {
        let open = |s: &str| ends_in_open_quote(s.as_bytes(), b',', b'"').unwrap();
        assert!(open("1,\"never closed\n2,b,ok\n3,c,ok\n"));
        assert!(open("1,\"has \"\"doubled\"\" quotes\n2,b\n"));
        assert!(!open("1,\"multi\nline\"\n"));
        assert!(!open("1,\"multi\nline\",tail"));
        assert!(!open("1,5\" screen,ok\n2,b,ok\n"));
        assert!(!open("1,\"closed\"then more,ok\n"));
        assert!(!open(""));
    }
}
