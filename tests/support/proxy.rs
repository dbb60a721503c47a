//! A TCP proxy a test can cut and restore, to take a service away from the server under test and
//! give it back: `cut` closes every open connection and stops listening (new connections are
//! refused), `restore` listens again on the same port.

use std::net::SocketAddr;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

/// A proxy from `127.0.0.1:<port>` to an upstream address.
pub struct Proxy {
    address: SocketAddr,
    upstream: String,
    accept: Mutex<Option<JoinHandle<()>>>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    /// Starts proxying a free local port to `upstream` (`host:port`).
    pub async fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let proxy = Proxy {
            address,
            upstream: upstream.to_string(),
            accept: Mutex::new(None),
            connections: Arc::new(Mutex::new(Vec::new())),
        };
        proxy.serve(listener);
        proxy
    }

    /// The local port clients should use.
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Closes every connection and stops listening: the service looks down.
    pub fn cut(&self) {
        if let Some(accept) = self.accept.lock().take() {
            accept.abort();
        }
        for connection in self.connections.lock().drain(..) {
            connection.abort();
        }
    }

    /// Listens again on the same port: the service is back.
    pub async fn restore(&self) {
        let mut attempts = 0;
        let listener = loop {
            match TcpListener::bind(self.address).await {
                Ok(listener) => break listener,
                // The aborted accept task may still hold the port for a moment.
                Err(e) if attempts < 50 => {
                    attempts += 1;
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(e) => panic!("cannot listen on {} again: {e}", self.address),
            }
        };
        self.serve(listener);
    }

    fn serve(&self, listener: TcpListener) {
        let upstream = self.upstream.clone();
        let connections = self.connections.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                let mut open = connections.lock();
                open.retain(|c| !c.is_finished());
                open.push(task.abort_handle());
            }
        });
        *self.accept.lock() = Some(accept);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
    }
}

/// `host:port` of a `scheme://[user[:password]@]host:port[/…]` URL.
pub fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    host.to_string()
}

/// `url` with its `host:port` replaced by the proxy's.
pub fn through(url: &str, proxy: &Proxy) -> String {
    url.replacen(&host_port(url), &format!("127.0.0.1:{}", proxy.port()), 1)
}
