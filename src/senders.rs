//! Senders: turns per-message predictions and thread context into one verdict per sender —
//! `collector`, `hard_sell`, `ok` or `sponsored` — with a score and plain-language evidence
//! a person can check.
//!
//! Only the contact's own messages and invitations are judged; the owner's rows are context
//! (did you ever reply?). A [`Policy`] shifts what is flagged, for open networkers who accept
//! nearly everyone through to people who accept only those they know. This module computes;
//! [`crate::report`] writes.

use std::collections::HashMap;

use serde::Serialize;

use crate::features::cues;
use crate::model::Prediction;
use crate::read::{dates, Message};

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
    /// How sure: the model's probability of the verdict (of any flag, for `ok`), 0..1.
    pub score: f64,
    /// Messages and invitations from this sender.
    pub messages: usize,
    /// The sender's first message or invitation (`YYYY-MM-DD HH:MM:SS UTC`).
    pub first_contact: String,
    /// When you accepted the connection, if known (`YYYY-MM-DD`).
    pub connected_on: String,
    /// From accepting (or the first exchange) to the first pitch, e.g. `2 h`, `3 d`; empty if no pitch.
    pub time_to_first_pitch: String,
    /// Longest run of the sender's messages with no reply from you.
    pub unanswered_followups: usize,
    /// Whether you ever wrote to this sender.
    pub you_replied: bool,
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
            self.unanswered_followups.to_string(),
            self.you_replied.to_string(),
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
}

fn signals(labels: &[String], p: &Prediction) -> Signals {
    let prob = |name: &str| {
        labels
            .iter()
            .position(|l| l == name)
            .map(|i| p.probabilities[i])
    };
    Signals {
        hard_sell: prob("hard_sell").or_else(|| prob("spam")).unwrap_or(0.0),
        collector: prob("collector").unwrap_or(0.0),
    }
}

/// Verdicts for every sender in `messages`, given the model's predictions (same order).
pub fn sender_reports(
    messages: &[Message],
    predictions: &[Prediction],
    labels: &[String],
    policy: Policy,
) -> Vec<SenderReport> {
    let mut book = SenderBook::new(labels);
    for (m, p) in messages.iter().zip(predictions) {
        book.observe(m, p);
    }
    book.reports(policy)
}

/// Gathers what the verdicts need, message by message in input order, keeping a compact
/// [`Observation`] per message (no text) and a name per sender, so that a stream of any
/// length can be judged once it ends.
#[derive(Debug)]
pub struct SenderBook {
    labels: Vec<String>,
    contacts: HashMap<String, u32>,
    info: Vec<ContactInfo>,
    observations: Vec<Observation>,
    seen: u64,
}

/// Per sender: the key and the display name (from their latest message).
#[derive(Debug)]
struct ContactInfo {
    key: String,
    name: String,
    name_at: Option<(i64, u64)>,
}

/// What one message contributes to its sender's verdict.
#[derive(Debug, Clone)]
struct Observation {
    contact: u32,
    row: u64,
    timestamp: Option<i64>,
    connected_on: Option<i64>,
    claim: Option<bool>,
    flags: u16,
    best: Signals,
    generic_text: Option<Box<str>>,
}

