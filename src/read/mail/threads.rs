//! Each message's [`Thread`]: its conversation, the correspondent (the sender, or for the
//! owner's own mail the first recipient), direction, date and LinkedIn invitation flag.
//!
//! The conversation is the real thread, so a reply chain is one conversation whoever writes
//! in it: Gmail's `X-GM-THRID` (`thr:<id>`) when the message has one; else the reply chain
//! that `Message-ID`, `References` and `In-Reply-To` link (`mid:<hash>`, joining a Gmail
//! thread when the chain reaches a Gmail message); else, with no ids at all, the
//! correspondent. The contact stays the correspondent, so senders are judged across all
//! their threads.
//!
//! The chains come from a [`ThreadIndexer`] fed by the index pass: message ids are hashed to
//! `u64` and only ids that link two messages are kept (a union-find), and the finished index
//! is a sorted list of (id, chain) pairs: 16 bytes per id of a threaded message, nothing for
//! the rest, no text.

use std::collections::HashMap;

use xxhash_rust::xxh3::xxh3_64;

use super::headers::ThreadIds;
use super::parse::{ParsedMail, Party};
use crate::read::{Message, Origin, Thread};

/// Gathers the reply chains of a mailbox, one message at a time.
#[derive(Debug, Default)]
pub(super) struct ThreadIndexer {
    /// Union-find over hashed ids: id → parent (roots point to themselves). Ids of messages
    /// that link to nothing are left out: they are their own root.
    parent: HashMap<u64, u64>,
    /// Hashed Message-ID → Gmail thread, of every message with an X-GM-THRID.
    gmail_ids: HashMap<u64, u64>,
    /// Some message has ids but no X-GM-THRID (only then are `gmail_ids` needed).
    mixed: bool,
}

/// The reply chains of a mailbox, ready to key each message's conversation.
#[derive(Debug, Default)]
pub(super) struct ThreadIndex {
    /// (hashed id, the smallest hash of its chain), sorted, for ids that link two or more
    /// messages.
    root: SortedMap,
    /// Chain root → Gmail thread, for chains that reach a message with an X-GM-THRID
    /// (the smallest thread when they reach several).
    gmail_root: HashMap<u64, u64>,
    /// Hashed Message-ID → Gmail thread, for copies of Gmail messages found without one
    /// (empty unless the mailbox mixes Gmail and other mail).
    gmail_ids: SortedMap,
}

/// A read-only u64 → u64 map in 16 bytes an entry (a hash map takes up to twice that).
#[derive(Debug, Default)]
struct SortedMap(Vec<(u64, u64)>);

impl SortedMap {
    fn new(map: HashMap<u64, u64>) -> Self {
        let mut pairs: Vec<(u64, u64)> = map.into_iter().collect();
        pairs.sort_unstable();
        SortedMap(pairs)
    }

    fn get(&self, key: u64) -> Option<u64> {
        let at = self.0.binary_search_by_key(&key, |&(k, _)| k).ok()?;
        Some(self.0[at].1)
    }
}

impl ThreadIndexer {
    /// Adds one message's ids.
    pub(super) fn add(&mut self, ids: &ThreadIds) {
        if let Some(gmail) = &ids.gmail {
            if let Some(id) = &ids.id {
                self.gmail_ids.insert(hash(id), gmail_thread(gmail));
            }
            return; // Gmail's threads are Gmail's to make
        }
        let mut nodes = ids.id.iter().chain(&ids.parents).map(|id| hash(id));
        let Some(first) = nodes.next() else {
            return;
        };
        self.mixed = true;
        for other in nodes {
            self.union(first, other);
        }
    }

    /// Points every id straight at its chain's root, in a sorted list.
    pub(super) fn finish(mut self) -> ThreadIndex {
        let ids: Vec<u64> = self.parent.keys().copied().collect();
        for id in ids {
            let root = self.find(id);
            self.parent.insert(id, root);
        }
        let root = SortedMap::new(std::mem::take(&mut self.parent));
        let mut gmail_root: HashMap<u64, u64> = HashMap::new();
        for (&id, &thread) in &self.gmail_ids {
            if let Some(r) = root.get(id) {
                let kept = gmail_root.entry(r).or_insert(thread);
                *kept = (*kept).min(thread);
            }
        }
        let gmail_ids = if self.mixed {
            SortedMap::new(self.gmail_ids)
        } else {
            SortedMap::default()
        };
        ThreadIndex {
            root,
            gmail_root,
            gmail_ids,
        }
    }

