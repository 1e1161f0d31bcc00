//! Single-thread property test: any sequence of ring operations behaves exactly like a bounded
//! `VecDeque` (the model), including where batch chunks are cut by the buffer's end.

use std::collections::VecDeque;

use proptest::prelude::*;
use recal_ring::{TryPopError, TryPushError, WaitStrategy, ring};

#[derive(Clone, Debug)]
enum Op {
    TryPush,
    TryPop,
    /// Reserve up to `max`, write `write` items, then commit or drop the chunk uncommitted.
    Reserve {
        max: usize,
        write: usize,
        commit: bool,
    },
    /// Read up to `max` in place, then release `release` of them.
    Read {
        max: usize,
        release: usize,
    },
    /// Read up to `max` and move `take` of them out through the by-value iterator.
    ReadTake {
        max: usize,
        take: usize,
    },
    PushSlice {
        len: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::TryPush),
        4 => Just(Op::TryPop),
        2 => (0usize..20, 0usize..20, any::<bool>())
            .prop_map(|(max, write, commit)| Op::Reserve { max, write, commit }),
        2 => (0usize..20, 0usize..20).prop_map(|(max, release)| Op::Read { max, release }),
        1 => (0usize..20, 0usize..20).prop_map(|(max, take)| Op::ReadTake { max, take }),
        1 => (0usize..20).prop_map(|len| Op::PushSlice { len }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn ring_matches_vecdeque(capacity_log2 in 0u32..5, ops in prop::collection::vec(op(), 0..200)) {
        let capacity = 1usize << capacity_log2;
        let (mut producer, mut consumer) = ring::<u64>(capacity, WaitStrategy::BusySpin).unwrap();
        let mut model: VecDeque<u64> = VecDeque::new();
        // Positions, to know where the buffer's end cuts a chunk.
        let (mut pushed, mut popped) = (0usize, 0usize);
        let mut next_value = 0u64;

        for op in ops {
            match op {
                Op::TryPush => {
                    let result = producer.try_push(next_value);
                    if model.len() < capacity {
                        prop_assert_eq!(result, Ok(()));
                        model.push_back(next_value);
                        pushed += 1;
                    } else {
                        prop_assert_eq!(result, Err(TryPushError::Full(next_value)));
                    }
                    next_value += 1;
                }
                Op::TryPop => {
                    let expected = model.pop_front().ok_or(TryPopError::Empty);
                    prop_assert_eq!(consumer.try_pop(), expected);
                    if expected.is_ok() {
                        popped += 1;
                    }
                }
                Op::Reserve { max, write, commit } => {
                    let expected_len = max
                        .min(capacity - model.len())
                        .min(capacity - pushed % capacity);
                    let mut chunk = producer.reserve(max);
                    prop_assert_eq!(chunk.len(), expected_len);
                    let mut written = Vec::new();
                    for _ in 0..write {
                        match chunk.push(next_value) {
                            Ok(()) => written.push(next_value),
                            Err(back) => prop_assert_eq!(back, next_value),
                        }
                        next_value += 1;
                    }
                    prop_assert_eq!(written.len(), write.min(expected_len));
                    if commit {
                        prop_assert_eq!(chunk.commit(), written.len());
                        pushed += written.len();
                        model.extend(written);
                    }
                }
                Op::Read { max, release } => {
                    let expected_len = max.min(model.len()).min(capacity - popped % capacity);
                    let chunk = consumer.read(max);
                    prop_assert_eq!(chunk.len(), expected_len);
                    let expected: Vec<u64> = model.iter().take(expected_len).copied().collect();
                    prop_assert_eq!(chunk.as_slice(), expected.as_slice());
                    let released = chunk.release(release);
                    prop_assert_eq!(released, release.min(expected_len));
                    model.drain(..released);
                    popped += released;
                }
                Op::ReadTake { max, take } => {
                    let expected_len = max.min(model.len()).min(capacity - popped % capacity);
                    let taken: Vec<u64> = consumer.read(max).into_iter().take(take).collect();
                    let expected: Vec<u64> = model.drain(..take.min(expected_len)).collect();
                    prop_assert_eq!(&taken, &expected);
                    popped += taken.len();
                }
                Op::PushSlice { len } => {
                    let items: Vec<u64> = (next_value..next_value + len as u64).collect();
                    next_value += len as u64;
                    let count = producer.push_slice(&items);
                    prop_assert_eq!(count, len.min(capacity - model.len()));
                    model.extend(&items[..count]);
                    pushed += count;
                }
            }
            prop_assert_eq!(consumer.len(), model.len());
            prop_assert_eq!(producer.free_slots(), capacity - model.len());
        }
    }
}
