//! The real server binary in a child process (so that its peak memory can be read from
//! `/proc/<pid>/status`), raw HTTP over TCP for requests no polite client sends, and an HTTP
//! client that says which address it speaks for (`X-Forwarded-For`, trusted from 127.0.0.1).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The admin token of every server started here.
pub const ADMIN_TOKEN: &str = "hostile-tests-admin-token-0123456789";

/// Where a server listens (what clients need; a [`Server`] derefs to it).
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// `127.0.0.1:<port>`.
    pub addr: String,
}

/// A server process.
pub struct Server {
    child: Child,
    endpoint: Endpoint,
    /// Its standard error, as it comes.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl std::ops::Deref for Server {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl Server {
    /// Starts the binary with the given settings over the suite's defaults (loopback, in-memory,
    /// 127.0.0.1 trusted as a proxy so that clients can speak for several addresses), and waits
    /// for `/health`.
    pub async fn start(env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_caravan"));
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("SERVER_HOST", "127.0.0.1")
            .env("SERVER_PORT", port.to_string())
            .env("EVENT_STORE", "memory")
            .env("EVENT_BUS", "local")
            .env("LOG_LEVEL", "warn")
            .env("ADMIN_TOKEN", ADMIN_TOKEN)
            .env("TRUSTED_PROXIES", "127.0.0.1");
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server binary starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("stderr is piped");
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let server = Server {
            child,
            endpoint: Endpoint {
                base: format!("http://127.0.0.1:{port}"),
                addr: format!("127.0.0.1:{port}"),
            },
            log,
        };
        let client = Client::new(&server, None);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok((StatusCode::OK, _)) = client.try_get("/health").await {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not answer /health: {:?}",
                server.log.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident memory so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        proc_status_kib(self.pid(), "VmHWM:")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary with `env` and returns its exit status and standard error, for settings that
/// must stop it before it serves.
pub fn refuses_to_start(env: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_caravan"));
    command
        .env_clear()
        .env("SERVER_PORT", free_port().to_string())
        .env("EVENT_STORE", "memory")
        .env("LOG_LEVEL", "warn");
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let output = child.wait_with_output().expect("its output");
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            return (!status.success(), text);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return (false, "still running after 20 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn proc_status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc is readable");
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// An HTTP client speaking for one client address (sent as `X-Forwarded-For`; the server trusts
/// 127.0.0.1 as a proxy), or for the peer address itself when `None`.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    /// The address this client speaks for.
    pub address: Option<String>,
}

impl Client {
    /// A client of `server` for `address`.
    pub fn new(server: &Endpoint, address: Option<&str>) -> Client {
        Client {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            base: server.base.clone(),
            address: address.map(str::to_string),
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(address) = &self.address {
            request = request.header("X-Forwarded-For", address);
        }
        request
    }

    /// A request; the status and JSON body, or the transport error.
    pub async fn try_call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Value, Option<String>), reqwest::Error> {
        let mut request = self.request(method, path);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = response.text().await?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
            retry_after,
        ))
    }

    /// A request that must be answered: the status, the JSON body and `Retry-After`.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, Value, Option<String>) {
        self.try_call(method, path, token, body)
            .await
            .unwrap_or_else(|e| panic!("{path} is answered: {e}"))
    }

    /// `GET` without a token.
    pub async fn try_get(&self, path: &str) -> Result<(StatusCode, Value), reqwest::Error> {
        self.try_call(reqwest::Method::GET, path, None, None)
            .await
            .map(|(s, b, _)| (s, b))
    }

    /// `GET` without a token; must be answered.
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (status, body, _) = self.call(reqwest::Method::GET, path, None, None).await;
        (status, body)
    }

    /// `POST` JSON.
    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> (StatusCode, Value, Option<String>) {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }
}

/// The error code of an error body.
pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("(no code)")
}

/// Sends raw bytes on a new connection and reads the answer until the server closes it or
/// `within` passes; the answer's text (empty when nothing came).
pub async fn raw_exchange(addr: &str, request: &[u8], within: Duration) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    stream
        .write_all(request)
        .await
        .expect("the request is sent");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// The status code of a raw HTTP answer (0 when there is none).
pub fn raw_status(answer: &str) -> u16 {
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}
