//! Context features: what the thread around a message shows, beyond its words.
//!
//! Computed from real context — timestamps, who wrote each message, when the connection was
//! accepted — for every message that carries a [`crate::read::Thread`]. A message without
//! thread information gets zeros and `has_thread = 0`, so text-only corpora train through the
//! same interface. This module owns the thread arithmetic; it does not read files.

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

/// Per-thread facts gathered in one pass, for the per-message features.
#[derive(Debug, Default, Clone)]
pub struct ThreadFacts {
    /// Indices of the thread's messages, in time order.
    pub order: Vec<usize>,
    /// Whether the owner wrote anything in the thread.
    pub owner_replied: bool,
}

/// Groups messages by conversation and orders each thread by time (then input order).
pub fn threads(messages: &[Message]) -> HashMap<&str, ThreadFacts> {
    let mut map: HashMap<&str, ThreadFacts> = HashMap::new();
    for (i, m) in messages.iter().enumerate() {
        if let Some(t) = &m.thread {
            let facts = map.entry(t.conversation.as_str()).or_default();
            facts.order.push(i);
            // The owner's clicks on a sponsored message's buttons are not replies.
            facts.owner_replied |= !t.incoming && !t.sponsored;
        }
    }
    for facts in map.values_mut() {
        facts.order.sort_by_key(|&i| {
            (
                messages[i]
                    .thread
                    .as_ref()
                    .and_then(|t| t.timestamp)
                    .unwrap_or(i64::MIN),
                i,
            )
        });
    }
    map
}

/// Context feature vectors for every message, in input order. `pitch` says, per message,
/// whether its text reads as a pitch (from the cues), so "pitched soon after connecting" joins both.
pub fn context_values(messages: &[Message], pitch: &[bool]) -> Vec<[f64; CONTEXT_NAMES.len()]> {
    let mut out = vec![[0.0; CONTEXT_NAMES.len()]; messages.len()];
    for facts in threads(messages).values() {
        let mut sender_count = 0usize;
        let mut unanswered = 0usize;
        let mut owner_before = false;
        let mut last_incoming: Option<i64> = None;
        let mut gaps: Vec<f64> = Vec::new();
        for &i in &facts.order {
            let t = messages[i]
                .thread
                .as_ref()
                .expect("grouped messages have threads");
            let v = &mut out[i];
            v[0] = 1.0;
            if !t.incoming {
                if t.sponsored {
                    continue;
                }
                owner_before = true;
                unanswered = 0;
                continue;
            }
            v[1] = f64::from(u8::from(t.invitation));
            v[2] = f64::from(u8::from(t.invitation && messages[i].text.trim().is_empty()));
            if let (Some(ts), Some(conn)) = (t.timestamp, t.connected_on) {
                if !t.invitation {
                    let days = ((ts - conn) as f64 / 86_400.0).max(0.0);
                    v[3] = days.ln_1p();
                    v[4] = f64::from(u8::from(days <= 2.0 && pitch[i]));
                }
            }
            if !t.invitation {
                sender_count += 1;
                if let (Some(ts), Some(prev)) = (t.timestamp, last_incoming) {
                    gaps.push((ts - prev) as f64 / 86_400.0);
                }
                last_incoming = t.timestamp.or(last_incoming);
            }
            v[5] = (sender_count as f64).ln_1p();
            v[6] = (unanswered as f64).ln_1p();
            v[7] = f64::from(u8::from(facts.owner_replied));
            v[8] = f64::from(u8::from(owner_before));
            v[9] = if gaps.is_empty() {
                0.0
            } else {
                (gaps.iter().sum::<f64>() / gaps.len() as f64)
                    .max(0.0)
                    .ln_1p()
            };
            v[10] = f64::from(u8::from(t.claimed_contact == Some(false)));
            v[11] = f64::from(u8::from(t.claimed_contact == Some(true)));
            if !t.invitation {
                unanswered += 1;
            }
        }
    }
    out
}
