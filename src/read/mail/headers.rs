//! What a mail's headers say about how it was sent: list and bulk-mail headers (RFC 2369,
//! RFC 8058, `Precedence`, `Feedback-ID`), Gmail's labels, and LinkedIn's own notification
//! mail. Header values are read from the raw bytes and decoded leniently, so a header with
//! 8-bit junk in it still counts.

use std::borrow::Cow;

use mail_parser::Message as Mime;

use crate::read::MailHeaders;

/// The default notes of a LinkedIn invitation ("no personal note"), lower-case, with a
/// straight apostrophe (curly ones are straightened before matching).
const INVITATION_NOTES: [&str; 2] = [
    "i'd like to join your linkedin network",
    "i'd like to add you to my professional network",
];

/// The raw values of every top-level header called `name` (case-insensitive), unfolded and
/// trimmed, invalid UTF-8 replaced with U+FFFD.
pub(super) fn raw_values<'a>(message: &'a Mime<'_>, name: &'a str) -> Vec<Cow<'a, str>> {
    let raw = message.raw_message();
    message
        .headers()
        .iter()
        .filter(|h| h.name().eq_ignore_ascii_case(name))
        .map(|h| {
            let bytes = raw
                .get(h.offset_start() as usize..h.offset_end() as usize)
                .unwrap_or_default();
            unfold(String::from_utf8_lossy(bytes))
        })
        .collect()
}

/// The first raw value of header `name`, or `""`.
pub(super) fn raw_value<'a>(message: &'a Mime<'_>, name: &'a str) -> Cow<'a, str> {
    raw_values(message, name)
        .into_iter()
        .next()
        .unwrap_or(Cow::Borrowed(""))
}

fn unfold(value: Cow<'_, str>) -> Cow<'_, str> {
    if value.contains(['\r', '\n']) {
        let joined: Vec<&str> = value.split(['\r', '\n']).map(str::trim).collect();
        Cow::Owned(
            joined
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        )
    } else {
        match value {
            Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
            Cow::Owned(s) => Cow::Owned(s.trim().to_string()),
        }
    }
}

/// True when the message has a top-level header called `name`.
fn has_header(message: &Mime<'_>, name: &str) -> bool {
    message
        .headers()
        .iter()
        .any(|h| h.name().eq_ignore_ascii_case(name))
}

/// Whether the receiving server found the sender forged, by the `Authentication-Results` of
/// the server that added the topmost one (lower ones, from other servers, can be anyone's;
/// comments in brackets left out): `dmarc=fail`, or with no DMARC result `spf=fail`; else by
/// the topmost `Received-SPF`: `fail`. A soft fail, or an SPF failure DMARC passes, is what
/// forwarding does to honest mail; a DKIM failure alone is what mailing lists do.
pub(super) fn failed_authentication(message: &Mime<'_>) -> bool {
    let all = raw_values(message, "Authentication-Results");
    let server = |v: &str| {
        v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    };
    if let Some(top) = all.first().map(|v| server(v)) {
        let results: String = all
            .iter()
            .filter(|v| server(v) == top)
            .map(|v| without_comments(&v.to_ascii_lowercase()))
            .collect::<Vec<_>>()
            .join(";");
        if results.contains("dmarc=") {
            return results.contains("dmarc=fail");
        }
        if results.contains("spf=") {
            return results.contains("spf=fail");
        }
    }
    raw_values(message, "Received-SPF")
        .first()
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("fail"))
}

