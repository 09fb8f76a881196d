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
        self.buf.clear();
        self.spans.clear();
        self.buf.reserve(text.len() + 2);
        self.buf.push(' ');
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let (ws, len) = whitespace_at(text, i);
            if ws {
                i += len;
                continue;
            }
            let start = i;
            i += len;
            while i < bytes.len() {
                let (ws, len) = whitespace_at(text, i);
                if ws {
                    break;
                }
                i += len;
            }
            self.push_raw(&text[start..i]);
        }
    }

    /// One whitespace-separated piece of the text.
    fn push_raw(&mut self, raw: &str) {
        if looks_like_url(raw) {
            self.push_token("_url_");
            return;
        }
        let b = raw.as_bytes();
        if b.contains(&b'@') && b.contains(&b'.') && raw.len() > 5 {
            self.push_token("_email_");
            return;
        }
        self.begin_word();
        let mut rest = raw;
        while let Some(&byte) = rest.as_bytes().first() {
            if byte < 0x80 {
                rest = &rest[1..];
                if byte.is_ascii_alphanumeric() {
                    self.buf.push(char::from(byte.to_ascii_lowercase()));
                    self.word_chars += 1;
                    self.word_digits += usize::from(byte.is_ascii_digit());
                } else {
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
                }
            } else {
                let ch = rest.chars().next().expect("non-empty");
                rest = &rest[ch.len_utf8()..];
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
        }
        self.flush_word();
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
        (matches!(b, b' ' | b'\t'..=b'\r'), 1)
    } else {
        let ch = text[i..].chars().next().expect("char boundary");
        (ch.is_whitespace(), ch.len_utf8())
    }
}

fn looks_like_url(raw: &str) -> bool {
    let lower = raw.trim_start_matches(['(', '<', '[', '"']);
    lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("www.")
        || lower.starts_with("HTTP")
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
        grams(spec, s, &mut visit);
    })
}

#[inline]
fn bucket(gram: &str, seed: u64, mask: u64) -> u32 {
    (xxh3_64_with_seed(gram.as_bytes(), seed) & mask) as u32
}

fn grams(spec: &TextSpec, s: &mut Scratch, visit: &mut impl FnMut(u32, GramKind, &str)) {
    let mask = (1u64 << spec.hash_bits) - 1;
    let Scratch {
        tokens,
        bounds,
        cut,
        ..
    } = s;
    let (buf, spans) = (tokens.buf.as_str(), tokens.spans.as_slice());
    // Word n-grams: tokens are separated by single spaces, so `start..end` is the joined gram.
    for first in 0..spans.len() {
        let a = spans[first].0;
        for &(_, b) in spans[first..].iter().take(spec.word_ngrams) {
            let gram = &buf[a..b];
            visit(bucket(gram, WORD_SEED, mask), GramKind::Word, gram);
        }
    }
    let (lo, hi) = spec.char_ngrams;
    if hi == 0 {
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
        // The token padded with a space on both sides, its first `budget` chars only.
        let padded: &str = if chars <= budget {
            &buf[a - 1..b + 1]
        } else {
            cut.clear();
            cut.push(' ');
            cut.extend(tok.chars().take(budget));
            cut.push(' ');
            cut
        };
        budget = budget.saturating_sub(tok.len() + 1);
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
}

/// Sparse hashed counts of `text`: sorted buckets with sublinear term frequency (1 + ln count).
pub fn hashed_counts(spec: &TextSpec, text: &str) -> Vec<(u32, f32)> {
    with_scratch(|s| {
        s.tokens.fill(text);
        let mut buckets = std::mem::take(&mut s.buckets);
        buckets.clear();
        grams(spec, s, &mut |bucket, _, _| buckets.push(bucket));
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

    #[test]
    fn same_text_same_buckets() {
        let spec = TextSpec::default();
        assert_eq!(
            hashed_counts(&spec, "Hello there"),
            hashed_counts(&spec, "hello THERE")
        );
    }
}
