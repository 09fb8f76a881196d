//! Whole-reader tests on the real mail fixtures (shared/fixtures) and the SpamAssassin corpus.

use std::path::PathBuf;

use super::*;
use crate::read::{dates, MailHeaders, Thread};

mod built;

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures")).join(path)
}

fn read(path: &str) -> MailBox {
    read_mail(&fixture(path), None).unwrap()
}

fn thread(m: &Message) -> &Thread {
    m.thread.as_ref().expect("every mail has a thread")
}

fn headers(m: &Message) -> &MailHeaders {
    m.mail.as_ref().expect("every mail has headers")
}

#[test]
fn reads_a_gmail_takeout_mbox_with_crlf_and_labels() {
    let path = fixture("gmail-takeout-mbox/takeout-sample.mbox");
    assert!(is_mail(&path));
    let mailbox = read("gmail-takeout-mbox/takeout-sample.mbox");
    assert!(
        mailbox.report.bad_rows.is_empty(),
        "{:?}",
        mailbox.report.bad_rows
    );
    assert_eq!(mailbox.report.lossy_rows, 0);
    assert_eq!(mailbox.owner, ["user@gmail.com"]);
    assert_eq!(mailbox.messages.len(), 2);
    let first = &mailbox.messages[0];
    assert_eq!(first.id, format!("{}:1", path.display()));
    assert_eq!(first.subject, "Security alert");
    assert!(
        first.text.contains("body redacted for fixture"),
        "{:?}",
        first.text
    );
    let t = thread(first);
    assert_eq!(
        (t.contact.as_str(), t.contact_name.as_str()),
        ("no-reply@accounts.google.com", "Google")
    );
    // Threads by Gmail's X-GM-THRID; the contact stays the correspondent.
    assert_eq!(t.conversation, "thr:1662179098743785572");
    assert!(t.incoming && !t.invitation && !t.sponsored);
    // From the Date: header, not from the separator line (23:05:15).
    assert_eq!(t.timestamp, dates::parse("Wed, 25 Mar 2020 23:05:00 +0000"));
    assert!(headers(first).feedback_id);
    assert!(!headers(first).list_unsubscribe);
    let second = &mailbox.messages[1];
    assert!(second.origin.line > 1);
    assert!(!second.subject.is_empty());
    assert!(!second.subject.contains("X-GM-THRID"));
    assert_eq!(thread(second).conversation, "thr:1662179055834346057");
    assert_eq!(
        thread(second).contact,
        "googlecommunityteam-noreply@google.com"
    );
}

#[test]
fn unquotes_exactly_one_level_of_from_in_the_parser_sample() {
    let mailbox = read("mail-parser-sample-mbox/sample.mbox");
    let lines: Vec<u64> = mailbox.messages.iter().map(|m| m.origin.line).collect();
    let bad: Vec<&String> = mailbox.report.bad_rows.iter().collect();
    assert_eq!(lines.len() + bad.len(), 4, "{lines:?} {bad:?}");
    // No Message-ID or References anywhere: the conversation falls back to the correspondent.
    assert!(mailbox
        .messages
        .iter()
        .all(|m| thread(m).conversation == thread(m).contact));
    let third = mailbox
        .messages
        .iter()
        .find(|m| m.origin.line == 7)
        .expect("message 3");
    let text = format!("{}\n{}", third.subject, third.text);
    assert!(
        text.contains("\nFrom hello") || text.starts_with("From hello"),
        "{text:?}"
    );
    assert!(text.contains("\n>From world"), "{text:?}");
    assert!(text.contains("\n>>From test"), "{text:?}");
    let fourth = mailbox
        .messages
        .iter()
        .find(|m| m.origin.line == 13)
        .expect("message 4");
    assert!(
        fourth.text.contains("> From") && fourth.text.contains(">F"),
        "{:?}",
        fourth.text
    );
}

#[test]
fn reads_list_headers_from_a_mailman_archive() {
    let mailbox = read("korylprince-mbox/0.mbox");
    assert_eq!(mailbox.messages.len(), 2);
    for m in &mailbox.messages {
        let h = headers(m);
        assert!(h.precedence_bulk && !h.list_unsubscribe && !h.list_id);
        assert_eq!(thread(m).contact, "touch@isi.edu");
        assert_eq!(thread(m).contact_name, "Joe Touch");
    }
    // Two posts with their own Message-IDs and no References: two threads of one sender.
    let conversations: Vec<&str> = mailbox
        .messages
        .iter()
        .map(|m| thread(m).conversation.as_str())
        .collect();
    assert!(conversations.iter().all(|c| c.starts_with("mid:")));
    assert_ne!(conversations[0], conversations[1]);
    assert_eq!(mailbox.messages[1].subject, "[Touch-mm] testing logfile");
    assert_eq!(mailbox.messages[1].origin.line, 22);
    assert_eq!(
        thread(&mailbox.messages[0]).timestamp,
        dates::parse("Thu, 07 Mar 2002 00:49:39 +0000")
    );
}

