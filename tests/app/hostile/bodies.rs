//! Request bodies: compressed bombs are refused before they are read (415) and cost no memory;
//! bodies that trickle in are cut at `HTTP_BODY_TIMEOUT_SECS` (408) and their connections closed.

use std::io::Write;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::server::{raw_exchange, raw_status, Client, Server};

/// Peak resident memory an attack may add to the idle server's, in KiB.
pub const RSS_BOUND_KIB: u64 = 20 * 1024;

/// `size` zero bytes, zstd-compressed (33 KB for a GiB).
pub fn zstd_zeros(size: usize) -> Vec<u8> {
    let mut encoder = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..size / chunk.len() {
        encoder.write_all(&chunk).unwrap();
    }
    encoder.finish().unwrap()
}

/// `size` zero bytes, gzip-compressed (65 KB for 64 MiB).
pub fn gzip_zeros(size: usize) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..size / chunk.len() {
        encoder.write_all(&chunk).unwrap();
    }
    encoder.finish().unwrap()
}

/// A raw `POST /api/games` with `body` under `Content-Encoding: encoding`.
pub fn encoded_post(encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST /api/games HTTP/1.1\r\nHost: caravan\r\nContent-Type: application/json\r\nContent-Encoding: {encoding}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

/// Warms the idle server up (a few requests of each kind) so that its peak includes what any
/// request costs, then returns that peak.
pub async fn idle_peak(server: &Server) -> u64 {
    let client = Client::new(server, None);
    for _ in 0..20 {
        client.get("/health").await;
        client.get("/api/games?limit=5").await;
    }
    server.peak_rss_kib()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn compressed_bombs_are_refused_unread_and_the_peak_memory_stays_flat() {
    let zstd = zstd_zeros(1 << 30);
    let gzip = gzip_zeros(64 << 20);
    assert!(
        zstd.len() < 64 * 1024,
        "the zstd bomb is {} bytes",
        zstd.len()
    );
    assert!(
        gzip.len() < 128 * 1024,
        "the gzip bomb is {} bytes",
        gzip.len()
    );
    let server = Server::start(&[]).await;
    let idle = idle_peak(&server).await;

    let mut attacks = Vec::new();
    for _ in 0..3 {
        let request = encoded_post("zstd", &zstd);
        let addr = server.addr.clone();
        attacks.push(tokio::spawn(async move {
            raw_exchange(&addr, &request, Duration::from_secs(20)).await
        }));
    }
    let request = encoded_post("gzip", &gzip);
    let addr = server.addr.clone();
    attacks.push(tokio::spawn(async move {
        raw_exchange(&addr, &request, Duration::from_secs(20)).await
    }));
    for attack in attacks {
        let answer = attack.await.unwrap();
        assert_eq!(raw_status(&answer), 415, "{answer}");
        assert!(answer.contains("unsupported_encoding"), "{answer}");
    }

    let (status, _) = Client::new(&server, None).get("/health").await;
    assert_eq!(status, 200);
    let peak = server.peak_rss_kib();
    assert!(
        peak <= idle + RSS_BOUND_KIB,
        "peak RSS rose from {idle} KiB idle to {peak} KiB"
    );
}

#[tokio::test]
async fn identity_is_the_one_encoding_accepted() {
    let server = Server::start(&[]).await;
    let body = br#"{"numPlayers":2}"#;
    let answer = raw_exchange(
        &server.addr,
        &encoded_post("identity", body),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(raw_status(&answer), 201, "{answer}");
    for encoding in ["br", "deflate", "gzip, identity", "x-custom"] {
        let answer = raw_exchange(
            &server.addr,
            &encoded_post(encoding, body),
            Duration::from_secs(10),
        )
        .await;
        assert_eq!(raw_status(&answer), 415, "{encoding}: {answer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bodies_that_trickle_in_are_cut_at_the_deadline_and_their_connections_closed() {
    let server = Server::start(&[("HTTP_BODY_TIMEOUT_SECS", "2")]).await;
    let started = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..50 {
        let addr = server.addr.clone();
        slow.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(&addr).await.unwrap();
            let head = "POST /api/games HTTP/1.1\r\nHost: caravan\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{";
            stream.write_all(head.as_bytes()).await.unwrap();
            let mut answer = Vec::new();
            let mut buf = [0u8; 1024];
            // A byte every 500 ms, and read whatever comes back, until the server closes.
            loop {
                tokio::select! {
                    read = stream.read(&mut buf) => match read {
                        Ok(0) | Err(_) => break,
                        Ok(n) => answer.extend_from_slice(&buf[..n]),
                    },
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {
                        if stream.write_all(b" ").await.is_err() {
                            // The server closed its side; read what it said.
                            let _ = tokio::time::timeout(
                                Duration::from_secs(2),
                                stream.read_to_end(&mut answer),
                            )
                            .await;
                            break;
                        }
                    }
                }
                if started.elapsed() > Duration::from_secs(30) {
                    panic!("still open after 30 s");
                }
            }
            String::from_utf8_lossy(&answer).into_owned()
        }));
    }
    let client = Client::new(&server, None);
    let (status, _) = client.get("/health").await;
    assert_eq!(status, 200, "/health answers while the slow bodies trickle");
    for task in slow {
        let answer = task.await.unwrap();
        assert_eq!(raw_status(&answer), 408, "{answer}");
        assert!(answer.contains("body_timeout"), "{answer}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the last slow body was cut after {:?}",
        started.elapsed()
    );
}
