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
    let mut out = Vec::new();
    for raw in text.split_whitespace() {
        if looks_like_url(raw) {
            out.push("_url_".to_string());
            continue;
        }
        if raw.contains('@') && raw.contains('.') && raw.len() > 5 {
            out.push("_email_".to_string());
            continue;
        }
        push_word_tokens(raw, &mut out);
    }
    out
}

fn looks_like_url(raw: &str) -> bool {
    let lower = raw.trim_start_matches(['(', '<', '[', '"']);
    lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("www.")
        || lower.starts_with("HTTP")
}

fn push_word_tokens(raw: &str, out: &mut Vec<String>) {
    let mut word = String::new();
    for ch in raw.chars() {
        if ch.is_alphanumeric() {
            word.extend(ch.to_lowercase());
        } else {
            flush_word(&mut word, out);
            if matches!(ch, '$' | '£' | '€' | '!' | '%') {
                out.push(ch.to_string());
            }
        }
    }
    flush_word(&mut word, out);
}

fn flush_word(word: &mut String, out: &mut Vec<String>) {
    if word.is_empty() {
        return;
    }
    let digits = word.chars().filter(|c| c.is_ascii_digit()).count();
    if digits >= 5 && digits * 2 >= word.chars().count() {
        out.push(format!("_num{}_", digits.min(12)));
    } else {
        out.push(std::mem::take(word));
    }
    word.clear();
}

/// Calls `visit(bucket, kind, gram)` for every word n-gram and character n-gram of `text`.
pub fn for_each_gram(spec: &TextSpec, text: &str, mut visit: impl FnMut(u32, GramKind, &str)) {
    let mask = (1u64 << spec.hash_bits) - 1;
    let toks = tokens(text);
    let mut joined = String::new();
    for start in 0..toks.len() {
        joined.clear();
        for (n, tok) in toks[start..].iter().take(spec.word_ngrams).enumerate() {
            if n > 0 {
                joined.push(' ');
            }
            joined.push_str(tok);
            let bucket = (xxh3_64_with_seed(joined.as_bytes(), WORD_SEED) & mask) as u32;
            visit(bucket, GramKind::Word, &joined);
        }
    }
    let (lo, hi) = spec.char_ngrams;
    if hi == 0 {
        return;
    }
    let mut budget = spec.char_limit;
    let mut padded: Vec<char> = Vec::new();
    let mut gram = String::new();
    for tok in &toks {
        if budget == 0 {
            break;
        }
        padded.clear();
        padded.push(' ');
        padded.extend(tok.chars().take(budget));
        padded.push(' ');
        budget = budget.saturating_sub(tok.len() + 1);
        for n in lo..=hi {
            if n > padded.len() {
                break;
            }
            for window in padded.windows(n) {
                gram.clear();
                gram.extend(window);
                let bucket = (xxh3_64_with_seed(gram.as_bytes(), CHAR_SEED) & mask) as u32;
                visit(bucket, GramKind::Char, &gram);
            }
        }
    }
}

/// Sparse hashed counts of `text`: sorted buckets with sublinear term frequency (1 + ln count).
pub fn hashed_counts(spec: &TextSpec, text: &str) -> Vec<(u32, f32)> {
    let mut buckets: Vec<u32> = Vec::with_capacity(text.len() * 2);
    for_each_gram(spec, text, |bucket, _, _| buckets.push(bucket));
    buckets.sort_unstable();
    let mut out: Vec<(u32, f32)> = Vec::with_capacity(buckets.len() / 2 + 1);
    for bucket in buckets {
        match out.last_mut() {
            Some((last, count)) if *last == bucket => *count += 1.0,
            _ => out.push((bucket, 1.0)),
        }
    }
    for (_, value) in &mut out {
        *value = 1.0 + value.ln();
    }
    out
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
