//! Integration tests: the real `hardsell` binary on files these tests write themselves.
//!
//! Each test reads as a specification of one behaviour: what the user runs, the exit code they
//! get and what stderr tells them (with `file:line` where a row is at fault). Fixtures are
//! small hand-written spam/ham-like corpora made deterministic by cycling fixed sentences with
//! the row number mixed in; training uses `--cv 3` so the whole file runs in seconds.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::Sandbox;
use serde::Deserialize;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const SPAM: [&str; 8] = [
    "WIN a free cruise now, call 0800 {n} to claim your prize",
    "URGENT! Your account {n} has won cash, text WIN to 8{n} now",
    "Free entry: reply YES to get {n} free ringtones today",
    "Congratulations, you were selected for a {n} pound voucher, click now",
    "Limited offer: buy {n} get one free, call now to claim",
    "You have won a guaranteed cash prize of {n}, claim it by text today",
    "Exclusive deal for you: {n}% off, reply STOP to opt out, claim now",
    "Your mobile number {n} won our prize draw! Call now to collect",
];

const HAM: [&str; 8] = [
    "Are we still meeting for lunch at {n} tomorrow?",
    "Thanks for the notes from the meeting, see you on day {n}",
    "Can you pick up milk on the way home, I left at {n}",
    "Happy birthday! Hope your {n}th year is a great one",
    "I will be late tonight, the train is delayed by {n} minutes",
    "Mum says dinner is at {n}, bring the kids and the dog",
    "Did you finish chapter {n} of the book? I loved the ending",
    "Sorry I missed your call, I was in the garden until {n}",
];

const COLLECTOR: [&str; 6] = [
    "I'd like to add you to my professional network, contact {n}",
    "Hi, let's connect! I am growing my network of {n} leaders",
    "Hello, I came across your profile and would love to connect, {n}",
    "Please accept my invitation to join your network, member {n}",
    "Let's connect and grow together, I have {n} connections already",
    "Hi there, I'm expanding my network with people like you, {n}",
];

const HARD_SELL: [&str; 6] = [
    "Thanks for connecting! Our platform cuts your costs by {n}%, book a demo today",
    "Following up on my last {n} messages about our offer, are you free for a call?",
    "Quick question: would you buy leads at {n} dollars each? Book a slot now",
    "Just bumping this to the top of your inbox, our agency grows revenue {n}x",
    "Since we connected, I wanted to pitch our outsourcing service, {n} clients love it",
    "Last chance: our sales tool discount ends in {n} hours, schedule a demo",
];

const OK: [&str; 6] = [
    "Great seeing you at the conference on day {n}, here are the slides I promised",
    "Could you review pull request {n} before Friday? Thanks a lot",
    "The quarterly report is attached, section {n} has the numbers you asked for",
    "Congrats on the new role! Let's catch up over coffee in week {n}",
    "Here is the agenda for Monday's meeting, item {n} is yours",
    "Thanks for the referral, I will follow up with your colleague on {n}",
];

/// A sentence of `list`, picked by cycling, with the row number mixed in.
fn sentence(list: &[&str], row: usize) -> String {
    list[(row / 3 + row) % list.len()].replace("{n}", &row.to_string())
}

/// A labeled CSV `id,label,text` of rows `first..first+rows`: every third row is spam.
/// Every `flip_every`-th row (if any) carries the wrong label, so metrics fall below 1.
fn spam_ham_csv(first: usize, rows: usize, flip_every: Option<usize>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["id", "label", "text"]).unwrap();
    for i in first..first + rows {
        let spam = i % 3 == 0;
        let text = if spam {
            sentence(&SPAM, i)
        } else {
            sentence(&HAM, i)
        };
        let flipped = flip_every.is_some_and(|k| i % k == k - 1);
        let label = if spam != flipped { "spam" } else { "ham" };
        w.write_record([format!("m{i}").as_str(), label, &text])
            .unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

/// A three-label CSV `id,label,text` with labels ok / collector / hard_sell in turn.
fn outreach_csv(first: usize, rows: usize) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["id", "label", "text"]).unwrap();
    for i in first..first + rows {
        let (label, list): (&str, &[&str]) = match i % 3 {
            0 => ("ok", &OK),
            1 => ("collector", &COLLECTOR),
            _ => ("hard_sell", &HARD_SELL),
        };
        w.write_record([format!("o{i}").as_str(), label, &sentence(list, i)])
            .unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

/// The ids of a fixture CSV, in file order.
fn ids_of(csv_text: &str) -> Vec<String> {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    r.records().map(|rec| rec.unwrap()[0].to_string()).collect()
}

/// A sandbox with `train.csv` (90 rows), `test.csv` (60 other rows) and `model.json` trained on
/// `train.csv`.
fn trained_sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.write("train.csv", spam_ham_csv(0, 90, None));
    sb.write("test.csv", spam_ham_csv(1000, 60, None));
    sb.run(&[
        "train",
        "--data",
        "train.csv",
        "--out",
        "model.json",
        "--cv",
        "3",
    ])
    .expect_success()
    .expect_stderr("trained on 90 rows (ham 60, spam 30)")
    .expect_stderr("wrote model.json");
    sb
}

/// One scored row as `score --format jsonl|json` writes it.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Scored {
    id: String,
    source: String,
    label: String,
    flagged: bool,
    probabilities: BTreeMap<String, f64>,
    reasons: Vec<Reason>,
}

/// One contributing feature of a flagged row.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Reason {
    feature: String,
    contribution: f64,
}

fn parse_jsonl(bytes: &[u8]) -> Vec<Scored> {
    std::str::from_utf8(bytes)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a scored row ({e}): {l}")))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 1. train → eval → score
// ---------------------------------------------------------------------------------------------

#[test]
fn train_writes_a_versioned_json_model_with_its_training_summary() {
    let sb = trained_sandbox();
    let model = sb.read_json("model.json");
    assert_eq!(model["format"], "hardsell-model");
    assert_eq!(model["format_version"], 1);
    assert_eq!(model["labels"], serde_json::json!(["ham", "spam"]));
    assert_eq!(model["positive"], "spam");
    assert!(
        model["features"].is_object(),
        "features: {}",
        model["features"]
    );
    let training = &model["training"];
    assert_eq!(
        training["rows_per_label"],
        serde_json::json!({"ham": 60, "spam": 30})
    );
    let fingerprint = training["fingerprint"]
        .as_str()
        .expect("fingerprint is a string");
    assert_eq!(fingerprint.len(), 64, "a SHA-256 in hex: {fingerprint}");
    assert!(
        fingerprint.bytes().all(|b| b.is_ascii_hexdigit()),
        "{fingerprint}"
    );
    assert_eq!(training["params"]["folds"], 3);
}

#[test]
fn training_on_different_data_gives_a_different_fingerprint() {
    let sb = trained_sandbox();
    sb.run(&[
        "train",
        "--data",
        "test.csv",
        "--out",
        "other.json",
        "--cv",
        "3",
    ])
    .expect_success();
    assert_ne!(
        sb.read_json("model.json")["training"]["fingerprint"],
        sb.read_json("other.json")["training"]["fingerprint"]
    );
}

#[test]
fn training_on_the_same_data_gives_byte_identical_models_on_any_number_of_threads() {
    let sb = Sandbox::new();
    sb.write("train.csv", spam_ham_csv(0, 120, None));
    // The third on one thread: the model does not depend on the number of threads either.
    for (out, threads) in [("a.json", "2"), ("b.json", "2"), ("c.json", "1")] {
        sb.run(&[
            "--threads",
            threads,
            "train",
            "--data",
            "train.csv",
            "--out",
            out,
            "--cv",
            "3",
        ])
        .expect_success();
    }
    for other in ["b.json", "c.json"] {
        if sb.read("a.json") != sb.read(other) {
            let mut fields = Vec::new();
            json_differences(
                "",
                &sb.read_json("a.json"),
                &sb.read_json(other),
                &mut fields,
            );
            panic!("a.json and {other} differ in {fields:?}");
        }
    }
}

/// The paths of the fields where two JSON values differ.
fn json_differences(
    path: &str,
    a: &serde_json::Value,
    b: &serde_json::Value,
    out: &mut Vec<String>,
) {
    match (a, b) {
        (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
            for key in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let null = serde_json::Value::Null;
                json_differences(
                    &format!("{path}.{key}"),
                    x.get(key).unwrap_or(&null),
                    y.get(key).unwrap_or(&null),
                    out,
                );
            }
        }
        _ if a != b => out.push(format!("{path}: {a} vs {b}")),
        _ => {}
    }
}

