//! Random values from the browser's CSPRNG: PKCE verifiers, `state`, `nonce` and DPoP `jti`s.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::error::Error;

/// Random bytes in each value (32 bytes = 43 base64url characters, RFC 7636's recommendation for
/// the PKCE verifier; RFC 9449 asks for at least 96 bits in a `jti`).
pub const RANDOM_BYTES: usize = 32;

/// [`RANDOM_BYTES`] from the browser's CSPRNG (`crypto.getRandomValues`), base64url.
pub fn random_token() -> Result<String, Error> {
    let mut bytes = [0u8; RANDOM_BYTES];
    web_sys::window()
        .ok_or_else(|| Error::Browser("no window".into()))?
        .crypto()
        .and_then(|crypto| crypto.get_random_values_with_u8_array(&mut bytes))
        .map_err(|_| Error::Browser("crypto.getRandomValues is not available".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}
