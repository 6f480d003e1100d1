//! The Content-Security-Policy of every answer: same origin, plus the IdP for fetch and form posts.

use axum::http::HeaderValue;

use crate::error::Error;

/// Same origin, plus the IdP (`idp_origin`, e.g. `https://login.kommune.dk`) for fetch (token
/// endpoint, keys) and form posts (logout); WebAssembly may be compiled; no inline scripts or
/// styles (the build emits none: Trunk's loader is frontend/boot.js); no frames at all (the session
/// survives reloads by a top-level redirect, not an iframe).
pub fn policy(idp_origin: &str) -> Result<HeaderValue, Error> {
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self' {idp_origin}; frame-src 'none'; \
         form-action 'self' {idp_origin}; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
    );
    HeaderValue::from_str(&policy).map_err(|_| {
        Error::Internal(format!(
            "the IdP origin {idp_origin:?} cannot go into a header"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_idp_may_be_fetched_and_posted_to_and_nothing_inline_runs() {
        let csp = policy("https://login.example").unwrap();
        let csp = csp.to_str().unwrap();
        assert!(
            csp.contains("connect-src 'self' https://login.example;"),
            "{csp}"
        );
        assert!(
            csp.contains("form-action 'self' https://login.example;"),
            "{csp}"
        );
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval';"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(policy("https://bad\nhost").is_err());
    }
}
