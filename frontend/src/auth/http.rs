//! HTTP as the session and the API client see it: one trait, the browser's `fetch` (gloo-net) in
//! the app and canned answers in tests. The `oauth2` crate's async client runs over it.

use gloo_net::http::RequestBuilder;
use oauth2::http;

use super::clock::LocalFuture;
use crate::error::Error;

/// The answer header that carries a DPoP server nonce (RFC 9449 §8).
pub const DPOP_NONCE_HEADER: &str = "dpop-nonce";

pub type HttpRequest = http::Request<Vec<u8>>;
pub type HttpResponse = http::Response<Vec<u8>>;

/// Sends one request; a transport failure is [`Error::Network`], any HTTP status is an `Ok`.
pub trait HttpClient {
    fn send(&self, request: HttpRequest) -> LocalFuture<'_, Result<HttpResponse, Error>>;
}

/// A `GET` that asks for JSON (the realm's keys, its discovery document).
pub fn get_json(url: &str) -> Result<HttpRequest, Error> {
    http::Request::get(url)
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|err| Error::Browser(err.to_string()))
}

/// Adapts an [`HttpClient`] to `oauth2`'s `AsyncHttpClient` (which wants a `std::error::Error`).
pub fn oauth2_client<'a>(
    client: &'a dyn HttpClient,
) -> impl Fn(HttpRequest) -> LocalFuture<'a, Result<HttpResponse, Error>> + 'a {
    move |request| client.send(request)
}

/// The browser's `fetch`.
#[derive(Debug, Clone, Copy, Default)]
pub struct FetchClient;

impl HttpClient for FetchClient {
    fn send(&self, request: HttpRequest) -> LocalFuture<'_, Result<HttpResponse, Error>> {
        Box::pin(fetch(request))
    }
}

async fn fetch(request: HttpRequest) -> Result<HttpResponse, Error> {
    let (parts, body) = request.into_parts();
    // fetch's default credentials mode is `same-origin`: no cookies go to the IdP.
    let mut builder = RequestBuilder::new(&parts.uri.to_string()).method(parts.method);
    for (name, value) in &parts.headers {
        if let Ok(value) = value.to_str() {
            builder = builder.header(name.as_str(), value);
        }
    }
    let request = if body.is_empty() {
        builder.build()
    } else {
        builder.body(js_sys::Uint8Array::from(body.as_slice()))
    }
    .map_err(|err| Error::Browser(err.to_string()))?;
    let response = request
        .send()
        .await
        .map_err(|err| Error::Network(err.to_string()))?;

    // Callers read the status, the body, the media type (oauth2 checks it) and DPoP's nonce and
    // challenge; copying only those headers keeps `http`'s header-name parser out of the bundle.
    let mut answer = http::Response::builder().status(response.status());
    let headers = response.headers();
    for name in [
        http::header::CONTENT_TYPE,
        http::header::WWW_AUTHENTICATE,
        http::HeaderName::from_static(DPOP_NONCE_HEADER),
    ] {
        if let Some(value) = headers.get(name.as_str()) {
            answer = answer.header(name, value);
        }
    }
    let bytes = response
        .binary()
        .await
        .map_err(|err| Error::Network(err.to_string()))?;
    answer
        .body(bytes)
        .map_err(|err| Error::InvalidResponse(err.to_string()))
}
