//! The LinkedIn data export ("Get a copy of your data"), as a folder or as the zip downloaded.
//!
//! Owns finding and reading `messages.csv`, `Invitations.csv` and `Connections.csv` in every
//! layout LinkedIn has written since 2018 (see `shared/fixtures/FORMATS.md` §1), working out
//! who the owner is, and giving each row its [`Thread`](crate::read::Thread): the other party's
//! key (a normalised profile URL, `conv:<id>` for hidden members and groups, else a name),
//! direction, connection date, sponsored flag and claimed mutual contact. It does not score
//! anything. Drafts and the coach/guide/learning files are left out; rows that cannot be read
//! are listed in the [`ReadReport`] as `path:line: problem`.

mod claims;
mod connections;
mod csvrows;
mod files;
mod invitations;
mod messages;
mod owner;
mod text;
mod threads;

use std::path::Path;

pub use claims::claimed_contact;
pub use connections::read_connections;
pub use text::normalize_profile_url;

use super::{Message, MessageStream, ReadReport};
use crate::error::Result;
use files::ExportFile;
use invitations::RawInvitation;
use messages::RawMessage;
use owner::{RawRow, Scope};

/// Everything read from one export.
#[derive(Debug, Clone, Default)]
pub struct Export {
    /// Invitations, then messages (not time-ordered).
    pub messages: Vec<Message>,
    /// The account owner.
    pub owner: Owner,
    /// Every row of Connections.csv (empty when the file is missing).
    pub connections: Vec<Connection>,
    /// Bad rows (`path:line: problem`) and lossy UTF-8 counts.
    pub report: ReadReport,
    /// Earliest and latest invitation `Sent At` (Unix seconds): the window the invitation
    /// evidence covers.
    pub invitations_window: Option<(i64, i64)>,
}

/// The account owner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owner {
    /// Display name.
    pub name: String,
    /// Normalised profile URL, when the export shows one.
    pub profile_url: Option<String>,
}

/// One row of Connections.csv.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connection {
    /// `First Last` (empty for hidden profiles).
    pub name: String,
    /// Normalised profile URL (the column exists since 2024).
    pub profile_url: Option<String>,
    /// When the connection was made, as Unix seconds (UTC, date only since 2020).
    pub connected_on: Option<i64>,
}

/// True for a `.zip` file, or a folder holding `messages.csv` (any case, ≤ 4 folders deep).
pub fn is_export(path: &Path) -> bool {
    files::is_export(path)
}

/// Reads the export at `path` whole; `me` (a profile URL or a display name) overrides owner
/// detection. For large exports use [`open_export`], which streams.
pub fn read_export(path: &Path, me: Option<&str>) -> Result<Export> {
    let stream = open_export(path, me)?;
    let mut messages = Vec::new();
    let report = stream.each(true, &mut |m| {
        messages.push(m);
        Ok(())
    })?;
    Ok(Export {
        messages,
        owner: stream.owner().clone(),
        connections: stream.connections()?,
        report,
        invitations_window: stream.invitations_window,
    })
}

/// An export opened for streaming: its files found, its owner and the joins worked out by
/// passes that keep per-conversation and per-name state only; [`MessageStream::each`] then
/// reads the rows again, invitations first, then messages.csv in file order.
pub struct ExportStream {
    files: ExportFile,
    connections_file: Option<ExportFile>,
    invitations: Option<ExportFile>,
    context: threads::Context,
    /// What opening the export reported (reading Connections.csv, files it lacks), added to
    /// every pass's report.
    connections_report: ReadReport,
    /// Earliest and latest invitation `Sent At` (Unix seconds): the window the invitation
    /// evidence covers.
    pub invitations_window: Option<(i64, i64)>,
}

