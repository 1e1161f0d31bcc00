//! recal-journal against its peers: the same frames (32-byte header with CRC32C, payload,
//! padding to 8 bytes, built by [`recal_journal::encode_header`]) written
//!
//! - by the journal's `Writer::append` (page-cache durability, segments on `/dev/shm`);
//! - through a `std::io::BufWriter<File>` (8 KiB buffer) on the same filesystem;
//! - by a plain memcpy into a preallocated, pre-touched `Vec<u8>`: the machine's floor.
//!
//! Two regimes matter, and both are reported:
//!
//! - **Warm**: the destination's pages already exist. For the journal that is its steady
//!   state between rolls, with the segment prepared and the background thread idle (the
//!   design's whole point); for the BufWriter, rewriting an existing file. This isolates the
//!   append path.
//! - **Sustained**: writing far more than a segment, into fresh pages. Every byte then needs a
//!   new zeroed page from the kernel. The journal's background thread allocates them on the
//!   other core; the BufWriter's `write` calls do it inline. On this VM page allocation runs at
//!   only ~1.2-1.7 GB/s, so it, not the append path, bounds both.
//!
//! Criterion measures the sustained regime for the journal and the BufWriter (the memcpy peer
//! reuses its buffer, so it is always warm), then the writer-to-tailer latency across two
//! pinned threads. After that the bench runs the peers interleaved in short rounds (A B C A B C
//! ...) and prints the median of the per-round ratios for both regimes, and per-append latency
//! percentiles. `RECAL_BENCH_ROUNDS` sets the number of rounds (default 15).

use std::fs::File;
use std::hint::black_box;
use std::io::{BufWriter, Seek, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use recal_journal::{
    FrameDescriptor, Schema, StartAt, Tailer, Writer, WriterOptions, encode_header,
};
use support::{interleave, is_bench_run, pin, print_quartiles, print_ratio, rounds};
use tempfile::TempDir;

mod support;

const PAYLOAD_SIZES: [usize; 2] = [64, 256];
/// Sustained sinks start over (fresh journal, truncated file) after this many bytes, which
/// bounds the bench's tmpfs use.
const RESET_BYTES: u64 = 512 << 20;
/// Bytes written per warm round: well inside one segment.
const WARM_BYTES: usize = 16 << 20;
/// Long enough for the journal's background thread to finish preparing its spare segment
/// (about 60 ms for 64 MiB here), so that warm rounds time the append path alone.
const SETTLE: Duration = Duration::from_millis(150);
/// Bytes written per sustained round: four segment rolls.
const SUSTAINED_BYTES: usize = 256 << 20;
const ZEROS: [u8; FrameDescriptor::ALIGNMENT] = [0; FrameDescriptor::ALIGNMENT];

fn frame_len(payload: usize) -> usize {
    (FrameDescriptor::HEADER_LEN + payload).next_multiple_of(FrameDescriptor::ALIGNMENT)
}

/// A scratch directory on tmpfs when there is one.
fn scratch() -> TempDir {
    let builder = tempfile::Builder::new()
        .prefix("recal-journal-bench-")
        .to_owned();
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        builder.tempdir_in(shm)
    } else {
        builder.tempdir()
    }
    .expect("scratch dir")
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

/// The journal under test. The first record waits for the first segment to be prepared.
struct JournalSink {
    writer: Writer,
    dir: TempDir,
    payload: Vec<u8>,
    seq: u64,
}

impl JournalSink {
    fn new(payload_len: usize) -> Self {
        let dir = scratch();
        let schema = Schema::new(1, "recal.bench", 1);
        let writer =
            Writer::open(dir.path(), &schema, WriterOptions::default()).expect("open journal");
        let mut sink = JournalSink {
            writer,
            dir,
            payload: payload(payload_len),
            seq: 0,
        };
        sink.append(1);
        sink
    }

    #[inline]
    fn append(&mut self, records: u64) {
        for _ in 0..records {
            self.writer
                .append(1, self.seq, black_box(&self.payload))
                .expect("append");
            self.seq += 1;
        }
    }

    fn bytes(&self) -> u64 {
        self.seq * frame_len(self.payload.len()) as u64
    }
}

/// The same frames through a `BufWriter<File>`.
struct BufWriterSink {
    out: BufWriter<File>,
    _dir: TempDir,
    payload: Vec<u8>,
    seq: u64,
}

impl BufWriterSink {
    /// A sink on a new file; with `prefill` bytes already written (so their pages exist) and
    /// the file rewound.
    fn new(payload_len: usize, prefill: usize) -> Self {
        let dir = scratch();
        let mut file = File::create(dir.path().join("frames")).expect("create file");
        file.write_all(&vec![0; prefill]).expect("prefill");
        file.rewind().expect("rewind");
        BufWriterSink {
            out: BufWriter::new(file),
            _dir: dir,
            payload: payload(payload_len),
            seq: 0,
        }
    }

    #[inline]
    fn append(&mut self, records: u64) {
        let padding =
            frame_len(self.payload.len()) - FrameDescriptor::HEADER_LEN - self.payload.len();
        for _ in 0..records {
            let header =
                encode_header(1, self.seq, self.seq, black_box(&self.payload)).expect("frame");
            self.out.write_all(&header).expect("write");
            self.out.write_all(&self.payload).expect("write");
            self.out.write_all(&ZEROS[..padding]).expect("write");
            self.seq += 1;
        }
    }

    fn flush(&mut self) {
        self.out.flush().expect("flush");
    }

    fn bytes(&self) -> u64 {
        self.seq * frame_len(self.payload.len()) as u64
    }
}

/// The same frames copied into a preallocated, pre-touched buffer, wrapping around.
struct MemcpySink {
    buffer: Vec<u8>,
    position: usize,
    payload: Vec<u8>,
    seq: u64,
}

impl MemcpySink {
    fn new(payload_len: usize, capacity: usize) -> Self {
        MemcpySink {
            buffer: vec![1; capacity],
            position: 0,
            payload: payload(payload_len),
            seq: 0,
        }
    }

    #[inline]
    fn append(&mut self, records: u64) {
        let len = self.payload.len();
        let frame = frame_len(len);
        for _ in 0..records {
            if self.position + frame > self.buffer.len() {
                self.position = 0;
            }
            let header =
                encode_header(1, self.seq, self.seq, black_box(&self.payload)).expect("frame");
            let slot = &mut self.buffer[self.position..self.position + frame];
            slot[..FrameDescriptor::HEADER_LEN].copy_from_slice(&header);
            slot[FrameDescriptor::HEADER_LEN..FrameDescriptor::HEADER_LEN + len]
                .copy_from_slice(&self.payload);
            slot[FrameDescriptor::HEADER_LEN + len..].fill(0);
            self.position += frame;
            self.seq += 1;
        }
        black_box(&mut self.buffer);
    }
}

fn bench_append(c: &mut Criterion) {
    let mut group = c.benchmark_group("journal_append");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(10);
    for len in PAYLOAD_SIZES {
        group.throughput(Throughput::Bytes(frame_len(len) as u64));
        let mut journal = JournalSink::new(len);
        group.bench_function(BenchmarkId::new("journal", len), |b| {
            b.iter_custom(|iters| {
                if journal.bytes() > RESET_BYTES {
                    journal = JournalSink::new(len);
                }
                let start = Instant::now();
                journal.append(iters);
                start.elapsed()
            })
        });
        drop(journal);
        let mut bufwriter = BufWriterSink::new(len, 0);
        group.bench_function(BenchmarkId::new("bufwriter", len), |b| {
            b.iter_custom(|iters| {
                if bufwriter.bytes() > RESET_BYTES {
                    bufwriter = BufWriterSink::new(len, 0);
                }
                let start = Instant::now();
                bufwriter.append(iters);
                bufwriter.flush();
                start.elapsed()
            })
        });
        drop(bufwriter);
        let mut memcpy = MemcpySink::new(len, 64 << 20);
        group.bench_function(BenchmarkId::new("memcpy", len), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                memcpy.append(iters);
                start.elapsed()
            })
        });
    }
    group.finish();
}

