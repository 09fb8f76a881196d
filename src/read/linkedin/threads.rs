//! Turns raw rows into [`Message`]s with their [`Thread`]: whose side each row is on, the key
//! of the other party (so an invitation and every conversation with one person form one
//! thread), sponsored conversations, connection dates and claimed mutual contacts.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::claims::{claimed_contact_in, known_names};
use super::invitations::RawInvitation;
use super::messages::RawMessage;
use super::text::plain_text;
use super::{Connection, Owner};
use crate::read::{Message, Thread};

const HIDDEN_MEMBER: &str = "LinkedIn Member";
const SPONSORED_TITLE: &str = "Sponsored Conversation";
const SPINMAIL_MARK: &str = "spinmail-quill-editor";

/// What the rows are joined against.
pub(super) struct Context<'a> {
    owner: &'a Owner,
    connections: &'a [Connection],
    /// Conversation id → the one non-owner sender URL in it (for the 9-column layout, whose
    /// owner rows carry no recipient URL).
    conversation_party: HashMap<String, String>,
    /// Display name → URL, for names that map to exactly one URL (5-column invitations).
    name_url: HashMap<String, String>,
    connected_by_url: HashMap<String, i64>,
    /// Used only when Connections.csv has no URL column.
    connected_by_name: Option<HashMap<String, i64>>,
    /// Folded names of every connection, for claimed mutual contacts.
    known_names: std::collections::HashSet<String>,
}

/// The other party of a row: the thread key and a display name.
struct Party {
    key: String,
    name: String,
}

impl<'a> Context<'a> {
    /// Indexes the rows and connections for the joins.
    pub fn new(
        owner: &'a Owner,
        connections: &'a [Connection],
        messages: &[RawMessage],
        invitations: &[RawInvitation],
    ) -> Self {
        let mut ctx = Context {
            owner,
            connections,
            conversation_party: HashMap::new(),
            name_url: HashMap::new(),
            connected_by_url: HashMap::new(),
            connected_by_name: None,
            known_names: known_names(connections),
        };
        ctx.index_messages(messages, invitations);
        ctx.index_connections();
        ctx
    }

    fn index_messages(&mut self, messages: &[RawMessage], invitations: &[RawInvitation]) {
        let mut senders: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let mut names: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for m in messages.iter().filter(|m| !self.owner_wrote(m)) {
            if let Some(url) = m.sender_url.as_deref() {
                senders
                    .entry(m.conversation.as_str())
                    .or_default()
                    .insert(url);
                names.entry(m.from.as_str()).or_default().insert(url);
            }
        }
        for i in invitations {
            if let (name, Some(url)) = i.other_party() {
                names.entry(name).or_default().insert(url);
            }
        }
        let single = |(k, v): (&str, BTreeSet<&str>)| {
            (v.len() == 1 && !k.is_empty()).then(|| {
                (
                    k.to_string(),
                    v.into_iter().next().unwrap_or_default().to_string(),
                )
            })
        };
        self.conversation_party = senders.into_iter().filter_map(single).collect();
        self.name_url = names
            .into_iter()
            .filter(|(k, _)| *k != HIDDEN_MEMBER)
            .filter_map(single)
            .collect();
    }

    fn index_connections(&mut self) {
        let dated = self
            .connections
            .iter()
            .filter_map(|c| c.connected_on.map(|d| (c, d)));
        self.connected_by_url = dated
            .clone()
            .filter_map(|(c, d)| Some((c.profile_url.clone()?, d)))
            .collect();
        if self.connections.iter().all(|c| c.profile_url.is_none()) {
            self.connected_by_name = Some(
                dated
                    .filter(|(c, _)| !c.name.is_empty())
                    .map(|(c, d)| (fold(&c.name), d))
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
            .or_else(|| self.conversation_party.get(&m.conversation).cloned());
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
        let key = self
            .name_url
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_string());
        Party {
            key,
            name: name.to_string(),
        }
    }

    fn connected_on(&self, party: &Party) -> Option<i64> {
        if let Some(by_name) = &self.connected_by_name {
            return by_name.get(&fold(&party.name)).copied();
        }
        self.connected_by_url.get(&party.key).copied()
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

/// Builds the messages: invitations first, then messages.csv rows in file order.
pub(super) fn build(
    ctx: &Context,
    messages: &[RawMessage],
    invitations: &[RawInvitation],
) -> Vec<Message> {
    let sponsored = sponsored_conversations(ctx, messages);
    let mut out: Vec<Message> = invitations
        .iter()
        .map(|i| invitation_message(ctx, i))
        .collect();
    for m in messages {
        let owner_wrote = ctx.owner_wrote(m);
        let text = plain_text(&m.content);
        let mut thread = ctx.thread(
            ctx.message_party(m, owner_wrote),
            !owner_wrote,
            &text,
            m.timestamp,
        );
        thread.sponsored = is_sponsored(m, owner_wrote)
            || (!m.conversation.is_empty() && sponsored.contains(m.conversation.as_str()));
        out.push(Message {
            id: m.id.clone(),
            origin: m.origin.clone(),
            label: None,
            subject: plain_text(&m.subject),
            text,
            thread: Some(thread),
            mail: None,
        });
    }
    out
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
        || (!owner_wrote && m.sender_url.is_none() && m.content.contains(SPINMAIL_MARK))
}

/// Conversations holding an ad: the owner's button clicks in them are not replies.
fn sponsored_conversations<'m>(ctx: &Context, messages: &'m [RawMessage]) -> BTreeSet<&'m str> {
    messages
        .iter()
        .filter(|m| !m.conversation.is_empty() && is_sponsored(m, ctx.owner_wrote(m)))
        .map(|m| m.conversation.as_str())
        .collect()
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
