//! Senders: turns per-message predictions and thread context into one verdict per sender —
//! `collector`, `hard_sell`, `ok` or `sponsored` — with a score and plain-language evidence
//! a person can check.
//!
//! Only the contact's own messages and invitations are judged; the owner's rows are context
//! (did you ever reply?). A [`Policy`] shifts what is flagged, for open networkers who accept
//! nearly everyone through to people who accept only those they know. This module computes;
//! [`crate::report`] writes.

use serde::Serialize;

use crate::features::context::{
    thread_context, Blocks, ThreadContext, ThreadRow, Threads, NO_TIME, ROW_INCOMING,
    ROW_INVITATION, ROW_SPONSORED,
};
use crate::features::cues;
use crate::model::Prediction;
use crate::read::{dates, MailHeaders, Message, Thread};
use text::{SenderText, NO_TEXT};

mod text;

/// How eager flagging is; see the README table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// For open networkers: only clear hard sells and false "friend" claims are flagged.
    Open,
    /// The default: flags hard sells and note-less or generic requests you never answered.
    Balanced,
    /// For people who accept only those they know: any unanswered stranger or early pitch is flagged.
    Strict,
}

impl Policy {
    /// Probability at or above which the model's word alone flags a sender.
    fn model_cut(self) -> f64 {
        match self {
            Policy::Open => 0.75,
            Policy::Balanced => 0.5,
            Policy::Strict => 0.35,
        }
    }
}

/// A sender's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Pitches after connecting, follows up without replies.
    HardSell,
    /// Piles up connections with no note, a generic one, or a false claim.
    Collector,
    /// Advertising (LinkedIn sponsored messages).
    Sponsored,
    /// Nothing to flag.
    Ok,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::HardSell => "hard_sell",
            Verdict::Collector => "collector",
            Verdict::Sponsored => "sponsored",
            Verdict::Ok => "ok",
        })
    }
}

/// One row of the sender report, shared by the CSV, JSON and JSON Lines writers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SenderReport {
    /// Display name.
    pub sender: String,
    /// Normalised profile URL (or address, or `conv:<id>` when the sender is hidden).
    pub profile_url: String,
    /// The verdict.
    pub verdict: Verdict,
    /// How sure: the model's probability of the verdict (of no flag, for `ok`; of either
    /// flag, for a collector who only sent a request), 0..1.
    pub score: f64,
    /// Messages and invitations from this sender.
    pub messages: usize,
    /// The sender's first message or invitation (`YYYY-MM-DD HH:MM:SS UTC`).
    pub first_contact: String,
    /// When you accepted the connection, if known (`YYYY-MM-DD`).
    pub connected_on: String,
    /// From accepting (or the first exchange) to the first pitch, e.g. `2 h`, `3 d`; empty if no pitch.
    pub time_to_first_pitch: String,
    /// Messages after the first in the sender's longest run with no reply from you; `None`
    /// (empty in CSV) when the input holds none of your messages, so replies are unknown.
    pub unanswered_followups: Option<usize>,
    /// Whether you ever wrote to this sender; `None` when replies are unknown.
    pub you_replied: Option<bool>,
    /// `none`, `generic` or `personal` for an invitation's note; empty without an invitation.
    pub invitation_note: String,
    /// Reasons, separated by `; `.
    pub evidence: String,
}

/// Column names of the CSV sender report, in order.
pub const REPORT_COLUMNS: [&str; 12] = [
    "sender",
    "profile_url",
    "verdict",
    "score",
    "messages",
    "first_contact",
    "connected_on",
    "time_to_first_pitch",
    "unanswered_followups",
    "you_replied",
    "invitation_note",
    "evidence",
];

impl SenderReport {
    /// The CSV record, in [`REPORT_COLUMNS`] order.
    pub fn csv_record(&self) -> Vec<String> {
        vec![
            self.sender.clone(),
            self.profile_url.clone(),
            self.verdict.to_string(),
            format!("{:.4}", self.score),
            self.messages.to_string(),
            self.first_contact.clone(),
            self.connected_on.clone(),
            self.time_to_first_pitch.clone(),
            self.unanswered_followups
                .map_or_else(String::new, |n| n.to_string()),
            self.you_replied.map_or_else(String::new, |r| r.to_string()),
            self.invitation_note.clone(),
            self.evidence.clone(),
        ]
    }
}

/// The model's per-message probabilities that matter here.
#[derive(Debug, Clone, Copy, Default)]
struct Signals {
    hard_sell: f64,
    collector: f64,
    /// Both flags together (the probability of any flag).
    flagged: f64,
    /// Both flags together, of a message whose likelier flag is hard sell and more likely
    /// than no flag: a model sure of outreach to flag may be torn between the two kinds
    /// (0 for any other message).
    torn_hard_sell: f64,
    /// The same, of a message whose likelier flag is collector.
    torn_collector: f64,
}

impl Signals {
    /// Each signal the larger of the two.
    fn max(&mut self, other: &Signals) {
        self.hard_sell = self.hard_sell.max(other.hard_sell);
        self.collector = self.collector.max(other.collector);
        self.flagged = self.flagged.max(other.flagged);
        self.torn_hard_sell = self.torn_hard_sell.max(other.torn_hard_sell);
        self.torn_collector = self.torn_collector.max(other.torn_collector);
    }

    /// Whether the model flags the sender as a hard seller and as a collector at `cut`: a kind
    /// whose own probability reaches it, or, for a message whose flags reach it only
    /// together, the likelier kind when it is likelier than no flag.
    fn flags(&self, cut: f64) -> (bool, bool) {
        (
            self.hard_sell >= cut || self.torn_hard_sell >= cut,
            self.collector >= cut || self.torn_collector >= cut,
        )
    }

    /// The model's part of the evidence for flagging as `kind` (probability `p`, torn
    /// signal `torn`) at `cut`.
    fn evidence(&self, kind: &str, p: f64, torn: f64, cut: f64) -> String {
        if p >= cut {
            format!("model: {:.0}% {kind}", p * 100.0)
        } else {
            // The kind's own figure first, as a stricter policy's evidence gives it.
            format!(
                "model: {:.0}% {kind} ({:.0}% hard sell or collector)",
                p * 100.0,
                torn * 100.0
            )
        }
    }
}

fn signals(labels: &[String], p: &Prediction) -> Signals {
    let prob = |name: &str| {
        labels
            .iter()
            .position(|l| l == name)
            .map(|i| p.probabilities[i])
    };
    let hard_sell = prob("hard_sell").or_else(|| prob("spam")).unwrap_or(0.0);
    let collector = prob("collector").unwrap_or(0.0);
    let flagged = hard_sell + collector;
    // Likelier than no flag (the rest of the probability).
    let torn = |p: f64, other: f64| match p >= other && p > 1.0 - flagged {
        true => flagged,
        false => 0.0,
    };
    Signals {
        hard_sell,
        collector,
        flagged,
        torn_hard_sell: torn(hard_sell, collector),
        torn_collector: torn(collector, hard_sell),
    }
}

/// The cue counts of a message's body that [`SenderBook::observe`] reads, worked out apart
/// so that callers can compute them in parallel (the fold itself runs in order on one
/// thread); all zero for a message it does not fold in (not incoming).
pub type BodyCues = cues::CueCounts;

/// The [`BodyCues`] of `m`.
pub fn body_cues(m: &Message) -> BodyCues {
    match &m.thread {
        Some(t) if t.incoming => cues::cue_counts(&m.text),
        _ => [0.0; cues::CUE_NAMES.len()],
    }
}

/// The [`BodyCues`] of `m`, given the cue counts of its body, so that it is not read twice.
pub fn body_cues_given(m: &Message, body_cues: &cues::CueCounts) -> BodyCues {
    match &m.thread {
        Some(t) if t.incoming => *body_cues,
        _ => [0.0; cues::CUE_NAMES.len()],
    }
}

/// Verdicts for every sender in `messages`, given the model's predictions (same order).
pub fn sender_reports(
    messages: &[Message],
    predictions: &[Prediction],
    labels: &[String],
    policy: Policy,
) -> Vec<SenderReport> {
    let mut threads = Threads::default();
    messages.iter().for_each(|m| threads.push(m));
    let mut book = SenderBook::new(labels, &mut threads)
        .expect("a batch in memory does no I/O and has fewer than 2^32 - 1 rows");
    let places = thread_context(&mut threads);
    for ((m, p), place) in messages.iter().zip(predictions).zip(&places) {
        book.observe(place, m, p, &body_cues(m));
    }
    book.reports(policy).iter().collect()
}

/// Gathers what the verdicts need with per-sender state only: what depends on the order of
/// a sender's messages (runs without a reply, first exchange) comes from the first pass's
/// [`Threads`]; what the words and the model say is folded in message by message.
#[derive(Debug)]
pub struct SenderBook {
    labels: Vec<String>,
    /// One per contact who wrote, numbered as in [`Threads::keys`].
    senders: Blocks<Sender>,
    text: SenderText,
}

/// One sender: the facts so far, and when the standing name, claim and note were sent
/// (times only: rows are observed in input order, so of two rows sent at the same time the
/// later one is the one observed later).
#[derive(Debug)]
struct Sender {
    name_time: i64,
    claim_time: i64,
    note_time: i64,
    facts: Facts,
}

/// Sender addresses of automated mail.
const AUTOMATED: [&str; 6] = [
    "no-reply",
    "noreply",
    "donotreply",
    "do-not-reply",
    "notifications@",
    "mailer-daemon",
];

impl SenderBook {
    /// A book for a model with these labels, from the first pass over the messages (whose
    /// rows by contact it uses up).
    pub fn new(labels: &[String], threads: &mut Threads) -> crate::error::Result<Self> {
        // In blocks: they can take the room of the first pass's interners.
        let mut senders = Blocks::from_fn(threads.writers as usize, |_| Sender {
            name_time: i64::MIN,
            claim_time: i64::MIN,
            note_time: i64::MIN,
            facts: Facts::default(),
        });
        let replies_unknown = threads.replies_unknown();
        threads.each_timeline(|timeline, contact| {
            let writer = contact.writer;
            let Some(sender) = writer.and_then(|w| senders.get_mut(w as usize)) else {
                // Only the owner wrote to them: nothing to judge.
                return;
            };
            sender.facts.connected_on = Time::new(contact.connected_on);
            sender.facts.replies_unknown = replies_unknown;
            walk_timeline(timeline.iter().copied(), &mut sender.facts);
        })?;
        Ok(SenderBook {
            labels: labels.to_vec(),
            senders,
            text: SenderText::default(),
        })
    }

