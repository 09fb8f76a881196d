//! Text features: words, word pairs and character n-grams, hashed into a fixed width.
//!
//! Hashing keeps memory bounded whatever the vocabulary: a model holds at most
//! `2^hash_bits` weights per class, and a message's vector holds only its own n-grams.
//! Values are sublinear term frequencies (1 + ln count); [`crate::model`] applies the
//! learned inverse document frequencies and the L2 normalisation. This module owns
//! tokenisation and hashing; it knows nothing about labels or weights.

mod cache;
mod sort;
mod tokens;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use cache::GramCache;
use sort::sort_buckets;
use tokens::Tokens;

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

/// Reused per-thread buffers, so hashing a message allocates nothing but its result.
#[derive(Debug, Default)]
struct Scratch {
    tokens: Tokens,
    /// Byte offsets of the chars of a padded token, plus its end.
    bounds: Vec<usize>,
    /// A padded token cut short by the char limit.
    cut: String,
    buckets: Vec<u32>,
    /// Byte range in `tokens.buf` of each word n-gram ([`count_grams`]).
    word_ranges: Vec<(u32, u32)>,
    distinct: Vec<u32>,
    /// The first word n-gram of each distinct bucket first seen in one ([`count_grams`]).
    first_words: Vec<(u32, u32)>,
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
    tokens: &'a Tokens,
    distinct: &'a [u32],
    /// The byte range of the first word n-gram of each of the first `first_words.len()`
    /// distinct buckets: those first seen in a word n-gram.
    first_words: &'a [(u32, u32)],
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

    /// Calls `visit(bucket, gram)` for every distinct bucket of the text's word n-grams, in
    /// the order first seen, `gram` being the first word n-gram in it.
    pub fn for_each_word_bucket(&self, mut visit: impl FnMut(u32, &'a str)) {
        let buf = self.tokens.buf.as_str();
        for (&bucket, &(a, b)) in self.distinct.iter().zip(self.first_words) {
            visit(bucket, &buf[a as usize..b as usize]);
        }
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
            tokens: &s.tokens,
            distinct: &s.distinct,
            first_words: &s.first_words,
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
        word_ranges,
        distinct,
        first_words,
        table,
        overflow,
        gram_cache,
        ..
    } = s;
    // Hash first, count after: the counting loop then has no branch on what it loads, so
    // the cache misses of many buckets overlap instead of stalling one by one.
    buckets.clear();
    word_ranges.clear();
    let (buf, mask) = (tokens.buf.as_str(), bucket_mask(spec));
    word_gram_ranges(spec, tokens, |a, b| {
        buckets.push(bucket(&buf[a..b], WORD_SEED, mask));
        word_ranges.push((a as u32, b as u32));
    });
    let words = buckets.len();
    char_buckets_cached(spec, tokens, bounds, cut, gram_cache, buckets);
    distinct.clear();
    distinct.resize(buckets.len(), 0);
    first_words.clear();
    first_words.resize(words, (0, 0));
    overflow.clear();
    let mut seen = 0;
    for (&bucket, &range) in buckets.iter().zip(word_ranges.iter()) {
        first_words[seen] = range;
        let c = &mut table[bucket as usize];
        distinct[seen] = bucket;
        seen += usize::from(*c == 0);
        count_one(c, bucket, overflow);
    }
    first_words.truncate(seen);
    for &bucket in &buckets[words..] {
        let c = &mut table[bucket as usize];
        distinct[seen] = bucket;
        seen += usize::from(*c == 0);
        count_one(c, bucket, overflow);
    }
    distinct.truncate(seen);
}

/// Counts one more n-gram in `bucket`, whose count in the table is `c`.
#[inline]
fn count_one(c: &mut u16, bucket: u32, overflow: &mut Vec<(u32, usize)>) {
    if *c == u16::MAX {
        match overflow.iter_mut().find(|(b, _)| *b == bucket) {
            Some((_, n)) => *n += 1,
            None => overflow.push((bucket, 1)),
        }
    } else {
        *c += 1;
    }
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
    let (buf, mask) = (tokens.buf.as_str(), bucket_mask(spec));
    word_gram_ranges(spec, tokens, |a, b| {
        let gram = &buf[a..b];
        visit(bucket(gram, WORD_SEED, mask), GramKind::Word, gram);
    });
}

/// Calls `visit(start, end)` with the byte range in `tokens.buf` of every word n-gram, in order.
fn word_gram_ranges(spec: &TextSpec, tokens: &Tokens, mut visit: impl FnMut(usize, usize)) {
    let spans = tokens.spans.as_slice();
    for first in 0..spans.len() {
        let a = spans[first].0;
        for &(_, b) in spans[first..].iter().take(spec.word_ngrams) {
            visit(a, b);
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

/// Sparse hashed counts of `text`: sorted buckets with sublinear term frequency (1 + ln count).
///
/// Counted as scoring counts ([`with_gram_counts`]: the thread's dense table, the character
/// n-grams of words seen before from the thread's cache), then only the distinct buckets are
/// sorted.
pub fn hashed_counts(spec: &TextSpec, text: &str) -> Vec<(u32, f32)> {
    with_scratch(|s| {
        s.tokens.fill(text);
        count_grams(spec, s);
        let mut distinct = std::mem::take(&mut s.distinct);
        sort_buckets(&mut distinct, &mut s.sorted, &mut s.bins, spec.hash_bits);
        let counts = GramCounts {
            tokens: &s.tokens,
            distinct: &distinct,
            first_words: &[],
            table: &s.table,
            overflow: &s.overflow,
        };
        let out = distinct.iter().map(|&b| (b, counts.tf(b))).collect();
        for &b in &distinct {
            s.table[b as usize] = 0;
        }
        s.distinct = distinct;
        out
    })
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
