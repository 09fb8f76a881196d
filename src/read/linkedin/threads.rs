//! Turns raw rows into [`Message`]s with their [`Thread`]: whose side each row is on, the key
//! of the other party (so an invitation and every conversation with one person form one
//! thread), sponsored conversations, connection dates and claimed mutual contacts.

use std::collections::{HashMap, HashSet};

use super::claims::{claimed_contact_in, KnownNames};
use super::invitations::RawInvitation;
use super::messages::{note_key, RawMessage};
use super::owner::{Draft, Pass, RawRow, Scope};
use super::text::plain_text;
use super::{Connection, Owner};
use crate::error::Result;
use crate::read::{Copies, Message, Thread};

const HIDDEN_MEMBER: &str = "LinkedIn Member";
const SPONSORED_TITLE: &str = "Sponsored Conversation";

/// What the rows are joined against. Built by one pass over the rows that keeps per
/// conversation and per name a hashed key and at most one URL, never per-message state; of
/// those, only the ones a row will look up are kept after the pass.
pub(super) struct Context {
    owner: Owner,
    /// Conversation id (hashed) → the one non-owner sender URL in it (for the 9-column
    /// layout, whose owner rows carry no recipient URL).
    conversation_party: HashMap<u64, String>,
    /// Display name (hashed) → URL, for names that map to exactly one URL (5-column invitations).
    name_url: HashMap<u64, String>,
    /// Conversations (hashed) holding an ad: the owner's button clicks in them are not replies.
    sponsored: HashSet<u64>,
    /// When each connection was made, and their names.
    connected: Connected,
    /// Message rows that repeat an earlier one word for word (two exports joined end to end),
    /// by [`RawMessage::fingerprint`].
    copies: Copies,
    /// Invitations' notes and the rows that may repeat them, until the connections are known.
    pending_echoes: Echoes,
    /// Message rows that repeat an accepted invitation's note ([`Echoes`]), by fingerprint.
    echoes: HashSet<u64>,
}

/// Accepted invitations' notes as messages.csv repeats them: LinkedIn copies the note of an
/// accepted invitation into the conversation as its first message, dated at or after the
/// acceptance (FORMATS.md, seen in four real exports). Read as a message, the note would be
/// a second message "after connecting", a pitch the minute you accepted; it is the
/// invitation itself, so the copy is left out. The rows pass before the connections are
/// known: each note's candidate copies are gathered, and judged once they are
/// ([`Echoes::found`]).
#[derive(Default)]
struct Echoes {
    /// Each invitation with a note, by [`echo_key`] of its two parties' profile URLs when it
    /// has both, and of their names, with the note's text.
    keys: HashMap<u64, usize>,
    notes: Vec<Note>,
}

/// An invitation's note as [`Echoes`] follows it.
struct Note {
    /// The other party (not the owner): their profile URL, else their folded name, hashed,
    /// to find when you connected; and their name as written, hashed, to find their URL by
    /// the rows' join of names to URLs when the invitation has none (the 5-column layout).
    other_url: Option<u64>,
    other_name: u64,
    other_name_as_written: u64,
    /// The invitation names both parties' URLs: a message is matched to it by URL alone.
    by_url: bool,
    /// When the invitation was sent: its copy is not older (but for clocks in other zones).
    sent: Option<i64>,
    /// The message rows repeating the note's text between the two: date and fingerprint.
    copies: Vec<(Option<i64>, u64)>,
}

/// How long before the connection date a note's copy may be dated (a date without a time of
/// day, and clocks in other time zones), and how long after it.
const ECHO_BEFORE: i64 = 86_400;
const ECHO_AFTER: i64 = 3 * 86_400;

/// The key of a note (or message text, by [`note_key`]) between two parties, by URL or by
/// name (both files write a member's display name the same way).
fn echo_key(from: &str, to: &str, text: u64) -> u64 {
    let names = xxhash_rust::xxh3::xxh3_64_with_seed(to.trim().as_bytes(), text);
    xxhash_rust::xxh3::xxh3_64_with_seed(from.trim().as_bytes(), names)
}

