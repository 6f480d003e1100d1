//! A tiny HTTP listener that stands where the server fetches the realm's JWKS: it relays the dev
//! IdP's real keys, or answers garbage, HTTP 500, or never answers (for the JWKS fault tests).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::TestResult;

/// How the listener answers the next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum JwksBehaviour {
    /// 200 with the body of the real JWKS endpoint (fetched per request).
    Relay = 0,
    /// 200 with an HTML page.
    Garbage = 1,
    /// 500 with a text body.
    Status500 = 2,
    /// Reads the request and never answers (the connection stays open until the test ends).
    Hang = 3,
}

impl JwksBehaviour {
    fn from_u8(value: u8) -> Self {
        match value {
            1 => Self::Garbage,
            2 => Self::Status500,
            3 => Self::Hang,
            _ => Self::Relay,
        }
    }
}

struct Shared {
    real_url: String,
    behaviour: AtomicU8,
    requests: AtomicU64,
    http: reqwest::Client,
}

/// The listener; it stops when dropped.
pub struct BrokenJwks {
    port: u16,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl BrokenJwks {
    /// Listens on a free loopback port and relays `real_url` (Keycloak's `certs` endpoint)
    /// until told otherwise. Any request path is answered the same way.
    pub async fn start(real_url: String) -> TestResult<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            real_url,
            behaviour: AtomicU8::new(JwksBehaviour::Relay as u8),
            requests: AtomicU64::new(0),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
        });
        let accepting = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(answer(stream, accepting.clone()));
            }
        });
        Ok(Self { port, shared, task })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn set(&self, behaviour: JwksBehaviour) {
        self.shared
            .behaviour
            .store(behaviour as u8, Ordering::SeqCst);
    }

    /// Requests received so far (whatever was answered).
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }
}

impl Drop for BrokenJwks {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(mut stream: TcpStream, shared: Arc<Shared>) {
    // The request head; a JWKS GET has no body.
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let behaviour = JwksBehaviour::from_u8(shared.behaviour.load(Ordering::SeqCst));
    let (status, content_type, body) = match behaviour {
        JwksBehaviour::Relay => match relay(&shared).await {
            Ok(body) => ("200 OK", "application/json", body),
            Err(e) => ("502 Bad Gateway", "text/plain", e.into_bytes()),
        },
        JwksBehaviour::Garbage => (
            "200 OK",
            "application/json",
            b"<html><body>Welcome to nginx!</body></html>".to_vec(),
        ),
        JwksBehaviour::Status500 => (
            "500 Internal Server Error",
            "text/plain",
            b"internal error".to_vec(),
        ),
        JwksBehaviour::Hang => {
            std::future::pending::<()>().await;
            return;
        }
    };
    let mut response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    let _ = stream.write_all(&response).await;
    let _ = stream.shutdown().await;
}

async fn relay(shared: &Shared) -> Result<Vec<u8>, String> {
    let response = shared
        .http
        .get(&shared.real_url)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    Ok(body.to_vec())
}
