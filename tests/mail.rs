//! Mail in: scoring mailboxes into sender verdicts, training from folders of raw mail, and
//! the streaming reader (threads, repeated passes) through the library.

mod common;

use std::path::Path;

use common::Sandbox;
use hardsell::read::mail::{self, MailStream};
use hardsell::read::{Message, MessageStream, ReadReport, Thread};

fn fixture(rel: &str) -> String {
    format!("{}/../shared/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn eml(from: &str, subject: &str, body: &str, extra: &str) -> String {
    format!(
        "From: {from}\r\nTo: me@example.org\r\nSubject: {subject}\r\nDate: Mon, 3 Mar 2025 10:00:00 +0000\r\n{extra}\r\n{body}\r\n"
    )
}

fn write_labeled_mail(sb: &Sandbox) {
    let spam = [
        "Win a free cruise now, click here to claim your prize",
        "Cheap meds online, no prescription, order today",
        "Make money fast from home, limited time offer",
        "You have been selected for a cash reward, reply now",
        "Lowest mortgage rates guaranteed, apply in minutes",
        "Exclusive deal: buy two get three free, act now",
    ];
    let ham = [
        "Minutes of Tuesday's meeting and the action items",
        "Can you review the patch for the parser before Friday?",
        "Lunch on Thursday? The new place near the office",
        "The build is green again after the dependency fix",
        "Draft agenda for the planning session next week",
        "Notes from the customer call about the freight data",
    ];
    for folder in ["mail/spam-1", "mail/easy-ham-1"] {
        std::fs::create_dir_all(sb.path(folder)).unwrap();
    }
    for i in 0..30 {
        let s = spam[i % spam.len()];
        let h = ham[i % ham.len()];
        sb.write(
            &format!("mail/spam-1/{i:03}.eml"),
            eml("promo@deals.example", s, &format!("{s} (offer {i})"), ""),
        );
        sb.write(
            &format!("mail/easy-ham-1/{i:03}.eml"),
            eml("colleague@example.org", h, &format!("{h} (thread {i})"), ""),
        );
    }
}

#[test]
fn trains_and_evaluates_from_folders_of_raw_mail_with_a_label_map() {
    let sb = Sandbox::new();
    write_labeled_mail(&sb);
    let map = "spam-1=spam,easy-ham-1=ham";
    sb.run(&[
        "train",
        "--data",
        "mail",
        "--label-map",
        map,
        "--cv",
        "2",
        "--out",
        "m.json",
    ])
    .expect_success()
    .expect_stderr("ham 30, spam 30");
    let model = sb.read_json("m.json");
    assert_eq!(model["labels"], serde_json::json!(["ham", "spam"]));
    let out = sb
        .run(&[
            "eval",
            "--model",
            "m.json",
            "--data",
            "mail",
            "--label-map",
            map,
            "--format",
            "json",
        ])
        .expect_success();
    let metrics = out.stdout_json();
    assert_eq!(metrics["rows"], 60);
    assert!(metrics["mcc"].as_f64().unwrap() > 0.9, "{metrics}");
}

#[test]
fn a_malformed_label_map_is_a_usage_error() {
    let sb = Sandbox::new();
    write_labeled_mail(&sb);
    sb.run(&[
        "train",
        "--data",
        "mail",
        "--label-map",
        "spam-1",
        "--out",
        "m.json",
    ])
    .expect_code(2);
}

#[test]
fn scores_a_mailbox_into_sender_verdicts_with_the_list_sender_not_flagged() {
    let sb = Sandbox::new();
    let out = sb
        .run(&["score", &fixture("dovecot-list-unsubscribe-eml/014.eml")])
        .expect_success();
    let text = out.stdout_text();
    assert!(
        text.starts_with("sender,profile_url,verdict,score"),
        "{text}"
    );
    assert!(
        text.contains(",ok,") && text.contains("unsubscribe"),
        "{text}"
    );
}

/// An Inbox exported alone: three mails from a seller (a thread), one from a colleague.
fn inbox_alone() -> String {
    let mail = |i: u32, from: &str, day: u32, subject: &str, body: &str, parents: &str| {
        let address = from.split('<').nth(1).unwrap().trim_end_matches('>');
        format!(
            "From {address} Mon Jan {day:>2} 10:00:00 2024\nFrom: {from}\nTo: Jordan <me@example.com>\n\
             Subject: {subject}\nDate: Mon, {day} Jan 2024 10:00:00 +0000\nMessage-ID: <m{i}@x>\n\
             {parents}\n{body}\n\n"
        )
    };
    let seller = "Pat Seller <pat@leadgen.example>";
    [
        mail(1, seller, 2, "Growth", "Hi Jordan, we help SaaS teams grow pipeline 3x. Could we set up a 15 minute call this week?", ""),
        mail(2, seller, 4, "Re: Growth", "Following up on my note below. Do you have 15 minutes on Thursday?", "In-Reply-To: <m1@x>\nReferences: <m1@x>\n"),
        mail(3, seller, 8, "Re: Growth", "Bumping this up in your inbox. Happy to send a calendar link.", "In-Reply-To: <m2@x>\nReferences: <m1@x> <m2@x>\n"),
        mail(4, "Sam Colleague <sam@example.org>", 3, "Slides", "Hi Jordan, could you send me the slides from the review before Friday? Thanks, Sam", ""),
    ]
    .concat()
}

#[test]
fn an_inbox_without_sent_mail_leaves_replies_unknown_even_with_a_note_to_self() {
    let sb = Sandbox::new();
    let note = "From me@example.com Fri Jan  5 08:00:00 2024\nFrom: Jordan <me@example.com>\n\
                To: Jordan <me@example.com>\nSubject: note to self\n\
                Date: Fri, 5 Jan 2024 08:00:00 +0000\nMessage-ID: <m5@x>\n\nBuy milk.\n\n";
    for (name, mbox) in [
        ("inbox.mbox", inbox_alone()),
        ("noted.mbox", inbox_alone() + note),
    ] {
        sb.write(name, &mbox);
        let run = sb
            .run(&["score", name, "--me", "me@example.com"])
            .expect_success()
            .expect_stderr("warning: none of your own messages is in the input");
        let report = run.stdout_text();
        let pat = report
            .lines()
            .find(|l| l.starts_with("Pat Seller"))
            .unwrap();
        assert!(
            pat.contains("(your replies are not in the input)"),
            "{name}: {pat}"
        );
        assert!(!pat.contains("never replied"), "{name}: {pat}");
        let sam = report
            .lines()
            .find(|l| l.starts_with("Sam Colleague"))
            .unwrap();
        assert!(sam.contains(",ok,"), "{name}: {sam}");
    }
    // With your sent mail beside it, silence is known: the seller chased you.
    let reply = "From me@example.com Wed Jan  3 12:00:00 2024\nFrom: Jordan <me@example.com>\n\
                 To: Sam Colleague <sam@example.org>\nSubject: Re: Slides\n\
                 Date: Wed, 3 Jan 2024 12:00:00 +0000\nMessage-ID: <m6@x>\n\
                 In-Reply-To: <m4@x>\nReferences: <m4@x>\n\nHere they are.\n\n";
    sb.write("both.mbox", &(inbox_alone() + reply));
    let run = sb
        .run(&["score", "both.mbox", "--me", "me@example.com"])
        .expect_success()
        .expect_no_stderr("none of your own messages");
    let report = run.stdout_text();
    let pat = report
        .lines()
        .find(|l| l.starts_with("Pat Seller"))
        .unwrap();
    assert!(pat.contains("you never replied"), "{pat}");
}

/// The sender rows (JSON) of `score` on `mbox`, written to `name`, for `me@example.com`.
fn sender_rows(sb: &Sandbox, name: &str, mbox: &str) -> Vec<serde_json::Value> {
    sb.write(name, mbox);
    let run = sb
        .run(&["score", name, "--me", "me@example.com", "--format", "jsonl"])
        .expect_success();
    run.stdout_text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Mail in `me@example.com`'s name: `(headers, body)` after a `From ` line, From and To both
/// the owner.
fn in_your_name(id: u32, day: u32, extra: &str, body: &str) -> String {
    format!(
        "From me@example.com Mon Jan {day:>2} 09:00:00 2024\nFrom: Jordan <me@example.com>\n\
         To: Jordan <me@example.com>\nSubject: mail {id}\nDate: Mon, {day} Jan 2024 09:00:00 +0000\n\
         Message-ID: <y{id}@x>\n{extra}\n{body}\n\n"
    )
}

#[test]
fn mail_that_forges_your_address_is_judged_as_a_sender_and_a_note_to_self_is_not() {
    let sb = Sandbox::new();
    let extortion = "I hacked your device and recorded you. Pay 1500 USD in Bitcoin to the wallet \
                     below within 48 hours or the video goes to all your contacts.";
    let forged_spf = in_your_name(
        10,
        9,
        "Received-SPF: fail (example.com: domain of me@example.com does not designate 203.0.113.9 as permitted sender)\n",
        extortion,
    );
    let forged_dmarc = in_your_name(
        11,
        10,
        "Authentication-Results: mx.example.com;\n       dkim=none; spf=pass smtp.mailfrom=bulk.example;\n       dmarc=fail (p=NONE) header.from=example.com\n",
        extortion,
    );
    let in_spam = in_your_name(12, 11, "X-Gmail-Labels: Spam,Category Updates\n", extortion);
    // Yours: a note to self Gmail filed as sent, a draft, and your own post a list brought back.
    let note = in_your_name(13, 12, "X-Gmail-Labels: Sent,Inbox\n", "Buy milk.");
    let draft = in_your_name(14, 13, "X-Gmail-Labels: Drafts\n", "Half a thought.");
    let echo = in_your_name(
        15,
        14,
        "X-Gmail-Labels: Inbox\nList-Id: <team.example.com>\n\
         Authentication-Results: mx.example.com; dmarc=fail header.from=example.com\n",
        "My post.",
    );
    // Forwarded on the way, your own mail soft-fails SPF while DMARC passes.
    let forwarded = in_your_name(
        16,
        15,
        "Authentication-Results: mx.example.com; spf=softfail smtp.mailfrom=example.com; dmarc=pass\n",
        "See you at the review.",
    );
    let mbox = inbox_alone()
        + &forged_spf
        + &forged_dmarc
        + &in_spam
        + &note
        + &draft
        + &echo
        + &forwarded;
    let rows = sender_rows(&sb, "inbox.mbox", &mbox);
    let forged: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| {
            r["sender"]
                .as_str()
                .unwrap()
                .contains("(your address, forged)")
        })
        .collect();
    assert_eq!(
        forged.len(),
        1,
        "one sender for the three forged mails: {rows:?}"
    );
    let f = forged[0];
    assert_eq!(f["messages"], 3, "{f}");
    assert_eq!(f["profile_url"], "forged:me@example.com", "{f}");
    let evidence = f["evidence"].as_str().unwrap();
    assert!(evidence.contains("your own address, forged"), "{evidence}");
    // Nothing else of yours became a sender: Pat, Sam, and the forger.
    assert_eq!(rows.len(), 3, "{rows:?}");
}

#[test]
fn a_linkedin_invitation_mail_with_the_default_note_is_a_collector() {
    let sb = Sandbox::new();
    let out = sb
        .run(&[
            "score",
            &fixture("linkedin-invitation-email-2016/linkedin_1.txt"),
            "--format",
            "jsonl",
        ])
        .expect_success();
    let row: serde_json::Value =
        serde_json::from_str(out.stdout_text().lines().next().unwrap()).unwrap();
    assert_eq!(row["verdict"], "collector", "{row}");
    assert_eq!(row["invitation_note"], "generic", "{row}");
}

/// A LinkedIn invitation e-mail of today's layout: the inviter's card, then the note, then
/// LinkedIn's buttons and footer.
fn invitation_mail(name: &str, day: u32, note: &str) -> String {
    format!(
        "From invitations@linkedin.com Mon Mar {day:>2} 09:00:00 2025\n\
         From: {name} via LinkedIn <invitations@linkedin.com>\nTo: Morgan <me@example.com>\n\
         Subject: {name} wants to connect\nDate: Mon, {day} Mar 2025 09:00:00 +0000\n\
         List-Unsubscribe: <https://www.linkedin.com/e/unsub>\nPrecedence: bulk\n\n\
         {name}\nHead of Growth | Speaker\nAustin, Texas\nPat Lee is a mutual connection\n\n\
         {note}\n\nAccept: https://www.linkedin.com/comm/mynetwork/invite-accept/?id={day}\n\n\
         View profile: https://www.linkedin.com/comm/in/x{day}\n\n\
         -----------------------------------------\nYou are receiving Invitation emails.\n\
         Unsubscribe: https://www.linkedin.com/comm/psettings/email-unsubscribe\n\n"
    )
}

#[test]
fn an_invitation_mail_is_judged_on_the_inviters_note_under_their_own_name() {
    let sb = Sandbox::new();
    let mbox = invitation_mail(
        "Trevor Blake",
        3,
        "I'd like to add you to my professional network on LinkedIn.",
    ) + &invitation_mail(
        "Ben Okafor",
        4,
        "Morgan, I enjoyed sitting next to you at the speakers' dinner at Logistics Summit. \
         Your point about dwell time stuck with me. -- Ben",
    );
    let rows = sender_rows(&sb, "invites.mbox", &mbox);
    let row = |key: &str| {
        rows.iter()
            .find(|r| r["profile_url"] == key)
            .unwrap_or_else(|| panic!("no sender {key}: {rows:?}"))
    };
    let trevor = row("linkedin:trevor blake");
    assert_eq!(trevor["sender"], "Trevor Blake", "{trevor}");
    assert_eq!(trevor["invitation_note"], "generic", "{trevor}");
    assert_eq!(trevor["verdict"], "collector", "{trevor}");
    let ben = row("linkedin:ben okafor");
    assert_eq!(ben["invitation_note"], "personal", "{ben}");
    // The note alone, not LinkedIn's card and footer, is what the model reads.
    assert!(
        !ben["evidence"].as_str().unwrap().contains("hard sell"),
        "{ben}"
    );
}

#[test]
fn a_takeout_mbox_is_read_with_its_owner_and_a_me_no_mail_names_is_refused() {
    let sb = Sandbox::new();
    let mbox = fixture("gmail-takeout-mbox/takeout-sample.mbox");
    sb.run(&["score", &mbox])
        .expect_success()
        .expect_stderr("you: ");
    sb.run(&["score", &mbox, "--me", "typo@example.org"])
        .expect_code(2)
        .expect_stderr("--me typo@example.org: no message is from or to that address");
}

#[test]
fn mail_that_names_no_address_is_judged_alone_with_a_warning() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.path("box")).unwrap();
    let headless = |i: u32, from: &str| {
        format!(
            "{from}To: me@example.com\nSubject: note {i}\nDate: Tue, 0{i} Mar 2025 10:00:00 +0000\n\
             Message-ID: <n{i}@a>\n\nHello, a note number {i}.\n"
        )
    };
    sb.write("box/1.eml", headless(1, ""));
    sb.write("box/2.eml", headless(2, ""));
    sb.write("box/3.eml", headless(3, "From: <>\n"));
    let run = sb
        .run(&[
            "score",
            "box",
            "--me",
            "me@example.com",
            "--format",
            "jsonl",
        ])
        .expect_success()
        .expect_stderr("warning: 3 row(s) name no sender")
        .expect_stderr("(in mail: '(no address)')");
    let rows: Vec<serde_json::Value> = run
        .stdout_text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Three senders of one message each, not one sender who wrote three times.
    assert_eq!(rows.len(), 3, "{rows:?}");
    for row in &rows {
        assert_eq!(row["sender"], "(no address)", "{row}");
        assert_eq!(row["messages"], 1, "{row}");
        assert!(
            row["profile_url"]
                .as_str()
                .unwrap()
                .starts_with("(no address) "),
            "{row}"
        );
    }
}

