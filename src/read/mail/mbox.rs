//! Splitting an mbox stream into messages, one at a time, without holding the file in memory.
//!
//! A message starts at a `From ` separator line. The first line of the stream is a separator
//! whenever it starts with `From `; later ones must follow an empty line, look like a real
//! `From_` line (`From <sender> … hh:mm …`) and either carry a whole date (month, day, time
//! and year, as every writer puts there) or be followed by a header block: a header that opens
//! stored messages (`Return-Path:`, `Received:`, `X-…:` and the like), or any `Name: value`
//! line followed by another header line or a folded continuation. So a body paragraph
//! beginning "From home recordings to …" (SpamAssassin `hard-ham-1/00108`) or "From me at
//! 10:00 …\nNote: …" does not split a message in two. Line
//! endings may be LF or CRLF. One level of mboxrd quoting is removed (`>From ` → `From `,
//! `>>From ` → `>From `). Each message keeps at most [`MAX_MESSAGE_BYTES`]; the rest of an
//! oversized message (a huge attachment) is read and thrown away, and so is the rest of an
//! over-long line.

use std::io::{self, BufRead};

use regex::bytes::Regex;

/// The most bytes kept of one message (64 MiB); the rest is skipped.
pub(super) const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// One message cut out of an mbox stream.
#[derive(Debug, Default)]
pub(super) struct RawMail {
    /// 1-based line of the `From ` separator (1 for text before the first separator).
    pub line: u64,
    /// The message bytes after the separator line, unquoted.
    pub bytes: Vec<u8>,
    /// True when the message was longer than [`MAX_MESSAGE_BYTES`] and was cut.
    pub truncated: bool,
}

/// An iterator over the messages of an mbox stream.
pub(super) struct MboxSplitter<R> {
    reader: R,
    /// The message being filled, once its start has been seen.
    current: Option<RawMail>,
    line_no: u64,
    previous_blank: bool,
    limit: usize,
    separator: Regex,
    /// The date a `From_` line carries: month, day, time, year.
    dated: Regex,
    line: Vec<u8>,
    /// A `From_` line that starts a message if a header block follows, and its line number.
    candidate: Option<(Vec<u8>, u64)>,
    /// The header line after `candidate` that is not one that opens a message: the candidate
    /// starts one if the next line is a header too.
    pending: Option<Vec<u8>>,
    done: bool,
}

impl<R: BufRead> MboxSplitter<R> {
    /// Splits `reader`, keeping at most [`MAX_MESSAGE_BYTES`] of each message.
    pub(super) fn new(reader: R) -> Self {
        Self::with_limit(reader, MAX_MESSAGE_BYTES)
    }

    /// Splits `reader`, keeping at most `limit` bytes of each message (tests use small limits).
    pub(super) fn with_limit(reader: R, limit: usize) -> Self {
        MboxSplitter {
            reader,
            current: None,
            line_no: 0,
            previous_blank: true,
            limit,
            // A From_ line names a sender and carries a time of day (every writer puts the
            // asctime-like date there: classic, Thunderbird `From - …`, Takeout `… +0000 2020`).
            separator: Regex::new(r"^From \S+\s.*\d{1,2}:\d{2}").expect("valid regex"),
            dated: Regex::new(
                r"(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+\d{1,2}\s.*\d{1,2}:\d{2}.*\b\d{4}\b",
            )
            .expect("valid regex"),
            line: Vec::with_capacity(256),
            candidate: None,
            pending: None,
            done: false,
        }
    }

    fn is_separator(&self) -> bool {
        if !self.line.starts_with(b"From ") || !self.previous_blank {
            return false;
        }
        self.line_no == 1 || self.separator.is_match(&self.line)
    }

    /// Adds the current line to the message being built, unquoting `>From `.
    fn append_line(&mut self) {
        append(&mut self.current, self.limit, &self.line);
    }

    /// Reads the current line: the start of a message, or a line of the one being built.
    /// Returns the message it ends, if any.
    fn take_line(&mut self) -> Option<RawMail> {
        if let Some((candidate, line)) = self.candidate.take() {
            let pending = self.pending.take();
            let starts = match &pending {
                None => opens_a_message(&self.line),
                Some(_) => is_header(&self.line) || is_continuation(&self.line),
            };
            if starts {
                let finished = self.current.replace(RawMail {
                    line,
                    ..RawMail::default()
                });
                if let Some(header) = pending {
                    append(&mut self.current, self.limit, &header);
                }
                self.append_line();
                return finished;
            }
            if pending.is_none() && is_header(&self.line) {
                // One header line proves nothing yet (`Note: …`): the next line decides.
                self.candidate = Some((candidate, line));
                self.pending = Some(self.line.clone());
                return None;
            }
            append(&mut self.current, self.limit, &candidate);
            if let Some(header) = pending {
                append(&mut self.current, self.limit, &header);
            }
        }
        if self.is_separator() {
            if self.line_no == 1 || self.dated.is_match(&self.line) {
                return self.current.replace(RawMail {
                    line: self.line_no,
                    ..RawMail::default()
                });
            }
            self.candidate = Some((self.line.clone(), self.line_no));
        } else {
            self.append_line();
        }
        None
    }
}

