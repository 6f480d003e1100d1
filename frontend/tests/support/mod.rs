//! Shared test doubles for the browser tests: a controllable clock, canned HTTP, JWT building and
//! an RSA key made with WebCrypto.
#![allow(dead_code)]

pub mod harness;
pub mod org;

use std::{
    cell::{Cell, RefCell},
    collections::{HashMap, VecDeque},
    rc::Rc,
};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use frontend::{
    auth::{
        clock::{Clock, LocalFuture},
        http::{HttpClient, HttpRequest, HttpResponse},
    },
    error::Error,
};
use futures::channel::oneshot;
use js_sys::{Array, JSON, Object, Uint8Array};
use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, CryptoKeyPair};

/// A start time in whole seconds, so `iat` (seconds) and the clock (ms) agree exactly.
pub const START_MS: f64 = 1_800_000_000_000.0;

/// Time that moves only when a test says so; sleepers wake in deadline order.
#[derive(Default)]
pub struct FakeClock {
    now: Cell<f64>,
    sleepers: RefCell<Vec<(f64, oneshot::Sender<()>)>>,
}

impl FakeClock {
    pub fn new() -> Rc<Self> {
        let clock = Self::default();
        clock.now.set(START_MS);
        Rc::new(clock)
    }

    pub fn now_seconds(&self) -> i64 {
        (self.now.get() / 1000.0) as i64
    }

    /// Moves time on without waking anyone (a timer that is late, as in a hidden tab).
    pub fn jump(&self, ms: f64) {
        self.now.set(self.now.get() + ms);
    }

    /// Moves time on by `ms`, waking each sleeper at its deadline and letting it run.
    pub async fn advance(&self, ms: f64) {
        let target = self.now.get() + ms;
        loop {
            let next = {
                let mut sleepers = self.sleepers.borrow_mut();
                let due = sleepers
                    .iter()
                    .enumerate()
                    .filter(|(_, (deadline, _))| *deadline <= target)
                    .min_by(|a, b| a.1.0.total_cmp(&b.1.0))
                    .map(|(index, _)| index);
                due.map(|index| sleepers.remove(index))
            };
            let Some((deadline, wake)) = next else { break };
            self.now.set(self.now.get().max(deadline));
            let _ = wake.send(());
            settle().await;
        }
        self.now.set(target);
        settle().await;
    }
}

impl Clock for FakeClock {
    fn now_ms(&self) -> f64 {
        self.now.get()
    }

    fn sleep(&self, ms: f64) -> LocalFuture<'static, ()> {
        let (wake, woken) = oneshot::channel();
        self.sleepers
            .borrow_mut()
            .push((self.now.get() + ms.max(0.0), wake));
        Box::pin(async move {
            let _ = woken.await;
        })
    }
}

/// Lets spawned tasks and promise callbacks run (one macrotask turn, several times).
pub async fn settle() {
    for _ in 0..5 {
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            web_sys::window()
                .expect("window")
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0)
                .expect("setTimeout");
        });
        JsFuture::from(promise).await.expect("timer");
    }
}