#[test]
fn an_empty_mbox_is_an_input_error() {
    let sb = Sandbox::new();
    sb.write("empty.mbox", "");
    sb.run(&["score", "empty.mbox"])
        .expect_code(3)
        .expect_stderr("empty.mbox");
}

// The streaming reader (hardsell::read::mail::open_mail), through the library.

/// One pass over `stream`, every message kept.
fn pass(stream: &MailStream, text: bool) -> (Vec<Message>, ReadReport) {
    let mut messages = Vec::new();
    let report = stream
        .each(text, &mut |m| {
            messages.push(m);
            Ok(())
        })
        .unwrap();
    (messages, report)
}

fn thread(m: &Message) -> &Thread {
    m.thread.as_ref().expect("every mail has a thread")
}

/// A classic mbox of `(headers, body)` mails, each behind a `From ` line.
fn mbox(mails: &[(&str, &str)]) -> String {
    mails
        .iter()
        .map(|(headers, body)| {
            format!(
                "From x@example.com Mon Mar  3 10:00:00 2025\n{headers}\
                 Date: Mon, 3 Mar 2025 10:00:00 +0000\n\n{body}\n\n"
            )
        })
        .collect()
}

/// Ann pitches and the owner answers (In-Reply-To only), Ann follows up (References); Ann
/// starts a second thread that Bob joins; Ann sends one mail with no ids; one message between
/// two separators is empty.
fn threaded_mbox() -> String {
    let ann = "From: Ann <ann@x.com>\nTo: me@y.com\n";
    mbox(&[
        (
            &format!("{ann}Subject: intro\nMessage-ID: <1@x.com>\n"),
            "hello",
        ),
        (
            "From: me@y.com\nTo: Ann <ann@x.com>\nSubject: re: intro\n\
             Message-ID: <2@y.com>\nIn-Reply-To: <1@x.com>\n",
            "thanks",
        ),
        (
            &format!(
                "{ann}Subject: re: intro\nMessage-ID: <3@x.com>\nReferences: <1@x.com> <2@y.com>\n"
            ),
            "so?",
        ),
        (
            &format!("{ann}Subject: offer\nMessage-ID: <4@x.com>\n"),
            "buy",
        ),
        (
            "From: Bob <bob@x.com>\nTo: me@y.com\nSubject: re: offer\n\
             Message-ID: <5@x.com>\nIn-Reply-To: <4@x.com>\n",
            "me too",
        ),
        (&format!("{ann}Subject: no ids\n"), "plain"),
    ]) + "From x@example.com Mon Mar  3 10:00:00 2025\n\n"
}

