//! Who the account owner is. The export never says, and the owner's sent messages sit in
//! INBOX like everything else. In order: the `--me` override; the owner's side of
//! Invitations.csv (inviter of OUTGOING rows, invitee of INCOMING rows); the profile URL seen
//! in most conversations; the name on the owner's side of the 2018 Direction column or of
//! 5-column invitations; the name in most messages.
//!
//! The rows are streamed: one pass gathers counts (per name and URL, never per message), and
//! a second pass, when needed, finds the name that goes with the URL found.

use std::collections::{BTreeMap, HashSet};

use super::invitations::RawInvitation;
use super::messages::RawMessage;
use super::{normalize_profile_url, Owner};
use crate::error::{Error, Result};

const HIDDEN_MEMBER: &str = "LinkedIn Member";

/// One row of the export as the owner detection sees it.
#[derive(Clone, Copy)]
pub(super) enum RawRow<'a> {
    /// A row of Invitations.csv.
    Invitation(&'a RawInvitation),
    /// A row of messages.csv.
    Message(&'a RawMessage),
}

/// Which rows a pass reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    /// Invitations.csv, then messages.csv.
    All,
    /// Invitations.csv only (small: a few months of requests).
    Invitations,
}

/// Reads the rows of the export in `Scope` once more, in order, giving each to the visitor.
pub(super) type Pass<'p> = dyn FnMut(Scope, &mut dyn FnMut(RawRow<'_>)) -> Result<()> + 'p;

/// Works out the owner from rows in memory; `me` is a profile URL or a display name.
#[cfg(test)]
pub(super) fn detect(
    me: Option<&str>,
    messages: &[RawMessage],
    invitations: &[RawInvitation],
) -> Owner {
    let mut pass = |scope: Scope, visit: &mut dyn FnMut(RawRow<'_>)| {
        invitations
            .iter()
            .for_each(|i| visit(RawRow::Invitation(i)));
        if scope == Scope::All {
            messages.iter().for_each(|m| visit(RawRow::Message(m)));
        }
        Ok(())
    };
    let mut draft = detect_streamed(me, &mut pass).expect("rows in memory");
    pass(Scope::All, &mut |row| draft.see(row)).expect("rows in memory");
    draft.owner(&mut pass).expect("rows in memory")
}

/// The owner as far as one pass tells: the profile URL is settled; the name that goes with it
/// comes from the rows of the next pass, which the caller shows to [`Draft::see`] (so that
/// pass can do other work too).
pub(super) struct Draft {
    owner: Owner,
    /// The name is settled (`--me`, or no URL was found).
    settled: bool,
    /// The URL came from the invitations alone, so the fallback name (from every row) was
    /// not counted: [`Draft::owner`] counts it if the URL's own rows name nobody.
    fallback_pending: bool,
    senders: BTreeMap<String, usize>,
    invited: BTreeMap<String, usize>,
}

impl Draft {
    /// The owner so far: the profile URL is final; the name is final when there is no URL.
    pub fn provisional(&self) -> &Owner {
        &self.owner
    }

    /// Counts the names sent from, or invited as, the owner's URL.
    pub fn see(&mut self, row: RawRow<'_>) {
        let Some(url) = self.owner.profile_url.as_deref().filter(|_| !self.settled) else {
            return;
        };
        match row {
            RawRow::Message(m) if m.sender_url.as_deref() == Some(url) => {
                count(&mut self.senders, &m.from)
            }
            RawRow::Invitation(i) if i.owner_side().1 == Some(url) => {
                count(&mut self.invited, i.owner_side().0)
            }
            _ => {}
        }
    }

    /// The owner: the name most often sent from the URL, else the owner's side of invitations
    /// with it, else the name on the owner's side or on the most rows (one more pass over the
    /// rows only when that is needed and was not counted).
    pub fn owner(self, pass: &mut Pass<'_>) -> Result<Owner> {
        let mut owner = self.owner;
        if self.settled {
            return Ok(owner);
        }
        if let Some(name) = most_common(self.senders).or_else(|| most_common(self.invited)) {
            owner.name = name;
        } else if self.fallback_pending {
            let mut counts = Counts::default();
            pass(Scope::All, &mut |row| counts.add(row))?;
            owner.name = counts.fallback_name();
        }
        Ok(owner)
    }
}

