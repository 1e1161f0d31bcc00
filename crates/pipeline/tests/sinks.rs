//! Every sink with real proposals from an emitter: callback, channel, journal, NDJSON (against
//! the typed-data JSON) and TCP over loopback with a real socket.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::num::NonZeroU32;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use alloy_primitives::Address;
use recal_emit::eip712::{self, Eip712Domain, PreparedDomain};
use recal_emit::{
    Emitter, EmitterConfig, EthSignature, Secp256k1Signer, SignedProposal, SignedTypedData, record,
};
use recal_journal::{JournalError, Reader, Schema, Writer, WriterOptions};
use recal_pipeline::sink::{
    Backoff, CallbackSink, ChannelSink, JournalSink, NdjsonSink, RECORD_TYPE, Sink, SinkError,
    TcpSink,
};
use recal_types::{MarketId, ParameterSet, Timestamp, TriggerCause};

const T0: u64 = 1_700_000_000;

fn domain() -> Eip712Domain {
    eip712::domain(8453, Address::repeat_byte(0x77))
}

fn at(seconds: u64) -> Timestamp {
    Timestamp::from_unix_seconds(seconds).unwrap()
}

/// `count` proposals for market 3 from an emitter, one per second from `T0`, each with its
/// emission time.
fn emitted(count: u32) -> Vec<(SignedProposal<EthSignature>, Timestamp)> {
    let signer = Secp256k1Signer::from_bytes(&[5; 32]).unwrap();
    let config = EmitterConfig {
        time_lock: 3_600,
        validity: 600,
    };
    let mut emitter = Emitter::new(signer, PreparedDomain::new(domain()), config);
    (0..count)
        .map(|i| {
            emitter.absorb(&i.to_le_bytes());
            let parameters = ParameterSet {
                initial_margin_ppm: 100_000 + i,
                maintenance_margin_ppm: 50_000,
                ..ParameterSet::default()
            };
            let now = at(T0 + u64::from(i));
            let signed = emitter
                .emit(MarketId(3), parameters, TriggerCause::Deviation, now)
                .unwrap();
            (signed, now)
        })
        .collect()
}

#[test]
fn callback_sink_sees_every_proposal() {
    let proposals = emitted(3);
    let mut seen = Vec::new();
    {
        let mut sink =
            CallbackSink::new(|signed: &SignedProposal<EthSignature>| seen.push(*signed));
        for (signed, now) in &proposals {
            sink.deliver(signed, *now).unwrap();
        }
    }
    let expected: Vec<_> = proposals.iter().map(|(signed, _)| *signed).collect();
    assert_eq!(seen, expected);
}

#[test]
fn channel_sink_sends_to_another_thread_until_disconnected() {
    let proposals = emitted(3);
    let (sender, receiver) = mpsc::channel();
    let consumer = thread::spawn(move || receiver.iter().take(3).collect::<Vec<_>>());
    let mut sink = ChannelSink::new(sender);
    for (signed, now) in &proposals {
        sink.deliver(signed, *now).unwrap();
    }
    let received = consumer.join().unwrap();
    let expected: Vec<_> = proposals.iter().map(|(signed, _)| *signed).collect();
    assert_eq!(received, expected);
    let (signed, now) = &proposals[0];
    assert!(matches!(
        sink.deliver(signed, *now),
        Err(SinkError::Disconnected)
    ));
}

fn small_segments() -> WriterOptions {
    WriterOptions {
        segment_size: 1 << 16,
        ..WriterOptions::default()
    }
}

#[test]
fn journal_sink_appends_records_that_decode_to_the_proposals() {
    let proposals = emitted(4);
    let dir = tempfile::tempdir().unwrap();
    let mut sink = JournalSink::open(dir.path(), small_segments()).unwrap();
    for (signed, now) in &proposals {
        sink.deliver(signed, *now).unwrap();
    }
    assert_eq!(sink.writer().next_seq(), 4);
    // An emission older than the last record is refused by the journal, and nothing is written.
    let (first, first_time) = &proposals[0];
    assert!(matches!(
        sink.deliver(first, *first_time),
        Err(SinkError::Journal(JournalError::TimestampRegression { .. }))
    ));
    drop(sink);

    let reader = Reader::open(dir.path())
        .unwrap()
        .expect_schema(&recal_pipeline::sink::schema())
        .unwrap();
    let records: Vec<_> = reader.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(records.len(), proposals.len());
    for (record, (signed, now)) in records.iter().zip(&proposals) {
        assert_eq!(record.record_type, RECORD_TYPE);
        assert_eq!(record.timestamp_ns, now.as_nanos());
        assert_eq!(record.payload.len(), record::LEN);
        assert_eq!(record::decode(record.payload).unwrap(), *signed);
    }
}

