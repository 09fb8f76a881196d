//! Tokenisation: one message's lower-cased tokens in one reused buffer.

/// Placeholders of long digit runs, by digit count (5..=12).
const NUM_TOKENS: [&str; 13] = [
    "", "", "", "", "", "_num5_", "_num6_", "_num7_", "_num8_", "_num9_", "_num10_", "_num11_",
    "_num12_",
];

/// The tokens of one message, lower-cased, in one buffer: `" tok1 tok2 … tokN "`.
///
/// Every token is preceded and followed by exactly one space, so a run of consecutive
/// tokens joined by spaces (a word n-gram) and a token padded with spaces (the input of its
/// character n-grams) are both plain slices of the buffer: nothing is allocated per token or
/// per n-gram, and the buffer is reused from message to message.
#[derive(Debug, Default)]
pub(super) struct Tokens {
    pub(super) buf: String,
    /// Byte range of each token in `buf`.
    pub(super) spans: Vec<(usize, usize)>,
    /// Start of the word being built, and its char and ASCII-digit counts.
    word_start: usize,
    word_chars: usize,
    word_digits: usize,
}

impl Tokens {
    pub(super) fn len(&self) -> usize {
        self.spans.len()
    }

    pub(super) fn token(&self, i: usize) -> &str {
        let (a, b) = self.spans[i];
        &self.buf[a..b]
    }

    pub(super) fn fill(&mut self, text: &str) {
        self.fill_parts(&[text]);
    }

    /// The tokens of `parts` read one after another, as if joined by whitespace: the same
    /// tokens as their concatenation with a newline between them, without building it.
    pub(super) fn fill_parts(&mut self, parts: &[&str]) {
        self.buf.clear();
        self.spans.clear();
        self.buf
            .reserve(parts.iter().map(|p| p.len()).sum::<usize>() + 2);
        self.buf.push(' ');
        for text in parts {
            self.push_text(text);
        }
    }

    /// Appends the whitespace-separated pieces of `text`.
    fn push_text(&mut self, text: &str) {
        let mut i = 0;
        while i < text.len() {
            let (ws, len) = whitespace_at(text, i);
            i = if ws {
                i + len
            } else {
                self.push_piece(text, i)
            };
        }
    }

    /// Tokenises the piece of `text` that starts at byte `start` (it runs to the next
    /// whitespace) in one pass, and returns where it ends. A URL or an e-mail address
    /// becomes a placeholder token.
    fn push_piece(&mut self, text: &str, start: usize) -> usize {
        let bytes = text.as_bytes();
        if looks_like_url(&bytes[start..]) {
            self.push_token("_url_");
            return piece_end(text, start);
        }
        let marks = (self.buf.len(), self.spans.len());
        let mut email_checked = false;
        self.begin_word();
        let mut i = start;
        while let Some(&byte) = bytes.get(i) {
            if byte.is_ascii_alphanumeric() {
                i = self.push_ascii_run(text, i);
            } else if byte < 0x80 {
                if ascii_whitespace(byte) {
                    break;
                }
                if byte == b'@' && !email_checked {
                    email_checked = true;
                    let end = piece_end(text, i);
                    if end - start > 5 && bytes[start..end].contains(&b'.') {
                        // An e-mail address: what was read of it gives way to the placeholder.
                        self.buf.truncate(marks.0);
                        self.spans.truncate(marks.1);
                        self.push_token("_email_");
                        return end;
                    }
                }
                i += 1;
                self.flush_word();
                if matches!(byte, b'$' | b'!' | b'%') {
                    self.push_token(if byte == b'$' {
                        "$"
                    } else if byte == b'!' {
                        "!"
                    } else {
                        "%"
                    });
                }
            } else {
                let ch = text[i..].chars().next().expect("char boundary");
                if ch.is_whitespace() {
                    break;
                }
                i += ch.len_utf8();
                self.push_char(ch);
            }
        }
        self.flush_word();
        i
    }

    /// Appends the run of ASCII letters and digits at byte `start`, lower-cased, to the word
    /// being built; returns where the run ends.
    fn push_ascii_run(&mut self, text: &str, start: usize) -> usize {
        let bytes = text.as_bytes();
        let (mut end, mut digits) = (start, 0);
        while let Some(&b) = bytes.get(end) {
            if b.is_ascii_digit() {
                digits += 1;
            } else if !b.is_ascii_alphabetic() {
                break;
            }
            end += 1;
        }
        let at = self.buf.len();
        self.buf.push_str(&text[start..end]);
        self.buf[at..].make_ascii_lowercase();
        self.word_chars += end - start;
        self.word_digits += digits;
        end
    }

    /// One non-ASCII, non-whitespace char: part of the word when alphanumeric (lower-cased),
    /// else the word ends there, `£` and `€` being tokens of their own.
    fn push_char(&mut self, ch: char) {
        if ch.is_alphanumeric() {
            for lower in ch.to_lowercase() {
                self.buf.push(lower);
                self.word_chars += 1;
                self.word_digits += usize::from(lower.is_ascii_digit());
            }
        } else {
            self.flush_word();
            if matches!(ch, '£' | '€') {
                let mut tmp = [0u8; 4];
                self.push_token(ch.encode_utf8(&mut tmp));
            }
        }
    }

    fn begin_word(&mut self) {
        self.word_start = self.buf.len();
        self.word_chars = 0;
        self.word_digits = 0;
    }

    /// Ends the word being built (if any) as a token, collapsing long digit runs.
    fn flush_word(&mut self) {
        if self.buf.len() > self.word_start {
            let digits = self.word_digits;
            if digits >= 5 && digits * 2 >= self.word_chars {
                self.buf.truncate(self.word_start);
                self.buf.push_str(NUM_TOKENS[digits.min(12)]);
            }
            self.spans.push((self.word_start, self.buf.len()));
            self.buf.push(' ');
        }
        self.begin_word();
    }

    fn push_token(&mut self, tok: &str) {
        let start = self.buf.len();
        self.buf.push_str(tok);
        self.spans.push((start, self.buf.len()));
        self.buf.push(' ');
        self.begin_word();
    }
}

/// Whether the char at byte `i` of `text` is whitespace (as `char::is_whitespace`), and its length.
#[inline]
fn whitespace_at(text: &str, i: usize) -> (bool, usize) {
    let b = text.as_bytes()[i];
    if b < 0x80 {
        (ascii_whitespace(b), 1)
    } else {
        let ch = text[i..].chars().next().expect("char boundary");
        (ch.is_whitespace(), ch.len_utf8())
    }
}

/// Whether an ASCII byte is whitespace (as `char::is_whitespace`).
#[inline]
fn ascii_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t'..=b'\r')
}

/// Where the piece of `text` holding byte `i` ends: at the next whitespace, or the end.
fn piece_end(text: &str, mut i: usize) -> usize {
    while i < text.len() {
        let (ws, len) = whitespace_at(text, i);
        if ws {
            break;
        }
        i += len;
    }
    i
}

/// Whether a piece starts (after any of `( < [ "`) with `http://`, `https://`, `www.` or
/// `HTTP`. None of these holds whitespace, so `b` may run on past the piece.
fn looks_like_url(b: &[u8]) -> bool {
    let skip = b
        .iter()
        .position(|c| !matches!(c, b'(' | b'<' | b'[' | b'"'))
        .unwrap_or(b.len());
    let rest = &b[skip..];
    matches!(rest.first(), Some(b'h' | b'w' | b'H'))
        && (rest.starts_with(b"http://")
            || rest.starts_with(b"https://")
            || rest.starts_with(b"www.")
            || rest.starts_with(b"HTTP"))
}