impl Echoes {
    /// Notes an invitation's note, or a message row that repeats one (Invitations.csv is
    /// read before messages.csv).
    fn see(&mut self, row: RawRow<'_>) {
        match row {
            RawRow::Invitation(i) if !i.note.trim().is_empty() => {
                let text = note_key(&i.note);
                let (other_name, other_url) = i.other_party();
                let urls = i.inviter_url.as_deref().zip(i.invitee_url.as_deref());
                let index = self.notes.len();
                self.notes.push(Note {
                    other_url: other_url.map(hash),
                    other_name: hash(&fold(other_name)),
                    other_name_as_written: hash(other_name),
                    by_url: urls.is_some(),
                    sent: i.timestamp,
                    copies: Vec::new(),
                });
                self.keys.insert(echo_key(&i.from, &i.to, text), index);
                if let Some((from, to)) = urls {
                    self.keys.insert(echo_key(from, to, text), index);
                }
            }
            RawRow::Message(m) => {
                // Only a one-to-one row can be the copy (a group's names never match either).
                let one_to = m
                    .recipient_urls
                    .first()
                    .filter(|_| m.recipient_urls.len() == 1);
                let by_url = (m.sender_url.as_deref())
                    .zip(one_to)
                    .and_then(|(from, to)| self.keys.get(&echo_key(from, to, m.content_key)));
                let by_name = || {
                    let key = echo_key(&m.from, &m.to, m.content_key);
                    self.keys.get(&key).filter(|&&i| !self.notes[i].by_url)
                };
                if let Some(&i) = by_url.or_else(by_name) {
                    self.notes[i].copies.push((m.timestamp, m.fingerprint));
                }
            }
            RawRow::Invitation(_) => {}
        }
    }

    /// The fingerprints of the message rows that are copies of an accepted invitation's
    /// note: of each note whose other party is among the connections, the earliest copy dated
    /// from a day before the connection date (and the invitation) to three days after it,
    /// else an undated one. An invitation not accepted has no copy: a message with its text
    /// is a message.
    fn found(mut self, connected: &Connected, url_of: impl Fn(u64) -> Option<u64>) -> HashSet<u64> {
        for note in self.notes.iter_mut().filter(|n| n.other_url.is_none()) {
            note.other_url = url_of(note.other_name_as_written);
        }
        // Of several invitations between the two, the accepted one is the latest sent by the
        // time of connecting (an undated one only when none is dated).
        let mut accepted: HashMap<(Option<u64>, u64), (usize, i64)> = HashMap::new();
        for (i, note) in self.notes.iter().enumerate() {
            let Some(on) = connected.date_of(note.other_url, || note.other_name) else {
                continue;
            };
            let sent = note.sent.unwrap_or(i64::MIN);
            if sent > on + ECHO_AFTER {
                continue;
            }
            let party = (note.other_url, note.other_name);
            let latest = accepted.entry(party).or_insert((i, sent));
            if sent > latest.1 {
                *latest = (i, sent);
            }
        }
        let mut found = HashSet::new();
        let mut notes: Vec<Option<Note>> = self.notes.into_iter().map(Some).collect();
        for (i, _) in accepted.into_values() {
            let Some(note) = notes[i].take() else {
                continue;
            };
            let Some(on) = connected.date_of(note.other_url, || note.other_name) else {
                continue;
            };
            let from = (on - ECHO_BEFORE).max(note.sent.map_or(i64::MIN, |t| t - ECHO_BEFORE));
            let window = from..=on + ECHO_AFTER;
            let dated = (note.copies.iter())
                .filter_map(|&(at, f)| Some((at?, f)))
                .filter(|(at, _)| window.contains(at))
                .min();
            let undated = note.copies.iter().find(|(at, _)| at.is_none());
            if let Some(f) = dated.map(|(_, f)| f).or(undated.map(|&(_, f)| f)) {
                found.insert(f);
            }
        }
        found
    }
}

