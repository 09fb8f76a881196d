//! Context features: what the thread around a message shows, beyond its words.
//!
//! Computed from real context — timestamps, who wrote each message, when the connection was
//! accepted — for every message that carries a [`crate::read::Thread`]. A message without
//! thread information gets zeros and `has_thread = 0`, so text-only corpora train through the
//! same interface. This module owns the thread arithmetic; it does not read files.
//!
//! It works in two steps so that a stream of any size needs only compact state: every
//! message's [`ThreadRow`] (a few numbers, no text) is collected first, [`thread_context`]
//! (or [`places`], in blocks) places each message in its thread, and [`values`] finishes one
//! message's vector from its [`ThreadContext`] and what the message itself says. The
//! first pass's storage ([`Blocks`], [`Interner`]) is built so that it leaves no holes in the
//! heap as it grows and keeps no key's text.

mod store;

pub use store::{Blocks, Interner};

use rayon::prelude::*;

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

/// One context vector.
pub type ContextVector = [f64; CONTEXT_NAMES.len()];

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
/// connection dates per contact.
#[derive(Debug, Default)]
pub struct Threads {
    /// Each row but its flags, in input order (16 bytes, where a whole row takes 24).
    stamps: Blocks<Stamp>,
    /// Each row's flags.
    flags: Blocks<u8>,
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
}

/// A [`ThreadRow`] without its flags.
#[derive(Debug, Clone, Copy)]
struct Stamp {
    timestamp: i64,
    conversation: u32,
    contact: u32,
}

/// What [`in_time_order`] groups rows by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Their conversation.
    Conversation,
    /// Their contact.
    Contact,
}

