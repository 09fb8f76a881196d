//! CSV plumbing shared by the export's files: columns found by header name, rows with the
//! line they start on, invalid UTF-8 replaced and counted.

use std::io::{BufRead, BufReader, Read};

use csv::ByteRecord;

use crate::error::{Error, Result};
use crate::read::{crlf_lines, Origin, ReadReport};

/// A CSV file's name and header, as its rows are streamed.
pub(super) struct Table {
    pub name: std::sync::Arc<str>,
    pub header: Vec<String>,
}

/// One record: where it starts and its fields, read in place from the CSV reader's buffer
/// (a field that is not valid UTF-8 is replaced, once, when the row is read).
pub(super) struct Row<'r> {
    pub line: u64,
    record: &'r ByteRecord,
    /// The whole record's bytes, when every field is valid UTF-8 (checked once).
    text: Option<&'r str>,
    /// Lossy copies of the fields that were not valid UTF-8, by index.
    fixed: Vec<(usize, String)>,
}

impl Row<'_> {
    /// The field at `idx`, or `""` when the column or the field is missing.
    pub fn get(&self, idx: Option<usize>) -> &str {
        let Some(i) = idx else {
            return "";
        };
        if let Some(text) = self.text {
            return self.record.range(i).and_then(|r| text.get(r)).unwrap_or("");
        }
        if let Some((_, text)) = self.fixed.iter().find(|(at, _)| *at == i) {
            return text;
        }
        self.record
            .get(i)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .unwrap_or("")
    }

    /// The field at `idx` as an owned string (`""` when missing).
    pub fn take(&self, idx: Option<usize>) -> String {
        self.get(idx).to_string()
    }

    /// True when every field is blank.
    pub fn is_blank(&self) -> bool {
        (0..self.record.len()).all(|i| self.get(Some(i)).trim().is_empty())
    }
}

impl Table {
    /// The index of the first column named like one of `names` (case-insensitive).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.header.iter().position(|h| h.eq_ignore_ascii_case(n)))
    }

    /// `path:line` of a row, for messages and ids.
    pub fn origin(&self, row: &Row) -> Origin {
        Origin {
            file: self.name.clone(),
            line: row.line,
        }
    }

    /// The header as found, for error messages.
    pub fn header_line(&self) -> String {
        self.header.join(",")
    }
}

/// Reads `input` as CSV with a header, all rows at once; `lines_before` is added to every
/// line number (for a preamble the caller skipped). Lossy rows are counted in `report`.
/// A row copied out of the reader: its line and fields.
#[cfg(test)]
type OwnedRow = (u64, Vec<String>);

#[cfg(test)]
fn read_table<R: Read>(
    name: &str,
    input: R,
    lines_before: u64,
    report: &mut ReadReport,
) -> Result<(Table, Vec<OwnedRow>)> {
    let mut rows = Vec::new();
    let table = each_row(
        name,
        input,
        lines_before,
        report,
        |_| Ok(()),
        |_, _, _, row| {
            let fields = (0..row.record.len()).map(|i| row.take(Some(i))).collect();
            rows.push((row.line, fields));
            Ok(())
        },
    )?;
    Ok((table, rows))
}

/// Streams `input` as CSV with a header, one row at a time: `layout` is called once with the
/// header (also for an empty file, whose header is empty), then `on_row` with every record.
/// Returns the table's name and header (without rows).
pub(super) fn each_row<R: Read, L>(
    name: &str,
    input: R,
    lines_before: u64,
    report: &mut ReadReport,
    layout: impl FnOnce(&Table) -> Result<L>,
    mut on_row: impl FnMut(&Table, &L, &mut ReadReport, Row<'_>) -> Result<()>,
) -> Result<Table> {
    // Told by the first line; the count is corrected below.
    let mut buffered = BufReader::with_capacity(1 << 16, input);
    let crlf = crlf_lines(buffered.fill_buf().map_err(|e| Error::io(name, e))?);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .buffer_capacity(1 << 16)
        .from_reader(buffered);
    let mut record = ByteRecord::new();
    let mut table = Table {
        name: name.into(),
        header: Vec::new(),
    };
    let mut resolved: Option<L> = None;
    let mut layout = Some(layout);
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(name, lines_before, e)),
        }
        let reported = record.position().map_or(0, |p| p.line());
        let line = reported + lines_before + u64::from(crlf && resolved.is_some());
        let text = record_text(&record);
        let fixed = match text {
            Some(_) => Vec::new(),
            None => lossy_fields(&record),
        };
        let lossy = !fixed.is_empty();
        let Some(l) = &resolved else {
            let row = Row {
                line,
                record: &record,
                text,
                fixed,
            };
            table.header = (0..record.len())
                .map(|i| {
                    row.get(Some(i))
                        .trim_start_matches('\u{feff}')
                        .trim()
                        .to_string()
                })
                .collect();
            let make = layout.take().expect("the header comes once");
            resolved = Some(make(&table)?);
            continue;
        };
        if lossy {
            report.lossy_rows += 1;
            report.first_lossy.get_or_insert_with(|| Origin {
                file: table.name.clone(),
                line,
            });
        }
        on_row(
            &table,
            l,
            report,
            Row {
                line,
                record: &record,
                text,
                fixed,
            },
        )?;
    }
    if let Some(make) = layout {
        make(&table)?;
    }
    Ok(table)
}