#[test]
fn training_twice_gives_the_same_model_apart_from_the_fit_time() {
    let sb = Sandbox::new();
    sb.write("train.csv", spam_ham_csv(0, 120, None));
    sb.run(&[
        "train",
        "--data",
        "train.csv",
        "--out",
        "a.json",
        "--cv",
        "3",
    ])
    .expect_success();
    sb.run(&[
        "--threads",
        "1",
        "train",
        "--data",
        "train.csv",
        "--out",
        "b.json",
        "--cv",
        "3",
    ])
    .expect_success();
    let without_time = |name: &str| {
        let mut v = sb.read_json(name);
        v["training"]["fit_seconds"] = serde_json::Value::Null;
        v
    };
    assert_eq!(without_time("a.json"), without_time("b.json"));
}

#[test]
fn eval_json_has_the_binary_metrics_at_the_top_level() {
    let sb = trained_sandbox();
    let run = sb
        .run(&[
            "eval",
            "--model",
            "model.json",
            "--data",
            "test.csv",
            "--format",
            "json",
        ])
        .expect_success();
    let m = run.stdout_json();
    for key in [
        "accuracy",
        "precision",
        "recall",
        "f1",
        "mcc",
        "roc_auc",
        "false_positive_rate",
    ] {
        let v = m[key]
            .as_f64()
            .unwrap_or_else(|| run.fail(&format!("'{key}' is not a number")));
        assert!((-1.0..=1.0).contains(&v), "{key} = {v}");
    }
    let c = &m["confusion"];
    let cell = |k: &str| {
        c[k].as_u64()
            .unwrap_or_else(|| run.fail(&format!("confusion.{k} is not a count")))
    };
    assert_eq!(cell("tp") + cell("fp") + cell("tn") + cell("fn"), 60);
    assert_eq!(
        cell("tp") + cell("fn"),
        20,
        "20 of the 60 test rows are spam"
    );
    assert_eq!(m["rows"], 60);
    assert_eq!(m["positive"], "spam");
    assert!(
        m["mcc"].as_f64().unwrap() > 0.8,
        "held-out rows of the same kinds are easy: {m}"
    );
}

#[test]
fn eval_text_is_a_readable_table_of_the_same_metrics() {
    let sb = trained_sandbox();
    let out = sb
        .run(&["eval", "--model", "model.json", "--data", "test.csv"])
        .expect_success()
        .stdout_text();
    assert!(out.starts_with("rows 60  positive label 'spam'"), "{out}");
    for key in [
        "accuracy",
        "precision",
        "recall",
        "f1",
        "mcc",
        "roc_auc",
        "false_positive_rate",
        "confusion",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(key)),
            "no line for {key}:\n{out}"
        );
    }
}

#[test]
fn multi_class_data_trains_and_eval_reports_each_label() {
    let sb = Sandbox::new();
    sb.write("train.csv", outreach_csv(0, 90))
        .write("test.csv", outreach_csv(500, 45));
    sb.run(&[
        "train",
        "--data",
        "train.csv",
        "--out",
        "model.json",
        "--cv",
        "3",
    ])
    .expect_success()
    .expect_stderr("collector 30, hard_sell 30, ok 30");
    let model = sb.read_json("model.json");
    assert_eq!(
        model["labels"],
        serde_json::json!(["collector", "hard_sell", "ok"])
    );
    assert!(
        model["positive"].is_null(),
        "three labels have no single positive label"
    );

    let text = sb
        .run(&["eval", "--model", "model.json", "--data", "test.csv"])
        .expect_success()
        .stdout_text();
    for label in ["collector", "hard_sell", "ok"] {
        let line = text.lines().find(|l| {
            l.split_whitespace().next() == Some(label) && l.split_whitespace().count() == 6
        });
        assert!(
            line.is_some(),
            "no per-label metrics row for {label}:\n{text}"
        );
    }

    let json = sb
        .run(&[
            "eval",
            "--model",
            "model.json",
            "--data",
            "test.csv",
            "--format",
            "json",
        ])
        .expect_success()
        .stdout_json();
    for label in ["collector", "hard_sell", "ok"] {
        for key in ["precision", "recall", "f1", "roc_auc"] {
            assert!(
                json["per_label"][label][key].is_f64(),
                "per_label.{label}.{key} missing: {json}"
            );
        }
    }
    assert!(
        json["f1"].is_f64() && json["roc_auc"].is_f64() && json["mcc"].is_f64(),
        "{json}"
    );
}

#[test]
fn label_map_merges_table_labels_and_leaves_dashed_ones_as_context() {
    let sb = Sandbox::new();
    sb.write("train.csv", outreach_csv(0, 90))
        .write("test.csv", outreach_csv(500, 45));
    sb.run(&[
        "train",
        "--data",
        "train.csv",
        "--out",
        "model.json",
        "--label-map",
        "hard_sell=spam,ok=ham,collector=-",
    ])
    .expect_success()
    .expect_stderr("trained on 60 rows (ham 30, spam 30), 30 unlabeled rows used as context only");
    let model = sb.read_json("model.json");
    assert_eq!(model["labels"], serde_json::json!(["ham", "spam"]));
    assert_eq!(model["positive"], "spam");

    // eval maps the test file's labels the same way; its collector rows are left out.
    let json = sb
        .run(&[
            "eval",
            "--model",
            "model.json",
            "--data",
            "test.csv",
            "--label-map",
            "hard_sell=spam,ok=ham,collector=-",
            "--format",
            "json",
        ])
        .expect_success()
        .stdout_json();
    let confusion: u64 = ["tp", "fp", "tn", "fn"]
        .iter()
        .map(|k| json["confusion"][k].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(confusion, 30, "{json}");
}

#[test]
fn a_combiner_tolerance_that_is_not_positive_is_a_usage_error() {
    let sb = Sandbox::new();
    sb.write("train.csv", spam_ham_csv(0, 90, None));
    sb.run(&[
        "train",
        "--data",
        "train.csv",
        "--out",
        "model.json",
        "--combiner-tolerance",
        "0",
    ])
    .expect_code(2)
    .expect_stderr("--combiner-tolerance must be a positive number (got 0)");
    assert!(!sb.path("model.json").exists());
}

// ---------------------------------------------------------------------------------------------
// 2. score outputs
// ---------------------------------------------------------------------------------------------

#[test]
fn score_csv_has_one_row_per_input_row_in_input_order() {
    let sb = trained_sandbox();
    let run = sb
        .run(&["score", "--model", "model.json", "test.csv"])
        .expect_success()
        .expect_stderr("scored 60 rows");
    let mut r = csv::Reader::from_reader(&run.stdout[..]);
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        ["id", "source", "label", "flagged", "p_ham", "p_spam", "reasons"]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    let ids: Vec<&str> = rows.iter().map(|x| &x[0]).collect();
    assert_eq!(ids, ids_of(&spam_ham_csv(1000, 60, None)));
    for (n, row) in rows.iter().enumerate() {
        assert_eq!(
            &row[1],
            format!("test.csv:{}", n + 2),
            "source is file:line (line 1 is the header)"
        );
        let p_ham: f64 = row[4].parse().unwrap();
        let p_spam: f64 = row[5].parse().unwrap();
        assert!((p_ham + p_spam - 1.0).abs() < 1e-5, "{row:?}");
        let flagged: bool = row[3].parse().unwrap();
        assert_eq!(flagged, &row[2] == "spam", "{row:?}");
        assert_eq!(
            flagged,
            !row[6].is_empty(),
            "reasons are listed for flagged rows only: {row:?}"
        );
    }
}

#[test]
fn score_jsonl_writes_one_object_per_input_row() {
    let sb = trained_sandbox();
    let run = sb
        .run(&[
            "score",
            "--model",
            "model.json",
            "--format",
            "jsonl",
            "test.csv",
        ])
        .expect_success();
    let rows = parse_jsonl(&run.stdout);
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids, ids_of(&spam_ham_csv(1000, 60, None)));
    for r in &rows {
        assert_eq!(r.probabilities.keys().collect::<Vec<_>>(), ["ham", "spam"]);
        assert_eq!(r.flagged, r.label == "spam");
        assert_eq!(r.flagged, !r.reasons.is_empty(), "{r:?}");
        assert!(
            r.reasons
                .iter()
                .all(|c| !c.feature.is_empty() && c.contribution > 0.0),
            "{r:?}"
        );
    }
    assert!(rows.iter().any(|r| r.flagged) && rows.iter().any(|r| !r.flagged));
}

