//! The built single-page app: index.html (never cached, so a new build is picked up) and the SPA fallback.

use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, Method, Uri};
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
