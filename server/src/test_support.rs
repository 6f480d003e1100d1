//! The test kit of the server's tests and the end-to-end tests: RSA keys made at test time, token
//! minting, a JWKS endpoint whose behaviour tests control (its own keys, or a real IdP's relayed),
//! the settings that trust it, and the app in-process.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

use crate::settings::Settings;

mod dpop_key;
pub use dpop_key::DpopKey;

pub const REALM_PATH: &str = "/realms/mo/protocol/openid-connect/certs";

/// An RSA key pair made at test time (never stored anywhere).
pub struct TestKey {
    pub kid: String,
    pub encoding: EncodingKey,
    pub jwk: Value,
    pub public_pem: String,
}

fn generate(kid: &str, bits: usize) -> TestKey {
    let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), bits).expect("RSA key");
    let der = private.to_pkcs1_der().expect("PKCS#1 DER");
    let public = private.to_public_key();
    let jwk = json!({
        "kid": kid,
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
    });
    TestKey {
        kid: kid.to_owned(),
        encoding: EncodingKey::from_rsa_der(der.as_bytes()),
        jwk,
        public_pem: public.to_public_key_pem(LineEnding::LF).expect("PEM"),
    }
}

/// Three 2048-bit keys (`k1`, `k2`, `k3`), generated once per test process.
pub fn keys() -> &'static [TestKey] {
    static KEYS: OnceLock<Vec<TestKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        std::thread::scope(|s| {
            let handles: Vec<_> = ["k1", "k2", "k3"]
                .into_iter()
                .map(|kid| s.spawn(move || generate(kid, 2048)))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    })
}

/// A 1024-bit key: below the minimum the cache accepts.
pub fn weak_key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| generate("weak", 1024))
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Claims of a valid access token of bruce, for `issuer`.
pub fn claims(issuer: &str) -> Value {
    let now = now();
    json!({
        "iss": issuer,
        "sub": "c420894f-36ba-4cd5-b4f8-1b24bd8c53db",
        "aud": ["mo", "account"],
        "azp": "mo",
        "typ": "Bearer",
        "exp": now + 300,
        "iat": now,
        "jti": "test",
        "preferred_username": "bruce",
        "name": "Bruce Lee",
        "email": "bruce@kung.fu",
        "uuid": "c420894f-36ba-4cd5-b4f8-1b24bd8c53db",
        "realm_access": {"roles": ["offline_access"]},
        "resource_access": {"mo": {"roles": ["reader"]}}
    })
}

/// RS256 with the key's `kid`.
pub fn mint(key: &TestKey, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    mint_with(&header, key, claims)
}

pub fn mint_with(header: &Header, key: &TestKey, claims: &Value) -> String {
    jsonwebtoken::encode(header, claims, &key.encoding).expect("sign")
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the test JWKS endpoint answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Ok,
    Status500,
    Garbage,
    /// Valid JSON, but no usable key.
    NoKeys,
    /// Accepts the request and never answers.
    Hang,
    /// A body larger than any JWKS.
    Huge,
}

struct JwksState {
    mode: Mutex<Mode>,
    keys: Mutex<Vec<Value>>,
    /// A real IdP's JWKS to serve in `Mode::Ok` instead of `keys`.
    relay: Option<(url::Url, reqwest::Client)>,
    delay: Mutex<Duration>,
    fetches: AtomicU64,
}

/// A JWKS endpoint that counts requests: at `http://{addr}/realms/mo/protocol/openid-connect/certs`
/// (every other path answers the same, so it can stand in for any realm's).
pub struct JwksServer {
    pub addr: SocketAddr,
    state: Arc<JwksState>,
    task: tokio::task::JoinHandle<()>,
}

async fn certs(State(state): State<Arc<JwksState>>) -> Response {
    // No keep-alive: a stopped server must look unreachable, not answer on a pooled connection.
    let mut response = answer(&state).await;
    response.headers_mut().insert(
        axum::http::header::CONNECTION,
        axum::http::HeaderValue::from_static("close"),
    );
    response
}

