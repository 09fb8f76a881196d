//! Integration tests: `hardsell score` on a LinkedIn data export the tests write themselves.
//!
//! The export (see `export_support`) is Sam Rivera's, in the August 2025 layout, with six
//! contacts whose verdicts are known: each test reads as one behaviour a user relies on — the
//! verdict and the evidence they are shown for a kind of sender, the output formats, the
//! policies, the zip as downloaded, and the exit code and `file:line` of each input error.

mod common;
mod export_support;

use std::collections::BTreeSet;

use common::{Run, Sandbox};
use export_support::*;

/// The folder the export is unzipped into, relative to the sandbox.
const EXPORT: &str = "export";
/// The name LinkedIn gives the Basic archive (and the folder inside it).
const ZIP: &str = "Basic_LinkedInDataExport_01-02-2026.zip";
const ZIP_FOLDER: &str = "Basic_LinkedInDataExport_01-02-2026";

/// A sandbox holding Sam Rivera's export unzipped in [`EXPORT`].
fn sam_export() -> Sandbox {
    let sandbox = Sandbox::new();
    Export::sam_rivera().write_folder(&sandbox, EXPORT);
    sandbox
}

/// Runs `hardsell score <input> ARGS...`, expects success and parses the CSV report.
fn score(sandbox: &Sandbox, input: &str, args: &[&str]) -> (Run, Vec<SenderRow>) {
    let mut all = vec!["score", input];
    all.extend_from_slice(args);
    let run = sandbox.run(&all).expect_success().expect_no_panic();
    let rows = parse_csv_report(&run);
    (run, rows)
}

/// Fails with the run's output and the row when `ok` is false.
#[track_caller]
fn expect_row(run: &Run, row: &SenderRow, ok: bool, what: &str) {
    if !ok {
        run.fail(&format!("{what}\n--- row:\n{row:#?}"));
    }
}

/// Profile URLs of the senders a report flags (hard_sell or collector).
fn flagged(rows: &[SenderRow]) -> BTreeSet<String> {
    rows.iter()
        .filter(|r| r.verdict == "hard_sell" || r.verdict == "collector")
        .map(|r| r.profile_url.clone())
        .collect()
}

fn sponsored_key() -> String {
    format!("conv:{SPONSORED_CONVERSATION}")
}

// ---------------------------------------------------------------------------------------------
// One verdict per kind of sender
// ---------------------------------------------------------------------------------------------

#[test]
fn reports_one_row_per_contact_who_wrote_and_names_the_owner() {
    let sandbox = sam_export();
    let (run, rows) = score(&sandbox, EXPORT, &[]);
    let run = run.expect_stderr(&format!("you: {OWNER_NAME} {OWNER_URL}"));
    let got: BTreeSet<&str> = rows.iter().map(|r| r.profile_url.as_str()).collect();
    let key = sponsored_key();
    let want: BTreeSet<&str> = [
        STRANGER_URL,
        SELLER_URL,
        FRIEND_URL,
        REFERRED_URL,
        FALSE_CLAIM_URL,
        key.as_str(),
    ]
    .into();
    if got != want || rows.len() != want.len() {
        run.fail(&format!(
            "expected exactly the senders {want:?}, got {got:?}"
        ));
    }
    // Sam's own pending invitation to Lena Fischer makes no sender row, nor does Sam.
    for url in [INVITEE_URL, OWNER_URL] {
        if got.contains(url) {
            run.fail(&format!("{url} sent nothing and must not be reported"));
        }
    }
}

#[test]
fn the_report_lists_hard_sells_first_then_collectors_sponsored_and_ok() {
    let sandbox = sam_export();
    let (run, rows) = score(&sandbox, EXPORT, &[]);
    let rank = |v: &str| {
        ["hard_sell", "collector", "sponsored", "ok"]
            .iter()
            .position(|x| *x == v)
    };
    let ranks: Vec<Option<usize>> = rows.iter().map(|r| rank(&r.verdict)).collect();
    if ranks.iter().any(Option::is_none) || ranks.windows(2).any(|w| w[0] > w[1]) {
        run.fail("verdicts are not all known, or not in hard_sell, collector, sponsored, ok order");
    }
}

