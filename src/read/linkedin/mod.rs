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

use super::{Message, ReadReport};
use crate::error::Result;
use files::ExportFile;
use invitations::RawInvitation;

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

/// True for a `.zip` file, or a folder holding `messages.csv` (any case, ≤ 2 folders deep).
pub fn is_export(path: &Path) -> bool {
    files::is_export(path)
}

/// Reads the export at `path`; `me` (a profile URL or a display name) overrides owner detection.
pub fn read_export(path: &Path, me: Option<&str>) -> Result<Export> {
    let found = files::load(path)?;
    let mut report = ReadReport::default();
    let raw_messages = read_messages_file(&found.messages, &mut report)?;
    let raw_invitations = match &found.invitations {
        Some(file) => invitations::read_invitations(
            &file.display,
            &file.file_name,
            &file.bytes[..],
            &mut report,
        )?,
        None => Vec::new(),
    };
    let connections = match &found.connections {
        Some(file) => {
            let (rows, connections_report) = read_connections(&file.display, &file.bytes[..])?;
            report.merge(connections_report);
            rows
        }
        None => Vec::new(),
    };
    let owner = owner::detect(me, &raw_messages, &raw_invitations);
    let context = threads::Context::new(&owner, &connections, &raw_messages, &raw_invitations);
    let messages = threads::build(&context, &raw_messages, &raw_invitations);
    Ok(Export {
        messages,
        invitations_window: window(&raw_invitations),
        owner,
        connections,
        report,
    })
}

fn read_messages_file(
    file: &ExportFile,
    report: &mut ReadReport,
) -> Result<Vec<messages::RawMessage>> {
    messages::read_messages(&file.display, &file.file_name, &file.bytes[..], report)
}

fn window(invitations: &[RawInvitation]) -> Option<(i64, i64)> {
    let times = invitations.iter().filter_map(|i| i.timestamp);
    Some((times.clone().min()?, times.max()?))
}

#[cfg(test)]
mod tests;