    /// Folds in a message, its place in its thread, the model's prediction for it and its
    /// [`body_cues`]. Messages must come in input order: of two sent at the same time, the one
    /// observed later is the later one.
    pub fn observe(&mut self, place: &ThreadContext, m: &Message, p: &Prediction, c: &BodyCues) {
        let (Some(t), Some(writer)) = (&m.thread, place.writer()) else {
            return;
        };
        let Some(sender) = self.senders.get_mut(writer as usize) else {
            return;
        };
        if !t.incoming {
            // Your own message: only whether it says no is kept.
            if declines(&m.text) {
                match t.timestamp {
                    Some(time) => sender.facts.declined.earliest(time),
                    // A missing date among dated rows says nothing of the order.
                    None if sender.facts.dated_rows == 0 => sender.facts.declined_undated = true,
                    None => {}
                }
            }
            return;
        }
        let seen = &mut self.text;
        let f = &mut sender.facts;
        if f.key == NO_TEXT {
            // The key is the same on every row of the contact: kept from the first.
            f.key = seen.push(&t.contact);
            f.automated = AUTOMATED.iter().any(|a| t.contact.contains(a));
        }
        let time = t.timestamp.unwrap_or(NO_TIME);
        let s = signals(&self.labels, p);
        // The latest name stands (a later row at the same time is later). A row that names
        // the sender only by its key names it only while no row has, whatever the times: an
        // export listed newest first does not lose the name to a bare row read before it.
        if t.contact_name == t.contact {
            if f.name == NO_TEXT {
                f.name = seen.push(&t.contact_name);
            }
        } else if time >= sender.name_time {
            if seen.get(f.name) != Some(t.contact_name.as_str()) {
                f.name = seen.push(&t.contact_name);
            }
            sender.name_time = time;
        }
        // The earliest claim stands. A name dropped after you had written to them twice is
        // talk between people who know each other, not a basis claimed to a stranger (one
        // "do we know each other?" is no such exchange).
        let before_you_knew_them = f
            .second_reply
            .get()
            .is_none_or(|r| t.timestamp.is_none_or(|at| at < r));
        if t.claimed_contact.is_some()
            && before_you_knew_them
            && (f.claim.is_none() || time < sender.claim_time)
        {
            f.claim = t.claimed_contact;
            sender.claim_time = time;
        }
        f.best.max(&s);
        // Once said, it stands: the text of their later messages need not be searched.
        f.friendship = f.friendship || claims_friendship(&m.text);
        let no_headers = MailHeaders::default();
        let headers = m.mail.as_ref().unwrap_or(&no_headers);
        f.opt_out |= c[const { cues::cue_index("opt_out") }] > 0.0 || headers.list_unsubscribe;
        // Kept only if no message of theirs came after it (see [`Facts::kept_promise`]).
        if promises_to_stop(&m.text) {
            f.promised_stop = true;
            if let Some(at) = t.timestamp {
                f.promised_at.latest(at);
            }
        }
        f.bulk &= headers.list_unsubscribe || headers.list_id || headers.precedence_bulk;
        f.website_only |= c[const { cues::cue_index("website_only") }] > 0.0;
        f.networking_rows += u32::from(c[const { cues::cue_index("generic_opener") }] > 0.0);
        if t.invitation {
            // The latest invitation's note stands; one without a note (a reminder e-mail)
            // never replaces a note, and a note replaces one without, whatever their order.
            let bare = m.text.trim().is_empty();
            let latest = time >= sender.note_time;
            let fills = !bare && f.note == Some(Note::None);
            if (latest && !(bare && f.note.is_some())) || fills {
                sender.note_time = time;
                f.generic_note = NO_TEXT;
                f.note = Some(if m.text.trim().is_empty() {
                    Note::None
                } else if (c[const { cues::cue_index("generic_opener") }] > 0.0
                    && (c[const { cues::cue_index("words") }] < 25.0
                        || headers.linkedin_invitation)
                    && !gives_a_basis(c, t))
                    || (is_greeting(&m.text, c[const { cues::cue_index("words") }])
                        && t.claimed_contact != Some(true))
                {
                    let note = m.text.split_whitespace().collect::<Vec<_>>().join(" ");
                    f.generic_note = seen.push(&note.chars().take(60).collect::<String>());
                    Note::Generic
                } else {
                    Note::Personal
                });
            }
            return;
        }
        // Words that pitch: pitch language and a call to action, or either of them in a
        // message the model rates a hard sell.
        let (selling, asking) = (
            c[const { cues::cue_index("pitch_language") }] > 0.0,
            c[const { cues::cue_index("call_to_action") }] > 0.0,
        );
        let pitch = (selling && asking) || ((selling || asking) && s.hard_sell >= 0.5);
        f.pitch_words |= pitch;
        if s.hard_sell >= 0.5 || pitch {
            f.pitches += 1;
            // The earliest known time of a pitch, and the latest.
            f.first_pitch = Time::new(match (f.first_pitch.get(), t.timestamp) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            });
            if let Some(at) = t.timestamp {
                f.last_pitch.latest(at);
            }
        }
    }

    /// One verdict per sender who wrote anything, most certain flags first.
    pub fn reports(self, policy: Policy) -> Verdicts {
        use rayon::prelude::*;
        let (text, senders) = (&self.text, &self.senders);
        // A byte per sender; the score follows from the verdict and the facts.
        let mut verdicts = Vec::new();
        (0..senders.len())
            .into_par_iter()
            .map(|i| verdict(&senders[i], text, policy))
            .collect_into_vec(&mut verdicts);
        let mut order: Vec<u32> = (0..verdicts.len() as u32)
            .filter(|&i| verdicts[i as usize].is_some())
            .collect();
        // Worked out once per sender, not once per comparison.
        let mut scores = Vec::new();
        (0..senders.len())
            .into_par_iter()
            .map(|i| verdicts[i].map_or(0.0, |v| score(&senders[i].facts, v)))
            .collect_into_vec(&mut scores);
        let key = |i: u32| text.get(senders[i as usize].facts.key).unwrap_or("");
        // Verdict, then score (highest first; for ok, lowest first: the closest calls on
        // top), then key; ties keep the senders' order.
        order.par_sort_unstable_by(|&a, &b| {
            let (va, vb) = (verdicts[a as usize], verdicts[b as usize]);
            let (sa, sb) = (scores[a as usize], scores[b as usize]);
            let by_score = match va {
                Some(Verdict::Ok) => sa.total_cmp(&sb),
                _ => sb.total_cmp(&sa),
            };
            va.cmp(&vb)
                .then(by_score)
                .then_with(|| key(a).cmp(key(b)))
                .then(a.cmp(&b))
        });
        Verdicts {
            senders: self.senders,
            text: self.text,
            verdicts,
            order,
            policy,
        }
    }
}

/// Every sender's verdict, in report order (flags first, most certain first). Only the
/// verdicts are held; each [`SenderReport`], with its evidence, is written out as it is read.
#[derive(Debug)]
pub struct Verdicts {
    senders: Blocks<Sender>,
    text: SenderText,
    /// By sender.
    verdicts: Vec<Option<Verdict>>,
    /// The senders judged, in report order.
    order: Vec<u32>,
    policy: Policy,
}

impl Verdicts {
    /// Senders judged.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when nobody wrote anything.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Senders with this verdict.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.verdicts
            .iter()
            .filter(|v| **v == Some(verdict))
            .count()
    }

    /// The reports, in order.
    pub fn iter(&self) -> impl Iterator<Item = SenderReport> + '_ {
        self.order
            .iter()
            .filter_map(|&i| judge(&self.senders[i as usize], &self.text, self.policy))
    }

    /// The reports, in order, `size` at a time, each batch written out in parallel.
    pub fn batches(&self, size: usize) -> impl Iterator<Item = Vec<SenderReport>> + '_ {
        use rayon::prelude::*;
        self.order.chunks(size.max(1)).map(|part| {
            part.par_iter()
                .filter_map(|&i| judge(&self.senders[i as usize], &self.text, self.policy))
                .collect()
        })
    }
}

/// The order-dependent facts of one sender, from their rows in time order.
fn walk_timeline(timeline: impl Iterator<Item = ThreadRow>, f: &mut Facts) {
    let (mut run, mut run_start, mut yours) = (0u32, None::<i64>, 0u32);
    for r in timeline {
        f.dated_rows += u32::from(r.time().is_some());
        if !r.is(ROW_INCOMING) {
            if !r.is(ROW_SPONSORED) {
                f.you_replied = true;
                f.first_exchange.or(r.time());
                yours += 1;
                if yours == 2 {
                    f.second_reply.or(r.time());
                }
                f.unanswered_since_reply = 0;
                run = 0;
                run_start = None;
            }
            continue;
        }
        f.from_sender += 1;
        f.sponsored += u32::from(r.is(ROW_SPONSORED));
        f.first_contact.or(r.time());
        if r.is(ROW_INVITATION) {
            f.invitations += 1;
            continue;
        }
        f.first_exchange.or(r.time());
        if let Some(at) = r.time() {
            f.last_incoming.latest(at);
        }
        run += 1;
        f.unanswered_since_reply = run;
        run_start = run_start.or(r.time());
        if run > f.unanswered {
            f.unanswered = run;
            f.unanswered_span_days = match (run_start, r.time()) {
                (Some(a), Some(b)) => (b - a) as f64 / 86_400.0,
                _ => 0.0,
            };
        }
    }
}

/// A time that may be unknown, in 8 bytes ([`NO_TIME`] when it is).
#[derive(Debug, Clone, Copy)]
struct Time(i64);

impl Default for Time {
    fn default() -> Self {
        Time(NO_TIME)
    }
}

impl Time {
    fn new(t: Option<i64>) -> Self {
        Time(t.unwrap_or(NO_TIME))
    }

    fn get(self) -> Option<i64> {
        (self.0 != NO_TIME).then_some(self.0)
    }

    /// Keeps the earlier of this time and `t`.
    fn earliest(&mut self, t: i64) {
        *self = Time(self.get().map_or(t, |have| have.min(t)));
    }

    /// Keeps the later of this time and `t`.
    fn latest(&mut self, t: i64) {
        *self = Time(self.get().map_or(t, |have| have.max(t)));
    }

    /// Keeps the first time known: takes `t` while none is.
    fn or(&mut self, t: Option<i64>) {
        if self.0 == NO_TIME {
            *self = Time::new(t);
        }
    }
}