/// What the rows need of Connections.csv, hashed: built as the file streams by, so that the
/// connections themselves are never held.
pub(super) struct Connected {
    /// Profile URL (hashed) → when the connection was made.
    by_url: HashMap<u64, i64>,
    /// Folded name (hashed) → when; kept only while no connection has a URL (then the rows
    /// are joined by name).
    by_name: Option<HashMap<u64, i64>>,
    /// Folded names (hashed) of every connection, for claimed mutual contacts.
    known_names: HashSet<u64>,
    /// Whether a Connections.csv was read: without one, no claim can be checked.
    listed: bool,
}

impl Default for Connected {
    fn default() -> Self {
        Connected {
            by_url: HashMap::new(),
            by_name: Some(HashMap::new()),
            known_names: HashSet::new(),
            listed: false,
        }
    }
}

impl Connected {
    /// Notes that the connections are listed (a Connections.csv was found), however many.
    pub fn listed(&mut self) {
        self.listed = true;
    }

    /// Indexes the next connection (a later row wins over an earlier one with the same key).
    pub fn add(&mut self, c: &Connection) {
        let folded = hash(&fold(&c.name));
        self.known_names.insert(folded);
        if c.profile_url.is_some() {
            self.by_name = None;
        }
        let Some(date) = c.connected_on else {
            return;
        };
        if let Some(url) = &c.profile_url {
            self.by_url.insert(hash(url), date);
        } else if let Some(by_name) = self.by_name.as_mut().filter(|_| !c.name.is_empty()) {
            by_name.insert(folded, date);
        }
    }

    /// When the connection with this profile URL (or, when no connection has a URL, this
    /// folded name), both hashed, was made.
    fn date_of(&self, url: Option<u64>, name: impl FnOnce() -> u64) -> Option<i64> {
        match &self.by_name {
            Some(by_name) => by_name.get(&name()).copied(),
            None => self.by_url.get(&url?).copied(),
        }
    }

    /// Whether a folded name is a connection's; unknown without a Connections.csv.
    fn knows(&self, folded: &str) -> Option<bool> {
        self.listed
            .then(|| self.known_names.contains(&hash(folded)))
    }
}

/// What the indexing pass gathers, before only what the rows will look up is kept.
#[derive(Default)]
struct Index {
    /// Conversation (hashed) → its non-owner sender URL.
    party: HashMap<u64, Only>,
    /// Name (hashed) → its URL.
    named: HashMap<u64, Only>,
    /// The URLs of both, end to end: one allocation, freed whole after the pass (a string
    /// per entry would leave the heap full of holes).
    urls: Urls,
    sponsored: HashSet<u64>,
    /// Conversations and names (hashed) that rows will look up.
    wanted_conversations: HashSet<u64>,
    wanted_names: HashSet<u64>,
}

/// Strings end to end, numbered in order.
#[derive(Default)]
struct Urls {
    text: String,
    ends: Vec<usize>,
}

impl Urls {
    fn push(&mut self, url: &str) -> u32 {
        self.text.push_str(url);
        self.ends.push(self.text.len());
        // Two per row at most: 2^32 of them would not fit in memory anyway.
        (self.ends.len() - 1) as u32
    }

    fn get(&self, i: u32) -> &str {
        let i = i as usize;
        let start = i.checked_sub(1).map_or(0, |before| self.ends[before]);
        &self.text[start..self.ends[i]]
    }
}

/// One URL (a number in [`Urls`]), or a sign that there were several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Only {
    One(u32),
    Several,
}

impl Only {
    fn add(slot: &mut HashMap<u64, Only>, urls: &mut Urls, key: u64, url: &str) {
        match slot.get(&key) {
            None => {
                slot.insert(key, Only::One(urls.push(url)));
            }
            Some(&Only::One(u)) if urls.get(u) != url => {
                slot.insert(key, Only::Several);
            }
            Some(_) => {}
        }
    }
}

