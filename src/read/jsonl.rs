//! JSON Lines input: one JSON object per line, read through the same column logic as
//! [`super::table`]. The header is every key of the first [`LOOK_AHEAD`] lines' objects (keys
//! that differ only in case are one column, spelt as first seen), so a key that the first
//! objects leave out is still read; a key first seen after them is reported by
//! [`JsonlRows::late_keys`]. Once the columns are chosen, [`JsonlRows::narrow`] keeps only
//! those, so a row costs its own keys, however many keys the file has.
//!
//! Owns only the conversion of a line into a record of strings; a line that is not a JSON
//! object is an error naming `path:line`, whether or not it is among the lines read ahead.
//! Blank lines are skipped.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader, Read};

use csv::{ByteRecord, Position};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::read::{RunawayRow, MAX_ROW_BYTES};

/// How many lines are read ahead to learn the keys (fewer when they hold more than
/// [`LOOK_AHEAD_BYTES`]).
pub const LOOK_AHEAD: usize = 1000;

/// The most line bytes read ahead to learn the keys (they are held as text, not parsed).
const LOOK_AHEAD_BYTES: usize = 8 << 20;

/// Streams JSON objects as records in a fixed key order.
pub struct JsonlRows {
    name: String,
    lines: BufReader<Box<dyn Read + Send>>,
    line: u64,
    buf: Vec<u8>,
    /// The columns, in the order records are filled: the keys of the lines read ahead, as
    /// first spelt, until [`Self::narrow`] keeps the ones the reader uses.
    pub header: Vec<String>,
    /// Each column by its key in lower case.
    columns: HashMap<String, usize>,
    /// How many lines were read ahead to learn the keys.
    pub looked_ahead: usize,
    /// The lines read ahead and not yet returned, with their numbers, as text: parsed again
    /// when returned, so that the look-ahead holds no more than its bytes, and a bad line
    /// among them is a bad row on its line, as a later one is.
    pending: VecDeque<(u64, String)>,
    /// Every key seen so far, in lower case: those read ahead, then those first seen after
    /// (not read), so that each of those is told once.
    seen: HashSet<String>,
    /// Keys first seen after the look-ahead since [`Self::late_keys`] was last called, with
    /// their lines.
    fresh_late: Vec<(String, u64)>,
    /// The column every object must have (the text): one without it is a bad row, not an
    /// empty message.
    required: Option<usize>,
    /// A line ran on past [`MAX_ROW_BYTES`]: nothing more is read.
    stopped: bool,
    /// That line's error, met while reading ahead: returned after the lines before it.
    deferred: Option<Error>,
}

impl JsonlRows {
    /// Reads the first lines ([`LOOK_AHEAD`] at most) to learn the keys; an error only when
    /// none of them is an object (the first bad line's, or an empty file).
    pub fn new(name: &str, lines: BufReader<Box<dyn Read + Send>>) -> Result<Self> {
        let mut rows = JsonlRows {
            name: name.into(),
            lines,
            line: 0,
            buf: Vec::new(),
            header: Vec::new(),
            columns: HashMap::new(),
            looked_ahead: 0,
            pending: VecDeque::new(),
            seen: HashSet::new(),
            fresh_late: Vec::new(),
            required: None,
            stopped: false,
            deferred: None,
        };
        let (mut bytes, mut objects, mut first_bad) = (0, 0, None);
        while rows.pending.len() < LOOK_AHEAD && bytes < LOOK_AHEAD_BYTES {
            // A line that runs on past the row limit ends the look-ahead: the lines before it
            // are read, and it is reported in its turn.
            let next = match rows.next_line() {
                Err(e @ Error::BadRow { .. }) => {
                    rows.deferred = Some(e);
                    break;
                }
                next => next?,
            };
            let Some((line, text)) = next else {
                break;
            };
            bytes += text.len();
            match rows.parse(line, &text) {
                Ok(obj) => {
                    objects += 1;
                    for key in obj.keys() {
                        let folded = key.to_lowercase();
                        if rows.seen.insert(folded.clone()) {
                            rows.columns.insert(folded, rows.header.len());
                            rows.header.push(key.clone());
                        }
                    }
                }
                Err(e) => {
                    first_bad.get_or_insert(e);
                }
            }
            rows.pending.push_back((line, text));
        }
        if objects == 0 {
            let first = rows.deferred.take().or(first_bad);
            return Err(first.unwrap_or(Error::EmptyFile { path: name.into() }));
        }
        rows.looked_ahead = rows.pending.len();
        Ok(rows)
    }