#[test]
fn score_json_writes_one_array_with_the_same_rows_as_jsonl() {
    let sb = trained_sandbox();
    let array = sb
        .run(&[
            "score",
            "--model",
            "model.json",
            "--format",
            "json",
            "test.csv",
        ])
        .expect_success();
    let rows: Vec<Scored> = serde_json::from_slice(&array.stdout)
        .unwrap_or_else(|e| array.fail(&format!("not a JSON array of rows: {e}")));
    let lines = sb
        .run(&[
            "score",
            "--model",
            "model.json",
            "--format",
            "jsonl",
            "test.csv",
        ])
        .expect_success();
    assert_eq!(rows, parse_jsonl(&lines.stdout));
    assert_eq!(rows.len(), 60);
}

#[test]
fn score_writes_to_the_output_file_instead_of_stdout() {
    let sb = trained_sandbox();
    let to_file = sb
        .run(&[
            "score",
            "--model",
            "model.json",
            "-o",
            "scores.csv",
            "test.csv",
        ])
        .expect_success();
    assert!(
        to_file.stdout.is_empty(),
        "stdout should stay empty with -o"
    );
    let to_stdout = sb
        .run(&["score", "--model", "model.json", "test.csv"])
        .expect_success();
    assert!(
        sb.read("scores.csv") == to_stdout.stdout,
        "-o FILE holds exactly what stdout would"
    );
}

#[test]
fn score_reads_standard_input_given_as_dash() {
    let sb = trained_sandbox();
    let run = sb
        .run_with_stdin(
            &["score", "--model", "model.json", "--format", "jsonl", "-"],
            sb.read("test.csv"),
        )
        .expect_success()
        .expect_stderr("scored 60 rows");
    assert_eq!(parse_jsonl(&run.stdout).len(), 60);
}

/// Records of a CSV text (header first).
fn csv_records(text: &[u8]) -> Vec<csv::StringRecord> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text)
        .records()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn score_senders_judges_a_tables_rows_by_sender_and_scores_every_row() {
    let sb = Sandbox::new();
    let table = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/outreach/tech.csv");
    let run = sb
        .run(&[
            "score",
            "--senders",
            table.to_str().unwrap(),
            "--messages-out",
            "rows.csv",
        ])
        .expect_success()
        .expect_no_stderr("no timestamp column");
    let verdicts = csv_records(&run.stdout);
    assert_eq!(
        verdicts[0].iter().take(3).collect::<Vec<_>>(),
        ["sender", "profile_url", "verdict"]
    );
    // Every row of the table is scored (the labeled ones and the owner's replies).
    let rows = csv_records(&sb.read("rows.csv")).len() - 1;
    let table_rows = csv::Reader::from_path(&table).unwrap().records().count();
    assert_eq!(rows, table_rows);
    let stderr = &run.stderr;
    assert!(
        stderr.contains(&format!(
            "{rows} messages read; {} senders",
            verdicts.len() - 1
        )),
        "{stderr}"
    );
    assert!(verdicts[1..].iter().any(|v| &v[2] == "hard_sell"));
    assert!(verdicts[1..].iter().any(|v| &v[2] == "collector"));
    assert!(verdicts[1..].iter().any(|v| &v[2] == "ok"));
}

/// Outlook's "Comma Separated Values" mail export: its real header, no dates.
const OUTLOOK_HEADER: &str = "\"Subject\",\"Body\",\"From: (Name)\",\"From: (Address)\",\"From: (Type)\",\"To: (Name)\",\"To: (Address)\",\"To: (Type)\",\"CC: (Name)\",\"CC: (Address)\",\"CC: (Type)\",\"BCC: (Name)\",\"BCC: (Address)\",\"BCC: (Type)\",\"Billing Information\",\"Categories\",\"Importance\",\"Mileage\",\"Sensitivity\"\n";

#[test]
fn score_senders_reads_an_outlook_csv_export_by_sender_address_and_says_it_is_untimed() {
    let sb = Sandbox::new();
    let mut text = OUTLOOK_HEADER.to_string();
    let row = |subject: &str, body: &str, name: &str, address: &str| {
        format!("\"{subject}\",\"{body}\",\"{name}\",\"{address}\",\"SMTP\",\"Jordan Avery\",\"jordan@example.org\",\"SMTP\",,,,,,,,,\"Normal\",,\"Normal\"\n")
    };
    for body in [
        "Thanks for connecting! Our platform cuts your costs by 40%, book a demo today",
        "Following up on my last 3 messages about our offer, are you free for a call this week?",
        "Just bumping this to the top of your inbox, our agency grows revenue 10x. Book a slot now",
    ] {
        text += &row("Quick question", body, "Pat Seller", "pat@leadgen.example");
    }
    text += &row(
        "Slides",
        "Great seeing you at the conference on Tuesday, here are the slides I promised. Could you review section 2 before Friday?",
        "Sam Colleague",
        "sam@example.org",
    );
    sb.write("outlook.csv", &text);
    let run = sb
        .run(&["score", "--senders", "--text-column", "Body", "outlook.csv"])
        .expect_success()
        .expect_stderr("outlook.csv has no timestamp column")
        .expect_stderr("none of your own messages is in the input")
        .expect_stderr("4 messages read; 2 senders: 1 hard_sell, 0 collector, 0 sponsored, 1 ok");
    let verdicts = csv_records(&run.stdout);
    let by_sender: BTreeMap<&str, (&str, &str, &str)> = verdicts[1..]
        .iter()
        .map(|v| (&v[0], (&v[1], &v[2], &v[4])))
        .collect();
    assert_eq!(
        by_sender["Pat Seller"],
        ("pat@leadgen.example", "hard_sell", "3")
    );
    assert_eq!(by_sender["Sam Colleague"], ("sam@example.org", "ok", "1"));
    // An Inbox alone holds none of your replies: they are unknown, not "never" (empty
    // columns, no "you never replied"), and the colleague's one email is not pushed toward a
    // flag by replies the export cannot show (0.51 ok when read as never answered).
    let pat = verdicts.iter().find(|v| &v[0] == "Pat Seller").unwrap();
    let (followups, replied, evidence) = (&pat[8], &pat[9], &pat[11]);
    assert_eq!((followups, replied), ("", ""));
    assert!(
        evidence.contains("(your replies are not in the input)"),
        "{evidence}"
    );
    assert!(!evidence.contains("never replied"), "{evidence}");
    let sam = verdicts.iter().find(|v| &v[0] == "Sam Colleague").unwrap();
    let sam_ok: f64 = sam[3].parse().unwrap();
    assert!(sam_ok > 0.8, "Sam's ok score {sam_ok}");
    // Scored message by message, the file is named in the same warning, and the reply
    // features whose training mean stood in are no reasons for a flag.
    let messages = sb
        .run(&[
            "score",
            "--text-column",
            "Body",
            "--reasons",
            "40",
            "outlook.csv",
        ])
        .expect_success()
        .expect_stderr("warning: outlook.csv: none of your own messages is in the input");
    let reasons = messages.stdout_text();
    assert!(
        reasons.contains("context:sender_message_number"),
        "{reasons}"
    );
    for unknown in [
        "unanswered_before",
        "owner_ever_replied",
        "owner_replied_before",
    ] {
        assert!(!reasons.contains(unknown), "{unknown}: {reasons}");
    }
    // A model file from before the means were recorded reads unknown replies as none: said.
    let default = concat!(env!("CARGO_MANIFEST_DIR"), "/models/default.json");
    let mut older: serde_json::Value =
        serde_json::from_slice(&std::fs::read(default).unwrap()).unwrap();
    older.as_object_mut().unwrap().remove("side_means");
    sb.write("older.json", older.to_string());
    sb.run(&[
        "score",
        "--senders",
        "--text-column",
        "Body",
        "--model",
        "older.json",
        "outlook.csv",
    ])
    .expect_success()
    .expect_stderr("is read as never answered; retrain it with `hardsell train`")
    .expect_stderr("this model file reads them as none (see the warning on it)");

    // Naming yourself does not make an Inbox hold your sent mail: replies stay unknown.
    let me = ["--me", "jordan@example.org"];
    let args = ["score", "--senders", "--text-column", "Body", "outlook.csv"];
    sb.run(&[&args[..], &me[..]].concat())
        .expect_success()
        .expect_stderr("none of your own messages is in the input");
    // Inbox and Sent Items exported together: with --me, your reply to Pat is in Pat's thread
    // and you are no sender; without it, the reply is just another incoming row.
    text += &row(
        "Re: Quick question",
        "Thanks Pat, not interested at the moment.",
        "Jordan Avery",
        "jordan@example.org",
    )
    .replace(
        "\"Jordan Avery\",\"jordan@example.org\",\"SMTP\",,",
        "\"Pat Seller\",\"pat@leadgen.example\",\"SMTP\",,",
    );
    sb.write("outlook.csv", text);
    let replied_to = |me: &[&str]| {
        let mut args = vec!["score", "--senders", "--text-column", "Body", "outlook.csv"];
        args.extend(me);
        let run = sb.run(&args).expect_success();
        csv_records(&run.stdout)[1..]
            .iter()
            .map(|v| (v[0].to_string(), v[9].to_string()))
            .collect::<BTreeMap<String, String>>()
    };
    let mine = replied_to(&["--me", "jordan@example.org"]);
    assert_eq!(mine.len(), 2);
    assert_eq!(mine["Pat Seller"], "true");
    let theirs = replied_to(&[]);
    assert_eq!(theirs.len(), 3);
    assert_eq!(
        theirs["Pat Seller"], "",
        "no row is yours: whether you replied is unknown"
    );
    // A --me no row is from or to (a typo, or part of an address) would make you a sender of
    // your own.
    for typo in ["jordan@exmple.org", "dan@example.org"] {
        let args = ["score", "--senders", "--text-column", "Body", "outlook.csv"];
        sb.run(&[&args[..], &["--me", typo]].concat())
            .expect_code(2)
            .expect_stderr(&format!("--me {typo}: no row is from or to it"));
    }
}