#[test]
fn a_stranger_who_invites_without_a_note_and_never_writes_is_a_collector() {
    let sandbox = sam_export();
    let (run, rows) = score(&sandbox, EXPORT, &[]);
    let row = sender(&run, &rows, STRANGER_URL);
    expect_row(
        &run,
        row,
        row.verdict == "collector",
        "expected verdict collector",
    );
    expect_row(
        &run,
        row,
        row.evidence.contains("no note"),
        "expected evidence 'no note'",
    );
    expect_row(
        &run,
        row,
        row.invitation_note == "none",
        "expected invitation_note none",
    );
    expect_row(
        &run,
        row,
        row.sender == "Jordan Blake",
        "expected the sender's name",
    );
    expect_row(
        &run,
        row,
        row.messages == 1 && row.you_replied == Some(false),
        "one invitation, no reply",
    );
    expect_row(
        &run,
        row,
        row.first_contact == "2025-08-20 09:14:00 UTC",
        "first_contact is the invitation's Sent At",
    );
}

#[test]
fn a_note_that_is_only_a_greeting_is_a_generic_note() {
    let mut export = Export::sam_rivera();
    let jordan = (export.invitations.iter_mut())
        .find(|i| i.inviter_url == STRANGER_URL)
        .unwrap();
    jordan.note = "Hi Sam!".into();
    let sandbox = Sandbox::new();
    export.write_folder(&sandbox, EXPORT);
    let (run, rows) = score(&sandbox, EXPORT, &[]);
    let row = sender(&run, &rows, STRANGER_URL);
    expect_row(&run, row, row.invitation_note == "generic", "a greeting");
    expect_row(&run, row, row.verdict == "collector", "expected collector");
    expect_row(
        &run,
        row,
        row.evidence.contains("generic note: \"Hi Sam!\""),
        "the note quoted",
    );
}

#[test]
fn a_seller_who_pitches_the_day_of_acceptance_and_follows_up_unanswered_is_a_hard_sell() {
    let sandbox = sam_export();
    let (run, rows) = score(&sandbox, EXPORT, &[]);
    let row = sender(&run, &rows, SELLER_URL);
    expect_row(
        &run,
        row,
        row.verdict == "hard_sell",
        "expected verdict hard_sell",
    );
    expect_row(
        &run,
        row,
        row.connected_on == "2025-08-12",
        "connected_on from Connections.csv",
    );
    // Connected On is a date: the pitch an hour into it is told in calendar days.
    expect_row(
        &run,
        row,
        row.time_to_first_pitch == "same day",
        "pitched the day of accepting",
    );
    expect_row(
        &run,
        row,
        row.unanswered_followups == Some(3),
        "three unanswered follow-ups",
    );
    expect_row(
        &run,
        row,
        row.you_replied == Some(false),
        "Sam never replied",
    );
    expect_row(
        &run,
        row,
        row.messages == 5,
        "one invitation and four messages",
    );
    expect_row(
        &run,
        row,
        row.score >= 0.5 && row.score <= 1.0,
        "score of a flag is 0.5..1",
    );
    for needle in [
        "pitched the day you accepted",
        "follow-up",
        "never replied",
        "opt out",
    ] {
        expect_row(
            &run,
            row,
            row.evidence.contains(needle),
            &format!("evidence mentions {needle:?}"),
        );
    }
}