impl Default for Facts {
    fn default() -> Self {
        Facts {
            from_sender: 0,
            invitations: 0,
            sponsored: 0,
            pitches: 0,
            unanswered: 0,
            unanswered_since_reply: 0,
            first_contact: Time::default(),
            connected_on: Time::default(),
            first_exchange: Time::default(),
            second_reply: Time::default(),
            last_incoming: Time::default(),
            promised_at: Time::default(),
            dated_rows: 0,
            first_pitch: Time::default(),
            unanswered_span_days: 0.0,
            best: Signals::default(),
            key: NO_TEXT,
            name: NO_TEXT,
            generic_note: NO_TEXT,
            note: None,
            claim: None,
            friendship: false,
            you_replied: false,
            replies_unknown: false,
            opt_out: false,
            promised_stop: false,
            website_only: false,
            pitch_words: false,
            declined: Time::default(),
            last_pitch: Time::default(),
            declined_undated: false,
            networking_rows: 0,
            bulk: true,
            automated: false,
        }
    }
}

/// Phrases by which you decline (English, Spanish, German, French), in lower case.
const DECLINES: [&str; 35] = [
    "not interested",
    "no thanks",
    "no, thanks",
    "no thank you",
    "no, thank you",
    "not looking",
    "please stop",
    "please remove me",
    "remove me from",
    "take me off",
    "stop messaging",
    "stop contacting",
    "please don't follow up",
    "please don’t follow up",
    "please do not follow up",
    "not at this time",
    "not for us",
    "not my area",
    "no gracias",
    "no, gracias",
    "no me interesa",
    "no nos interesa",
    "no estoy interesado",
    "no estoy interesada",
    "no estamos interesados",
    "kein bedarf",
    "kein interesse",
    "nicht interessiert",
    "nein danke",
    "nein, danke",
    "non merci",
    "non, merci",
    "pas intéressé",
    "pas intéressée",
    "pas intéressés",
];

/// Asking to hear no more: a decline, unless a channel, place or time follows ("don't contact
/// me on my mobile", "do not contact me before 10am": an instruction, not a no).
const STOP_ASKING: [&str; 6] = [
    "unsubscribe me",
    "opt me out",
    "stop emailing me",
    "stop sending me",
    "don't contact me",
    "do not contact me",
];

/// What a sender says to promise they will not write to you again unless answered: a way out
/// offered in their own words, as an unsubscribe link offers one in bulk mail. Each is said of
/// the reader or of the writer's own messages ("I won't follow up", not "your team won't
/// chase late payers", "no more follow-ups slipping through").
const PROMISES: [&str; 40] = [
    "i won't chase",
    "i will not chase",
    "i won't follow up",
    "i will not follow up",
    "i won't be following up",
    "i won't keep following up",
    "won't follow up again",
    "won't bother you again",
    "won't bother you further",
    "won't bother you any further",
    "won't bother you anymore",
    "won't keep bothering you",
    "won't keep pinging you",
    "won't ping you again",
    "won't clutter your inbox with follow-ups",
    "won't reach out again",
    "will not reach out again",
    "won't contact you again",
    "will not contact you again",
    "won't write again",
    "won't email you again",
    "won't message you again",
    "won't message again",
    "won't hear from me again",
    "i'll leave you alone",
    "i will leave you alone",
    "melde mich nicht wieder",
    "melde mich nicht mehr",
    "werde mich nicht wieder melden",
    "werde mich nicht mehr melden",
    "je ne vous relancerai pas",
    "je ne vous relancerai plus",
    "je ne vous recontacterai pas",
    "je ne vous dérangerai plus",
    "je ne vous écrirai plus",
    "no volveré a escribir",
    "no le volveré a escribir",
    "no te volveré a escribir",
    "no le molestaré más",
    "no te molestaré más",
];

/// Words that put a promise off rather than give up writing ("I won't bother you again this
/// week", "until Monday"), looked for in the rest of its sentence.
const PUT_OFF: [&str; 22] = [
    "until",
    "till",
    "before",
    "today",
    "tomorrow",
    "week",
    "month",
    "now",
    "moment",
    "while",
    "holidays",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "bis",
    "avant",
    "hasta",
    "heute",
    "semaine",
    "semana",
];

/// Whether a sender's `text` promises not to write again ([`PROMISES`], as words of their own,
/// not put off by a word of [`PUT_OFF`] later in the sentence).
fn promises_to_stop(text: &str) -> bool {
    static FINDER: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| phrase_finder(&PROMISES));
    says_where(&FINDER, text, |after| {
        let sentence = after.split(['.', '!', '?', ';', '\n']).next().unwrap_or("");
        !sentence
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| PUT_OFF.iter().any(|p| w.eq_ignore_ascii_case(p)))
    })
}

/// Whether your message `text` declines (says no to an offer): a phrase of [`DECLINES`] as
/// words of their own ("no thanks", not "no thanksgiving"), not followed by a word that turns
/// it round ("no thanks needed", "not looking forward").
fn declines(text: &str) -> bool {
    static FINDER: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| phrase_finder(&DECLINES));
    static STOP: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| phrase_finder(&STOP_ASKING));
    let own = own_words(text);
    // A reply of one word (a signature may follow): "STOP", "Unsubscribe", "Remove".
    let first = own.lines().map(str::trim).find(|l| !l.is_empty());
    let word = first
        .unwrap_or("")
        .trim_matches(|c: char| !c.is_alphanumeric());
    ["stop", "unsubscribe", "remove"]
        .iter()
        .any(|w| word.eq_ignore_ascii_case(w))
        || says(&FINDER, &own, &["needed", "forward"])
        || says(
            &STOP,
            &own,
            &[
                "on", "at", "via", "by", "through", "during", "before", "until", "till", "in",
                "after", "here", "there",
            ],
        )
}

/// Your own words in a reply, without the message it quotes, so that their "if you're not
/// interested" quoted back is not your no: lines starting with `>` are left out wherever they
/// are (an answer may follow the quote), and the text ends where a quote without them begins
/// (an Outlook rule, "-----Original Message", a `From:` line with `Sent:` or `Date:` under it,
/// in English, German, French or Spanish).
fn own_words(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut own = String::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        let header = |l: &&str, names: &[&str]| names.iter().any(|n| l.trim().starts_with(n));
        let quote_starts = t.starts_with("-----Original Message")
            || t.starts_with("-----Ursprüngliche Nachricht")
            || (t.chars().count() >= 10 && t.chars().all(|c| c == '_'))
            || (header(line, &["From:", "Von:", "De :", "De:"])
                && lines[i + 1..]
                    .iter()
                    .take(4)
                    .any(|l| header(l, &["Sent:", "Date:", "Gesendet:", "Envoyé :", "Enviado:"])));
        if quote_starts {
            break;
        }
        if !t.starts_with('>') {
            own.push_str(line);
            own.push('\n');
        }
    }
    own
}

/// Phrases by which a stranger claims to be your friend (English, Spanish, German, French),
/// in lower case, as said to you: "Hello dear friend", "we are old friends" (not a third
/// party's friendship: "an old friend of mine recommended you").
const FRIENDSHIP: [&str; 31] = [
    "dear friend",
    "we are old friends",
    "we're old friends",
    "we’re old friends",
    "we are friends",
    "we're friends",
    "we’re friends",
    "be friends with you",
    "become friends",
    "make friends with you",
    "as a friend",
    "as your friend",
    "como amigo",
    "como tu amigo",
    "als freund",
    "als dein freund",
    "en tant qu'ami",
    "friendship with you",
    "querido amigo",
    "querida amiga",
    "somos viejos amigos",
    "ser amigos",
    "lieber freund",
    "liebe freundin",
    "wir sind alte freunde",
    "freunde werden",
    "cher ami",
    "chère amie",
    "de vieux amis",
    "être amis",
    "devenir amis",
];

/// Whether `text` claims a friendship with you: a phrase of [`FRIENDSHIP`] as words of its
/// own ("dear friend", not "dear friends": a greeting to many), not a third party's ("as a
/// friend of Tom's").
fn claims_friendship(text: &str) -> bool {
    static FINDER: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| phrase_finder(&FRIENDSHIP));
    says(&FINDER, text, &["of", "de", "del", "von", "des", "du"])
}

/// A finder of `phrases` in any ASCII case, a phrase written with `'` also with `’`.
fn phrase_finder(phrases: &[&str]) -> aho_corasick::AhoCorasick {
    let curly = phrases
        .iter()
        .filter(|p| p.contains('\''))
        .map(|p| p.replace('\'', "’"));
    let all: Vec<String> = phrases.iter().map(|p| p.to_string()).chain(curly).collect();
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(all)
        .expect("fixed phrases")
}

/// Whether `finder` finds a phrase in `text` as words of their own, not followed by a word of
/// `turned` (which turns the phrase round: "no thanks needed").
fn says(finder: &aho_corasick::AhoCorasick, text: &str, turned: &[&str]) -> bool {
    says_where(finder, text, |after| {
        let next = after
            .trim_start()
            .split(|c: char| !c.is_alphanumeric())
            .next();
        !next.is_some_and(|w| turned.iter().any(|t| w.eq_ignore_ascii_case(t)))
    })
}

/// Whether `finder` finds a phrase in `text` as words of their own, where `holds` accepts the
/// text after it.
fn says_where(
    finder: &aho_corasick::AhoCorasick,
    text: &str,
    holds: impl Fn(&str) -> bool,
) -> bool {
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    finder.find_overlapping_iter(text).any(|m| {
        let (before, after) = (&text[..m.start()], &text[m.end()..]);
        !word(before.chars().next_back()) && !word(after.chars().next()) && holds(after)
    })
}

/// Whether a note names a basis for the relationship: a mutual contact who is among your
/// connections, or a shared group, event or piece of your work ("we're both in the Rust
/// Berlin group", "enjoyed your talk"). A note with one is personal, whatever stock opener
/// it ends with ("happy to connect"); "12 mutual connections" is no basis.
fn gives_a_basis(c: &BodyCues, t: &Thread) -> bool {
    t.claimed_contact == Some(true) || c[const { cues::cue_index("shared_context") }] > 0.0
}

/// A note of at most this many words ("Hi", "Hello Sam!") is a greeting, not a note: it gives
/// no basis for a relationship, as a generic one does not.
const GREETING_WORDS: f64 = 3.0;

/// Whether a note of `words` words is only a greeting: at most [`GREETING_WORDS`] words and
/// at most 20 letters or digits (a note in Chinese or Japanese has no spaces between words).
fn is_greeting(note: &str, words: f64) -> bool {
    words <= GREETING_WORDS && note.chars().filter(|c| c.is_alphanumeric()).count() <= 20
}

/// What an invitation's note is like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Note {
    /// No note.
    None,
    /// A template opener.
    Generic,
    /// Anything else.
    Personal,
}

