//! Dense numbering of (id, day) keys in (id, day) order: per id a bitset of its days,
//! and a key's number is the count of keys before it. It replaces an ordered map from
//! (offer, day) to bucket: one probe per arc instead of a tree walk (issue 21).

/// The (id, day) keys of a problem, numbered in (id, day) order once all are inserted.
pub(super) struct DayKeys {
    first_day: u32,
    words: usize,
    bits: Vec<u64>,
    /// Per word: the number of keys before it (after [`DayKeys::number`]).
    base: Vec<u32>,
}

impl DayKeys {
    /// Room for ids `0..ids` and days `first_day..=last_day`.
    pub(super) fn new(ids: usize, first_day: u32, last_day: u32) -> Self {
        let span = last_day.saturating_sub(first_day) as usize + 1;
        let words = span.div_ceil(64);
        DayKeys {
            first_day,
            words,
            bits: vec![0; ids * words],
            base: Vec::new(),
        }
    }

    fn slot(&self, id: u32, day: u32) -> (usize, u64) {
        let d = (day - self.first_day) as usize;
        (id as usize * self.words + d / 64, 1u64 << (d % 64))
    }

    /// Adds a key (ids and days must be within the room given to [`DayKeys::new`]).
    pub(super) fn insert(&mut self, id: u32, day: u32) {
        let (w, bit) = self.slot(id, day);
        self.bits[w] |= bit;
    }

    /// Numbers the keys; returns how many there are.
    pub(super) fn number(&mut self) -> usize {
        let mut n = 0u32;
        self.base = self
            .bits
            .iter()
            .map(|w| {
                let b = n;
                n += w.count_ones();
                b
            })
            .collect();
        n as usize
    }

    /// The number of an inserted key (after [`DayKeys::number`]).
    pub(super) fn index(&self, id: u32, day: u32) -> u32 {
        let (w, bit) = self.slot(id, day);
        self.base[w] + (self.bits[w] & (bit - 1)).count_ones()
    }

    /// Every key in order.
    pub(super) fn keys(&self) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for (w, &bits) in self.bits.iter().enumerate() {
            let (id, word) = (w / self.words, w % self.words);
            let mut b = bits;
            while b != 0 {
                let d = b.trailing_zeros();
                out.push((id as u32, self.first_day + (word * 64) as u32 + d));
                b &= b - 1;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::DayKeys;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        /// Numbers are the keys' ranks in (id, day) order, as an ordered set gives them.
        #[test]
        fn numbers_are_ranks_in_key_order(
            keys in proptest::collection::vec((0u32..20, 3u32..200), 0..300)
        ) {
            let mut k = DayKeys::new(20, 3, 199);
            for &(id, day) in &keys {
                k.insert(id, day);
            }
            let set: BTreeSet<(u32, u32)> = keys.iter().copied().collect();
            prop_assert_eq!(k.number(), set.len());
            let order: Vec<(u32, u32)> = set.iter().copied().collect();
            prop_assert_eq!(k.keys(), order.clone());
            for (i, &(id, day)) in order.iter().enumerate() {
                prop_assert_eq!(k.index(id, day) as usize, i);
            }
        }
    }
}