/// The entries of a join that name one URL and that some row will look up.
fn only_wanted(
    join: HashMap<u64, Only>,
    wanted: &HashSet<u64>,
    urls: &Urls,
) -> HashMap<u64, String> {
    join.into_iter()
        .filter_map(|(key, only)| match only {
            Only::One(u) if wanted.contains(&key) => Some((key, urls.get(u).to_string())),
            _ => None,
        })
        .collect()
}

/// The URL a join gives `key` (never for an empty key).
fn joined<'a>(join: &'a HashMap<u64, String>, key: &str) -> Option<&'a str> {
    join.get(&hash(key))
        .filter(|_| !key.is_empty())
        .map(String::as_str)
}

fn hash(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

/// The other party of a row: the thread key and a display name.
struct Party {
    key: String,
    name: String,
}

impl Context {
    /// Indexes the rows (read through `pass`, which also settles the owner's name) for the
    /// joins with each other; [`Context::with_connections`] adds the connections.
    pub fn new(mut owner: Draft, pass: &mut Pass<'_>) -> Result<Self> {
        let mut ctx = Context {
            owner: owner.provisional().clone(),
            conversation_party: HashMap::new(),
            name_url: HashMap::new(),
            sponsored: HashSet::new(),
            connected: Connected::default(),
            copies: Copies::default(),
            pending_echoes: Echoes::default(),
            echoes: HashSet::new(),
        };
        let mut index = Index::default();
        let mut copy_keys: Vec<u32> = Vec::new();
        let mut echoes = Echoes::default();
        pass(Scope::All, &mut |row| {
            owner.see(row);
            ctx.index_row(row, &mut index);
            echoes.see(row);
            copy_keys.push(Copies::key(match row {
                RawRow::Message(m) => m.fingerprint,
                RawRow::Invitation(i) => i.fingerprint,
            }));
        })?;
        ctx.copies = Copies::new(copy_keys);
        ctx.pending_echoes = echoes;
        ctx.owner = owner.owner(pass)?;
        ctx.conversation_party = only_wanted(index.party, &index.wanted_conversations, &index.urls);
        ctx.name_url = only_wanted(index.named, &index.wanted_names, &index.urls);
        index.sponsored.shrink_to_fit();
        ctx.sponsored = index.sponsored;
        Ok(ctx)
    }

    /// Whether a message row with `fingerprint` repeats one met before in this pass
    /// (`met` holds, per pass, the repeated fingerprints met so far).
    pub fn is_copy(&self, fingerprint: u64, met: &mut HashSet<u64>) -> bool {
        self.copies.is_copy(fingerprint, met)
    }

    /// Whether a message row with `fingerprint` is an accepted invitation's note repeated
    /// ([`Echoes`]).
    pub fn is_echo(&self, fingerprint: u64) -> bool {
        self.echoes.contains(&fingerprint)
    }

    /// Indexes one row for the joins (while the owner's name may still be provisional: the
    /// owner's rows are told by URL, or by a name that is already final when there is none),
    /// and notes the keys it will look up when it is joined (see [`Context::message_party`]
    /// and [`Context::named_party`]).
    fn index_row(&self, row: RawRow<'_>, index: &mut Index) {
        match row {
            RawRow::Message(m) => {
                let owner_wrote = self.owner_wrote(m);
                if !m.conversation.is_empty() && is_sponsored(m, owner_wrote) {
                    index.sponsored.insert(hash(&m.conversation));
                }
                if let (false, Some(url)) = (owner_wrote, m.sender_url.as_deref()) {
                    Only::add(
                        &mut index.party,
                        &mut index.urls,
                        hash(&m.conversation),
                        url,
                    );
                    if m.from != HIDDEN_MEMBER {
                        Only::add(&mut index.named, &mut index.urls, hash(&m.from), url);
                    }
                }
                if owner_wrote && self.other_urls(m).next().is_none() {
                    index.wanted_conversations.insert(hash(&m.conversation));
                    index.wanted_names.insert(hash(&m.to));
                }
            }
            RawRow::Invitation(i) => match i.other_party() {
                (name, Some(url)) if name != HIDDEN_MEMBER => {
                    Only::add(&mut index.named, &mut index.urls, hash(name), url);
                }
                (_, Some(_)) => {}
                (name, None) => {
                    index.wanted_names.insert(hash(name));
                }
            },
        }
    }

    /// The context joined with the connections too.
    pub fn with_connections(mut self, connected: Connected) -> Self {
        let name_url = &self.name_url;
        let url_of = |name: u64| name_url.get(&name).map(|url| hash(url));
        self.echoes = std::mem::take(&mut self.pending_echoes).found(&connected, url_of);
        Context { connected, ..self }
    }

    /// The account owner.
    pub fn owner(&self) -> &Owner {
        &self.owner
    }

    /// True when the owner sent the row.
    fn owner_wrote(&self, m: &RawMessage) -> bool {
        if let Some(outgoing) = m.outgoing {
            return outgoing;
        }
        match (&self.owner.profile_url, &m.sender_url) {
            (Some(owner), Some(sender)) => owner == sender,
            (Some(_), None) => false,
            (None, _) => !m.from.is_empty() && m.from.eq_ignore_ascii_case(&self.owner.name),
        }
    }

    /// The places of the row's recipient URLs that are not the owner's.
    fn other_urls<'m>(&self, m: &'m RawMessage) -> impl Iterator<Item = usize> + use<'m, '_> {
        let owner = self.owner.profile_url.as_ref();
        (m.recipient_urls.iter().enumerate())
            .filter(move |&(_, u)| Some(u) != owner)
            .map(|(i, _)| i)
    }

    /// Who the row is with; the names and URL it needs are moved out of `m`.
    fn message_party(&self, m: &mut RawMessage, owner_wrote: bool) -> Party {
        let conv = |m: &mut RawMessage| Party {
            key: conversation_key(m),
            name: std::mem::take(if owner_wrote { &mut m.to } else { &mut m.from }),
        };
        // The first recipient URL not the owner's, by its place, and whether there are more.
        let (first, more) = {
            let mut others = self.other_urls(m);
            (others.next(), others.next().is_some())
        };
        if more {
            return conv(m);
        }
        if !owner_wrote {
            return match m.sender_url.take() {
                Some(key) => Party {
                    key,
                    name: std::mem::take(&mut m.from),
                },
                None if !m.conversation.is_empty()
                    || m.from == HIDDEN_MEMBER
                    || m.from.is_empty() =>
                {
                    conv(m)
                }
                None => Party {
                    key: m.from.clone(),
                    name: std::mem::take(&mut m.from),
                },
            };
        }
        let url = (first.map(|i| std::mem::take(&mut m.recipient_urls[i])))
            .or_else(|| joined(&self.conversation_party, &m.conversation).map(str::to_string));
        match url {
            Some(key) => Party {
                key,
                name: std::mem::take(&mut m.to),
            },
            None if m.to.is_empty() || m.to == HIDDEN_MEMBER => conv(m),
            None => self.named_party(&m.to),
        }
    }

    fn invitation_party(&self, i: &RawInvitation) -> Party {
        match i.other_party() {
            (name, Some(url)) => Party {
                key: url.to_string(),
                name: name.to_string(),
            },
            (name, None) => self.named_party(name),
        }
    }

    /// A party known only by name: its URL when the name maps to exactly one.
    fn named_party(&self, name: &str) -> Party {
        let key = joined(&self.name_url, name).unwrap_or(name).to_string();
        Party {
            key,
            name: name.to_string(),
        }
    }

    fn connected_on(&self, party: &Party) -> Option<i64> {
        (self.connected).date_of(Some(hash(&party.key)), || hash(&fold(&party.name)))
    }

    fn thread(&self, party: Party, incoming: bool, text: &str, timestamp: Option<i64>) -> Thread {
        let claimed = incoming
            .then(|| {
                // Against no names, the claim comes back with the name it found, which is then
                // looked up among the connections' (hashed) names here.
                claimed_contact_in(
                    text,
                    &KnownNames::default(),
                    &[&self.owner.name, &party.name],
                )
            })
            .flatten()
            .and_then(|(name, _)| self.connected.knows(&fold(&name)));
        Thread {
            conversation: party.key.clone(),
            connected_on: self.connected_on(&party),
            contact: party.key,
            contact_name: party.name,
            incoming,
            invitation: false,
            timestamp,
            claimed_contact: claimed,
            sponsored: false,
            // messages.csv holds what the owner sent as well as what they received.
            replies_included: true,
            to_self: false,
        }
    }
}

