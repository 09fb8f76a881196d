//! Tests on mailboxes built in a temp dir: Apple Mail folders, maildirs, folders of .eml,
//! Takeout .zip/.tgz, a 50 MB attachment, broken headers, empty files, labeled folders.

use std::fs;
use std::io::Write;
use std::path::Path;

use flate2::write::GzEncoder;
use tempfile::TempDir;

use super::*;

fn mail(from: &str, to: &str, subject: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\n\
         Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n{body}\r\n"
    )
}

/// An mbox of `mails`, each behind a classic `From ` line, separated by blank lines.
fn mbox(mails: &[String]) -> String {
    mails
        .iter()
        .map(|m| format!("From sender@example.com Mon Jan  1 10:00:00 2024\n{m}\n"))
        .collect()
}

fn two_mails() -> String {
    mbox(&[
        mail("Ann <ann@x.com>", "me@y.com", "first", "hello"),
        mail("Bob <bob@x.com>", "me@y.com", "second", "again"),
    ])
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

fn subjects(messages: &[Message]) -> Vec<&str> {
    messages.iter().map(|m| m.subject.as_str()).collect()
}

#[test]
fn reads_an_apple_mail_mbox_folder() {
    let dir = TempDir::new().unwrap();
    let folder = dir.path().join("Inbox.mbox");
    write(&folder.join("mbox"), two_mails());
    write(&folder.join("Info.plist"), "<plist/>");
    assert!(is_mail(&folder));
    let mailbox = read_mail(&folder, None).unwrap();
    assert_eq!(subjects(&mailbox.messages), ["first", "second"]);
    assert!(mailbox.messages[0].origin.file.ends_with("Inbox.mbox/mbox"));
    assert_eq!(mailbox.owner, ["me@y.com"]); // no Delivered-To, no Sent label: most common To
}

#[test]
fn reads_a_maildir_and_ignores_tmp() {
    let dir = TempDir::new().unwrap();
    let root = dir.path().join("Maildir");
    let delivered = |m: String| format!("Delivered-To: me@y.com\r\n{m}");
    write(
        &root.join("cur/1700000001.M1P1.host:2,S"),
        delivered(mail("a@x.com", "me@y.com", "one", "1")),
    );
    write(
        &root.join("cur/1700000002.M2P1.host:2,S"),
        delivered(mail("me@y.com", "c@x.com", "two", "2")),
    );
    write(
        &root.join("new/1700000003.M3P1.host"),
        delivered(mail("b@x.com", "me@y.com", "three", "3")),
    );
    write(
        &root.join("tmp/1700000004.M4P1.host"),
        mail("d@x.com", "me@y.com", "partial", "4"),
    );
    assert!(is_mail(&root));
    let mailbox = read_mail(&root, None).unwrap();
    assert_eq!(subjects(&mailbox.messages), ["one", "two", "three"]);
    assert_eq!(mailbox.owner, ["me@y.com"]);
    let reply = thread(&mailbox.messages[1]);
    assert!(!reply.incoming);
    assert_eq!(reply.contact, "c@x.com");
    assert_eq!(mailbox.messages[0].origin.line, 1);
}

#[test]
fn reads_a_folder_of_eml_files() {
    let dir = TempDir::new().unwrap();
    write(
        &dir.path().join("b.eml"),
        mail("b@x.com", "me@y.com", "bee", "b"),
    );
    write(
        &dir.path().join("a.eml"),
        mail("a@x.com", "me@y.com", "ay", "a"),
    );
    write(&dir.path().join("notes.txt"), "not mail");
    assert!(is_mail(dir.path()));
    let mailbox = read_mail(dir.path(), Some("Me@Y.com")).unwrap();
    assert_eq!(subjects(&mailbox.messages), ["ay", "bee"]);
    assert_eq!(mailbox.owner, ["me@y.com"]);
    assert!(mailbox.messages[0].id.ends_with("a.eml:1"));
}

const TAKEOUT_MBOX: &str = "Takeout/Mail/All mail Including Spam and Trash.mbox";

fn takeout_mbox() -> String {
    let sent = "X-GM-THRID: 2\r\nX-Gmail-Labels: Sent\r\n".to_string()
        + &mail("Me <me@gmail.com>", "Cara <cara@x.com>", "my pitch", "hi");
    let inbox = "X-GM-THRID: 2\r\nX-Gmail-Labels: Inbox,Category Updates\r\n".to_string()
        + &mail("Cara <cara@x.com>", "me@gmail.com", "re: my pitch", "no");
    mbox(&[inbox, sent])
        .replace('\n', "\r\n")
        .replace("\r\r\n", "\r\n")
}

fn check_takeout(archive: &Path) {
    assert!(is_mail(archive));
    let mailbox = read_mail(archive, None).unwrap();
    assert!(
        mailbox.report.bad_rows.is_empty(),
        "{:?}",
        mailbox.report.bad_rows
    );
    assert_eq!(subjects(&mailbox.messages), ["re: my pitch", "my pitch"]);
    assert_eq!(mailbox.owner, ["me@gmail.com"]); // the From of Sent mail
    let sent = thread(&mailbox.messages[1]);
    assert!(!sent.incoming);
    assert_eq!(
        (sent.contact.as_str(), sent.contact_name.as_str()),
        ("cara@x.com", "Cara")
    );
    // Cara's answer is in the Gmail thread of the pitch.
    assert_eq!(sent.conversation, "thr:2");
    assert_eq!(sent.conversation, thread(&mailbox.messages[0]).conversation);
    let file = &mailbox.messages[0].origin.file;
    assert_eq!(&**file, format!("{}/{TAKEOUT_MBOX}", archive.display()));
}

#[test]
fn reads_a_takeout_zip() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("takeout-20240101T000000Z-001.zip");
    let mut zip = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("Takeout/archive_browser.html", options)
        .unwrap();
    zip.write_all(b"<html></html>").unwrap();
    zip.start_file(TAKEOUT_MBOX, options).unwrap();
    zip.write_all(takeout_mbox().as_bytes()).unwrap();
    zip.finish().unwrap();
    check_takeout(&path);

    let other = dir.path().join("linkedin.zip");
    let mut zip = zip::ZipWriter::new(fs::File::create(&other).unwrap());
    zip.start_file("messages.csv", options).unwrap();
    zip.write_all(b"FROM,TO\n").unwrap();
    zip.finish().unwrap();
    assert!(!is_mail(&other));
    assert!(matches!(read_mail(&other, None), Err(Error::Export { .. })));
}