/// Gmail's `X-Gmail-Labels` (comma-separated, a label with a comma in double quotes).
pub(super) fn gmail_labels(message: &Mime<'_>) -> Vec<String> {
    let raw = raw_value(message, "X-Gmail-Labels");
    let mut labels = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in raw.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => labels.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    labels.push(current);
    labels
        .into_iter()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// The addresses of every `Delivered-To` header, lower-case (qmail writes
/// `Delivered-To: mailing list x@y`, so the last word with an `@` is taken).
pub(super) fn delivered_to(message: &Mime<'_>) -> Vec<String> {
    raw_values(message, "Delivered-To")
        .iter()
        .filter_map(|v| {
            v.split_whitespace()
                .rev()
                .find(|w| w.contains('@'))
                .map(|w| w.trim_matches(['<', '>', ',', ';']).to_lowercase())
        })
        .collect()
}

/// The bulk-mail facts of a message; the LinkedIn flags need the sender, subject and text.
pub(super) fn mail_headers(
    message: &Mime<'_>,
    from: &str,
    subject: &str,
    text: &str,
) -> MailHeaders {
    let precedence = raw_value(message, "Precedence").to_ascii_lowercase();
    let linkedin_notification = from_linkedin(from);
    MailHeaders {
        list_unsubscribe: has_header(message, "List-Unsubscribe"),
        one_click_unsubscribe: raw_values(message, "List-Unsubscribe-Post")
            .iter()
            .any(|v| {
                v.replace(' ', "")
                    .eq_ignore_ascii_case("List-Unsubscribe=One-Click")
            }),
        precedence_bulk: matches!(precedence.as_str(), "bulk" | "list" | "junk"),
        list_id: has_header(message, "List-Id"),
        feedback_id: has_header(message, "Feedback-ID"),
        linkedin_notification,
        linkedin_invitation: is_linkedin_invitation(from, subject, text),
    }
}

/// From linkedin.com or one of its subdomains.
fn from_linkedin(from: &str) -> bool {
    from.rsplit_once('@')
        .is_some_and(|(_, domain)| domain == "linkedin.com" || domain.ends_with(".linkedin.com"))
}

/// A LinkedIn connection invitation: sent by `invitations@linkedin.com`, or with the
/// subject LinkedIn uses for one, or (in mail from LinkedIn, or with no sender at all) with
/// its default note in the text. A person who writes the note's words from their own address
/// is not sending a LinkedIn invitation; and a pass that skips decoding bodies
/// ([`body_decides_invitation`] false) gets the same answer.
pub(super) fn is_linkedin_invitation(from: &str, subject: &str, text: &str) -> bool {
    if from == "invitations@linkedin.com" {
        return true;
    }
    let subject = subject.trim().to_lowercase();
    if subject.ends_with("wants to connect")
        || subject.contains("please add me to your linkedin network")
    {
        return true;
    }
    if !body_decides_invitation(from) {
        return false;
    }
    let text = text.to_lowercase().replace('\u{2019}', "'");
    INVITATION_NOTES.iter().any(|note| text.contains(note))
}

/// `value` without its comments in brackets (RFC 5322: "arc=pass (… dmarc=fail …)").
fn without_comments(value: &str) -> String {
    let mut depth = 0usize;
    value
        .chars()
        .filter(|&c| {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                _ => return depth == 0,
            }
            false
        })
        .collect()
}

/// The person behind mail from LinkedIn: its display name without LinkedIn's own
/// " via LinkedIn" ("Dana Whitfield via LinkedIn" is Dana Whitfield).
pub(super) fn linkedin_person(name: &str) -> &str {
    const VIA: &str = " via linkedin";
    let name = name.trim();
    match name.len().checked_sub(VIA.len()) {
        Some(at) if name.is_char_boundary(at) && name[at..].eq_ignore_ascii_case(VIA) => {
            name[..at].trim_end()
        }
        _ => name,
    }
}

/// Lines LinkedIn writes into an invitation e-mail around the note, by their ending (lower
/// case): mutual connections, and a reminder's own words.
const CARD_LINE_ENDS: [&str; 5] = [
    "is a mutual connection",
    "mutual connections",
    "is waiting for your response",
    "sent you an invitation to connect.",
    "how would you like to respond?",
];

/// The note of a LinkedIn invitation e-mail, as an export's Invitations.csv holds it: the
/// text before LinkedIn's buttons and footer ("Accept:", "View profile", a rule of dashes or
/// dots, "You are receiving …"), without the card that presents `inviter` (their name line,
/// then headline, place and mutual connections, up to a blank line) and without a
/// reminder's own lines. Empty when the invitation has no note (a reminder has none).
pub(super) fn invitation_note(text: &str, inviter: &str) -> String {
    let inviter = inviter.trim().to_lowercase();
    let mut note: Vec<&str> = Vec::new();
    let mut in_card = false;
    for line in text.lines() {
        let t = line.trim();
        let lower = t.to_lowercase();
        let rule = t.chars().count() >= 10 && t.chars().all(|c| "-_.=*".contains(c));
        let footer = [
            "accept:",
            "accept invitation",
            "view profile",
            "you are receiving",
            "this email was intended",
            "unsubscribe",
        ]
        .iter()
        .any(|s| lower.starts_with(s))
            || (lower.starts_with("view ") && lower.contains("profile:"));
        if rule || footer {
            break;
        }
        if is_card_name(&lower, &inviter) {
            in_card = true;
            continue;
        }
        if in_card {
            in_card = !t.is_empty();
            continue;
        }
        if CARD_LINE_ENDS.iter().any(|e| lower.ends_with(e)) {
            continue;
        }
        if !(t.is_empty() && note.last().is_none_or(|l| l.is_empty())) {
            note.push(t);
        }
    }
    note.join("\n").trim().to_string()
}

/// Whether `line` (lower case) is the name line of the card that presents `inviter` (lower
/// case): the name alone, or with letters after it ("Ben Okafor, MBA", "Ben Okafor (he/him)").
fn is_card_name(line: &str, inviter: &str) -> bool {
    if inviter.is_empty() {
        return false;
    }
    match line.strip_prefix(inviter) {
        Some("") => true,
        Some(rest) => {
            [",", " (", " -", " |", " ·"]
                .iter()
                .any(|s| rest.starts_with(s))
                && rest.len() < 40
        }
        None => false,
    }
}