#[test]
fn namesakes_inviting_in_the_same_minute_are_two_senders_not_a_copy() {
    let mut export = Export::sam_rivera();
    let jordan = (export.invitations.iter())
        .find(|i| i.inviter_url == STRANGER_URL)
        .cloned()
        .unwrap();
    let namesake = "https://www.linkedin.com/in/jordan-blake-2";
    export.invitations.push(Invitation {
        inviter_url: namesake.into(),
        ..jordan
    });
    let sandbox = Sandbox::new();
    export.write_folder(&sandbox, EXPORT);
    let (run, rows) = score(&sandbox, EXPORT, &[]);
    let run = run.expect_no_stderr("copies of a row");
    for url in [STRANGER_URL, namesake] {
        let row = sender(&run, &rows, url);
        expect_row(&run, row, row.messages == 1, "each their own invitation");
    }
}

#[test]
fn a_seller_who_keeps_writing_after_you_declined_is_told_so() {
    let mut export = Export::sam_rivera();
    // Sam says no the day after the first pitch; Kevin follows up three more times.
    export.messages.push(from_sam(
        SELLER_CONVERSATION,
        "Kevin Marsh",
        SELLER_URL,
        "2025-08-13 09:00:00 UTC",
        "Thanks Kevin, but we're not interested at the moment.",
    ));
    let sandbox = Sandbox::new();
    export.write_folder(&sandbox, EXPORT);
    let (run, rows) = score(&sandbox, EXPORT, &[]);
    let row = sender(&run, &rows, SELLER_URL);
    expect_row(&run, row, row.verdict == "hard_sell", "still a hard sell");
    expect_row(
        &run,
        row,
        row.evidence.contains("kept pitching after you declined"),
        "told that they went on after a no",
    );
    // Without the no, it is not said.
    let (run, rows) = score(&sam_export(), EXPORT, &[]);
    let row = sender(&run, &rows, SELLER_URL);
    expect_row(&run, row, !row.evidence.contains("declined"), "no decline");
}

#[test]
fn a_message_sent_long_before_connecting_is_not_called_a_pitch_after_accepting() {
    let sandbox = Sandbox::new();
    sandbox.write(
        "inmail/messages.csv",
        "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,DATE,SUBJECT,CONTENT,FOLDER\n\
         c1,,Jordan Avery,https://www.linkedin.com/in/jordan,Ana Recruiter,https://www.linkedin.com/in/ana,2023-01-01 09:00:00 UTC,,Hi Ana thanks for the chat at the meetup,INBOX\n\
         c2,Senior role,Sam Seller,https://www.linkedin.com/in/sam,Jordan Avery,https://www.linkedin.com/in/jordan,2023-03-01 10:00:00 UTC,Senior role,\"Hi Jordan, I'm hiring at Acme. Would you be open to a quick chat about the role?\",INBOX\n",
    );
    // Sam became a connection 19 months after the InMail.
    sandbox.write(
        "inmail/Connections.csv",
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n\
         Sam,Seller,https://www.linkedin.com/in/sam,,,,05 Oct 2024\n",
    );
    let run = sandbox.run(&["score", "inmail"]).expect_success();
    let sam = run
        .stdout_text()
        .lines()
        .find(|l| l.starts_with("Sam Seller,"))
        .map(String::from)
        .unwrap_or_else(|| run.fail("no row for Sam"));
    assert!(!sam.contains("after you accepted"), "{sam}");
    let fields: Vec<&str> = sam.split(',').collect();
    assert_eq!(fields[7], "", "no time to first pitch: {sam}");
}

