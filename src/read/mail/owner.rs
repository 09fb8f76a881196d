//! Who owns the mailbox, worked out from counts gathered one message at a time (so the index
//! pass keeps counters per distinct address, never the messages): `--me` when given; else the
//! Delivered-To addresses together with the From of Gmail `Sent` mail; else the most common
//! To address.

use std::collections::HashMap;

use super::parse::ParsedMail;

/// A Delivered-To address must be on at least this share of the messages that carry one to
/// count as the owner's (a Gmail account with aliases has several; a list's is rare).
const OWNER_SHARE: f64 = 0.1;

/// Address counts for owner detection, fed one message at a time.
#[derive(Debug, Default)]
pub(super) struct OwnerTally {
    /// Messages per Delivered-To address (an address counted once per message).
    delivered: HashMap<String, usize>,
    /// Messages with at least one Delivered-To header.
    with_delivered: usize,
    /// Messages per From address of mail Gmail filed under `Sent`.
    sent_from: HashMap<String, usize>,
    /// Every To and Cc address, as often as it occurs.
    recipients: HashMap<String, usize>,
    /// The address `--me` gives (lower-case), and whether a message is from or to it.
    me: Option<String>,
    me_seen: bool,
}

/// `--me` as an address: the one in angle brackets when there are (`Jane Doe <jane@x.org>`),
/// trimmed, without `mailto:`, lower-case.
fn me_address(me: &str) -> String {
    let bracketed = me
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(address, _)| address);
    bracketed
        .unwrap_or(me)
        .trim()
        .trim_start_matches("mailto:")
        .trim_matches(['<', '>'])
        .to_lowercase()
}

impl OwnerTally {
    /// A tally that also looks for `me` (`--me`) among the senders and recipients.
    pub(super) fn looking_for(me: Option<&str>) -> Self {
        OwnerTally {
            me: me.map(me_address),
            ..OwnerTally::default()
        }
    }

    /// Counts the addresses of one message.
    pub(super) fn add(&mut self, mail: &ParsedMail) {
        if let Some(me) = self.me.as_deref().filter(|_| !self.me_seen) {
            self.me_seen = mail.from.address == me
                || mail.recipients.iter().any(|p| p.address == me)
                || mail.delivered_to.iter().any(|a| a == me);
        }
        let mut delivered = mail.delivered_to.clone();
        delivered.sort();
        delivered.dedup();
        if !delivered.is_empty() {
            self.with_delivered += 1;
        }
        for address in delivered {
            *self.delivered.entry(address).or_default() += 1;
        }
        if mail.has_sent_label() && !mail.from.address.is_empty() {
            *self.sent_from.entry(mail.from.address.clone()).or_default() += 1;
        }
        for party in &mail.recipients {
            *self.recipients.entry(party.address.clone()).or_default() += 1;
        }
    }

    /// The owner's addresses, lower-case, most used first: `me` when given; else the
    /// Delivered-To addresses on at least a tenth of the messages that have one, then the From
    /// of Gmail `Sent` mail; else the most common To address. An error when `me` is an address
    /// no message was from or to (a typo would make you a sender of your own).
    pub(super) fn owner(self, me: Option<&str>) -> Result<Vec<String>, String> {
        if let Some(me) = me {
            let address = me_address(me);
            let checked = self.me.as_deref() == Some(address.as_str());
            if checked && !self.me_seen && address.contains('@') {
                return Err(format!(
                    "--me {me}: no message is from or to that address; give yours as the \
                     mail shows it (or leave --me out to find it)"
                ));
            }
            return Ok(vec![address]);
        }
        let floor = OWNER_SHARE * self.with_delivered as f64;
        let mut owner: Vec<String> = ranked(self.delivered)
            .into_iter()
            .filter(|(_, n)| *n as f64 >= floor)
            .map(|(address, _)| address)
            .collect();
        for (address, _) in ranked(self.sent_from) {
            if !owner.contains(&address) {
                owner.push(address);
            }
        }
        if owner.is_empty() {
            let to = ranked(self.recipients);
            owner.extend(to.into_iter().next().map(|(address, _)| address));
        }
        Ok(owner)
    }
}

/// Distinct values with their counts, most frequent first (ties in name order).
fn ranked(counts: HashMap<String, usize>) -> Vec<(String, usize)> {
    let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked
}

#[cfg(test)]
mod tests {
    use super::super::parse::Party;
    use super::*;

    fn mail(from: &str, to: &str, delivered: &[&str], labels: &[&str]) -> ParsedMail {
        ParsedMail {
            from: Party {
                address: from.into(),
                name: String::new(),
            },
            recipients: vec![Party {
                address: to.into(),
                name: String::new(),
            }],
            delivered_to: delivered.iter().map(|s| s.to_string()).collect(),
            labels: labels.iter().map(|s| s.to_string()).collect(),
            ..ParsedMail::default()
        }
    }

    fn owner(me: Option<&str>, mails: &[ParsedMail]) -> Vec<String> {
        let mut tally = OwnerTally::looking_for(me);
        mails.iter().for_each(|m| tally.add(m));
        tally.owner(me).unwrap()
    }

    #[test]
    fn owner_is_me_then_delivered_to_then_sent_from_then_most_common_to() {
        let mails = vec![
            mail("a@x.com", "me@gmail.com", &["me@gmail.com"], &["Inbox"]),
            mail("alias@me.org", "b@y.com", &[], &["Sent"]),
        ];
        assert_eq!(owner(Some(" <ME@Gmail.com>"), &mails), ["me@gmail.com"]);
        assert_eq!(owner(None, &mails), ["me@gmail.com", "alias@me.org"]);
        let plain = vec![
            mail("a@x.com", "me@b.com", &[], &[]),
            mail("c@x.com", "me@b.com", &[], &[]),
            mail("me@b.com", "a@x.com", &[], &[]),
        ];
        assert_eq!(owner(None, &plain), ["me@b.com"]);
    }

    #[test]
    fn a_rare_delivered_to_is_a_list_not_the_owner() {
        let mut mails: Vec<ParsedMail> = (0..20)
            .map(|_| mail("a@x.com", "me@b.com", &["me@b.com"], &[]))
            .collect();
        mails.push(mail(
            "l@x.com",
            "list@x.com",
            &["list@x.com", "me@b.com"],
            &[],
        ));
        mails.push(mail(
            "l@x.com",
            "list@x.com",
            &["list@x.com", "list@x.com"],
            &[],
        ));
        assert_eq!(owner(None, &mails), ["me@b.com"]);
    }

    #[test]
    fn a_me_address_no_message_is_from_or_to_is_refused() {
        let mails = [mail("a@x.com", "me@b.com", &[], &[])];
        let tally = |me| {
            let mut tally = OwnerTally::looking_for(me);
            mails.iter().for_each(|m| tally.add(m));
            tally.owner(me)
        };
        assert_eq!(tally(Some("ME@b.com")), Ok(vec!["me@b.com".to_string()]));
        assert_eq!(tally(Some("a@x.com")), Ok(vec!["a@x.com".to_string()]));
        let named = tally(Some("Me Myself <Me@b.com>"));
        assert_eq!(named, Ok(vec!["me@b.com".to_string()]));
        let typo = tally(Some("me@bb.com")).unwrap_err();
        assert!(
            typo.starts_with("--me me@bb.com: no message is from or to"),
            "{typo}"
        );
    }
}
