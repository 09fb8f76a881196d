//! A small LinkedIn data export in the 2025 layout (`shared/fixtures/FORMATS.md` §1), written by
//! the tests into a sandbox as an unzipped folder or as the zip LinkedIn hands out, and the
//! sender report read back into structs.
//!
//! The export belongs to Sam Rivera and holds six contacts whose verdicts are known in advance:
//! a note-less stranger, a hard seller, a friend, a sender referred by a real connection, a
//! sender who names a "mutual friend" Sam does not know, and a sponsored message.

#![allow(dead_code)]

use std::io::Write;

use serde::Deserialize;

use crate::common::{Run, Sandbox};

/// The account owner.
pub const OWNER_NAME: &str = "Sam Rivera";
/// The owner's profile URL, as LinkedIn writes it.
pub const OWNER_URL: &str = "https://www.linkedin.com/in/sam-rivera";

/// Sends an invitation with no note and never writes: a collector.
pub const STRANGER_URL: &str = "https://www.linkedin.com/in/jordan-blake-7f3a21";
/// Pitches an hour after Sam accepts, then follows up three times: a hard seller.
pub const SELLER_URL: &str = "https://www.linkedin.com/in/kevin-marsh-growth";
/// Writes and gets answers: ok.
pub const FRIEND_URL: &str = "https://www.linkedin.com/in/maya-chen-ux";
/// Names a mutual contact who is among Sam's connections: ok.
pub const REFERRED_URL: &str = "https://www.linkedin.com/in/daniel-okafor";
/// Names a "mutual friend" who is not among Sam's connections: a collector.
pub const FALSE_CLAIM_URL: &str = "https://www.linkedin.com/in/tyler-brooks-biz";
/// Someone Sam invited who has not answered: never a sender in the report.
pub const INVITEE_URL: &str = "https://www.linkedin.com/in/lena-fischer-data";

/// Conversation ids (`2-` + base64 of `<uuid>_100`, as in 2025 exports).
pub const SELLER_CONVERSATION: &str = "2-MWIyNGYzOGEtMmExYS01YjM5LWFkMDYtYzNkMzQ4MDI5Yzc0XzEwMA==";
/// The friend's conversation.
pub const FRIEND_CONVERSATION: &str = "2-MzkwNzgxY2UtMDliMS01ODExLWE2N2QtMjYzNTRlOTdhNzE0XzEwMA==";
/// The sponsored conversation; its sender is reported as `conv:<this>`.
pub const SPONSORED_CONVERSATION: &str =
    "2-YTIwNTkyNjEtNDU4OS01NWVhLTkyZDYtNzhmYWJjZmRmMDdkXzEwMA==";

/// The `messages.csv` header of August 2025 (11 columns).
pub const MESSAGES_HEADER: [&str; 11] = [
    "CONVERSATION ID",
    "CONVERSATION TITLE",
    "FROM",
    "SENDER PROFILE URL",
    "TO",
    "RECIPIENT PROFILE URLS",
    "DATE",
    "SUBJECT",
    "CONTENT",
    "FOLDER",
    "ATTACHMENTS",
];

const INVITATIONS_HEADER: [&str; 7] = [
    "From",
    "To",
    "Sent At",
    "Message",
    "Direction",
    "inviterProfileUrl",
    "inviteeProfileUrl",
];

const CONNECTIONS_HEADER: [&str; 7] = [
    "First Name",
    "Last Name",
    "URL",
    "Email Address",
    "Company",
    "Position",
    "Connected On",
];

/// The three preamble lines of every Connections.csv since late 2020 (byte-identical text).
const CONNECTIONS_PREAMBLE: &str = "Notes:\n\"When exporting your connection data, you may notice that some of the email addresses are missing. You will only see email addresses for connections who have allowed their connections to see or download their email address using this setting https://www.linkedin.com/psettings/privacy/email. You can learn more here https://www.linkedin.com/help/linkedin/answer/261\"\n\n";

