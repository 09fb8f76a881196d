//! `Connections.csv`: every connection and when it was made. The header is found by scanning
//! the first lines for `First Name,` (past the `Notes:` preamble, a BOM or blank lines); the
//! URL column (2024 on) is optional; dates are `DD Mon YYYY`, `d-Mon-yy` or `M/D/YY, h:mm AM`.

use std::io::{BufRead, BufReader, Read};

use super::csvrows::{each_row, Outcome, Row, Table};
use super::{normalize_profile_url, Connection};
use crate::error::{Error, Result};
use crate::read::{dates, ReadReport, MAX_ROW_BYTES};

/// How many lines may precede the header (the preamble is 3 lines; leave room for edits).
const HEADER_SCAN_LINES: usize = 15;

struct Layout {
    first: usize,
    last: usize,
    url: Option<usize>,
    connected_on: Option<usize>,
}

/// Reads a Connections.csv; `display` names the file in messages. Rows blank but for the
/// date (hidden profiles) are kept with an empty name; bad dates go to the report.
pub fn read_connections<R: Read>(display: &str, input: R) -> Result<(Vec<Connection>, ReadReport)> {
    let mut out = Vec::new();
    let report = each_connection(display, input, &mut |c| out.push(c))?;
    Ok((out, report))
}

/// Streams the rows of a Connections.csv to `visit`, in file order, as
/// [`read_connections`] reads them.
pub(super) fn each_connection<R: Read>(
    display: &str,
    input: R,
    visit: &mut dyn FnMut(Connection),
) -> Result<ReadReport> {
    let mut input = BufReader::new(input);
    let mut head = Vec::new();
    // The first lines, up to the row limit in all: the file may be a device that never ends.
    for _ in 0..HEADER_SCAN_LINES {
        let room = MAX_ROW_BYTES.saturating_sub(head.len() as u64);
        let n = (&mut input)
            .take(room)
            .read_until(b'\n', &mut head)
            .map_err(|e| Error::io(display, e))?;
        if n == 0 {
            break;
        }
    }
    let blank = |bytes: &[u8]| {
        bytes
            .iter()
            .all(|b| b.is_ascii_whitespace() || [0xEF, 0xBB, 0xBF].contains(b))
    };
    let mut report = ReadReport::default();
    let Some((offset, lines_before)) = find_header(&head) else {
        // Blank to its end? Read on only while it is, and a megabyte at a time.
        let mut rest_blank = blank(&head);
        while rest_blank {
            let mut rest = Vec::new();
            let n = (&mut input)
                .take(1 << 20)
                .read_to_end(&mut rest)
                .map_err(|e| Error::io(display, e))?;
            if n == 0 {
                break;
            }
            rest_blank = blank(&rest);
        }
        if rest_blank {
            return Ok(report);
        }
        return Err(Error::Export {
            path: display.into(),
            message: format!(
                "no 'First Name,Last Name,...' header in the first {HEADER_SCAN_LINES} lines"
            ),
        });
    };
    each_row(
        display,
        (&head[offset..]).chain(input),
        lines_before,
        &mut report,
        resolve_layout,
        |table, layout, row| match row.is_blank() {
            true => Outcome::Skip,
            false => parse_row(table, row, layout).into(),
        },
        &mut |c| {
            visit(c);
            Ok(())
        },
    )?;
    Ok(report)
}

/// The byte offset of the header line and how many lines come before it.
fn find_header(bytes: &[u8]) -> Option<(usize, u64)> {
    let mut offset = 0;
    for (number, line) in bytes
        .split(|&b| b == b'\n')
        .take(HEADER_SCAN_LINES)
        .enumerate()
    {
        let skipped = leading_blanks(line);
        let rest = &line[skipped..];
        let opens = |first: &[u8]| {
            rest.len() >= first.len() && rest[..first.len()].eq_ignore_ascii_case(first)
        };
        if FIRST.iter().any(|first| opens(first)) {
            return Some((offset + skipped, number as u64));
        }
        offset += line.len() + 1;
    }
    None
}