impl Context {
    /// The message of one messages.csv row.
    pub fn message(&self, mut m: RawMessage) -> Message {
        let owner_wrote = self.owner_wrote(&m);
        let text = plain_text(&m.content);
        let sponsored = is_sponsored(&m, owner_wrote)
            || (!m.conversation.is_empty() && self.sponsored.contains(&hash(&m.conversation)));
        let party = self.message_party(&mut m, owner_wrote);
        let mut thread = self.thread(party, !owner_wrote, &text, m.timestamp);
        thread.sponsored = sponsored;
        Message {
            id: m.id,
            origin: m.origin,
            label: None,
            subject: plain_text(&m.subject),
            text,
            thread: Some(thread),
            mail: None,
        }
    }

    /// The message of one invitation.
    pub fn invitation(&self, i: RawInvitation) -> Message {
        invitation_message(self, &i)
    }
}

fn invitation_message(ctx: &Context, i: &RawInvitation) -> Message {
    let text = plain_text(&i.note);
    let mut thread = ctx.thread(ctx.invitation_party(i), !i.outgoing, &text, i.timestamp);
    thread.invitation = true;
    Message {
        id: i.id.clone(),
        origin: i.origin.clone(),
        label: None,
        subject: String::new(),
        text,
        thread: Some(thread),
        mail: None,
    }
}