const INCOMING: u16 = 1;
const SPONSORED: u16 = 1 << 1;
const INVITATION: u16 = 1 << 2;
const OPT_OUT: u16 = 1 << 3;
const BULK: u16 = 1 << 4;
const WEBSITE_ONLY: u16 = 1 << 5;
const PITCH: u16 = 1 << 6;
const NOTE_NONE: u16 = 1 << 7;
const NOTE_GENERIC: u16 = 1 << 8;

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
    /// An empty book for a model with these labels.
    pub fn new(labels: &[String]) -> Self {
        SenderBook {
            labels: labels.to_vec(),
            contacts: HashMap::new(),
            info: Vec::new(),
            observations: Vec::new(),
            seen: 0,
        }
    }

    /// Records one message and the model's prediction for it; call in input order.
    pub fn observe(&mut self, m: &Message, p: &Prediction) {
        let row = self.seen;
        self.seen += 1;
        let Some(t) = &m.thread else {
            return;
        };
        let contact = match self.contacts.get(t.contact.as_str()) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(self.info.len()).expect("fewer than 2^32 senders");
                self.contacts.insert(t.contact.clone(), id);
                self.info.push(ContactInfo {
                    key: t.contact.clone(),
                    name: String::new(),
                    name_at: None,
                });
                id
            }
        };
        let mut o = Observation {
            contact,
            row,
            timestamp: t.timestamp,
            connected_on: t.connected_on,
            claim: None,
            flags: if t.sponsored { SPONSORED } else { 0 },
            best: Signals::default(),
            generic_text: None,
        };
        if t.incoming {
            let at = (t.timestamp.unwrap_or(i64::MIN), row);
            let info = &mut self.info[contact as usize];
            if info.name_at.is_none_or(|old| at >= old) {
                info.name = t.contact_name.clone();
                info.name_at = Some(at);
            }
            self.read_incoming(m, p, &mut o);
        }
        self.observations.push(o);
    }

    /// The incoming message's flags: cues, headers, note kind, model signals.
    fn read_incoming(&self, m: &Message, p: &Prediction, o: &mut Observation) {
        let t = m.thread.as_ref().expect("observed messages have threads");
        o.flags |= INCOMING;
        o.claim = t.claimed_contact;
        let s = signals(&self.labels, p);
        o.best = s;
        let c = cues::cue_counts(&m.text);
        let cue = |n: &str| c[cues::CUE_NAMES.iter().position(|x| *x == n).expect("cue")];
        let headers = m.mail.clone().unwrap_or_default();
        let mut set = |bit: u16, on: bool| {
            if on {
                o.flags |= bit;
            }
        };
        set(OPT_OUT, cue("opt_out") > 0.0 || headers.list_unsubscribe);
        set(
            BULK,
            headers.list_unsubscribe || headers.list_id || headers.precedence_bulk,
        );
        set(WEBSITE_ONLY, cue("website_only") > 0.0);
        if t.invitation {
            set(INVITATION, true);
            if m.text.trim().is_empty() {
                set(NOTE_NONE, true);
            } else if cue("generic_opener") > 0.0
                && (cue("words") < 25.0 || headers.linkedin_invitation)
            {
                set(NOTE_GENERIC, true);
                let note = m.text.split_whitespace().collect::<Vec<_>>().join(" ");
                o.generic_text = Some(note.chars().take(60).collect());
            }
            return;
        }
        set(
            PITCH,
            s.hard_sell >= 0.5 || (cue("pitch_language") > 0.0 && cue("call_to_action") > 0.0),
        );
    }

    /// One verdict per sender who wrote anything, most certain flags first.
    pub fn reports(self, policy: Policy) -> Vec<SenderReport> {
        use rayon::prelude::*;
        let SenderBook {
            info,
            mut observations,
            ..
        } = self;
        observations
            .par_sort_unstable_by_key(|o| (o.contact, o.timestamp.unwrap_or(i64::MIN), o.row));
        let groups: Vec<&[Observation]> = observations
            .chunk_by(|a, b| a.contact == b.contact)
            .collect();
        let mut out: Vec<SenderReport> = groups
            .into_par_iter()
            .filter_map(|rows| {
                let contact = &info[rows[0].contact as usize];
                judge(contact, rows, policy)
            })
            .collect();
        out.sort_by(|a, b| {
            a.verdict
                .cmp(&b.verdict)
                .then(b.score.total_cmp(&a.score))
                .then(a.profile_url.cmp(&b.profile_url))
        });
        out
    }
}

/// What one sender's thread shows, gathered in time order.
#[derive(Debug, Default)]
struct Facts {
    from_sender: usize,
    invitations: usize,
    sponsored: usize,
    first_contact: Option<i64>,
    connected_on: Option<i64>,
    first_exchange: Option<i64>,
    first_pitch: Option<i64>,
    pitches: usize,
    unanswered: usize,
    unanswered_span_days: f64,
    you_replied: bool,
    note: Option<&'static str>,
    generic_text: Option<String>,
    opt_out: bool,
    website_only: bool,
    /// Every message from them is bulk mail (List-Unsubscribe, List-Id or Precedence: bulk).
    bulk: bool,
    /// The sender address is an automated one (no-reply, notifications).
    automated: bool,
    claim: Option<bool>,
    best: Signals,
}