fn write_threaded(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("inbox.mbox");
    std::fs::write(&path, threaded_mbox()).unwrap();
    path
}

#[test]
fn threads_a_takeout_mbox_by_gmail_thread_id() {
    let path = fixture("gmail-takeout-mbox/takeout-sample.mbox");
    let stream = mail::open_mail(Path::new(&path), None).unwrap();
    assert_eq!(stream.owner(), ["user@gmail.com"]);
    assert_eq!(stream.message_count(), 2);
    let (messages, report) = pass(&stream, true);
    assert!(report.bad_rows.is_empty(), "{:?}", report.bad_rows);
    let keys: Vec<(&str, &str)> = messages
        .iter()
        .map(|m| (thread(m).conversation.as_str(), thread(m).contact.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            ("thr:1662179098743785572", "no-reply@accounts.google.com"),
            (
                "thr:1662179055834346057",
                "googlecommunityteam-noreply@google.com"
            ),
        ]
    );
}

#[test]
fn threads_an_mbox_by_references_and_in_reply_to() {
    let dir = tempfile::tempdir().unwrap();
    let stream = mail::open_mail(&write_threaded(dir.path()), None).unwrap();
    assert_eq!(stream.owner(), ["me@y.com"]);
    let (messages, report) = pass(&stream, true);
    let subjects: Vec<&str> = messages.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "intro",
            "re: intro",
            "re: intro",
            "offer",
            "re: offer",
            "no ids"
        ]
    );
    let conversation: Vec<&str> = messages
        .iter()
        .map(|m| thread(m).conversation.as_str())
        .collect();
    let contact: Vec<&str> = messages
        .iter()
        .map(|m| thread(m).contact.as_str())
        .collect();
    // The owner's answer and Ann's follow-up are in Ann's first thread.
    assert!(conversation[0].starts_with("mid:"), "{conversation:?}");
    assert_eq!(conversation[1], conversation[0]);
    assert_eq!(conversation[2], conversation[0]);
    assert!(!thread(&messages[1]).incoming && thread(&messages[2]).incoming);
    // Ann's second thread is another conversation, and Bob's answer is in it.
    assert_ne!(conversation[3], conversation[0]);
    assert_eq!(conversation[4], conversation[3]);
    // Without any id, the correspondent.
    assert_eq!(conversation[5], "ann@x.com");
    assert_eq!(
        contact,
        [
            "ann@x.com",
            "ann@x.com",
            "ann@x.com",
            "ann@x.com",
            "bob@x.com",
            "ann@x.com"
        ]
    );
    let lines: Vec<String> = threaded_mbox().lines().map(str::to_string).collect();
    let last_separator = lines
        .iter()
        .rposition(|l| l.starts_with("From x@"))
        .unwrap();
    let empty = format!(
        "{}:{}: message 7: empty message (nothing after the separator line)",
        dir.path().join("inbox.mbox").display(),
        last_separator + 1
    );
    assert_eq!(report.bad_rows, [empty]);
}