/// An advertisement: LinkedIn's own title, or from a sender without a profile, Message-Ad
/// HTML or a name that is no member's ([`promoter`]).
fn is_sponsored(m: &RawMessage, owner_wrote: bool) -> bool {
    // Only the 2018 layout says Direction; it has no profile URL column either.
    let urls = m.outgoing.is_none();
    m.title.eq_ignore_ascii_case(SPONSORED_TITLE)
        || (!owner_wrote && m.sender_url.is_none() && (m.spinmail || promoter(&m.from, urls)))
}

/// A sender name of LinkedIn's own promotions (FORMATS.md §1.2): "Liza from LinkedIn
/// Premium", "Kate Mallord, LinkedIn", "… från LinkedIn", "Angela from" (the 2018 file cuts
/// "LinkedIn …" off); and, where the layout has profile URLs (`urls`: every era but 2018's,
/// where no sender has one), a company page's ("Nordlicht Business School"). A person who
/// names their trade ("Sarah Lee - LinkedIn Lead Gen", "Mike Jones | Growth Agency") is not one.
pub(super) fn promoter(from: &str, urls: bool) -> bool {
    let lower = from.trim().to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let cut = matches!(words.len(), 2..=3) && words.last() == Some(&"from");
    let staff = [
        " from linkedin",
        " från linkedin",
        "teamet bakom linkedin",
        "the linkedin team",
    ]
    .iter()
    .any(|s| lower.contains(s))
        || lower.ends_with(", linkedin");
    cut || staff || (urls && super::claims::organisation_name(from))
}

/// `conv:<CONVERSATION ID>`, or `conv:<file>:<line>` in the 2018 layout (no ids), so that
/// hidden members are never merged by name.
fn conversation_key(m: &RawMessage) -> String {
    if m.conversation.is_empty() {
        format!("conv:{}", m.id)
    } else {
        format!("conv:{}", m.conversation)
    }
}

use super::claims::fold;
