//! Context features: what the thread around a message shows, beyond its words.
//!
//! Computed from real context — timestamps, who wrote each message, when the connection was
//! accepted — for every message that carries a [`crate::read::Thread`]. A message without
//! thread information gets zeros, `has_thread = 0` and unknown (NaN) reply features, so
//! text-only corpora train through the same interface. This module owns the thread
//! arithmetic; it does not read files.
//!
//! It works in two steps so that a stream of any size needs bounded memory per message:
//! every message's [`ThreadRow`] (a few numbers, no text) is collected first and sorted by
//! thread (past a few megabytes, in runs on disk: [`Sorter`]); [`places`] then places each
//! message in its thread, one thread at a time, and hands the places back in input order
//! ([`thread_context`] does both for a batch in memory); [`values`] finishes one message's
//! vector from its [`ThreadContext`] and what the message itself says. What is kept per
//! contact ([`Blocks`], [`Interner`]) leaves no holes in the heap as it grows and keeps no
//! key's text.

mod spill;
mod store;

pub use spill::{Get, Put, Record, Sorted, Sorter};
pub use store::{Blocks, Interner};

use crate::error::{Error, Result};
use crate::read::Message;

/// The context feature names, in vector order.
pub const CONTEXT_NAMES: [&str; 12] = [
    "has_thread",
    "invitation",
    "invitation_without_note",
    "days_after_connect",
    "pitch_within_2_days_of_connect",
    "sender_message_number",
    "unanswered_before",
    "owner_ever_replied",
    "owner_replied_before",
    "mean_days_between_sender_messages",
    "claimed_contact_absent",
    "claimed_contact_present",
];

/// The features that need the owner's replies: NaN (unknown) where an input cannot show them.
pub const REPLY_FEATURES: [&str; 3] = [
    "unanswered_before",
    "owner_ever_replied",
    "owner_replied_before",
];

/// Where [`REPLY_FEATURES`] sit in a context vector.
const REPLIES_AT: std::ops::RangeInclusive<usize> = 6..=8;

/// One context vector.
pub type ContextVector = [f64; CONTEXT_NAMES.len()];

/// Whether a message sent at `ts` came after connecting on `connected` (both Unix seconds): a
/// message more than a day before the connection date (an InMail, a connection removed and
/// made again) did not; within a day it did, the date having no time of day.
pub fn sent_after_connecting(ts: i64, connected: i64) -> bool {
    ts >= connected - 86_400
}

/// What the thread pass keeps of one message: where it sits, when, and which way it went.
/// The connection date is kept per contact, in [`Threads`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThreadRow {
    /// When it was sent (Unix seconds), [`NO_TIME`] when unknown.
    pub timestamp: i64,
    /// The conversation, as a small integer ([`NO_THREAD`] when the message has none).
    pub conversation: u32,
    /// The other party (the sender of incoming messages), as a small integer.
    pub contact: u32,
    /// [`ROW_INCOMING`], [`ROW_INVITATION`], [`ROW_SPONSORED`].
    pub flags: u8,
}

/// The most rows one first pass can number (row numbers are `u32`, and the last is a mark).
pub const MAX_ROWS: usize = u32::MAX as usize - 1;

/// A [`ThreadRow`] time that is not known.
pub const NO_TIME: i64 = i64::MIN;
/// [`ThreadRow::conversation`] of a message without thread information.
pub const NO_THREAD: u32 = u32::MAX;
/// The contact wrote it (not the owner).
pub const ROW_INCOMING: u8 = 1;
/// A connection request.
pub const ROW_INVITATION: u8 = 2;
/// An advertisement: the owner's clicks on it are not replies.
pub const ROW_SPONSORED: u8 = 4;

impl ThreadRow {
    /// The time, if known.
    pub fn time(&self) -> Option<i64> {
        (self.timestamp != NO_TIME).then_some(self.timestamp)
    }