/// True when the body text can make mail from `from` a LinkedIn invitation: mail from
/// LinkedIn, or with no sender address.
pub(super) fn body_decides_invitation(from: &str) -> bool {
    from.is_empty() || from_linkedin(from)
}

/// The ids that place a message in a thread.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ThreadIds {
    /// Gmail's thread id (`X-GM-THRID`, Google Takeout).
    pub gmail: Option<String>,
    /// The message's own `Message-ID`, without angle brackets.
    pub id: Option<String>,
    /// The ids it answers: `References` (root first), then `In-Reply-To`, without repeats
    /// or its own id.
    pub parents: Vec<String>,
}

/// The thread ids of a message, from its raw headers.
pub(super) fn thread_ids(message: &Mime<'_>) -> ThreadIds {
    let gmail = raw_value(message, "X-GM-THRID").trim().to_string();
    let id = message_ids(&raw_value(message, "Message-ID"))
        .into_iter()
        .next();
    let mut parents: Vec<String> = Vec::new();
    // Repeats found by a set: a References header can hold hundreds of thousands of ids.
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let answered = raw_values(message, "References")
        .into_iter()
        .chain(raw_values(message, "In-Reply-To"));
    for value in answered {
        for parent in message_ids(&value) {
            if Some(&parent) != id.as_ref() && seen.insert(parent.clone()) {
                parents.push(parent);
            }
        }
    }
    ThreadIds {
        gmail: (!gmail.is_empty()).then_some(gmail),
        id,
        parents,
    }
}