#[test]
fn an_accepted_invitations_note_repeated_as_the_first_message_is_the_invitation_not_a_pitch() {
    // LinkedIn copies an accepted invitation's note into messages.csv as the first message of
    // the conversation, dated after the acceptance (FORMATS.md): read as a message, Daniel's
    // note would be a second message sent hours after Sam accepted.
    let mut export = Export::sam_rivera();
    let note = export
        .invitations
        .iter()
        .find(|i| i.inviter_url == REFERRED_URL)
        .map(|i| i.note.clone())
        .unwrap();
    let echo = |date: &str| Message {
        conversation: "2-REFERRED".into(),
        title: String::new(),
        from: "Daniel Okafor".into(),
        from_url: REFERRED_URL.into(),
        to: OWNER_NAME.into(),
        to_urls: OWNER_URL.into(),
        date: date.into(),
        content: note.clone(),
        folder: "INBOX".into(),
    };
    let connect_daniel = |export: &mut Export| {
        let mut daniel = export.connections[1].clone();
        (daniel.first, daniel.last) = ("Daniel".into(), "Okafor".into());
        daniel.url = REFERRED_URL.into();
        daniel.connected_on = "22 Aug 2025".into();
        export.connections.push(daniel);
    };
    export.messages.insert(0, echo("2025-08-22 07:09:25 UTC"));
    connect_daniel(&mut export);
    let sandbox = Sandbox::new();
    export.write_folder(&sandbox, EXPORT);
    let (run, rows) = score(&sandbox, EXPORT, &[]);
    let run = run
        .expect_stderr("note: left out 1 row(s)")
        .expect_stderr("accepted invitations' notes, which LinkedIn repeats as the first message");
    let row = sender(&run, &rows, REFERRED_URL);
    expect_row(&run, row, row.verdict == "ok", "expected verdict ok");
    expect_row(&run, row, row.messages == 1, "the invitation alone");
    expect_row(
        &run,
        row,
        !row.evidence.contains("after you accepted") && row.time_to_first_pitch.is_empty(),
        "no pitch after accepting",
    );
    // How many messages the report gives the sender with `url`.
    let messages_of = |export: &Export, url: &str| {
        export.write_folder(&sandbox, EXPORT);
        let (run, rows) = score(&sandbox, EXPORT, &[]);
        sender(&run, &rows, url).messages
    };

    // The same text a second time, a week later, is a message of its own.
    export.messages.insert(0, echo("2025-08-29 10:00:00 UTC"));
    assert_eq!(messages_of(&export, REFERRED_URL), 2, "and the later one");

    // Not accepted (not among the connections): no copy, every message is one.
    export.connections.pop();
    assert_eq!(
        messages_of(&export, REFERRED_URL),
        3,
        "a pending invitation"
    );

    // A namesake with another profile URL writing the same words is someone else.
    let mut export = Export::sam_rivera();
    let namesake = "https://www.linkedin.com/in/daniel-okafor-2";
    let mut other = echo("2025-08-22 07:09:25 UTC");
    other.from_url = namesake.into();
    export.messages.insert(0, other);
    connect_daniel(&mut export);
    assert_eq!(messages_of(&export, namesake), 1, "the namesake's message");

    // The same words to a group, earlier, are a message; the one-to-one copy is the copy.
    let mut export = Export::sam_rivera();
    let mut group = echo("2025-08-22 06:00:00 UTC");
    group.conversation = "2-GROUP".into();
    group.to = format!("{OWNER_NAME}, Kim Lee");
    group.to_urls = format!("{OWNER_URL},https://www.linkedin.com/in/kim-lee");
    export.messages.insert(0, group);
    export.messages.insert(0, echo("2025-08-22 07:09:25 UTC"));
    connect_daniel(&mut export);
    assert_eq!(
        messages_of(&export, REFERRED_URL),
        2,
        "the invitation and the group's"
    );
    sandbox
        .run(&[
            "score",
            "-q",
            EXPORT,
            "-o",
            "r.csv",
            "--messages-out",
            "m.csv",
        ])
        .expect_success();
    let rows = String::from_utf8(sandbox.read("m.csv")).unwrap();
    // messages.csv:2 is the copy (left out), messages.csv:3 the group's (kept).
    assert!(
        !rows.contains("messages.csv:2,") && rows.contains("messages.csv:3,"),
        "{rows}"
    );
}

