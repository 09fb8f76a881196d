//! JSON Lines input: one JSON object per line, read through the same column logic as
//! [`super::table`] (the keys of the first object are the header).
//!
//! Owns only the conversion of a line into a record of strings; a line that is not a JSON
//! object is an error naming `path:line`. Blank lines are skipped.

use std::io::{BufRead, BufReader, Read};

use csv::{ByteRecord, Position};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Streams JSON objects as records in a fixed key order.
pub struct JsonlRows {
    name: String,
    lines: BufReader<Box<dyn Read + Send>>,
    line: u64,
    buf: Vec<u8>,
    /// Keys of the first object, in the order records are filled.
    pub header: Vec<String>,
    pending: Option<(u64, Map<String, Value>)>,
    /// The column every object must have (the text): one without it is a bad row, not an
    /// empty message.
    required: Option<usize>,
}

impl JsonlRows {
    /// Reads the first object to learn the keys.
    pub fn new(name: &str, lines: BufReader<Box<dyn Read + Send>>) -> Result<Self> {
        let mut rows = JsonlRows {
            name: name.into(),
            lines,
            line: 0,
            buf: Vec::new(),
            header: Vec::new(),
            pending: None,
            required: None,
        };
        match rows.next_object()? {
            Some((line, obj)) => {
                rows.header = obj.keys().cloned().collect();
                rows.pending = Some((line, obj));
                Ok(rows)
            }
            None => Err(Error::EmptyFile { path: name.into() }),
        }
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
        let next = match self.pending.take() {
            Some(p) => Some(p),
            None => self.next_object()?,
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