impl Note {
    fn as_str(self) -> &'static str {
        match self {
            Note::None => "none",
            Note::Generic => "generic",
            Note::Personal => "personal",
        }
    }
}

/// What one sender's thread shows (counts are of one sender's rows, which are numbered in
/// u32 like every row).
#[derive(Debug, Clone)]
struct Facts {
    from_sender: u32,
    invitations: u32,
    sponsored: u32,
    pitches: u32,
    unanswered: u32,
    /// Their messages since your last reply (all of them when you never replied).
    unanswered_since_reply: u32,
    first_contact: Time,
    connected_on: Time,
    first_exchange: Time,
    /// When you wrote to them the second time.
    second_reply: Time,
    /// Their latest message (not an invitation), and the latest that promised to stop.
    last_incoming: Time,
    promised_at: Time,
    /// Rows of the thread with a date (yours and theirs).
    dated_rows: u32,
    first_pitch: Time,
    unanswered_span_days: f64,
    best: Signals,
    /// The key, the latest name and the text of a generic note ([`SenderText`] numbers).
    key: u32,
    name: u32,
    generic_note: u32,
    note: Option<Note>,
    claim: Option<bool>,
    /// Their words claim a friendship with you ([`claims_friendship`]).
    friendship: bool,
    you_replied: bool,
    /// The input holds none of your messages ([`Threads::replies_unknown`]): `you_replied`
    /// false means not known, rather than never.
    replies_unknown: bool,
    opt_out: bool,
    /// A message of theirs promises not to write again unless answered ([`PROMISES`]).
    promised_stop: bool,
    website_only: bool,
    /// A message of theirs pitches in words: pitch language and a call to action, or either in
    /// a message the model rates a hard sell (not a model score alone).
    pitch_words: bool,
    /// When you first declined ("not interested", "no thanks"), and their latest pitch.
    declined: Time,
    last_pitch: Time,
    /// You declined in a message without a date (an Outlook CSV): whether they pitched after
    /// it is not known, but you did not take them up.
    declined_undated: bool,
    /// Their messages and notes that ask to connect in stock words ("grow my network", "add
    /// me to your network": the generic opener cue).
    networking_rows: u32,
    /// Every message from them is bulk mail (List-Unsubscribe, List-Id or Precedence: bulk).
    bulk: bool,
    /// The sender address is an automated one (no-reply, notifications).
    automated: bool,
}

impl Facts {
    /// You are known never to have written to them.
    fn never_replied(&self) -> bool {
        !self.you_replied && !self.replies_unknown
    }

    /// They wrote more than once, every message and note of theirs asks to connect in stock
    /// words, none sells in words or rests on a website link, no note of theirs is personal, no
    /// mutual contact they name is one you know, and you never answered: a collector's
    /// persistence, whatever the model makes of it ("I'm connecting with 500 CS leaders to
    /// grow my network", then "did you get a chance to add me to your network?"). One message
    /// with a stock phrase in it ("let's connect properly when you're back") is no persistence.
    fn only_networking(&self) -> bool {
        self.from_sender >= 2
            && self.networking_rows == self.from_sender
            && !self.pitch_words
            && !self.website_only
            && self.note != Some(Note::Personal)
            && self.claim != Some(true)
            && self.never_replied()
    }

    /// They promised in their own words not to write again unless answered, in their latest
    /// message (a dated promise no later than their last message; without dates, their only
    /// message), and wrote at most once more in the run you left unanswered.
    fn kept_promise(&self, followups: u32) -> bool {
        let last = match (self.promised_at.get(), self.last_incoming.get()) {
            (Some(promise), Some(last)) => promise >= last,
            _ => self.from_sender - self.invitations == 1,
        };
        self.promised_stop && last && followups <= 1
    }

    /// You declined in an input without dates and they wrote at most once more: they may
    /// have stopped at your no.
    fn maybe_took_no(&self, followups: u32) -> bool {
        self.declined_undated && followups <= 1
    }

    /// You declined, and they pitched no more after it (having pitched before).
    fn took_no(&self) -> bool {
        let (Some(no), Some(last)) = (self.declined.get(), self.last_pitch.get()) else {
            return false;
        };
        last < no
    }
}

/// The evidence of a named mutual contact or friend who is not among your connections.
const FALSE_CLAIM: &str = "claims a mutual contact or friend who is not among your connections";

/// Reasons for a verdict, written only when a report will show them.
struct Evidence(Option<Vec<String>>);

impl Evidence {
    /// Adds a reason (worked out only when reasons are kept).
    fn add(&mut self, reason: impl FnOnce() -> String) {
        if let Some(v) = &mut self.0 {
            v.push(reason());
        }
    }

    /// Replaces every reason so far with one.
    fn only(&mut self, reason: &str) {
        if let Some(v) = &mut self.0 {
            *v = vec![reason.to_string()];
        }
    }
}

/// A sender's verdict and what it was judged on.
struct Decision {
    verdict: Verdict,
    pitch_delay: Option<Delay>,
    followups: u32,
}

/// The time from accepting (or the first exchange) to the first pitch.
#[derive(Debug, Clone, Copy)]
struct Delay {
    seconds: i64,
    /// Measured from a date without a time of day (Connections.csv's `Connected On`): only
    /// the calendar days are known, not the hours.
    from_a_date: bool,
}

impl Delay {
    /// `3 h` (`45 min`, `2 d`); from a date, the calendar days: `day before`, `same day`,
    /// `1 d`, `3 d`.
    fn column(self) -> String {
        match (self.from_a_date, self.seconds.div_euclid(86_400)) {
            (true, ..0) => "day before".into(),
            (true, 0) => "same day".into(),
            (true, days) => format!("{days} d"),
            (false, _) => human_duration(self.seconds),
        }
    }

    /// Whether the pitch came within two days of accepting: counted in calendar days from a
    /// date, as the evidence tells it ("2 d after" is within, whatever the hour).
    fn within_two_days(self) -> bool {
        match self.from_a_date {
            true => self.seconds.div_euclid(86_400) <= 2,
            false => self.seconds <= 2 * 86_400,
        }
    }

    /// `3 h after`; from a date, `the day before`, `the day`, `the day after`, `3 d after`.
    fn after(self) -> String {
        match (self.from_a_date, self.seconds.div_euclid(86_400)) {
            (true, ..0) => "the day before".into(),
            (true, 0) => "the day".into(),
            (true, 1) => "the day after".into(),
            (true, days) => format!("{days} d after"),
            (false, _) => format!("{} after", human_duration(self.seconds)),
        }
    }
}

/// The verdict on one sender (`None` when they wrote nothing), with its reasons in `evidence`.
fn decide(
    contact: &Sender,
    text: &SenderText,
    policy: Policy,
    evidence: &mut Evidence,
) -> Option<Decision> {
    let f = &contact.facts;
    if f.from_sender == 0 {
        return None;
    }
    let first_pitch = f.first_pitch.get();
    // Without a Connected On date, the first exchange before the pitch stands for acceptance.
    let accepted = f.connected_on.get().or(f
        .first_exchange
        .get()
        .filter(|&e| first_pitch.is_some_and(|p| e < p)));
    let from_a_date = f.connected_on.get().is_some_and(|c| c % 86_400 == 0);
    let pitch_delay = match (first_pitch, accepted) {
        (Some(p), Some(a)) if crate::features::context::sent_after_connecting(p, a) => {
            // From a date, a pitch the evening before (another time zone) is the day before.
            Some(Delay {
                seconds: if from_a_date { p - a } else { (p - a).max(0) },
                from_a_date,
            })
        }
        _ => None,
    };
    let followups = f.unanswered.saturating_sub(1);
    let hard_sell = is_hard_sell(f, pitch_delay, followups, policy, evidence);
    let generic_note = text.get(f.generic_note);
    let collector = !hard_sell && is_collector(f, generic_note, policy, evidence);
    let verdict = if f.sponsored == f.from_sender {
        evidence.only("sponsored message (an ad)");
        Verdict::Sponsored
    } else if f.bulk && f.opt_out && f.note.is_none() {
        evidence.only("bulk mail with an unsubscribe link (a newsletter or list, not a person)");
        Verdict::Ok
    } else if f.automated && f.note.is_none() {
        evidence.only("automated notification (a no-reply address)");
        Verdict::Ok
    } else if hard_sell {
        Verdict::HardSell
    } else if collector {
        Verdict::Collector
    } else {
        Verdict::Ok
    };
    if verdict == Verdict::Ok && f.best.flagged >= 0.5 {
        evidence.add(|| {
            format!(
                "model: {:.0}% hard sell or collector, not flagged under the {policy:?} policy",
                f.best.flagged * 100.0
            )
            .to_lowercase()
        });
    }
    if verdict == Verdict::Ok && f.best.flagged >= 0.5 {
        // Why the model's word did not flag them.
        if f.kept_promise(followups) {
            evidence.add(|| "promised not to write again unless answered, and kept to it".into());
        }
        if f.maybe_took_no(followups) {
            evidence.add(|| {
                "you declined, and they wrote at most once more (the input has no dates: the \
                 order is not known)"
                    .into()
            });
        }
    }
    if verdict == Verdict::Ok && f.took_no() {
        evidence.add(|| "pitched, and stopped when you declined".into());
    } else if f.you_replied {
        evidence.add(|| "you replied".into());
    }
    if text
        .get(f.key)
        .is_some_and(|k| k.starts_with(crate::read::mail::FORGED))
    {
        evidence.add(|| "mail from elsewhere in your name: your own address, forged".into());
    }
    if verdict == Verdict::HardSell && f.claim == Some(false) {
        evidence.add(|| FALSE_CLAIM.into());
    }
    if let Some(true) = f.claim {
        evidence.add(|| "the mutual contact they name is among your connections".into());
    }
    Some(Decision {
        verdict,
        pitch_delay,
        followups,
    })
}

/// The verdict on one sender alone (no reasons written).
fn verdict(contact: &Sender, text: &SenderText, policy: Policy) -> Option<Verdict> {
    decide(contact, text, policy, &mut Evidence(None)).map(|d| d.verdict)
}

/// The full report on one sender (`None` when they wrote nothing).
fn judge(contact: &Sender, text: &SenderText, policy: Policy) -> Option<SenderReport> {
    let mut evidence = Evidence(Some(Vec::new()));
    let Decision {
        verdict,
        pitch_delay,
        followups,
    } = decide(contact, text, policy, &mut evidence)?;
    let f = &contact.facts;
    let evidence = evidence.0.unwrap_or_default();
    Some(SenderReport {
        sender: text.get(f.name).unwrap_or("").to_string(),
        profile_url: text.get(f.key).unwrap_or("").to_string(),
        verdict,
        score: score(f, verdict),
        messages: f.from_sender as usize,
        first_contact: f.first_contact.get().map(dates::format).unwrap_or_default(),
        connected_on: f
            .connected_on
            .get()
            .map(|t| dates::format(t)[..10].to_string())
            .unwrap_or_default(),
        time_to_first_pitch: pitch_delay.map(Delay::column).unwrap_or_default(),
        unanswered_followups: (!f.replies_unknown).then_some(followups as usize),
        you_replied: (!f.replies_unknown).then_some(f.you_replied),
        invitation_note: f.note.map_or("", Note::as_str).to_string(),
        evidence: evidence.join("; "),
    })
}