#[test]
fn a_friend_you_reply_to_is_ok() {
    let sandbox = sam_export();
    let (run, rows) = score(&sandbox, EXPORT, &[]);
    let row = sender(&run, &rows, FRIEND_URL);
    expect_row(&run, row, row.verdict == "ok", "expected verdict ok");
    expect_row(
        &run,
        row,
        row.you_replied == Some(true),
        "expected you_replied true",
    );
    expect_row(&run, row, row.messages == 2, "Maya wrote twice");
    expect_row(
        &run,
        row,
        row.unanswered_followups == Some(0),
        "every message was answered",
    );
    expect_row(
        &run,
        row,
        row.evidence.contains("you replied"),
        "evidence says you replied",
    );
    expect_row(
        &run,
        row,
        row.invitation_note.is_empty(),
        "no invitation in the window",
    );
}

#[test]
fn a_sender_referred_by_one_of_your_connections_is_ok() {
    let sandbox = sam_export();
    let (run, rows) = score(&sandbox, EXPORT, &[]);
    let row = sender(&run, &rows, REFERRED_URL);
    expect_row(&run, row, row.verdict == "ok", "expected verdict ok");
    expect_row(
        &run,
        row,
        row.invitation_note == "personal",
        "expected a personal note",
    );
    expect_row(
        &run,
        row,
        row.evidence.contains("is among your connections"),
        "evidence says the mutual contact is among your connections",
    );
}

#[test]
fn a_sender_claiming_a_mutual_friend_who_is_not_a_connection_is_a_collector() {
    let sandbox = sam_export();
    let (run, rows) = score(&sandbox, EXPORT, &[]);
    let row = sender(&run, &rows, FALSE_CLAIM_URL);
    expect_row(
        &run,
        row,
        row.verdict == "collector",
        "expected verdict collector",
    );
    expect_row(
        &run,
        row,
        row.evidence.contains("not among your connections"),
        "evidence says the claimed friend is not among your connections",
    );
}

#[test]
fn a_sponsored_conversation_is_sponsored_and_the_ad_click_is_not_a_reply() {
    let sandbox = sam_export();
    let (run, rows) = score(&sandbox, EXPORT, &[]);
    let row = sender(&run, &rows, &sponsored_key());
    expect_row(
        &run,
        row,
        row.verdict == "sponsored",
        "expected verdict sponsored",
    );
    expect_row(
        &run,
        row,
        row.sender == "LinkedIn Member",
        "the hidden sender's name",
    );
    expect_row(
        &run,
        row,
        row.you_replied == Some(false),
        "clicking the ad's button is not a reply",
    );
    expect_row(
        &run,
        row,
        row.evidence.contains("sponsored"),
        "evidence says sponsored",
    );
}

// ---------------------------------------------------------------------------------------------
// Output formats and determinism
// ---------------------------------------------------------------------------------------------

#[test]
fn json_and_json_lines_give_the_same_senders_as_csv() {
    let sandbox = sam_export();
    let (_, csv_rows) = score(&sandbox, EXPORT, &[]);
    let json = sandbox
        .run(&["score", EXPORT, "--format", "json"])
        .expect_success();
    let json_rows = parse_json_report(&json);
    if json_rows != csv_rows {
        json.fail(&format!("JSON senders differ from CSV:\n{csv_rows:#?}"));
    }
    let jsonl = sandbox
        .run(&["score", EXPORT, "--format", "jsonl"])
        .expect_success();
    let jsonl_rows = parse_jsonl_report(&jsonl);
    if jsonl_rows != csv_rows {
        jsonl.fail(&format!(
            "JSON Lines senders differ from CSV:\n{csv_rows:#?}"
        ));
    }
}

