//! The built single-page app: index.html with a CSP that admits its inline scripts, and the SPA fallback.

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY};
use axum::http::{HeaderValue, Method, Uri};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::error::Error;

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
    let csp = state.csp(&inline_script_hashes(&html));
    let csp = HeaderValue::from_str(&csp).map_err(|e| Error::Internal(e.to_string()))?;
    Ok((
        [
            (CONTENT_SECURITY_POLICY, csp),
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
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

/// `'sha256-…'` sources for every inline `<script>` (Trunk's loader is one).
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut hashes = Vec::new();
    let mut at = 0;
    while let Some(start) = lower[at..].find("<script").map(|i| at + i) {
        let Some(tag_end) = lower[start..].find('>').map(|i| start + i + 1) else {
            break;
        };
        let Some(close) = lower[tag_end..].find("</script").map(|i| tag_end + i) else {
            break;
        };
        let tag = &lower[start..tag_end];
        if !tag.contains(" src=") && !tag.contains("\tsrc=") && !tag.contains("\nsrc=") {
            let digest = Sha256::digest(&html.as_bytes()[tag_end..close]);
            hashes.push(format!("'sha256-{}'", STANDARD.encode(digest)));
        }
        at = close;
    }
    hashes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_inline_scripts_only() {
        let html = "<html><head><script src=\"/a.js\"></script>\
                    <SCRIPT type=\"module\">init()</SCRIPT><script>x</script></head></html>";
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 2);
        let expected = STANDARD.encode(Sha256::digest(b"init()"));
        assert_eq!(hashes[0], format!("'sha256-{expected}'"));
    }

    #[test]
    fn unterminated_script_does_not_panic() {
        assert!(inline_script_hashes("<script>never closed").is_empty());
        assert!(inline_script_hashes("<script").is_empty());
    }
}