    /// Whether a flag is set.
    pub fn is(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// The first pass over a stream: one row per message, keys interned (no text is kept),
/// connection dates per contact. The rows are kept for sorting, twice: by conversation (to
/// place each message in its thread) and by contact (for each sender's timeline). A pass
/// made [`Threads::bounded`] holds a bounded number of rows in memory and writes the rest
/// to temporary files; one made by `default` holds them all (for batches already in memory).
#[derive(Debug, Default)]
pub struct Threads {
    /// The rows with a thread, by conversation.
    by_conversation: Sorter<ByConversation>,
    /// The rows with a thread, by contact.
    by_contact: Sorter<ByContact>,
    /// Rows added, with a thread or not.
    rows: usize,
    /// Rows held in memory before a run goes to disk (and so for the places), when bounded.
    run_rows: Option<usize>,
    /// The most rows taken, when fewer than [`MAX_ROWS`] (for tests).
    max_rows: Option<usize>,
    /// Conversation keys.
    pub conversations: Interner,
    /// Contact keys.
    pub contacts: Interner,
    /// When the owner accepted each contact ([`NO_TIME`] when unknown), by contact id.
    pub connected_on: Blocks<i64>,
    /// Each contact's number among the contacts who wrote ([`NO_THREAD`] until they do),
    /// by contact id: in order of their first message, from 0.
    pub writer: Blocks<u32>,
    /// Contacts who wrote.
    pub writers: u32,
    /// Rows in a thread.
    threaded_rows: usize,
    /// A row came from a source that holds the owner's messages by its nature
    /// ([`crate::read::Thread::replies_included`]).
    replies_included: bool,
    /// The owner's own rows in a thread (not clicks on an ad): none means the input does not
    /// hold what the owner wrote, so whether they replied is not known.
    owner_rows: usize,
}

/// A [`ThreadRow`] and its row number: what the first pass sorts.
#[derive(Debug, Clone, Copy)]
struct Numbered {
    row: u32,
    thread: ThreadRow,
}

impl Numbered {
    const SIZE: usize = 21;

    fn put(&self, out: &mut [u8]) {
        let t = &self.thread;
        Put::new(out)
            .field(self.row.to_le_bytes())
            .field(t.timestamp.to_le_bytes())
            .field(t.conversation.to_le_bytes())
            .field(t.contact.to_le_bytes())
            .field([t.flags]);
    }

    fn get(b: &[u8]) -> Self {
        let mut g = Get::new(b);
        Numbered {
            row: u32::from_le_bytes(g.field()),
            thread: ThreadRow {
                timestamp: i64::from_le_bytes(g.field()),
                conversation: u32::from_le_bytes(g.field()),
                contact: u32::from_le_bytes(g.field()),
                flags: g.field::<1>()[0],
            },
        }
    }
}

/// A [`Numbered`] row sorted by conversation, then time, then row.
#[derive(Debug, Clone, Copy)]
struct ByConversation(Numbered);

/// A [`Numbered`] row sorted by contact, then time, then row.
#[derive(Debug, Clone, Copy)]
struct ByContact(Numbered);

impl Record for ByConversation {
    const SIZE: usize = Numbered::SIZE;
    type Key = (u32, i64, u32);
    fn key(&self) -> Self::Key {
        (
            self.0.thread.conversation,
            self.0.thread.timestamp,
            self.0.row,
        )
    }
    fn put(&self, out: &mut [u8]) {
        self.0.put(out)
    }
    fn get(bytes: &[u8]) -> Self {
        ByConversation(Numbered::get(bytes))
    }
}

impl Record for ByContact {
    const SIZE: usize = Numbered::SIZE;
    type Key = (u32, i64, u32);
    fn key(&self) -> Self::Key {
        (self.0.thread.contact, self.0.thread.timestamp, self.0.row)
    }
    fn put(&self, out: &mut [u8]) {
        self.0.put(out)
    }
    fn get(bytes: &[u8]) -> Self {
        ByContact(Numbered::get(bytes))
    }
}

impl Threads {
    /// A first pass that holds a bounded number of rows in memory, whatever the stream's
    /// length (the rest go to temporary files).
    pub fn bounded() -> Self {
        Threads::with_run_rows(spill::RUN_BYTES / size_of::<ByContact>())
    }

    /// A first pass that writes its rows to disk in runs of `run_rows`.
    fn with_run_rows(run_rows: usize) -> Self {
        Threads {
            by_conversation: Sorter::with_run_rows(run_rows),
            by_contact: Sorter::with_run_rows(run_rows),
            run_rows: Some(run_rows),
            ..Threads::default()
        }
    }

    /// Adds the next message (past [`MAX_ROWS`] rows, [`places`] and
    /// [`Threads::each_timeline`] refuse the pass).
    pub fn push(&mut self, m: &Message) {
        // Rows are numbered in u32, like the interners' keys.
        let row = u32::try_from(self.rows).unwrap_or(u32::MAX);
        self.rows += 1;
        if self.rows > self.max_rows() {
            return;
        }
        let Some(t) = &m.thread else {
            return;
        };
        let contact = self.contacts.id(&t.contact);
        if contact as usize == self.connected_on.len() {
            self.connected_on.push(NO_TIME);
            self.writer.push(NO_THREAD);
        }
        let at = contact as usize;
        if let (NO_TIME, Some(c)) = (self.connected_on[at], t.connected_on) {
            self.connected_on[at] = c;
        }
        if t.incoming && self.writer[at] == NO_THREAD {
            // No more writers than contacts, whose ids are below NO_THREAD.
            self.writer[at] = self.writers;
            self.writers += 1;
        }
        self.threaded_rows += 1;
        self.replies_included |= t.replies_included;
        if !t.incoming && !t.sponsored && !t.to_self {
            self.owner_rows += 1;
        }
        let flag = |on: bool, bit: u8| if on { bit } else { 0 };
        let numbered = Numbered {
            row,
            thread: ThreadRow {
                timestamp: t.timestamp.unwrap_or(NO_TIME),
                conversation: self.conversations.id(&t.conversation),
                contact,
                flags: flag(t.incoming, ROW_INCOMING)
                    | flag(t.invitation, ROW_INVITATION)
                    | flag(t.sponsored, ROW_SPONSORED),
            },
        };
        self.by_conversation.push(ByConversation(numbered));
        self.by_contact.push(ByContact(numbered));
    }

    /// Rows added.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// True before the first row.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Whether the input has threads but none of the owner's messages (notes to self aside),
    /// so no reply can be seen (an Inbox exported without its Sent folder, a table without a
    /// direction column), and is of no source that holds them by its nature (an export's
    /// owner who never wrote is known never to have replied): the reply features of every
    /// message are then unknown rather than "never replied". One answer for the whole input.
    pub fn replies_unknown(&self) -> bool {
        self.owner_rows == 0 && self.threaded_rows > 0 && !self.replies_included
    }

    /// Frees the interners once every message is in: placing the rows and judging the
    /// senders need only the ids (a message added afterwards would get fresh ones).
    pub fn forget_keys(&mut self) {
        self.conversations = Interner::default();
        self.contacts = Interner::default();
    }

    /// The connection date of a row's contact.
    pub fn connected(&self, row: &ThreadRow) -> Option<i64> {
        let c = *self.connected_on.get(row.contact as usize)?;
        (c != NO_TIME).then_some(c)
    }

    fn max_rows(&self) -> usize {
        self.max_rows.unwrap_or(MAX_ROWS)
    }

    /// An error when more rows came than can be numbered.
    fn check_rows(&self) -> Result<()> {
        match self.rows > self.max_rows() {
            true => Err(Error::TooLarge(format!(
                "{} rows in one input: at most {} can be placed in their threads; split the input",
                self.rows,
                self.max_rows()
            ))),
            false => Ok(()),
        }
    }

    /// Calls `each` with every contact's rows in time order (then input order) and what is
    /// known of the contact, one contact at a time; the rows by contact are used up.
    pub fn each_timeline(&mut self, mut each: impl FnMut(&[ThreadRow], Contact)) -> Result<()> {
        self.check_rows()?;
        let mut timeline = Vec::new();
        let (writer, connected_on) = (&self.writer, &self.connected_on);
        self.by_contact.sorted()?.each_group(
            |a, b| a.0.thread.contact == b.0.thread.contact,
            |group| {
                timeline.clear();
                timeline.extend(group.iter().map(|r| r.0.thread));
                let at = group[0].0.thread.contact as usize;
                let contact = Contact {
                    writer: writer.get(at).copied().filter(|&w| w != NO_THREAD),
                    connected_on: connected_on.get(at).copied().filter(|&c| c != NO_TIME),
                };
                each(&timeline, contact);
            },
        )
    }
}

/// What the first pass knows of a contact.
#[derive(Debug, Clone, Copy)]
pub struct Contact {
    /// Their number among the contacts who wrote ([`Threads::writer`]), if they did.
    pub writer: Option<u32>,
    /// When the owner accepted them, if known.
    pub connected_on: Option<i64>,
}

/// A message's place in its thread, computed from every [`ThreadRow`]; 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThreadContext {
    /// `ln(1 + days)` from acceptance to this message (0 when either date is unknown).
    days_after_connect: f64,
    /// `ln(1 + mean days)` between the contact's messages so far.
    mean_gap: f64,
    /// The contact's messages so far, this one included (invitations not counted).
    sender_number: u32,
    /// The contact's messages since the owner last wrote, before this one.
    unanswered_before: u32,
    /// The contact's number among those who wrote ([`Threads::writer`]; [`NO_THREAD`] when
    /// they never wrote).
    writer: u32,
    /// Bit flags: `HAS_THREAD`, `OWNER_EVER`, `OWNER_BEFORE`, `WITHIN_2_DAYS`, `INCOMING`,
    /// `REPLIES_UNKNOWN`.
    flags: u8,
}

impl Default for ThreadContext {
    fn default() -> Self {
        ThreadContext {
            days_after_connect: 0.0,
            mean_gap: 0.0,
            sender_number: 0,
            unanswered_before: 0,
            writer: NO_THREAD,
            flags: 0,
        }
    }
}

impl ThreadContext {
    /// The contact's number among those who wrote ([`Threads::writer`]), if they did.
    pub fn writer(&self) -> Option<u32> {
        (self.writer != NO_THREAD).then_some(self.writer)
    }
}

const HAS_THREAD: u8 = 1;
const OWNER_EVER: u8 = 2;
const OWNER_BEFORE: u8 = 4;
const WITHIN_2_DAYS: u8 = 8;
const INCOMING: u8 = 16;
const REPLIES_UNKNOWN: u8 = 32;

/// Places every message of a batch in its thread (threads ordered by time, then input
/// order), for a first pass held in memory.
pub fn thread_context(threads: &mut Threads) -> Vec<ThreadContext> {
    let placed = places(threads).and_then(|mut p| {
        let n = p.left();
        p.take(n)
    });
    placed.expect("a batch in memory does no I/O and has fewer than 2^32 - 1 rows")
}

/// Places every message in its thread; the places come back in input order through
/// [`Places::take`]. The rows by conversation are used up.
pub fn places(threads: &mut Threads) -> Result<Places> {
    threads.check_rows()?;
    let mut placed = match threads.run_rows {
        Some(rows) => Sorter::with_run_rows(rows),
        None => Sorter::default(),
    };
    let (connected_on, writer) = (&threads.connected_on, &threads.writer);
    let replies_unknown = threads.replies_unknown();
    threads.by_conversation.sorted()?.each_group(
        |a, b| a.0.thread.conversation == b.0.thread.conversation,
        |thread| place_thread(thread, connected_on, writer, replies_unknown, &mut placed),
    )?;
    Ok(Places {
        placed: placed.sorted()?,
        next: 0,
        rows: threads.rows,
    })
}

/// Every message's place, in input order: taken a chunk at a time by the second pass.
pub struct Places {
    /// The places of the rows with a thread, by row.
    placed: Sorted<Placed>,
    /// The next row to take.
    next: usize,
    /// Rows in all.
    rows: usize,
}

impl Places {
    /// Rows whose places are still to be taken.
    pub fn left(&self) -> usize {
        self.rows - self.next
    }