    /// Keeps only the columns `keep` (indices into [`Self::header`], in order): records then
    /// have those fields alone, in that order.
    pub fn narrow(&mut self, keep: &[usize]) {
        self.header = keep.iter().map(|&i| self.header[i].clone()).collect();
        self.columns = (self.header.iter().enumerate())
            .map(|(i, key)| (key.to_lowercase(), i))
            .collect();
    }

    /// Keys first seen since the last call, each with the line of the object that first has
    /// it, in objects after the look-ahead: such keys are not in [`Self::header`], so they are
    /// not read.
    pub fn late_keys(&mut self) -> Vec<(String, u64)> {
        std::mem::take(&mut self.fresh_late)
    }

    /// The next non-blank line, trimmed and without a byte order mark, with its number.
    fn next_line(&mut self) -> Result<Option<(u64, String)>> {
        loop {
            if self.stopped {
                return Ok(None);
            }
            self.buf.clear();
            let n = (&mut self.lines)
                .take(MAX_ROW_BYTES + 1)
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| Error::io(&self.name, e))?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            if self.buf.len() as u64 > MAX_ROW_BYTES && self.buf.last() != Some(&b'\n') {
                // Its end may never come (`/dev/zero`): reading stops here.
                self.stopped = true;
                return Err(Error::BadRow {
                    path: self.name.as_str().into(),
                    line: self.line,
                    message: RunawayRow { line: self.line }.to_string(),
                });
            }
            let text = String::from_utf8_lossy(&self.buf);
            let text = text.trim().trim_start_matches('\u{feff}');
            if !text.is_empty() {
                return Ok(Some((self.line, text.to_string())));
            }
        }
    }

    /// Line `line`'s text as a JSON object.
    fn parse(&self, line: u64, text: &str) -> Result<Map<String, Value>> {
        let bad = |message: String| Error::BadRow {
            path: self.name.as_str().into(),
            line,
            message,
        };
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(obj)) => Ok(obj),
            Ok(_) => Err(bad("not a JSON object".into())),
            Err(e) => {
                // serde_json says where as "at line 1 column N": the line is the file's here.
                let what = e.to_string();
                let what = what.split(" at line ").next().unwrap_or(&what).to_string();
                Err(bad(format!(
                    "invalid JSON at column {}: {what}",
                    e.column()
                )))
            }
        }
    }

    /// The column of `key`, however its case is written.
    fn column(&self, key: &str) -> Option<usize> {
        match self.columns.get(key) {
            Some(&i) => Some(i),
            None if key.chars().any(char::is_uppercase) => {
                self.columns.get(&key.to_lowercase()).copied()
            }
            None => None,
        }
    }

    /// Notes the keys of an object after the look-ahead that no line read ahead had.
    fn note_late_keys(&mut self, line: u64, obj: &Map<String, Value>) {
        for key in obj.keys() {
            let known = self.seen.contains(key.as_str())
                || key.chars().any(char::is_uppercase) && self.seen.contains(&key.to_lowercase());
            if !known {
                self.seen.insert(key.to_lowercase());
                self.fresh_late.push((key.clone(), line));
            }
        }
    }

    /// Makes column `column` (of [`Self::header`]) required in every object.
    pub fn require(&mut self, column: usize) {
        self.required = Some(column);
    }

    /// Fills `record` with the next object's values in header order; `Ok(false)` at the end.
    /// A line that is not an object, or an object without the required column, is a
    /// [`Error::BadRow`] on its line. A key written in two cases in one object is read as the
    /// header spells it.
    pub fn read_record(&mut self, record: &mut ByteRecord) -> Result<bool> {
        let (line, obj) = match self.pending.pop_front() {
            Some((line, text)) => (line, self.parse(line, &text)?),
            None if self.deferred.is_some() => return Err(self.deferred.take().expect("some")),
            None => match self.next_line()? {
                Some((line, text)) => {
                    let obj = self.parse(line, &text)?;
                    self.note_late_keys(line, &obj);
                    (line, obj)
                }
                None => return Ok(false),
            },
        };
        let mut slots: Vec<Option<&Value>> = vec![None; self.header.len()];
        for (key, value) in &obj {
            if let Some(i) = self.column(key) {
                if slots[i].is_none() || self.header[i] == *key {
                    slots[i] = Some(value);
                }
            }
        }
        if let Some(c) = self.required.filter(|&c| c < slots.len()) {
            let kind = match slots[c] {
                Some(Value::String(_)) => None,
                None => Some("missing"),
                Some(Value::Null) => Some("null"),
                Some(Value::Number(_)) => Some("a number"),
                Some(Value::Bool(_)) => Some("true or false"),
                Some(Value::Array(_)) => Some("an array"),
                Some(Value::Object(_)) => Some("an object"),
            };
            if let Some(kind) = kind {
                let key = &self.header[c];
                return Err(Error::BadRow {
                    path: self.name.as_str().into(),
                    line,
                    message: match kind {
                        "missing" => format!("the object has no '{key}' field"),
                        _ => format!("the '{key}' field is {kind}, not text"),
                    },
                });
            }
        }
        record.clear();
        for slot in slots {
            match slot {
                None | Some(Value::Null) => record.push_field(b""),
                Some(Value::String(s)) => record.push_field(s.as_bytes()),
                Some(other) => record.push_field(other.to_string().as_bytes()),
            }
        }
        let mut pos = Position::new();
        pos.set_line(line);
        record.set_position(Some(pos));
        Ok(true)
    }
}