#[test]
fn every_pass_gives_the_same_messages_and_reports_the_same_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let stream = mail::open_mail(&write_threaded(dir.path()), None).unwrap();
    let (first, first_report) = pass(&stream, true);
    let (second, second_report) = pass(&stream, true);
    assert_eq!(first.len(), 6);
    assert_eq!(first, second);
    assert_eq!(first_report.bad_rows.len(), 1);
    assert_eq!(first_report.bad_rows, second_report.bad_rows);
    let (_, without_text) = pass(&stream, false);
    assert_eq!(without_text.bad_rows, first_report.bad_rows);
    // read_mail is the same pass, collected.
    let mailbox = mail::read_mail(&dir.path().join("inbox.mbox"), None).unwrap();
    assert_eq!(mailbox.messages, first);
    assert_eq!(mailbox.report.bad_rows, first_report.bad_rows);
}

#[test]
fn a_pass_without_text_keeps_ids_origins_threads_and_headers() {
    let dir = tempfile::tempdir().unwrap();
    let stream = mail::open_mail(&write_threaded(dir.path()), None).unwrap();
    let (with_text, _) = pass(&stream, true);
    let (without, _) = pass(&stream, false);
    assert_eq!(without.len(), with_text.len());
    for (bare, full) in without.iter().zip(&with_text) {
        assert!(bare.subject.is_empty() && bare.text.is_empty());
        assert!(!full.text.is_empty());
        assert_eq!((&bare.id, &bare.origin), (&full.id, &full.origin));
        assert_eq!((&bare.thread, &bare.mail), (&full.thread, &full.mail));
    }
}

