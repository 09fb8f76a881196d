//! Context features: what the thread around a message shows, beyond its words.
//!
//! Computed from real context — timestamps, who wrote each message, when the connection was
//! accepted — for every message that carries a [`crate::read::Thread`]. A message without
//! thread information gets zeros and `has_thread = 0`, so text-only corpora train through the
//! same interface. This module owns the thread arithmetic; it does not read files.
//!
//! It works in two steps so that a stream of any size needs only compact state: every
//! message's [`ThreadRow`] (a few numbers, no text) is collected first, [`thread_context`]
//! places each message in its thread, and [`values`] finishes one message's vector from
//! its [`ThreadContext`] and what the message itself says.

use std::collections::HashMap;

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
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThreadRow {
    /// The conversation, as a small integer ([`NO_THREAD`] when the message has none).
    pub conversation: u32,
    /// When it was sent (Unix seconds).
    pub timestamp: Option<i64>,
    /// When the owner accepted the connection (Unix seconds).
    pub connected_on: Option<i64>,
    /// The contact wrote it (not the owner).
    pub incoming: bool,
    /// A connection request.
    pub invitation: bool,
    /// An advertisement: the owner's clicks on it are not replies.
    pub sponsored: bool,
}

/// [`ThreadRow::conversation`] of a message without thread information.
pub const NO_THREAD: u32 = u32::MAX;

/// A message's place in its thread, computed from every [`ThreadRow`]; 32 bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ThreadContext {
    /// `ln(1 + days)` from acceptance to this message (0 when either date is unknown).
    days_after_connect: f64,
    /// `ln(1 + mean days)` between the contact's messages so far.
    mean_gap: f64,
    /// The contact's messages so far, this one included (invitations not counted).
    sender_number: u32,
    /// The contact's messages since the owner last wrote, before this one.
    unanswered_before: u32,
    /// Bit flags: `HAS_THREAD`, `OWNER_EVER`, `OWNER_BEFORE`, `WITHIN_2_DAYS`, `INCOMING`.
    flags: u8,
}

const HAS_THREAD: u8 = 1;
const OWNER_EVER: u8 = 2;
const OWNER_BEFORE: u8 = 4;
const WITHIN_2_DAYS: u8 = 8;
const INCOMING: u8 = 16;

/// Gives conversation keys small integers, so thread rows hold no strings.
#[derive(Debug, Default)]
pub struct Interner {
    ids: HashMap<String, u32>,
}

impl Interner {
    /// The id of `key`, new keys numbered from 0 in order of first sight.
    pub fn id(&mut self, key: &str) -> u32 {
        if let Some(&id) = self.ids.get(key) {
            return id;
        }
        let id = u32::try_from(self.ids.len()).expect("fewer than 2^32 keys");
        self.ids.insert(key.to_string(), id);
        id
    }

    /// How many keys were seen.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when no key was seen.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// The thread row of a message, its conversation key interned in `conversations`.
pub fn thread_row(m: &Message, conversations: &mut Interner) -> ThreadRow {
    match &m.thread {
        Some(t) => ThreadRow {
            conversation: conversations.id(&t.conversation),
            timestamp: t.timestamp,
            connected_on: t.connected_on,
            incoming: t.incoming,
            invitation: t.invitation,
            sponsored: t.sponsored,
        },
        None => ThreadRow {
            conversation: NO_THREAD,
            timestamp: None,
            connected_on: None,
            incoming: false,
            invitation: false,
            sponsored: false,
        },
    }
}

/// Places every message in its thread (threads ordered by time, then input order).
pub fn thread_context(rows: &[ThreadRow]) -> Vec<ThreadContext> {
    let mut out = vec![ThreadContext::default(); rows.len()];
    let mut order: Vec<u32> = (0..rows.len() as u32)
        .filter(|&i| rows[i as usize].conversation != NO_THREAD)
        .collect();
    order.sort_unstable_by_key(|&i| {
        let r = &rows[i as usize];
        (r.conversation, r.timestamp.unwrap_or(i64::MIN), i)
    });
    for thread in
        order.chunk_by(|&a, &b| rows[a as usize].conversation == rows[b as usize].conversation)
    {
        place_thread(thread, rows, &mut out);
    }
    out
}

/// Walks one thread in time order.
fn place_thread(thread: &[u32], rows: &[ThreadRow], out: &mut [ThreadContext]) {
    // The owner's clicks on a sponsored message's buttons are not replies.
    let owner_ever = thread.iter().any(|&i| {
        let r = &rows[i as usize];
        !r.incoming && !r.sponsored
    });
    let mut sender_count = 0u32;
    let mut unanswered = 0u32;
    let mut owner_before = false;
    let mut last_incoming: Option<i64> = None;
    let mut gaps: Vec<f64> = Vec::new();
    for &i in thread {
        let (r, c) = (&rows[i as usize], &mut out[i as usize]);
        c.flags = HAS_THREAD;
        if !r.incoming {
            if !r.sponsored {
                owner_before = true;
                unanswered = 0;
            }
            continue;
        }
        c.flags |= INCOMING;
        if let (Some(ts), Some(conn)) = (r.timestamp, r.connected_on) {
            if !r.invitation {
                let days = ((ts - conn) as f64 / 86_400.0).max(0.0);
                c.days_after_connect = days.ln_1p();
                if days <= 2.0 {
                    c.flags |= WITHIN_2_DAYS;
                }
            }
        }
        if !r.invitation {
            sender_count += 1;
            if let (Some(ts), Some(prev)) = (r.timestamp, last_incoming) {
                gaps.push((ts - prev) as f64 / 86_400.0);
            }
            last_incoming = r.timestamp.or(last_incoming);
        }
        c.sender_number = sender_count;
        c.unanswered_before = unanswered;
        if owner_ever {
            c.flags |= OWNER_EVER;
        }
        if owner_before {
            c.flags |= OWNER_BEFORE;
        }
        c.mean_gap = if gaps.is_empty() {
            0.0
        } else {
            (gaps.iter().sum::<f64>() / gaps.len() as f64)
                .max(0.0)
                .ln_1p()
        };
        if !r.invitation {
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
