//! Whole-export tests on the real (redacted) fixtures and on exports built in a temp dir.

use std::io::Write;
use std::path::PathBuf;

use super::*;
use crate::error::Error;
use crate::read::{dates, Thread};

const OWNER_URL: &str = "https://www.linkedin.com/in/alex-owner-0a1b2c3d";

fn fixture(folder: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures")).join(folder)
}

fn read(folder: &str) -> Export {
    let export = read_export(&fixture(folder), None).unwrap();
    assert!(
        export.report.bad_rows.is_empty(),
        "{:?}",
        export.report.bad_rows
    );
    assert_eq!(export.report.lossy_rows, 0);
    export
}

fn thread(m: &Message) -> &Thread {
    m.thread.as_ref().expect("every export row has a thread")
}

fn by_id<'a>(export: &'a Export, id: &str) -> &'a Message {
    export
        .messages
        .iter()
        .find(|m| m.id == id)
        .unwrap_or_else(|| panic!("no row {id}"))
}

fn count(export: &Export, keep: impl Fn(&Thread) -> bool) -> usize {
    export.messages.iter().filter(|m| keep(thread(m))).count()
}

fn assert_owner(export: &Export, url: Option<&str>) {
    assert_eq!(export.owner.name, "Alex Owner");
    assert_eq!(export.owner.profile_url.as_deref(), url);
}

fn at(date: &str) -> Option<i64> {
    dates::parse(date)
}

#[test]
fn reads_the_2018_layout_with_direction_and_folder() {
    let e = read("linkedin-export-2018-11");
    assert_owner(&e, None); // the 2018 export shows no profile URL anywhere
    assert_eq!(e.messages.len(), 12 + 7);
    assert_eq!(count(&e, |t| t.invitation), 7);
    assert_eq!(count(&e, |t| !t.incoming), 2 + 4); // 2 SENT messages, 4 OUTGOING invitations
    let sent = by_id(&e, "Messages.csv:11");
    assert_eq!(
        (thread(sent).contact.as_str(), thread(sent).incoming),
        ("Person 06", false)
    );
    assert_eq!(thread(sent).timestamp, at("8/18/18, 12:38 AM"));
    let first = &by_id(&e, "Messages.csv:2").text;
    assert!(
        first.contains("Do\u{2019}eiusmod")
            && first.contains("sed & do")
            && !first.contains("&nbsp;"),
        "{first}"
    );
    assert_eq!(e.connections.len(), 7);
    assert_eq!(e.connections[0].connected_on, at("1/8/18, 6:14 PM"));
    assert_eq!(
        e.invitations_window,
        Some((
            at("2/8/18, 7:30 AM").unwrap(),
            at("10/31/18, 7:52 AM").unwrap()
        ))
    );
}

#[test]
fn reads_the_9_column_layout_and_joins_connections_by_name() {
    let e = read("linkedin-export-2022-09");
    assert_owner(&e, Some(OWNER_URL));
    assert_eq!(
        e.messages.len(),
        19 + 7,
        "the row with only id, date and folder is left out"
    );
    assert!(e.messages.iter().all(|m| m.id != "messages.csv:18"));
    // The owner's rows carry no recipient URL here; the conversation gives it.
    let reply = thread(by_id(&e, "messages.csv:2"));
    assert_eq!(
        (reply.contact.as_str(), reply.incoming),
        ("https://www.linkedin.com/in/person-01-35df8424", false)
    );
    assert_eq!(count(&e, |t| t.sponsored), 4);
    let ad = by_id(&e, "messages.csv:8");
    assert!(
        thread(ad).contact.starts_with("conv:2-") && ad.text.starts_with("Aliquip Ex,\n\nAliquip"),
        "{}",
        ad.text
    );
    assert!(!ad.text.contains('<'));
    // Connections has no URL column: joined by "First Last".
    assert_eq!(
        thread(by_id(&e, "Invitations.csv:5")).connected_on,
        at("09 Sep 2022")
    );
    assert_eq!(e.connections.len(), 8);
    assert_eq!(e.connections[5].name, "");
}