/// Works out the owner's URL (and a fallback name) in one pass; `--me` may take another.
pub(super) fn detect_streamed(me: Option<&str>, pass: &mut Pass<'_>) -> Result<Draft> {
    let settled = |owner| Draft {
        owner,
        settled: true,
        fallback_pending: false,
        senders: BTreeMap::new(),
        invited: BTreeMap::new(),
    };
    if let Some(me) = me.map(str::trim).filter(|m| !m.is_empty()) {
        return from_override(me, pass).map(settled);
    }
    // The invitations name the owner's URL on their side: when they do, messages.csv need not
    // be read for it.
    let mut counts = Counts::default();
    pass(Scope::Invitations, &mut |row| counts.add(row))?;
    let fallback_pending = !counts.invitation_urls.is_empty();
    if !fallback_pending {
        counts = Counts::default();
        pass(Scope::All, &mut |row| counts.add(row))?;
    }
    let profile_url = most_common(std::mem::take(&mut counts.invitation_urls))
        .or_else(|| most_common(std::mem::take(&mut counts.conversation_urls)));
    Ok(Draft {
        settled: profile_url.is_none(),
        fallback_pending,
        owner: Owner {
            name: if fallback_pending {
                String::new()
            } else {
                counts.fallback_name()
            },
            profile_url,
        },
        senders: BTreeMap::new(),
        invited: BTreeMap::new(),
    })
}

/// What one pass counts.
#[derive(Default)]
struct Counts {
    /// The owner's side of invitations: URL → rows.
    invitation_urls: BTreeMap<String, usize>,
    /// URL → distinct conversations it is in (as sender or recipient).
    conversation_urls: BTreeMap<String, usize>,
    /// (URL, conversation) pairs seen, hashed.
    pairs: HashSet<(u64, u64)>,
    /// The owner's side where the file says which way a row went: invitations, 2018 messages.
    directional_names: BTreeMap<String, usize>,
    /// Names as sender or recipient: the owner is on every row.
    participant_names: BTreeMap<String, usize>,
}

impl Counts {
    /// The name on the owner's side where the file says which way a row went, else the name
    /// on the most rows.
    fn fallback_name(self) -> String {
        most_common(self.directional_names)
            .or_else(|| most_common(self.participant_names))
            .unwrap_or_default()
    }

    fn add(&mut self, row: RawRow<'_>) {
        match row {
            RawRow::Invitation(i) => {
                let (name, url) = i.owner_side();
                if let Some(url) = url {
                    count(&mut self.invitation_urls, url);
                }
                count(&mut self.directional_names, name);
            }
            RawRow::Message(m) => {
                let conversation = hash(&m.conversation);
                for url in m.sender_url.iter().chain(&m.recipient_urls) {
                    if self.pairs.insert((hash(url), conversation)) {
                        count(&mut self.conversation_urls, url);
                    }
                }
                match m.outgoing {
                    Some(true) => count(&mut self.directional_names, &m.from),
                    Some(false) => count(&mut self.directional_names, &m.to),
                    None => {}
                }
                count(&mut self.participant_names, &m.from);
                count(&mut self.participant_names, &m.to);
            }
        }
    }
}

fn hash(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

fn count(counts: &mut BTreeMap<String, usize>, key: &str) {
    if key.is_empty() || key == HIDDEN_MEMBER {
        return;
    }
    match counts.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            counts.insert(key.to_string(), 1);
        }
    }
}

fn from_override(me: &str, pass: &mut Pass<'_>) -> Result<Owner> {
    let found = if looks_like_url(me) {
        let url = normalize_profile_url(me);
        name_for_url(&url, pass)?.map(|name| Owner {
            name: name.unwrap_or_else(|| me.to_string()),
            profile_url: Some(url),
        })
    } else {
        url_for_name(me, pass)?.map(|url| Owner {
            name: me.to_string(),
            profile_url: url,
        })
    };
    // A `--me` that is no one in the export (a typo) would make the owner a sender of their
    // own, every reply of theirs unseen.
    found.ok_or_else(|| {
        Error::Usage(format!(
            "--me '{me}': no message or invitation of the export is from or to that {}; check \
             it, or leave --me out and the owner is found from the export",
            if looks_like_url(me) {
                "profile"
            } else {
                "name"
            }
        ))
    })
}