fn gather(contact: &ContactInfo, rows: &[Observation]) -> Facts {
    let mut f = Facts {
        bulk: true,
        ..Facts::default()
    };
    let (mut run, mut run_start) = (0usize, None::<i64>);
    let has = |o: &Observation, bit: u16| o.flags & bit != 0;
    for o in rows {
        f.connected_on = f.connected_on.or(o.connected_on);
        if !has(o, INCOMING) {
            if !has(o, SPONSORED) {
                f.you_replied = true;
                f.first_exchange = f.first_exchange.or(o.timestamp);
                run = 0;
                run_start = None;
            }
            continue;
        }
        f.from_sender += 1;
        f.sponsored += usize::from(has(o, SPONSORED));
        f.first_contact = f.first_contact.or(o.timestamp);
        f.claim = f.claim.or(o.claim);
        f.best.hard_sell = f.best.hard_sell.max(o.best.hard_sell);
        f.best.collector = f.best.collector.max(o.best.collector);
        f.opt_out |= has(o, OPT_OUT);
        f.bulk &= has(o, BULK);
        f.website_only |= has(o, WEBSITE_ONLY);
        if has(o, INVITATION) {
            f.invitations += 1;
            f.note = Some(if has(o, NOTE_NONE) {
                "none"
            } else if has(o, NOTE_GENERIC) {
                f.generic_text = o.generic_text.as_deref().map(str::to_string);
                "generic"
            } else {
                "personal"
            });
            continue;
        }
        f.first_exchange = f.first_exchange.or(o.timestamp);
        if has(o, PITCH) {
            f.pitches += 1;
            f.first_pitch = f.first_pitch.or(o.timestamp);
        }
        run += 1;
        run_start = run_start.or(o.timestamp);
        if run > f.unanswered {
            f.unanswered = run;
            f.unanswered_span_days = match (run_start, o.timestamp) {
                (Some(a), Some(b)) => (b - a) as f64 / 86_400.0,
                _ => 0.0,
            };
        }
    }
    f.automated = f.from_sender > 0 && AUTOMATED.iter().any(|a| contact.key.contains(a));
    f
}

fn judge(contact: &ContactInfo, rows: &[Observation], policy: Policy) -> Option<SenderReport> {
    let f = gather(contact, rows);
    if f.from_sender == 0 {
        return None;
    }
    // Without a Connected On date, the first exchange before the pitch stands for acceptance.
    let accepted = f.connected_on.or(f
        .first_exchange
        .filter(|&e| f.first_pitch.is_some_and(|p| e < p)));
    let pitch_delay = match (f.first_pitch, accepted) {
        (Some(p), Some(a)) => Some((p - a).max(0)),
        _ => None,
    };
    let followups = f.unanswered.saturating_sub(1);
    let mut evidence = Vec::new();
    let hard_sell = is_hard_sell(&f, pitch_delay, followups, policy, &mut evidence);
    let collector = !hard_sell && is_collector(&f, policy, &mut evidence);
    let verdict = if f.sponsored == f.from_sender {
        evidence = vec!["sponsored message (an ad)".into()];
        Verdict::Sponsored
    } else if f.bulk && f.opt_out && f.note.is_none() {
        evidence =
            vec!["bulk mail with an unsubscribe link (a newsletter or list, not a person)".into()];
        Verdict::Ok
    } else if f.automated && f.note.is_none() {
        evidence = vec!["automated notification (a no-reply address)".into()];
        Verdict::Ok
    } else if hard_sell {
        Verdict::HardSell
    } else if collector {
        Verdict::Collector
    } else {
        Verdict::Ok
    };
    if verdict == Verdict::Ok {
        let (p, kind) = if f.best.hard_sell >= f.best.collector {
            (f.best.hard_sell, "hard sell")
        } else {
            (f.best.collector, "collector")
        };
        if p >= 0.5 {
            evidence.push(
                format!(
                    "model: {:.0}% {kind}, not flagged under the {policy:?} policy",
                    p * 100.0
                )
                .to_lowercase(),
            );
        }
    }
    if f.you_replied {
        evidence.push("you replied".into());
    }
    if let Some(true) = f.claim {
        evidence.push("the mutual contact they name is among your connections".into());
    }
    let score = match verdict {
        Verdict::HardSell => f.best.hard_sell.max(0.5),
        Verdict::Collector => f.best.collector.max(0.5),
        Verdict::Sponsored => 1.0,
        Verdict::Ok => f.best.hard_sell.max(f.best.collector),
    };
    Some(SenderReport {
        sender: contact.name.clone(),
        profile_url: contact.key.clone(),
        verdict,
        score: (score * 10_000.0).round() / 10_000.0,
        messages: f.from_sender,
        first_contact: f.first_contact.map(dates::format).unwrap_or_default(),
        connected_on: f
            .connected_on
            .map(|t| dates::format(t)[..10].to_string())
            .unwrap_or_default(),
        time_to_first_pitch: pitch_delay.map(human_duration).unwrap_or_default(),
        unanswered_followups: followups,
        you_replied: f.you_replied,
        invitation_note: f.note.unwrap_or("").to_string(),
        evidence: evidence.join("; "),
    })
}