/// How the header line begins, in any case: as LinkedIn writes it, or quoted, as a
/// spreadsheet or a data frame library saves it again, with commas, or with the semicolons
/// or tabs of a spreadsheet in a locale whose decimal mark is a comma.
const FIRST: [&[u8]; 6] = [
    b"first name,",
    b"\"first name\",",
    b"first name;",
    b"\"first name\";",
    b"first name\t",
    b"\"first name\"\t",
];

/// The bytes of the byte order marks, then the whitespace, that open `line`, counted in the
/// raw bytes (an invalid byte, which a lossy copy would widen to three, ends them).
fn leading_blanks(line: &[u8]) -> usize {
    let valid = line.utf8_chunks().next().map_or("", |chunk| chunk.valid());
    let text = valid.trim_start_matches('\u{feff}').trim_start();
    valid.len() - text.len()
}

fn resolve_layout(table: &Table) -> Result<Layout> {
    let col = |name: &str| table.column(&[name]);
    let missing = |name: &str| Error::Export {
        path: (*table.name).into(),
        message: format!(
            "Connections.csv has no '{name}' column; header found: {}",
            table.header_line()
        ),
    };
    Ok(Layout {
        first: col("First Name").ok_or_else(|| missing("First Name"))?,
        last: col("Last Name").ok_or_else(|| missing("Last Name"))?,
        url: col("URL"),
        connected_on: col("Connected On"),
    })
}

fn parse_row(table: &Table, row: &Row, layout: &Layout) -> Result<Connection, String> {
    let connected_on = dates::parse_cell(row.get(layout.connected_on), "Connected On")
        .map_err(|e| format!("{}: {e}", table.origin(row)))?;
    let name = format!(
        "{} {}",
        row.get(Some(layout.first)).trim(),
        row.get(Some(layout.last)).trim()
    );
    let url = row.get(layout.url).trim();
    Ok(Connection {
        name: name.trim().to_string(),
        profile_url: (!url.is_empty()).then(|| normalize_profile_url(url)),
        connected_on,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESAVED: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/linkedin-excel-resaved"
    );

    fn fixture(name: &str) -> (Vec<Connection>, ReadReport) {
        let path = format!("{RESAVED}/{name}");
        read_connections(&path, std::fs::File::open(&path).unwrap()).unwrap()
    }

    #[test]
    fn read_connections_after_a_spreadsheet_round_trip() {
        let (rows, report) = fixture("Connections-crlf-dd-Mon-yy.csv");
        assert!(report.bad_rows.is_empty(), "{:?}", report.bad_rows);
        assert_eq!(rows.len(), 8);
        assert_eq!(rows[0].name, "Person 01");
        assert_eq!(rows[0].connected_on, dates::parse("2021-11-29"));
        assert_eq!(rows[5].name, "");
        assert_eq!(rows[7].connected_on, dates::parse("2016-12-01"));

        let (rows, report) = fixture("Connections-bom-blank-lines.csv");
        assert!(report.bad_rows.is_empty(), "{:?}", report.bad_rows);
        assert_eq!(rows.len(), 8);
        assert_eq!(rows[0].name, "Person 08");
        assert_eq!(rows[7].connected_on, dates::parse("2015-10-05"));
        assert!(rows.iter().all(|c| c.profile_url.is_none()));
    }

    #[test]
    fn skips_the_notes_preamble_and_numbers_lines_from_the_file_start() {
        let csv = "Notes:\n\"Some, text\"\n\nFirst Name,Last Name,URL,Email Address,Company,Position,Connected On\n\
                   Ana,Ruiz,https://www.linkedin.com/in/ana/,,C,P,09 Sep 2022\n,,,,,,someday";
        let (rows, report) = read_connections("c.csv", csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].profile_url.as_deref(),
            Some("https://www.linkedin.com/in/ana")
        );
        assert_eq!(
            report.bad_rows,
            ["c.csv:6: column 'Connected On': unrecognised date 'someday'"]
        );
    }

    #[test]
    fn rejects_a_file_without_the_header() {
        let err = read_connections("c.csv", &b"Notes:\nnothing here\n"[..]).unwrap_err();
        assert!(err.to_string().contains("First Name"), "{err}");
    }
}
