//! Parsing a JWKS document into the RSA signing keys a token may be verified with.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::settings::rsa_algorithm;

/// Why no key was found for a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("signing keys not available yet")]
    Unavailable { retry_after: Duration },
    #[error("unknown key id")]
    UnknownKid,
    #[error("token has no key id and the key set does not have exactly one key")]
    AmbiguousKey,
}

/// Why a fetch did not produce a key set (logged; the last good set stays in use).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("timed out")]
    Timeout,
    #[error("HTTP status {0}")]
    Status(reqwest::StatusCode),
    #[error("response larger than {0} bytes")]
    TooLarge(usize),
    #[error("not a JWKS document: {0}")]
    NotJwks(String),
    #[error("no usable RSA signing key in the JWKS")]
    NoUsableKey,
}

/// One public key a token may be verified with.
pub struct VerifyKey {
    pub kid: Option<String>,
    /// The key's own `alg`, when the JWK names one: a token must then use exactly that.
    pub alg: Option<Algorithm>,
    pub key: DecodingKey,
    /// SHA-256 of the key material and `alg`: two keys with equal fingerprints verify the same
    /// tokens, so a key that keeps its `kid` but changes its modulus is a different key.
    pub fingerprint: [u8; 32],
}

impl std::fmt::Debug for VerifyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// The usable keys of one JWKS document.
#[derive(Debug, Default)]
pub struct KeySet {
    keys: Vec<Arc<VerifyKey>>,
    by_kid: HashMap<String, Arc<VerifyKey>>,
}

#[derive(Deserialize)]
struct JwksDoc {
    keys: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RsaJwk {
    kty: String,
    #[serde(rename = "use")]
    use_: Option<String>,
    key_ops: Option<Vec<String>>,
    alg: Option<String>,
    kid: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

impl KeySet {
    /// Parses a JWKS document, keeping RSA signing keys only (no `enc` keys, no EC/oct keys,
    /// algorithms outside `allowed` dropped, moduli under `min_rsa_bits` dropped).
    pub fn from_jwks(
        body: &[u8],
        allowed: &[Algorithm],
        min_rsa_bits: usize,
    ) -> Result<Self, FetchError> {
        let doc: JwksDoc =
            serde_json::from_slice(body).map_err(|e| FetchError::NotJwks(e.to_string()))?;
        let mut set = KeySet::default();
        for value in doc.keys {
            let Ok(jwk) = serde_json::from_value::<RsaJwk>(value) else {
                continue;
            };
            if let Some(key) = usable_key(jwk, allowed, min_rsa_bits) {
                set.insert(key);
            }
        }
        if set.keys.is_empty() {
            return Err(FetchError::NoUsableKey);
        }
        Ok(set)
    }

    fn insert(&mut self, key: VerifyKey) {
        let key = Arc::new(key);
        if let Some(kid) = &key.kid {
            if self.by_kid.contains_key(kid) {
                return;
            }
            self.by_kid.insert(kid.clone(), key.clone());
        }
        self.keys.push(key);
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether both sets hold the same keys (by `kid` and fingerprint), in any order.
    pub fn same_keys(&self, other: &KeySet) -> bool {
        fn identities(set: &KeySet) -> Vec<(Option<&str>, [u8; 32])> {
            let mut ids: Vec<(Option<&str>, [u8; 32])> = set
                .keys
                .iter()
                .map(|k| (k.kid.as_deref(), k.fingerprint))
                .collect();
            ids.sort();
            ids
        }
        identities(self) == identities(other)
    }

    /// Whether `kid` still finds the key with `fingerprint` (the same lookup a token gets).
    pub fn still_has(&self, kid: Option<&str>, fingerprint: &[u8; 32]) -> bool {
        self.find(kid).is_ok_and(|k| k.fingerprint == *fingerprint)
    }

    pub fn kids(&self) -> Vec<&str> {
        self.keys.iter().filter_map(|k| k.kid.as_deref()).collect()
    }

    /// The key named by `kid`; without `kid` only the single key of a one-key set.
    pub fn find(&self, kid: Option<&str>) -> Result<Arc<VerifyKey>, KeyError> {
        match kid {
            Some(kid) => self.by_kid.get(kid).cloned().ok_or(KeyError::UnknownKid),
            None if self.keys.len() == 1 => Ok(self.keys[0].clone()),
            None => Err(KeyError::AmbiguousKey),
        }
    }
}

fn usable_key(jwk: RsaJwk, allowed: &[Algorithm], min_rsa_bits: usize) -> Option<VerifyKey> {
    if jwk.kty != "RSA" || jwk.use_.as_deref().is_some_and(|u| u != "sig") {
        return None;
    }
    if jwk
        .key_ops
        .as_ref()
        .is_some_and(|ops| !ops.iter().any(|o| o == "verify"))
    {
        return None;
    }
    let alg = match jwk.alg.as_deref() {
        None => None,
        Some(name) => Some(rsa_algorithm(name).filter(|a| allowed.contains(a))?),
    };
    let (n, e) = (jwk.n?, jwk.e?);
    let n_bytes = URL_SAFE_NO_PAD.decode(n.trim_end_matches('=')).ok()?;
    let e_bytes = URL_SAFE_NO_PAD.decode(e.trim_end_matches('=')).ok()?;
    let n_bits = bit_length(&n_bytes);
    if n_bits < min_rsa_bits || n_bits > 16384 || e_bytes.is_empty() || e_bytes.len() > 8 {
        return None;
    }
    let key = DecodingKey::from_rsa_raw_components(&n_bytes, &e_bytes);
    let mut hasher = Sha256::new();
    for part in [&n_bytes[..], &e_bytes[..], format!("{alg:?}").as_bytes()] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    Some(VerifyKey {
        kid: jwk.kid,
        alg,
        key,
        fingerprint: hasher.finalize().into(),
    })
}

fn bit_length(big_endian: &[u8]) -> usize {
    match big_endian.iter().position(|b| *b != 0) {
        None => 0,
        Some(i) => (big_endian.len() - i) * 8 - big_endian[i].leading_zeros() as usize,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_length_of_moduli() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[0, 0]), 0);
        assert_eq!(bit_length(&[0, 1]), 1);
        assert_eq!(bit_length(&[0x80, 0]), 16);
    }
}