/// One row of `messages.csv`.
#[derive(Debug, Clone)]
pub struct Message {
    pub conversation: String,
    pub title: String,
    pub from: String,
    pub from_url: String,
    pub to: String,
    pub to_urls: String,
    /// `YYYY-MM-DD HH:MM:SS UTC`.
    pub date: String,
    pub content: String,
    pub folder: String,
}

/// One row of `Invitations.csv`.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub from: String,
    pub to: String,
    /// `M/D/YY, h:mm AM`.
    pub sent_at: String,
    pub note: String,
    pub outgoing: bool,
    pub inviter_url: String,
    pub invitee_url: String,
}

/// One row of `Connections.csv`.
#[derive(Debug, Clone)]
pub struct Connection {
    pub first: String,
    pub last: String,
    pub url: String,
    pub company: String,
    pub position: String,
    /// `DD Mon YYYY`.
    pub connected_on: String,
}

/// The three files of an export, rows newest first as LinkedIn writes them.
#[derive(Debug, Clone)]
pub struct Export {
    pub messages: Vec<Message>,
    pub invitations: Vec<Invitation>,
    pub connections: Vec<Connection>,
}

/// A message from a contact to Sam.
fn to_sam(conversation: &str, from: &str, from_url: &str, date: &str, content: &str) -> Message {
    Message {
        conversation: conversation.into(),
        title: String::new(),
        from: from.into(),
        from_url: from_url.into(),
        to: OWNER_NAME.into(),
        to_urls: OWNER_URL.into(),
        date: date.into(),
        content: content.into(),
        folder: "INBOX".into(),
    }
}

/// A message from Sam to a contact (LinkedIn files the owner's messages in INBOX too).
pub fn from_sam(conversation: &str, to: &str, to_url: &str, date: &str, content: &str) -> Message {
    Message {
        conversation: conversation.into(),
        title: String::new(),
        from: OWNER_NAME.into(),
        from_url: OWNER_URL.into(),
        to: to.into(),
        to_urls: to_url.into(),
        date: date.into(),
        content: content.into(),
        folder: "INBOX".into(),
    }
}

fn incoming(from: &str, from_url: &str, sent_at: &str, note: &str) -> Invitation {
    Invitation {
        from: from.into(),
        to: OWNER_NAME.into(),
        sent_at: sent_at.into(),
        note: note.into(),
        outgoing: false,
        inviter_url: from_url.into(),
        invitee_url: OWNER_URL.into(),
    }
}

fn connection(
    first: &str,
    last: &str,
    url: &str,
    company: &str,
    position: &str,
    on: &str,
) -> Connection {
    Connection {
        first: first.into(),
        last: last.into(),
        url: url.into(),
        company: company.into(),
        position: position.into(),
        connected_on: on.into(),
    }
}

const SPONSORED_HTML: &str = concat!(
    r#"<p class="spinmail-quill-editor__spin-break">Hi %FIRSTNAME%,</p>"#,
    r#"<p class="spinmail-quill-editor__spin-break"><br></p>"#,
    r#"<p class="spinmail-quill-editor__spin-break">Ready to lead with data? Our part-time MBA in "#,
    r#"Business Analytics fits around your job, with live online classes and a cohort of 40 peers "#,
    r#"from 12 countries.</p><p class="spinmail-quill-editor__spin-break"><br></p>"#,
    r#"<p class="spinmail-quill-editor__spin-break"><strong>Applications for the January intake "#,
    r#"close on 30 September.</strong></p>"#,
    r#"<p class="spinmail-quill-editor__spin-break"><a href="https://www.harborview.example.edu/mba?"#,
    r#"utm_source=linkedin&amp;utm_medium=sponsored&amp;li_fat_id=5a1f09c2">Download the "#,
    r#"brochure</a></p>"#
);

