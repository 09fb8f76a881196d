//! CSV plumbing shared by the export's files: columns found by header name, rows with the
//! line they start on, invalid UTF-8 replaced and counted. Records are split on the calling
//! thread and turned into rows a batch at a time on the thread pool; rows are then taken in
//! file order, so output does not depend on the number of threads.

use std::io::{BufRead, BufReader, Read};

use csv::ByteRecord;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::read::{Counted, LineFix, Origin, ReadReport};

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
    /// Whether a text taken by [`Row::take_text`] was cut.
    cut: std::cell::Cell<bool>,
}

impl<'r> Row<'r> {
    /// The record read at `line`, its fields checked for UTF-8 once (an invalid field is
    /// replaced, once, here).
    fn new(line: u64, record: &'r ByteRecord) -> Self {
        let text = record_text(record);
        let fixed = match text {
            Some(_) => Vec::new(),
            None => lossy_fields(record),
        };
        Row {
            line,
            record,
            text,
            fixed,
            cut: Default::default(),
        }
    }

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

    /// The text at `idx` as an owned string, cut at [`MAX_TEXT_CHARS`](crate::read::MAX_TEXT_CHARS)
    /// (counted for the report).
    pub fn take_text(&self, idx: Option<usize>) -> String {
        let (text, cut) = crate::read::capped(self.get(idx));
        if cut {
            self.cut.set(true);
        }
        text.to_string()
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

/// A row copied out of the reader: its line and fields.
#[cfg(test)]
type OwnedRow = (u64, Vec<String>);

/// Reads `input` as CSV with a header, all rows at once; `lines_before` is added to every
/// line number (for a preamble the caller skipped). Lossy rows are counted in `report`.
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
        |_, _, row| {
            let fields = (0..row.record.len())
                .map(|i| row.get(Some(i)).to_string())
                .collect();
            Outcome::Keep((row.line, fields))
        },
        &mut |row| {
            rows.push(row);
            Ok(())
        },
    )?;
    Ok((table, rows))
}

/// What one record turns into.
pub(super) enum Outcome<T> {
    /// A row to pass on.
    Keep(T),
    /// A row that cannot be read: `path:line: problem`.
    Bad(String),
    /// A row left out on purpose, counted under this reason.
    LeaveOut(String),
    /// A row skipped without a word (blank).
    Skip,
}

impl<T> From<std::result::Result<T, String>> for Outcome<T> {
    fn from(parsed: std::result::Result<T, String>) -> Self {
        match parsed {
            Ok(row) => Outcome::Keep(row),
            Err(problem) => Outcome::Bad(problem),
        }
    }
}

/// Records split from the file, each with the line it starts on.
type Records = Vec<(u64, ByteRecord)>;

/// What reading one record noticed besides its outcome.
#[derive(Clone, Copy)]
struct Noticed {
    /// A field was not valid UTF-8.
    lossy: bool,
    /// A text was cut at [`MAX_TEXT_CHARS`](crate::read::MAX_TEXT_CHARS).
    cut: bool,
}

/// Each record of a batch turned into a row: what was noticed, and the outcome.
type Converted<T> = Vec<(Noticed, Outcome<T>)>;

/// Records read and turned into rows at a time: enough to share among the threads, few
/// enough that a batch of long messages stays a few megabytes.
const BATCH: usize = 1024;

