//! A DPoP key of a test (P-256, made at run time with aws-lc-rs, never stored) and the proofs it
//! signs: good ones, and ones a test spoils on purpose.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{b64, now};

/// A P-256 key pair as a browser's WebCrypto would make it.
pub struct DpopKey {
    encoding: EncodingKey,
    /// The public key as a JWK (`kty`, `crv`, `x`, `y`).
    pub jwk: Value,
    /// RFC 7638 thumbprint (SHA-256, base64url): the `cnf.jkt` of tokens bound to this key.
    pub thumbprint: String,
}

impl Default for DpopKey {
    fn default() -> Self {
        Self::generate()
    }
}

impl DpopKey {
    pub fn generate() -> Self {
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .expect("P-256 key");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
            .expect("the key just made");
        // Uncompressed point: 0x04 || x || y.
        let point = pair.public_key().as_ref();
        let (x, y) = (b64(&point[1..33]), b64(&point[33..65]));
        let thumbprint = b64(&Sha256::digest(format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#
        )));
        Self {
            encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
            jwk: json!({"kty": "EC", "crv": "P-256", "x": x, "y": y}),
            thumbprint,
        }
    }

    /// The claims of a good proof for `method` `url`, issued now, for `access_token` (none at a
    /// token endpoint); a fresh random `jti`.
    pub fn claims(&self, method: &str, url: &str, access_token: Option<&str>) -> Value {
        let mut claims = json!({
            "jti": uuid::Uuid::new_v4().to_string(),
            "htm": method,
            "htu": url,
            "iat": now(),
        });
        if let Some(token) = access_token {
            claims["ath"] = json!(b64(&Sha256::digest(token.as_bytes())));
        }
        claims
    }

    /// A good proof.
    pub fn proof(&self, method: &str, url: &str, access_token: Option<&str>) -> String {
        self.sign(&self.claims(method, url, access_token))
    }

    /// `claims` signed with the header a browser sends (`typ dpop+jwt`, ES256, this key's JWK).
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with(&self.header(), claims)
    }

    /// The proof header; a test may change it before [`Self::sign_with`].
    pub fn header(&self) -> Header {
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(serde_json::from_value(self.jwk.clone()).expect("a JWK"));
        header
    }

    pub fn sign_with(&self, header: &Header, claims: &Value) -> String {
        jsonwebtoken::encode(header, claims, &self.encoding).expect("ES256 signing")
    }
}
