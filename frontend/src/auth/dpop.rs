//! DPoP in the browser (RFC 9449): one P-256 key per tab, made by WebCrypto as non-extractable
//! and held in memory only (a reload makes a new one and signs in again), and the proofs it signs
//! for the token endpoint and for every API call. The server's `DPoP-Nonce`, when one is sent,
//! goes into the next proofs for that origin (and a `use_dpop_nonce` refusal is retried once).

use std::{cell::RefCell, collections::HashMap, rc::Rc};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use oauth2::http::{HeaderValue, StatusCode, header::WWW_AUTHENTICATE};
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::{
    clock::LocalFuture,
    http::{DPOP_NONCE_HEADER, HttpClient, HttpRequest, HttpResponse},
    random::random_token,
};
use crate::error::Error;

/// The request header that carries a proof.
pub const DPOP_HEADER: &str = "dpop";

/// A tab's DPoP key: the private half never leaves WebCrypto.
pub struct DpopKey {
    private: web_sys::CryptoKey,
    /// The proof header (`typ`, `alg`, the public `jwk`), base64url, the same for every proof.
    header: String,
    /// The last `DPoP-Nonce` each origin sent.
    nonces: RefCell<HashMap<String, String>>,
}

#[derive(Serialize)]
struct ProofClaims<'a> {
    jti: String,
    htm: &'a str,
    htu: &'a str,
    iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
}

fn subtle() -> Result<web_sys::SubtleCrypto, Error> {
    let crypto = web_sys::window()
        .and_then(|window| window.crypto().ok())
        .ok_or_else(|| Error::Browser("no crypto".into()))?;
    // `crypto.subtle` is undefined outside secure contexts (https, or http on localhost).
    let subtle = js_sys::Reflect::get(&crypto, &JsValue::from_str("subtle"))
        .ok()
        .filter(|subtle| !subtle.is_undefined())
        .ok_or_else(|| {
            Error::Browser("WebCrypto is not available here (the app needs https)".into())
        })?;
    Ok(subtle.unchecked_into())
}

/// `{name: "ECDSA", ...}` with one more member.
fn ecdsa(member: &str, value: &str) -> Result<js_sys::Object, Error> {
    let params = js_sys::Object::new();
    let set = |name: &str, value: &str| {
        js_sys::Reflect::set(&params, &JsValue::from_str(name), &JsValue::from_str(value))
    };
    set("name", "ECDSA")
        .and_then(|_| set(member, value))
        .map_err(|_| Error::Browser("WebCrypto parameters".into()))?;
    Ok(params)
}

fn webcrypto_error(what: &'static str) -> impl Fn(JsValue) -> Error {
    move |_| Error::Browser(format!("WebCrypto could not {what}"))
}

fn member(object: &JsValue, name: &str) -> Result<JsValue, Error> {
    js_sys::Reflect::get(object, &JsValue::from_str(name))
        .map_err(|_| Error::Browser(format!("WebCrypto gave no {name}")))
}