/// Opens the export at `path` for streaming; `me` (a profile URL or a display name)
/// overrides owner detection.
pub fn open_export(path: &Path, me: Option<&str>) -> Result<ExportStream> {
    let found = files::locate(path)?;
    // A file of nothing but blank space (a download cut short) is read and told like a
    // missing one; each is looked at once.
    let empty = |file: &Option<ExportFile>| file.as_ref().map_or(Ok(false), ExportFile::is_empty);
    let (invitations_empty, connections_empty) =
        (empty(&found.invitations)?, empty(&found.connections)?);
    let connections = found.connections.as_ref().filter(|_| !connections_empty);
    // Connections.csv is read beside the passes over the other files, on a thread of its own
    // (a pool thread waiting inside one would take up the other), in turn with one thread.
    let (connected, context) = if rayon::current_num_threads() > 1 {
        std::thread::scope(|s| {
            let connected = s.spawn(|| read_connected(connections));
            let context = join_rows(&found, me);
            let connected = connected
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (connected, context)
        })
    } else {
        (read_connected(connections), join_rows(&found, me))
    };
    let (connected, mut connections_report) = connected?;
    let (context, window) = context?;
    let folder = path.display();
    let lacks = |file: &Option<ExportFile>, empty: bool, name: &str| match file {
        None => Some(format!("{folder} has no {name}")),
        Some(f) if empty => Some(format!("{} is empty", f.display)),
        Some(_) => None,
    };
    if let Some(lack) = lacks(&found.invitations, invitations_empty, "Invitations.csv") {
        connections_report.notes.push(format!(
            "{lack}: requests and their notes are unknown, so no sender is judged on an \
             empty or generic note"
        ));
    }
    if let Some(lack) = lacks(&found.connections, connections_empty, "Connections.csv") {
        connections_report.notes.push(format!(
            "{lack}: no named mutual contact can be checked, acceptance dates come from \
             first exchanges, and an accepted invitation's note that messages.csv repeats is \
             read as a message"
        ));
    }
    let context = context.with_connections(connected);
    Ok(ExportStream {
        connections_file: found.connections,
        files: found.messages,
        invitations: found.invitations,
        context,
        connections_report,
        invitations_window: window,
    })
}

/// What the rows need of Connections.csv, and what reading it reported.
fn read_connected(file: Option<&ExportFile>) -> Result<(threads::Connected, ReadReport)> {
    // Only hashed lookups are kept of the connections (they are many, like the rows).
    let mut connected = threads::Connected::default();
    let Some(file) = file else {
        // Without the list, a named contact is unchecked.
        return Ok((connected, ReadReport::default()));
    };
    connected.listed();
    let report = file.read(|input| {
        connections::each_connection(&file.display, input, &mut |c| connected.add(&c))
    })?;
    Ok((connected, report))
}

/// Works out the owner and the joins of the rows with each other, and the window of the
/// invitations' `Sent At`, by passes over Invitations.csv and messages.csv.
fn join_rows(
    found: &files::ExportFiles,
    me: Option<&str>,
) -> Result<(threads::Context, Option<(i64, i64)>)> {
    let mut window: Option<(i64, i64)> = None;
    let mut pass = |scope: Scope, visit: &mut dyn FnMut(RawRow<'_>)| -> Result<()> {
        let mut ignored = ReadReport::default();
        let mut done = crate::pool::FreeOnPool::new(1024);
        let messages = (scope == Scope::All).then_some(&found.messages);
        each_raw(
            messages,
            found.invitations.as_ref(),
            false,
            &mut ignored,
            Finish {
                invitation: Raw::Invitation,
                message: Raw::Message,
            },
            &mut |row| {
                if let Raw::Invitation(RawInvitation {
                    timestamp: Some(t), ..
                }) = &row
                {
                    window = Some(window.map_or((*t, *t), |(a, b)| (a.min(*t), b.max(*t))));
                }
                visit(row.as_row());
                done.free(row);
                Ok(())
            },
        )
    };
    let owner = owner::detect_streamed(me, &mut pass)?;
    let context = threads::Context::new(owner, &mut pass)?;
    Ok((context, window))
}

