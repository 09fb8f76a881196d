//! Turns raw rows into [`Message`]s with their [`Thread`]: whose side each row is on, the key
//! of the other party (so an invitation and every conversation with one person form one
//! thread), sponsored conversations, connection dates and claimed mutual contacts.

use std::collections::{HashMap, HashSet};

use super::claims::{claimed_contact_in, known_names, KnownNames};
use super::invitations::RawInvitation;
use super::messages::RawMessage;
use super::owner::{Draft, Pass, RawRow, Scope};
use super::text::plain_text;
use super::{Connection, Owner};
use crate::error::Result;
use crate::read::{Message, Thread};

const HIDDEN_MEMBER: &str = "LinkedIn Member";
const SPONSORED_TITLE: &str = "Sponsored Conversation";

/// What the rows are joined against. Built by one pass over the rows that keeps per
/// conversation and per name a hashed key and at most one URL, never per-message state.
pub(super) struct Context {
    owner: Owner,
    /// Conversation id (hashed) → the one non-owner sender URL in it (for the 9-column
    /// layout, whose owner rows carry no recipient URL).
    conversation_party: HashMap<u64, Only>,
    /// Display name (hashed) → URL, for names that map to exactly one URL (5-column invitations).
    name_url: HashMap<u64, Only>,
    /// Conversations (hashed) holding an ad: the owner's button clicks in them are not replies.
    sponsored: HashSet<u64>,
    /// Profile URL (hashed) → when the connection was made.
    connected_by_url: HashMap<u64, i64>,
    /// Folded name (hashed) → when; used only when Connections.csv has no URL column.
    connected_by_name: Option<HashMap<u64, i64>>,
    /// Folded names of every connection, for claimed mutual contacts.
    known_names: KnownNames,
}

/// One URL, or a sign that there were several.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Only {
    One(String),
    Several,
}

impl Only {
    fn add(slot: &mut HashMap<u64, Only>, key: u64, url: &str) {
        match slot.get_mut(&key) {
            None => {
                slot.insert(key, Only::One(url.to_string()));
            }
            Some(Only::One(u)) if u != url => *slot.get_mut(&key).expect("present") = Only::Several,
            Some(_) => {}
        }
    }