/// Writer-to-tailer latency: this thread (pinned to core 0) appends `records` 64-byte records
/// to `sink`, each carrying the time it was appended; a tailer thread pinned to core 1
/// busy-polls, and acknowledges each record before the next is appended, so every record is
/// measured alone. Returns the latencies in nanoseconds.
fn tail_latencies(sink: &mut JournalSink, records: u64) -> Vec<u64> {
    let epoch = Instant::now();
    let acked = Arc::new(AtomicU64::new(0));
    let barrier = Arc::new(Barrier::new(2));
    let (tail_acked, tail_barrier) = (acked.clone(), barrier.clone());
    let path = sink.dir.path().to_path_buf();
    let tailer = std::thread::spawn(move || {
        pin(1);
        let mut tailer = Tailer::open(&path, StartAt::End).expect("open tailer");
        let mut latencies = Vec::with_capacity(records as usize);
        tail_barrier.wait();
        while (latencies.len() as u64) < records {
            if let Some(record) = tailer.poll().expect("poll") {
                let now = epoch.elapsed().as_nanos() as u64;
                let sent = u64::from_le_bytes(record.payload[..8].try_into().expect("8 bytes"));
                latencies.push(now.saturating_sub(sent));
                tail_acked.store(record.seq, Ordering::Release);
            }
        }
        latencies
    });
    pin(0);
    barrier.wait();
    let mut payload = [0u8; 64];
    for _ in 0..records {
        payload[..8].copy_from_slice(&(epoch.elapsed().as_nanos() as u64).to_le_bytes());
        let seq = sink.writer.append(2, sink.seq, &payload).expect("append");
        sink.seq += 1;
        while acked.load(Ordering::Acquire) < seq {
            std::hint::spin_loop();
        }
    }
    tailer.join().expect("tailer thread")
}

