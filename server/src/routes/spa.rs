//! The built single-page app: index.html (never cached, so a new build is picked up), the cache
//! rule of its files (named by content: kept for a year; the rest: asked again each time) and the
//! SPA fallback.

use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, VARY};
use axum::http::{HeaderValue, Method, Uri};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::error::Error;
use crate::state::AppState;

/// `/` and `/index.html`, and every client-side route.
pub async fn index(State(state): State<AppState>) -> Result<Response, Error> {
    let path = state.settings().static_dir.join("index.html");
    let html = match tokio::fs::read_to_string(&path).await {
        Ok(html) => html,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NotFound(
                "the single-page app is not built (no index.html in static_dir)",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    Ok((
        [(CACHE_CONTROL, HeaderValue::from_static("no-cache"))],
        Html(html),
    )
        .into_response())
}

/// Called for paths no route and no file matched. A GET/HEAD of a path whose last segment has no
/// file extension is a client-side route and gets index.html; anything else is a JSON 404
/// (a missing `/app-123.wasm` should not come back as HTML).
pub async fn fallback(state: State<AppState>, method: Method, uri: Uri) -> Result<Response, Error> {
    let last = uri.path().rsplit('/').next().unwrap_or_default();
    if (method == Method::GET || method == Method::HEAD) && !last.contains('.') {
        index(state).await
    } else {
        Err(Error::NotFound("no such file"))
    }
}

/// What a browser may keep of a file named by its content (Trunk's `name-<hash>.ext`): the same
/// name always means the same bytes, so a repeat visit fetches none of them.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Sets `Cache-Control` on a static file's answer: [`IMMUTABLE`] for content-hashed names,
/// `no-cache` (use it, but ask first) for the rest, e.g. `logo.svg`, with `Vary:
/// accept-encoding`. An answer that already says (index.html, the JSON 404) keeps its own.
pub async fn cache_static(request: Request, next: Next) -> Response {
    let hashed = is_content_hashed(request.uri().path());
    let mut response = next.run(request).await;
    if response.status().is_success() && !response.headers().contains_key(CACHE_CONTROL) {
        let rule = if hashed { IMMUTABLE } else { "no-cache" };
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(rule));
        // The same URL answers brotli, gzip or plain bytes: caches must keep them apart.
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// `…-<hash>.ext` or `…-<hash>_bg.wasm`, Trunk's content-hashed names: the hash is a 64-bit
/// value in hex without leading zeros, so 12 to 16 digits here (fewer has odds of 1 in 65 536).
fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let stem = name.split('.').next().unwrap_or_default();
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| {
        (12..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

#[cfg(test)]
mod tests {
    use super::is_content_hashed;

    #[test]
    fn trunk_names_are_content_hashed() {
        for hashed in [
            "/frontend-ffb46cf33dc0cedb.js",
            "/frontend-ffb46cf33dc0cedb_bg.wasm",
            "/frontend-bc1b9ee38e02b4b.js",
            "/main-e0ba6f283ce259d9.css",
        ] {
            assert!(is_content_hashed(hashed), "{hashed}");
        }
        for plain in [
            "/boot.js",
            "/logo.svg",
            "/index.html",
            "/a-b.js",
            "/x-ffb46cf33dc0cedz.js",
        ] {
            assert!(!is_content_hashed(plain), "{plain}");
        }
    }
}