    fn find(&mut self, mut id: u64) -> u64 {
        loop {
            let parent = self.parent.get(&id).copied().unwrap_or(id);
            if parent == id {
                return id;
            }
            let grandparent = self.parent.get(&parent).copied().unwrap_or(parent);
            self.parent.insert(id, grandparent); // path halving
            id = grandparent;
        }
    }

    /// Joins the chains of `a` and `b`; the smaller root wins, so the result does not depend
    /// on the order messages come in.
    fn union(&mut self, a: u64, b: u64) {
        let (a, b) = (self.find(a), self.find(b));
        let (low, high) = (a.min(b), a.max(b));
        self.parent.entry(low).or_insert(low);
        self.parent.insert(high, low);
    }
}

impl ThreadIndex {
    /// The conversation key of a message: `thr:<X-GM-THRID>` (also for a chain reaching a
    /// Gmail message), `mid:<chain hash>` for other chains, `None` without any id.
    pub(super) fn conversation(&self, ids: &ThreadIds) -> Option<String> {
        if let Some(gmail) = &ids.gmail {
            return Some(format!("thr:{}", gmail_thread(gmail)));
        }
        let node = hash(ids.id.as_ref().or(ids.parents.first())?);
        let root = self.root.get(node).unwrap_or(node);
        let gmail = self
            .gmail_root
            .get(&root)
            .copied()
            .or_else(|| self.gmail_ids.get(node));
        Some(match gmail {
            Some(thread) => format!("thr:{thread}"),
            None => format!("mid:{root:016x}"),
        })
    }
}

fn hash(id: &str) -> u64 {
    xxh3_64(id.as_bytes())
}

/// Gmail's thread id is a decimal u64; anything else is hashed, so it still keys one thread.
fn gmail_thread(raw: &str) -> u64 {
    raw.parse().unwrap_or_else(|_| hash(raw))
}

/// Turns a parsed mail into a [`Message`] with its thread; `text` false leaves subject and
/// body empty.
pub(super) fn message(
    owner: &[String],
    index: &ThreadIndex,
    origin: Origin,
    label: Option<String>,
    mail: ParsedMail,
    text: bool,
) -> Message {
    let mut thread = thread(owner, &mail, index.conversation(&mail.thread_ids));
    if thread.contact == NO_ADDRESS {
        // Mail that names no address is no one sender's: each is judged alone, keyed by
        // where it is (the same in every pass), as a table's rows without a sender are.
        thread.contact = format!("{NO_ADDRESS} {origin}");
        if thread.conversation == NO_ADDRESS {
            thread.conversation = thread.contact.clone();
        }
    }
    let (subject, body) = if text {
        (mail.subject, mail.text)
    } else {
        (String::new(), String::new())
    };
    Message {
        id: origin.to_string(),
        origin,
        label,
        subject,
        text: body,
        thread: Some(thread),
        mail: Some(mail.headers),
    }
}

/// The sender of mail that names no address (no `From:`, or sent mail with no `To:`).
const NO_ADDRESS: &str = "(no address)";

/// Whether a mail's thread names no address for its correspondent (judged alone).
pub(super) fn names_no_address(thread: &Thread) -> bool {
    thread.contact_name == NO_ADDRESS
}

/// Before the address, the key of a sender who forged your address: kept apart from the
/// notes you sent yourself there.
pub const FORGED: &str = "forged:";