#[test]
fn score_senders_reads_its_input_as_a_table_even_when_its_header_looks_like_mail() {
    let sb = Sandbox::new();
    // Outlook's columns in another order: the first line would pass for a mail header.
    sb.write(
        "sent.csv",
        "To: (Type),From: (Address),Body\nSMTP,a@x.example,book a demo today\nSMTP,b@y.example,see you at lunch\n",
    );
    let run = sb
        .run(&["score", "--senders", "--text-column", "Body", "sent.csv"])
        .expect_success()
        .expect_stderr("2 messages read; 2 senders");
    assert_eq!(csv_records(&run.stdout).len(), 3);
    // Named .csv, it is a table for plain scoring too.
    sb.run(&["score", "--text-column", "Body", "sent.csv"])
        .expect_success()
        .expect_stderr("scored 2 rows");
    std::fs::create_dir(sb.path("inbox")).unwrap();
    sb.run(&["score", "--senders", "inbox"])
        .expect_code(2)
        .expect_stderr("inbox: --senders is for one CSV/TSV/JSON Lines table");
}

#[test]
fn score_senders_joins_a_partys_rows_however_its_address_or_profile_url_is_written() {
    let sb = Sandbox::new();
    sb.write(
        "t.csv",
        "sender,recipient,text\n\
         a@b.com,,Book a demo today\n\
         \" A@B.COM \",,Following up on my demo offer\n\
         https://www.linkedin.com/in/pat/,,Our agency grows revenue 10x\n\
         https://linkedin.com/in/Pat?trk=1,,Just bumping this up\n\
         https://www.linkedin.com/in/jordan,https://www.linkedin.com/in/pat,Thanks but no\n",
    );
    let run = sb
        .run(&[
            "score",
            "--senders",
            "--me",
            "https://linkedin.com/in/Jordan/",
            "t.csv",
        ])
        .expect_success()
        .expect_stderr("5 messages read; 2 senders");
    let rows: BTreeMap<String, (String, String)> = csv_records(&run.stdout)[1..]
        .iter()
        .map(|v| (v[1].to_string(), (v[4].to_string(), v[9].to_string())))
        .collect();
    assert_eq!(rows["a@b.com"], ("2".into(), "false".into()));
    assert_eq!(
        rows["https://www.linkedin.com/in/pat"],
        ("2".into(), "true".into())
    );
}

#[test]
fn score_senders_reads_name_and_address_cells_and_judges_each_unnamed_row_alone() {
    let sb = Sandbox::new();
    sb.write(
        "t.csv",
        "from,to,text\n\
         \"Pat Seller <Pat@LeadGen.example>\",,Book a demo today\n\
         pat@leadgen.example,,Following up on my demo offer\n\
         ,,Our agency grows revenue 10x\n\
         ,,Just bumping this up\n\
         me@home.example,\"\"\"Seller, Pat\"\" <pat@leadgen.example>, other@x.example\",No thanks\n",
    );
    let run = sb
        .run(&[
            "score",
            "--senders",
            "--me",
            "Me <me@home.example>",
            "t.csv",
        ])
        .expect_success()
        .expect_stderr("2 row(s) name no sender (or, yours, no recipient), so each is judged alone")
        .expect_stderr("(first at t.csv:4)")
        .expect_stderr("5 messages read; 3 senders");
    // sender, messages, you replied; by key.
    let rows: BTreeMap<String, (String, String, String)> = csv_records(&run.stdout)[1..]
        .iter()
        .map(|v| {
            (
                v[1].to_string(),
                (v[0].to_string(), v[4].to_string(), v[9].to_string()),
            )
        })
        .collect();
    assert_eq!(
        rows["pat@leadgen.example"],
        ("Pat Seller".into(), "2".into(), "true".into()),
        "the name beside the address stands; a bare address does not hide it"
    );
    for line in [4, 5] {
        let unnamed = &rows[&format!("(no sender) t.csv:{line}")];
        assert_eq!(
            (unnamed.0.as_str(), unnamed.1.as_str()),
            ("(no sender)", "1")
        );
    }
}

#[test]
fn score_senders_keys_hidden_members_by_their_conversation_as_an_export_does() {
    let sb = Sandbox::new();
    sb.write(
        "t.csv",
        "conversation_id,contact_name,contact_profile_url,text\n\
         c1,LinkedIn Member,,Book a demo of our tool today\n\
         c1,LinkedIn Member,,Following up on the demo\n\
         c2,LinkedIn Member,,Our agency grows revenue 10x\n\
         c3,Pat Seller,https://www.linkedin.com/in/pat,Quick question about your team\n",
    );
    let run = sb
        .run(&["score", "--senders", "t.csv"])
        .expect_success()
        .expect_stderr("4 messages read; 3 senders")
        .expect_no_stderr("no sender");
    let rows: BTreeMap<String, (String, String)> = csv_records(&run.stdout)[1..]
        .iter()
        .map(|v| (v[1].to_string(), (v[0].to_string(), v[4].to_string())))
        .collect();
    assert_eq!(rows["conv:c1"], ("LinkedIn Member".into(), "2".into()));
    assert_eq!(rows["conv:c2"], ("LinkedIn Member".into(), "1".into()));
}

