//! Integration tests: where output goes, and what is left when a run fails.
//!
//! Output files are replaced atomically, but only regular files: a link keeps pointing where
//! it did, a device or named pipe is written in place (never replaced by a file), an output is
//! never written over an input, and a run that fails leaves nothing behind. These tests score
//! with the built-in default model, so they need no training.

mod common;

use std::io::Read;

use common::Sandbox;

/// A small table of outreach messages, `rows` of them.
fn messages_csv(rows: usize) -> String {
    let mut out = String::from("id,text\n");
    for i in 0..rows {
        out.push_str(&format!(
            "m{i},I'd like to add you to my professional network as contact {i}\n"
        ));
    }
    out
}

#[cfg(unix)]
#[test]
fn an_output_through_a_link_replaces_the_file_it_points_to_and_keeps_the_link() {
    let sb = Sandbox::new();
    sb.write("in.csv", messages_csv(3))
        .write("real.csv", "old\n");
    std::os::unix::fs::symlink("real.csv", sb.path("link.csv")).unwrap();
    sb.run(&["score", "-q", "in.csv", "-o", "link.csv"])
        .expect_success();
    let link = std::fs::symlink_metadata(sb.path("link.csv")).unwrap();
    assert!(link.file_type().is_symlink(), "the link was replaced");
    let real = String::from_utf8(sb.read("real.csv")).unwrap();
    assert!(real.starts_with("id,source,label"), "real.csv: {real}");
}

#[cfg(unix)]
#[test]
fn an_output_that_is_a_named_pipe_is_written_in_place() {
    let sb = Sandbox::new();
    sb.write("in.csv", messages_csv(3));
    let fifo = sb.path("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::fs::File::open(&fifo)
            .and_then(|mut f| f.read_to_string(&mut text))
            .map(|_| text)
    });
    sb.run(&["score", "-q", "in.csv", "-o", "pipe"])
        .expect_success();
    let text = reader.join().unwrap().unwrap();
    assert_eq!(text.lines().count(), 4, "header and 3 rows: {text}");
    let meta = std::fs::symlink_metadata(sb.path("pipe")).unwrap();
    assert!(!meta.is_file(), "the named pipe was replaced by a file");
}

#[test]
fn a_run_that_fails_on_a_later_input_leaves_no_output_behind() {
    let sb = Sandbox::new();
    sb.write("first.csv", messages_csv(6));
    sb.run(&["score", "-q", "first.csv", "missing.csv", "-o", "out.csv"])
        .expect_code(3)
        .expect_stderr("missing.csv");
    assert!(!sb.exists("out.csv"), "a partial out.csv was left");
    let left: Vec<_> = std::fs::read_dir(sb.path("."))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".hardsell-"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_report_that_cannot_be_written_leaves_the_messages_file_as_it_was() {
    let sb = Sandbox::new();
    sb.write(
        "t.csv",
        "sender,text\na@x.example,Book a demo today\nb@y.example,See you at lunch\n",
    )
    .write("m.csv", "old\n");
    // /dev/full takes the report and fails to write it (no space left).
    sb.run(&[
        "score",
        "--senders",
        "t.csv",
        "--messages-out",
        "m.csv",
        "-o",
        "/dev/full",
    ])
    .expect_code(7)
    .expect_stderr("/dev/full: could not write");
    assert_eq!(sb.read("m.csv"), b"old\n", "the messages file was replaced");
    let leftovers: Vec<_> = std::fs::read_dir(sb.path("."))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".hardsell-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn every_output_that_cannot_be_written_exits_7_naming_it() {
    let sb = Sandbox::new();
    sb.write("in.csv", messages_csv(3))
        .write(
            "senders.csv",
            "sender,text\na@x.example,Book a demo today\n",
        )
        .write(
            "labeled.csv",
            "text,label\nBuy now,spam\nSee you,ham\nBuy today,spam\nLunch?,ham\n",
        );
    let full = "/dev/full";
    let train_into = |out: &'static str| {
        [
            "train",
            "-q",
            "--data",
            "labeled.csv",
            "--cv",
            "2",
            "--out",
            out,
        ]
    };
    sb.run(&train_into("m.json")).expect_success();
    let runs: [&[&str]; 4] = [
        &["score", "-q", "in.csv", "-o", full],
        &[
            "score",
            "-q",
            "--senders",
            "senders.csv",
            "--messages-out",
            full,
        ],
        &train_into(full),
        &[
            "eval",
            "-q",
            "--model",
            "m.json",
            "--data",
            "labeled.csv",
            "--write-baseline",
            full,
        ],
    ];
    for args in runs {
        sb.run(args)
            .expect_code(7)
            .expect_stderr("/dev/full: could not write: No space left on device");
    }
}