#[test]
fn the_2018_layouts_cut_promotion_sender_is_sponsored() {
    // FORMATS.md: the 2018 file cuts "Angela from LinkedIn Premium" to "Angela from" (here
    // anonymised "Person 01 from").
    let e = read("linkedin-export-2018-11");
    let promos: Vec<&Message> = e
        .messages
        .iter()
        .filter(|m| thread(m).contact_name == "Person 01 from")
        .collect();
    assert_eq!(promos.len(), 4);
    assert!(promos.iter().all(|m| thread(m).sponsored));
    assert_eq!(count(&e, |t| t.sponsored), 4);
}

#[test]
fn a_sender_name_of_linkedin_or_an_organisation_is_a_promoter_and_a_person_is_not() {
    use super::threads::promoter;
    for name in [
        "Angela from",
        "Liza from LinkedIn Premium",
        "Kate Mallord, LinkedIn",
        "Anna från LinkedIn",
    ] {
        assert!(promoter(name, false) && promoter(name, true), "{name}");
    }
    // A company page, where the layout has profile URLs; in the 2018 layout no sender has one,
    // and a name alone does not make an ad.
    for name in ["Nordlicht Business School", "Acme Labs"] {
        assert!(promoter(name, true) && !promoter(name, false), "{name}");
    }
    for name in [
        "LinkedIn Member",
        "Tom Bank",
        "Ana María Fromm",
        "Jordan Avery",
    ] {
        assert!(!promoter(name, true), "{name}");
    }
}

#[test]
fn reads_the_10_column_layout_and_marks_sponsored_button_clicks() {
    let e = read("linkedin-export-2024-03");
    assert_owner(&e, Some(OWNER_URL));
    assert_eq!(e.messages.len(), 18 + 6);
    assert_eq!(count(&e, |t| t.sponsored), 6);
    let click = by_id(&e, "messages.csv:18");
    assert_eq!(click.text, "How to Apply");
    assert!(thread(click).sponsored && !thread(click).incoming);
    let ad = &by_id(&e, "messages.csv:17").text;
    assert!(
        ad.contains("laboris https://example.com/link [https://example.com/landing] quis)"),
        "{ad}"
    );
    let invitation = thread(by_id(&e, "Invitations.csv:5"));
    assert_eq!(invitation.connected_on, at("20 Mar 2024"));
    assert_eq!(
        invitation.contact,
        "https://www.linkedin.com/in/person-08-e252e991"
    );
    assert_eq!(
        thread(by_id(&e, "Invitations.csv:4")).contact,
        "https://www.linkedin.com/in/person-07-jos\u{e9}-70ca4693"
    );
}

