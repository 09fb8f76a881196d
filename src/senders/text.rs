//! The text a sender report prints, kept end to end in blocks.

use crate::features::context::Blocks;

/// The text a report prints (keys, names and generic notes), as it is met in the messages:
/// end to end in blocks rather than in one allocation per sender. A sender's latest name or
/// note stands; the ones it replaced stay in the blocks, unused (names seldom change).
#[derive(Debug, Default)]
pub(super) struct SenderText {
    /// Texts end to end, a text never across two blocks.
    blocks: Vec<String>,
    /// Each text's block and end in it, by number.
    ends: Blocks<(u32, u32)>,
}

/// Bytes in a block of [`SenderText`] (a longer text has a block of its own): small enough
/// for the allocator to place among the blocks the first pass gave back.
const TEXT_BLOCK: usize = 1 << 16;

/// No text (a [`SenderText`] number).
pub(super) const NO_TEXT: u32 = u32::MAX;

impl SenderText {
    /// Adds `s`; returns its number ([`NO_TEXT`] for a text of 4 GiB or more).
    pub(super) fn push(&mut self, s: &str) -> u32 {
        let full = self
            .blocks
            .last()
            .is_none_or(|b| !b.is_empty() && b.len() + s.len() > TEXT_BLOCK);
        if full {
            // The first block grows as needed: small inputs stay small.
            let size = if self.blocks.is_empty() {
                0
            } else {
                TEXT_BLOCK.max(s.len())
            };
            self.blocks.push(String::with_capacity(size));
        }
        let (Ok(block), Some(last)) =
            (u32::try_from(self.blocks.len() - 1), self.blocks.last_mut())
        else {
            return NO_TEXT;
        };
        let Ok(end) = u32::try_from(last.len() + s.len()) else {
            return NO_TEXT;
        };
        last.push_str(s);
        self.ends.push((block, end));
        // At most three texts per row observed, and rows are numbered in u32.
        u32::try_from(self.ends.len() - 1).unwrap_or(NO_TEXT)
    }

    /// Text number `i`, if any.
    pub(super) fn get(&self, i: u32) -> Option<&str> {
        let i = i as usize;
        let &(block, end) = self.ends.get(i)?;
        let start = match i.checked_sub(1).and_then(|before| self.ends.get(before)) {
            Some(&(b, e)) if b == block => e,
            _ => 0,
        };
        self.blocks
            .get(block as usize)?
            .get(start as usize..end as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_come_back_whole_across_blocks() {
        let mut text = SenderText::default();
        let long = "x".repeat(TEXT_BLOCK + 1);
        let words: Vec<String> = (0..20_000).map(|i| format!("https://x/in/{i}")).collect();
        let mut numbers: Vec<u32> = words.iter().map(|w| text.push(w)).collect();
        numbers.push(text.push(&long));
        numbers.push(text.push(""));
        numbers.push(text.push("after"));
        assert!(text.blocks.len() > 3);
        assert!(text
            .blocks
            .iter()
            .all(|b| b.len() <= TEXT_BLOCK || b.len() == long.len()));
        for (n, w) in numbers.iter().zip(&words) {
            assert_eq!(text.get(*n), Some(w.as_str()));
        }
        assert_eq!(text.get(numbers[20_000]), Some(long.as_str()));
        assert_eq!(text.get(numbers[20_001]), Some(""));
        assert_eq!(text.get(numbers[20_002]), Some("after"));
        assert_eq!(text.get(NO_TEXT), None);
    }
}
