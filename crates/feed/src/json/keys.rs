//! Finding which wanted field a key names with one table lookup and one comparison, instead of
//! comparing the key with every wanted name in turn.
//!
//! Each struct declared with [`object_fields!`](super::object_fields) gets a [`KeyTable`] built
//! at compile time: a 64-slot table indexed by a hash of a key's length and its first, middle
//! and last bytes, with a multiplier searched until its keys land in distinct slots. A key
//! that is not wanted lands in an empty slot or fails the one comparison.

use super::block::bytes_equal;

/// Slots per table (at most 63 wanted keys).
const SLOTS: usize = 64;

/// The slot of `key` under `seed`: the top six bits of a multiplicative hash of its length and
/// its first, middle and last bytes.
const fn slot(key: &[u8], seed: u32) -> usize {
    let len = key.len();
    let sample = if len == 0 {
        0
    } else {
        (key[0] as u32) | (key[len / 2] as u32) << 8 | (key[len - 1] as u32) << 16
    };
    let mixed = (sample ^ (len as u32) << 24).wrapping_mul(seed);
    (mixed >> (32 - SLOTS.trailing_zeros())) as usize
}

/// The wanted keys of one object and the table that finds them.
pub(crate) struct KeyTable {
    keys: &'static [&'static str],
    seed: u32,
    /// Per slot: 0 if empty, else the index of the key in `keys` plus one.
    slots: [u8; SLOTS],
}

impl KeyTable {
    /// The table of `keys`.
    ///
    /// # Panics
    /// At compile time (in a constant), if there are 64 keys or more, or two keys no multiplier
    /// separates (equal keys, or keys of one length that agree in the sampled bytes).
    pub(crate) const fn new(keys: &'static [&'static str]) -> Self {
        assert!(keys.len() < SLOTS, "at most 63 keys per object");
        let mut seed: u32 = 0x9E37_79B9;
        let mut attempt = 0;
        while attempt < 4096 {
            if let Some(slots) = Self::place(keys, seed) {
                return Self { keys, seed, slots };
            }
            seed = seed.wrapping_add(0x6A09_E666) | 1;
            attempt += 1;
        }
        panic!("object_fields: two keys share a slot under every multiplier tried");
    }

    /// The slots of `keys` under `seed`, if no two collide.
    const fn place(keys: &[&str], seed: u32) -> Option<[u8; SLOTS]> {
        let mut slots = [0; SLOTS];
        let mut index = 0;
        while index < keys.len() {
            let slot = slot(keys[index].as_bytes(), seed);
            if slots[slot] != 0 {
                return None;
            }
            slots[slot] = index as u8 + 1;
            index += 1;
        }
        Some(slots)
    }

    /// The index of `key` among the wanted keys, if it is one.
    #[inline(always)]
    pub(crate) fn find(&self, key: &[u8]) -> Option<usize> {
        let index = usize::from(self.slots[slot(key, self.seed)]).checked_sub(1)?;
        bytes_equal(self.keys.get(index)?.as_bytes(), key).then_some(index)
    }
}

/// The index of `key` in `keys`, for `object_fields!`'s accessors (evaluated at compile time).
///
/// # Panics
/// If `key` is not in `keys`.
pub(crate) const fn key_index(keys: &[&str], key: &str) -> usize {
    let mut index = 0;
    while index < keys.len() {
        if const_equal(keys[index].as_bytes(), key.as_bytes()) {
            return index;
        }
        index += 1;
    }
    panic!("object_fields: not a wanted key");
}

/// `a == b` in a constant.
const fn const_equal(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut index = 0;
    while index < a.len() {
        if a[index] != b[index] {
            return false;
        }
        index += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const BINANCE: &[&str] = &[
        "stream", "data", "id", "e", "E", "T", "s", "t", "p", "q", "m", "u", "U", "pu", "b", "B",
        "a", "A", "i", "r",
    ];

    #[test]
    fn finds_every_wanted_key_and_nothing_else() {
        const TABLE: KeyTable = KeyTable::new(BINANCE);
        for (index, key) in BINANCE.iter().enumerate() {
            assert_eq!(TABLE.find(key.as_bytes()), Some(index), "{key}");
        }
        for other in ["", "x", "P", "streams", "dat", "ee", "best_bid_price", "é"] {
            assert_eq!(TABLE.find(other.as_bytes()), None, "{other}");
        }
    }

    #[test]
    fn similar_keys_are_told_apart() {
        const KEYS: &[&str] = &[
            "best_bid_price",
            "best_ask_price",
            "best_bid_amount",
            "best_ask_amount",
            "bid_iv",
            "ask_iv",
            "mark_iv",
            "mark_price",
            "index_price",
        ];
        const TABLE: KeyTable = KeyTable::new(KEYS);
        for (index, key) in KEYS.iter().enumerate() {
            assert_eq!(TABLE.find(key.as_bytes()), Some(index), "{key}");
        }
        assert_eq!(TABLE.find(b"best_bad_price"), None);
    }
}