fn tar_gz(path: &Path, files: &[(&str, &[u8])]) {
    let gz = GzEncoder::new(fs::File::create(path).unwrap(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (name, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, *data).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

#[test]
fn reads_a_takeout_tgz() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("takeout-20240101T000000Z-001.tgz");
    let mbox = takeout_mbox();
    tar_gz(
        &path,
        &[
            ("Takeout/index.html", b"<html/>"),
            (TAKEOUT_MBOX, mbox.as_bytes()),
        ],
    );
    check_takeout(&path);
}

#[test]
fn reads_past_a_50_mb_attachment_with_text_capped() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("big.mbox");
    let mut file = std::io::BufWriter::new(fs::File::create(&path).unwrap());
    write!(
        file,
        "From a@x.com Mon Jan  1 10:00:00 2024\nFrom: a@x.com\nSubject: big\n\
         Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\n"
    )
    .unwrap();
    for _ in 0..30_000 {
        file.write_all(b"word ").unwrap(); // 150,000 characters of text
    }
    write!(
        file,
        "\n--b\nContent-Type: application/zip\nContent-Transfer-Encoding: base64\n\n"
    )
    .unwrap();
    let line = [b'Q'; 76];
    for _ in 0..(50 << 20) / 57 {
        file.write_all(&line).unwrap(); // 76 base64 characters carry 57 bytes
        file.write_all(b"\n").unwrap();
    }
    write!(
        file,
        "--b--\n\n{}",
        mbox(&[mail("b@x.com", "me@y.com", "after", "small")])
    )
    .unwrap();
    drop(file);
    let mailbox = read_mail(&path, None).unwrap();
    assert!(
        mailbox.report.bad_rows.is_empty(),
        "{:?}",
        mailbox.report.bad_rows
    );
    assert_eq!(subjects(&mailbox.messages), ["big", "after"]);
    assert_eq!(
        mailbox.messages[0].text.chars().count(),
        parse::MAX_TEXT_CHARS
    );
    assert!(mailbox.messages[0].text.starts_with("word word"));
    assert_eq!(mailbox.messages[1].text.trim(), "small");
}

#[test]
fn keeps_messages_with_non_utf8_headers_and_counts_them_lossy() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("latin1.mbox");
    let mut bytes = b"From a@x.com Mon Jan  1 10:00:00 2024\nFrom: Jos\xe9 <jose@x.com>\nSubject: caf\xe9 \xff\xfe\n\n\xffbody\n\n".to_vec();
    bytes.extend_from_slice(mbox(&[mail("b@x.com", "me@y.com", "clean", "ok")]).as_bytes());
    write(&path, bytes);
    let mailbox = read_mail(&path, None).unwrap();
    assert!(mailbox.report.bad_rows.is_empty());
    assert_eq!(subjects(&mailbox.messages).len(), 2);
    let broken = &mailbox.messages[0];
    assert!(broken.subject.starts_with("caf"), "{:?}", broken.subject);
    assert!(broken.text.contains("body"));
    assert_eq!(thread(broken).contact, "jose@x.com");
    assert_eq!(mailbox.report.lossy_rows, 1);
    assert_eq!(mailbox.report.first_lossy.as_ref().map(|o| o.line), Some(1));
}