#[test]
fn score_senders_keeps_a_name_seen_beside_an_address_whatever_the_row_order() {
    let sb = Sandbox::new();
    let rows = [
        "jane@x.example,following up again on our offer,2024-03-10T10:00:00Z",
        "Jane Doe <jane@x.example>,hello I wanted to offer our services,2024-03-01T10:00:00Z",
    ];
    for order in [[0, 1], [1, 0]] {
        let mut text = String::from("sender,text,timestamp\n");
        for i in order {
            text += rows[i];
            text.push('\n');
        }
        sb.write("t.csv", &text);
        let run = sb.run(&["score", "--senders", "t.csv"]).expect_success();
        let verdicts = csv_records(&run.stdout);
        assert_eq!(verdicts.len(), 2, "one sender");
        assert_eq!(
            (&verdicts[1][0], &verdicts[1][1]),
            ("Jane Doe", "jane@x.example")
        );
    }
}

#[test]
fn a_table_naming_a_context_column_twice_is_refused() {
    let sb = Sandbox::new();
    sb.write("t.csv", "sender,text,Sender\na@b.com,hi,c@d.com\n");
    sb.run(&["score", "--senders", "t.csv"])
        .expect_code(3)
        .expect_stderr("t.csv:1: the header names column 'sender' twice (columns 1 and 3)");
}

#[test]
fn score_senders_refuses_a_table_that_does_not_say_who_sent_each_row() {
    let sb = trained_sandbox();
    sb.run(&["score", "--senders", "--model", "model.json", "test.csv"])
        .expect_code(2)
        .expect_stderr("test.csv: --senders needs a column naming each row's sender");
    sb.run(&[
        "score",
        "--senders",
        "--model",
        "model.json",
        "test.csv",
        "train.csv",
    ])
    .expect_code(2)
    .expect_stderr("one table at a time");
}

#[test]
fn a_quote_left_open_at_the_end_is_reported_from_standard_input_as_from_a_file() {
    let sb = trained_sandbox();
    let text = "id,text\n1,fine row\n2,\"never closed\n3,swallowed\n4,swallowed too\n";
    sb.write("open.csv", text);
    let from_file = sb
        .run(&["score", "--model", "model.json", "open.csv"])
        .expect_code(3)
        .expect_stderr("open.csv:3: a quoted field on this row is never closed");
    let from_stdin = sb
        .run_with_stdin(&["score", "--model", "model.json", "-"], text)
        .expect_code(3)
        .expect_stderr("-:3: a quoted field on this row is never closed")
        .expect_stderr("scored 1 rows, flagged");
    // The same one row scored either way (its source names the input).
    assert_eq!(csv_records(&from_stdin.stdout).len(), 2);
    assert_eq!(csv_records(&from_file.stdout).len(), 2);
}

#[test]
fn score_output_is_byte_identical_with_one_or_two_threads() {
    let sb = trained_sandbox();
    sb.write("many.csv", spam_ham_csv(2000, 300, None));
    for format in ["csv", "jsonl", "json"] {
        let one = sb
            .run(&[
                "--threads",
                "1",
                "score",
                "--model",
                "model.json",
                "--format",
                format,
                "many.csv",
            ])
            .expect_success();
        let two = sb
            .run(&[
                "--threads",
                "2",
                "score",
                "--model",
                "model.json",
                "--format",
                format,
                "many.csv",
            ])
            .expect_success();
        assert!(
            one.stdout == two.stdout,
            "--format {format}: output differs between 1 and 2 threads"
        );
    }
}

#[test]
fn score_reports_a_row_with_the_wrong_field_count_scores_the_rest_and_exits_3() {
    let sb = trained_sandbox();
    let mut text = spam_ham_csv(1000, 10, None);
    // Line 5 of the file (the header is line 1) loses its text column.
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[4] = "m1003,ham".to_string();
    text = lines.join("\n") + "\n";
    sb.write("bad.csv", &text);
    let run = sb
        .run(&[
            "score",
            "--model",
            "model.json",
            "--format",
            "jsonl",
            "bad.csv",
        ])
        .expect_code(3)
        .expect_stderr("bad.csv:5: row has 2 fields, the first row has 3 (fields split at ','")
        .expect_stderr("scored 9 rows")
        .expect_stderr("1 unreadable row(s)");
    let ids: Vec<String> = parse_jsonl(&run.stdout).into_iter().map(|r| r.id).collect();
    let expected: Vec<String> = ids_of(&spam_ham_csv(1000, 10, None))
        .into_iter()
        .filter(|id| id != "m1003")
        .collect();
    assert_eq!(ids, expected);
}

// ---------------------------------------------------------------------------------------------
// 3. eval gate
// ---------------------------------------------------------------------------------------------

/// A trained sandbox plus `noisy.csv`, whose mislabeled rows keep every metric below 1.
fn gate_sandbox() -> Sandbox {
    let sb = trained_sandbox();
    sb.write("noisy.csv", spam_ham_csv(1000, 70, Some(7)));
    sb
}

#[test]
fn eval_passes_against_the_baseline_it_wrote() {
    let sb = gate_sandbox();
    sb.run(&[
        "eval",
        "--model",
        "model.json",
        "--data",
        "noisy.csv",
        "--write-baseline",
        "baseline.json",
    ])
    .expect_success()
    .expect_stderr("wrote baseline baseline.json");
    let baseline = sb.read_json("baseline.json");
    for key in ["mcc", "f1", "roc_auc"] {
        assert!(baseline[key].is_f64(), "baseline has no {key}: {baseline}");
    }
    sb.run(&[
        "eval",
        "--model",
        "model.json",
        "--data",
        "noisy.csv",
        "--baseline",
        "baseline.json",
        "--max-drop",
        "0.01",
    ])
    .expect_success()
    .expect_stderr("ok mcc:")
    .expect_stderr("ok roc_auc:");
}

#[test]
fn eval_exits_6_when_a_metric_fell_below_the_baseline() {
    let sb = gate_sandbox();
    sb.run(&[
        "eval",
        "--model",
        "model.json",
        "--data",
        "noisy.csv",
        "--write-baseline",
        "baseline.json",
    ])
    .expect_success();
    let mut baseline = sb.read_json("baseline.json");
    assert!(
        baseline["mcc"].as_f64().unwrap() < 0.99,
        "the noisy file must not be perfect: {baseline}"
    );
    baseline["mcc"] = serde_json::json!(1.0);
    sb.write_json("baseline.json", &baseline);
    sb.run(&[
        "eval",
        "--model",
        "model.json",
        "--data",
        "noisy.csv",
        "--baseline",
        "baseline.json",
        "--max-drop",
        "0.01",
    ])
    .expect_code(6)
    .expect_stderr("regressed")
    .expect_stderr("baseline.json")
    .expect_stderr("mcc:")
    .expect_no_stderr("roc_auc:");
}

/// `eval --model model.json --data DATA` and the extra flags.
fn eval_args<'a>(data: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["eval", "--model", "model.json", "--data", data];
    args.extend_from_slice(extra);
    args
}

#[test]
fn the_gate_cannot_be_passed_by_recording_the_baseline_it_is_checked_against() {
    let sb = gate_sandbox();
    sb.run(&eval_args("noisy.csv", &["--write-baseline", "b.json"]))
        .expect_success();
    let mut baseline = sb.read_json("b.json");
    baseline["mcc"] = serde_json::json!(1.0);
    sb.write_json("b.json", &baseline);
    let before = sb.read("b.json");
    // The same file as baseline and new baseline: refused before any work.
    sb.run(&eval_args(
        "noisy.csv",
        &["--baseline", "b.json", "--write-baseline", "b.json"],
    ))
    .expect_code(2)
    .expect_stderr("--write-baseline b.json is also an input");
    // A failed gate records nothing.
    sb.run(&eval_args(
        "noisy.csv",
        &["--baseline", "b.json", "--write-baseline", "new.json"],
    ))
    .expect_code(6);
    assert!(!sb.exists("new.json"), "a failed run wrote a baseline");
    assert_eq!(sb.read("b.json"), before);
}