#[test]
fn the_report_is_byte_identical_across_runs_and_thread_counts() {
    let sandbox = sam_export();
    let first = sandbox.run(&["score", EXPORT]).expect_success();
    let again = sandbox.run(&["score", EXPORT]).expect_success();
    if again.stdout != first.stdout {
        again.fail(&format!(
            "second run differs from the first:\n{}",
            first.stdout_text()
        ));
    }
    let one = sandbox
        .run(&["--threads", "1", "score", EXPORT])
        .expect_success();
    let two = sandbox
        .run(&["--threads", "2", "score", EXPORT])
        .expect_success();
    if one.stdout != two.stdout || one.stdout != first.stdout {
        two.fail(&format!(
            "--threads 2 differs from --threads 1:\n{}",
            one.stdout_text()
        ));
    }
}

#[test]
fn messages_out_writes_one_scored_row_per_message_and_invitation() {
    let sandbox = sam_export();
    let export = Export::sam_rivera();
    let run = sandbox
        .run(&["score", EXPORT, "--messages-out", "scored.csv"])
        .expect_success();
    if parse_csv_report(&run).len() != 6 {
        run.fail("the sender report still goes to stdout");
    }
    let bytes = sandbox.read("scored.csv");
    let mut reader = csv::Reader::from_reader(&bytes[..]);
    let header = reader.headers().expect("scored.csv header").clone();
    let id = header.iter().position(|h| h == "id");
    let label = header.iter().position(|h| h == "label");
    let (Some(id), Some(label)) = (id, label) else {
        run.fail(&format!("scored.csv lacks id or label columns: {header:?}"));
    };
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| run.fail(&format!("scored.csv is not CSV: {e}")));
    let ids: BTreeSet<String> = rows.iter().map(|r| r[id].to_string()).collect();
    let want: BTreeSet<String> = (2..2 + export.invitations.len())
        .map(|line| format!("Invitations.csv:{line}"))
        .chain((2..2 + export.messages.len()).map(|line| format!("messages.csv:{line}")))
        .collect();
    if rows.len() != export.row_count() || ids != want {
        run.fail(&format!(
            "expected {} rows with ids {want:?}, got {} rows with ids {ids:?}",
            export.row_count(),
            rows.len()
        ));
    }
    if rows.iter().any(|r| r[label].is_empty()) {
        run.fail("every scored row has a label");
    }
}

// ---------------------------------------------------------------------------------------------
// Policies and the owner override
// ---------------------------------------------------------------------------------------------

#[test]
fn open_policy_spares_the_note_less_stranger_but_still_flags_the_hard_seller() {
    let sandbox = sam_export();
    let (run, rows) = score(&sandbox, EXPORT, &["--policy", "open"]);
    let stranger = sender(&run, &rows, STRANGER_URL);
    expect_row(
        &run,
        stranger,
        stranger.verdict != "collector",
        "open: the stranger is not a collector",
    );
    let seller = sender(&run, &rows, SELLER_URL);
    expect_row(
        &run,
        seller,
        seller.verdict == "hard_sell",
        "open: still a hard sell",
    );
    let liar = sender(&run, &rows, FALSE_CLAIM_URL);
    expect_row(
        &run,
        liar,
        liar.verdict == "collector",
        "open: a false friend claim is still flagged",
    );
}

#[test]
fn strict_policy_flags_every_sender_balanced_flags_and_maybe_more() {
    let sandbox = sam_export();
    let (_, balanced) = score(&sandbox, EXPORT, &["--policy", "balanced"]);
    let (run, strict) = score(&sandbox, EXPORT, &["--policy", "strict"]);
    let (balanced, strict) = (flagged(&balanced), flagged(&strict));
    if strict.len() < balanced.len() || !balanced.is_subset(&strict) {
        run.fail(&format!(
            "balanced flags {balanced:?}, strict only {strict:?}"
        ));
    }
    let (_, default) = score(&sandbox, EXPORT, &[]);
    if flagged(&default) != balanced {
        run.fail("balanced is the default policy");
    }
    // Daniel names Priya, one of Sam's connections: a real mutual contact keeps him out.
    if strict.contains(REFERRED_URL) {
        run.fail("strict flags a sender whose mutual contact is among your connections");
    }
}

