//! JSON Lines input: one JSON object per line, read through the same column logic as
//! [`super::table`]. The header is every key of the first [`LOOK_AHEAD`] objects, in the order
//! they first appear, so a key that the first objects leave out is still read; a key first seen
//! after them is reported by [`JsonlRows::late_keys`].
//!
//! Owns only the conversion of a line into a record of strings; a line that is not a JSON
//! object is an error naming `path:line`. Blank lines are skipped.

use std::collections::{HashSet, VecDeque};
use std::io::{BufRead, BufReader, Read};

use csv::{ByteRecord, Position};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// How many objects are read ahead to learn the keys (fewer when they hold more than
/// [`LOOK_AHEAD_BYTES`]).
pub const LOOK_AHEAD: usize = 1000;

/// The most line bytes read ahead to learn the keys.
const LOOK_AHEAD_BYTES: usize = 8 << 20;

/// Streams JSON objects as records in a fixed key order.
pub struct JsonlRows {
    name: String,
    lines: BufReader<Box<dyn Read + Send>>,
    line: u64,
    buf: Vec<u8>,
    /// Keys of the objects read ahead, in the order they first appear: the order records are
    /// filled.
    pub header: Vec<String>,
    /// How many objects were read ahead to learn the keys.
    pub looked_ahead: usize,
    /// The objects read ahead and not yet returned, with their lines.
    pending: VecDeque<(u64, Map<String, Value>)>,
    /// Every key seen so far: the header's, then those first seen after the look-ahead (not
    /// read), so that each of those is told once.
    known: HashSet<String>,
    /// Keys first seen after the look-ahead since [`Self::late_keys`] was last called, with
    /// their lines.
    fresh_late: Vec<(String, u64)>,
    /// The column every object must have (the text): one without it is a bad row, not an
    /// empty message.
    required: Option<usize>,
}

impl JsonlRows {
    /// Reads the first objects ([`LOOK_AHEAD`] at most) to learn the keys.
    pub fn new(name: &str, lines: BufReader<Box<dyn Read + Send>>) -> Result<Self> {
        let mut rows = JsonlRows {
            name: name.into(),
            lines,
            line: 0,
            buf: Vec::new(),
            header: Vec::new(),
            pending: VecDeque::new(),
            looked_ahead: 0,
            known: HashSet::new(),
            fresh_late: Vec::new(),
            required: None,
        };
        let mut bytes = 0;
        while rows.pending.len() < LOOK_AHEAD && bytes < LOOK_AHEAD_BYTES {
            let Some(next) = rows.next_object()? else {
                break;
            };
            bytes += rows.buf.len();
            for key in next.1.keys() {
                if rows.known.insert(key.clone()) {
                    rows.header.push(key.clone());
                }
            }
            rows.pending.push_back(next);
        }
        if rows.pending.is_empty() {
            return Err(Error::EmptyFile { path: name.into() });
        }
        rows.looked_ahead = rows.pending.len();
        Ok(rows)
    }

    /// Keys first seen since the last call, each with the line of the object that first has
    /// it, in objects after the look-ahead: such keys are not in [`Self::header`], so they are
    /// not read.
    pub fn late_keys(&mut self) -> Vec<(String, u64)> {
        std::mem::take(&mut self.fresh_late)
    }

    fn next_object(&mut self) -> Result<Option<(u64, Map<String, Value>)>> {
        loop {
            self.buf.clear();
            let n = self
                .lines
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| Error::io(&self.name, e))?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            let text = String::from_utf8_lossy(&self.buf);
            let text = text.trim().trim_start_matches('\u{feff}');
            if text.is_empty() {
                continue;
            }
            return match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(obj)) => Ok(Some((self.line, obj))),
                Ok(_) => Err(self.bad("not a JSON object")),
                Err(e) => Err(self.bad(&format!("invalid JSON at column {}: {e}", e.column()))),
            };
        }
    }

    fn bad(&self, message: &str) -> Error {
        Error::BadRow {
            path: self.name.clone().into(),
            line: self.line,
            message: message.into(),
        }
    }

    /// Makes column `column` (of [`Self::header`]) required in every object.
    pub fn require(&mut self, column: usize) {
        self.required = Some(column);
    }

    /// Fills `record` with the next object's values in header order; `Ok(false)` at the end.
    /// An object without the required column is a [`Error::BadRow`] on its line.
    pub fn read_record(&mut self, record: &mut ByteRecord) -> Result<bool> {
        let next = match self.pending.pop_front() {
            Some(p) => Some(p),
            None => {
                let next = self.next_object()?;
                if let Some((line, obj)) = &next {
                    for key in obj.keys() {
                        if !self.known.contains(key) {
                            self.known.insert(key.clone());
                            self.fresh_late.push((key.clone(), *line));
                        }
                    }
                }
                next
            }
        };
        let Some((line, obj)) = next else {
            return Ok(false);
        };
        if let Some(key) = self.required.and_then(|c| self.header.get(c)) {
            let kind = match obj.get(key) {
                Some(Value::String(_)) => None,
                None => Some("missing"),
                Some(Value::Null) => Some("null"),
                Some(Value::Number(_)) => Some("a number"),
                Some(Value::Bool(_)) => Some("true or false"),
                Some(Value::Array(_)) => Some("an array"),
                Some(Value::Object(_)) => Some("an object"),
            };
            if let Some(kind) = kind {
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
        for key in &self.header {
            match obj.get(key) {
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