/// Adds `line` to the message being built (starting one when there is none), unquoting
/// `>From `.
fn append(current: &mut Option<RawMail>, limit: usize, line: &[u8]) {
    if current.is_none() && is_blank(line) {
        return; // blank lines before the first message belong to no message
    }
    let start = usize::from(is_quoted_from(line));
    let message = current.get_or_insert_with(|| RawMail {
        line: 1,
        ..RawMail::default()
    });
    let room = limit.saturating_sub(message.bytes.len());
    let line = &line[start..];
    if line.len() > room {
        message.truncated = true;
    }
    message
        .bytes
        .extend_from_slice(&line[..line.len().min(room)]);
}

/// Whether a line is a header field: `Name: value`, a name of printable ASCII other than
/// `:`, then `:` and a space, a tab or the end of the line. A URL (`https://…`) is not.
fn is_header(line: &[u8]) -> bool {
    header_name(line).is_some()
}

/// The name of a header field line (see [`is_header`]).
fn header_name(line: &[u8]) -> Option<&[u8]> {
    let name = line
        .iter()
        .take_while(|&&b| b.is_ascii_graphic() && b != b':')
        .count();
    let is_header = name > 0
        && line.get(name) == Some(&b':')
        && matches!(
            line.get(name + 1),
            None | Some(b' ' | b'\t' | b'\r' | b'\n')
        );
    is_header.then(|| &line[..name])
}

/// A folded header's continuation: white space, then something.
fn is_continuation(line: &[u8]) -> bool {
    matches!(line.first(), Some(b' ' | b'\t')) && !line.iter().all(u8::is_ascii_whitespace)
}

/// Whether a line is a header field that mail writers put first in a stored message, as
/// after a `From_` separator: a trace or envelope field, an `X-`, `ARC-`, `Resent-` or
/// `List-` field, or one of the usual message fields. A body line such as `Note: …` or
/// `PS: …` is not one.
fn opens_a_message(line: &[u8]) -> bool {
    /// Fields a stored message starts with (lower case), beside the prefixed ones.
    const FIRST_FIELDS: [&str; 36] = [
        "return-path",
        "received",
        "delivered-to",
        "delivery-date",
        "envelope-to",
        "envelope-from",
        "old-return-path",
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "reply-to",
        "sender",
        "in-reply-to",
        "references",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "content-class",
        "status",
        "authentication-results",
        "dkim-signature",
        "domainkey-signature",
        "received-spf",
        "precedence",
        "user-agent",
        "thread-topic",
        "thread-index",
        "importance",
        "organization",
        "path",
        "newsgroups",
        "xref",
    ];
    let Some(name) = header_name(line) else {
        return false;
    };
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    ["x-", "arc-", "resent-", "list-"]
        .iter()
        .any(|p| name.starts_with(p))
        || FIRST_FIELDS.contains(&name.as_str())
}

impl<R: BufRead> Iterator for MboxSplitter<R> {
    type Item = io::Result<RawMail>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            match read_line_capped(&mut self.reader, &mut self.line, self.limit) {
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Ok(0) => {
                    self.done = true;
                    // A From_ line at the very end starts no message.
                    if let Some((candidate, _)) = self.candidate.take() {
                        append(&mut self.current, self.limit, &candidate);
                    }
                    if let Some(header) = self.pending.take() {
                        append(&mut self.current, self.limit, &header);
                    }
                }
                Ok(_) => {
                    self.line_no += 1;
                    let finished = self.take_line();
                    self.previous_blank = is_blank(&self.line);
                    if finished.is_some() {
                        return finished.map(Ok);
                    }
                }
            }
        }
        self.current.take().map(Ok)
    }
}

/// True for `>From `, `>>From `, …: mboxrd quoting, of which one `>` is removed.
fn is_quoted_from(line: &[u8]) -> bool {
    let quotes = line.iter().take_while(|&&b| b == b'>').count();
    quotes > 0 && line[quotes..].starts_with(b"From ")
}