/// The message ids in a header value: every `<…>`; else the words holding an `@` (some
/// clients leave out the brackets).
fn message_ids(value: &str) -> Vec<String> {
    let bracketed: Vec<String> = value
        .split('<')
        .skip(1)
        .filter_map(|s| s.split_once('>'))
        .map(|(id, _)| id.trim().to_string())
        .filter(|id| !id.is_empty())
        .collect();
    if !bracketed.is_empty() || value.contains('<') {
        return bracketed;
    }
    value
        .split_whitespace()
        .map(|w| w.trim_matches(['"', ',', ';', '(', ')']))
        .filter(|w| w.contains('@'))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(headers: &str) -> bool {
        let raw = format!("From: a@b.org\r\n{headers}Subject: x\r\n\r\nbody\r\n");
        let message = mail_parser::MessageParser::default()
            .parse(raw.as_bytes())
            .unwrap();
        failed_authentication(&message)
    }

    #[test]
    fn an_invitation_mails_note_is_the_inviters_words_without_linkedins_card_and_footer() {
        assert_eq!(linkedin_person("Ben Okafor via LinkedIn"), "Ben Okafor");
        assert_eq!(linkedin_person(" Ana Ruiz VIA LINKEDIN "), "Ana Ruiz");
        assert_eq!(linkedin_person("Olivia"), "Olivia");
        // 2016: the note first, then the card, then the buttons.
        let old = "Hi Paul,\nI'd like to join your LinkedIn network.\n\nSteven Footle\n\
                   Principal Test Architect\n\nAccept: https://x\n\nView Steven Footle's \
                   profile: https://y\n.....................................\nUnsubscribe";
        assert_eq!(
            invitation_note(old, "Steven Footle"),
            "Hi Paul,\nI'd like to join your LinkedIn network."
        );
        // Later: the card first (headline, place, mutual connections), then the note.
        let new = "Ben Okafor\nDirector of Operations\nSeattle, Washington\nHannah Cho is a \
                   mutual connection\n\nMorgan -- great to meet you at the summit.\n\n\
                   Thanks, Ben\n\nAccept: https://x\n-----------------\nYou are receiving \
                   Invitation emails.";
        assert_eq!(
            invitation_note(new, "Ben Okafor"),
            "Morgan -- great to meet you at the summit.\n\nThanks, Ben"
        );
        // A reminder has no note of its own.
        let reminder = "Sofia Marchetti is waiting for your response\n\nSofia Marchetti\n\
                        Business Development\nMilan, Italy\n\nSofia sent you an invitation to \
                        connect. How would you like to respond?\n\nAccept: https://x";
        assert_eq!(invitation_note(reminder, "Sofia Marchetti"), "");
        // The card's name with letters after it, in another case; a note that speaks of
        // viewing a profile, and a short row of dots.
        let card = "ZOË MÜLLER, MBA\nCTO\n\nView my profile and you will see... we met.\n\
                    ....\nThanks\n\nView profile: https://x";
        assert_eq!(
            invitation_note(card, "Zoë Müller"),
            "View my profile and you will see... we met.\n....\nThanks"
        );
    }

    #[test]
    fn a_forged_sender_is_the_top_servers_dmarc_or_hard_spf_failure() {
        assert!(failed("Received-SPF:  Fail (mailfrom)\r\n"));
        assert!(failed(
            "Authentication-Results: mx.b.org;\r\n dkim=pass; spf=pass; dmarc=fail header.from=b.org\r\n"
        ));
        assert!(failed(
            "Authentication-Results: mx.b.org; SPF=Fail smtp.mailfrom=b.org\r\n"
        ));
        // Forwarding soft-fails SPF; DMARC passing overrules SPF; lists break DKIM.
        assert!(!failed("Received-SPF: softfail (domain of a@b.org)\r\n"));
        assert!(!failed(
            "Authentication-Results: mx.b.org; spf=softfail; dmarc=pass header.from=b.org\r\n"
        ));
        assert!(!failed(
            "Authentication-Results: mx.b.org; spf=fail; dmarc=pass\r\n"
        ));
        assert!(!failed(
            "Authentication-Results: mx.b.org; dkim=fail; spf=pass\r\n"
        ));
        // Only the topmost result counts: one further down can be the sender's own.
        assert!(!failed(
            "Authentication-Results: mx.b.org; dmarc=pass\r\nAuthentication-Results: x; dmarc=fail\r\n"
        ));
        assert!(!failed(
            "Received-SPF: pass (domain of a@b.org)\r\nReceived-SPF: fail\r\n"
        ));
        assert!(!failed(""));
        // The same server's results split over two headers; a comment is no result.
        assert!(failed(
            "Authentication-Results: mx.b.org; dkim=none\r\nAuthentication-Results: mx.b.org; dmarc=fail\r\n"
        ));
        assert!(!failed(
            "Authentication-Results: mx.b.org; arc=pass (i=1 spf=pass dmarc=fail); dmarc=pass\r\n"
        ));
    }

    #[test]
    fn recognises_invitations_by_sender_subject_or_default_note() {
        assert!(is_linkedin_invitation("invitations@linkedin.com", "", ""));
        assert!(is_linkedin_invitation(
            "x@y.com",
            "Jane Doe wants to connect",
            ""
        ));
        assert!(is_linkedin_invitation(
            "x@y.com",
            "Paul, please add me to your LinkedIn network",
            ""
        ));
        let note = "I\u{2019}d like to add you to my professional network on LinkedIn.";
        assert!(is_linkedin_invitation("member@linkedin.com", "hi", note));
        assert!(is_linkedin_invitation("", "", note));
        // The same words from someone's own address are not a LinkedIn invitation.
        assert!(!is_linkedin_invitation("x@y.com", "hi", note));
        assert!(!is_linkedin_invitation(
            "messages-noreply@linkedin.com",
            "New message",
            "Hello"
        ));
    }

    #[test]
    fn reads_one_click_and_precedence_from_raw_headers() {
        let raw = b"From: a@b.com\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\nList-Unsubscribe: <https://x/y>\r\nPrecedence: Bulk\r\nFeedback-ID: 1:2\r\nX-Gmail-Labels: Inbox,\"a,b\",Sent\r\n\r\nbody\r\n";
        let message = mail_parser::MessageParser::default().parse(raw).unwrap();
        let h = mail_headers(&message, "a@b.com", "", "");
        assert!(
            h.list_unsubscribe && h.one_click_unsubscribe && h.precedence_bulk && h.feedback_id
        );
        assert!(!h.list_id && !h.linkedin_notification);
        assert_eq!(gmail_labels(&message), ["Inbox", "a,b", "Sent"]);
    }

    #[test]
    fn reads_gmail_thread_message_id_references_and_in_reply_to() {
        let raw = b"X-GM-THRID: 1662179098743785572\r\nMessage-ID: <c@x>\r\nReferences: <a@x>\r\n <b@x> <c@x>\r\nIn-Reply-To: <b@x> (Bob's message)\r\nFrom: a@b.com\r\n\r\nbody\r\n";
        let message = mail_parser::MessageParser::default().parse(raw).unwrap();
        let ids = thread_ids(&message);
        assert_eq!(ids.gmail.as_deref(), Some("1662179098743785572"));
        assert_eq!(ids.id.as_deref(), Some("c@x"));
        assert_eq!(ids.parents, ["a@x", "b@x"]);
        let raw = b"Message-ID: bare@host\r\nIn-Reply-To: <>\r\n\r\nx\r\n";
        let message = mail_parser::MessageParser::default().parse(raw).unwrap();
        let ids = thread_ids(&message);
        assert_eq!((ids.gmail, ids.id.as_deref()), (None, Some("bare@host")));
        assert!(ids.parents.is_empty());
    }
}