#[test]
fn reports_a_truncated_mbox_instead_of_panicking() {
    let path = fixture("korylprince-mbox/1.mbox");
    let mailbox = read_mail(&path, None).unwrap();
    assert!(mailbox.messages.is_empty());
    assert_eq!(
        mailbox.report.bad_rows,
        [format!(
            "{}:1: message 1: empty message (nothing after the separator line)",
            path.display()
        )]
    );
}

#[test]
fn reads_a_folded_two_uri_list_unsubscribe() {
    let mailbox = read("dovecot-list-unsubscribe-eml/014.eml");
    assert_eq!(mailbox.messages.len(), 1);
    let m = &mailbox.messages[0];
    assert_eq!(m.origin.line, 1);
    let h = headers(m);
    assert!(h.list_unsubscribe && h.list_id && h.precedence_bulk);
    assert!(!h.one_click_unsubscribe && !h.linkedin_notification);
    assert!(thread(m).conversation.starts_with("mid:"));
    assert_eq!(thread(m).contact, "calpas2007@yahoo.fr");
}

#[test]
fn recognises_a_linkedin_invitation_mail() {
    let path = fixture("linkedin-invitation-email-2016/linkedin_1.txt");
    let mailbox = read_mail(&path, None).unwrap();
    assert_eq!(mailbox.messages.len(), 1);
    let m = &mailbox.messages[0];
    let h = headers(m);
    assert!(h.linkedin_invitation && h.linkedin_notification);
    assert!(thread(m).invitation);
    assert!(
        m.text.contains("I'd like to join your LinkedIn network"),
        "{:?}",
        &m.text[..500.min(m.text.len())]
    );
    // Each inviter is a sender of their own, keyed by the display name LinkedIn sends as.
    assert_eq!(thread(m).contact, "linkedin:steven footle");
    assert!(thread(m).conversation.starts_with("mid:"));
    // A pass without text says the same: the body is read for mail from LinkedIn.
    let stream = open_mail(&path, None).unwrap();
    let mut without_text = Vec::new();
    stream
        .each(false, &mut |m| {
            without_text.push(m);
            Ok(())
        })
        .unwrap();
    assert_eq!(without_text[0].thread, m.thread);
    assert_eq!(without_text[0].mail, m.mail);
}

#[test]
fn rejects_what_is_not_mail() {
    let readme = fixture("README.md");
    assert!(!is_mail(&readme));
    assert!(matches!(
        read_mail(&readme, None),
        Err(Error::Export { .. })
    ));
    assert!(!is_mail(&fixture("linkedin-export-2024-03")));
    assert!(matches!(
        read_mail(&fixture("linkedin-export-2024-03"), None),
        Err(Error::Export { .. })
    ));
}

#[test]
fn reads_the_spamassassin_corpus_with_labels_from_folders() {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpora/spamassassin"
    ));
    let tar = dir.join("spamassassin-publiccorpus-stdlib-0.2.3.tar.gz");
    let map: Vec<(String, String)> = [
        ("easy-ham-1", "ham"),
        ("easy-ham-2", "ham"),
        ("hard-ham-1", "ham"),
        ("spam-1", "spam"),
        ("spam-2", "spam"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let started = std::time::Instant::now();
    let (messages, report, _) = read_labeled_mail(&tar, &map).unwrap();
    eprintln!(
        "spamassassin: {} messages in {:?}, lossy {}",
        messages.len(),
        started.elapsed(),
        report.lossy_rows
    );
    assert!(report.bad_rows.is_empty(), "{:?}", report.bad_rows);
    let count = |label: &str| {
        messages
            .iter()
            .filter(|m| m.label.as_deref() == Some(label))
            .count()
    };
    assert_eq!(
        (messages.len(), count("ham"), count("spam")),
        (6_046, 4_150, 1_896)
    );
    assert!(messages
        .iter()
        .all(|m| m.mail.is_some() && m.thread.is_some()));
    let with_text = messages
        .iter()
        .filter(|m| !m.text.trim().is_empty())
        .count();
    assert!(with_text >= 6_025, "{with_text}"); // 21 spams are image-only HTML
    let dated = messages
        .iter()
        .filter(|m| thread(m).timestamp.is_some())
        .count();
    assert!(dated >= 6_040, "{dated}"); // e.g. `Date: 2002/09/14 Sat 02:29:32 CDT`
}