fn looks_like_url(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.contains("linkedin.com/")
}

/// The most common key, ties broken by the smallest key so the result is stable.
fn most_common(counts: BTreeMap<String, usize>) -> Option<String> {
    let best = counts.values().copied().max()?;
    counts.into_iter().find(|(_, n)| *n == best).map(|(k, _)| k)
}

/// The name most often sent from `url`, else the owner's side of invitations with that URL.
fn name_for_url(url: &str, pass: &mut Pass<'_>) -> Result<Option<Option<String>>> {
    let (mut senders, mut invited, mut seen) = (BTreeMap::new(), BTreeMap::new(), false);
    pass(Scope::All, &mut |row| match row {
        RawRow::Message(m) if m.sender_url.as_deref() == Some(url) => {
            seen = true;
            count(&mut senders, &m.from)
        }
        RawRow::Message(m) => seen |= m.recipient_urls.iter().any(|u| u == url),
        RawRow::Invitation(i) if i.owner_side().1 == Some(url) => {
            seen = true;
            count(&mut invited, i.owner_side().0)
        }
        RawRow::Invitation(i) => seen |= i.other_party().1 == Some(url),
    })?;
    Ok(seen.then(|| most_common(senders).or_else(|| most_common(invited))))
}

/// The URL most often sent under `name`, else the owner's side of invitations with that name;
/// `None` when no row is from or to `name`.
fn url_for_name(name: &str, pass: &mut Pass<'_>) -> Result<Option<Option<String>>> {
    let (mut senders, mut invited, mut seen) = (BTreeMap::new(), BTreeMap::new(), false);
    let named = |list: &str| {
        list.eq_ignore_ascii_case(name)
            || list.split(',').any(|n| n.trim().eq_ignore_ascii_case(name))
    };
    pass(Scope::All, &mut |row| match row {
        RawRow::Message(m) => {
            if m.from.eq_ignore_ascii_case(name) {
                seen = true;
                if let Some(url) = &m.sender_url {
                    count(&mut senders, url);
                }
            }
            seen |= named(&m.to);
        }
        RawRow::Invitation(i) => {
            let (n, url) = i.owner_side();
            if n.eq_ignore_ascii_case(name) {
                seen = true;
                if let Some(url) = url {
                    count(&mut invited, url);
                }
            }
            seen |= i.other_party().0.eq_ignore_ascii_case(name);
        }
    })?;
    Ok(seen.then(|| most_common(senders).or_else(|| most_common(invited))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(from: &str, url: Option<&str>, to: &str, conversation: &str) -> RawMessage {
        RawMessage {
            from: from.into(),
            sender_url: url.map(normalize_profile_url),
            to: to.into(),
            conversation: conversation.into(),
            ..RawMessage::default()
        }
    }

    #[test]
    fn prefers_the_override_then_the_url_in_most_conversations() {
        let messages = [
            message("Me", Some("https://www.linkedin.com/in/me"), "A", "c1"),
            message("B", Some("https://www.linkedin.com/in/b"), "Me", "c2"),
            message("B", Some("https://www.linkedin.com/in/b"), "Me", "c2"),
            message("Me", Some("https://www.linkedin.com/in/me"), "B", "c2"),
        ];
        let owner = detect(None, &messages, &[]);
        assert_eq!(
            (owner.name.as_str(), owner.profile_url.as_deref()),
            ("Me", Some("https://www.linkedin.com/in/me"))
        );
        let owner = detect(Some("https://linkedin.com/in/B/"), &messages, &[]);
        assert_eq!(
            (owner.name.as_str(), owner.profile_url.as_deref()),
            ("B", Some("https://www.linkedin.com/in/b"))
        );
        let owner = detect(Some("b"), &messages, &[]);
        assert_eq!(
            owner.profile_url.as_deref(),
            Some("https://www.linkedin.com/in/b")
        );
    }
}