#[test]
fn excludes_drafts_and_coach_files_and_keys_groups_by_conversation() {
    let e = read("linkedin-export-2024-12");
    assert_owner(&e, Some(OWNER_URL));
    assert_eq!(e.messages.len(), 41 + 11);
    for draft in ["messages.csv:23", "messages.csv:44", "messages.csv:49"] {
        assert!(
            e.messages.iter().all(|m| m.id != draft),
            "{draft} is a draft"
        );
    }
    assert!(e.messages.iter().all(|m| !m.origin.file.contains("coach")));
    // Drafts are left out, but counted for the summary: no row disappears silently.
    let drafts: usize = e
        .report
        .left_out
        .iter()
        .filter(|(r, _)| r.ends_with("unsent drafts"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(drafts, 7);
    let group = thread(by_id(&e, "messages.csv:34"));
    assert!(group.contact.starts_with("conv:2-") && group.incoming && !group.sponsored);
    let clicks: Vec<&Message> = e.messages.iter().filter(|m| m.text == "Schedule").collect();
    assert_eq!(clicks.len(), 2);
    assert!(clicks
        .iter()
        .all(|m| thread(m).sponsored && !thread(m).incoming));
    assert!(
        thread(by_id(&e, "messages.csv:33")).sponsored,
        "spinmail from a sender without a profile URL"
    );
    // Hidden members are keyed by conversation, never merged by name.
    let hidden: std::collections::BTreeSet<&str> = e
        .messages
        .iter()
        .map(thread)
        .filter(|t| t.contact_name == "LinkedIn Member")
        .map(|t| t.contact.as_str())
        .collect();
    assert_eq!(hidden.len(), 4);
    assert_eq!(
        e.invitations_window,
        Some((
            at("8/22/24, 1:34 AM").unwrap(),
            at("12/16/24, 11:49 AM").unwrap()
        ))
    );
}

#[test]
fn reads_the_11_column_layout_with_attachments() {
    let e = read("linkedin-export-2025-08");
    assert_owner(&e, Some(OWNER_URL));
    assert_eq!(e.messages.len(), 13 + 10);
    assert_eq!(count(&e, |t| t.sponsored), 4);
    assert_eq!(count(&e, |t| !t.incoming), 8 + 5);
    assert_eq!(
        thread(by_id(&e, "Invitations.csv:10")).connected_on,
        at("23 Aug 2025")
    );
    assert_eq!(e.connections.len(), 9);
}

#[test]
fn keeps_real_newlines_in_the_fully_quoted_2026_layout() {
    let e = read("linkedin-export-2026-03");
    assert_owner(&e, Some(OWNER_URL));
    assert_eq!(e.messages.len(), 18 + 8);
    assert_eq!(count(&e, |t| t.sponsored), 6);
    let multi = by_id(&e, "messages.csv:13");
    assert!(
        multi.text.starts_with("Ullamco Laboris, \n\nNisi aliquip"),
        "{:?}",
        multi.text
    );
    assert_eq!(
        thread(multi).contact,
        "https://www.linkedin.com/in/person-04-6c068b8d"
    );
    assert_eq!(by_id(&e, "messages.csv:28").text, "Enim ad\u{a0}\nMinim");
    assert!(e
        .messages
        .iter()
        .all(|m| !m.origin.file.contains("learning")));
}

#[test]
fn me_overrides_owner_detection_by_url_or_name() {
    let path = fixture("linkedin-export-2024-03");
    let e = read_export(
        &path,
        Some("https://www.linkedin.com/in/person-02-9e082c1c/"),
    )
    .unwrap();
    assert_eq!(e.owner.name, "Person 02");
    assert!(!thread(by_id(&e, "messages.csv:3")).incoming);
    let e = read_export(&path, Some("Alex Owner")).unwrap();
    assert_eq!(e.owner.profile_url.as_deref(), Some(OWNER_URL));
}

fn zip_of(dir: &Path, zip_name: &str, entries: &[(&str, &[u8])]) -> PathBuf {
    let path = dir.join(zip_name);
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        writer.start_file(*name, options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap();
    path
}

fn fixture_bytes(folder: &str, file: &str) -> Vec<u8> {
    std::fs::read(fixture(folder).join(file)).unwrap()
}

#[test]
fn reads_the_zip_as_downloaded_with_files_in_a_subfolder() {
    let dir = tempfile::tempdir().unwrap();
    let f = "linkedin-export-2025-08";
    let inner = "Complete_LinkedInDataExport_08-26-2025";
    let entries: Vec<(String, Vec<u8>)> = [
        "messages.csv",
        "Invitations.csv",
        "Connections.csv",
        "coach_messages.csv",
    ]
    .iter()
    .map(|name| {
        (
            format!("{inner}/{}", name.to_uppercase()),
            fixture_bytes(f, name),
        )
    })
    .collect();
    let refs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let zip = zip_of(dir.path(), "Basic_LinkedInDataExport_08-26-2025.zip", &refs);
    assert!(is_export(&zip));
    let from_zip = read_export(&zip, None).unwrap();
    let from_folder = read(f);
    assert_eq!(from_zip.messages.len(), from_folder.messages.len());
    assert_eq!(from_zip.owner, from_folder.owner);
    assert_eq!(from_zip.connections, from_folder.connections);
    assert!(from_zip.messages[0]
        .origin
        .file
        .ends_with(".zip/Complete_LinkedInDataExport_08-26-2025/INVITATIONS.CSV"));
}

#[test]
fn names_the_zip_when_it_is_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let good = zip_of(
        dir.path(),
        "whole.zip",
        &[(
            "messages.csv",
            &fixture_bytes("linkedin-export-2025-08", "messages.csv"),
        )],
    );
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.path().join("Basic_LinkedInDataExport_01-01-2026.zip");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = read_export(&cut, None).unwrap_err();
    assert!(matches!(err, Error::Export { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("Basic_LinkedInDataExport_01-01-2026.zip"),
        "{err}"
    );
}

#[test]
fn lists_the_files_found_when_messages_csv_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let zip = zip_of(
        dir.path(),
        "export.zip",
        &[
            ("Connections.csv", b"First Name,Last Name\n"),
            ("Profile.csv", b"x\n"),
        ],
    );
    let err = read_export(&zip, None).unwrap_err().to_string();
    assert!(
        err.contains("no messages.csv") && err.contains("Connections.csv, Profile.csv"),
        "{err}"
    );
    let folder = dir.path().join("unzipped");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(
        folder.join("Invitations.csv"),
        "From,To,Sent At,Message,Direction\n",
    )
    .unwrap();
    let err = read_export(&folder, None).unwrap_err().to_string();
    assert!(
        err.contains("no messages.csv") && err.contains("Invitations.csv"),
        "{err}"
    );
}

#[test]
fn is_export_looks_four_folders_deep() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("a/b/c/d");
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join("MESSAGES.CSV"), "x").unwrap();
    assert!(is_export(dir.path()));
    let too_deep = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(too_deep.path().join("a/b/c/d/e")).unwrap();
    std::fs::write(too_deep.path().join("a/b/c/d/e/messages.csv"), "x").unwrap();
    assert!(!is_export(too_deep.path()));
    assert!(!is_export(&fixture("linkedin-excel-resaved")));
}

#[test]
fn reports_bad_dates_and_invalid_utf8_without_dropping_other_rows() {
    let dir = tempfile::tempdir().unwrap();
    let messages = b"CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,DATE,SUBJECT,CONTENT,FOLDER\n\
        c1,,Ann Lee,https://www.linkedin.com/in/ann,Me,2024-01-02 03:04:05 UTC,,Our mutual friend Jane Doe says hi.,INBOX\n\
        c1,,Ann Lee,https://www.linkedin.com/in/ann,Me,xyz,,lost,INBOX\n\
        c2,,Bob Roe,https://www.linkedin.com/in/bob,Me,2024-01-03 03:04:05 UTC,,Caf\xe9. Tom Stone referred me.,INBOX\n";
    std::fs::write(dir.path().join("messages.csv"), messages).unwrap();
    std::fs::write(
        dir.path().join("Connections.csv"),
        "First Name,Last Name,URL,Connected On\nJane,Doe,,01 Feb 2023\n",
    )
    .unwrap();
    let e = read_export(dir.path(), Some("Me")).unwrap();
    let path = dir.path().join("messages.csv");
    assert_eq!(
        e.report.bad_rows,
        [format!(
            "{}:3: column 'DATE': unrecognised date 'xyz'",
            path.display()
        )]
    );
    assert_eq!(e.messages.len(), 2);
    assert_eq!(e.report.lossy_rows, 1);
    assert_eq!(e.report.first_lossy.as_ref().map(|o| o.line), Some(4));
    assert!(e.messages[1].text.starts_with("Caf\u{fffd}."));
    assert_eq!(thread(&e.messages[0]).claimed_contact, Some(true));
    assert_eq!(thread(&e.messages[1]).claimed_contact, Some(false));
    assert_eq!(e.invitations_window, None);
}

#[test]
fn reads_direction_in_any_case_and_reports_an_unknown_one_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let messages = "From,To,Date,Subject,Content,Direction,Folder\n\
        Ann Lee,Me,2018-11-02 03:04:05 UTC,,Hello from the meetup.,incoming,INBOX\n\
        Me,Ann Lee,2018-11-03 03:04:05 UTC,,Thanks Ann.,Outgoing,SENT\n\
        Ann Lee,Me,2018-11-04 03:04:05 UTC,,Lost row.,Sideways,INBOX\n";
    std::fs::write(dir.path().join("Messages.csv"), messages).unwrap();
    let e = read_export(dir.path(), None).unwrap();
    let path = dir.path().join("Messages.csv");
    assert_eq!(
        e.report.bad_rows,
        [format!(
            "{}:4: column 'Direction': expected INCOMING or OUTGOING, got 'Sideways'",
            path.display()
        )]
    );
    assert_eq!(e.messages.len(), 2);
    assert!(thread(&e.messages[0]).incoming);
    assert!(!thread(&e.messages[1]).incoming);
}