/// One canned answer.
#[derive(Debug, Clone)]
pub enum Canned {
    Json(u16, Value),
    /// JSON with extra answer headers (e.g. `DPoP-Nonce`, `WWW-Authenticate`).
    JsonWithHeaders(u16, Value, Vec<(&'static str, String)>),
    NetworkError,
}

/// What a test saw go out.
#[derive(Debug, Clone)]
pub struct Sent {
    pub method: String,
    pub url: String,
    pub authorization: Option<String>,
    /// The `DPoP` proof header, if any.
    pub dpop: Option<String>,
    pub body: String,
}

impl Sent {
    /// A form parameter of the body.
    pub fn form(&self, name: &str) -> Option<String> {
        oauth2::url::form_urlencoded::parse(self.body.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }
}

/// Answers per URL, in order; records every request. `hold` keeps answers back until `release`.
#[derive(Default)]
pub struct FakeHttp {
    answers: RefCell<HashMap<String, VecDeque<Canned>>>,
    pub sent: RefCell<Vec<Sent>>,
    held: RefCell<Option<futures::future::Shared<oneshot::Receiver<()>>>>,
    release: RefCell<Option<oneshot::Sender<()>>>,
}

impl FakeHttp {
    pub fn new() -> Rc<Self> {
        Rc::new(Self::default())
    }

    pub fn answer(&self, url: &str, canned: Canned) {
        self.answers
            .borrow_mut()
            .entry(url.to_owned())
            .or_default()
            .push_back(canned);
    }

    pub fn hold(&self) {
        let (release, held) = oneshot::channel();
        *self.held.borrow_mut() = Some(futures::FutureExt::shared(held));
        *self.release.borrow_mut() = Some(release);
    }

    pub fn release(&self) {
        self.held.borrow_mut().take();
        if let Some(release) = self.release.borrow_mut().take() {
            let _ = release.send(());
        }
    }

    pub fn sent_to(&self, url: &str) -> Vec<Sent> {
        self.sent
            .borrow()
            .iter()
            .filter(|sent| sent.url == url)
            .cloned()
            .collect()
    }
}

impl HttpClient for FakeHttp {
    fn send(&self, request: HttpRequest) -> LocalFuture<'_, Result<HttpResponse, Error>> {
        let url = request.uri().to_string();
        self.sent.borrow_mut().push(Sent {
            method: request.method().to_string(),
            url: url.clone(),
            authorization: request
                .headers()
                .get("authorization")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
            dpop: request
                .headers()
                .get("dpop")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
            body: String::from_utf8_lossy(request.body()).into_owned(),
        });
        let canned = self
            .answers
            .borrow_mut()
            .get_mut(&url)
            .and_then(VecDeque::pop_front)
            .unwrap_or_else(|| panic!("no canned answer left for {url}"));
        let held = self.held.borrow().clone();
        Box::pin(async move {
            if let Some(held) = held {
                let _ = held.await;
            }
            match canned {
                Canned::NetworkError => Err(Error::Network("connection refused".into())),
                Canned::Json(status, body) => Ok(json_response(status, &body, &[])),
                Canned::JsonWithHeaders(status, body, headers) => {
                    Ok(json_response(status, &body, &headers))
                }
            }
        })
    }
}

fn json_response(status: u16, body: &Value, headers: &[(&'static str, String)]) -> HttpResponse {
    let mut response = oauth2::http::Response::builder()
        .status(status)
        .header("Content-Type", "application/json");
    for (name, value) in headers {
        response = response.header(*name, value);
    }
    response
        .body(body.to_string().into_bytes())
        .expect("a valid response")
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An unsigned JWT-shaped access token (the app never verifies access tokens; the API does).
pub fn access_token(iat: i64, lifetime_s: i64, marker: &str) -> String {
    let header = json!({ "alg": "RS256", "typ": "JWT" });
    let claims = json!({
        "iat": iat,
        "exp": iat + lifetime_s,
        "jti": marker,
        "preferred_username": "eline",
        "name": "Eline Wedsgaard",
        "realm_access": { "roles": ["owner"] },
        "resource_access": { "mo": { "roles": ["reader"] } },
    });
    format!(
        "{}.{}.c2ln",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    )
}

/// A token endpoint answer.
pub fn token_answer(access_token: &str, refresh_token: &str, lifetime_s: i64) -> Canned {
    Canned::Json(
        200,
        json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": lifetime_s,
            "refresh_token": refresh_token,
            "scope": "openid profile email",
        }),
    )
}

fn subtle() -> web_sys::SubtleCrypto {
    web_sys::window()
        .expect("window")
        .crypto()
        .expect("crypto")
        .subtle()
}

fn object(value: Value) -> Object {
    JSON::parse(&value.to_string())
        .expect("valid JSON")
        .unchecked_into()
}

/// An RSA signing key made by WebCrypto, and its public JWK with `kid`.
pub struct TestKey {
    private: CryptoKey,
    pub jwk: Value,
}

impl TestKey {
    pub async fn generate(kid: &str) -> Self {
        let algorithm = object(json!({
            "name": "RSASSA-PKCS1-v1_5",
            "modulusLength": 2048,
            "hash": "SHA-256",
        }));
        js_sys::Reflect::set(
            &algorithm,
            &"publicExponent".into(),
            &Uint8Array::from(&[1u8, 0, 1][..]),
        )
        .expect("set publicExponent");
        let usages = Array::of2(&"sign".into(), &"verify".into());
        let pair: CryptoKeyPair = JsFuture::from(
            subtle()
                .generate_key_with_object(&algorithm, true, &usages)
                .expect("generateKey"),
        )
        .await
        .expect("a key pair")
        .unchecked_into();
        let exported = JsFuture::from(
            subtle()
                .export_key("jwk", &pair.get_public_key())
                .expect("exportKey"),
        )
        .await
        .expect("the public JWK");
        let mut jwk: Value = serde_json::from_str(
            &JSON::stringify(&exported)
                .expect("stringify")
                .as_string()
                .expect("a string"),
        )
        .expect("JWK JSON");
        jwk["kid"] = kid.into();
        jwk["use"] = "sig".into();
        jwk["alg"] = "RS256".into();
        Self {
            private: pair.get_private_key(),
            jwk,
        }
    }

    /// The realm's key set as the IdP publishes it (JSON).
    pub fn jwks_json(&self) -> Value {
        json!({ "keys": [self.jwk] })
    }

    /// The realm's key set as the app reads it.
    pub fn jwks(&self) -> frontend::auth::id_token::Jwks {
        serde_json::from_value(self.jwks_json()).expect("a JWKS")
    }

    /// A compact JWS of `claims` with `header`, signed RS256 by this key.
    pub async fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signature = JsFuture::from(
            subtle()
                .sign_with_str_and_u8_array("RSASSA-PKCS1-v1_5", &self.private, input.as_bytes())
                .expect("sign"),
        )
        .await
        .expect("a signature");
        let signature = Uint8Array::new(&signature).to_vec();
        format!("{input}.{}", b64(&signature))
    }

    pub fn kid(&self) -> String {
        self.jwk["kid"].as_str().expect("kid").to_owned()
    }
}

/// The values of every localStorage and sessionStorage entry, and `document.cookie`.
pub fn web_storage_contents() -> Vec<String> {
    let window = web_sys::window().expect("window");
    let mut contents = Vec::new();
    for storage in [window.local_storage(), window.session_storage()]
        .into_iter()
        .flatten()
        .flatten()
    {
        for index in 0..storage.length().unwrap_or(0) {
            if let Ok(Some(key)) = storage.key(index) {
                let value = storage.get_item(&key).ok().flatten().unwrap_or_default();
                contents.push(format!("{key}={value}"));
            }
        }
    }
    let cookie = js_sys::Reflect::get(&window.document().expect("document"), &"cookie".into())
        .ok()
        .and_then(|value| value.as_string())
        .unwrap_or_default();
    contents.push(cookie);
    contents
}
