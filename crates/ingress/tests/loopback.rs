//! The ingress over real loopback sockets, files and threads.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use recal_ingress::{
    Backoff, ConnectionEvent, EndpointId, Envelope, FrameError, Framing, Ingress, IngressConfig,
    PushError, Sink,
};
use recal_types::{Source, Timestamp};

/// Everything a sink was told.
#[derive(Default)]
struct Recorder {
    messages: Vec<(Source, Vec<u8>, u64)>,
    rejected: Vec<(EndpointId, FrameError, Vec<u8>)>,
    events: Vec<(EndpointId, ConnectionEvent)>,
}

impl Sink for Recorder {
    fn message(&mut self, source: Source, bytes: &[u8], receive_time: Timestamp) {
        self.messages
            .push((source, bytes.to_vec(), receive_time.as_nanos()));
    }

    fn rejected(&mut self, endpoint: EndpointId, error: &FrameError, bytes: &[u8]) {
        self.rejected.push((endpoint, *error, bytes.to_vec()));
    }

    fn connection(&mut self, endpoint: EndpointId, event: ConnectionEvent) {
        self.events.push((endpoint, event));
    }
}

impl Recorder {
    fn texts(&self) -> Vec<String> {
        self.messages
            .iter()
            .map(|(_, bytes, _)| String::from_utf8_lossy(bytes).into_owned())
            .collect()
    }
}

/// A clock that counts: receive times 1, 2, 3, … so tests can tell stamped from recorded.
fn counting_clock() -> (impl FnMut() -> Timestamp + Send + 'static, Arc<AtomicU64>) {
    let ticks = Arc::new(AtomicU64::new(0));
    let shared = Arc::clone(&ticks);
    let clock = move || Timestamp::from_nanos(shared.fetch_add(1, Ordering::Relaxed) + 1);
    (clock, ticks)
}