fn is_blank(line: &[u8]) -> bool {
    matches!(line, b"\n" | b"\r\n")
}

/// Reads one line (with its `\n`) into `out`, keeping at most `limit` bytes of it; returns the
/// bytes consumed (0 at the end of the stream).
fn read_line_capped<R: BufRead>(
    reader: &mut R,
    out: &mut Vec<u8>,
    limit: usize,
) -> io::Result<usize> {
    out.clear();
    let mut consumed = 0;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(consumed);
        }
        let (take, found) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = limit.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..take.min(room)]);
        reader.consume(take);
        consumed += take;
        if found {
            return Ok(consumed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &[u8], limit: usize) -> Vec<RawMail> {
        MboxSplitter::with_limit(text, limit)
            .collect::<io::Result<_>>()
            .unwrap()
    }

    #[test]
    fn every_line_is_a_separator_or_kept_in_order_whatever_the_mix() {
        // Random streams of the lines that steer the splitter; what comes out, joined, must be
        // the input without its separator lines, its leading blank lines and one level of
        // `>From ` quoting: no line lost, none moved.
        const LINES: [&str; 14] = [
            "From a@b Sat Jan  3 01:05:34 1996\n",
            "From s@x Fri, 3 Jan 2020 12:34:56 +0000\n",
            "From me at 10:00 today\n",
            "From here on\n",
            "Return-Path: <a@b>\n",
            "Priority: high\n",
            "Note: bring the slides\n",
            " folded\n",
            "\n",
            "\n",
            "body text\n",
            ">From quoted 10:00\n",
            "https://zoom.us/j/1\n",
            "Subject: hi\r\n",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..1000 {
            let mut lines: Vec<&str> = Vec::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            for _ in 0..(state % 24) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                lines.push(LINES[(state % LINES.len() as u64) as usize]);
            }
            let input = lines.concat();
            let mails = split(input.as_bytes(), 1 << 20);
            let separators: Vec<u64> = mails
                .iter()
                .map(|m| m.line)
                .filter(|&n| lines[n as usize - 1].starts_with("From "))
                .collect();
            // Blank lines belong to no message until one starts (a separator or text).
            let (mut want, mut started) = (String::new(), false);
            for (i, line) in lines.iter().enumerate() {
                if separators.contains(&(i as u64 + 1)) {
                    started = true;
                    continue;
                }
                if !started && *line == "\n" {
                    continue;
                }
                started = true;
                let unquoted = line.strip_prefix('>').filter(|l| l.starts_with("From "));
                want.push_str(unquoted.unwrap_or(line));
            }
            let got: Vec<u8> = mails.iter().flat_map(|m| m.bytes.iter().copied()).collect();
            assert_eq!(String::from_utf8_lossy(&got), want, "input:\n{input}");
            assert!(
                mails.windows(2).all(|w| w[0].line < w[1].line),
                "input:\n{input}"
            );
        }
    }

    #[test]
    fn splits_only_on_from_lines_after_a_blank_line() {
        let mbox = b"From a@b Sat Jan  3 01:05:34 1996\r\nSubject: one\r\n\r\nFrom here on\r\n\r\nFrom b@c Sat Jan  3 01:05:35 1996\r\nSubject: two\r\n";
        let mails = split(mbox, 1 << 20);
        assert_eq!(mails.len(), 2);
        assert_eq!(mails[0].line, 1);
        assert_eq!(mails[1].line, 6);
        assert!(mails[0].bytes.ends_with(b"From here on\r\n\r\n"));
        assert_eq!(mails[1].bytes, b"Subject: two\r\n");
    }

    #[test]
    fn a_from_line_in_a_body_that_no_header_follows_splits_nothing() {
        let mbox = b"From a@b Sat Jan  3 01:05:34 1996\nSubject: one\n\nHi,\n\nFrom me at 10:00 we start.\nhttps://zoom.us/j/1\n\nFrom - Mon 10:00\nX-GM-THRID: 1\nSubject: two\n\nFrom x Mon 9:00\n\nFrom c@d Tue Jan 15  15:30:00  2018\nno headers\n";
        let mails = split(mbox, 1 << 20);
        assert_eq!(mails.len(), 3);
        assert!(mails[0]
            .bytes
            .ends_with(b"\n\nFrom me at 10:00 we start.\nhttps://zoom.us/j/1\n\n"));
        assert_eq!(mails[1].line, 9);
        assert_eq!(
            mails[1].bytes,
            b"X-GM-THRID: 1\nSubject: two\n\nFrom x Mon 9:00\n\n"
        );
        assert_eq!(mails[2].bytes, b"no headers\n");
    }

    #[test]
    fn a_body_line_that_only_looks_like_a_header_after_an_undated_from_line_splits_nothing() {
        let mbox = b"From a@b Sat Jan  3 01:05:34 1996\nSubject: one\n\nHi,\n\nFrom me at 10:00 today.\nNote: bring the slides\n\nFrom me at 11:00\nPS: and coffee\n\nFrom - Mon 10:00\nReturn-Path: <c@d>\nSubject: two\n\nFrom b 9:00\nreceived: by x\n";
        let mails = split(mbox, 1 << 20);
        assert_eq!(mails.len(), 3);
        assert!(mails[0].bytes.ends_with(
            b"\n\nFrom me at 10:00 today.\nNote: bring the slides\n\nFrom me at 11:00\nPS: and coffee\n\n"
        ));
        assert_eq!(mails[1].line, 12);
        assert_eq!(mails[1].bytes, b"Return-Path: <c@d>\nSubject: two\n\n");
        assert_eq!(mails[2].line, 16);
        assert_eq!(mails[2].bytes, b"received: by x\n");
    }

    #[test]
    fn after_an_undated_from_line_any_two_header_lines_start_a_message() {
        let mbox = b"From a@b Sat Jan  3 01:05:34 1996\nSubject: one\n\nbody one\n\nFrom s@x Fri, 3 Jan 2020 12:34:56 +0000\nPriority: urgent\nComments: two\n\nbody two\n\nFrom s@x Fri, 3 Jan 2020 12:35:00 +0000\nKeywords: a,\n b\n\nbody three\n\nFrom me at 10:00\nTodo: slides\nand coffee\n\nFrom me at 11:00\nTodo: the end\n";
        let mails = split(mbox, 1 << 20);
        assert_eq!(
            mails.len(),
            3,
            "{:?}",
            mails
                .iter()
                .map(|m| String::from_utf8_lossy(&m.bytes))
                .collect::<Vec<_>>()
        );
        assert_eq!(mails[1].line, 6);
        assert_eq!(
            mails[1].bytes,
            b"Priority: urgent\nComments: two\n\nbody two\n\n"
        );
        assert_eq!(mails[2].line, 12);
        assert!(mails[2].bytes.starts_with(b"Keywords: a,\n b\n"));
        // Two body paragraphs that only look like a From_ line and one header: no split, and
        // every line kept in order (the last at the very end of the stream).
        assert!(mails[2].bytes.ends_with(
            b"body three\n\nFrom me at 10:00\nTodo: slides\nand coffee\n\nFrom me at 11:00\nTodo: the end\n"
        ));
    }

    #[test]
    fn the_headers_that_open_a_message_are_trace_envelope_and_message_fields() {
        for (line, opens) in [
            (&b"Return-Path: <a@b>\n"[..], true),
            (b"X-GM-THRID: 1\r\n", true),
            (b"ARC-Seal: i=1\n", true),
            (b"Resent-From: a@b\n", true),
            (b"DKIM-Signature: v=1\n", true),
            (b"Subject:\n", true),
            (b"Delivery-date: Fri, 03 Jan 2020\n", true),
            (b"List-Unsubscribe: <mailto:x>\n", true),
            (b"Note: bring the slides\n", false),
            (b"PS: and coffee\n", false),
            (b"https://zoom.us/j/1\n", false),
            (b"Subject:x\n", false),
            (b": value\n", false),
            (b"Agenda\n", false),
        ] {
            assert_eq!(
                opens_a_message(line),
                opens,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn keeps_text_before_the_first_separator_as_a_message() {
        let mails = split(b"Subject: x\n\nbody\n", 1 << 20);
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].line, 1);
        assert_eq!(mails[0].bytes, b"Subject: x\n\nbody\n");
    }

    #[test]
    fn caps_each_message_and_each_line() {
        let mut mbox = b"From a@b Sat Jan  3 01:05:34 1996\nSubject: big\n\n".to_vec();
        mbox.extend(std::iter::repeat_n(b'x', 10_000));
        mbox.extend_from_slice(b"\n\nFrom b@c Sat Jan  3 01:05:35 1996\nSubject: small\n");
        let mails = split(&mbox, 100);
        assert_eq!(mails.len(), 2);
        assert_eq!(mails[0].bytes.len(), 100);
        assert!(mails[0].truncated);
        assert!(!mails[1].truncated);
        assert_eq!(mails[1].bytes, b"Subject: small\n");
    }
}