#[test]
fn rejects_an_empty_file_and_reports_an_empty_eml() {
    let dir = TempDir::new().unwrap();
    let empty = dir.path().join("empty.mbox");
    write(&empty, "");
    assert!(matches!(
        read_mail(&empty, None),
        Err(Error::EmptyFile { .. })
    ));
    let folder = dir.path().join("emls");
    write(
        &folder.join("a.eml"),
        mail("a@x.com", "me@y.com", "fine", "x"),
    );
    write(&folder.join("b.eml"), "\r\n");
    let mailbox = read_mail(&folder, None).unwrap();
    assert_eq!(mailbox.messages.len(), 1);
    let bad = folder.join("b.eml");
    assert_eq!(
        mailbox.report.bad_rows,
        [format!("{}:1: empty file, no message", bad.display())]
    );
}

#[test]
fn labels_by_folder_with_renames_and_skips() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(&root.join("README"), "ignored: not in a label folder");
    write(
        &root.join("spam-1/0001.txt"),
        mail("s@x.com", "me@y.com", "buy now", "cheap"),
    );
    write(&root.join("easy-ham-1/box.mbox"), two_mails());
    write(
        &root.join("drafts/x.txt"),
        mail("d@x.com", "me@y.com", "draft", "d"),
    );
    write(
        &root.join("other/y"),
        mail("o@x.com", "me@y.com", "other", "o"),
    );
    let map: Vec<(String, String)> = [("spam-1", "spam"), ("easy-ham-1", "ham"), ("drafts", "-")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let (messages, report, _) = read_labeled_mail(root, &map).unwrap();
    assert!(report.bad_rows.is_empty(), "{:?}", report.bad_rows);
    let labeled: Vec<(&str, &str)> = messages
        .iter()
        .map(|m| (m.label.as_deref().unwrap(), m.subject.as_str()))
        .collect();
    assert_eq!(
        labeled,
        [
            ("ham", "first"),
            ("ham", "second"),
            ("other", "other"),
            ("spam", "buy now")
        ]
    );
    assert!(messages
        .iter()
        .all(|m| m.mail.is_some() && m.thread.is_some()));
    let tgz = dir.path().join("corpus.tar.gz");
    let spam = mail("s@x.com", "me@y.com", "buy now", "cheap");
    tar_gz(
        &tgz,
        &[
            ("NOTICE", b"licence"),
            ("data/spam-1/1.txt", spam.as_bytes()),
        ],
    );
    let (messages, _, _) = read_labeled_mail(&tgz, &map).unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].label.as_deref(), Some("spam"));
    assert_eq!(
        messages[0].id,
        format!("{}/data/spam-1/1.txt:1", tgz.display())
    );
}

#[test]
fn messages_and_problems_keep_file_order_across_parsing_batches() {
    // More messages than two batches parsed on the pool, an empty message in the last,
    // unfinished batch, then an empty file and a last file: reported and read in file order.
    let dir = TempDir::new().unwrap();
    let batch = super::super::stream::BATCH_MESSAGES;
    let many = 2 * batch + 7;
    let empty = 2 * batch + 3;
    let mut first: Vec<String> = (0..many)
        .map(|i| mail("Ann <ann@x.com>", "me@y.com", &format!("m{i}"), "hello"))
        .collect();
    first[empty] = String::new();
    write(&dir.path().join("a.mbox"), mbox(&first));
    write(&dir.path().join("b.mbox"), "");
    write(&dir.path().join("c.mbox"), two_mails());
    let mailbox = read_mail(dir.path(), None).unwrap();
    let mut expected: Vec<String> = (0..many)
        .filter(|&i| i != empty)
        .map(|i| format!("m{i}"))
        .collect();
    expected.extend(["first".to_string(), "second".to_string()]);
    assert_eq!(subjects(&mailbox.messages), expected);
    let problems = &mailbox.report.bad_rows;
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("a.mbox") && problems[0].contains("empty message"));
    assert!(problems[1].contains("b.mbox") && problems[1].contains("empty file"));
}