#[test]
fn a_baseline_of_another_kind_of_model_or_out_of_range_is_refused_before_the_work() {
    let sb = gate_sandbox();
    sb.run(&eval_args("noisy.csv", &["--write-baseline", "b.json"]))
        .expect_success();
    let good = sb.read_json("b.json");
    let mut other = good.clone();
    other["positive"] = serde_json::json!("ham");
    sb.write_json("other.json", &other);
    let run = sb
        .run(&eval_args("noisy.csv", &["--baseline", "other.json"]))
        .expect_code(3)
        .expect_stderr("other.json: the baseline was recorded for a two-label model flagging 'ham', but the model is a two-label model flagging 'spam'");
    assert_eq!(
        run.stdout_text(),
        "",
        "refused before any metric was worked out"
    );
    let mut multi = good.clone();
    multi.as_object_mut().unwrap().remove("positive");
    sb.write_json("multi.json", &multi);
    sb.run(&eval_args("noisy.csv", &["--baseline", "multi.json"]))
        .expect_code(3)
        .expect_stderr("recorded for a model of several labels");
    let mut wild = good;
    wild["mcc"] = serde_json::json!(-5);
    sb.write_json("wild.json", &wild);
    let run = sb
        .run(&eval_args("noisy.csv", &["--baseline", "wild.json"]))
        .expect_code(3)
        .expect_stderr("wild.json: the baseline's 'mcc' is -5, outside -1..=1");
    assert!(
        run.stdout_text().is_empty(),
        "metrics printed before the check"
    );
    sb.write(
        "bom.json",
        [b"\xEF\xBB\xBF".as_slice(), &sb.read("b.json")].concat(),
    );
    sb.run(&eval_args("noisy.csv", &["--baseline", "bom.json"]))
        .expect_success();
}

#[test]
fn metrics_that_need_a_label_the_data_lacks_are_undefined_and_fail_the_gate() {
    let sb = gate_sandbox();
    sb.run(&eval_args("noisy.csv", &["--write-baseline", "b.json"]))
        .expect_success();
    let noisy = String::from_utf8(sb.read("noisy.csv")).unwrap();
    let mut lines = noisy.lines();
    let header = lines.next().unwrap();
    let hams: Vec<&str> = std::iter::once(header)
        .chain(lines.filter(|l| l.contains(",ham,")))
        .collect();
    let hams = hams.join("\n") + "\n";
    sb.write("hams.csv", hams);
    let run = sb
        .run(&eval_args("hams.csv", &["--format", "json"]))
        .expect_success()
        .expect_stderr("warning: mcc, f1, roc_auc cannot be worked out");
    let metrics = run.stdout_json();
    assert!(
        metrics["mcc"].is_null() && metrics["roc_auc"].is_null(),
        "{metrics}"
    );
    let gate = sb
        .run(&eval_args("hams.csv", &["--baseline", "b.json"]))
        .expect_code(6)
        .expect_stderr("mcc: - (cannot be worked out: the data lacks a label; baseline");
    assert!(!gate.stderr.contains("NaN"), "{}", gate.stderr);
    sb.run(&eval_args("hams.csv", &["--write-baseline", "h.json"]))
        .expect_code(5)
        .expect_stderr("no baseline written to h.json");
    assert!(!sb.exists("h.json"));
}

#[test]
fn outputs_into_a_missing_folder_are_refused_before_the_work() {
    let sb = gate_sandbox();
    sb.run(&eval_args(
        "noisy.csv",
        &["--write-baseline", "nowhere/b.json"],
    ))
    .expect_code(2)
    .expect_stderr("--write-baseline nowhere/b.json: there is no folder nowhere");
    sb.run(&["score", "test.csv", "-o", "nowhere/out.csv"])
        .expect_code(2)
        .expect_stderr("there is no folder nowhere");
}

#[test]
fn eval_names_a_label_the_model_does_not_know_with_its_line() {
    let sb = trained_sandbox();
    sb.write(
        "odd.csv",
        "id,label,text\nx1,ham,see you at lunch\nx2,maybe,call me later\n",
    );
    sb.run(&["eval", "--model", "model.json", "--data", "odd.csv"])
        .expect_code(3)
        .expect_stderr("odd.csv:3: label 'maybe' is not one the model knows (ham, spam)");
}

// ---------------------------------------------------------------------------------------------
// 4. bad input
// ---------------------------------------------------------------------------------------------

#[test]
fn a_missing_text_column_is_named_with_the_columns_that_exist() {
    let sb = trained_sandbox();
    sb.write(
        "body.csv",
        "id,label,body\nb1,ham,hello there\nb2,spam,win cash now\n",
    );
    sb.run(&[
        "train", "--data", "body.csv", "--out", "m.json", "--cv", "2",
    ])
    .expect_code(3)
    .expect_stderr(
        "body.csv: no column 'text' (use --text-column); the columns are: id, label, body",
    );
    assert!(!sb.exists("m.json"), "no model is written");
    sb.run(&["score", "--model", "model.json", "body.csv"])
        .expect_code(3)
        .expect_stderr("no column 'text'")
        .expect_stderr("id, label, body");
}

#[test]
fn training_on_a_single_label_names_the_label_and_its_rows() {
    let sb = Sandbox::new();
    let only_ham: String = spam_ham_csv(0, 60, None)
        .lines()
        .filter(|l| !l.contains(",spam,"))
        .map(|l| format!("{l}\n"))
        .collect();
    sb.write("ham.csv", only_ham);
    sb.run(&["train", "--data", "ham.csv", "--out", "m.json", "--cv", "2"])
        .expect_code(5)
        .expect_stderr(
            "ham.csv: training needs at least two labels, but the file has only 'ham' (40 rows)",
        );
}

#[test]
fn an_empty_file_is_an_input_error() {
    let sb = trained_sandbox();
    sb.write("empty.csv", "");
    sb.run(&[
        "train",
        "--data",
        "empty.csv",
        "--out",
        "m.json",
        "--cv",
        "2",
    ])
    .expect_code(3)
    .expect_stderr("empty.csv: the file is empty");
    sb.run(&["score", "--model", "model.json", "empty.csv"])
        .expect_code(3)
        .expect_stderr("empty.csv: the file is empty");
}

#[test]
fn training_stops_at_a_row_with_the_wrong_field_count_naming_its_line() {
    let sb = Sandbox::new();
    let mut lines: Vec<String> = spam_ham_csv(0, 60, None)
        .lines()
        .map(String::from)
        .collect();
    lines[36] = "m35,ham,too,many,fields".to_string(); // line 37 of the file
    sb.write("train.csv", lines.join("\n") + "\n");
    sb.run(&[
        "train",
        "--data",
        "train.csv",
        "--out",
        "m.json",
        "--cv",
        "2",
    ])
    .expect_code(3)
    .expect_stderr("train.csv:37: row has 5 fields, the first row has 3 (fields split at ','")
    .expect_no_panic();
    assert!(!sb.exists("m.json"));
}

#[test]
fn a_crlf_file_reports_the_right_line() {
    let sb = Sandbox::new();
    let mut lines: Vec<String> = spam_ham_csv(0, 60, None)
        .lines()
        .map(String::from)
        .collect();
    lines[36] = "m35,ham,too,many,fields".to_string();
    sb.write("train.csv", lines.join("\r\n") + "\r\n");
    sb.run(&[
        "train",
        "--data",
        "train.csv",
        "--out",
        "m.json",
        "--cv",
        "2",
    ])
    .expect_code(3)
    .expect_stderr("train.csv:37: row has 5 fields, the first row has 3 (fields split at ','");
}

#[test]
fn invalid_utf8_in_training_data_is_replaced_and_its_first_position_reported() {
    let sb = Sandbox::new();
    let mut bytes = Vec::new();
    for (n, line) in spam_ham_csv(0, 60, None).lines().enumerate() {
        bytes.extend_from_slice(line.as_bytes());
        if n == 7 || n == 20 {
            bytes.extend_from_slice(b" caf\xe9 \xff"); // lines 8 and 21: Latin-1 and a stray byte
        }
        bytes.push(b'\n');
    }
    sb.write("latin.csv", bytes);
    sb.run(&[
        "train",
        "--data",
        "latin.csv",
        "--out",
        "m.json",
        "--cv",
        "2",
    ])
    .expect_success()
    .expect_stderr(
        "warning: 2 row(s) had invalid UTF-8, replaced with U+FFFD (first at latin.csv:8)",
    );
    assert_eq!(
        sb.read_json("m.json")["training"]["rows_per_label"],
        serde_json::json!({"ham": 40, "spam": 20})
    );
}

