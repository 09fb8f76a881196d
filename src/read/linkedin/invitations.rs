//! `Invitations.csv`: connection requests sent and received, in the 5-column form
//! (`From,To,Sent At,Message,Direction`) and the 7-column form that adds
//! `inviterProfileUrl,inviteeProfileUrl`. A rolling window of the last months only.

use std::io::Read;

use super::csvrows::{each_row, row_id, Outcome, Row, Table};
use super::normalize_profile_url;
use crate::error::{Error, Result};
use crate::read::{dates, Origin, ReadReport};

/// One invitation.
#[derive(Debug, Clone, Default)]
pub(super) struct RawInvitation {
    pub origin: Origin,
    pub id: String,
    pub from: String,
    pub to: String,
    pub timestamp: Option<i64>,
    /// The note (Message column), often empty.
    pub note: String,
    /// True when the owner sent it.
    pub outgoing: bool,
    pub inviter_url: Option<String>,
    pub invitee_url: Option<String>,
    /// A hash of the row's fields as written: two rows with the same are one invitation
    /// written twice (two files joined end to end).
    pub fingerprint: u64,
}

impl RawInvitation {
    /// The other party's name and normalised URL.
    pub fn other_party(&self) -> (&str, Option<&str>) {
        if self.outgoing {
            (&self.to, self.invitee_url.as_deref())
        } else {
            (&self.from, self.inviter_url.as_deref())
        }
    }

    /// The owner's name and normalised URL as this row states them.
    pub fn owner_side(&self) -> (&str, Option<&str>) {
        if self.outgoing {
            (&self.from, self.inviter_url.as_deref())
        } else {
            (&self.to, self.invitee_url.as_deref())
        }
    }
}

struct Layout {
    from: usize,
    to: usize,
    sent_at: usize,
    direction: usize,
    message: Option<usize>,
    inviter: Option<usize>,
    invitee: Option<usize>,
}

/// Reads every invitation; bad rows go to `report`.
#[cfg(test)]
pub(super) fn read_invitations<R: Read>(
    display: &str,
    file_name: &str,
    input: R,
    report: &mut ReadReport,
) -> Result<Vec<RawInvitation>> {
    let mut out = Vec::new();
    each_invitation(display, file_name, input, report, |i| i, &mut |i| {
        out.push(i);
        Ok(())
    })?;
    Ok(out)
}

/// Streams the invitations to `visit`, in file order, each made into a `T` by `finish` on
/// the thread pool; bad rows go to `report`.
pub(super) fn each_invitation<R: Read, T: Send>(
    display: &str,
    file_name: &str,
    input: R,
    report: &mut ReadReport,
    finish: impl Fn(RawInvitation) -> T + Sync,
    visit: &mut dyn FnMut(T) -> Result<()>,
) -> Result<()> {
    let layout = |table: &Table| {
        if table.header.iter().all(|h| h.is_empty()) {
            return Ok(None);
        }
        resolve_layout(table).map(Some)
    };
    each_row(
        display,
        input,
        0,
        report,
        layout,
        |table, layout, row| match layout {
            Some(layout) if !row.is_blank() => {
                parse_row(table, row, layout, file_name).map(&finish).into()
            }
            _ => Outcome::Skip,
        },
        visit,
    )?;
    Ok(())
}

fn resolve_layout(table: &Table) -> Result<Layout> {
    let col = |name: &str| table.column(&[name]);
    let required = |name: &str| {
        col(name).ok_or_else(|| Error::Export {
            path: (*table.name).into(),
            message: format!(
                "Invitations.csv has no '{name}' column; header found: {}; expected \
                 From,To,Sent At,Message,Direction[,inviterProfileUrl,inviteeProfileUrl]",
                table.header_line()
            ),
        })
    };
    Ok(Layout {
        from: required("From")?,
        to: required("To")?,
        sent_at: required("Sent At")?,
        direction: required("Direction")?,
        message: col("Message"),
        inviter: col("inviterProfileUrl"),
        invitee: col("inviteeProfileUrl"),
    })
}

fn parse_row(
    table: &Table,
    row: &Row,
    layout: &Layout,
    file_name: &str,
) -> Result<RawInvitation, String> {
    let origin = table.origin(row);
    let timestamp = dates::parse_cell(row.get(Some(layout.sent_at)), "Sent At")
        .map_err(|e| format!("{origin}: {e}"))?;
    let direction = row.get(Some(layout.direction)).trim().to_ascii_uppercase();
    let outgoing = match direction.as_str() {
        "OUTGOING" => true,
        "INCOMING" => false,
        _ => {
            return Err(format!(
                "{origin}: column 'Direction': expected INCOMING or OUTGOING, got '{direction}'"
            ))
        }
    };
    let url = |idx| {
        Some(row.get(idx).trim())
            .filter(|s| !s.is_empty())
            .map(normalize_profile_url)
    };
    let fingerprint = [
        Some(layout.from),
        Some(layout.to),
        Some(layout.sent_at),
        Some(layout.direction),
        layout.message,
        layout.inviter,
        layout.invitee,
    ]
    .into_iter()
    .fold(0x1_u64, |seed, idx| {
        xxhash_rust::xxh3::xxh3_64_with_seed(row.get(idx).as_bytes(), seed)
    });
    Ok(RawInvitation {
        fingerprint,
        id: row_id(file_name, row.line),
        from: row.get(Some(layout.from)).trim().to_string(),
        to: row.get(Some(layout.to)).trim().to_string(),
        timestamp,
        note: row.take_text(layout.message),
        outgoing,
        inviter_url: url(layout.inviter),
        invitee_url: url(layout.invitee),
        origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_forms_and_reports_a_bad_direction() {
        let mut report = ReadReport::default();
        let csv = b"From,To,Sent At,Message,Direction\nMe,P,\"8/26/22, 8:56 PM\",,OUTGOING\nQ,Me,\"9/8/22, 5:06 PM\",hi,SIDEWAYS\n";
        let rows = read_invitations("i.csv", "i.csv", &csv[..], &mut report).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].other_party(), ("P", None));
        assert_eq!(
            report.bad_rows,
            ["i.csv:3: column 'Direction': expected INCOMING or OUTGOING, got 'SIDEWAYS'"]
        );
    }
}