    fn get<'a>(slot: &'a HashMap<u64, Only>, key: &str) -> Option<&'a str> {
        match slot.get(&hash(key)) {
            Some(Only::One(url)) if !key.is_empty() => Some(url),
            _ => None,
        }
    }
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
    /// Indexes the rows (read through `pass`, which also settles the owner's name) and the
    /// connections for the joins.
    pub fn new(mut owner: Draft, connections: &[Connection], pass: &mut Pass<'_>) -> Result<Self> {
        let mut ctx = Context {
            known_names: known_names(connections),
            owner: owner.provisional().clone(),
            conversation_party: HashMap::new(),
            name_url: HashMap::new(),
            sponsored: HashSet::new(),
            connected_by_url: HashMap::new(),
            connected_by_name: None,
        };
        let (mut senders, mut names, mut sponsored) =
            (HashMap::new(), HashMap::new(), HashSet::new());
        pass(Scope::All, &mut |row| {
            owner.see(row);
            ctx.index_row(row, &mut senders, &mut names, &mut sponsored);
        })?;
        ctx.owner = owner.owner(pass)?;
        ctx.conversation_party = senders;
        ctx.name_url = names;
        ctx.sponsored = sponsored;
        ctx.index_connections(connections);
        Ok(ctx)
    }

    /// Indexes one row for the joins (while the owner's name may still be provisional: the
    /// owner's rows are told by URL, or by a name that is already final when there is none).
    fn index_row(
        &self,
        row: RawRow<'_>,
        senders: &mut HashMap<u64, Only>,
        names: &mut HashMap<u64, Only>,
        sponsored: &mut HashSet<u64>,
    ) {
        match row {
            RawRow::Message(m) => {
                let owner_wrote = self.owner_wrote(m);
                if !m.conversation.is_empty() && is_sponsored(m, owner_wrote) {
                    sponsored.insert(hash(&m.conversation));
                }
                if let (false, Some(url)) = (owner_wrote, m.sender_url.as_deref()) {
                    Only::add(senders, hash(&m.conversation), url);
                    if m.from != HIDDEN_MEMBER {
                        Only::add(names, hash(&m.from), url);
                    }
                }
            }
            RawRow::Invitation(i) => {
                if let (name, Some(url)) = i.other_party() {
                    if name != HIDDEN_MEMBER {
                        Only::add(names, hash(name), url);
                    }
                }
            }
        }
    }

    /// The account owner.
    pub fn owner(&self) -> &Owner {
        &self.owner
    }

    fn index_connections(&mut self, connections: &[Connection]) {
        let dated = connections
            .iter()
            .filter_map(|c| c.connected_on.map(|d| (c, d)));
        self.connected_by_url = dated
            .clone()
            .filter_map(|(c, d)| Some((hash(c.profile_url.as_ref()?), d)))
            .collect();
        if connections.iter().all(|c| c.profile_url.is_none()) {
            self.connected_by_name = Some(
                dated
                    .filter(|(c, _)| !c.name.is_empty())
                    .map(|(c, d)| (hash(&fold(&c.name)), d))
                    .collect(),
            );
        }
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

    fn message_party(&self, m: &RawMessage, owner_wrote: bool) -> Party {
        let conv = || Party {
            key: conversation_key(m),
            name: if owner_wrote {
                m.to.clone()
            } else {
                m.from.clone()
            },
        };
        let others: Vec<&String> = m
            .recipient_urls
            .iter()
            .filter(|u| Some(*u) != self.owner.profile_url.as_ref())
            .collect();
        if others.len() > 1 {
            return conv();
        }
        if !owner_wrote {
            return match &m.sender_url {
                Some(url) => Party {
                    key: url.clone(),
                    name: m.from.clone(),
                },
                None if !m.conversation.is_empty()
                    || m.from == HIDDEN_MEMBER
                    || m.from.is_empty() =>
                {
                    conv()
                }
                None => Party {
                    key: m.from.clone(),
                    name: m.from.clone(),
                },
            };
        }
        let url = others
            .first()
            .map(|u| u.to_string())
            .or_else(|| Only::get(&self.conversation_party, &m.conversation).map(str::to_string));
        match url {
            Some(key) => Party {
                key,
                name: m.to.clone(),
            },
            None if m.to.is_empty() || m.to == HIDDEN_MEMBER => conv(),
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
        let key = Only::get(&self.name_url, name).unwrap_or(name).to_string();
        Party {
            key,
            name: name.to_string(),
        }
    }

    fn connected_on(&self, party: &Party) -> Option<i64> {
        if let Some(by_name) = &self.connected_by_name {
            return by_name.get(&hash(&fold(&party.name))).copied();
        }
        self.connected_by_url.get(&hash(&party.key)).copied()
    }

    fn thread(&self, party: Party, incoming: bool, text: &str, timestamp: Option<i64>) -> Thread {
        let claimed = incoming
            .then(|| claimed_contact_in(text, &self.known_names, &[&self.owner.name, &party.name]))
            .flatten()
            .map(|(_, known)| known);
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
        }
    }
}

impl Context {
    /// The message of one messages.csv row.
    pub fn message(&self, m: RawMessage) -> Message {
        let owner_wrote = self.owner_wrote(&m);
        let text = plain_text(&m.content);
        let mut thread = self.thread(
            self.message_party(&m, owner_wrote),
            !owner_wrote,
            &text,
            m.timestamp,
        );
        thread.sponsored = is_sponsored(&m, owner_wrote)
            || (!m.conversation.is_empty() && self.sponsored.contains(&hash(&m.conversation)));
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

/// An advertisement: LinkedIn's own title, or Message-Ad HTML from a sender without a profile.
fn is_sponsored(m: &RawMessage, owner_wrote: bool) -> bool {
    m.title.eq_ignore_ascii_case(SPONSORED_TITLE)
        || (!owner_wrote && m.sender_url.is_none() && m.spinmail)
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