impl Threads {
    /// Adds the next message.
    pub fn push(&mut self, m: &Message) {
        let Some(t) = &m.thread else {
            self.stamps.push(Stamp {
                timestamp: NO_TIME,
                conversation: NO_THREAD,
                contact: NO_THREAD,
            });
            self.flags.push(0);
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
        self.stamps.push(Stamp {
            timestamp: t.timestamp.unwrap_or(NO_TIME),
            conversation: self.conversations.id(&t.conversation),
            contact,
        });
        let flag = |on: bool, bit: u8| if on { bit } else { 0 };
        self.flags.push(
            flag(t.incoming, ROW_INCOMING)
                | flag(t.invitation, ROW_INVITATION)
                | flag(t.sponsored, ROW_SPONSORED),
        );
    }

    /// Rows added.
    pub fn len(&self) -> usize {
        self.stamps.len()
    }

    /// True before the first row.
    pub fn is_empty(&self) -> bool {
        self.stamps.is_empty()
    }

    /// Row `i` (out of range: a row without a thread).
    pub fn row(&self, i: usize) -> ThreadRow {
        let (Some(s), Some(&flags)) = (self.stamps.get(i), self.flags.get(i)) else {
            return ThreadRow {
                timestamp: NO_TIME,
                conversation: NO_THREAD,
                contact: NO_THREAD,
                flags: 0,
            };
        };
        ThreadRow {
            timestamp: s.timestamp,
            conversation: s.conversation,
            contact: s.contact,
            flags,
        }
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
    /// Bit flags: `HAS_THREAD`, `OWNER_EVER`, `OWNER_BEFORE`, `WITHIN_2_DAYS`, `INCOMING`.
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

/// Places every message in its thread (threads ordered by time, then input order).
pub fn thread_context(threads: &Threads) -> Vec<ThreadContext> {
    places(threads).iter().copied().collect()
}

/// [`thread_context`] in blocks, which the reader of a long stream frees as it goes.
pub fn places(threads: &Threads) -> Blocks<ThreadContext> {
    let mut out = Blocks::from_fn(threads.len(), |i| ThreadContext {
        writer: threads
            .writer
            .get(threads.row(i).contact as usize)
            .copied()
            .unwrap_or(NO_THREAD),
        ..ThreadContext::default()
    });
    let conversation = |i: &u32| threads.row(*i as usize).conversation;
    for thread in in_time_order(threads, Group::Conversation)
        .chunk_by(|a, b| conversation(a) == conversation(b))
    {
        place_thread(thread, threads, &mut out);
    }
    out
}

/// The place of a message that has no thread (what [`places`] gives it).
pub fn unthreaded_place() -> ThreadContext {
    ThreadContext {
        writer: NO_THREAD,
        ..ThreadContext::default()
    }
}

/// Indices of the rows with a thread, grouped and each group in time order (then input
/// order).
pub fn in_time_order(threads: &Threads, group: Group) -> Vec<u32> {
    let stamps = &threads.stamps;
    let n = u32::try_from(stamps.len()).unwrap_or(u32::MAX);
    // Sized once: a Vec that doubles would leave its old buffers behind as heap holes.
    let mut order = Vec::with_capacity(n as usize);
    order.extend((0..n).filter(|&i| stamps[i as usize].conversation != NO_THREAD));
    // The key ends in the row itself: a total order, the same however the sort is split.
    order.par_sort_unstable_by_key(|&i| {
        let s = &stamps[i as usize];
        let key = match group {
            Group::Conversation => s.conversation,
            Group::Contact => s.contact,
        };
        (key, s.timestamp, i)
    });
    order
}

/// Walks one thread in time order.
fn place_thread(thread: &[u32], threads: &Threads, out: &mut Blocks<ThreadContext>) {
    // The owner's clicks on a sponsored message's buttons are not replies.
    let owner_ever = thread.iter().any(|&i| {
        let r = threads.row(i as usize);
        !r.is(ROW_INCOMING) && !r.is(ROW_SPONSORED)
    });
    let mut sender_count = 0u32;
    let mut unanswered = 0u32;
    let mut owner_before = false;
    let mut last_incoming: Option<i64> = None;
    let (mut gap_sum, mut gaps) = (0.0f64, 0usize);
    for &i in thread {
        let (r, c) = (&threads.row(i as usize), &mut out[i as usize]);
        c.flags = HAS_THREAD;
        if !r.is(ROW_INCOMING) {
            if !r.is(ROW_SPONSORED) {
                owner_before = true;
                unanswered = 0;
            }
            continue;
        }
        c.flags |= INCOMING;
        let invitation = r.is(ROW_INVITATION);
        if let (Some(ts), Some(conn)) = (r.time(), threads.connected(r)) {
            if !invitation {
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
    }
}

/// The context vector of one message, from its place in the thread and its own words:
/// `pitch` says whether its text reads as a pitch (from the cues), so "pitched soon after
/// connecting" joins both.
pub fn values(place: &ThreadContext, m: &Message, pitch: bool) -> ContextVector {
    let mut v = [0.0; CONTEXT_NAMES.len()];
    let flag = |bit: u8| f64::from(u8::from(place.flags & bit != 0));
    v[0] = flag(HAS_THREAD);
    let Some(t) = m.thread.as_ref().filter(|_| place.flags & INCOMING != 0) else {
        return v;
    };
    v[1] = f64::from(u8::from(t.invitation));
    v[2] = f64::from(u8::from(t.invitation && m.text.trim().is_empty()));
    v[3] = place.days_after_connect;
    v[4] = f64::from(u8::from(place.flags & WITHIN_2_DAYS != 0 && pitch));
    v[5] = f64::from(place.sender_number).ln_1p();
    v[6] = f64::from(place.unanswered_before).ln_1p();
    v[7] = flag(OWNER_EVER);
    v[8] = flag(OWNER_BEFORE);
    v[9] = place.mean_gap;
    v[10] = f64::from(u8::from(t.claimed_contact == Some(false)));
    v[11] = f64::from(u8::from(t.claimed_contact == Some(true)));
    v
}
