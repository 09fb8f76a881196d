//! Text features: words, word pairs and character n-grams, hashed into a fixed width.
//!
//! Hashing keeps memory bounded whatever the vocabulary: a model holds at most
//! `2^hash_bits` weights per class, and a message's vector holds only its own n-grams.
//! Values are sublinear term frequencies (1 + ln count); [`crate::model`] applies the
//! learned inverse document frequencies and the L2 normalisation. This module owns
//! tokenisation and hashing; it knows nothing about labels or weights.

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// How text becomes hashed n-gram counts; saved in the model so scoring rebuilds the same features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextSpec {
    /// Width of the hashed space, as a power of two (default 18: 262,144 buckets).
    pub hash_bits: u32,
    /// Longest word n-gram (default 2: words and word pairs).
    pub word_ngrams: usize,
    /// Shortest and longest character n-gram inside word boundaries (default 2..=5).
    pub char_ngrams: (usize, usize),
    /// Characters of each message that feed character n-grams (default 3,000), bounding the
    /// cost of long mail while keeping the subject and opening.
    pub char_limit: usize,
}

impl Default for TextSpec {
    fn default() -> Self {
        TextSpec {
            hash_bits: 18,
            word_ngrams: 2,
            char_ngrams: (2, 5),
            char_limit: 3_000,
        }
    }
}

/// One n-gram occurrence before hashing, kept for explanations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GramKind {
    /// A word or run of words.
    Word,
    /// Characters inside one word.
    Char,
}

const WORD_SEED: u64 = 0x5eed_0001;
const CHAR_SEED: u64 = 0x5eed_0002;

/// Lower-cased tokens of `text`: runs of letters and digits, plus `$ £ € ! %` as tokens of their own.
/// URLs, e-mail addresses and long digit runs collapse to placeholder tokens so that their
/// presence, not their exact value, is learned.
pub fn tokens(text: &str) -> Vec<String> {
    let mut toks = Tokens::default();
    toks.fill(text);
    (0..toks.len()).map(|i| toks.token(i).to_string()).collect()
}

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
struct Tokens {
    buf: String,
    /// Byte range of each token in `buf`.
    spans: Vec<(usize, usize)>,
    /// Start of the word being built, and its char and ASCII-digit counts.
    word_start: usize,
    word_chars: usize,
    word_digits: usize,
}

impl Tokens {
    fn len(&self) -> usize {
        self.spans.len()
    }

    fn token(&self, i: usize) -> &str {
        let (a, b) = self.spans[i];
        &self.buf[a..b]
    }

    fn fill(&mut self, text: &str) {
        self.fill_parts(&[text]);
    }

    /// The tokens of `parts` read one after another, as if joined by whitespace: the same
    /// tokens as their concatenation with a newline between them, without building it.
    fn fill_parts(&mut self, parts: &[&str]) {
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
        self.buf
            .extend(text[start..end].chars().map(|c| c.to_ascii_lowercase()));
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

/// Reused per-thread buffers, so hashing a message allocates nothing but its result.
#[derive(Debug, Default)]
struct Scratch {
    tokens: Tokens,
    /// Byte offsets of the chars of a padded token, plus its end.
    bounds: Vec<usize>,
    /// A padded token cut short by the char limit.
    cut: String,
    buckets: Vec<u32>,
    distinct: Vec<u32>,
    sorted: Vec<u32>,
    bins: Vec<u32>,
    /// Dense per-bucket counts, all zero between messages.
    table: Vec<u16>,
    /// Occurrences beyond `u16::MAX` of the buckets saturated in `table` ([`count_grams`]).
    overflow: Vec<(u32, usize)>,
    /// Character n-gram buckets of recent tokens ([`count_grams`]).
    gram_cache: GramCache,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Scratch> = std::cell::Cell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch buffers (fresh ones if `f` re-enters).
fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    let mut scratch = SCRATCH.with(|s| s.take());
    let out = f(&mut scratch);
    SCRATCH.with(|s| s.set(scratch));
    out
}

/// Calls `visit(bucket, kind, gram)` for every word n-gram and character n-gram of `text`.
pub fn for_each_gram(spec: &TextSpec, text: &str, mut visit: impl FnMut(u32, GramKind, &str)) {
    with_scratch(|s| {
        s.tokens.fill(text);
        word_grams(spec, &s.tokens, &mut visit);
        char_grams(spec, &s.tokens, &mut s.bounds, &mut s.cut, &mut visit);
    })
}

/// The hashed n-gram counts of one text, held in this thread's dense table while in use:
/// nothing is sorted and, once the buffers have grown, nothing is allocated.
pub struct GramCounts<'a> {
    spec: &'a TextSpec,
    tokens: &'a Tokens,
    distinct: &'a [u32],
    table: &'a [u16],
    overflow: &'a [(u32, usize)],
}

impl<'a> GramCounts<'a> {
    /// The distinct buckets of the text, in the order first seen.
    pub fn buckets(&self) -> &[u32] {
        self.distinct
    }

