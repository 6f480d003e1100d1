//! The `Authorization` header as the extractor reads it: any bytes give a token or a refusal.
#![no_main]

use axum::http::{HeaderValue, Request, header::AUTHORIZATION};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    let (mut parts, ()) = Request::new(()).into_parts();
    parts.headers.insert(AUTHORIZATION, value);
    if let Ok(presented) = server::auth::presented_token(&parts) {
        let token = presented.token;
        assert!(!token.is_empty() && token.len() < data.len(), "{token:?}");
    }
});