#[test]
fn an_output_inside_an_input_folder_is_refused_and_the_folder_left_as_it_was() {
    let sb = Sandbox::new();
    let export = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample-export");
    std::fs::create_dir_all(sb.path("export")).unwrap();
    for name in ["messages.csv", "Invitations.csv", "Connections.csv"] {
        std::fs::copy(export.join(name), sb.path("export").join(name)).unwrap();
    }
    let before = sb.read("export/Invitations.csv");
    sb.run(&[
        "score",
        "export",
        "--messages-out",
        "export/Invitations.csv",
    ])
    .expect_code(2)
    .expect_stderr("is inside the input folder export");
    sb.run(&["score", "export", "-o", "export/report.csv"])
        .expect_code(2);
    // Nor through a link that points into the folder.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("export/Invitations.csv", sb.path("report.csv")).unwrap();
        sb.run(&["score", "export", "-o", "report.csv"])
            .expect_code(2)
            .expect_stderr("is inside the input folder export");
        std::fs::remove_file(sb.path("report.csv")).unwrap();
    }
    assert_eq!(sb.read("export/Invitations.csv"), before);
    assert!(!sb.exists("export/report.csv"));
    sb.run(&["score", "-q", "export", "-o", "report.csv"])
        .expect_success();
}

#[test]
fn an_output_over_an_input_is_refused_before_anything_is_written() {
    let sb = Sandbox::new();
    let table = messages_csv(3);
    sb.write("in.csv", &table);
    sb.run(&["score", "-q", "in.csv", "-o", "in.csv"])
        .expect_code(2)
        .expect_stderr("-o in.csv is also an input");
    assert_eq!(sb.read("in.csv"), table.as_bytes(), "the input was changed");
    sb.run(&["train", "-q", "--data", "in.csv", "--out", "in.csv"])
        .expect_code(2)
        .expect_stderr("--out in.csv is also an input");
}

#[test]
fn two_outputs_naming_one_file_are_refused() {
    let sb = Sandbox::new();
    sb.write("in.csv", messages_csv(3));
    sb.run(&[
        "score",
        "-q",
        "in.csv",
        "-o",
        "same.csv",
        "--messages-out",
        "same.csv",
    ])
    .expect_code(2)
    .expect_stderr("both name same.csv");
}

#[test]
fn a_dash_as_the_output_means_standard_output() {
    let sb = Sandbox::new();
    sb.write("in.csv", messages_csv(3));
    let run = sb
        .run(&["score", "-q", "in.csv", "-o", "-"])
        .expect_success();
    assert_eq!(run.stdout_text().lines().count(), 4);
    assert!(!sb.exists("-"), "a file named '-' was written");
}

#[test]
fn output_piped_into_a_reader_that_stops_early_is_not_an_error() {
    let sb = Sandbox::new();
    // Far more than a pipe holds, so that writing meets the closed pipe.
    sb.write("in.csv", messages_csv(20_000));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hardsell"))
        .current_dir(sb.path("."))
        .args(["score", "in.csv"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The pipe's read end is closed here, as `| head -c 64` would.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}

#[test]
fn a_quote_never_closed_is_reported_on_its_row_instead_of_swallowing_the_rest() {
    let sb = Sandbox::new();
    let mut table = messages_csv(10);
    table.push_str("m10,\"this quote is never closed\n");
    table.push_str(&messages_csv(10).replacen("id,text\n", "", 1));
    sb.write("in.csv", &table);
    let run = sb
        .run(&["score", "in.csv", "-o", "out.csv"])
        .expect_code(3)
        .expect_stderr("in.csv:12: a quoted field on this row is never closed")
        .expect_stderr("1 unreadable row(s)");
    drop(run);
    let out = String::from_utf8(sb.read("out.csv")).unwrap();
    assert_eq!(out.lines().count(), 11, "header and the 10 rows before it");
    sb.run(&[
        "train",
        "--data",
        "in.csv",
        "--label-column",
        "id",
        "--out",
        "m.json",
    ])
    .expect_code(3)
    .expect_stderr("in.csv:12");
}

#[test]
fn a_gate_with_a_max_drop_that_is_not_a_finite_number_is_refused() {
    let sb = Sandbox::new();
    let mut table = String::from("text,label\n");
    for i in 0..30 {
        table.push_str(&format!(
            "Let's connect as I am growing my network {i},collector\n"
        ));
        table.push_str(&format!(
            "Thanks for connecting! Book a demo of our tool today {i},hard_sell\n"
        ));
        table.push_str(&format!("Loved your talk on graph databases at {i},ok\n"));
    }
    sb.write("labeled.csv", table);
    sb.run(&[
        "train",
        "-q",
        "--data",
        "labeled.csv",
        "--out",
        "model.json",
    ])
    .expect_success();
    sb.write(
        "baseline.json",
        r#"{"mcc": 1.0, "f1": 1.0, "roc_auc": 1.0}"#,
    );
    for drop in ["NaN", "inf", "-0.5"] {
        sb.run(&[
            "eval",
            "--data",
            "labeled.csv",
            "--model",
            "model.json",
            "--baseline",
            "baseline.json",
            &format!("--max-drop={drop}"),
        ])
        .expect_code(2)
        .expect_stderr("--max-drop must be a finite number");
    }
}