#[test]
fn an_invalid_byte_on_the_connections_header_is_named_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let messages = "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,DATE,SUBJECT,CONTENT,FOLDER\n\
        c1,,Ann Lee,https://www.linkedin.com/in/ann,Me,2024-01-02 03:04:05 UTC,,Hello.,INBOX\n";
    std::fs::write(dir.path().join("messages.csv"), messages).unwrap();
    // The lossy copy of a line with one invalid byte is two bytes longer than the line.
    std::fs::write(dir.path().join("Connections.csv"), b"First Name,\xff\n").unwrap();
    let err = read_export(dir.path(), Some("Me")).unwrap_err().to_string();
    assert!(
        err.contains("Connections.csv") && err.contains("no 'Last Name' column"),
        "{err}"
    );
    // After a byte order mark, the header is found where it begins, and the invalid byte in
    // a column name is counted like any other replaced one, at the header's line.
    let header =
        b"\xef\xbb\xbfFirst Name,Last Name,URL,Email Address,Company,Position,Connected On\xff\n";
    let row = b"Jane,Doe,https://www.linkedin.com/in/jane,,,,01 Jan 2024\n";
    std::fs::write(
        dir.path().join("Connections.csv"),
        [&header[..], &row[..]].concat(),
    )
    .unwrap();
    let e = read_export(dir.path(), Some("Me")).unwrap();
    assert_eq!(e.report.lossy_rows, 1);
    assert_eq!(e.report.first_lossy.as_ref().map(|o| o.line), Some(1));
    assert_eq!(e.messages.len(), 1);
    // Byte order marks, then whitespace, as before: a mark after a space is no header.
    std::fs::write(
        dir.path().join("Connections.csv"),
        " \u{feff}First Name,Last Name,URL,Email Address,Company,Position,Connected On\n",
    )
    .unwrap();
    let err = read_export(dir.path(), Some("Me")).unwrap_err().to_string();
    assert!(
        err.contains("no 'First Name,Last Name,...' header"),
        "{err}"
    );
}

#[test]
fn a_seller_who_puts_their_company_in_their_name_is_not_a_promoter() {
    use super::threads::promoter;
    let taken: Vec<&str> = [
        "Mike Jones | Growth Agency",
        "Sarah Lee - LinkedIn Lead Gen",
        "Dana Pruitt, LinkedIn Coach",
        "Hub van Doorne",
        "Anna van der Bank",
    ]
    .into_iter()
    .filter(|n| promoter(n, true) || promoter(n, false))
    .collect();
    assert!(taken.is_empty(), "taken for promoters: {taken:#?}");
}