#[test]
fn me_with_the_owners_url_gives_the_same_report_as_detection() {
    let sandbox = sam_export();
    let detected = sandbox.run(&["score", EXPORT]).expect_success();
    let told = sandbox
        .run(&["score", EXPORT, "--me", OWNER_URL])
        .expect_success()
        .expect_stderr(&format!("you: {OWNER_NAME} {OWNER_URL}"));
    if told.stdout != detected.stdout {
        told.fail(&format!(
            "differs from the detected owner's report:\n{}",
            detected.stdout_text()
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// The zip as downloaded
// ---------------------------------------------------------------------------------------------

#[test]
fn me_that_names_no_one_in_the_export_is_refused_not_made_a_sender() {
    let sandbox = sam_export();
    sandbox
        .run(&["score", EXPORT, "--me", OWNER_NAME])
        .expect_success()
        .expect_stderr(&format!("you: {OWNER_NAME} {OWNER_URL}"));
    for typo in ["Sam Rivra", "https://www.linkedin.com/in/sam-rivra"] {
        sandbox
            .run(&["score", EXPORT, "--me", typo, "-o", "out.csv"])
            .expect_code(2)
            .expect_stderr(&format!(
                "--me '{typo}': no message or invitation of the export"
            ));
        assert!(!sandbox.exists("out.csv"));
    }
}

#[test]
fn connections_saved_again_quoted_or_with_semicolons_or_tabs_give_the_same_report() {
    let sandbox = sam_export();
    let plain = sandbox.run(&["score", EXPORT]).expect_success();
    let path = format!("{EXPORT}/Connections.csv");
    let text = String::from_utf8(sandbox.read(&path)).expect("UTF-8");
    let at = text.find("First Name,").expect("header");
    // As pandas or R write it again (every field quoted), or a spreadsheet in a locale whose
    // decimal mark is a comma (semicolons) or as tab-separated text: the "Notes:" kept.
    for (quote, delimiter, header) in [
        (
            csv::QuoteStyle::Always,
            b',',
            "\"First Name\",\"Last Name\"",
        ),
        (csv::QuoteStyle::Necessary, b';', "First Name;Last Name"),
        (csv::QuoteStyle::Necessary, b'\t', "First Name\tLast Name"),
    ] {
        let mut w = csv::WriterBuilder::new()
            .quote_style(quote)
            .delimiter(delimiter)
            .from_writer(text.as_bytes()[..at].to_vec());
        let mut rows = csv::Reader::from_reader(&text.as_bytes()[at..]);
        w.write_record(rows.headers().expect("header"))
            .expect("write");
        for record in rows.records() {
            w.write_record(&record.expect("a record")).expect("write");
        }
        let saved = String::from_utf8(w.into_inner().expect("flush")).expect("UTF-8");
        assert!(saved.contains(header), "{saved}");
        sandbox.write(&path, saved);
        let again = sandbox.run(&["score", EXPORT]).expect_success();
        assert_eq!(again.stdout_text(), plain.stdout_text(), "{header}");
    }
}

#[test]
fn the_zip_as_downloaded_gives_the_same_report_as_the_unzipped_folder() {
    let sandbox = sam_export();
    Export::sam_rivera().write_zip(&sandbox, ZIP, ZIP_FOLDER);
    let folder = sandbox.run(&["score", EXPORT]).expect_success();
    let zipped = sandbox
        .run(&["score", ZIP])
        .expect_success()
        .expect_no_panic();
    if zipped.stdout != folder.stdout {
        zipped.fail(&format!(
            "differs from the folder's report:\n{}",
            folder.stdout_text()
        ));
    }
    if parse_csv_report(&zipped).len() != 6 {
        zipped.fail("expected six senders");
    }
}

// ---------------------------------------------------------------------------------------------
// Input errors: exit code 3, and what and where on stderr
// ---------------------------------------------------------------------------------------------

#[test]
fn a_folder_without_messages_csv_exits_3_naming_the_files_it_found() {
    let sandbox = Sandbox::new();
    let export = Export::sam_rivera();
    std::fs::create_dir_all(sandbox.path(EXPORT)).expect("mkdir");
    sandbox.write(
        &format!("{EXPORT}/Connections.csv"),
        export.connections_csv(),
    );
    sandbox.write(
        &format!("{EXPORT}/Invitations.csv"),
        export.invitations_csv(),
    );
    sandbox
        .run(&["score", EXPORT])
        .expect_code(3)
        .expect_no_panic()
        .expect_stderr("messages.csv")
        .expect_stderr("Connections.csv")
        .expect_stderr("Invitations.csv");
}

#[test]
fn a_zip_without_messages_csv_exits_3_naming_the_files_it_found() {
    let sandbox = Sandbox::new();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file(format!("{ZIP_FOLDER}/Connections.csv"), options)
        .expect("zip entry");
    std::io::Write::write_all(&mut zip, Export::sam_rivera().connections_csv().as_bytes())
        .expect("zip write");
    sandbox.write(ZIP, zip.finish().expect("zip").into_inner());
    sandbox
        .run(&["score", ZIP])
        .expect_code(3)
        .expect_no_panic()
        .expect_stderr(ZIP)
        .expect_stderr("messages.csv")
        .expect_stderr("Connections.csv");
}

#[test]
fn a_corrupt_zip_exits_3_naming_the_zip() {
    let sandbox = Sandbox::new();
    Export::sam_rivera().write_zip(&sandbox, ZIP, ZIP_FOLDER);
    // An interrupted download: the central directory at the end is missing.
    let bytes = sandbox.read(ZIP);
    sandbox.write(ZIP, &bytes[..bytes.len() / 2]);
    let run = sandbox
        .run(&["score", ZIP])
        .expect_code(3)
        .expect_no_panic();
    run.expect_stderr(ZIP);
}

#[test]
fn a_messages_csv_with_an_unknown_header_exits_3_and_prints_the_header() {
    let sandbox = sam_export();
    let header = "Thread,Author,Author URL,Sent,Text";
    sandbox.write(
        &format!("{EXPORT}/messages.csv"),
        format!("{header}\nt1,Kevin Marsh,{SELLER_URL},2025-08-12 01:00:00 UTC,Hi Sam\n"),
    );
    sandbox
        .run(&["score", EXPORT])
        .expect_code(3)
        .expect_no_panic()
        .expect_stderr("messages.csv")
        .expect_stderr(header);
}

#[test]
fn a_bad_date_is_reported_with_its_line_and_value_and_the_other_rows_are_still_scored() {
    let sandbox = Sandbox::new();
    let mut export = Export::sam_rivera();
    // One of Maya's messages went through a spreadsheet that rewrote its date.
    let bad = "18/08/2025 17:42";
    let maya = export
        .messages
        .iter_mut()
        .find(|m| m.date == "2025-08-18 17:42:10 UTC")
        .expect("Maya's first message");
    maya.date = bad.into();
    export.write_folder(&sandbox, EXPORT);
    let text = export.messages_csv();
    let line = text[..text.find(bad).expect("bad date written")]
        .matches('\n')
        .count()
        + 1;
    let run = sandbox
        .run(&["score", EXPORT])
        .expect_code(3)
        .expect_no_panic()
        .expect_stderr(&format!("messages.csv:{line}"))
        .expect_stderr(bad);
    let rows = parse_csv_report(&run);
    if rows.len() != 6 {
        run.fail("every sender is still reported");
    }
    let seller = sender(&run, &rows, SELLER_URL);
    expect_row(
        &run,
        seller,
        seller.verdict == "hard_sell",
        "the seller is still scored",
    );
    let friend = sender(&run, &rows, FRIEND_URL);
    expect_row(
        &run,
        friend,
        friend.messages == 1,
        "Maya's readable message is still scored",
    );
}