async fn answer(state: &JwksState) -> Response {
    state.fetches.fetch_add(1, Ordering::SeqCst);
    let delay = *state.delay.lock().unwrap();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mode = *state.mode.lock().unwrap();
    match mode {
        Mode::Ok => match &state.relay {
            Some((url, http)) => relay(http, url).await,
            None => axum::Json(json!({ "keys": *state.keys.lock().unwrap() })).into_response(),
        },
        Mode::Status500 => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        Mode::Garbage => "<html>not json</html>".into_response(),
        Mode::NoKeys => {
            axum::Json(json!({ "keys": [{"kty": "oct", "k": "c2VjcmV0"}] })).into_response()
        }
        Mode::Hang => std::future::pending().await,
        Mode::Huge => {
            format!("{{\"keys\": [], \"pad\": \"{}\"}}", "x".repeat(1024 * 1024)).into_response()
        }
    }
}

/// The real IdP's answer, or 502 when it cannot be fetched.
async fn relay(http: &reqwest::Client, url: &url::Url) -> Response {
    let fetched = async { http.get(url.clone()).send().await?.bytes().await };
    match fetched.await {
        Ok(body) => ([(CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

impl JwksServer {
    /// Serves `keys`.
    pub async fn start(keys: &[&TestKey]) -> Self {
        Self::serve(keys, None).await
    }

    /// Relays the JWKS at `url` (a real Keycloak's `certs` endpoint) until told otherwise.
    pub async fn relaying(url: url::Url) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        Self::serve(&[], Some((url, http))).await
    }

    async fn serve(keys: &[&TestKey], relay: Option<(url::Url, reqwest::Client)>) -> Self {
        let state = Arc::new(JwksState {
            mode: Mutex::new(Mode::Ok),
            keys: Mutex::new(keys.iter().map(|k| k.jwk.clone()).collect()),
            relay,
            delay: Mutex::new(Duration::ZERO),
            fetches: AtomicU64::new(0),
        });
        let router = Router::new()
            .route(REALM_PATH, get(certs))
            .fallback(get(certs))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self { addr, state, task }
    }

    pub fn url(&self) -> url::Url {
        format!("http://{}{REALM_PATH}", self.addr).parse().unwrap()
    }

    pub fn issuer(&self) -> String {
        format!("http://{}/realms/mo", self.addr)
    }

    pub fn set_keys(&self, keys: &[&TestKey]) {
        *self.state.keys.lock().unwrap() = keys.iter().map(|k| k.jwk.clone()).collect();
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.state.mode.lock().unwrap() = mode;
    }

    pub fn set_delay(&self, delay: Duration) {
        *self.state.delay.lock().unwrap() = delay;
    }

    pub fn fetches(&self) -> u64 {
        self.state.fetches.load(Ordering::SeqCst)
    }

    /// Server settings that trust this endpoint (in-memory database, no SPA).
    pub fn settings(&self) -> Settings {
        settings_for(self.addr)
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Settings for an IdP at `addr` (browser-facing URL = backend URL), fast refetch for tests.
pub fn settings_for(addr: SocketAddr) -> Settings {
    let mut s = Settings::from_defaults();
    s.keycloak_host = addr.ip().to_string();
    s.keycloak_port = addr.port();
    s.keycloak_auth_server_url = format!("http://{addr}/");
    s.database_url = "sqlite::memory:".into();
    s.static_dir = std::env::temp_dir().join("server-tests-no-spa");
    s.jwks_refetch_interval_seconds = 60;
    s.jwks_fetch_timeout_seconds = 2;
    s
}

/// The whole app on a free loopback port, for tests that speak HTTP to it.
pub struct RunningApp {
    /// `http://127.0.0.1:{port}`.
    pub base: String,
    pub http: reqwest::Client,
}

impl RunningApp {
    pub async fn start(settings: Settings) -> Self {
        let state = crate::state::AppState::new(settings).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, crate::app::app(state)).await.unwrap() });
        Self {
            base,
            http: reqwest::Client::new(),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    /// `GET /api/v1/me` with these `Authorization` header values (none, one, or several).
    pub async fn me(&self, authorization: &[&str]) -> reqwest::Response {
        let mut request = self.http.get(format!("{}/api/v1/me", self.base));
        for value in authorization {
            request = request.header(reqwest::header::AUTHORIZATION, *value);
        }
        request.send().await.unwrap()
    }
}