/// Streams `input` as CSV with a header: `layout` is called once with the header (also for
/// an empty file, whose header is empty); then every record is turned into a row by
/// `convert`, a batch at a time on the thread pool, and the outcomes are taken in file
/// order: kept rows go to `visit`, the others to `report`. With more than one thread, a
/// batch is converted while the one before it is visited and the one after it is split.
/// Returns the table's name and header (without rows).
pub(super) fn each_row<R: Read, L: Sync, T: Send>(
    name: &str,
    input: R,
    lines_before: u64,
    report: &mut ReadReport,
    layout: impl FnOnce(&Table) -> Result<L>,
    convert: impl Fn(&Table, &L, &Row<'_>) -> Outcome<T> + Sync,
    visit: &mut dyn FnMut(T) -> Result<()>,
) -> Result<Table> {
    let lines = LineFix::default();
    let mut buffered = BufReader::with_capacity(1 << 16, Counted::new(input, &lines));
    let head = buffered.fill_buf().map_err(|e| Error::io(name, e))?;
    if let Some(e) = crate::read::utf16_error(name, head) {
        return Err(e);
    }
    let delimiter = header_delimiter(head);
    let mut split = Splitter {
        name,
        lines_before,
        lines,
        reader: csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(false)
            .buffer_capacity(1 << 16)
            .from_reader(buffered),
        stopped: None,
    };
    let mut table = Table {
        name: name.into(),
        header: Vec::new(),
    };
    let mut first = ByteRecord::new();
    let Some(header_line) = split.next(&mut first)? else {
        // A header that never ends is no header: the file cannot be read at all.
        if let Some(e) = split.stopped.take() {
            return Err(e);
        }
        layout(&table)?;
        return Ok(table);
    };
    let header = Row::new(0, &first);
    // A column name with invalid UTF-8 will not match: said like any other replaced field.
    if !header.fixed.is_empty() {
        report.lossy_rows += 1;
        report.first_lossy.get_or_insert_with(|| Origin {
            file: table.name.clone(),
            line: header_line,
        });
    }
    table.header = (0..first.len())
        .map(|i| {
            header
                .get(Some(i))
                .trim_start_matches('\u{feff}')
                .trim()
                .to_string()
        })
        .collect();
    let l = layout(&table)?;
    let table = table;
    let overlap = rayon::current_num_threads() > 1;
    let width = table.header.len();
    let one = |(line, record): &(u64, ByteRecord)| {
        // A row of another width than the header is not guessed at (its fields would land in
        // the wrong columns); a blank line is one empty field.
        let blank = record.len() == 1 && record.get(0).is_some_and(|f| f.is_empty());
        if record.len() != width && !blank {
            let problem = format!(
                "{}:{line}: row has {} fields, the header has {width}{}",
                table.name,
                record.len(),
                crate::read::spanned_lines(record, *line)
            );
            let noticed = Noticed {
                lossy: false,
                cut: false,
            };
            return (noticed, Outcome::Bad(problem));
        }
        let row = Row::new(*line, record);
        let outcome = convert(&table, &l, &row);
        let noticed = Noticed {
            lossy: !row.fixed.is_empty(),
            cut: row.cut.get(),
        };
        (noticed, outcome)
    };
    // With one thread the rows are made here, where they are taken and freed: memory made
    // on one thread and freed on another is the allocator's slow path.
    let convert_all = |rows: &[(u64, ByteRecord)]| -> Converted<T> {
        match overlap {
            true => rows.par_iter().with_min_len(16).map(one).collect(),
            false => rows.iter().map(one).collect(),
        }
    };
    let mut take = |rows: &[(u64, ByteRecord)], outcomes: Converted<T>| {
        for (&(line, _), (noticed, outcome)) in rows.iter().zip(outcomes) {
            let origin = || Origin {
                file: table.name.clone(),
                line,
            };
            if noticed.lossy {
                report.lossy_rows += 1;
                report.first_lossy.get_or_insert_with(origin);
            }
            if noticed.cut {
                report.cut_text(&origin());
            }
            match outcome {
                Outcome::Keep(row) => visit(row)?,
                Outcome::Bad(problem) => report.bad_rows.push(problem),
                Outcome::LeaveOut(reason) => report.leave_out(&reason),
                Outcome::Skip => {}
            }
        }
        Ok::<(), Error>(())
    };
    // Two batches of records, reused in turn: a full batch allocates nothing.
    let mut batches: [Records; 2] = [Vec::new(), Vec::new()];
    let mut filled = split.batch(&mut batches[0])?;
    // The batch before, converted, waiting to be taken.
    let mut waiting: Option<(usize, Converted<T>)> = None;
    let mut at = 0;
    loop {
        let [first, second] = &mut batches;
        let (this, other) = match at {
            0 => (&*first, second),
            _ => (&*second, first),
        };
        let rows = &this[..filled];
        let more = filled == BATCH;
        let mut converted = Vec::new();
        let mut next = 0;
        // Takes the batch before (its records are in `other`), then splits the next one into it.
        let mut before_and_after = |next: &mut usize| -> Result<()> {
            if let Some((n, outcomes)) = waiting.take() {
                take(&other[..n], outcomes)?;
            }
            if more {
                *next = split.batch(other)?;
            }
            Ok(())
        };
        if overlap {
            let mut done = Ok(());
            rayon::in_place_scope(|s| {
                s.spawn(|_| converted = convert_all(rows));
                done = before_and_after(&mut next);
            });
            done?;
        } else {
            before_and_after(&mut next)?;
            converted = convert_all(rows);
        }
        waiting = Some((filled, converted));
        if !more {
            break;
        }
        filled = next;
        at = 1 - at;
    }
    if let Some((n, outcomes)) = waiting {
        take(&batches[at][..n], outcomes)?;
    }
    report.bad_rows.extend(split.stopped.map(|e| e.to_string()));
    Ok(table)
}

/// `file:line`, the id of a row of `file_name`, in one allocation of its size.
pub(super) fn row_id(file_name: &str, line: u64) -> String {
    use std::fmt::Write;
    let mut id = String::with_capacity(file_name.len() + 21);
    id.push_str(file_name);
    id.push(':');
    write!(id, "{line}").expect("a String takes any text");
    id
}

/// The delimiter of an export file, told by its header line: a comma as LinkedIn writes it,
/// else the semicolon or tab a spreadsheet saved it with, whichever the header has most of.
fn header_delimiter(head: &[u8]) -> u8 {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let count = |d: u8| line.iter().filter(|&&b| b == d).count();
    [b';', b'\t']
        .into_iter()
        .map(|d| (count(d), d))
        .filter(|&(n, _)| n > count(b','))
        .max()
        .map_or(b',', |(_, d)| d)
}

/// Splits a CSV file into records, each with the line it starts on.
struct Splitter<'a, R: Read> {
    name: &'a str,
    lines_before: u64,
    /// Corrects the csv crate's line numbers in files with CRLF or CR line breaks.
    lines: LineFix,
    reader: csv::Reader<BufReader<Counted<R>>>,
    /// A row ran on past the row limit: the file ends there, and this is its error.
    stopped: Option<Error>,
}