    /// The places of the next `n` rows (at most [`Places::left`]).
    pub fn take(&mut self, n: usize) -> Result<Vec<ThreadContext>> {
        let end = self.rows.min(self.next + n);
        let mut out = Vec::with_capacity(end - self.next);
        for row in self.next..end {
            let here = self.placed.peek_key() == u32::try_from(row).ok();
            out.push(match here {
                true => self
                    .placed
                    .next_row()?
                    .map_or_else(unthreaded_place, |p| p.place),
                false => unthreaded_place(),
            });
        }
        self.next = end;
        Ok(out)
    }
}

/// A row's place and its number: what placing sorts back into input order.
#[derive(Debug, Clone, Copy)]
struct Placed {
    row: u32,
    place: ThreadContext,
}

impl Record for Placed {
    const SIZE: usize = 33;
    type Key = u32;
    fn key(&self) -> u32 {
        self.row
    }
    fn put(&self, out: &mut [u8]) {
        let p = &self.place;
        Put::new(out)
            .field(self.row.to_le_bytes())
            .field(p.days_after_connect.to_le_bytes())
            .field(p.mean_gap.to_le_bytes())
            .field(p.sender_number.to_le_bytes())
            .field(p.unanswered_before.to_le_bytes())
            .field(p.writer.to_le_bytes())
            .field([p.flags]);
    }
    fn get(b: &[u8]) -> Self {
        let mut g = Get::new(b);
        Placed {
            row: u32::from_le_bytes(g.field()),
            place: ThreadContext {
                days_after_connect: f64::from_le_bytes(g.field()),
                mean_gap: f64::from_le_bytes(g.field()),
                sender_number: u32::from_le_bytes(g.field()),
                unanswered_before: u32::from_le_bytes(g.field()),
                writer: u32::from_le_bytes(g.field()),
                flags: g.field::<1>()[0],
            },
        }
    }
}

/// The place of a message that has no thread (what [`places`] gives it).
pub fn unthreaded_place() -> ThreadContext {
    ThreadContext {
        writer: NO_THREAD,
        ..ThreadContext::default()
    }
}

/// Walks one thread in time order, placing each of its rows (`replies_unknown`: see
/// [`Threads::replies_unknown`]).
fn place_thread(
    thread: &[ByConversation],
    connected_on: &Blocks<i64>,
    writers: &Blocks<u32>,
    replies_unknown: bool,
    out: &mut Sorter<Placed>,
) {
    let connected = |r: &ThreadRow| {
        connected_on
            .get(r.contact as usize)
            .copied()
            .filter(|&c| c != NO_TIME)
    };
    // The owner's clicks on a sponsored message's buttons are not replies.
    let owner_ever = thread
        .iter()
        .any(|r| !r.0.thread.is(ROW_INCOMING) && !r.0.thread.is(ROW_SPONSORED));
    let mut sender_count = 0u32;
    let mut unanswered = 0u32;
    let mut owner_before = false;
    let mut last_incoming: Option<i64> = None;
    let (mut gap_sum, mut gaps) = (0.0f64, 0usize);
    for &ByConversation(Numbered { row, thread: r }) in thread {
        let mut c = ThreadContext {
            writer: writers
                .get(r.contact as usize)
                .copied()
                .unwrap_or(NO_THREAD),
            flags: HAS_THREAD,
            ..ThreadContext::default()
        };
        if !r.is(ROW_INCOMING) {
            if !r.is(ROW_SPONSORED) {
                owner_before = true;
                unanswered = 0;
            }
            out.push(Placed { row, place: c });
            continue;
        }
        c.flags |= INCOMING;
        if replies_unknown {
            c.flags |= REPLIES_UNKNOWN;
        }
        let invitation = r.is(ROW_INVITATION);
        if let (Some(ts), Some(conn)) = (r.time(), connected(&r)) {
            if !invitation && sent_after_connecting(ts, conn) {
                let days = ((ts - conn) as f64 / 86_400.0).max(0.0);
                c.days_after_connect = days.ln_1p();
                if days <= 2.0 {
                    c.flags |= WITHIN_2_DAYS;
                }
            }
        }
        if !invitation {
            sender_count += 1;
            if let (Some(ts), Some(prev)) = (r.time(), last_incoming) {
                // Summed in order, as a running total: the same rounding as summing the list.
                gap_sum += (ts - prev) as f64 / 86_400.0;
                gaps += 1;
            }
            last_incoming = r.time().or(last_incoming);
        }
        c.sender_number = sender_count;
        c.unanswered_before = unanswered;
        if owner_ever {
            c.flags |= OWNER_EVER;
        }
        if owner_before {
            c.flags |= OWNER_BEFORE;
        }
        c.mean_gap = if gaps == 0 {
            0.0
        } else {
            (gap_sum / gaps as f64).max(0.0).ln_1p()
        };
        if !invitation {
            unanswered += 1;
        }
        out.push(Placed { row, place: c });
    }
}

/// The context vector of one message, from its place in the thread and its own words:
/// `pitch` says whether its text reads as a pitch (from the cues), so "pitched soon after
/// connecting" joins both. Where the input holds no message of the owner's
/// ([`Threads::replies_unknown`]), or the message has no thread, `unanswered_before`,
/// `owner_ever_replied` and `owner_replied_before` are NaN: not known.
pub fn values(place: &ThreadContext, m: &Message, pitch: bool) -> ContextVector {
    let mut v = [0.0; CONTEXT_NAMES.len()];
    let flag = |bit: u8| f64::from(u8::from(place.flags & bit != 0));
    v[0] = flag(HAS_THREAD);
    if m.thread.is_none() {
        // Alone, a message shows nothing of replies: unknown, not "never answered" (the rest
        // stays 0; mean values for all of them read requests as hard sells, and counting it
        // as a first message read warm notes as hard sells, on the blind cases).
        v[REPLIES_AT].fill(f64::NAN);
        return v;
    }
    let Some(t) = m.thread.as_ref().filter(|_| place.flags & INCOMING != 0) else {
        return v;
    };
    v[1] = f64::from(u8::from(t.invitation));
    v[2] = f64::from(u8::from(t.invitation && m.text.trim().is_empty()));
    v[3] = place.days_after_connect;
    v[4] = f64::from(u8::from(place.flags & WITHIN_2_DAYS != 0 && pitch));
    v[5] = f64::from(place.sender_number).ln_1p();
    if place.flags & REPLIES_UNKNOWN != 0 {
        // Unknown, not 0: the model puts its training mean in their place.
        v[REPLIES_AT].fill(f64::NAN);
    } else {
        v[6] = f64::from(place.unanswered_before).ln_1p();
        v[7] = flag(OWNER_EVER);
        v[8] = flag(OWNER_BEFORE);
    }
    v[9] = place.mean_gap;
    v[10] = f64::from(u8::from(t.claimed_contact == Some(false)));
    v[11] = f64::from(u8::from(t.claimed_contact == Some(true)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::Thread;

    /// Messages in a few threads, out of time order, some without a thread or a time.
    fn messages() -> Vec<Message> {
        (0..500u32)
            .map(|i| Message {
                id: format!("m{i}"),
                thread: (i % 11 != 0).then(|| Thread {
                    conversation: format!("c{}", i % 17),
                    contact: format!("p{}", i % 13),
                    incoming: i % 3 != 0,
                    invitation: i % 29 == 0,
                    sponsored: i % 31 == 0,
                    timestamp: (i % 7 != 0)
                        .then_some(1_700_000_000 + i64::from(i * 7919 % 500) * 3_600),
                    connected_on: (i % 5 == 0).then_some(1_699_000_000),
                    ..Thread::default()
                }),
                ..Message::default()
            })
            .collect()
    }

    fn first_pass(mut threads: Threads) -> Threads {
        messages().iter().for_each(|m| threads.push(m));
        threads
    }

    fn timelines(threads: &mut Threads) -> Vec<(Vec<ThreadRow>, Option<u32>, Option<i64>)> {
        let mut out = Vec::new();
        threads
            .each_timeline(|t, c| out.push((t.to_vec(), c.writer, c.connected_on)))
            .unwrap();
        out
    }

    #[test]
    fn more_rows_than_can_be_numbered_is_an_input_error_not_a_wrong_answer() {
        let mut threads = Threads {
            max_rows: Some(499),
            ..Threads::default()
        };
        messages().iter().for_each(|m| threads.push(m));
        let Err(err) = places(&mut threads) else {
            panic!("500 rows were placed with room for 499");
        };
        assert!(matches!(err, Error::TooLarge(_)), "{err}");
        assert_eq!(err.exit_code(), crate::error::EXIT_INPUT);
        assert!(
            err.to_string()
                .contains("500 rows in one input: at most 499"),
            "{err}"
        );
        assert!(threads.each_timeline(|_, _| {}).is_err());
        let mut fits = Threads {
            max_rows: Some(500),
            ..Threads::default()
        };
        messages().iter().for_each(|m| fits.push(m));
        assert_eq!(places(&mut fits).unwrap().left(), 500);
    }

    #[test]
    fn a_first_pass_on_disk_places_and_orders_rows_as_one_in_memory() {
        let mut memory = first_pass(Threads::default());
        let expected_places = thread_context(&mut memory);
        let expected_timelines = timelines(&mut first_pass(Threads::default()));
        assert_eq!(expected_places.len(), 500);
        assert!(expected_places.iter().any(|p| p.sender_number > 3));
        assert_eq!(expected_timelines.len(), 13);
        for run_rows in [1, 7, 200, 454] {
            let mut disk = first_pass(Threads::with_run_rows(run_rows));
            assert!(
                disk.by_conversation.runs_on_disk() >= 1,
                "run of {run_rows}"
            );
            let mut places = places(&mut disk).unwrap();
            let mut taken = places.take(123).unwrap();
            taken.extend(places.take(1_000).unwrap());
            assert_eq!(places.left(), 0);
            assert_eq!(taken, expected_places, "run of {run_rows}");
            let mut disk = first_pass(Threads::with_run_rows(run_rows));
            assert_eq!(
                timelines(&mut disk),
                expected_timelines,
                "run of {run_rows}"
            );
        }
    }

    #[test]
    fn reply_features_are_unknown_only_when_no_row_of_the_owners_is_in_the_input() {
        let row = |i: i64, incoming: bool, sponsored: bool| Message {
            text: "hello".into(),
            thread: Some(Thread {
                conversation: format!("c{}", i % 2),
                contact: format!("p{}", i % 2),
                incoming,
                sponsored,
                timestamp: Some(1_700_000_000 + i * 3_600),
                ..Thread::default()
            }),
            ..Message::default()
        };
        let reply_features = |messages: &[Message]| {
            let mut threads = Threads::default();
            messages.iter().for_each(|m| threads.push(m));
            let known = !threads.replies_unknown();
            let places = thread_context(&mut threads);
            let v = values(&places[0], &messages[0], false);
            (known, [v[6], v[7], v[8]], v[5])
        };
        assert_eq!(CONTEXT_NAMES[REPLIES_AT], REPLY_FEATURES);
        assert_eq!(REPLIES_AT, 6..=8);
        // An Inbox alone (and the owner's clicks on an ad are no replies): unknown.
        let inbox: Vec<Message> = (0..4).map(|i| row(i, true, false)).collect();
        let mut clicked = inbox.clone();
        clicked.push(row(9, false, true));
        for messages in [&inbox, &clicked] {
            let (known, replies, sender_number) = reply_features(messages);
            assert!(!known);
            assert!(replies.iter().all(|v| v.is_nan()), "{replies:?}");
            assert_eq!(sender_number, 2f64.ln(), "the rest is still known");
        }
        // A message without a thread shows nothing of replies either.
        let alone = Message {
            text: "hello".into(),
            ..Message::default()
        };
        let v = values(&unthreaded_place(), &alone, false);
        assert!(v[6..=8].iter().all(|v| v.is_nan()), "{v:?}");
        assert!(v[..6].iter().chain(&v[9..]).all(|&v| v == 0.0), "{v:?}");
        // A note to self is no reply either.
        let mut noted = inbox.clone();
        noted.push(row(7, false, false));
        noted[4].thread.as_mut().unwrap().to_self = true;
        assert!(!reply_features(&noted).0);
        // One message of the owner's, in another thread: the owner never answered this one.
        let mut answered_elsewhere = inbox.clone();
        answered_elsewhere.push(row(5, false, false));
        let (known, replies, _) = reply_features(&answered_elsewhere);
        assert!(known);
        assert_eq!(replies, [0.0, 0.0, 0.0]);
        // A source that holds the owner's messages by its nature (an export) knows that an
        // owner who wrote nothing never replied.
        let mut export = inbox.clone();
        export
            .iter_mut()
            .for_each(|m| m.thread.as_mut().unwrap().replies_included = true);
        let (known, replies, _) = reply_features(&export);
        assert!(known);
        assert_eq!(replies, [0.0, 0.0, 0.0]);
    }
}