fn thread(owner: &[String], mail: &ParsedMail, conversation: Option<String>) -> Thread {
    let yours = owner.contains(&mail.from.address);
    // Your address forged by someone else: their mail, a sender of its own.
    let forged = yours && mail.received_in_your_name();
    let outgoing = mail.has_sent_label() || (yours && !forged);
    let correspondent: Party = if outgoing {
        mail.recipients.first().cloned().unwrap_or_default()
    } else {
        mail.from.clone()
    };
    // LinkedIn notifications all come from one address; the person behind an invitation is
    // the display name, so each inviter is a sender of their own.
    let contact = if forged {
        format!("{FORGED}{}", correspondent.address)
    } else if mail.headers.linkedin_invitation && !correspondent.name.is_empty() {
        format!("linkedin:{}", correspondent.name.to_lowercase())
    } else if correspondent.address.is_empty() {
        // No From (or, sent, no To): one sender, named for what it is, not a blank row.
        NO_ADDRESS.to_string()
    } else {
        correspondent.address.clone()
    };
    let contact_name = match correspondent.name.is_empty() && correspondent.address.is_empty() {
        true => NO_ADDRESS.to_string(),
        false if forged => format!("{} (your address, forged)", correspondent.address),
        false => correspondent.name,
    };
    Thread {
        conversation: conversation.unwrap_or_else(|| contact.clone()),
        contact,
        contact_name,
        incoming: !outgoing,
        invitation: mail.headers.linkedin_invitation,
        timestamp: mail.timestamp,
        connected_on: None,
        claimed_contact: None,
        sponsored: false,
        replies_included: false,
        to_self: outgoing
            && !mail.recipients.is_empty()
            && mail.recipients.iter().all(|r| owner.contains(&r.address)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(gmail: Option<&str>, id: Option<&str>, parents: &[&str]) -> ThreadIds {
        ThreadIds {
            gmail: gmail.map(str::to_string),
            id: id.map(str::to_string),
            parents: parents.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn keys(mails: &[ThreadIds]) -> Vec<Option<String>> {
        let mut indexer = ThreadIndexer::default();
        mails.iter().for_each(|m| indexer.add(m));
        let index = indexer.finish();
        mails.iter().map(|m| index.conversation(m)).collect()
    }

    #[test]
    fn a_reply_chain_is_one_conversation_whatever_the_order_or_missing_links() {
        let mails = [
            ids(None, Some("c@x"), &["b@x"]), // In-Reply-To only, before its parent
            ids(None, Some("a@x"), &[]),
            ids(None, Some("b@x"), &["a@x"]),
            ids(None, Some("d@x"), &["a@x", "c@x"]),
            ids(None, None, &["c@x"]), // no Message-ID of its own
            ids(None, Some("z@x"), &[]),
            ids(None, None, &[]),
        ];
        let k = keys(&mails);
        assert!(k[..5].iter().all(|key| key == &k[0]), "{k:?}");
        assert!(k[0].as_deref().unwrap().starts_with("mid:"));
        assert_ne!(k[5], k[0]);
        assert_eq!(k[6], None);
        let mut reversed = mails.to_vec();
        reversed.reverse();
        let mut again = keys(&reversed);
        again.reverse();
        assert_eq!(again, k);
    }

    #[test]
    fn gmail_threads_win_and_pull_in_replies_found_without_one() {
        let mails = [
            ids(Some("17"), Some("a@x"), &[]),
            ids(Some("17"), Some("b@x"), &["a@x"]),
            ids(Some("18"), Some("c@x"), &["a@x"]), // Gmail split it off: Gmail decides
            ids(None, Some("r@me"), &["b@x"]),      // the owner's reply, from another client
            ids(None, Some("a@x"), &[]),            // a copy of a Gmail message
            ids(Some("not a number"), None, &[]),
        ];
        let k = keys(&mails);
        let thr17 = Some("thr:17".to_string());
        assert_eq!([&k[0], &k[1], &k[3], &k[4]], [&thr17; 4]);
        assert_eq!(k[2].as_deref(), Some("thr:18"));
        assert!(k[5].as_deref().unwrap().starts_with("thr:"));
    }

    fn mail(from: &str, to: &str) -> ParsedMail {
        ParsedMail {
            from: Party {
                address: from.into(),
                name: format!("Name of {from}"),
            },
            recipients: vec![Party {
                address: to.into(),
                name: "Recipient".into(),
            }],
            ..ParsedMail::default()
        }
    }

    #[test]
    fn the_owners_mail_is_outgoing_to_its_first_recipient() {
        let owner = vec!["me@b.com".to_string()];
        let index = ThreadIndex::default();
        let build = |m| message(&owner, &index, Origin::default(), None, m, true);
        let out = build(mail("me@b.com", "a@x.com")).thread.unwrap();
        assert!(!out.incoming);
        assert_eq!(
            (out.contact.as_str(), out.contact_name.as_str()),
            ("a@x.com", "Recipient")
        );
        let back = build(mail("a@x.com", "me@b.com")).thread.unwrap();
        assert!(back.incoming);
        assert_eq!(back.conversation, "a@x.com"); // no ids: the correspondent
        assert_eq!(back.contact_name, "Name of a@x.com");
    }
}
