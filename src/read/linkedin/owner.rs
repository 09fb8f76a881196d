//! Who the account owner is. The export never says, and the owner's sent messages sit in
//! INBOX like everything else. In order: the `--me` override; the owner's side of
//! Invitations.csv (inviter of OUTGOING rows, invitee of INCOMING rows); the profile URL seen
//! in most conversations; the name on the owner's side of the 2018 Direction column or of
//! 5-column invitations; the name in most messages.

use std::collections::{BTreeMap, BTreeSet};

use super::invitations::RawInvitation;
use super::messages::RawMessage;
use super::{normalize_profile_url, Owner};

const HIDDEN_MEMBER: &str = "LinkedIn Member";

/// Works out the owner; `me` is a profile URL or a display name.
pub(super) fn detect(
    me: Option<&str>,
    messages: &[RawMessage],
    invitations: &[RawInvitation],
) -> Owner {
    if let Some(me) = me.map(str::trim).filter(|m| !m.is_empty()) {
        return from_override(me, messages, invitations);
    }
    let profile_url = invitation_url(invitations).or_else(|| conversation_url(messages));
    let name = profile_url
        .as_deref()
        .and_then(|url| name_for_url(url, messages, invitations))
        .or_else(|| directional_name(messages, invitations))
        .or_else(|| participant_name(messages))
        .unwrap_or_default();
    Owner { name, profile_url }
}

fn from_override(me: &str, messages: &[RawMessage], invitations: &[RawInvitation]) -> Owner {
    if looks_like_url(me) {
        let url = normalize_profile_url(me);
        let name = name_for_url(&url, messages, invitations).unwrap_or_else(|| me.to_string());
        return Owner {
            name,
            profile_url: Some(url),
        };
    }
    Owner {
        name: me.to_string(),
        profile_url: url_for_name(me, messages, invitations),
    }
}

fn looks_like_url(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.contains("linkedin.com/")
}

/// The most common key, ties broken by the smallest key so the result is stable.
fn most_common<I: IntoIterator<Item = String>>(items: I) -> Option<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for item in items
        .into_iter()
        .filter(|i| !i.is_empty() && i != HIDDEN_MEMBER)
    {
        *counts.entry(item).or_default() += 1;
    }
    let best = counts.values().copied().max()?;
    counts.into_iter().find(|(_, n)| *n == best).map(|(k, _)| k)
}

fn invitation_url(invitations: &[RawInvitation]) -> Option<String> {
    most_common(
        invitations
            .iter()
            .filter_map(|i| i.owner_side().1.map(str::to_string)),
    )
}

/// The URL present (as sender or recipient) in the most distinct conversations.
fn conversation_url(messages: &[RawMessage]) -> Option<String> {
    let pairs: BTreeSet<(&str, &str)> = messages
        .iter()
        .flat_map(|m| {
            m.sender_url
                .iter()
                .chain(&m.recipient_urls)
                .map(move |u| (u.as_str(), m.conversation.as_str()))
        })
        .collect();
    most_common(pairs.into_iter().map(|(url, _)| url.to_string()))
}

fn name_for_url(
    url: &str,
    messages: &[RawMessage],
    invitations: &[RawInvitation],
) -> Option<String> {
    let senders = messages
        .iter()
        .filter(|m| m.sender_url.as_deref() == Some(url))
        .map(|m| m.from.clone());
    most_common(senders).or_else(|| {
        most_common(
            invitations
                .iter()
                .filter(|i| i.owner_side().1 == Some(url))
                .map(|i| i.owner_side().0.to_string()),
        )
    })
}

fn url_for_name(
    name: &str,
    messages: &[RawMessage],
    invitations: &[RawInvitation],
) -> Option<String> {
    let urls = messages
        .iter()
        .filter(|m| m.from.eq_ignore_ascii_case(name))
        .filter_map(|m| m.sender_url.clone());
    most_common(urls).or_else(|| {
        let sides = invitations.iter().map(RawInvitation::owner_side);
        most_common(
            sides
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .filter_map(|(_, u)| u.map(str::to_string)),
        )
    })
}

/// The owner's side where the file says which way a row went: invitations, 2018 messages.
fn directional_name(messages: &[RawMessage], invitations: &[RawInvitation]) -> Option<String> {
    let from_invitations = invitations.iter().map(|i| i.owner_side().0.to_string());
    let from_messages = messages.iter().filter_map(|m| match m.outgoing {
        Some(true) => Some(m.from.clone()),
        Some(false) => Some(m.to.clone()),
        None => None,
    });
    most_common(from_invitations.chain(from_messages))
}

/// The name on the most rows as sender or recipient: the owner is on every row.
fn participant_name(messages: &[RawMessage]) -> Option<String> {
    most_common(messages.iter().flat_map(|m| [m.from.clone(), m.to.clone()]))
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