impl Export {
    /// Sam Rivera's export with the six contacts described in the module docs.
    pub fn sam_rivera() -> Self {
        let kevin = ("Kevin Marsh", SELLER_URL, SELLER_CONVERSATION);
        let maya = ("Maya Chen", FRIEND_URL, FRIEND_CONVERSATION);
        let seller = |date: &str, text: &str| to_sam(kevin.2, kevin.0, kevin.1, date, text);
        let friend = |date: &str, text: &str| to_sam(maya.2, maya.0, maya.1, date, text);
        let sam_to_maya = |date: &str, text: &str| from_sam(maya.2, maya.0, maya.1, date, text);
        let sponsored = Message {
            conversation: SPONSORED_CONVERSATION.into(),
            title: "Sponsored Conversation".into(),
            from: "LinkedIn Member".into(),
            from_url: String::new(),
            to: OWNER_NAME.into(),
            to_urls: OWNER_URL.into(),
            date: "2025-08-14 06:30:12 UTC".into(),
            content: SPONSORED_HTML.into(),
            folder: "ARCHIVE".into(),
        };
        // Sam clicked the ad's button: an owner row in the ad's thread, not a reply.
        let click = Message {
            conversation: SPONSORED_CONVERSATION.into(),
            title: "Sponsored Conversation".into(),
            from: OWNER_NAME.into(),
            from_url: OWNER_URL.into(),
            to: "LinkedIn Member".into(),
            to_urls: String::new(),
            date: "2025-08-14 07:02:45 UTC".into(),
            content: "Download the brochure".into(),
            folder: "ARCHIVE".into(),
        };
        let messages = vec![
            seller(
                "2025-08-25 10:12:40 UTC",
                "Hi Sam, I haven't heard back, so maybe the timing isn't right. Our August pricing \
                 ends on Friday though, so it's worth a chat before then. Thursday or Friday?",
            ),
            seller(
                "2025-08-19 14:05:03 UTC",
                "Sam, circling back one more time. I can send over a case study from a client in \
                 your space who doubled their pipeline in a quarter. Would Thursday at 11 work for \
                 a quick call?",
            ),
            friend(
                "2025-08-19 08:15:02 UTC",
                "Perfect. I'll reserve a table at the little place by the tram stop for the 15th, \
                 8pm.",
            ),
            sam_to_maya(
                "2025-08-19 08:40:31 UTC",
                "See you there, can't wait to hear about the new job.",
            ),
            sam_to_maya(
                "2025-08-18 19:03:55 UTC",
                "Maya! Yes, I land on the 14th. Dinner sounds great, anywhere near Alfama works \
                 for me.",
            ),
            friend(
                "2025-08-18 17:42:10 UTC",
                "Hey Sam! Are you going to be in Lisbon for design week in September? Would love \
                 to get dinner if you are.",
            ),
            seller(
                "2025-08-15 09:30:27 UTC",
                "Hi Sam, just following up on my note from Tuesday. We've set up 40+ sales \
                 meetings a month for teams like yours. Are you open to a 15-minute call this \
                 week?",
            ),
            click,
            sponsored,
            // Sam accepted on 12 Aug (midnight UTC for a date-only Connected On): one hour later.
            seller(
                "2025-08-12 01:00:00 UTC",
                "Thanks for connecting, Sam! We help B2B SaaS founders generate qualified leads \
                 on autopilot. Clients like Northwind saw a 3x increase in booked appointments \
                 within 60 days. Are you free this week for a quick call? Here is my Calendly: \
                 https://calendly.com/kevin-marsh-growth/intro",
            ),
        ];
        let invitations = vec![
            incoming(
                "Tyler Brooks",
                FALSE_CLAIM_URL,
                "8/22/25, 3:48 PM",
                "Hi Sam, our mutual friend Derek Holloway said you're the person to know in \
                 Denver tech. Would be great to connect!",
            ),
            incoming(
                "Daniel Okafor",
                REFERRED_URL,
                "8/21/25, 11:27 AM",
                "Hi Sam, Priya Raman suggested I reach out since we're both working on \
                 accessibility for transit apps. I'd love to compare notes on screen-reader \
                 testing sometime.",
            ),
            incoming("Jordan Blake", STRANGER_URL, "8/20/25, 9:14 AM", ""),
            Invitation {
                from: OWNER_NAME.into(),
                to: "Lena Fischer".into(),
                sent_at: "8/16/25, 6:05 PM".into(),
                note: String::new(),
                outgoing: true,
                inviter_url: OWNER_URL.into(),
                invitee_url: INVITEE_URL.into(),
            },
            incoming("Kevin Marsh", SELLER_URL, "8/11/25, 4:02 PM", ""),
        ];
        let connections = vec![
            connection(
                "Kevin",
                "Marsh",
                SELLER_URL,
                "Pipeline Rocket",
                "Founder & CEO, Growth Partner",
                "12 Aug 2025",
            ),
            connection(
                "Priya",
                "Raman",
                "https://www.linkedin.com/in/priya-raman-a11y",
                "Transit Labs",
                "Senior Product Designer",
                "02 May 2024",
            ),
            connection("", "", "", "", "", "29 Jan 2024"),
            connection(
                "Ana",
                "Souza",
                "https://www.linkedin.com/in/ana-souza-87b1",
                "Harbor Analytics",
                "Data Engineer",
                "14 Nov 2022",
            ),
            connection(
                "Maya",
                "Chen",
                FRIEND_URL,
                "Studio Norte",
                "UX Lead",
                "03 Mar 2019",
            ),
        ];
        Export {
            messages,
            invitations,
            connections,
        }
    }