/// Passes a parsed row to `visit`, or lists its problem (`path:line: …`) in the report.
pub(super) fn visit_or_report<T>(
    parsed: std::result::Result<T, String>,
    report: &mut ReadReport,
    visit: &mut dyn FnMut(T) -> Result<()>,
) -> Result<()> {
    match parsed {
        Ok(row) => visit(row),
        Err(problem) => {
            report.bad_rows.push(problem);
            Ok(())
        }
    }
}

/// The record's bytes as text when every field is valid UTF-8: the whole is, and no field
/// ends inside a character.
fn record_text(record: &ByteRecord) -> Option<&str> {
    let text = std::str::from_utf8(record.as_slice()).ok()?;
    (0..record.len())
        .all(|i| {
            record
                .range(i)
                .is_some_and(|r| text.is_char_boundary(r.end))
        })
        .then_some(text)
}

/// Lossy copies of the fields that are not valid UTF-8.
fn lossy_fields(record: &ByteRecord) -> Vec<(usize, String)> {
    record
        .iter()
        .enumerate()
        .filter(|(_, bytes)| std::str::from_utf8(bytes).is_err())
        .map(|(i, bytes)| (i, String::from_utf8_lossy(bytes).into_owned()))
        .collect()
}

fn csv_error(name: &str, lines_before: u64, e: csv::Error) -> Error {
    let line = e.position().map_or(0, |p| p.line()) + lines_before;
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(name, io),
        other => Error::BadRow {
            path: name.into(),
            line,
            message: format!("{other:?}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_line_numbers_of_multiline_rows_and_counts_lossy_ones() {
        let mut report = ReadReport::default();
        let data = &b"\xef\xbb\xbfA,B\n1,\"x\ny\"\n2,caf\xe9\n"[..];
        let (t, rows) = read_table("t.csv", data, 0, &mut report).unwrap();
        assert_eq!(t.header, ["A", "B"]);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[1].0, 4);
        assert_eq!(rows[1].1[1], "caf\u{fffd}");
        assert_eq!(rows[1].1.len(), 2);
        assert_eq!(report.lossy_rows, 1);
        assert_eq!(report.first_lossy.unwrap().line, 4);
    }

    #[test]
    fn counts_lines_right_in_crlf_files() {
        let mut report = ReadReport::default();
        let data = &b"A,B\r\n1,x\r\n2,\"two\r\nlines\"\r\n3,z\r\n"[..];
        let (_, rows) = read_table("t.csv", data, 0, &mut report).unwrap();
        let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
        assert_eq!(lines, [2, 3, 5]);
    }

    #[test]
    fn a_character_split_across_two_fields_is_invalid_in_both() {
        // "é" is C3 A9: its bytes joined are valid UTF-8, each field alone is not.
        let mut report = ReadReport::default();
        let data = &b"A,B\na\xc3,\xa9b\ncaf\xc3\xa9,ok\n"[..];
        let (_, rows) = read_table("t.csv", data, 0, &mut report).unwrap();
        assert_eq!(rows[0].1, ["a\u{fffd}", "\u{fffd}b"]);
        assert_eq!(rows[1].1, ["café", "ok"]);
        assert_eq!(report.lossy_rows, 1);
    }
}