#[test]
fn a_model_of_another_format_version_is_refused_naming_the_version() {
    let sb = trained_sandbox();
    let mut model = sb.read_json("model.json");
    model["format_version"] = serde_json::json!(2);
    sb.write_json("v2.json", &model);
    sb.run(&["score", "--model", "v2.json", "test.csv"])
        .expect_code(4)
        .expect_stderr("v2.json: model format version 2 is not supported")
        .expect_stderr("expects 1");
    sb.run(&["eval", "--model", "v2.json", "--data", "test.csv"])
        .expect_code(4)
        .expect_stderr("version 2");
}

#[test]
fn a_model_trained_with_other_cue_phrases_is_refused() {
    let sb = trained_sandbox();
    let mut model = sb.read_json("model.json");
    assert!(model["features"]["cue_phrases"].is_string());
    model["features"]["cue_phrases"] = serde_json::json!("0123456789abcdef");
    sb.write_json("other.json", &model);
    // A file from before the digest was recorded: its cues may have been matched otherwise.
    model["features"]
        .as_object_mut()
        .unwrap()
        .remove("cue_phrases");
    sb.write_json("older.json", &model);
    for file in ["other.json", "older.json"] {
        sb.run(&["score", "--model", file, "test.csv"])
            .expect_code(4)
            .expect_stderr("its cues were computed from other phrase lists")
            .expect_stderr("retrain it");
    }
}

#[test]
fn a_truncated_model_file_is_refused() {
    let sb = trained_sandbox();
    let bytes = sb.read("model.json");
    sb.write("half.json", &bytes[..bytes.len() / 2]);
    sb.run(&["score", "--model", "half.json", "test.csv"])
        .expect_code(4)
        .expect_stderr("half.json: not a complete model file (truncated")
        .expect_no_panic();
}

#[test]
fn a_model_whose_combiner_width_was_tampered_is_refused_without_panic() {
    let sb = trained_sandbox();
    let mut model = sb.read_json("model.json");
    let params = &mut model["combiner"]["params"];
    let (rows, cols) = (
        params["dim"][0].as_u64().unwrap(),
        params["dim"][1].as_u64().unwrap(),
    );
    params["dim"] = serde_json::json!([rows - 1, cols]);
    let data = params["data"].as_array_mut().unwrap();
    data.truncate(((rows - 1) * cols) as usize);
    sb.write_json("narrow.json", &model);
    for args in [
        ["score", "--model", "narrow.json", "test.csv"].as_slice(),
        &["eval", "--model", "narrow.json", "--data", "test.csv"],
    ] {
        sb.run(args)
            .expect_code(4)
            .expect_stderr(&format!(
                "narrow.json: the combiner has {} weights per label and {rows} feature names, \
                 but the features are {rows}",
                rows - 1
            ))
            .expect_no_panic();
    }
}

#[test]
fn a_model_whose_combiner_intercept_was_tampered_is_refused_without_panic() {
    let sb = trained_sandbox();
    let mut model = sb.read_json("model.json");
    let intercept = &mut model["combiner"]["intercept"];
    intercept["dim"] = serde_json::json!([3]);
    intercept["data"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!(0.0));
    sb.write_json("wide.json", &model);
    sb.run(&["score", "--model", "wide.json", "test.csv"])
        .expect_code(4)
        .expect_stderr("wide.json:")
        .expect_no_panic();
}

#[test]
fn a_model_with_a_weight_too_large_to_score_with_is_refused_not_turned_into_nan() {
    let sb = trained_sandbox();
    let mut model = sb.read_json("model.json");
    model["combiner"]["params"]["data"][0] = serde_json::json!(1e308);
    sb.write_json("huge.json", &model);
    sb.run(&["score", "--model", "huge.json", "test.csv"])
        .expect_code(4)
        .expect_stderr("huge.json: a combiner value is 1e308, beyond ±1e6");
    let mut model = sb.read_json("model.json");
    model["text"]["idf"][0] = serde_json::json!(3e38);
    sb.write_json("idf.json", &model);
    sb.run(&["eval", "--model", "idf.json", "--data", "test.csv"])
        .expect_code(4)
        .expect_stderr("idf.json: a text-model value is");
}

#[test]
fn a_model_whose_labels_do_not_match_its_text_models_is_refused() {
    let sb = trained_sandbox();
    let model = sb.read_json("model.json");
    let tamper = |field: &str, value: serde_json::Value, expected: &str| {
        let mut m = model.clone();
        m[field] = value;
        sb.write_json("odd.json", &m);
        sb.run(&["score", "--model", "odd.json", "test.csv"])
            .expect_code(4)
            .expect_stderr(expected)
            .expect_no_panic();
    };
    tamper(
        "labels",
        serde_json::json!(["ham", "ham"]),
        "label 'ham' appears twice",
    );
    tamper(
        "positive",
        serde_json::json!("eggs"),
        "flagged label 'eggs' is not one of its labels",
    );
    tamper(
        "positive",
        serde_json::Value::Null,
        "its text models are for [\"spam\"]",
    );
    tamper(
        "labels",
        serde_json::json!(["", "spam"]),
        "a label is empty",
    );
    let mut names = model["dense_names"].clone();
    names[3] = serde_json::json!("zzz");
    tamper(
        "dense_names",
        names,
        "a feature is named 'zzz' where this hardsell names it",
    );
    let mut text = model["text"].clone();
    text["idf"][0] = serde_json::json!(-5.0);
    tamper("text", text, "an idf is -5, not positive");
}

#[test]
fn train_refuses_settings_that_would_write_a_model_it_cannot_load() {
    let sb = trained_sandbox();
    let no_chars = |more: &[&str]| {
        let mut args = vec!["train", "--data", "train.csv", "--out", "m.json"];
        args.extend(["--char-limit", "0"]);
        args.extend(more);
        sb.run(&args)
    };
    no_chars(&[])
        .expect_code(2)
        .expect_stderr("--char-limit 0 leaves no characters for --char-ngrams");
    assert!(!sb.exists("m.json"));
    no_chars(&["--char-ngrams", "0-0"]).expect_success();
    sb.run(&["eval", "--model", "m.json", "--data", "test.csv"])
        .expect_success();
}

#[test]
fn flags_that_would_be_ignored_or_outputs_that_are_folders_are_usage_errors() {
    let sb = trained_sandbox();
    sb.run(&[
        "eval",
        "--model",
        "model.json",
        "--data",
        "test.csv",
        "--max-drop",
        "0.1",
    ])
    .expect_code(2)
    .expect_stderr("--baseline");
    std::fs::create_dir(sb.path("out")).unwrap();
    sb.run(&["train", "--data", "train.csv", "--out", "out"])
        .expect_code(2)
        .expect_stderr("--out out: is a folder");
    sb.run(&["score", "--model", "model.json", "test.csv", "-o", "out"])
        .expect_code(2)
        .expect_stderr("-o out: is a folder");
}

#[test]
fn a_model_with_inconsistent_array_data_is_refused() {
    let sb = trained_sandbox();
    let mut model = sb.read_json("model.json");
    model["combiner"]["params"]["data"]
        .as_array_mut()
        .unwrap()
        .truncate(10);
    sb.write_json("short.json", &model);
    sb.run(&["score", "--model", "short.json", "test.csv"])
        .expect_code(4)
        .expect_stderr("short.json: model file is damaged")
        .expect_no_panic();
}

#[test]
fn a_missing_data_file_is_an_input_error() {
    let sb = trained_sandbox();
    sb.run(&["train", "--data", "nope.csv", "--out", "m.json"])
        .expect_code(3)
        .expect_stderr("nope.csv:");
    sb.run(&["eval", "--model", "model.json", "--data", "nope.csv"])
        .expect_code(3)
        .expect_stderr("nope.csv:");
    sb.run(&["score", "--model", "model.json", "nope.csv"])
        .expect_code(3)
        .expect_stderr("nope.csv:");
}

