//! Mail in: scoring mailboxes into sender verdicts, and training from folders of raw mail.

mod common;

use common::Sandbox;

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

#[test]
fn a_takeout_mbox_is_read_with_its_owner() {
    let sb = Sandbox::new();
    sb.run(&["score", &fixture("gmail-takeout-mbox/takeout-sample.mbox")])
        .expect_success()
        .expect_stderr("you: ");
}

#[test]
fn an_empty_mbox_is_an_input_error() {
    let sb = Sandbox::new();
    sb.write("empty.mbox", "");
    sb.run(&["score", "empty.mbox"])
        .expect_code(3)
        .expect_stderr("empty.mbox");
}