    /// How many n-grams of the text fall in `bucket`.
    pub fn count(&self, bucket: u32) -> usize {
        match self.table[bucket as usize] {
            u16::MAX => {
                let extra = self.overflow.iter().find(|&&(b, _)| b == bucket);
                usize::from(u16::MAX) + extra.map_or(0, |&(_, n)| n)
            }
            c => usize::from(c),
        }
    }

    /// `1 + ln count` of `bucket`: the value [`hashed_counts`] gives it.
    pub fn tf(&self, bucket: u32) -> f32 {
        sublinear_tf(self.count(bucket))
    }

    /// Calls `visit(bucket, gram)` for every word n-gram of the text, in order.
    pub fn for_each_word_gram(&self, mut visit: impl FnMut(u32, &'a str)) {
        word_grams(self.spec, self.tokens, &mut |bucket, _, gram| {
            visit(bucket, gram)
        });
    }
}

/// Counts the n-grams of `parts`, read one after another as if joined by a newline (as
/// [`crate::features::full_text`] joins subject and body), and runs `f` on the counts.
/// The counts live in a per-thread table of `2^hash_bits` `u16`s, cleared again afterwards.
pub fn with_gram_counts<R>(
    spec: &TextSpec,
    parts: &[&str],
    f: impl FnOnce(&GramCounts<'_>) -> R,
) -> R {
    with_scratch(|s| {
        s.tokens.fill_parts(parts);
        count_grams(spec, s);
        let out = f(&GramCounts {
            spec,
            tokens: &s.tokens,
            distinct: &s.distinct,
            table: &s.table,
            overflow: &s.overflow,
        });
        for &b in &s.distinct {
            s.table[b as usize] = 0;
        }
        out
    })
}

/// Counts every n-gram of `s.tokens` in `s.table`, listing each bucket when first seen.
fn count_grams(spec: &TextSpec, s: &mut Scratch) {
    let size = 1usize << spec.hash_bits;
    if s.table.len() != size {
        s.table = vec![0u16; size];
    }
    let Scratch {
        tokens,
        bounds,
        cut,
        buckets,
        distinct,
        table,
        overflow,
        gram_cache,
        ..
    } = s;
    // Hash first, count after: the counting loop then has no branch on what it loads, so
    // the cache misses of many buckets overlap instead of stalling one by one.
    buckets.clear();
    word_grams(spec, tokens, &mut |bucket, _, _| buckets.push(bucket));
    char_buckets_cached(spec, tokens, bounds, cut, gram_cache, buckets);
    distinct.clear();
    distinct.resize(buckets.len(), 0);
    overflow.clear();
    let mut seen = 0;
    for &bucket in buckets.iter() {
        let c = &mut table[bucket as usize];
        distinct[seen] = bucket;
        seen += usize::from(*c == 0);
        if *c == u16::MAX {
            match overflow.iter_mut().find(|(b, _)| *b == bucket) {
                Some((_, n)) => *n += 1,
                None => overflow.push((bucket, 1)),
            }
        } else {
            *c += 1;
        }
    }
    distinct.truncate(seen);
}

#[inline]
fn bucket(gram: &str, seed: u64, mask: u64) -> u32 {
    (xxh3_64_with_seed(gram.as_bytes(), seed) & mask) as u32
}

fn bucket_mask(spec: &TextSpec) -> u64 {
    (1u64 << spec.hash_bits) - 1
}

/// Word n-grams: tokens are separated by single spaces, so `start..end` is the joined gram.
fn word_grams<'t>(
    spec: &TextSpec,
    tokens: &'t Tokens,
    visit: &mut impl FnMut(u32, GramKind, &'t str),
) {
    let mask = bucket_mask(spec);
    let (buf, spans) = (tokens.buf.as_str(), tokens.spans.as_slice());
    for first in 0..spans.len() {
        let a = spans[first].0;
        for &(_, b) in spans[first..].iter().take(spec.word_ngrams) {
            let gram = &buf[a..b];
            visit(bucket(gram, WORD_SEED, mask), GramKind::Word, gram);
        }
    }
}

/// Character n-grams of each token padded with spaces, over the first `char_limit` chars.
fn char_grams(
    spec: &TextSpec,
    tokens: &Tokens,
    bounds: &mut Vec<usize>,
    cut: &mut String,
    visit: &mut impl FnMut(u32, GramKind, &str),
) {
    let mask = bucket_mask(spec);
    for_each_padded(spec, tokens, cut, |padded, ascii, _| {
        padded_grams(spec, mask, padded, ascii, bounds, visit)
    });
}

/// The buckets of [`char_grams`], appended to `out`, those of a token seen lately copied
/// from `cache` instead of hashed again.
fn char_buckets_cached(
    spec: &TextSpec,
    tokens: &Tokens,
    bounds: &mut Vec<usize>,
    cut: &mut String,
    cache: &mut GramCache,
    out: &mut Vec<u32>,
) {
    let mask = bucket_mask(spec);
    cache.prepare(spec);
    for_each_padded(spec, tokens, cut, |padded, ascii, whole| {
        let mut hash = |out: &mut Vec<u32>| {
            padded_grams(spec, mask, padded, ascii, bounds, &mut |b, _, _| {
                out.push(b)
            })
        };
        if whole {
            cache.extend(padded, out, hash);
        } else {
            hash(out);
        }
    });
}

/// Calls `visit(padded, ascii, whole)` for each token whose character n-grams are taken: the
/// token with a space on both sides, cut to the chars left of `char_limit` (then `whole` is
/// false), and whether it is ASCII.
fn for_each_padded(
    spec: &TextSpec,
    tokens: &Tokens,
    cut: &mut String,
    mut visit: impl FnMut(&str, bool, bool),
) {
    let (buf, spans) = (tokens.buf.as_str(), tokens.spans.as_slice());
    if spec.char_ngrams.1 == 0 {
        return;
    }
    let mut budget = spec.char_limit;
    for &(a, b) in spans {
        if budget == 0 {
            break;
        }
        let tok = &buf[a..b];
        let ascii = tok.is_ascii();
        let chars = if ascii {
            tok.len()
        } else {
            tok.chars().count()
        };
        if chars <= budget {
            visit(&buf[a - 1..b + 1], ascii, true);
        } else {
            cut.clear();
            cut.push(' ');
            cut.extend(tok.chars().take(budget));
            cut.push(' ');
            visit(cut, ascii, false);
        }
        budget = budget.saturating_sub(tok.len() + 1);
    }
}

/// Calls `visit` for every character n-gram of one padded token.
fn padded_grams(
    spec: &TextSpec,
    mask: u64,
    padded: &str,
    ascii: bool,
    bounds: &mut Vec<usize>,
    visit: &mut impl FnMut(u32, GramKind, &str),
) {
    let (lo, hi) = spec.char_ngrams;
    if ascii {
        let bytes_len = padded.len();
        for n in lo..=hi {
            if n > bytes_len {
                break;
            }
            assert!(n != 0, "window size must be non-zero");
            for j in 0..=bytes_len - n {
                let gram = &padded[j..j + n];
                visit(bucket(gram, CHAR_SEED, mask), GramKind::Char, gram);
            }
        }
    } else {
        bounds.clear();
        bounds.extend(padded.char_indices().map(|(i, _)| i));
        bounds.push(padded.len());
        let nchars = bounds.len() - 1;
        for n in lo..=hi {
            if n > nchars {
                break;
            }
            assert!(n != 0, "window size must be non-zero");
            for j in 0..=nchars - n {
                let gram = &padded[bounds[j]..bounds[j + n]];
                visit(bucket(gram, CHAR_SEED, mask), GramKind::Char, gram);
            }
        }
    }
}

/// Slots of the [`GramCache`] (a power of two).
const CACHE_SLOTS: usize = 4096;
/// Longest padded token the [`GramCache`] keeps, in bytes.
const CACHE_TOKEN_BYTES: usize = 32;
/// Buckets the [`GramCache`] holds before it starts over (512 KB).
const CACHE_BUCKETS: usize = 1 << 17;

/// The character n-gram buckets of recently seen tokens, by token: most words of a message
/// were seen before, and copying their buckets costs one hash instead of one per n-gram.
#[derive(Debug, Default)]
struct GramCache {
    /// What the buckets were hashed with: hash bits and n-gram sizes.
    spec: (u32, usize, usize),
    /// One token per slot, chosen by the token's hash.
    slots: Vec<CacheSlot>,
    /// The slots' padded tokens, one after another.
    text: Vec<u8>,
    /// The slots' buckets, one after another.
    buckets: Vec<u32>,
}

/// A token in the [`GramCache`]: its hash and its ranges in `text` and `buckets`.
#[derive(Debug, Default, Clone, Copy)]
struct CacheSlot {
    key: u64,
    text: (u32, u32),
    buckets: (u32, u32),
}

impl GramCache {
    /// Empties the cache when it was filled for another spec or is full.
    fn prepare(&mut self, spec: &TextSpec) {
        let key = (spec.hash_bits, spec.char_ngrams.0, spec.char_ngrams.1);
        if self.spec != key || self.slots.is_empty() || self.buckets.len() > CACHE_BUCKETS {
            self.spec = key;
            self.slots.clear();
            self.slots.resize(CACHE_SLOTS, CacheSlot::default());
            self.text.clear();
            self.buckets.clear();
        }
    }

    /// Appends the buckets of `padded` to `out`: the cached ones, or those `hash` appends
    /// (then kept). An empty slot's token is empty, so it never matches.
    fn extend(&mut self, padded: &str, out: &mut Vec<u32>, hash: impl FnOnce(&mut Vec<u32>)) {
        if padded.len() > CACHE_TOKEN_BYTES {
            return hash(out);
        }
        let key = xxh3_64_with_seed(padded.as_bytes(), 0);
        let at = key as usize & (CACHE_SLOTS - 1);
        let slot = self.slots[at];
        let range = |(a, b): (u32, u32)| a as usize..b as usize;
        if slot.key == key && self.text[range(slot.text)] == *padded.as_bytes() {
            out.extend_from_slice(&self.buckets[range(slot.buckets)]);
            return;
        }
        let first = out.len();
        hash(out);
        let (text_at, buckets_at) = (self.text.len(), self.buckets.len());
        self.text.extend_from_slice(padded.as_bytes());
        self.buckets.extend_from_slice(&out[first..]);
        // Within bounds: `prepare` empties the arenas before they pass CACHE_BUCKETS (plus
        // one message's worth), far below u32::MAX.
        self.slots[at] = CacheSlot {
            key,
            text: (text_at as u32, self.text.len() as u32),
            buckets: (buckets_at as u32, self.buckets.len() as u32),
        };
    }
}

/// Sparse hashed counts of `text`: sorted buckets with sublinear term frequency (1 + ln count).
pub fn hashed_counts(spec: &TextSpec, text: &str) -> Vec<(u32, f32)> {
    with_scratch(|s| {
        s.tokens.fill(text);
        let mut buckets = std::mem::take(&mut s.buckets);
        buckets.clear();
        let mut push = |bucket, _, _: &str| buckets.push(bucket);
        word_grams(spec, &s.tokens, &mut push);
        char_grams(spec, &s.tokens, &mut s.bounds, &mut s.cut, &mut push);
        let out = if buckets.len() >= DENSE_MIN_GRAMS && spec.hash_bits <= DENSE_BITS {
            dense_counts(&buckets, spec.hash_bits, s)
        } else {
            sort_buckets(&mut buckets, &mut s.sorted, &mut s.bins, spec.hash_bits);
            counts_of_sorted(&buckets)
        };
        s.buckets = buckets;
        out
    })
}

/// Widest hashed space counted in a dense per-thread table (2^20 `u16`s, 2 MB).
const DENSE_BITS: u32 = 20;
/// Fewer grams than this are sorted with their repeats (it all stays in L1).
const DENSE_MIN_GRAMS: usize = 2048;

/// Counts buckets in a dense table, then sorts only the distinct ones.
fn dense_counts(buckets: &[u32], bits: u32, s: &mut Scratch) -> Vec<(u32, f32)> {
    let size = 1usize << bits;
    if s.table.len() != size {
        s.table = vec![0u16; size];
    }
    let table = s.table.as_mut_slice();
    let distinct = &mut s.distinct;
    distinct.clear();
    // Counts saturate at u16::MAX; such a bucket is counted again exactly below.
    for &b in buckets {
        let c = &mut table[b as usize];
        if *c == 0 {
            distinct.push(b);
        }
        *c = c.saturating_add(1);
    }
    sort_buckets(distinct, &mut s.sorted, &mut s.bins, bits);
    let mut out = Vec::with_capacity(distinct.len());
    for &b in distinct.iter() {
        let mut c = usize::from(std::mem::take(&mut table[b as usize]));
        if c == usize::from(u16::MAX) {
            c = buckets.iter().filter(|&&x| x == b).count();
        }
        out.push((b, sublinear_tf(c)));
    }
    out
}

/// `(bucket, 1 + ln count)` of sorted buckets.
fn counts_of_sorted(buckets: &[u32]) -> Vec<(u32, f32)> {
    let mut out: Vec<(u32, f32)> = Vec::with_capacity(buckets.len() / 2 + 1);
    let mut i = 0;
    while i < buckets.len() {
        let b = buckets[i];
        let mut j = i + 1;
        while j < buckets.len() && buckets[j] == b {
            j += 1;
        }
        out.push((b, sublinear_tf(j - i)));
        i = j;
    }
    out
}

/// `1 + ln count`, exactly as counting in `f32` one at a time and taking `f32::ln` gives it
/// (an `f32` count stops growing at 2^24), with small counts from a table.
fn sublinear_tf(count: usize) -> f32 {
    const TABLE: usize = 256;
    static LN: std::sync::OnceLock<[f32; TABLE]> = std::sync::OnceLock::new();
    let f32_count = |c: usize| c.min(1 << 24) as f32;
    if count < TABLE {
        LN.get_or_init(|| {
            let mut t = [0.0f32; TABLE];
            for (c, v) in t.iter_mut().enumerate() {
                *v = 1.0 + f32_count(c).ln();
            }
            t
        })[count]
    } else {
        1.0 + f32_count(count).ln()
    }
}

/// Sorts buckets below `2^bits` (hashes, so close to uniform): a distribution over about as
/// many bins as buckets for short lists, an LSD radix sort for long ones.
/// `examples/profile_sort.rs` compares them with `sort_unstable`.
fn sort_buckets(v: &mut Vec<u32>, tmp: &mut Vec<u32>, aux: &mut Vec<u32>, bits: u32) {
    let n = v.len();
    if n < 24 || bits > 24 {
        v.sort_unstable();
    } else if n < 640 {
        bin_sort(v, tmp, aux, bits);
    } else {
        radix_sort(v, tmp, aux, bits);
    }
}

/// Spreads `v` over `2^k ≥ n` bins by its top bits, then sorts within the bins (about one
/// value each).
fn bin_sort(v: &mut Vec<u32>, tmp: &mut Vec<u32>, ends: &mut Vec<u32>, bits: u32) {
    let n = v.len();
    let k = bits.min(usize::BITS - (n - 1).leading_zeros());
    let shift = bits - k;
    let bins = 1usize << k;
    ends.clear();
    ends.resize(bins, 0);
    for &x in v.iter() {
        ends[(x >> shift) as usize] += 1;
    }
    let mut sum = 0;
    for c in ends.iter_mut() {
        let n = *c;
        *c = sum;
        sum += n;
    }
    tmp.clear();
    tmp.resize(n, 0);
    for &x in v.iter() {
        let slot = &mut ends[(x >> shift) as usize];
        tmp[*slot as usize] = x;
        *slot += 1;
    }
    // Now ordered by top bits: one insertion pass moves each value within its bin only
    // (n < 640 bounds the worst case).
    insertion_sort(tmp);
    std::mem::swap(v, tmp);
}

fn insertion_sort(v: &mut [u32]) {
    for i in 1..v.len() {
        let x = v[i];
        let mut j = i;
        while j > 0 && v[j - 1] > x {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
    }
}

/// LSD radix sort in two passes of at most 12 bits.
fn radix_sort(v: &mut Vec<u32>, tmp: &mut Vec<u32>, counts: &mut Vec<u32>, bits: u32) {
    let passes = bits.div_ceil(12).max(1);
    let digit = bits.div_ceil(passes);
    let radix = 1usize << digit;
    let mask = (radix - 1) as u32;
    counts.clear();
    counts.resize(radix, 0);
    tmp.clear();
    tmp.resize(v.len(), 0);
    for pass in 0..passes {
        let shift = pass * digit;
        counts.iter_mut().for_each(|c| *c = 0);
        for &x in v.iter() {
            counts[((x >> shift) & mask) as usize] += 1;
        }
        let mut sum = 0;
        for c in counts.iter_mut() {
            let n = *c;
            *c = sum;
            sum += n;
        }
        for &x in v.iter() {
            let d = ((x >> shift) & mask) as usize;
            tmp[counts[d] as usize] = x;
            counts[d] += 1;
        }
        std::mem::swap(v, tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_lowercase_and_collapse_urls_numbers_emails() {
        let toks =
            tokens("FREE entry! Call 09061701461 or visit https://x.example/a, mail me@x.org £100");
        assert_eq!(
            toks,
            vec![
                "free", "entry", "!", "call", "_num11_", "or", "visit", "_url_", "mail", "_email_",
                "£", "100"
            ]
        );
    }

    #[test]
    fn hashed_counts_are_sorted_unique_and_sublinear() {
        let spec = TextSpec::default();
        let counts = hashed_counts(&spec, "spam spam spam");
        assert!(counts.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(counts
            .iter()
            .any(|&(_, v)| (v - (1.0 + 3f32.ln())).abs() < 1e-6));
    }

    /// `with_gram_counts` over (subject, body), as sorted `(bucket, tf)`.
    fn lean_counts(spec: &TextSpec, subject: &str, body: &str) -> Vec<(u32, f32)> {
        with_gram_counts(spec, &[subject, body], |c| {
            let mut v: Vec<(u32, f32)> = c.buckets().iter().map(|&b| (b, c.tf(b))).collect();
            v.sort_unstable_by_key(|&(b, _)| b);
            v
        })
    }

    #[test]
    fn gram_counts_of_parts_are_those_of_the_joined_text() {
        let spec = TextSpec::default();
        let long = "Free entry, call now! ".repeat(200);
        for (subject, body) in [
            (
                "",
                "FREE entry! Call 09061701461 or visit https://x.example/a, mail me@x.org £100",
            ),
            (
                "Quick question",
                "see (me@x.org) and a@b, foo@bar, x!y@z.com; ¿Qué tal? Grüße",
            ),
            ("Re: offer", long.as_str()),
            ("only a subject", ""),
        ] {
            let full = if subject.is_empty() {
                body.to_string()
            } else {
                format!("{subject}\n{body}")
            };
            // Twice: the second time the token cache answers.
            for _ in 0..2 {
                assert_eq!(
                    lean_counts(&spec, subject, body),
                    hashed_counts(&spec, &full)
                );
            }
        }
    }

    #[test]
    fn counts_beyond_u16_stay_exact() {
        let spec = TextSpec::default();
        let text = "spam ".repeat(70_000);
        assert_eq!(lean_counts(&spec, "", &text), hashed_counts(&spec, &text));
        let word = bucket("spam", WORD_SEED, bucket_mask(&spec));
        assert!(with_gram_counts(&spec, &["", &text], |c| c.count(word)) >= 70_000);
    }

    #[test]
    fn e_mail_addresses_and_urls_become_placeholders() {
        assert_eq!(
            tokens("(me@x.org) a@b foo@bar"),
            ["_email_", "a", "b", "foo", "bar"]
        );
        assert_eq!(tokens("x!y@z.com (www.a.example)"), ["_email_", "_url_"]);
    }

    #[test]
    fn same_text_same_buckets() {
        let spec = TextSpec::default();
        assert_eq!(
            hashed_counts(&spec, "Hello there"),
            hashed_counts(&spec, "hello THERE")
        );
    }
}