#[test]
fn a_reply_from_another_client_joins_its_gmail_thread() {
    let dir = tempfile::tempdir().unwrap();
    let takeout = "X-GM-THRID: 77\nX-Gmail-Labels: Inbox\nDelivered-To: me@gmail.com\n\
                   From: Cara <cara@x.com>\nTo: me@gmail.com\nSubject: pitch\nMessage-ID: <p@x.com>\n";
    let sent = "From: me@gmail.com\nTo: Cara <cara@x.com>\nSubject: re: pitch\n\
                Message-ID: <r@gmail.com>\nIn-Reply-To: <p@x.com>\n";
    std::fs::write(dir.path().join("takeout.mbox"), mbox(&[(takeout, "buy")])).unwrap();
    std::fs::write(dir.path().join("sent.mbox"), mbox(&[(sent, "no thanks")])).unwrap();
    let stream = mail::open_mail(dir.path(), None).unwrap();
    assert_eq!(stream.owner(), ["me@gmail.com"]);
    let (messages, _) = pass(&stream, false);
    let threads: Vec<(&str, bool)> = messages
        .iter()
        .map(|m| (thread(m).conversation.as_str(), thread(m).incoming))
        .collect();
    assert_eq!(threads, [("thr:77", false), ("thr:77", true)]); // sent.mbox comes first
}

