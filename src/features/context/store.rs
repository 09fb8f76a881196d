//! Storage for the first pass, which keeps a few numbers per message and per contact however
//! long the stream: lists grown in blocks, and an interner that keeps no text.

use std::ops::{Index, IndexMut};

/// Items in the first block of a [`Blocks`] list, and in every block of a list made whole.
const SMALL: usize = 1 << 12;

/// Bytes (at least) in the later blocks of a growing list: more than the largest request
/// that glibc's malloc may serve from its heap, so each is mapped on its own and given back
/// whole when the list is dropped. Pages not yet written take no memory.
const LARGE_BYTES: usize = 32 << 20;

/// A list kept in blocks that never move. A `Vec` that doubles frees its old buffer each
/// time; on a long stream those buffers become holes that the allocator keeps resident,
/// about as large again as the list. Blocks leave none and never hold two copies at once.
///
/// A list grown by [`Blocks::push`] has a small first block (small lists stay small), then
/// large ones. A list made whole by [`Blocks::from_fn`] has small blocks.
#[derive(Debug, Clone)]
pub struct Blocks<T> {
    blocks: Vec<Vec<T>>,
    len: usize,
    /// log2 of the items in every block after the first.
    shift: u32,
}

impl<T> Default for Blocks<T> {
    fn default() -> Self {
        Blocks {
            blocks: Vec::new(),
            len: 0,
            shift: Self::LARGE_SHIFT,
        }
    }
}

impl<T> Blocks<T> {
    /// log2 of the items in a large block: at least [`LARGE_BYTES`] of them.
    const LARGE_SHIFT: u32 = LARGE_BYTES
        .div_ceil(if size_of::<T>() == 0 {
            1
        } else {
            size_of::<T>()
        })
        .next_power_of_two()
        .trailing_zeros();

    /// The block of item `i` and its place in it.
    fn locate(&self, i: usize) -> (usize, usize) {
        match i.checked_sub(SMALL) {
            None => (0, i),
            Some(j) => (1 + (j >> self.shift), j & ((1 << self.shift) - 1)),
        }
    }

    /// Items that block `b` holds when full.
    fn capacity(&self, b: usize) -> usize {
        if b == 0 {
            SMALL
        } else {
            1 << self.shift
        }
    }

    /// A list of `len` items made by `item(index)`, in small blocks.
    pub fn from_fn(len: usize, mut item: impl FnMut(usize) -> T) -> Self {
        let mut list = Blocks {
            blocks: Vec::new(),
            len,
            shift: SMALL.trailing_zeros(),
        };
        let mut start = 0;
        while start < len {
            let end = len.min(start + list.capacity(list.blocks.len()));
            list.blocks.push((start..end).map(&mut item).collect());
            start = end;
        }
        list
    }

    /// Adds an item at the end.
    pub fn push(&mut self, item: T) {
        let (b, _) = self.locate(self.len);
        if b == self.blocks.len() {
            // The first block grows as needed; later ones are made whole, once.
            let capacity = if b == 0 { 0 } else { self.capacity(b) };
            self.blocks.push(Vec::with_capacity(capacity));
        }
        self.blocks[b].push(item);
        self.len += 1;
    }

    /// Items in the list.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Item `i`, unless it is out of range.
    pub fn get(&self, i: usize) -> Option<&T> {
        let (b, at) = self.locate(i);
        self.blocks.get(b)?.get(at)
    }

    /// Item `i`, mutably, unless it is out of range.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        let (b, at) = self.locate(i);
        self.blocks.get_mut(b)?.get_mut(at)
    }

    /// The items, in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.blocks.iter().flatten()
    }
}

impl<T> Index<usize> for Blocks<T> {
    type Output = T;

    fn index(&self, i: usize) -> &T {
        let (b, at) = self.locate(i);
        &self.blocks[b][at]
    }
}

impl<T> IndexMut<usize> for Blocks<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        let (b, at) = self.locate(i);
        &mut self.blocks[b][at]
    }
}

/// Gives keys (conversations, contacts) small integers in order of first sight. Keeps a
/// 128-bit hash of each key, not its text: two keys share an id only if their hashes
/// collide, which for a billion keys happens with odds below 10^-20.
#[derive(Debug, Default)]
pub struct Interner {
    /// Open addressing with linear probing: `id + 1` per slot, 0 when empty; a power of two
    /// long, at most three quarters full.
    slots: Vec<u32>,
    /// Each key's hash, by id.
    hashes: Blocks<u128>,
}

impl Interner {
    /// The id of `key`: below `u32::MAX - 1`, which callers may use as marks.
    pub fn id(&mut self, key: &str) -> u32 {
        let hash = xxhash_rust::xxh3::xxh3_128(key.as_bytes());
        if (self.hashes.len() + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let slot = self.find(hash);
        match self.slots[slot] {
            0 => {
                // 2^32 keys would take far more memory than any machine has for the rows.
                let id = u32::try_from(self.hashes.len())
                    .ok()
                    .filter(|&id| id < u32::MAX - 1)
                    .expect("fewer than 2^32 - 1 keys");
                self.slots[slot] = id + 1;
                self.hashes.push(hash);
                id
            }
            taken => taken - 1,
        }
    }

    /// Keys seen.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// True before the first key.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// The slot holding `hash`, or the empty slot where it goes.
    fn find(&self, hash: u128) -> usize {
        let mask = self.slots.len() - 1;
        let mut slot = hash as usize & mask;
        loop {
            match self.slots[slot] {
                0 => return slot,
                taken if self.hashes[taken as usize - 1] == hash => return slot,
                _ => slot = (slot + 1) & mask,
            }
        }
    }

    fn grow(&mut self) {
        self.slots = vec![0; (self.slots.len() * 2).max(1024)];
        for id in 0..self.hashes.len() {
            let slot = self.find(self.hashes[id]);
            self.slots[slot] = id as u32 + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interner_numbers_keys_in_order_of_first_sight_across_growth() {
        let mut interner = Interner::default();
        let keys: Vec<String> = (0..5_000).map(|i| format!("https://x/in/{i}")).collect();
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(interner.id(key), i as u32);
        }
        for (i, key) in keys.iter().enumerate().rev() {
            assert_eq!(interner.id(key), i as u32);
        }
        assert_eq!(interner.len(), 5_000);
        assert_eq!(interner.id(""), 5_000);
    }

    #[test]
    fn blocks_index_across_blocks_whether_grown_or_made_whole() {
        // u128: a large block holds 2^21 of them.
        let large = 1 << Blocks::<u128>::LARGE_SHIFT;
        assert_eq!(large * 16, LARGE_BYTES);
        let n = SMALL + large + 7;
        let mut grown = Blocks::default();
        (0..n as u128).for_each(|i| grown.push(i));
        assert_eq!((grown.len(), grown.blocks.len()), (n, 3));
        assert_eq!((grown[SMALL], grown[n - 1]), (SMALL as u128, n as u128 - 1));
        assert!(grown.iter().copied().eq(0..n as u128));
        let mut made = Blocks::from_fn(n, |i| i as u128);
        assert_eq!(made.blocks.len(), n.div_ceil(SMALL));
        assert!(made.iter().eq(grown.iter()));
        made[SMALL + 1] = 0;
        assert_eq!(
            (made.get(SMALL), made.get(SMALL + 1)),
            (Some(&(SMALL as u128)), Some(&0))
        );
        assert_eq!((grown.get(n), made.get(n)), (None, None));
    }
}