#[test]
fn a_missing_model_file_is_a_model_error() {
    let sb = trained_sandbox();
    sb.run(&["score", "--model", "nope.json", "test.csv"])
        .expect_code(4)
        .expect_stderr("nope.json: cannot read the model file");
}

#[test]
fn zero_threads_or_thousands_are_a_usage_error() {
    let sb = trained_sandbox();
    for n in ["0", "5000"] {
        sb.run(&["--threads", n, "score", "--model", "model.json", "test.csv"])
            .expect_code(2)
            .expect_stderr(&format!("--threads must be from 1 to 1024 (got {n})"));
    }
}

#[test]
fn a_single_fold_is_a_usage_error() {
    let sb = trained_sandbox();
    sb.run(&[
        "train",
        "--data",
        "train.csv",
        "--out",
        "m.json",
        "--cv",
        "1",
    ])
    .expect_code(2)
    .expect_stderr("--cv must be at least 2 (got 1)");
    assert!(!sb.exists("m.json"));
}

// ---------------------------------------------------------------------------------------------
// 5. headerless tab-separated files
// ---------------------------------------------------------------------------------------------

const RAW_TSV_FLAGS: [&str; 7] = [
    "--no-header",
    "--text-column",
    "2",
    "--label-column",
    "1",
    "--no-quoting",
    "--cv",
];

/// `label<TAB>text` lines, SMS Spam Collection style, with unbalanced quotes inside the texts.
fn raw_tsv(rows: usize) -> String {
    (0..rows)
        .map(|i| {
            let spam = i % 3 == 0;
            let text = if spam {
                sentence(&SPAM, i)
            } else {
                sentence(&HAM, i)
            };
            let quoted = if i % 4 == 1 {
                format!("He said \"{text}")
            } else {
                format!("{text} \"ok\"")
            };
            format!("{}\t{quoted}\n", if spam { "spam" } else { "ham" })
        })
        .collect()
}

#[test]
fn reads_a_headerless_tab_separated_file_with_quotes_in_the_text() {
    let sb = Sandbox::new();
    // The first line carries no comma, so the tab is the only delimiter candidate.
    sb.write(
        "sms.tsv",
        format!("ham\tSee you at {} o'clock \"sharp\"\n{}", 7, raw_tsv(89)),
    );
    let mut args = vec!["train", "--data", "sms.tsv", "--out", "m.json"];
    args.extend(RAW_TSV_FLAGS);
    args.push("3");
    sb.run(&args).expect_success();
    let per_label = &sb.read_json("m.json")["training"]["rows_per_label"];
    let total = per_label["ham"].as_u64().unwrap() + per_label["spam"].as_u64().unwrap();
    assert_eq!(
        total, 90,
        "one row per line, quotes are plain characters: {per_label}"
    );

    let score = sb
        .run(&[
            "score",
            "--model",
            "m.json",
            "--format",
            "jsonl",
            "--no-header",
            "--text-column",
            "2",
            "--label-column",
            "1",
            "--no-quoting",
            "sms.tsv",
        ])
        .expect_success();
    let rows = parse_jsonl(&score.stdout);
    assert_eq!(rows.len(), 90);
    assert_eq!(
        rows[0].source, "sms.tsv:1",
        "without a header the first line is a row"
    );
    assert_eq!(
        rows[0].id, "sms.tsv:1",
        "without an id column the id is file:line"
    );
    assert_eq!(rows[89].source, "sms.tsv:90");
}

#[test]
fn sniffs_the_tab_of_a_raw_tsv_whose_first_line_has_a_comma() {
    let sb = Sandbox::new();
    sb.write(
        "sms.tsv",
        format!(
            "ham\tGo until jurong point, crazy.. Available only in bugis\n{}",
            raw_tsv(89)
        ),
    );
    let mut args = vec!["train", "--data", "sms.tsv", "--out", "m.json"];
    args.extend(RAW_TSV_FLAGS);
    args.push("3");
    sb.run(&args)
        .expect_success()
        .expect_stderr("trained on 90 rows");
}

// ---------------------------------------------------------------------------------------------
// 6. real data: the SMS Spam Collection
// ---------------------------------------------------------------------------------------------

#[test]
fn sms_spam_collection_holdout_has_mcc_above_0_85_and_roc_auc_above_0_97() {
    let corpus =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/sms/SMSSpamCollection");
    let Ok(bytes) = std::fs::read(&corpus) else {
        println!(
            "note: skipping the SMS Spam Collection check: {} is absent",
            corpus.display()
        );
        return;
    };
    let lines: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert!(lines.len() >= 3000, "the corpus has {} lines", lines.len());
    let slice = |range: std::ops::Range<usize>| -> Vec<u8> {
        lines[range]
            .iter()
            .flat_map(|l| l.iter().copied().chain([b'\n']))
            .collect()
    };
    let sb = Sandbox::new();
    sb.write("train.tsv", slice(0..2000))
        .write("eval.tsv", slice(2000..3000));
    // --delimiter tab: see sniffs_the_tab_of_a_raw_tsv_whose_first_line_has_a_comma.
    let table = [
        "--no-header",
        "--text-column",
        "2",
        "--label-column",
        "1",
        "--no-quoting",
        "--delimiter",
        "tab",
    ];
    let mut train = vec![
        "train",
        "--data",
        "train.tsv",
        "--out",
        "sms.json",
        "--cv",
        "3",
    ];
    train.extend(table);
    sb.run(&train)
        .expect_success()
        .expect_stderr("trained on 2000 rows");
    let mut eval = vec![
        "eval", "--model", "sms.json", "--data", "eval.tsv", "--format", "json",
    ];
    eval.extend(table);
    let run = sb.run(&eval).expect_success();
    let m = run.stdout_json();
    assert_eq!(m["rows"], 1000);
    let (mcc, auc) = (m["mcc"].as_f64().unwrap(), m["roc_auc"].as_f64().unwrap());
    if !(mcc > 0.85 && auc > 0.97) {
        run.fail(&format!(
            "held-out quality too low: mcc {mcc:.4} (want > 0.85), roc_auc {auc:.4} (want > 0.97)"
        ));
    }
}

#[test]
fn train_and_eval_say_when_threaded_data_holds_none_of_your_messages() {
    let sb = Sandbox::new();
    let rows = [
        (
            "c1",
            "Pat",
            "hard_sell",
            "Book a demo of our platform today",
        ),
        ("c1", "Pat", "hard_sell", "Following up on my demo offer"),
        ("c2", "Sam", "ok", "Can you send the slides before Friday?"),
        (
            "c3",
            "Lee",
            "collector",
            "I would like to add you to my professional network",
        ),
        (
            "c4",
            "Ana",
            "ok",
            "Great talk at the meetup and thanks for the tips",
        ),
        ("c5", "Bo", "collector", "Happy to connect with you"),
        (
            "c6",
            "Cy",
            "hard_sell",
            "Last chance to lock in our pricing",
        ),
    ];
    let mut inbox = String::from("id,conversation_id,contact_name,label,text\n");
    for (i, (c, who, label, text)) in rows.iter().enumerate() {
        inbox += &format!("{i},{c},{who},{label},{text}\n");
    }
    sb.write("inbox.csv", &inbox);
    let note = "note: none of the data's messages is yours (no outgoing row)";
    sb.run(&[
        "train",
        "--data",
        "inbox.csv",
        "--cv",
        "2",
        "--out",
        "m.json",
    ])
    .expect_success()
    .expect_stderr(note)
    .expect_stderr("the reply features carry no weight");
    sb.run(&["eval", "--model", "m.json", "--data", "inbox.csv"])
        .expect_success()
        .expect_stderr(note)
        .expect_stderr("the model reads them as unknown");
    // A direction column says where your messages would be: none there means none sent.
    let directed = inbox
        .replace("id,conversation_id,", "id,direction,conversation_id,")
        .lines()
        .enumerate()
        .map(|(i, l)| match i {
            0 => format!("{l}\n"),
            _ => format!("{},incoming,{}\n", &l[..1], &l[2..]),
        })
        .collect::<String>();
    sb.write("directed.csv", &directed);
    sb.run(&["eval", "--model", "m.json", "--data", "directed.csv"])
        .expect_success()
        .expect_no_stderr(note);
}