impl DpopKey {
    /// A new P-256 key pair; the private key is not extractable (RFC 9449 §2: only this tab
    /// can sign with it, and no script can read it out).
    pub async fn generate() -> Result<Self, Error> {
        let subtle = subtle()?;
        let usages = js_sys::Array::of2(&"sign".into(), &"verify".into());
        let pair = subtle
            .generate_key_with_object(&ecdsa("namedCurve", "P-256")?, false, &usages)
            .map_err(webcrypto_error("make a key"))?;
        let pair = JsFuture::from(pair)
            .await
            .map_err(webcrypto_error("make a key"))?;
        let private: web_sys::CryptoKey = member(&pair, "privateKey")?.unchecked_into();
        let public: web_sys::CryptoKey = member(&pair, "publicKey")?.unchecked_into();
        // A generated pair's public half is always exportable.
        let jwk = subtle
            .export_key("jwk", &public)
            .map_err(webcrypto_error("export the public key"))?;
        let jwk = JsFuture::from(jwk)
            .await
            .map_err(webcrypto_error("export the public key"))?;
        let coordinate = |name| {
            member(&jwk, name)?
                .as_string()
                .ok_or_else(|| Error::Browser(format!("WebCrypto gave no {name}")))
        };
        let (x, y) = (coordinate("x")?, coordinate("y")?);
        let header = format!(
            r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}"}}}}"#
        );
        Ok(Self {
            private,
            header: URL_SAFE_NO_PAD.encode(header),
            nonces: RefCell::new(HashMap::new()),
        })
    }

    /// Whether script could read the private key out (never: for tests and the curious).
    pub fn private_key_is_extractable(&self) -> bool {
        self.private.extractable()
    }

    /// A proof for `method` `url` (query and fragment dropped) issued at `iat` seconds; for an
    /// API call, `access_token` adds its hash (`ath`).
    pub async fn proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        iat: i64,
    ) -> Result<String, Error> {
        let htu = url.split(['?', '#']).next().unwrap_or(url);
        let claims = ProofClaims {
            jti: random_token()?,
            htm: method,
            htu,
            iat,
            ath: access_token.map(|token| URL_SAFE_NO_PAD.encode(Sha256::digest(token))),
            nonce: self.nonces.borrow().get(origin_of(htu)).cloned(),
        };
        let claims = serde_json::to_vec(&claims).map_err(|err| Error::Browser(err.to_string()))?;
        let signing_input = format!("{}.{}", self.header, URL_SAFE_NO_PAD.encode(claims));
        let signature = subtle()?
            .sign_with_object_and_u8_array(
                &ecdsa("hash", "SHA-256")?,
                &self.private,
                signing_input.as_bytes(),
            )
            .map_err(webcrypto_error("sign"))?;
        let signature = JsFuture::from(signature)
            .await
            .map_err(webcrypto_error("sign"))?;
        // WebCrypto's ECDSA signature is r || s, exactly JWS's ES256 form (RFC 7518 §3.4).
        let signature = js_sys::Uint8Array::new(&signature).to_vec();
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }

    /// Keeps the answer's `DPoP-Nonce` for later proofs to `url`'s origin; true when it is new.
    fn remember_nonce(&self, url: &str, response: &HttpResponse) -> bool {
        let Some(nonce) = response
            .headers()
            .get(DPOP_NONCE_HEADER)
            .and_then(|value| value.to_str().ok())
        else {
            return false;
        };
        let previous = self
            .nonces
            .borrow_mut()
            .insert(origin_of(url).to_owned(), nonce.to_owned());
        previous.as_deref() != Some(nonce)
    }
}

/// `scheme://authority` of an absolute URL (the text before the path).
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |at| after_scheme + at);
    &url[..end]
}

/// Whether the answer asks for a proof with a (new) nonce (RFC 9449 §8, §9).
fn asks_for_nonce(response: &HttpResponse) -> bool {
    let in_challenge = |value: &HeaderValue| {
        value
            .to_str()
            .is_ok_and(|text| text.contains("use_dpop_nonce"))
    };
    match response.status() {
        StatusCode::UNAUTHORIZED => response
            .headers()
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .any(in_challenge),
        StatusCode::BAD_REQUEST => serde_json::from_slice::<serde_json::Value>(response.body())
            .is_ok_and(|body| body["error"] == "use_dpop_nonce"),
        _ => false,
    }
}

/// An [`HttpClient`] that adds a proof to every request it sends: `access_token` set for API
/// calls (`ath`), unset at the token endpoint; relative URLs are resolved against `origin`.
pub struct Proving {
    pub inner: Rc<dyn HttpClient>,
    pub key: Rc<DpopKey>,
    /// Seconds since the epoch on the IdP's clock (for `iat`).
    pub now_seconds: i64,
    pub access_token: Option<String>,
    /// The app's origin, for requests to its own relative paths.
    pub origin: String,
}

impl Proving {
    async fn send_proven(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        let uri = request.uri().to_string();
        let url = if uri.starts_with('/') {
            format!("{}{uri}", self.origin)
        } else {
            uri
        };
        let (parts, body) = request.into_parts();
        let mut response = HttpResponse::default();
        // The first try, and one more when the server hands out a new nonce and asks for it.
        for _ in 0..2 {
            let token = self.access_token.as_deref();
            let proof = self
                .key
                .proof(parts.method.as_str(), &url, token, self.now_seconds)
                .await?;
            let mut request = HttpRequest::new(body.clone());
            *request.method_mut() = parts.method.clone();
            *request.uri_mut() = parts.uri.clone();
            *request.headers_mut() = parts.headers.clone();
            let proof =
                HeaderValue::from_str(&proof).map_err(|err| Error::Browser(err.to_string()))?;
            request.headers_mut().insert(DPOP_HEADER, proof);
            response = self.inner.send(request).await?;
            let new_nonce = self.key.remember_nonce(&url, &response);
            if !(new_nonce && asks_for_nonce(&response)) {
                break;
            }
        }
        Ok(response)
    }
}

impl HttpClient for Proving {
    fn send(&self, request: HttpRequest) -> LocalFuture<'_, Result<HttpResponse, Error>> {
        Box::pin(self.send_proven(request))
    }
}