/// Whether a file looks like JSON Lines: its name ends `.jsonl`/`.ndjson`, or it starts with `{`.
pub fn looks_like_jsonl(name: &str, head: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".jsonl")
        || lower.ends_with(".ndjson")
        || head
            .iter()
            .find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF)
            == Some(&b'{')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &'static str) -> Result<JsonlRows> {
        JsonlRows::new("t.jsonl", BufReader::new(Box::new(text.as_bytes())))
    }

    /// Every record left, as its fields or its error.
    fn records(rows: &mut JsonlRows) -> Vec<std::result::Result<Vec<String>, String>> {
        let mut out = Vec::new();
        let mut record = ByteRecord::new();
        loop {
            match rows.read_record(&mut record) {
                Ok(false) => return out,
                Ok(true) => out.push(Ok(record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect())),
                Err(e) => out.push(Err(e.to_string())),
            }
        }
    }

    #[test]
    fn keys_are_learnt_from_every_line_read_ahead_and_one_key_in_two_cases_is_one_column() {
        let mut r = rows(
            "{\"text\":\"a\"}\n{\"Text\":\"b\",\"id\":\"2\"}\n{\"ID\":\"3\",\"TEXT\":\"c\"}\n",
        )
        .unwrap();
        assert_eq!(r.header, ["text", "id"]);
        let got = records(&mut r);
        let want: Vec<std::result::Result<Vec<String>, String>> = vec![
            Ok(vec!["a".into(), "".into()]),
            Ok(vec!["b".into(), "2".into()]),
            Ok(vec!["c".into(), "3".into()]),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn a_bad_line_among_those_read_ahead_is_a_bad_row_on_its_line() {
        let mut r = rows("{\"text\":\"a\"}\n{bad\n[1]\n{\"text\":\"d\"}\n").unwrap();
        let got = records(&mut r);
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(got[0], Ok(vec!["a".to_string()]));
        assert!(
            got[1]
                .as_ref()
                .unwrap_err()
                .ends_with("t.jsonl:2: invalid JSON at column 2: key must be a string"),
            "{got:?}"
        );
        assert!(got[2]
            .as_ref()
            .unwrap_err()
            .contains("t.jsonl:3: not a JSON object"));
        assert_eq!(got[3], Ok(vec!["d".to_string()]));
        // With no object at all, the first bad line is the file's error.
        let err = rows("\n[1]\n{bad\n").err().expect("no object");
        assert!(
            err.to_string().contains("t.jsonl:2: not a JSON object"),
            "{err}"
        );
    }

    #[test]
    fn a_narrowed_reader_fills_only_the_columns_kept() {
        let mut r =
            rows("{\"a\":1,\"b\":2,\"text\":\"x\",\"z\":[1]}\n{\"text\":\"y\",\"b\":3}\n").unwrap();
        assert_eq!(r.header, ["a", "b", "text", "z"]);
        r.narrow(&[1, 2]);
        assert_eq!(r.header, ["b", "text"]);
        let got = records(&mut r);
        assert_eq!(
            got,
            vec![
                Ok(vec!["2".into(), "x".into()]),
                Ok(vec!["3".into(), "y".into()])
            ]
        );
    }
}
