//! Who owns the mailbox, and each message's [`Thread`]: the correspondent (the sender, or for
//! the owner's own mail the first recipient), direction, date and LinkedIn invitation flag.
//! Mail is grouped by correspondent, as the LinkedIn reader groups by contact, so the
//! conversation key is the contact's address.

use std::collections::HashMap;

use super::parse::{ParsedMail, Party};
use crate::read::{Message, Origin, Thread};

/// A Delivered-To address must be on at least this share of the messages that carry one to
/// count as the owner's (a Gmail account with aliases has several; a list's is rare).
const OWNER_SHARE: f64 = 0.1;

/// A parsed message with where it came from.
pub(super) struct Collected {
    pub origin: Origin,
    pub label: Option<String>,
    pub mail: ParsedMail,
}

/// The owner's addresses, lower-case, most used first: `me` when given; else the Delivered-To
/// addresses (those on at least a tenth of the messages that have one) together with the From
/// of Gmail `Sent` mail; else the most common To address.
pub(super) fn detect_owner(me: Option<&str>, mails: &[Collected]) -> Vec<String> {
    if let Some(me) = me {
        let me = me
            .trim()
            .trim_start_matches("mailto:")
            .trim_matches(['<', '>']);
        return vec![me.to_lowercase()];
    }
    let delivered = ranked(mails.iter().flat_map(|c| {
        let mut unique = c.mail.delivered_to.clone();
        unique.sort();
        unique.dedup();
        unique
    }));
    let with_header = mails
        .iter()
        .filter(|c| !c.mail.delivered_to.is_empty())
        .count();
    let mut owner: Vec<String> = delivered
        .into_iter()
        .filter(|(_, n)| *n as f64 >= OWNER_SHARE * with_header as f64)
        .map(|(address, _)| address)
        .collect();
    let sent_from = ranked(
        mails
            .iter()
            .filter(|c| c.mail.has_sent_label() && !c.mail.from.address.is_empty())
            .map(|c| c.mail.from.address.clone()),
    );
    for (address, _) in sent_from {
        if !owner.contains(&address) {
            owner.push(address);
        }
    }
    if owner.is_empty() {
        let to = ranked(
            mails
                .iter()
                .flat_map(|c| c.mail.recipients.iter().map(|p| p.address.clone())),
        );
        owner.extend(to.into_iter().next().map(|(address, _)| address));
    }
    owner
}

/// Distinct values with their counts, most frequent first (ties in name order).
fn ranked(values: impl Iterator<Item = String>) -> Vec<(String, usize)> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for value in values {
        *counts.entry(value).or_default() += 1;
    }
    let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked
}

/// Turns every collected mail into a [`Message`] with its thread, in input order.
pub(super) fn build(owner: &[String], mails: Vec<Collected>) -> Vec<Message> {
    mails.into_iter().map(|c| message(owner, c)).collect()
}

fn message(owner: &[String], collected: Collected) -> Message {
    let Collected {
        origin,
        label,
        mail,
    } = collected;
    let thread = thread(owner, &mail);
    Message {
        id: origin.to_string(),
        origin,
        label,
        subject: mail.subject,
        text: mail.text,
        thread: Some(thread),
        mail: Some(mail.headers),
    }
}

fn thread(owner: &[String], mail: &ParsedMail) -> Thread {
    let outgoing = mail.has_sent_label() || owner.contains(&mail.from.address);
    let correspondent: Party = if outgoing {
        mail.recipients.first().cloned().unwrap_or_default()
    } else {
        mail.from.clone()
    };
    // LinkedIn notifications all come from one address; the person behind an invitation is
    // the display name, so each inviter is a sender of their own.
    let contact = if mail.headers.linkedin_invitation && !correspondent.name.is_empty() {
        format!("linkedin:{}", correspondent.name.to_lowercase())
    } else {
        correspondent.address.clone()
    };
    Thread {
        conversation: contact.clone(),
        contact,
        contact_name: correspondent.name,
        incoming: !outgoing,
        invitation: mail.headers.linkedin_invitation,
        timestamp: mail.timestamp,
        connected_on: None,
        claimed_contact: None,
        sponsored: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(from: &str, to: &str, delivered: &[&str], labels: &[&str]) -> Collected {
        Collected {
            origin: Origin::default(),
            label: None,
            mail: ParsedMail {
                from: Party {
                    address: from.into(),
                    name: format!("Name of {from}"),
                },
                recipients: vec![Party {
                    address: to.into(),
                    name: "Recipient".into(),
                }],
                delivered_to: delivered.iter().map(|s| s.to_string()).collect(),
                labels: labels.iter().map(|s| s.to_string()).collect(),
                ..ParsedMail::default()
            },
        }
    }

    #[test]
    fn owner_is_me_then_delivered_to_then_sent_from_then_most_common_to() {
        let mails = vec![
            mail("a@x.com", "me@gmail.com", &["me@gmail.com"], &["Inbox"]),
            mail("alias@me.org", "b@y.com", &[], &["Sent"]),
        ];
        assert_eq!(
            detect_owner(Some(" <ME@Gmail.com>"), &mails),
            ["me@gmail.com"]
        );
        assert_eq!(detect_owner(None, &mails), ["me@gmail.com", "alias@me.org"]);
        let plain = vec![
            mail("a@x.com", "me@b.com", &[], &[]),
            mail("c@x.com", "me@b.com", &[], &[]),
            mail("me@b.com", "a@x.com", &[], &[]),
        ];
        assert_eq!(detect_owner(None, &plain), ["me@b.com"]);
    }

    #[test]
    fn the_owners_mail_is_outgoing_to_its_first_recipient() {
        let owner = vec!["me@b.com".to_string()];
        let messages = build(
            &owner,
            vec![
                mail("me@b.com", "a@x.com", &[], &[]),
                mail("a@x.com", "me@b.com", &[], &[]),
            ],
        );
        let out = messages[0].thread.as_ref().unwrap();
        assert!(!out.incoming);
        assert_eq!(
            (out.contact.as_str(), out.contact_name.as_str()),
            ("a@x.com", "Recipient")
        );
        let back = messages[1].thread.as_ref().unwrap();
        assert!(back.incoming);
        assert_eq!(back.conversation, "a@x.com");
        assert_eq!(back.contact_name, "Name of a@x.com");
    }
}
