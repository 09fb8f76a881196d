//! Integration tests: inputs that are not what they seem, each named for what it is.
//!
//! A UTF-16 file, a column number past the last column, a table arriving through a pipe:
//! each is either read correctly or refused with the file and the reason, never read as
//! noise. These tests score with the built-in default model, so they need no training.

mod common;

use common::Sandbox;

/// The shipped sample export, copied into the sandbox's `export/` but for the files `leave_out`.
fn copy_sample_export(sb: &Sandbox, leave_out: &[&str]) {
    let export = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample-export");
    std::fs::create_dir_all(sb.path("export")).unwrap();
    for entry in std::fs::read_dir(&export).unwrap() {
        let entry = entry.unwrap();
        if !leave_out.iter().any(|name| entry.file_name() == *name) {
            std::fs::copy(entry.path(), sb.path("export").join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn a_utf16_table_is_named_as_utf16_not_read_as_noise() {
    let sb = Sandbox::new();
    let mut bytes = vec![0xFF, 0xFE];
    for unit in "id,text\n1,hello there\n".encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    sb.write("excel.csv", bytes);
    sb.run(&["score", "excel.csv"])
        .expect_code(3)
        .expect_stderr("excel.csv: the file is UTF-16")
        .expect_stderr("save it as UTF-8");
}

#[test]
fn a_column_number_past_the_last_column_is_refused_with_the_columns_there_are() {
    let sb = Sandbox::new();
    sb.write("plain.tsv", "ok\thello there\nspam\tbuy now\n");
    sb.run(&[
        "train",
        "--no-header",
        "--label-column",
        "1",
        "--text-column",
        "9",
        "--data",
        "plain.tsv",
        "--out",
        "m.json",
    ])
    .expect_code(3)
    .expect_stderr("plain.tsv: no column '9' (use --text-column); the columns are: 1, 2");
    assert!(!sb.exists("m.json"));
}

#[cfg(unix)]
#[test]
fn a_table_arriving_through_a_pipe_is_read_once_and_scored_whole() {
    let sb = Sandbox::new();
    sb.write(
        "in.csv",
        "id,text\n1,hello there\n2,buy our leads now\n3,see you at the meetup\n",
    );
    let bash = std::process::Command::new("bash")
        .current_dir(sb.path("."))
        .arg("-c")
        .arg(format!(
            "{} score -q <(cat in.csv)",
            env!("CARGO_BIN_EXE_hardsell")
        ))
        .output();
    let Ok(out) = bash else {
        eprintln!("skipped: bash is not available");
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.lines().count(), 4, "header and 3 rows: {stdout}");
}

#[test]
fn raw_mail_with_an_unreadable_file_trains_exits_3_and_records_no_baseline() {
    let sb = Sandbox::new();
    for label in ["spam", "ham"] {
        std::fs::create_dir_all(sb.path(&format!("mail/{label}"))).unwrap();
        for i in 0..6 {
            let body = match label {
                "spam" => format!("WIN a free cruise now, call 0800 {i} to claim your prize"),
                _ => format!("Are we still meeting for lunch at {i} tomorrow?"),
            };
            sb.write(
                &format!("mail/{label}/{i}.eml"),
                format!(
                    "From: s{i}@x.example\r\nTo: me@y.example\r\nSubject: note {i}\r\n\
                     Message-ID: <{label}{i}@x>\r\n\r\n{body}\r\n"
                ),
            );
        }
    }
    sb.write("mail/ham/empty.eml", "");
    sb.run(&["train", "--cv", "3", "--data", "mail", "--out", "m.json"])
        .expect_code(3)
        .expect_stderr("empty.eml")
        .expect_stderr("1 input(s) could not be read and were left out");
    assert!(
        sb.exists("m.json"),
        "the model of the readable mail was not written"
    );
    // Metrics of part of the data would pass for the whole: printed, exit 3, not recorded.
    let eval = ["eval", "--model", "m.json", "--data", "mail"];
    let run = sb
        .run(&[&eval[..], &["--write-baseline", "b.json"]].concat())
        .expect_code(3)
        .expect_stderr("empty.eml")
        .expect_stderr("no baseline written to b.json");
    assert!(run.stdout_text().contains("mcc"), "the metrics are printed");
    assert!(!sb.exists("b.json"));
    sb.run(&eval).expect_code(3);
}

#[test]
fn an_export_row_of_another_width_than_its_header_is_reported_on_its_line() {
    let sb = Sandbox::new();
    copy_sample_export(&sb, &[]);
    let messages = String::from_utf8(sb.read("export/messages.csv")).unwrap();
    let mut lines: Vec<String> = messages.lines().map(str::to_string).collect();
    // Line 4 gets a twelfth field; the header has eleven.
    lines[3].push_str(",extra");
    sb.write("export/messages.csv", lines.join("\n") + "\n");
    sb.run(&["score", "export", "-o", "senders.csv"])
        .expect_code(3)
        .expect_stderr("export/messages.csv:4: row has 12 fields, the header has 11")
        .expect_stderr("1 unreadable");
}

#[test]
fn a_header_without_names_and_a_broken_tgz_say_what_they_are() {
    let sb = Sandbox::new();
    sb.write("nameless.csv", ",,\n1,a,ok\n");
    sb.run(&["score", "nameless.csv", "-o", "out.csv"])
        .expect_code(3)
        .expect_stderr("nameless.csv:1: the header row has 3 fields but no column names");
    sb.write("mail.tgz", b"\x1f\x8b\x08 not really gzip");
    sb.run(&["score", "mail.tgz", "-o", "out.csv"])
        .expect_code(3)
        .expect_stderr("mail.tgz: not a readable .tar.gz archive");
    assert!(!sb.exists("out.csv"));
}

#[test]
fn a_json_lines_object_without_the_text_field_is_a_bad_row_not_an_empty_message() {
    let sb = Sandbox::new();
    sb.write(
        "in.jsonl",
        "{\"id\":\"1\",\"text\":\"hello there\"}\n{\"id\":\"2\"}\n{\"id\":\"3\",\"text\":\"buy now\"}\n",
    );
    let run = sb
        .run(&["score", "in.jsonl"])
        .expect_code(3)
        .expect_stderr("in.jsonl:2: the object has no 'text' field")
        .expect_stderr("scored 2 rows");
    assert_eq!(run.stdout_text().lines().count(), 3);
}

#[test]
fn a_bad_row_that_a_stray_quote_ran_over_several_lines_says_which_lines() {
    let sb = Sandbox::new();
    sb.write(
        "t.csv",
        "id,text,label\n1,\"hello there,ham\n2,buy now,spam\n3,ok\",ham,x\n4,fine,ham\n",
    );
    sb.run(&["score", "t.csv"])
        .expect_code(3)
        .expect_stderr("t.csv:2: row has 4 fields, the first row has 3")
        .expect_stderr("it runs over 2 more line(s), to line 4: a quote opened in it")
        .expect_stderr("scored 1 rows");
}

#[test]
fn bad_json_lines_near_the_top_are_bad_rows_and_the_rest_is_scored() {
    let sb = Sandbox::new();
    sb.write(
        "in.jsonl",
        "{\"text\":\"hello\"}\n{bad\n{\"text\":\"buy now\"}\n[1]\n{\"Text\":\"see you\"}\n",
    );
    let run = sb
        .run(&["score", "in.jsonl"])
        .expect_code(3)
        .expect_stderr("in.jsonl:2: invalid JSON")
        .expect_stderr("in.jsonl:4: not a JSON object")
        .expect_stderr("scored 3 rows");
    assert_eq!(run.stdout_text().lines().count(), 4);
}

#[test]
fn a_json_lines_key_the_first_object_leaves_out_is_still_read() {
    let sb = Sandbox::new();
    sb.write(
        "in.jsonl",
        "{\"text\":\"hello there\"}\n{\"text\":\"buy now\",\"id\":\"m2\"}\n",
    );
    let run = sb
        .run(&["score", "in.jsonl"])
        .expect_success()
        .expect_no_stderr("warning");
    let ids: Vec<String> = run
        .stdout_text()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(ids, ["in.jsonl:1", "m2"]);
}

#[test]
fn a_json_lines_column_key_first_seen_after_the_look_ahead_is_told_with_its_line() {
    let sb = Sandbox::new();
    let mut lines: String = (0..1000)
        .map(|i| format!("{{\"text\":\"hi {i}\"}}\n"))
        .collect();
    lines.push_str("{\"text\":\"late\",\"colour\":\"red\"}\n");
    lines.push_str("{\"text\":\"later\",\"id\":\"x\"}\n");
    sb.write("in.jsonl", lines.as_str());
    let run = sb
        .run(&["score", "in.jsonl"])
        .expect_success()
        .expect_stderr("in.jsonl:1002: key 'id' first appears here, after the first 1000 lines")
        .expect_stderr("scored 1002 rows");
    assert!(
        !run.stderr.contains("'colour'"),
        "a key no column uses is not worth a warning: {}",
        run.stderr
    );
}

#[test]
fn mail_without_a_sender_address_is_one_sender_named_for_it_not_a_blank_row() {
    let sb = Sandbox::new();
    sb.write(
        "box.mbox",
        "From MAILER-DAEMON Mon Jan  1 10:00:00 2024\nTo: me@y.example\nSubject: offer\n\
         Date: Mon, 1 Jan 2024 10:00:00 +0000\n\nBook a demo of our tool today\n",
    );
    let run = sb.run(&["score", "box.mbox"]).expect_success();
    let report = run.stdout_text();
    let row = report.lines().nth(1).expect("one sender row");
    assert!(row.starts_with("(no address),"), "row: {row}");
}

#[test]
fn an_export_without_invitations_or_connections_or_with_empty_ones_says_what_is_then_unknown() {
    let sb = Sandbox::new();
    copy_sample_export(&sb, &["Invitations.csv", "Connections.csv"]);
    let run = sb
        .run(&["score", "export", "-o", "senders.csv"])
        .expect_success()
        .expect_stderr("warning: export has no Invitations.csv: requests and their notes")
        .expect_stderr("warning: export has no Connections.csv: no named mutual contact");
    // Once each, though the export is read in several passes.
    assert_eq!(run.stderr.matches("has no Connections.csv").count(), 1);
    // Without the connections, no named mutual contact is taken for a false one.
    let claims = "not among your connections";
    assert!(!String::from_utf8(sb.read("senders.csv"))
        .unwrap()
        .contains(claims));
    // A file of nothing (a download cut short) or of a byte-order mark and a line end is
    // told and read like a missing one.
    for (invitations, connections) in [("", ""), ("\u{feff}", "\u{feff}\r\n")] {
        sb.write("export/Invitations.csv", invitations);
        sb.write("export/Connections.csv", connections);
        sb.run(&["score", "export", "-o", "senders.csv"])
            .expect_success()
            .expect_stderr("export/Invitations.csv is empty: requests and their notes")
            .expect_stderr("export/Connections.csv is empty: no named mutual contact");
        assert!(!String::from_utf8(sb.read("senders.csv"))
            .unwrap()
            .contains(claims));
    }
    copy_sample_export(&sb, &[]);
    let whole = sb
        .run(&["score", "export", "-o", "senders.csv"])
        .expect_success();
    assert!(!whole.stderr.contains("has no"), "{}", whole.stderr);
    assert!(String::from_utf8(sb.read("senders.csv"))
        .unwrap()
        .contains(claims));
}

#[test]
fn an_export_whose_owner_never_wrote_knows_they_never_replied() {
    // messages.csv holds what you sent as well as what you received: an owner who wrote to
    // nobody never replied, which is not the unknown of an Inbox without its Sent folder.
    let sb = Sandbox::new();
    copy_sample_export(&sb, &["messages.csv"]);
    let source = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/sample-export/messages.csv"
    );
    let mut rows = csv::Reader::from_path(source).unwrap();
    let header = rows.headers().unwrap().clone();
    let from = header
        .iter()
        .position(|h| h == "SENDER PROFILE URL")
        .unwrap();
    let mut out = csv::Writer::from_path(sb.path("export/messages.csv")).unwrap();
    out.write_record(&header).unwrap();
    for row in rows.records() {
        let row = row.unwrap();
        if &row[from] != "https://www.linkedin.com/in/jordan-avery-owner" {
            out.write_record(&row).unwrap();
        }
    }
    out.flush().unwrap();
    let run = sb
        .run(&[
            "score",
            "export",
            "--me",
            "https://www.linkedin.com/in/jordan-avery-owner",
        ])
        .expect_success()
        .expect_no_stderr("none of your own messages");
    let report = run.stdout_text();
    assert!(report.contains("you never replied"), "{report}");
    assert!(!report.contains("not in the input"), "{report}");
}

#[test]
fn an_export_file_that_is_a_folder_is_named_not_silently_missing() {
    let sb = Sandbox::new();
    copy_sample_export(&sb, &["Invitations.csv"]);
    std::fs::create_dir_all(sb.path("export/Invitations.csv")).unwrap();
    sb.run(&["score", "export", "-o", "senders.csv"])
        .expect_code(3)
        .expect_stderr("export/Invitations.csv: Is a directory");
    assert!(!sb.exists("senders.csv"));
}

#[cfg(unix)]
#[test]
fn a_mail_file_whose_link_leads_nowhere_is_named_not_skipped() {
    let sb = Sandbox::new();
    sb.write(
        "mail/a.eml",
        "From: a@b.example\nTo: me@y.example\nSubject: hi\n\nhello\n",
    );
    std::os::unix::fs::symlink(sb.path("gone.eml"), sb.path("mail/b.eml")).unwrap();
    sb.run(&["score", "mail"])
        .expect_code(3)
        .expect_stderr("mail/b.eml: No such file or directory");
}

#[test]
fn mail_without_a_readable_date_is_counted_in_a_warning_with_the_first_one() {
    let sb = Sandbox::new();
    sb.write(
        "mail/a.eml",
        "From: a@b.example\nTo: me@y.example\nSubject: hi\nDate: garbage\n\nhello\n",
    );
    sb.write(
        "mail/b.eml",
        "From: c@d.example\nTo: me@y.example\nSubject: hi\n\nhello again\n",
    );
    sb.run(&["score", "mail"])
        .expect_success()
        .expect_stderr("warning: 2 message(s) have no readable date")
        .expect_stderr("(first at mail/a.eml:1)");
}

#[test]
fn a_huge_text_is_read_up_to_100k_characters_and_said_so_in_every_format() {
    // 300,000 two-byte chars: three times the limit, so the cut falls inside the text.
    let long = "é".repeat(300_000);
    let sb = Sandbox::new();
    sb.write(
        "big.csv",
        format!("id,text\n1,hello there\n2,\"{long}\"\n3,buy our leads now\n"),
    );
    let run = sb
        .run(&["score", "big.csv"])
        .expect_success()
        .expect_stderr("warning: 1 row(s) had a text longer than 100k characters")
        .expect_stderr("(first at big.csv:3)");
    assert_eq!(
        run.stdout_text().lines().count(),
        4,
        "header and three rows"
    );

    copy_sample_export(&sb, &[]);
    let mut messages = String::from_utf8(sb.read("export/messages.csv")).unwrap();
    let line = messages.lines().nth(1).unwrap().to_string();
    messages.push_str(&line.replace("Merci pour la liste Jordan.", &long));
    messages.push('\n');
    let lines = messages.lines().count();
    sb.write("export/messages.csv", messages);
    sb.run(&["score", "export", "-o", "senders.csv"])
        .expect_success()
        .expect_stderr("warning: 1 row(s) had a text longer than 100k characters")
        .expect_stderr(&format!("(first at export/messages.csv:{lines})"));

    sb.write(
        "mail/a.eml",
        format!("From: a@b.example\nTo: me@y.example\nSubject: hi\nDate: Tue, 3 Nov 2026 10:00:00 +0000\nContent-Type: text/plain; charset=utf-8\n\n{long}\n"),
    );
    sb.run(&["score", "mail"])
        .expect_success()
        .expect_stderr("warning: 1 row(s) had a text longer than 100k characters")
        .expect_stderr("(first at mail/a.eml:1)");
}

#[test]
fn a_mail_file_that_does_not_start_with_a_header_is_named_not_scored_as_a_stranger() {
    let sb = Sandbox::new();
    sb.write(
        "mail/a.eml",
        "From: a@b.example\nTo: me@y.example\nSubject: hi\n\nhello\n",
    );
    sb.write(
        "mail/junk.eml",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR random bytes",
    );
    let run = sb
        .run(&["score", "mail"])
        .expect_code(3)
        .expect_stderr("mail/junk.eml:1: not a mail message")
        .expect_stderr("1 unreadable");
    let report = run.stdout_text();
    assert!(report.contains("a@b.example"), "{report}");
    assert!(!report.contains("(no address)"), "{report}");
}

#[test]
fn an_export_among_other_inputs_an_input_twice_or_export_flags_on_a_table_are_refused_first() {
    let sb = Sandbox::new();
    copy_sample_export(&sb, &[]);
    sb.write("t.csv", "id,text\n1,hello there\n");
    let run = sb
        .run(&["score", "t.csv", "export"])
        .expect_code(2)
        .expect_stderr("export is a mailbox or an export: those are scored one at a time");
    assert!(run.stdout_text().is_empty(), "a header was written first");
    sb.run(&["score", "t.csv", "./t.csv"])
        .expect_code(2)
        .expect_stderr("./t.csv is given twice (also as t.csv)");
    sb.run_with_stdin(&["score", "-", "-"], "id,text\n1,hi\n")
        .expect_code(2)
        .expect_stderr("- is given twice");
    sb.run(&[
        "train", "--data", "t.csv", "--data", "t.csv", "--out", "m.json",
    ])
    .expect_code(2)
    .expect_stderr("is given twice");
    sb.run(&["score", "t.csv", "--messages-out", "m.csv"])
        .expect_code(2)
        .expect_stderr("--messages-out is for an export, a mailbox or a table judged by sender");
    assert!(!sb.exists("m.csv"));
    sb.run(&["score", "t.csv", "--me", "Jordan"])
        .expect_code(2)
        .expect_stderr("--me is for an export or a mailbox");
    sb.run(&["score", "t.csv", "--policy", "strict"])
        .expect_code(2)
        .expect_stderr("--policy is for sender verdicts");
}

/// A one-message mail file from `sender` with `id` as its Message-ID.
fn eml(sender: &str, id: &str) -> String {
    format!(
        "From: {sender}\nTo: me@y.example\nSubject: hi\nMessage-ID: <{id}>\nDate: Tue, 3 Nov 2026 10:00:00 +0000\n\nhello\n"
    )
}

#[cfg(unix)]
#[test]
fn mail_is_read_at_any_depth_each_file_once_and_copies_are_left_out_with_a_note() {
    let sb = Sandbox::new();
    sb.write("mail/top.eml", eml("top@x.example", "1@x"));
    sb.write("mail/a/b/c/d/e/f/deep.eml", eml("deep@x.example", "2@x"));
    // A loop back to the top, and a second name for a folder: each file is still read once.
    std::os::unix::fs::symlink("..", sb.path("mail/a/up")).unwrap();
    std::os::unix::fs::symlink("a", sb.path("mail/archive")).unwrap();
    // The same message saved twice is one message.
    sb.write("mail/saved-again.eml", eml("top@x.example", "1@x"));
    let run = sb
        .run(&["score", "mail"])
        .expect_success()
        .expect_stderr("note: left out 1 row(s): mail: copies of a message read before")
        .expect_stderr("2 messages read; 2 senders");
    let report = run.stdout_text();
    assert!(report.contains("deep@x.example"), "{report}");
}

#[test]
fn a_message_at_the_top_of_a_labeled_mail_corpus_is_noted_as_left_out() {
    let sb = Sandbox::new();
    for (label, n) in [("spam", 4), ("ham", 4)] {
        for i in 0..n {
            sb.write(
                &format!("corpus/{label}/{i}.eml"),
                eml(&format!("{label}{i}@x.example"), &format!("{label}{i}@x")),
            );
        }
    }
    sb.write("corpus/loose.eml", eml("loose@x.example", "loose@x"));
    sb.run(&["train", "--data", "corpus", "--out", "m.json"])
        .expect_success()
        .expect_stderr("note: left out 1 row(s): corpus: files at the top of a labeled corpus");
}

#[test]
fn an_export_message_with_an_empty_date_is_scored_and_counted_in_a_warning() {
    let sb = Sandbox::new();
    copy_sample_export(&sb, &[]);
    let messages = String::from_utf8(sb.read("export/messages.csv")).unwrap();
    let mut lines: Vec<String> = messages.lines().map(str::to_string).collect();
    lines[2] = lines[2].replacen("\"2026-10-05 12:00:24 UTC\"", "\"\"", 1);
    sb.write("export/messages.csv", lines.join("\n") + "\n");
    sb.run(&["score", "export", "-o", "senders.csv"])
        .expect_success()
        .expect_stderr("warning: 1 message(s) have no readable date")
        .expect_stderr("(first at export/messages.csv:3)")
        .expect_stderr("158 messages read");
}

#[test]
fn an_export_nested_three_folders_deep_is_found_and_two_exports_side_by_side_are_refused() {
    let sb = Sandbox::new();
    copy_sample_export(&sb, &[]);
    std::fs::create_dir_all(sb.path("downloads/2026/linkedin")).unwrap();
    std::fs::rename(sb.path("export"), sb.path("downloads/2026/linkedin/export")).unwrap();
    sb.run(&["score", "downloads", "-o", "senders.csv"])
        .expect_success()
        .expect_stderr("158 messages read");
    std::fs::create_dir_all(sb.path("two")).unwrap();
    copy_sample_export(&sb, &[]);
    std::fs::rename(sb.path("export"), sb.path("two/a")).unwrap();
    copy_sample_export(&sb, &[]);
    std::fs::rename(sb.path("export"), sb.path("two/b")).unwrap();
    sb.run(&["score", "two", "-o", "senders.csv"])
        .expect_code(3)
        .expect_stderr("two messages.csv files, a/messages.csv and b/messages.csv");
    // A folder of neither: both are named as what it lacks.
    sb.write("notes/todo.txt", "call Sam");
    sb.run(&["score", "notes"]).expect_code(3).expect_stderr(
        "notes: no messages.csv (looked up to 4 folders deep) and no mail (*.mbox, *.eml, a \
         maildir); found: todo.txt",
    );
}

#[test]
fn a_label_map_entry_that_names_no_label_or_names_one_twice_is_refused() {
    let sb = Sandbox::new();
    let mut table = String::from("label,text\n");
    for i in 0..6 {
        table.push_str(&format!("hard_sell,Book a demo of our tool today {i}\n"));
        table.push_str(&format!("ok,Loved your talk on graph databases {i}\n"));
    }
    sb.write("t.csv", table);
    sb.run(&[
        "train",
        "--data",
        "t.csv",
        "--out",
        "m.json",
        "--label-map",
        "hard-sell=spam",
    ])
    .expect_code(2)
    .expect_stderr(
        "--label-map: no label or label folder 'hard-sell' in the data; found: hard_sell, ok",
    );
    assert!(!sb.exists("m.json"));
    sb.run(&[
        "train",
        "--data",
        "t.csv",
        "--out",
        "m.json",
        "--label-map",
        "ok=ham,ok=x",
    ])
    .expect_code(2)
    .expect_stderr("'ok' is mapped twice");
    sb.run(&[
        "train",
        "--data",
        "t.csv",
        "--out",
        "m.json",
        "--label-map",
        "hard_sell=spam,ok=ham",
    ])
    .expect_success()
    .expect_stderr("(ham 6, spam 6)");
}

#[test]
fn a_label_column_of_more_than_100_labels_is_refused_as_likely_the_wrong_column() {
    let sb = Sandbox::new();
    let rows: String = (0..300)
        .map(|i| format!("l{},text number {i}\n", i % 150))
        .collect();
    sb.write("t.csv", format!("label,text\n{rows}"));
    sb.run(&["train", "--data", "t.csv", "--out", "m.json"])
        .expect_code(5)
        .expect_stderr("t.csv: 150 different labels (l0, l1, l10, l100, l101, …) in 300 rows")
        .expect_stderr("Is the label column the right one");
}

#[test]
fn a_quote_as_delimiter_is_refused_and_a_model_without_text_is_said_to_have_none() {
    let sb = Sandbox::new();
    sb.write("t.csv", "id,text\n1,hi\n");
    sb.run(&["score", "t.csv", "--delimiter", "\""])
        .expect_code(2)
        .expect_stderr("--delimiter must be one ASCII character other than a quote");
    let rows: String = (0..12)
        .map(|i| format!("{},\n", ["spam", "ham"][i % 2]))
        .collect();
    sb.write("empty.csv", format!("label,text\n{rows}"));
    sb.run(&["train", "--data", "empty.csv", "--out", "m.json"])
        .expect_success()
        .expect_stderr("warning: no text features: every text is empty");
}

#[test]
fn labels_typed_two_ways_are_one_and_labels_differing_only_in_case_are_refused() {
    let sb = Sandbox::new();
    // "café" composed and decomposed, with stray spaces: one label.
    let rows: String = (0..6)
        .map(|i| match i % 3 {
            0 => format!("caf\u{e9},note {i}\n"),
            1 => format!(" cafe\u{301} ,note {i}\n"),
            _ => format!("ham,hello {i}\n"),
        })
        .collect();
    sb.write("nfc.csv", format!("label,text\n{rows}"));
    sb.run(&["train", "--data", "nfc.csv", "--out", "m.json", "--cv", "2"])
        .expect_success()
        .expect_stderr("(café 4, ham 2)");
    let rows: String = (0..8)
        .map(|i| format!("{},text {i}\n", ["Spam", "spam", "ham", "ham"][i % 4]))
        .collect();
    sb.write("case.csv", format!("label,text\n{rows}"));
    sb.run(&["train", "--data", "case.csv", "--out", "m2.json"])
        .expect_code(5)
        .expect_stderr("labels 'Spam' (2 rows) and 'spam' (2 rows) differ only in case")
        .expect_stderr("--label-map 'spam=Spam'");
}

#[test]
fn an_export_whose_messages_and_invitations_were_written_twice_counts_each_once() {
    let sb = Sandbox::new();
    copy_sample_export(&sb, &[]);
    sb.run(&["score", "export", "-o", "once.csv"])
        .expect_success();
    for file in ["messages.csv", "Invitations.csv"] {
        let path = format!("export/{file}");
        let rows = String::from_utf8(sb.read(&path)).unwrap();
        let body = rows.split_once('\n').unwrap().1.to_string();
        sb.write(&path, format!("{rows}{body}"));
    }
    // The sample export's 122 message rows and 36 invitations, each written a second time.
    sb.run(&["score", "export", "-o", "twice.csv"])
        .expect_success()
        .expect_stderr("note: left out 122 row(s): export/messages.csv: copies of a row read")
        .expect_stderr("note: left out 36 row(s): export/Invitations.csv: copies of a row read")
        .expect_stderr("12 hard_sell, 12 collector");
    assert_eq!(sb.read("once.csv"), sb.read("twice.csv"));
}

#[test]
fn a_row_running_on_past_16_mib_stops_on_its_line_even_with_quiet_and_from_a_pipe() {
    // An unclosed quote followed by 17 MiB without a line break: read whole, this would be
    // one ever-growing field; a device such as /dev/zero would never end at all.
    let sb = Sandbox::new();
    let mut table = String::from("id,text\n1,hello there\n2,\"open quote\n");
    table.push_str(&"a".repeat(17 << 20));
    sb.write("runaway.csv", &table);
    let said = "runaway.csv:3: a row runs on past 16 MiB without ending";
    let run = sb
        .run(&["score", "-q", "runaway.csv"])
        .expect_code(3)
        .expect_stderr(said);
    assert_eq!(run.stdout_text().lines().count(), 2, "header and row 1");
    sb.run_with_stdin(&["score", "-q", "-"], table)
        .expect_code(3)
        .expect_stderr("-:3: a row runs on past 16 MiB");
    sb.run(&[
        "train",
        "--data",
        "runaway.csv",
        "--label-column",
        "id",
        "--out",
        "m.json",
    ])
    .expect_code(3)
    .expect_stderr(said);
    assert!(!sb.exists("m.json"));

    // In an export, the file ends at such a row, reported, and the rest is judged as usual.
    copy_sample_export(&sb, &[]);
    let mut messages = String::from_utf8(sb.read("export/messages.csv")).unwrap();
    let lines = messages.lines().count();
    messages.push_str("c-runaway,,Ann,,Jordan,,2026-01-01 00:00:00 UTC,,\"open");
    messages.push_str(&"a".repeat(17 << 20));
    sb.write("export/messages.csv", messages);
    let run = sb
        .run(&["score", "-q", "export"])
        .expect_code(3)
        .expect_stderr(&format!(
            "export/messages.csv:{}: a row runs on past 16 MiB",
            lines + 1
        ));
    assert!(
        run.stdout_text().lines().count() > 40,
        "the senders are judged"
    );

    // A JSON Lines line as long, among those read ahead: the lines before it are scored.
    let long = format!(
        "{{\"text\":\"hello there\"}}\n{{\"text\":\"{}\"}}\n{{\"text\":\"more\"}}\n",
        "a".repeat(17 << 20)
    );
    sb.write("long.jsonl", long);
    let run = sb
        .run(&["score", "-q", "long.jsonl"])
        .expect_code(3)
        .expect_stderr("long.jsonl:2: a row runs on past 16 MiB");
    assert_eq!(run.stdout_text().lines().count(), 2, "header and line 1");

    // The first row after the header is told on its own line.
    let first = format!("id,text\n1,\"open quote\n{}", "a".repeat(17 << 20));
    sb.write("first.csv", first);
    sb.run(&["score", "-q", "first.csv"])
        .expect_code(3)
        .expect_stderr("first.csv:2: a row runs on past 16 MiB");
}

#[test]
fn a_row_just_under_16_mib_is_read_with_every_row_after_it() {
    let sb = Sandbox::new();
    let mut table = String::from("id,text\n1,hello there\n2,\"");
    table.push_str(&"a".repeat((16 << 20) - 1_000));
    table.push_str("\"\n");
    for i in 3..2_000 {
        table.push_str(&format!("{i},see you at lunch {i}\n"));
    }
    sb.write("big.csv", &table);
    let run = sb.run(&["score", "-q", "big.csv"]).expect_success();
    assert_eq!(
        run.stdout_text().lines().count(),
        2_000,
        "header and 1,999 rows"
    );
}

#[cfg(unix)]
#[test]
fn an_endless_device_as_a_table_model_or_baseline_is_an_error_not_a_hang() {
    let sb = Sandbox::new();
    sb.write("t.csv", "text,label\nBuy now,spam\nSee you,ham\n");
    sb.run(&["score", "/dev/zero"])
        .expect_code(3)
        .expect_stderr("/dev/zero:1: a row runs on past 16 MiB");
    std::os::unix::fs::symlink("/dev/zero", sb.path("zero.jsonl")).unwrap();
    sb.run(&["score", "zero.jsonl"])
        .expect_code(3)
        .expect_stderr("zero.jsonl:1: a row runs on past 16 MiB");
    copy_sample_export(&sb, &["Connections.csv"]);
    std::os::unix::fs::symlink("/dev/zero", sb.path("export/Connections.csv")).unwrap();
    sb.run(&["score", "export"])
        .expect_code(3)
        .expect_stderr("Connections.csv: no 'First Name,Last Name,...' header");
    sb.run(&["score", "--model", "/dev/zero", "t.csv"])
        .expect_code(4)
        .expect_stderr("/dev/zero: cannot read the model file: it goes on past 256 MiB");
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/default.json");
    sb.run(&[
        "eval",
        "--model",
        model,
        "--data",
        "t.csv",
        "--baseline",
        "/dev/zero",
    ])
    .expect_code(3)
    .expect_stderr("/dev/zero: it goes on past 64 MiB");
}

#[test]
fn dates_without_a_conversation_or_sender_column_are_said_to_be_unused() {
    let sb = Sandbox::new();
    sb.write(
        "t.csv",
        "text,label,timestamp\nhello,ham,2024-01-01\nbuy now,spam,soon\n",
    );
    sb.run(&["score", "t.csv"]).expect_success().expect_stderr(
        "warning: t.csv: column(s) timestamp not used: timing and follow-ups need a \
         conversation_id",
    );
    sb.write(
        "c.csv",
        "text,conversation_id,timestamp\nhello,c1,2024-01-01\nbuy now,c2,2024-01-02\n",
    );
    sb.run(&["score", "c.csv"])
        .expect_success()
        .expect_no_stderr("not used");
}

#[test]
fn a_quote_never_closed_at_the_end_of_a_long_pipe_is_still_found() {
    // 15 MB of rows before it: the copy of piped input keeps only the last few megabytes.
    let sb = Sandbox::new();
    let mut table = String::from("id,text\n");
    let rows = 300_000;
    for i in 0..rows {
        table.push_str(&format!("{i},see you at lunch on the terrace, table {i}\n"));
    }
    table.push_str("x,\"this quote is never closed\nand more\n");
    sb.run_with_stdin(&["score", "-q", "-"], table)
        .expect_code(3)
        .expect_stderr(&format!(
            "-:{}: a quoted field on this row is never closed",
            rows + 2
        ));
}

#[test]
fn a_quote_never_closed_after_byte_order_marks_is_still_found_from_a_file_or_a_pipe() {
    // A mark opening the file, and one opening a line (files joined byte for byte): the
    // csv reader counts positions without them, the file's length with them.
    let sb = Sandbox::new();
    let table = "\u{feff}id,text\n1,hello there\n\u{feff}2,\"this quote is never closed\n3,more\n";
    sb.write("boms.csv", table);
    sb.run(&["score", "-q", "boms.csv"])
        .expect_code(3)
        .expect_stderr("boms.csv:3: a quoted field on this row is never closed");
    sb.run_with_stdin(&["score", "-q", "-"], table)
        .expect_code(3)
        .expect_stderr("-:3: a quoted field on this row is never closed");
}

#[test]
fn a_note_copy_is_found_in_the_2022_layout_whose_invitations_name_no_url() {
    // 5-column Invitations.csv (names only) beside a Connections.csv with URLs: the note's
    // sender is joined to their URL through the messages, as their rows are.
    let sb = Sandbox::new();
    sb.write("export/Invitations.csv", r#"From,To,Sent At,Message,Direction
Sam Seller,Alex Owner,"3/1/22, 10:00 AM","Hi Alex, I saw your talk at RustConf on streaming parsers and would love to connect and compare notes.",INCOMING
"#)
        .write("export/messages.csv", r#"CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,DATE,SUBJECT,CONTENT,FOLDER
c9,,Alex Owner,https://www.linkedin.com/in/alex-owner,Pat Friend,2022-01-05 09:00:00 UTC,,Lunch on Friday?,INBOX
c9,,Pat Friend,https://www.linkedin.com/in/pat-friend,Alex Owner,2022-01-05 10:00:00 UTC,,"Sure, see you then.",INBOX
c8,,Alex Owner,https://www.linkedin.com/in/alex-owner,Lee Friend,2022-01-06 09:00:00 UTC,,Are you at the meetup?,INBOX
c8,,Lee Friend,https://www.linkedin.com/in/lee-friend,Alex Owner,2022-01-06 10:00:00 UTC,,Yes,INBOX
c1,,Sam Seller,https://www.linkedin.com/in/sam-seller,Alex Owner,2022-03-02 09:00:00 UTC,,"Hi Alex, I saw your talk at RustConf on streaming parsers and would love to connect and compare notes.",INBOX
c1,,Sam Seller,https://www.linkedin.com/in/sam-seller,Alex Owner,2022-03-02 10:00:00 UTC,,"We build lead gen tools, can I book 15 minutes this week to show you a demo? Visit our website.",INBOX
"#)
        .write("export/Connections.csv", r#"First Name,Last Name,URL,Email Address,Company,Position,Connected On
Sam,Seller,https://www.linkedin.com/in/sam-seller,,C,P,02 Mar 2022
"#);
    sb.run(&["score", "export"])
        .expect_success()
        .expect_stderr("note: left out 1 row(s): export/messages.csv: accepted invitations' notes");
}