/// Polls until `done` holds; panics (rather than hang) after a generous number of rounds.
fn poll_until(ingress: &mut Ingress, sink: &mut Recorder, mut done: impl FnMut(&Recorder) -> bool) {
    for _ in 0..2_000 {
        if done(sink) {
            return;
        }
        ingress.poll(Some(Duration::from_millis(10)), sink).unwrap();
    }
    panic!(
        "condition not reached; messages {:?}, rejected {:?}, events {:?}",
        sink.texts(),
        sink.rejected,
        sink.events
    );
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Accepts on a non-blocking listener while polling the ingress, so the client can connect.
fn accept(listener: &TcpListener, ingress: &mut Ingress, sink: &mut Recorder) -> TcpStream {
    listener.set_nonblocking(true).unwrap();
    for _ in 0..2_000 {
        if let Ok((stream, _)) = listener.accept() {
            stream.set_nonblocking(false).unwrap();
            return stream;
        }
        ingress.poll(Some(Duration::from_millis(10)), sink).unwrap();
    }
    panic!("the client never connected; events {:?}", sink.events);
}

#[test]
fn tcp_client_reconnects_after_the_server_drops_it() {
    let listener = TcpListener::bind(loopback()).unwrap();
    let addr = listener.local_addr().unwrap();
    let (clock, _) = counting_clock();
    let mut ingress = Ingress::new(IngressConfig::default())
        .unwrap()
        .with_clock(clock);
    let backoff = Backoff {
        initial: Duration::from_millis(2),
        max: Duration::from_millis(20),
        ..Backoff::default()
    };
    let client = ingress
        .add_tcp_client(addr, Framing::Raw(Source::BinanceSpot), backoff)
        .unwrap();
    let mut sink = Recorder::default();

    let mut first = accept(&listener, &mut ingress, &mut sink);
    first.write_all(b"{\"n\":1}\n{\"n\":2}\n{\"n\":").unwrap();
    drop(first);
    poll_until(&mut ingress, &mut sink, |sink| {
        sink.events
            .iter()
            .any(|(_, event)| matches!(event, ConnectionEvent::Disconnected(_)))
    });
    assert_eq!(sink.texts(), ["{\"n\":1}", "{\"n\":2}"]);
    assert_eq!(
        sink.rejected,
        [(
            client,
            FrameError::PartialLine { len: 5 },
            b"{\"n\":".to_vec()
        )]
    );

    let mut second = accept(&listener, &mut ingress, &mut sink);
    second.write_all(b"3}\n{\"n\":4}\n").unwrap();
    poll_until(&mut ingress, &mut sink, |sink| sink.messages.len() == 4);
    // The unfinished line of the first connection is not joined to the second's bytes.
    assert_eq!(sink.texts(), ["{\"n\":1}", "{\"n\":2}", "3}", "{\"n\":4}"]);
    assert!(
        sink.messages
            .iter()
            .all(|(source, _, _)| *source == Source::BinanceSpot)
    );
    let stats = ingress.stats(client).unwrap();
    assert_eq!(
        (stats.connects, stats.disconnects, stats.partial_lines),
        (2, 1, 1)
    );
    assert!(stats.reconnect_attempts >= 1);
    assert_eq!(stats.messages, 4);
}

#[test]
fn tcp_client_retries_a_closed_port_then_gives_up() {
    // Reserve a port, then close it so that the first attempts are refused.
    let addr = TcpListener::bind(loopback()).unwrap().local_addr().unwrap();
    let mut ingress = Ingress::new(IngressConfig::default()).unwrap();
    let backoff = Backoff {
        initial: Duration::from_millis(1),
        max: Duration::from_millis(4),
        max_attempts: Some(3),
        seed: 7,
    };
    let client = ingress
        .add_tcp_client(addr, Framing::Envelope, backoff)
        .unwrap();
    let mut sink = Recorder::default();
    poll_until(&mut ingress, &mut sink, |sink| {
        sink.events
            .iter()
            .any(|(_, event)| *event == ConnectionEvent::GaveUp)
    });
    let failures = sink
        .events
        .iter()
        .filter(|(_, event)| matches!(event, ConnectionEvent::ConnectFailed(_)))
        .count();
    assert_eq!(failures, 3);
    let stats = ingress.stats(client).unwrap();
    assert_eq!((stats.connects, stats.reconnect_attempts), (0, 2));
}

#[test]
fn tcp_server_takes_two_feeds_with_split_writes_and_oversized_lines() {
    let config = IngressConfig {
        max_line: 1024,
        keep_bytes: 16,
        ..IngressConfig::default()
    };
    let (clock, _) = counting_clock();
    let mut ingress = Ingress::new(config).unwrap().with_clock(clock);
    let server = ingress
        .add_tcp_server(loopback(), Framing::Envelope)
        .unwrap();
    let addr = ingress.local_addr(server).unwrap();
    let mut sink = Recorder::default();

    let mut deribit = TcpStream::connect(addr).unwrap();
    let mut binance = TcpStream::connect(addr).unwrap();
    poll_until(&mut ingress, &mut sink, |sink| sink.events.len() == 2);
    assert_eq!(ingress.open_connections(server), 2);

    deribit
        .write_all(br#"{"source":"deribit","recv_ns":42,"msg":{"jsonrpc":"2.0","#)
        .unwrap();
    deribit.flush().unwrap();
    binance
        .write_all(b"{\"source\":\"binance-usdm\",\"msg\":{\"e\":\"trade\"}}\n")
        .unwrap();
    poll_until(&mut ingress, &mut sink, |sink| sink.messages.len() == 1);
    deribit.write_all(b"\"id\":1}}\n").unwrap();
    let oversized = format!("{}\n", "x".repeat(5_000));
    binance.write_all(oversized.as_bytes()).unwrap();
    binance
        .write_all(b"{\"source\":\"pyth\",\"msg\":[]}\nnot an envelope\n")
        .unwrap();
    poll_until(&mut ingress, &mut sink, |sink| {
        sink.messages.len() == 3 && sink.rejected.len() == 2
    });

    let mut messages = sink.messages.clone();
    messages.sort_by_key(|(source, _, _)| source.code());
    assert_eq!(messages[0].0, Source::Deribit);
    assert_eq!(messages[0].1, br#"{"jsonrpc":"2.0","id":1}"#);
    assert_eq!(
        messages[0].2, 42,
        "the recorded receive time wins over the clock"
    );
    assert_eq!(messages[1].0, Source::BinanceUsdmFutures);
    assert!(
        messages[1].2 > 0 && messages[1].2 < 1_000,
        "stamped by the test clock"
    );
    assert_eq!(
        (messages[2].0, &messages[2].1[..]),
        (Source::Pyth, &b"[]"[..])
    );
    assert_eq!(
        sink.rejected[0],
        (
            server,
            FrameError::Oversized {
                len: 5_000,
                max: 1024
            },
            vec![b'x'; 16]
        )
    );
    assert!(matches!(sink.rejected[1].1, FrameError::BadEnvelope(_)));

    drop(deribit);
    drop(binance);
    poll_until(&mut ingress, &mut sink, |sink| {
        sink.events
            .iter()
            .filter(|(_, event)| matches!(event, ConnectionEvent::Closed(_)))
            .count()
            == 2
    });
    let stats = ingress.stats(server).unwrap();
    assert_eq!(
        (stats.accepted, stats.disconnects, stats.messages),
        (2, 2, 3)
    );
    assert_eq!(
        (stats.oversized, stats.bad_envelopes, stats.partial_lines),
        (1, 1, 0)
    );
    assert_eq!(ingress.open_connections(server), 0);
    let kept: Vec<_> = ingress
        .rejects()
        .iter()
        .map(|refused| refused.error)
        .collect();
    assert_eq!(kept.len(), 2);
    assert!(
        ingress
            .rejects()
            .iter()
            .all(|refused| refused.bytes.len() <= 16)
    );
}

#[test]
fn udp_delivers_one_message_per_datagram() {
    let config = IngressConfig {
        max_line: 64,
        ..IngressConfig::default()
    };
    let mut ingress = Ingress::new(config).unwrap();
    let udp = ingress
        .add_udp(loopback(), Framing::Raw(Source::Pyth))
        .unwrap();
    let addr = ingress.local_addr(udp).unwrap();
    let sender = UdpSocket::bind(loopback()).unwrap();
    sender.send_to(b"{\"a\":1}", addr).unwrap();
    sender.send_to(&[b'y'; 100], addr).unwrap();
    sender.send_to(b"{\"b\":2}\n", addr).unwrap();
    sender.send_to(b"", addr).unwrap();
    let mut sink = Recorder::default();
    poll_until(&mut ingress, &mut sink, |sink| {
        sink.messages.len() == 2 && sink.rejected.len() == 1
    });
    assert_eq!(sink.texts(), ["{\"a\":1}", "{\"b\":2}"]);
    assert_eq!(
        sink.rejected[0].1,
        FrameError::Oversized { len: 100, max: 64 }
    );
    assert_eq!(ingress.stats(udp).unwrap().oversized, 1);
}

fn tape_lines() -> Vec<u8> {
    let mut tape = Vec::new();
    let trade = br#"{"e":"trade","E":1717632001000,"T":1717632001000,"s":"BTCUSDT","t":1,"p":"68000.5","q":"0.1","m":false}"#;
    for (index, message) in [&trade[..], br#"{"result":null,"id":1}"#]
        .into_iter()
        .enumerate()
    {
        Envelope {
            source: Source::BinanceUsdmFutures,
            receive_time: Some(Timestamp::from_nanos(
                1_717_632_001_000_000_000 + index as u64,
            )),
            message,
        }
        .write_line(&mut tape)
        .unwrap();
    }
    tape
}

fn read_tape(path: &std::path::Path) -> (Recorder, Ingress) {
    let mut ingress = Ingress::new(IngressConfig::default()).unwrap();
    ingress.add_tape(path, Framing::Envelope).unwrap();
    let mut sink = Recorder::default();
    while ingress.open_tapes() > 0 {
        ingress.poll(Some(Duration::ZERO), &mut sink).unwrap();
    }
    (sink, ingress)
}

#[test]
fn tapes_plain_and_gzip_decode_through_the_feed() {
    let directory = tempfile::tempdir().unwrap();
    let mut contents = tape_lines();
    contents.extend_from_slice(br#"{"source":"recal","msg":{"#);
    let plain = directory.path().join("tape.ndjson");
    std::fs::write(&plain, &contents).unwrap();
    // Two gzip members, split inside a line: read as one stream.
    let gzip = directory.path().join("tape.ndjson.gz");
    let mut compressed = Vec::new();
    for part in [&contents[..30], &contents[30..]] {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(part).unwrap();
        compressed.extend(encoder.finish().unwrap());
    }
    std::fs::write(&gzip, compressed).unwrap();

    for path in [plain, gzip] {
        let (sink, ingress) = read_tape(&path);
        assert_eq!(sink.messages.len(), 2, "{}", path.display());
        assert_eq!(
            sink.rejected
                .iter()
                .map(|(_, error, _)| *error)
                .collect::<Vec<_>>(),
            [FrameError::PartialLine { len: 25 }]
        );
        assert!(
            sink.events
                .iter()
                .any(|(_, event)| *event == ConnectionEvent::TapeEnded)
        );
        assert_eq!(ingress.totals().partial_lines, 1);
        let mut decoder = recal_feed::Decoder::new(recal_feed::DecoderConfig::default());
        let mut events = Vec::new();
        for (source, bytes, received) in &sink.messages {
            decoder
                .decode(
                    *source,
                    bytes,
                    Timestamp::from_nanos(*received),
                    &mut events,
                )
                .unwrap();
        }
        assert_eq!(events.len(), 1);
        assert_eq!(
            events[0].receive_time().as_nanos(),
            1_717_632_001_000_000_000
        );
    }
}

#[test]
fn a_missing_tape_is_a_typed_error() {
    let mut ingress = Ingress::new(IngressConfig::default()).unwrap();
    let error = ingress
        .add_tape("/nonexistent/tape.ndjson", Framing::Envelope)
        .unwrap_err();
    assert!(
        matches!(error, recal_ingress::IngressError::OpenTape { .. }),
        "{error}"
    );
}

#[test]
fn push_handle_carries_messages_across_threads_in_order() {
    const COUNT: u64 = 20_000;
    let mut ingress = Ingress::new(IngressConfig::default()).unwrap();
    let (endpoint, mut handle) = ingress.add_push(64, 64).unwrap();
    let pusher = std::thread::spawn(move || {
        for index in 0..COUNT {
            let text = format!("{{\"i\":{index}}}");
            handle
                .push(Source::Recal, text.as_bytes(), Timestamp::from_nanos(index))
                .unwrap();
        }
        handle
    });
    let mut next = 0;
    let mut in_order = true;
    let mut sink = |source: Source, bytes: &[u8], received: Timestamp| {
        in_order &= source == Source::Recal
            && received.as_nanos() == next
            && bytes == format!("{{\"i\":{next}}}").as_bytes();
        next += 1;
    };
    while ingress.stats(endpoint).unwrap().messages < COUNT {
        ingress
            .poll_fn(Some(Duration::from_millis(100)), &mut sink)
            .unwrap();
    }
    assert!(in_order);
    let mut handle = pusher.join().unwrap();
    assert_eq!(
        handle.try_push(Source::Recal, &[b' '; 65], Timestamp::from_nanos(0)),
        Err(PushError::Oversized { len: 65, max: 64 })
    );
    for _ in 0..64 {
        handle
            .try_push(Source::Recal, b"{}", Timestamp::from_nanos(0))
            .unwrap();
    }
    assert_eq!(
        handle.try_push(Source::Recal, b"{}", Timestamp::from_nanos(0)),
        Err(PushError::Full)
    );
    drop(ingress);
    assert_eq!(
        handle.try_push(Source::Recal, b"{}", Timestamp::from_nanos(0)),
        Err(PushError::Disconnected)
    );
}

#[test]
fn steady_state_delivery_does_not_allocate() {
    let mut ingress = Ingress::new(IngressConfig::default()).unwrap();
    let (_, mut handle) = ingress.add_push(256, 1024).unwrap();
    let tape = tape_lines().repeat(2_000);
    ingress
        .add_tape_reader(std::io::Cursor::new(tape), Framing::Envelope)
        .unwrap();
    let mut delivered = 0_u64;
    let mut sink = |_: Source, bytes: &[u8], _: Timestamp| delivered += bytes.len() as u64;
    push_and_poll(&mut ingress, &mut handle, &mut sink);
    let allocations = allocation_counter::measure(|| {
        for _ in 0..20 {
            push_and_poll(&mut ingress, &mut handle, &mut sink);
        }
    });
    assert_eq!(allocations.count_total, 0);
    assert!(delivered > 0);
}

/// One round of the steady-state test: 100 pushes, one poll.
fn push_and_poll(
    ingress: &mut Ingress,
    handle: &mut recal_ingress::PushHandle,
    sink: &mut impl Sink,
) {
    let message = br#"{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1","q":"1","m":false}"#;
    for _ in 0..100 {
        handle
            .try_push(Source::BinanceSpot, message, Timestamp::from_nanos(1))
            .unwrap();
    }
    ingress.poll(Some(Duration::ZERO), sink).unwrap();
}
