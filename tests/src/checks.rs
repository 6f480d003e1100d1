//! Checks on the server's answers and token surgery for the refusal tests.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use reqwest::header::WWW_AUTHENTICATE;
use serde_json::Value;

use crate::TestResult;

/// 401 with `WWW-Authenticate: Bearer realm="{the test's realm}"…` and a JSON `{"error", "description"}` body.
pub async fn expect_401(response: reqwest::Response, case: &str) -> TestResult<api::ErrorBody> {
    let status = response.status();
    let challenge = response
        .headers()
        .get(WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let body = response.text().await?;
    if status != StatusCode::UNAUTHORIZED {
        return Err(format!("{case}: expected 401, got {status}: {body}").into());
    }
    let challenge = challenge.ok_or(format!("{case}: 401 without WWW-Authenticate"))?;
    if !challenge.starts_with("Bearer realm=\"") && !challenge.starts_with("DPoP realm=\"") {
        return Err(format!("{case}: challenge {challenge:?}").into());
    }
    let body: api::ErrorBody =
        serde_json::from_str(&body).map_err(|e| format!("{case}: body {body:?}: {e}"))?;
    Ok(body)
}

/// 200 with the principal from `/api/v1/me`.
pub async fn expect_me(response: reqwest::Response, case: &str) -> TestResult<api::Me> {
    let status = response.status();
    if status != StatusCode::OK {
        let body = response.text().await?;
        return Err(format!("{case}: expected 200, got {status}: {body}").into());
    }
    Ok(response.json().await?)
}

/// base64url without padding, as in JWTs.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// One JWT segment (header or payload) as JSON.
pub fn decode_segment(segment: &str) -> TestResult<Value> {
    Ok(serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment)?)?)
}

/// The token with its header (0) or payload (1) replaced by `json`, keeping the original signature.
pub fn with_segment(token: &str, index: usize, json: &Value) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[index] = b64(json.to_string().as_bytes());
    parts.join(".")
}