fn is_hard_sell(
    f: &Facts,
    pitch_delay: Option<i64>,
    followups: usize,
    policy: Policy,
    evidence: &mut Vec<String>,
) -> bool {
    let quick = pitch_delay.is_some_and(|d| d <= 2 * 86_400);
    let chasing = followups >= 2 && !f.you_replied;
    // A hard sell happens after connecting: someone who only ever sent an invitation is not one.
    let by_model = f.best.hard_sell >= policy.model_cut() && f.from_sender > f.invitations;
    let by_behaviour = f.pitches > 0
        && match policy {
            Policy::Open => chasing && quick,
            Policy::Balanced => chasing || (quick && !f.you_replied),
            Policy::Strict => chasing || quick || f.website_only,
        };
    if !(by_model || by_behaviour) {
        return false;
    }
    if let Some(d) = pitch_delay {
        evidence.push(format!(
            "pitched {} after you {}",
            human_duration(d),
            if f.connected_on.is_some() {
                "accepted"
            } else {
                "first talked"
            }
        ));
    } else if f.pitches > 0 {
        evidence.push("pitched".into());
    }
    if followups > 0 {
        let span = if f.unanswered_span_days >= 1.0 {
            format!(" over {:.0} days", f.unanswered_span_days)
        } else {
            String::new()
        };
        let replied = if f.you_replied {
            "with no reply in between"
        } else {
            "you never replied"
        };
        evidence.push(format!("{followups} follow-up(s){span}, {replied}"));
    }
    if !f.opt_out {
        evidence.push("no way to opt out".into());
    }
    if f.website_only {
        evidence.push("only justification is a website link".into());
    }
    if by_model {
        evidence.push(format!("model: {:.0}% hard sell", f.best.hard_sell * 100.0));
    }
    true
}

fn is_collector(f: &Facts, policy: Policy, evidence: &mut Vec<String>) -> bool {
    let false_claim = f.claim == Some(false);
    let empty_request =
        matches!(f.note, Some("none" | "generic")) && !f.you_replied && f.pitches == 0;
    let by_model = f.best.collector >= policy.model_cut() && !f.you_replied;
    let flagged = match policy {
        Policy::Open => false_claim,
        Policy::Balanced => false_claim || by_model || (empty_request && f.from_sender <= 2),
        Policy::Strict => {
            false_claim || by_model || empty_request || (f.note.is_some() && !f.you_replied)
        }
    };
    if !flagged {
        return false;
    }
    match (f.note, &f.generic_text) {
        (Some("none"), _) => evidence.push("invitation with no note".into()),
        (Some("generic"), Some(text)) => evidence.push(format!("generic note: \"{text}\"")),
        _ => {}
    }
    if false_claim {
        evidence.push("claims a mutual contact or friend who is not among your connections".into());
    }
    if !f.you_replied {
        evidence.push("no exchange with you".into());
    }
    if by_model {
        evidence.push(format!("model: {:.0}% collector", f.best.collector * 100.0));
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