/// How sure a verdict is, to four places: the model's probability of it (for `ok`, of no
/// flag on their most suspect message).
fn score(f: &Facts, verdict: Verdict) -> f64 {
    let score = match verdict {
        Verdict::HardSell => f.best.hard_sell.max(0.5),
        // A request alone is judged on the model's probability of either flag.
        Verdict::Collector if f.from_sender == f.invitations => f.best.flagged.max(0.5),
        Verdict::Collector => f.best.collector.max(0.5),
        Verdict::Sponsored => 1.0,
        Verdict::Ok => (1.0 - f.best.flagged).clamp(0.0, 1.0),
    };
    (score * 10_000.0).round() / 10_000.0
}

fn is_hard_sell(
    f: &Facts,
    pitch_delay: Option<Delay>,
    followups: u32,
    policy: Policy,
    evidence: &mut Evidence,
) -> bool {
    if f.only_networking() {
        // Asking again to connect is a collector's persistence, not a seller's.
        return false;
    }
    let quick = pitch_delay.is_some_and(Delay::within_two_days);
    // Chasing is writing again and again with no reply: not told where replies are unknown.
    let chasing = followups >= 2 && f.never_replied();
    // A hard sell happens after connecting: someone who only ever sent an invitation is not
    // one. Nor, but under the strict policy, one who stopped pitching when you said no.
    // An open networker minds persistence, not one pitch: the model flags them only a
    // sender who wrote again.
    // Nor, whatever the policy, one you answered and never turned down, who wrote at most
    // once since your last reply: a vendor you asked for pricing, a customer or colleague
    // whose mail reads like business to a model of outreach, their unanswered monthly reports
    // answered in the end (under the strict policy an early pitch still flags them).
    let engaged = f.you_replied
        && f.declined.get().is_none()
        && !f.declined_undated
        && f.unanswered_since_reply <= 1;
    // Nor, but under the strict policy, one who promised in their own words not to write
    // again unless answered ("I won't clutter your inbox with follow-ups") and wrote at most
    // once more: persistence without a way out is what makes a hard sell.
    let kept_promise = f.kept_promise(followups);
    // Without dates, one who wrote at most once more may have stopped at your no: the
    // benefit of the doubt, as for one seen to stop.
    let maybe_took_no = f.maybe_took_no(followups);
    let by_model = f.best.flags(policy.model_cut()).0
        && f.from_sender > f.invitations
        && !engaged
        && !((f.took_no() || maybe_took_no || kept_promise) && policy != Policy::Strict)
        && (followups >= 1 || policy != Policy::Open);
    let by_behaviour = f.pitches > 0
        && match policy {
            Policy::Open => chasing && quick,
            Policy::Balanced => chasing || (quick && f.never_replied()),
            Policy::Strict => chasing || quick || f.website_only,
        };
    if !(by_model || by_behaviour) {
        return false;
    }
    // "Pitched" when their words pitch; a message only the model rates a hard sell is
    // told as that (the model's figure follows).
    let pitched = if f.pitch_words {
        "pitched"
    } else {
        "a message the model rates a hard sell"
    };
    if let Some(d) = pitch_delay {
        evidence.add(|| {
            let since = match f.connected_on.get() {
                Some(_) => "you accepted",
                None => "you first talked",
            };
            format!("{pitched} {} {since}", d.after())
        });
    } else if f.pitches > 0 && f.pitch_words {
        evidence.add(|| "pitched".into());
    }
    if followups > 0 {
        evidence.add(|| {
            let span = if f.unanswered_span_days >= 1.0 {
                format!(" over {:.0} days", f.unanswered_span_days)
            } else {
                String::new()
            };
            match (f.you_replied, f.replies_unknown) {
                (true, _) => format!("{followups} follow-up(s){span}, with no reply in between"),
                (false, false) => format!("{followups} follow-up(s){span}, you never replied"),
                (false, true) => format!(
                    "wrote {followups} more time(s){span} (your replies are not in the input)"
                ),
            }
        });
    }
    if let (Some(no), Some(last)) = (f.declined.get(), f.last_pitch.get()) {
        if last > no {
            evidence.add(|| "kept pitching after you declined".into());
        }
    } else if f.declined_undated {
        evidence.add(|| {
            "you declined (the input has no dates: whether they pitched after is not known)".into()
        });
    }
    // Chasing without a way to say no: told of those who wrote more than once.
    if !f.opt_out && followups > 0 {
        evidence.add(|| "no way to opt out".into());
    }
    // Said of those whose words never pitch (a full pitch is a justification of its own),
    // and whenever it alone decided the verdict.
    let website_decided = policy == Policy::Strict && !by_model && !chasing && !quick;
    if f.website_only && (!f.pitch_words || website_decided) {
        evidence.add(|| "only justification is a website link".into());
    }
    if by_model {
        let cut = policy.model_cut();
        evidence.add(|| {
            f.best
                .evidence("hard sell", f.best.hard_sell, f.best.torn_hard_sell, cut)
        });
    }
    true
}

fn is_collector(
    f: &Facts,
    generic_note: Option<&str>,
    policy: Policy,
    evidence: &mut Evidence,
) -> bool {
    // A friendship claimed by someone you never answered, naming no one you know.
    let claimed_friend = f.friendship && f.never_replied() && f.claim != Some(true);
    let false_claim = f.claim == Some(false) || claimed_friend;
    // A request naming a mutual contact you know is not empty, whatever its words.
    let empty_request = matches!(f.note, Some(Note::None | Note::Generic))
        && f.never_replied()
        && f.pitches == 0
        && f.claim != Some(true);
    let cut = policy.model_cut();
    // Someone who only sent a request cannot have pitched after it: a request the model
    // flags either way makes them a possible collector (a hard sell needs a later message).
    let request_only = f.from_sender == f.invitations;
    let by_model_as_collector = f.best.flags(cut).1;
    let by_model =
        !f.you_replied && (by_model_as_collector || (request_only && f.best.flagged >= cut));
    // Strict: a request you never answered, unless it names a mutual contact you know.
    let unanswered = f.note.is_some() && f.never_replied() && f.claim != Some(true);
    // Asking to connect in stock words, nothing else, and no exchange with you.
    let networker = f.only_networking();
    let flagged = match policy {
        Policy::Open => false_claim,
        Policy::Balanced => {
            false_claim || by_model || networker || (empty_request && f.from_sender <= 2)
        }
        Policy::Strict => false_claim || by_model || networker || empty_request || unanswered,
    };
    if !flagged {
        return false;
    }
    match (f.note, generic_note) {
        (Some(Note::None), _) => evidence.add(|| "invitation with no note".into()),
        (Some(Note::Generic), Some(text)) => evidence.add(|| format!("generic note: \"{text}\"")),
        _ if networker => {
            evidence.add(|| "asks to connect in stock words, and nothing else".into())
        }
        _ => {}
    }
    if f.claim == Some(false) {
        evidence.add(|| FALSE_CLAIM.into());
    } else if claimed_friend {
        evidence.add(|| "claims to be your friend, and you never answered".into());
    }
    if f.never_replied() {
        evidence.add(|| "no exchange with you".into());
    }
    if by_model {
        evidence.add(|| match by_model_as_collector {
            true => f
                .best
                .evidence("collector", f.best.collector, f.best.torn_collector, cut),
            false => format!(
                "model: {:.0}% hard sell or collector, on a request alone",
                f.best.flagged * 100.0
            ),
        });
    }
    if policy == Policy::Strict && !(false_claim || by_model || empty_request || networker) {
        evidence.add(|| "strict policy: a request you have not answered".into());
    }
    true
}