/// Memory check, run by hand (not timed, not in CI): streams the mailbox named by
/// `HARDSELL_BIG_MAIL` through an index pass and one pass without text (with text when
/// `HARDSELL_BIG_TEXT=1`), counting messages.
/// `/usr/bin/time -f "%e s %M KB" target/release/deps/mail-* --ignored --exact
/// streams_a_big_mailbox_from_env --nocapture` gives the peak RSS.
#[test]
#[ignore]
fn streams_a_big_mailbox_from_env() {
    let path = std::env::var("HARDSELL_BIG_MAIL").expect("set HARDSELL_BIG_MAIL to a mailbox");
    let started = std::time::Instant::now();
    let stream = mail::open_mail(Path::new(&path), None).unwrap();
    let indexed = started.elapsed();
    let text = std::env::var("HARDSELL_BIG_TEXT").is_ok_and(|v| v == "1");
    let (mut count, mut threaded) = (0usize, 0usize);
    let report = stream
        .each(text, &mut |m| {
            count += 1;
            threaded += usize::from(!thread(&m).conversation.contains('@'));
            Ok(())
        })
        .unwrap();
    eprintln!(
        "{path}: {count} messages ({threaded} keyed by a thread id), {} unreadable, owner {:?}; \
         index {indexed:?}, index + pass (text {text}) {:?}",
        report.bad_rows.len(),
        stream.owner(),
        started.elapsed()
    );
    assert_eq!(count, stream.message_count());
}