impl ExportStream {
    /// The account owner.
    pub fn owner(&self) -> &Owner {
        self.context.owner()
    }

    /// Every row of Connections.csv (read again: the stream keeps only hashed lookups).
    pub fn connections(&self) -> Result<Vec<Connection>> {
        match &self.connections_file {
            Some(file) => Ok(file.read(|input| read_connections(&file.display, input))?.0),
            None => Ok(Vec::new()),
        }
    }
}

impl MessageStream for ExportStream {
    fn each(&self, text: bool, visit: &mut dyn FnMut(Message) -> Result<()>) -> Result<ReadReport> {
        let mut report = self.connections_report.clone();
        let ctx = &self.context;
        // Rows without a date (an empty DATE or Sent At) are read, and counted in a warning;
        // a message row that repeats an earlier one word for word, or an accepted
        // invitation's note, is left out, with a note.
        let mut noted = ReadReport::default();
        let mut met = std::collections::HashSet::new();
        let visit = &mut |(m, fingerprint): (Message, Option<u64>)| {
            if fingerprint.is_some_and(|f| ctx.is_copy(f, &mut met)) {
                noted.leave_out(&format!(
                    "{}: copies of a row read before (the same parties, date and text: two \
                     files joined end to end)",
                    m.origin.file
                ));
                return Ok(());
            }
            if fingerprint.is_some_and(|f| ctx.is_echo(f)) {
                noted.leave_out(&format!(
                    "{}: accepted invitations' notes, which LinkedIn repeats as the first \
                     message of the conversation (the invitation is read instead)",
                    m.origin.file
                ));
                return Ok(());
            }
            if m.thread.as_ref().is_some_and(|t| t.timestamp.is_none()) {
                noted.undated(&m.origin);
            }
            visit(m)
        };
        each_raw(
            Some(&self.files),
            self.invitations.as_ref(),
            text,
            &mut report,
            Finish {
                invitation: |mut i: RawInvitation| {
                    // A pass without text skips the note (and the claim it may hold).
                    if !text {
                        i.note.clear();
                    }
                    let fingerprint = i.fingerprint;
                    (ctx.invitation(i), Some(fingerprint))
                },
                message: |m: RawMessage| {
                    let fingerprint = m.fingerprint;
                    (ctx.message(m), Some(fingerprint))
                },
            },
            visit,
        )?;
        report.merge(noted);
        Ok(report)
    }
}

/// One row as read, before it is joined.
enum Raw {
    Invitation(RawInvitation),
    Message(RawMessage),
}

impl Raw {
    fn as_row(&self) -> RawRow<'_> {
        match self {
            Raw::Invitation(i) => RawRow::Invitation(i),
            Raw::Message(m) => RawRow::Message(m),
        }
    }
}

/// How [`each_raw`] makes each row into what it passes on: run on the thread pool.
struct Finish<I, M> {
    invitation: I,
    message: M,
}

/// Streams Invitations.csv then messages.csv (when given), row by row in file order, each
/// row made into a `T` by `finish` on the thread pool; without `text` the messages' subject
/// and content are skipped.
fn each_raw<T: Send>(
    messages: Option<&ExportFile>,
    invitations: Option<&ExportFile>,
    text: bool,
    report: &mut ReadReport,
    finish: Finish<impl Fn(RawInvitation) -> T + Sync, impl Fn(RawMessage) -> T + Sync>,
    visit: &mut dyn FnMut(T) -> Result<()>,
) -> Result<()> {
    if let Some(file) = invitations {
        file.read(|input| {
            invitations::each_invitation(
                &file.display,
                &file.file_name,
                input,
                report,
                &finish.invitation,
                visit,
            )
        })?;
    }
    let Some(messages) = messages else {
        return Ok(());
    };
    messages.read(|input| {
        messages::each_message(
            &messages.display,
            &messages.file_name,
            input,
            text,
            report,
            &finish.message,
            visit,
        )
    })
}

#[cfg(test)]
mod tests;