impl<R: Read> Splitter<'_, R> {
    /// Reads the next record into `record`; its line, or `None` at the end.
    fn next(&mut self, record: &mut ByteRecord) -> Result<Option<u64>> {
        if self.stopped.is_some() {
            return Ok(None);
        }
        let read = self.reader.read_byte_record(record);
        self.lines.next_row_at(self.reader.position().byte());
        match read {
            Ok(false) => Ok(None),
            Ok(true) => {
                let line = record.position().map_or(0, |p| self.lines.line(p.byte()));
                Ok(Some(line + self.lines_before))
            }
            Err(e) => {
                let runaway =
                    matches!(e.kind(), csv::ErrorKind::Io(io) if crate::read::is_runaway(io));
                let error = csv_error(self.name, self.lines_before, e);
                if !runaway {
                    return Err(error);
                }
                // The file ends at a row that never does: a bad row, as a table's is.
                self.stopped = Some(error);
                Ok(None)
            }
        }
    }

    /// Fills `batch` with up to [`BATCH`] records (reusing its records); how many.
    fn batch(&mut self, batch: &mut Records) -> Result<usize> {
        let mut filled = 0;
        while filled < BATCH {
            if filled == batch.len() {
                batch.push((0, ByteRecord::new()));
            }
            let (line, record) = &mut batch[filled];
            match self.next(record)? {
                Some(at) => *line = at,
                None => break,
            }
            filled += 1;
        }
        Ok(filled)
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
        csv::ErrorKind::Io(io) => match crate::read::read_error(name, io) {
            // A runaway row is told on its line of the file, past the lines skipped before.
            Error::BadRow {
                path,
                line,
                message,
            } => Error::BadRow {
                path,
                line: line + lines_before,
                message,
            },
            e => e,
        },
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
    fn rows_across_batches_keep_file_order_lines_and_the_first_lossy_row() {
        let mut data = b"A,B\n".to_vec();
        let n = 3 * BATCH + 5;
        for i in 0..n {
            match i {
                // A two-line field straddles the first batch's end.
                _ if i == BATCH - 1 => data.extend_from_slice(format!("{i},\"x\ny\"\n").as_bytes()),
                _ if i == 2 * BATCH + 1 => {
                    data.extend_from_slice(format!("{i},caf").as_bytes());
                    data.extend_from_slice(b"\xe9\n");
                }
                _ => data.extend_from_slice(format!("{i},x\n").as_bytes()),
            }
        }
        let mut report = ReadReport::default();
        let (_, rows) = read_table("t.csv", &data[..], 0, &mut report).unwrap();
        assert_eq!(rows.len(), n);
        for (i, (line, fields)) in rows.iter().enumerate() {
            assert_eq!(fields[0], i.to_string());
            let extra = u64::from(i >= BATCH);
            assert_eq!(*line, i as u64 + 2 + extra, "row {i}");
        }
        assert_eq!(report.lossy_rows, 1);
        assert_eq!(report.first_lossy.unwrap().line, 2 * BATCH as u64 + 1 + 3);
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