/// `90 s` → `1 min`, `7200 s` → `2 h`, `3 days` → `3 d`.
pub fn human_duration(seconds: i64) -> String {
    match seconds {
        s if s < 3_600 => format!("{} min", (s / 60).max(1)),
        s if s < 2 * 86_400 => format!("{} h", s / 3_600),
        s => format!("{} d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The signals of one message of a collector / hard_sell / ok model.
    fn of(collector: f64, hard_sell: f64, ok: f64) -> Signals {
        let labels = ["collector", "hard_sell", "ok"].map(String::from);
        signals(
            &labels,
            &Prediction {
                label: String::new(),
                probabilities: vec![collector, hard_sell, ok],
                flagged: false,
                reasons: Vec::new(),
            },
        )
    }

    #[test]
    fn a_model_torn_between_the_two_flags_still_flags_the_likelier_when_it_beats_ok() {
        // 98 % flagged, split evenly: neither kind reaches 0.5 alone.
        assert_eq!(of(0.49, 0.4914, 0.0186).flags(0.5), (true, false));
        assert_eq!(of(0.4914, 0.49, 0.0186).flags(0.5), (false, true));
        // 52 % flagged, but "ok" (48 %) is likelier than hard sell (41 %): not flagged.
        assert_eq!(of(0.11, 0.41, 0.48).flags(0.5), (false, false));
        // A kind that reaches the cut on its own is flagged whatever the rest.
        assert_eq!(of(0.1, 0.6, 0.3).flags(0.5), (true, false));
        // The stricter cut of the open policy is not reached by a torn 98 % either way.
        assert_eq!(of(0.49, 0.4914, 0.0186).flags(0.99), (false, false));
        // Told with the kind's own figure first, as where it reaches the cut alone.
        let torn = of(0.49, 0.4914, 0.0186);
        assert_eq!(
            torn.evidence("hard sell", torn.hard_sell, torn.torn_hard_sell, 0.5),
            "model: 49% hard sell (98% hard sell or collector)"
        );
    }

    #[test]
    fn a_decline_is_a_phrase_of_its_own_words() {
        assert!(declines(
            "Thanks Kevin, but we're NOT interested at the moment."
        ));
        assert!(declines("No thanks."));
        assert!(!declines("No thanks needed!"));
        assert!(!declines("I'm not looking forward to Monday"));
        assert!(declines("Merci, mais pas intéressé."));
        assert!(declines("Gracias Laura, pero de momento no nos interesa."));
        assert!(declines("Thanks, but it's not for us."));
        // Agreeing to meet is no decline.
        assert!(!declines("Sounds good, we're all set for Thursday at 10."));
        // With a comma, in other words, in other languages.
        assert!(declines(
            "Hola Karla, no, gracias. No llevo temas comerciales."
        ));
        assert!(declines(
            "Thanks Bernd, but that's not my area. Please don't follow up."
        ));
        assert!(declines("No, thank you!"));
        assert!(declines("Nein, danke."));
        assert!(declines("Non merci, bonne journée."));
        assert!(declines("Please take me off your list."));
        assert!(declines("STOP") && declines("Unsubscribe.") && !declines("Stop by at 3?"));
        // Not a no: a plan, and their own words quoted back.
        assert!(!declines("If I don't follow up by Friday, ping me."));
        assert!(!declines(
            "Sure, send it over.\n\nOn Mon, Mar 3, 2025 at 9:00 AM Pat wrote:\n> If you're not \
             interested, no worries."
        ));
        assert!(!declines("Sounds good.\n> no thanks needed"));
        // An answer below the quote; a signature after the one word; an attribution line of
        // your own words.
        assert!(declines(
            "On Mon, Pat wrote:\n> Can we talk?\n\nNo thanks, not interested."
        ));
        assert!(declines("STOP\n\nSent from my iPhone"));
        assert!(declines(
            "On second thought, about what you wrote:\nnot interested."
        ));
        // Quotes without `>`: Outlook's header block, in English and German.
        assert!(!declines(
            "Sure.\nFrom: Pat <p@x.com>\nSent: Monday\nSubject: Hi\nIf you're not interested, fine."
        ));
        assert!(!declines(
            "Gern.\nVon: Pat <p@x.com>\nGesendet: Montag\nBetreff: Hi\nkein Interesse? Kein Problem."
        ));
    }

    #[test]
    fn a_promise_not_to_write_again_is_a_phrase_of_its_own_not_put_off_to_a_date() {
        assert!(promises_to_stop(
            "If this isn't relevant, no worries - I won't clutter your inbox with follow-ups."
        ));
        assert!(promises_to_stop(
            "If I don't hear back I'll assume it's not the right time and won't bother you further."
        ));
        assert!(promises_to_stop("Either way I won’t keep pinging you."));
        assert!(promises_to_stop(
            "Completely understand if the timing isn't right, and I won't chase further."
        ));
        assert!(promises_to_stop("Sinon, je ne vous relancerai pas."));
        assert!(promises_to_stop("Falls nicht, melde mich nicht wieder."));
        assert!(promises_to_stop(
            "Si no le interesa, no le volveré a escribir."
        ));
        // Put off, not given up; or a promise about something else.
        assert!(!promises_to_stop(
            "I won't bother you until after the holidays."
        ));
        assert!(!promises_to_stop(
            "I won't bother you again this week, I'll circle back on Monday."
        ));
        assert!(!promises_to_stop("Our tool won't chase you for invoices"));
        assert!(!promises_to_stop(
            "We follow up with every lead within 24 hours."
        ));
    }

    #[test]
    fn one_who_promised_to_stop_and_wrote_at_most_once_more_is_flagged_only_under_strict() {
        let mut f = Facts {
            from_sender: 1,
            pitches: 1,
            pitch_words: true,
            unanswered: 1,
            promised_stop: true,
            ..Facts::default()
        };
        f.best.max(&of(0.02, 0.87, 0.11));
        assert_eq!(judged(&f, Policy::Open).0, Verdict::Ok);
        assert_eq!(judged(&f, Policy::Balanced).0, Verdict::Ok);
        assert_eq!(judged(&f, Policy::Strict).0, Verdict::HardSell);
        // The promise told where it decided.
        assert!(judged(&f, Policy::Balanced)
            .1
            .contains("promised not to write again unless answered, and kept to it"));
        // One gentle follow-up that makes the promise, in their latest message: still not.
        let day = 86_400;
        f.from_sender = 2;
        f.unanswered = 2;
        f.last_incoming = Time::new(Some(1_700_000_000 + 5 * day));
        f.promised_at = f.last_incoming;
        assert_eq!(judged(&f, Policy::Balanced).0, Verdict::Ok);
        // A promise broken by a later message is none.
        f.promised_at = Time::new(Some(1_700_000_000));
        assert_eq!(judged(&f, Policy::Balanced).0, Verdict::HardSell);
        // Without dates, only a lone message keeps it.
        (f.promised_at, f.last_incoming) = (Time::default(), Time::default());
        assert_eq!(judged(&f, Policy::Balanced).0, Verdict::HardSell);
        // A second follow-up breaks it.
        f.from_sender = 3;
        f.unanswered = 3;
        f.last_incoming = Time::new(Some(1_700_000_000 + 9 * day));
        f.promised_at = f.last_incoming;
        assert_eq!(judged(&f, Policy::Balanced).0, Verdict::HardSell);
        // Without the promise, one message the model rates a hard sell is one.
        f.from_sender = 1;
        f.unanswered = 1;
        f.promised_stop = false;
        assert_eq!(judged(&f, Policy::Balanced).0, Verdict::HardSell);
    }

    #[test]
    fn a_greeting_is_a_few_short_words_in_any_script() {
        assert!(is_greeting("Hi", 1.0) && is_greeting("Hello Sam!", 2.0));
        assert!(!is_greeting("Great talk on parsers today", 5.0));
        // No spaces between words, but a real note.
        let chinese = "您好，我们上周在上海的数据库会议上聊过流式解析器，很高兴认识你。";
        assert!(!is_greeting(chinese, 1.0));
    }

    #[test]
    fn a_delay_from_a_date_is_told_in_calendar_days_and_one_from_a_time_in_hours() {
        let told = |seconds, from_a_date| {
            let d = Delay {
                seconds,
                from_a_date,
            };
            (d.column(), d.after())
        };
        let day = 86_400;
        assert_eq!(told(3_600, true), ("same day".into(), "the day".into()));
        let before = ("day before".into(), "the day before".into());
        assert_eq!(told(-4 * 3_600, true), before);
        assert_eq!(told(day + 5, true), ("1 d".into(), "the day after".into()));
        assert_eq!(told(3 * day + 7, true), ("3 d".into(), "3 d after".into()));
        assert_eq!(told(2_700, false), ("45 min".into(), "45 min after".into()));
        assert_eq!(
            told(day + 3_600, false),
            ("25 h".into(), "25 h after".into())
        );
        // "2 d after" is within two days, whatever the hour, when only the date is known.
        let late = |from_a_date| Delay {
            seconds: 3 * day - 3_600,
            from_a_date,
        };
        assert!(late(true).within_two_days() && !late(false).within_two_days());
    }

    /// The evidence of a hard sell judged on `f` (a pitch 2 h into the accepting day).
    fn hard_sell_evidence(f: &Facts) -> String {
        let mut evidence = Evidence(Some(Vec::new()));
        let delay = Delay {
            seconds: 7_200,
            from_a_date: true,
        };
        let followups = f.unanswered.saturating_sub(1);
        assert!(is_hard_sell(
            f,
            Some(delay),
            followups,
            Policy::Balanced,
            &mut evidence
        ));
        evidence.0.unwrap().join("; ")
    }

    /// The verdict and evidence on a sender with facts `f` under `policy`.
    fn judged(f: &Facts, policy: Policy) -> (Verdict, String) {
        let sender = Sender {
            name_time: 0,
            claim_time: 0,
            note_time: 0,
            facts: f.clone(),
        };
        let mut evidence = Evidence(Some(Vec::new()));
        let d = decide(&sender, &SenderText::default(), policy, &mut evidence).unwrap();
        (d.verdict, evidence.0.unwrap().join("; "))
    }

    /// An incoming message (or invitation) from Tom, `at` seconds after he was accepted.
    fn from_tom(text: &str, at: i64, invitation: bool) -> Message {
        Message {
            id: format!("m{at}"),
            text: text.into(),
            thread: Some(crate::read::Thread {
                conversation: "c".into(),
                contact: "tom".into(),
                contact_name: "Tom".into(),
                incoming: true,
                invitation,
                timestamp: Some(1_700_006_400 + at),
                connected_on: Some(1_700_006_400),
                ..crate::read::Thread::default()
            }),
            ..Message::default()
        }
    }

    /// The one sender report on `messages`, each predicted `[collector, hard_sell, ok]`.
    fn report(messages: &[Message], p: [f64; 3], policy: Policy) -> SenderReport {
        report_each(messages, &vec![p; messages.len()], policy)
    }

    /// [`from_tom`] without a date, as an Outlook CSV holds it; `incoming` false: your own.
    fn undated(text: &str, incoming: bool) -> Message {
        let mut m = from_tom(text, 0, false);
        let t = m.thread.as_mut().unwrap();
        (t.timestamp, t.connected_on, t.incoming) = (None, None, incoming);
        m
    }

    #[test]
    fn an_undated_no_ends_the_benefit_of_your_answer_and_persistence_after_it_is_flagged() {
        let pitch = "Hi Alex, GrowthStack gives CS teams one view of renewal risk. 15 minutes \
                     this week?";
        let mut messages = vec![
            undated(pitch, true),
            undated("Quick bump on this. Worth a look?", true),
            undated("Please unsubscribe me from your emails.", false),
        ];
        let p = [0.02, 0.96, 0.02];
        // Two messages: they may have stopped at the no (the order is not known).
        let r = report(&messages, p, Policy::Balanced);
        assert_eq!(r.verdict, Verdict::Ok, "{}", r.evidence);
        assert_eq!(
            report(&messages, p, Policy::Strict).verdict,
            Verdict::HardSell
        );
        // Four: persistence whatever the order; told that the order is not known.
        messages.insert(2, undated("Did you see my note?", true));
        messages.insert(
            3,
            undated("Teams cut churn prep by 70%. Worth a look?", true),
        );
        let r = report(&messages, p, Policy::Balanced);
        assert_eq!(r.verdict, Verdict::HardSell);
        assert!(
            r.evidence.contains("you declined (the input has no dates"),
            "{}",
            r.evidence
        );
        // An answer that is no decline keeps the benefit: a vendor you asked for pricing.
        messages[4] = undated("Thanks, could you send pricing for 40 seats?", false);
        assert_eq!(report(&messages, p, Policy::Balanced).verdict, Verdict::Ok);
    }

    #[test]
    fn one_who_only_asks_to_connect_in_stock_words_is_a_collector_whatever_the_model_says() {
        let mut messages = [
            from_tom(
                "Hi Alex, I'm connecting with 500 CS leaders this month to grow my network. \
                 Would love to add you!",
                3_600,
                false,
            ),
            from_tom("Still growing my network, 412 so far!", 5 * 86_400, false),
        ];
        // From an export, which holds your replies: there are none.
        for m in &mut messages {
            m.thread.as_mut().unwrap().replies_included = true;
        }
        // The model reads it as a hard sell; nothing in their words sells.
        let p = [0.01, 0.99, 0.0];
        let r = report(&messages, p, Policy::Balanced);
        assert_eq!(r.verdict, Verdict::Collector, "{}", r.evidence);
        assert!(
            r.evidence.contains("asks to connect in stock words"),
            "{}",
            r.evidence
        );
        assert_eq!(
            report(&messages, p, Policy::Strict).verdict,
            Verdict::Collector
        );
        // An open networker accepts them.
        assert_eq!(report(&messages, p, Policy::Open).verdict, Verdict::Ok);
        // A message the model reads as a pitch without asking to connect, or selling words,
        // make them a seller again.
        let mut other = messages.to_vec();
        other[1].text = "Any thoughts on my last note?".into();
        assert_eq!(
            report(&other, p, Policy::Balanced).verdict,
            Verdict::HardSell
        );
        let mut selling = messages.to_vec();
        selling[1].text = "We help CS teams grow your renewals. Book a quick call?".into();
        assert_eq!(
            report(&selling, p, Policy::Balanced).verdict,
            Verdict::HardSell
        );
    }

    #[test]
    fn a_name_dropped_after_you_wrote_to_them_twice_is_no_claim() {
        let day = 86_400;
        let with_claim = |mut m: Message| {
            m.thread.as_mut().unwrap().claimed_contact = Some(false);
            m
        };
        let mut yours = from_tom("Great to see you at LogiMAT!", 2 * day, false);
        yours.thread.as_mut().unwrap().incoming = false;
        let claim = "Quick question: a friend of mine, Julia Brandt, starts at Elbe Cargo. \
                     May I give her your contact?";
        let p = [0.1, 0.1, 0.8];
        let mut again = from_tom("Thursday 11 at the fair café?", 3 * day, false);
        again.thread.as_mut().unwrap().incoming = false;
        let old_friend = [
            from_tom("Long time no see! Coffee at LogiMAT?", day, false),
            yours.clone(),
            again,
            with_claim(from_tom(claim, 30 * day, false)),
        ];
        let r = report(&old_friend, p, Policy::Balanced);
        assert_eq!(r.verdict, Verdict::Ok, "{}", r.evidence);
        // Claimed before you ever wrote, or in answer to one "do we know each other?": a
        // basis claimed to a stranger, and false, under every policy.
        let stranger = [with_claim(from_tom(claim, day, false)), yours.clone()];
        let r = report(&stranger, p, Policy::Balanced);
        assert_eq!(r.verdict, Verdict::Collector, "{}", r.evidence);
        let mut who = yours;
        who.text = "Sorry, do we know each other?".into();
        let answered = [
            from_tom("Hi! Great profile.", day / 2, false),
            who,
            with_claim(from_tom(claim, 3 * day, false)),
        ];
        let r = report(&answered, p, Policy::Open);
        assert_eq!(r.verdict, Verdict::Collector, "{}", r.evidence);
    }

    #[test]
    fn pitched_is_said_of_one_selling_cue_only_where_the_model_agrees() {
        // A call to action without pitch language: "pitched" only if the model rates it a
        // hard sell; else it is a question, and the model's verdict speaks for itself.
        let messages = [from_tom("Can I show you how it works?", 3_600, false)];
        let sure = report(&messages, [0.01, 0.9, 0.09], Policy::Strict).evidence;
        assert!(sure.starts_with("pitched the day you accepted"), "{sure}");
        let unsure = report(&messages, [0.01, 0.4, 0.59], Policy::Strict).evidence;
        assert!(!unsure.contains("pitched"), "{unsure}");
    }

    #[test]
    fn a_stock_opener_after_a_shared_group_or_event_is_a_personal_note() {
        let note = |text| {
            let r = report(
                &[from_tom(text, -3_600, true)],
                [0.1, 0.1, 0.8],
                Policy::Balanced,
            );
            r.invitation_note
        };
        assert_eq!(note("Happy to connect!"), "generic");
        let shared = "Hi Daniel, we're both in the Rust Berlin meetup group - I liked your \
                      lightning talk. Happy to connect!";
        assert_eq!(note(shared), "personal");
    }

    #[test]
    fn the_website_reason_is_told_where_it_alone_decided() {
        let mut f = Facts {
            from_sender: 2,
            invitations: 1,
            pitches: 1,
            pitch_words: true,
            website_only: true,
            ..Facts::default()
        };
        f.best.max(&of(0.05, 0.1, 0.85));
        let (verdict, evidence) = judged(&f, Policy::Strict);
        assert_eq!(verdict, Verdict::HardSell);
        assert!(
            evidence.contains("only justification is a website link"),
            "{evidence}"
        );
    }

    #[test]
    fn a_request_alone_that_the_model_flags_either_way_is_a_possible_collector() {
        let mut f = Facts {
            from_sender: 1,
            invitations: 1,
            note: Some(Note::Personal),
            ..Facts::default()
        };
        // A pitch in a request note: the model leans hard sell, which needs a later message.
        f.best.max(&of(0.35, 0.64, 0.01));
        let (verdict, evidence) = judged(&f, Policy::Balanced);
        assert_eq!(verdict, Verdict::Collector);
        assert!(
            evidence.contains("model: 99% hard sell or collector, on a request alone"),
            "{evidence}"
        );
        // Its score is that figure, not the collector probability alone.
        assert_eq!(score(&f, Verdict::Collector), 0.99);
        // Under the open policy the model must reach 0.75 on one kind: not flagged, and the
        // score of the ok verdict is the model's probability of no flag, 1 %.
        assert_eq!(judged(&f, Policy::Open).0, Verdict::Ok);
        assert_eq!(score(&f, Verdict::Ok), 0.01);
    }

    #[test]
    fn a_stranger_claiming_your_friendship_is_a_collector_under_every_policy() {
        assert!(claims_friendship(
            "Hello dear, we are old friends, you may not remember me"
        ));
        assert!(claims_friendship("Hi DEAR FRIEND, I want to know you"));
        assert!(claims_friendship(
            "I like your profile and I want to know you better as a friend."
        ));
        assert!(!claims_friendship("I am writing as a friend of Tom's"));
        assert!(claims_friendship(
            "Hi Sam, as a friend I'd like to add you to my LinkedIn network."
        ));
        assert!(claims_friendship(
            "Hi Maya, as your friend I'd like to add you."
        ));
        assert!(claims_friendship(
            "Bonjour Alex, en tant qu'ami, je souhaite vous ajouter."
        ));
        assert!(!claims_friendship("Como amigo de Laura, te escribo."));
        assert!(!claims_friendship(
            "Dear friends and colleagues, our meetup is on"
        ));
        assert!(!claims_friendship("My friend Tom says hi"));
        // A third party's friendship, or an acquaintance recalled, is no claim to yours.
        assert!(!claims_friendship("An old friend of mine recommended you"));
        assert!(!claims_friendship(
            "You may not remember me - we met at ProductTank"
        ));
        let mut f = Facts {
            from_sender: 1,
            invitations: 1,
            note: Some(Note::Personal),
            friendship: true,
            ..Facts::default()
        };
        f.best.max(&of(0.1, 0.1, 0.8));
        for policy in [Policy::Open, Policy::Balanced, Policy::Strict] {
            let (verdict, evidence) = judged(&f, policy);
            assert_eq!(verdict, Verdict::Collector, "{policy:?}");
            assert!(evidence.contains("claims to be your friend"), "{evidence}");
        }
        // A friend you answer, or one who names a mutual contact you know, is not one.
        f.you_replied = true;
        assert_eq!(judged(&f, Policy::Open).0, Verdict::Ok);
        f.you_replied = false;
        f.claim = Some(true);
        assert_eq!(judged(&f, Policy::Balanced).0, Verdict::Ok);
    }

    #[test]
    fn a_seller_who_stopped_when_you_declined_is_flagged_only_under_strict() {
        let day = 86_400;
        let mut f = Facts {
            from_sender: 3,
            invitations: 1,
            pitches: 1,
            pitch_words: true,
            you_replied: true,
            connected_on: Time::new(Some(1_700_006_400)),
            first_pitch: Time::new(Some(1_700_006_400 + day)),
            last_pitch: Time::new(Some(1_700_006_400 + day)),
            declined: Time::new(Some(1_700_006_400 + 2 * day)),
            ..Facts::default()
        };
        f.best.max(&of(0.02, 0.91, 0.07));
        let (verdict, evidence) = judged(&f, Policy::Balanced);
        assert_eq!(verdict, Verdict::Ok);
        assert!(
            evidence.contains("pitched, and stopped when you declined"),
            "{evidence}"
        );
        assert_eq!(judged(&f, Policy::Strict).0, Verdict::HardSell);
        // One pitch and no reply at all: an open networker is not bothered, others are.
        f.declined = Time::default();
        f.you_replied = false;
        f.from_sender = 2;
        assert_eq!(judged(&f, Policy::Open).0, Verdict::Ok);
        assert_eq!(judged(&f, Policy::Balanced).0, Verdict::HardSell);
        f.unanswered = 2;
        f.from_sender = 3;
        assert_eq!(judged(&f, Policy::Open).0, Verdict::HardSell);
        f.unanswered = 0;
        f.declined = Time::new(Some(1_700_006_400 + 2 * day));
        f.you_replied = true;
        // Pitching again after the no is a hard sell under every policy's model cut.
        f.last_pitch = Time::new(Some(1_700_006_400 + 3 * day));
        let (verdict, evidence) = judged(&f, Policy::Balanced);
        assert_eq!(verdict, Verdict::HardSell);
        assert!(
            evidence.contains("kept pitching after you declined"),
            "{evidence}"
        );
    }

    #[test]
    fn someone_you_answered_and_never_turned_down_is_no_hard_seller_on_the_models_word() {
        // A vendor you asked for pricing: cold pitch, your replies, three reports in a row you
        // answered in the end, and one note since your last reply.
        let day = 86_400;
        let mut f = Facts {
            from_sender: 6,
            pitches: 2,
            pitch_words: true,
            you_replied: true,
            unanswered: 3,
            unanswered_since_reply: 1,
            first_exchange: Time::new(Some(1_700_006_400)),
            first_pitch: Time::new(Some(1_700_006_400 + 10 * day)),
            last_pitch: Time::new(Some(1_700_006_400 + 20 * day)),
            ..Facts::default()
        };
        f.best.max(&of(0.01, 0.95, 0.04));
        for policy in [Policy::Open, Policy::Balanced, Policy::Strict] {
            let (verdict, evidence) = judged(&f, policy);
            assert_eq!(verdict, Verdict::Ok, "{policy:?}: {evidence}");
        }
        // Turned down, or written to twice more without an answer: the model's word counts.
        f.declined = Time::new(Some(1_700_006_400 + 15 * day));
        assert_eq!(judged(&f, Policy::Balanced).0, Verdict::HardSell);
        f.declined = Time::default();
        // A polite answer, then two more pitches: the model's word counts again.
        f.unanswered_since_reply = 2;
        assert_eq!(judged(&f, Policy::Balanced).0, Verdict::HardSell);
    }

    #[test]
    fn pitched_is_said_of_pitching_words_and_no_opt_out_of_those_who_wrote_again() {
        let mut f = Facts {
            from_sender: 2,
            invitations: 1,
            pitches: 1,
            connected_on: Time::new(Some(1_700_006_400)),
            ..Facts::default()
        };
        f.best.max(&of(0.05, 0.9, 0.05));
        let by_model = hard_sell_evidence(&f);
        assert!(
            by_model.starts_with("a message the model rates a hard sell the day you accepted"),
            "{by_model}"
        );
        assert!(!by_model.contains("opt out"), "one message: {by_model}");
        f.pitch_words = true;
        f.unanswered = 3;
        let chasing = hard_sell_evidence(&f);
        assert!(
            chasing.starts_with("pitched the day you accepted; 2 follow-up(s)"),
            "{chasing}"
        );
        assert!(chasing.contains("no way to opt out"), "{chasing}");
    }

    #[test]
    fn where_your_replies_are_not_in_the_input_silence_is_not_held_against_a_sender() {
        // Three emails in an Inbox exported alone: the model finds nothing to flag.
        let mut f = Facts {
            from_sender: 3,
            pitches: 1,
            pitch_words: true,
            unanswered: 3,
            replies_unknown: true,
            ..Facts::default()
        };
        f.best.max(&of(0.05, 0.2, 0.75));
        for policy in [Policy::Open, Policy::Balanced, Policy::Strict] {
            let (verdict, evidence) = judged(&f, policy);
            assert_eq!(verdict, Verdict::Ok, "{policy:?}: not chasing: {evidence}");
        }
        // A friendship claim or a bare request is not "never answered" either.
        let mut friend = Facts {
            from_sender: 1,
            invitations: 1,
            note: Some(Note::None),
            friendship: true,
            replies_unknown: true,
            ..Facts::default()
        };
        friend.best.max(&of(0.1, 0.1, 0.8));
        assert_eq!(judged(&friend, Policy::Balanced).0, Verdict::Ok);
        // The model still flags what it reads as a hard sell, and the evidence says what is
        // not known instead of "you never replied".
        f.best.max(&of(0.02, 0.95, 0.03));
        let (verdict, evidence) = judged(&f, Policy::Balanced);
        assert_eq!(verdict, Verdict::HardSell);
        assert!(
            evidence.contains("wrote 2 more time(s) (your replies are not in the input)"),
            "{evidence}"
        );
        assert!(!evidence.contains("never replied"), "{evidence}");
        // Known silence still counts: the same facts with your replies in the input.
        f.replies_unknown = false;
        f.best = Signals::default();
        f.best.max(&of(0.05, 0.2, 0.75));
        let (verdict, evidence) = judged(&f, Policy::Balanced);
        assert_eq!(verdict, Verdict::HardSell);
        assert!(
            evidence.contains("2 follow-up(s), you never replied"),
            "{evidence}"
        );
    }

    /// The one sender report on `messages`, with one prediction per message.
    fn report_each(messages: &[Message], ps: &[[f64; 3]], policy: Policy) -> SenderReport {
        let labels = ["collector", "hard_sell", "ok"].map(String::from);
        let predictions: Vec<Prediction> = ps
            .iter()
            .map(|p| Prediction {
                label: String::new(),
                probabilities: p.to_vec(),
                flagged: false,
                reasons: Vec::new(),
            })
            .collect();
        let mut reports = sender_reports(messages, &predictions, &labels, policy);
        assert_eq!(reports.len(), 1);
        reports.remove(0)
    }

    /// `m` from a source that holds your messages (an export): no reply of yours means none.
    fn known_replies(mut m: Message) -> Message {
        m.thread.as_mut().unwrap().replies_included = true;
        m
    }

    #[test]
    fn a_friendly_message_with_a_stock_phrase_and_no_pitch_is_not_a_collector() {
        // The model reads it as ok (98 %); nothing pitches; you have not answered yet.
        let messages = [
            known_replies(from_tom(
                "Hi Alex, great to finally meet at the Hamburg offsite. Happy to connect you \
                 with our CTO Jonas if you want to compare notes on routing.",
                10 * 86_400,
                false,
            )),
            known_replies(from_tom(
                "Jonas says Thursday works too!",
                12 * 86_400,
                false,
            )),
        ];
        let r = report(&messages, [0.01, 0.01, 0.98], Policy::Balanced);
        assert_eq!(r.verdict, Verdict::Ok, "{}", r.evidence);
        // One message with a stock phrase in it is no persistence, whatever the model says.
        let once = [known_replies(from_tom(
            "Congrats on the new role! Let's connect properly when you are back in Chicago.",
            10 * 86_400,
            false,
        ))];
        let r = report(&once, [0.46, 0.41, 0.13], Policy::Balanced);
        assert!(!r.evidence.contains("stock words"), "{}", r.evidence);
    }

    #[test]
    fn a_mutual_contact_you_know_keeps_a_networker_out_of_the_strict_collector_net() {
        // README: "A mutual contact who really is among your connections keeps a sender out
        // of the strict policy's collector net".
        let mut note = known_replies(from_tom(
            "Hi Alex, Priya Raman suggested I reach out. Happy to connect!",
            -3_600,
            true,
        ));
        note.thread.as_mut().unwrap().claimed_contact = Some(true);
        let r = report(&[note], [0.05, 0.05, 0.9], Policy::Strict);
        assert_eq!(r.verdict, Verdict::Ok, "{}", r.evidence);
    }

    #[test]
    fn a_stock_opener_once_does_not_clear_a_seller_the_model_flags() {
        // First message says "let's connect"; you answered once; then three more the model
        // reads as outreach, leaning hard sell (torn 46 % / 44 %), none counted as a "pitch".
        let mut yours = known_replies(from_tom("Who is this?", 2 * 86_400, false));
        yours.thread.as_mut().unwrap().incoming = false;
        let messages = [
            known_replies(from_tom("Hi Alex, let's connect!", 86_400, false)),
            yours,
            known_replies(from_tom("Checking in on my note.", 3 * 86_400, false)),
            known_replies(from_tom("Any thoughts?", 5 * 86_400, false)),
            known_replies(from_tom("Last try: still keen?", 8 * 86_400, false)),
        ];
        let ps = [[0.44, 0.46, 0.10]; 5];
        // The model's word makes it a hard sell ("model: 46% hard sell (90% … or collector)").
        let r = report_each(&messages, &ps, Policy::Balanced);
        assert_ne!(r.verdict, Verdict::Ok, "{}", r.evidence);
    }

    #[test]
    fn a_networker_whose_replies_are_unknown_is_still_flagged() {
        // A mailbox without your sent mail: whether you answered is not known, so the
        // networker rule does not speak, and the model's word stands.
        let messages = [
            from_tom(
                "Hi Alex, I'm growing my network with CS leaders.",
                3_600,
                false,
            ),
            from_tom("Still growing my network, 412 so far!", 5 * 86_400, false),
        ];
        let r = report(&messages, [0.01, 0.99, 0.0], Policy::Balanced);
        assert_ne!(r.verdict, Verdict::Ok, "{}", r.evidence);
    }

    #[test]
    fn strict_evidence_does_not_invent_an_unanswered_request() {
        let messages = [
            known_replies(from_tom("Hi Alex, let's connect!", 3_600, false)),
            known_replies(from_tom("Hope you had a good weekend.", 5 * 86_400, false)),
        ];
        let r = report(&messages, [0.05, 0.05, 0.9], Policy::Strict);
        assert!(
            !r.evidence.contains("a request you have not answered"),
            "no request was sent: {} ({})",
            r.evidence,
            r.verdict
        );
    }

    #[test]
    fn a_product_that_ends_follow_ups_is_no_promise_to_stop() {
        let taken: Vec<&str> = [
            "Our tool won't chase you for invoices: it chases your clients.",
            "With FollowBot there are no more follow-ups slipping through the cracks.",
            "InvoiceZen: your team won't chase late payers by hand anymore.",
            "I won't bother you with a long pitch: we cut AWS bills by 40%. Call Thursday?",
            "I won't bother you this week again, I'll circle back on Monday.",
        ]
        .into_iter()
        .filter(|t| promises_to_stop(t))
        .collect();
        assert!(taken.is_empty(), "taken for a promise: {taken:#?}");
    }

    #[test]
    fn a_promise_unless_answered_is_the_promise_the_readme_describes() {
        // README: "promised in their own words not to write again unless answered".
        assert!(promises_to_stop("I won't follow up unless you ask."));
    }

    #[test]
    fn an_instruction_is_no_decline() {
        let taken: Vec<&str> = [
            "Sounds useful, send me the pricing by email. Please don't contact me on my mobile, \
             I'm travelling.",
            "Could you stop sending these to my old gmail? Use my work address.",
            "Do not contact me before 10am, I'm in workshops all morning.",
        ]
        .into_iter()
        .filter(|t| declines(t))
        .collect();
        assert!(taken.is_empty(), "taken for a decline: {taken:#?}");
    }

    #[test]
    fn a_dated_input_with_one_undated_no_still_sees_the_pitch_after_it() {
        // A CSV with dates, your row's date cell empty: the input order (pitch, your no,
        // pitch) is the only order known, and it shows a pitch after the no.
        let mut no = from_tom("No thanks, not interested.", 0, false);
        (
            no.thread.as_mut().unwrap().incoming,
            no.thread.as_mut().unwrap().timestamp,
        ) = (false, None);
        let messages = [
            known_replies(from_tom(
                "We book 40 demos a month. Call?",
                31 * 86_400,
                false,
            )),
            known_replies(no),
            known_replies(from_tom(
                "Circling back: Thursday at 10?",
                38 * 86_400,
                false,
            )),
        ];
        let r = report(&messages, [0.0, 0.99, 0.01], Policy::Balanced);
        assert_eq!(r.verdict, Verdict::HardSell, "{}", r.evidence);
    }
}