    /// `messages.csv`: minimal quoting, LF line ends, a newline after the last row.
    pub fn messages_csv(&self) -> String {
        let rows = self.messages.iter().map(|m| {
            vec![
                m.conversation.clone(),
                m.title.clone(),
                m.from.clone(),
                m.from_url.clone(),
                m.to.clone(),
                m.to_urls.clone(),
                m.date.clone(),
                String::new(),
                m.content.clone(),
                m.folder.clone(),
                String::new(),
            ]
        });
        csv_text(&MESSAGES_HEADER, rows)
    }

    /// `Invitations.csv`, 7 columns.
    pub fn invitations_csv(&self) -> String {
        let rows = self.invitations.iter().map(|i| {
            vec![
                i.from.clone(),
                i.to.clone(),
                i.sent_at.clone(),
                i.note.clone(),
                if i.outgoing { "OUTGOING" } else { "INCOMING" }.to_string(),
                i.inviter_url.clone(),
                i.invitee_url.clone(),
            ]
        });
        csv_text(&INVITATIONS_HEADER, rows)
    }

    /// `Connections.csv`: the `Notes:` preamble, 7 columns, no newline after the last row.
    pub fn connections_csv(&self) -> String {
        let rows = self.connections.iter().map(|c| {
            vec![
                c.first.clone(),
                c.last.clone(),
                c.url.clone(),
                String::new(),
                c.company.clone(),
                c.position.clone(),
                c.connected_on.clone(),
            ]
        });
        let table = csv_text(&CONNECTIONS_HEADER, rows);
        format!("{CONNECTIONS_PREAMBLE}{}", table.trim_end_matches('\n'))
    }

