//! A cache of recently seen tokens' character n-gram buckets.

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::TextSpec;

/// Slots of the [`GramCache`] (a power of two).
const CACHE_SLOTS: usize = 4096;
/// Longest padded token the [`GramCache`] keeps, in bytes.
const CACHE_TOKEN_BYTES: usize = 32;
/// Buckets the [`GramCache`] holds before it starts over (512 KB).
const CACHE_BUCKETS: usize = 1 << 17;

/// The character n-gram buckets of recently seen tokens, by token: most words of a message
/// were seen before, and copying their buckets costs one hash instead of one per n-gram.
#[derive(Debug, Default)]
pub(super) struct GramCache {
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
    pub(super) fn prepare(&mut self, spec: &TextSpec) {
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
    pub(super) fn extend(
        &mut self,
        padded: &str,
        out: &mut Vec<u32>,
        hash: impl FnOnce(&mut Vec<u32>),
    ) {
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
