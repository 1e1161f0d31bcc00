//! What the probe writes: its schema, and records derived from their sequence numbers so that a
//! test can check every byte it reads back without being told what was written. Shared with the
//! tests through `#[path]`.

use recal_journal::Schema;

/// Schema of probe journals.
pub fn schema() -> Schema {
    Schema::new(0x5052_4f42, "recal.journal-probe", 1)
}

/// Longest payload the probe writes.
pub const MAX_LEN: usize = 300;

/// Record type of record `seq`.
pub fn record_type(seq: u64) -> u32 {
    (seq % 5) as u32
}

/// Timestamp of record `seq`: increasing, on an event clock of 1 µs per record.
pub fn timestamp_ns(seq: u64) -> u64 {
    seq * 1_000
}

/// Payload of record `seq`: 0 to `MAX_LEN` bytes of a xorshift stream seeded by `seq`.
pub fn payload(seq: u64) -> Vec<u8> {
    let len = (seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize % (MAX_LEN + 1);
    let mut state = seq ^ 0x2545_F491_4F6C_DD1D;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}