#[test]
fn journal_sink_refuses_a_journal_of_another_schema() {
    let dir = tempfile::tempdir().unwrap();
    let writer = Writer::open(
        dir.path(),
        &Schema::new(7, "recal.input", 1),
        small_segments(),
    )
    .unwrap();
    assert!(matches!(
        JournalSink::new(writer),
        Err(SinkError::Journal(JournalError::SchemaMismatch { .. }))
    ));
}

#[test]
fn ndjson_sink_writes_one_parsable_line_per_proposal() {
    let proposals = emitted(3);
    let mut sink = NdjsonSink::new(Vec::new(), domain());
    for (signed, now) in &proposals {
        sink.deliver(signed, *now).unwrap();
    }
    let out = sink.into_inner();
    let lines: Vec<&[u8]> = out.split_inclusive(|&b| b == b'\n').collect();
    assert_eq!(lines.len(), proposals.len());
    for (line, (signed, _)) in lines.iter().zip(&proposals) {
        assert_eq!(line.last(), Some(&b'\n'));
        let typed = SignedTypedData::from_json(line).unwrap();
        assert_eq!(typed.domain, domain());
        assert_eq!(typed.signed, *signed);
        // What an integrator recomputes from the line alone recovers the signer.
        let hash = typed.signed.proposal.signing_hash(&typed.domain);
        assert_eq!(
            typed.signed.signature.recover(&hash).unwrap(),
            Secp256k1Signer::from_bytes(&[5; 32]).unwrap().address()
        );
    }
}

/// Quick retries for tests over loopback.
fn quick(attempts: u32) -> Backoff {
    Backoff {
        attempts: NonZeroU32::new(attempts).unwrap(),
        first_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        timeout: Duration::from_secs(2),
    }
}

/// Every line the peer sends on one accepted connection, until it closes (at most 10 s).
fn read_lines(listener: &TcpListener, limit: usize) -> Vec<String> {
    let (stream, _) = listener.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    BufReader::new(stream)
        .lines()
        .take(limit)
        .map(Result::unwrap)
        .collect()
}

#[test]
fn tcp_sink_streams_lines_and_reconnects_after_the_peer_closes() {
    let proposals = emitted(4);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let (closed, first_closed) = mpsc::channel();
    let server = thread::spawn(move || {
        let first = read_lines(&listener, 1);
        closed.send(()).unwrap();
        let rest = read_lines(&listener, usize::MAX);
        (first, rest)
    });

    let mut sink = TcpSink::new(address, domain(), quick(10));
    assert!(!sink.is_connected());
    sink.deliver(&proposals[0].0, proposals[0].1).unwrap();
    assert!(sink.is_connected());
    first_closed.recv_timeout(Duration::from_secs(10)).unwrap();
    for (signed, now) in &proposals[1..] {
        sink.deliver(signed, *now).unwrap();
    }
    drop(sink);

    let (first, rest) = server.join().unwrap();
    let parse = |line: &String| SignedTypedData::from_json(line.as_bytes()).unwrap().signed;
    assert_eq!(
        first.iter().map(parse).collect::<Vec<_>>(),
        [proposals[0].0]
    );
    let expected: Vec<_> = proposals[1..].iter().map(|(signed, _)| *signed).collect();
    assert_eq!(rest.iter().map(parse).collect::<Vec<_>>(), expected);
}

#[test]
fn tcp_sink_gives_up_after_its_attempts_and_connects_once_the_peer_is_back() {
    let proposals = emitted(2);
    let address = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let mut sink = TcpSink::new(address, domain(), quick(3));
    let start = Instant::now();
    let result = sink.deliver(&proposals[0].0, proposals[0].1);
    let waited = start.elapsed();
    assert!(
        matches!(result, Err(SinkError::Unreachable { attempts: 3, .. })),
        "{result:?}"
    );
    // Two pauses, of 10 and 20 ms, between the three refused connections.
    assert!(waited >= Duration::from_millis(30), "{waited:?}");
    assert!(!sink.is_connected());

    let listener = TcpListener::bind(address).unwrap();
    let server = thread::spawn(move || read_lines(&listener, usize::MAX));
    sink.deliver(&proposals[1].0, proposals[1].1).unwrap();
    drop(sink);
    let lines = server.join().unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        SignedTypedData::from_json(lines[0].as_bytes())
            .unwrap()
            .signed,
        proposals[1].0
    );
}