    /// The files of the export with their names, plus two files the reader must ignore.
    pub fn files(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Connections.csv", self.connections_csv()),
            ("Invitations.csv", self.invitations_csv()),
            ("messages.csv", self.messages_csv()),
            ("guide_messages.csv", format!("{}\n", &MESSAGES_HEADER[..10].join(","))),
            ("Registration.csv", "Registered At,Registration Ip,Subscription Types\n\"3/2/19, 9:41 AM\",203.0.113.7,\n".into()),
        ]
    }

    /// Rows the reader should turn into messages: every message and every invitation.
    pub fn row_count(&self) -> usize {
        self.messages.len() + self.invitations.len()
    }

    /// Writes the export unzipped into the folder `dir` of the sandbox.
    pub fn write_folder(&self, sandbox: &Sandbox, dir: &str) {
        std::fs::create_dir_all(sandbox.path(dir)).expect("create the export folder");
        for (name, text) in self.files() {
            sandbox.write(&format!("{dir}/{name}"), text);
        }
    }

    /// Writes the export as the zip LinkedIn hands out, its files inside the folder `inner`.
    pub fn write_zip(&self, sandbox: &Sandbox, zip_name: &str, inner: &str) {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.add_directory(format!("{inner}/"), options)
            .expect("zip folder");
        for (name, text) in self.files() {
            zip.start_file(format!("{inner}/{name}"), options)
                .expect("zip entry");
            zip.write_all(text.as_bytes()).expect("zip write");
        }
        let bytes = zip.finish().expect("zip finish").into_inner();
        sandbox.write(zip_name, bytes);
    }
}

fn csv_text(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    w.write_record(header).expect("csv header");
    for row in rows {
        w.write_record(&row).expect("csv row");
    }
    String::from_utf8(w.into_inner().expect("csv flush")).expect("utf-8")
}

/// One row of the sender report, as the CSV, JSON and JSON Lines writers give it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SenderRow {
    pub sender: String,
    pub profile_url: String,
    pub verdict: String,
    pub score: f64,
    pub messages: usize,
    pub first_contact: String,
    pub connected_on: String,
    pub time_to_first_pitch: String,
    /// Empty (CSV) or null (JSON) when the input holds none of your messages.
    pub unanswered_followups: Option<usize>,
    /// Empty (CSV) or null (JSON) when the input holds none of your messages.
    pub you_replied: Option<bool>,
    pub invitation_note: String,
    pub evidence: String,
}

/// The column names of the CSV sender report, in order.
pub const REPORT_COLUMNS: [&str; 12] = [
    "sender",
    "profile_url",
    "verdict",
    "score",
    "messages",
    "first_contact",
    "connected_on",
    "time_to_first_pitch",
    "unanswered_followups",
    "you_replied",
    "invitation_note",
    "evidence",
];

/// The sender report of a run whose stdout is CSV; checks the header first.
pub fn parse_csv_report(run: &Run) -> Vec<SenderRow> {
    let mut reader = csv::Reader::from_reader(&run.stdout[..]);
    let header = reader
        .headers()
        .unwrap_or_else(|e| run.fail(&format!("no CSV header: {e}")))
        .clone();
    if header.iter().collect::<Vec<_>>() != REPORT_COLUMNS {
        run.fail(&format!("unexpected report columns {header:?}"));
    }
    reader
        .deserialize()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| run.fail(&format!("bad report row: {e}")))
}

/// The sender report of a run whose stdout is one JSON array.
pub fn parse_json_report(run: &Run) -> Vec<SenderRow> {
    serde_json::from_slice(&run.stdout)
        .unwrap_or_else(|e| run.fail(&format!("stdout is not a JSON array of senders: {e}")))
}

/// The sender report of a run whose stdout is JSON Lines.
pub fn parse_jsonl_report(run: &Run) -> Vec<SenderRow> {
    run.stdout_text()
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| run.fail(&format!("bad JSON line {line:?}: {e}")))
        })
        .collect()
}

/// The report's row for `profile_url`; fails the run (printing everything) when it is missing.
pub fn sender<'a>(run: &Run, rows: &'a [SenderRow], profile_url: &str) -> &'a SenderRow {
    rows.iter()
        .find(|r| r.profile_url == profile_url)
        .unwrap_or_else(|| run.fail(&format!("no report row for {profile_url}")))
}