/// A settled journal for the latency benches: its spare segment is prepared.
fn settled_journal(payload_len: usize) -> JournalSink {
    let sink = JournalSink::new(payload_len);
    std::thread::sleep(SETTLE);
    sink
}

fn bench_tail_latency(c: &mut Criterion) {
    let mut group = c.benchmark_group("journal_tail");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(10);
    let mut sink = settled_journal(64);
    // Criterion's time per iteration is the mean writer-to-tailer latency of one record.
    group.bench_function("writer_to_tailer_64B", |b| {
        b.iter_custom(|iters| {
            if sink.bytes() > RESET_BYTES {
                sink = settled_journal(64);
            }
            Duration::from_nanos(tail_latencies(&mut sink, iters).iter().sum())
        })
    });
    group.finish();
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn gbps(bytes: usize, elapsed: Duration) -> f64 {
    bytes as f64 / elapsed.as_secs_f64() / 1e9
}

fn warm_round(len: usize) -> Vec<Vec<f64>> {
    let records = (WARM_BYTES / frame_len(len)) as u64;
    let mut journal = || {
        let mut sink = settled_journal(len);
        let start = Instant::now();
        sink.append(records);
        gbps(WARM_BYTES, start.elapsed())
    };
    let mut bufwriter = || {
        let mut sink = BufWriterSink::new(len, WARM_BYTES);
        let start = Instant::now();
        sink.append(records);
        sink.flush();
        gbps(WARM_BYTES, start.elapsed())
    };
    let mut memcpy_sink = MemcpySink::new(len, WARM_BYTES);
    let mut memcpy = || {
        memcpy_sink.position = 0;
        let start = Instant::now();
        memcpy_sink.append(records);
        gbps(WARM_BYTES, start.elapsed())
    };
    interleave(rounds(15), &mut [&mut journal, &mut bufwriter, &mut memcpy])
}

fn sustained_round(len: usize) -> Vec<Vec<f64>> {
    let records = (SUSTAINED_BYTES / frame_len(len)) as u64;
    let mut journal = || {
        let mut sink = JournalSink::new(len);
        let start = Instant::now();
        sink.append(records);
        gbps(SUSTAINED_BYTES, start.elapsed())
    };
    let mut bufwriter = || {
        let mut sink = BufWriterSink::new(len, 0);
        let start = Instant::now();
        sink.append(records);
        sink.flush();
        gbps(SUSTAINED_BYTES, start.elapsed())
    };
    interleave(rounds(15).div_ceil(3), &mut [&mut journal, &mut bufwriter])
}

/// Per-append latency in the warm regime: each append timed alone, minus the timer's own cost.
fn append_latencies(len: usize) -> Vec<u64> {
    const SAMPLES: usize = 100_000;
    let mut timer_cost: Vec<u64> = (0..10_000)
        .map(|_| {
            let t = Instant::now();
            black_box(t.elapsed().as_nanos() as u64)
        })
        .collect();
    timer_cost.sort_unstable();
    let overhead = timer_cost[timer_cost.len() / 2];
    let mut sink = settled_journal(len);
    let mut latencies: Vec<u64> = (0..SAMPLES)
        .map(|_| {
            let start = Instant::now();
            sink.append(1);
            (start.elapsed().as_nanos() as u64).saturating_sub(overhead)
        })
        .collect();
    latencies.sort_unstable();
    latencies
}

fn interleaved_report() {
    for len in PAYLOAD_SIZES {
        let frame = frame_len(len);
        println!("\n{len} B payloads ({frame} B frames)");
        let warm = warm_round(len);
        let names = ["journal", "bufwriter", "memcpy"];
        for (name, rates) in names.iter().zip(&warm) {
            print_quartiles(&format!("warm {name}"), rates, "GB/s");
        }
        print_ratio("warm journal / bufwriter", &warm[0], &warm[1]);
        print_ratio("warm journal / memcpy", &warm[0], &warm[2]);
        let sustained = sustained_round(len);
        for (name, rates) in names.iter().zip(&sustained) {
            print_quartiles(&format!("sustained {name}"), rates, "GB/s");
        }
        print_ratio(
            "sustained journal / bufwriter",
            &sustained[0],
            &sustained[1],
        );
        let latencies = append_latencies(len);
        println!(
            "  append latency (warm): p50 {} ns, p99 {} ns, p99.9 {} ns, max {} ns",
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            percentile(&latencies, 0.999),
            latencies[latencies.len() - 1]
        );
    }
    let mut tail = tail_latencies(&mut settled_journal(64), 200_000);
    tail.sort_unstable();
    println!(
        "\nwriter-to-tailer latency, 64 B records, two pinned threads: p50 {} ns, p99 {} ns, p99.9 {} ns, max {} ns",
        percentile(&tail, 0.5),
        percentile(&tail, 0.99),
        percentile(&tail, 0.999),
        tail[tail.len() - 1]
    );
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench_append(&mut criterion);
    bench_tail_latency(&mut criterion);
    criterion.final_summary();
    if is_bench_run() {
        interleaved_report();
    }
}
