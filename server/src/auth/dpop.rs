//! DPoP proofs at the API (RFC 9449 §4.3, §7): a proof is a JWT the caller signs with the key
//! its access token is bound to (`cnf.jkt`), for this method and URL, just now, once.
//!
//! The checks, cheapest first: size and shape; header `typ: dpop+jwt`, `alg` from the allow-list
//! (ES256, what WebCrypto makes) and a public P-256 `jwk`; the claims `htm`, `htu` (query and
//! fragment ignored), `iat` within [`ProofRules::max_age_seconds`] (and the leeway ahead), `ath`
//! = SHA-256 of the token, the key's thumbprint (RFC 7638) = `jkt`; then the signature; then
//! `jti` not seen before (the [`ReplayMemory`]). Proofs are checked only for tokens that passed
//! validation, so an anonymous caller never gets here.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, ThumbprintHash,
};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use url::Url;

use super::replay::{Remembered, ReplayMemory};

/// The proof algorithms accepted, as the `algs` of a DPoP challenge (RFC 9449 §7.1).
pub const PROOF_ALGORITHMS: &str = "ES256";
/// Longest proof read; a P-256 proof is about 600 bytes.
pub const MAX_PROOF_BYTES: usize = 4096;
/// Longest `jti` remembered (RFC 9449 asks for 96 random bits at least; ours send 256).
pub const MAX_JTI_BYTES: usize = 128;

/// Why a proof was refused. Descriptions are fixed strings (they go into `WWW-Authenticate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("DPoP proof missing")]
    Missing,
    #[error("more than one DPoP proof")]
    MoreThanOne,
    #[error("DPoP proof is not a signed JWT")]
    Malformed,
    #[error("DPoP proof header is not typ dpop+jwt with a public EC P-256 jwk")]
    BadHeader,
    #[error("DPoP proof algorithm is not allowed")]
    AlgorithmNotAllowed,
    #[error("DPoP proof lacks a claim (jti, htm, htu, iat, ath)")]
    MissingClaim,
    #[error("DPoP proof is for another method")]
    WrongMethod,
    #[error("DPoP proof is for another URL")]
    WrongUrl,
    #[error("DPoP proof is too old")]
    Stale,
    #[error("DPoP proof is issued in the future")]
    FromTheFuture,
    #[error("DPoP proof is for another access token")]
    WrongToken,
    #[error("DPoP proof is signed by another key than the token is bound to")]
    WrongKey,
    #[error("DPoP proof signature is invalid")]
    BadSignature,
    #[error("DPoP proof was used before")]
    Replayed,
}

impl ProofError {
    /// The variant's fixed snake_case name (a metric label).
    pub fn label(self) -> &'static str {
        match self {
            ProofError::Missing => "dpop_missing",
            ProofError::MoreThanOne => "dpop_more_than_one",
            ProofError::Malformed => "dpop_malformed",
            ProofError::BadHeader => "dpop_bad_header",
            ProofError::AlgorithmNotAllowed => "dpop_algorithm_not_allowed",
            ProofError::MissingClaim => "dpop_missing_claim",
            ProofError::WrongMethod => "dpop_wrong_method",
            ProofError::WrongUrl => "dpop_wrong_url",
            ProofError::Stale => "dpop_stale",
            ProofError::FromTheFuture => "dpop_from_the_future",
            ProofError::WrongToken => "dpop_wrong_token",
            ProofError::WrongKey => "dpop_wrong_key",
            ProofError::BadSignature => "dpop_bad_signature",
            ProofError::Replayed => "dpop_replayed",
        }
    }
}

/// What a proof check can end in besides a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofRefusal {
    Invalid(ProofError),
    /// The replay memory is full of proofs still within their window: try again shortly.
    Busy,
}

impl From<ProofError> for ProofRefusal {
    fn from(error: ProofError) -> Self {
        ProofRefusal::Invalid(error)
    }
}

/// The request a proof must be made for.
#[derive(Debug, Clone, Copy)]
pub struct ProvenRequest<'a> {
    /// `GET`, `PATCH`, ... (compared exactly, RFC 9110 methods are case-sensitive).
    pub method: &'a str,
    /// The request's URL as clients may see it (scheme, host, port, path): `htu` names one.
    pub urls: &'a [Url],
    pub access_token: &'a str,
    /// The token's `cnf.jkt`.
    pub jkt: &'a str,
}

/// The time rules of proofs, from the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProofRules {
    /// A proof is accepted this long after its `iat`.
    pub max_age_seconds: u64,
    /// A proof's `iat` may be this far ahead of our clock.
    pub leeway_seconds: u64,
}

/// Checks proofs and remembers their `jti`s; one per server, shared by every request.
#[derive(Debug)]
pub struct ProofChecker {
    rules: ProofRules,
    replay: ReplayMemory,
}

#[derive(Deserialize)]
struct ProofHeader {
    typ: Option<String>,
    alg: String,
    jwk: Option<ProofKey>,
}

/// A public P-256 key; `d` would make it a private one, which is refused.
#[derive(Deserialize)]
struct ProofKey {
    kty: String,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    d: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ProofClaims {
    jti: Option<String>,
    htm: Option<String>,
    htu: Option<String>,
    iat: Option<serde_json::Value>,
    ath: Option<String>,
}

impl ProofChecker {
    /// A checker whose replay memory holds at most `replay_entries` `jti`s.
    pub fn new(rules: ProofRules, replay_entries: usize) -> Self {
        Self {
            rules,
            replay: ReplayMemory::new(replay_entries),
        }
    }

    /// The replay memory (for metrics and tests).
    pub fn replay_memory(&self) -> &ReplayMemory {
        &self.replay
    }

    /// The whole check of `proof` for `request` at `now` (seconds since the epoch).
    pub fn check(
        &self,
        proof: Option<&str>,
        request: ProvenRequest<'_>,
        now: u64,
    ) -> Result<(), ProofRefusal> {
        let proof = proof.ok_or(ProofError::Missing)?;
        let (key, claims) = self.read(proof)?;
        let (jti, iat) = self.check_claims(&claims, &request, now)?;
        let thumbprint = thumbprint(&key);
        if thumbprint != request.jkt {
            return Err(ProofError::WrongKey.into());
        }
        verify_signature(proof, &key)?;
        let expires = iat.saturating_add(self.rules.max_age_seconds);
        match self.replay.remember(&thumbprint, jti, expires, now) {
            Remembered::New => Ok(()),
            Remembered::Seen => Err(ProofError::Replayed.into()),
            Remembered::Full => Err(ProofRefusal::Busy),
        }
    }

    /// Shape, header and claims, unverified.
    fn read(&self, proof: &str) -> Result<(EllipticCurveKeyParameters, ProofClaims), ProofError> {
        if proof.len() > MAX_PROOF_BYTES {
            return Err(ProofError::Malformed);
        }
        let segments: Vec<&str> = proof.split('.').collect();
        if segments.len() != 3 || segments.iter().any(|s| s.is_empty()) {
            return Err(ProofError::Malformed);
        }
        let decode = |segment: &str| {
            URL_SAFE_NO_PAD
                .decode(segment)
                .map_err(|_| ProofError::Malformed)
        };
        let header: ProofHeader =
            serde_json::from_slice(&decode(segments[0])?).map_err(|_| ProofError::BadHeader)?;
        if !header
            .typ
            .is_some_and(|typ| typ.eq_ignore_ascii_case("dpop+jwt"))
        {
            return Err(ProofError::BadHeader);
        }
        if header.alg != PROOF_ALGORITHMS {
            return Err(ProofError::AlgorithmNotAllowed);
        }
        let key = header
            .jwk
            .and_then(public_p256_key)
            .ok_or(ProofError::BadHeader)?;
        let claims: ProofClaims =
            serde_json::from_slice(&decode(segments[1])?).map_err(|_| ProofError::MissingClaim)?;
        Ok((key, claims))
    }

    /// `htm`, `htu`, `iat`, `ath`; the `jti` to remember and the `iat`.
    fn check_claims<'c>(
        &self,
        claims: &'c ProofClaims,
        request: &ProvenRequest<'_>,
        now: u64,
    ) -> Result<(&'c str, u64), ProofError> {
        let jti = claims
            .jti
            .as_deref()
            .filter(|jti| !jti.is_empty() && jti.len() <= MAX_JTI_BYTES)
            .ok_or(ProofError::MissingClaim)?;
        let htm = claims.htm.as_deref().ok_or(ProofError::MissingClaim)?;
        let htu = claims.htu.as_deref().ok_or(ProofError::MissingClaim)?;
        let ath = claims.ath.as_deref().ok_or(ProofError::MissingClaim)?;
        if htm != request.method {
            return Err(ProofError::WrongMethod);
        }
        if !request.urls.iter().any(|url| same_resource(htu, url)) {
            return Err(ProofError::WrongUrl);
        }
        let iat = claims
            .iat
            .as_ref()
            .and_then(super::principal::numeric_date)
            .ok_or(ProofError::MissingClaim)?;
        if iat.saturating_add(self.rules.max_age_seconds) < now {
            return Err(ProofError::Stale);
        }
        if iat > now.saturating_add(self.rules.leeway_seconds) {
            return Err(ProofError::FromTheFuture);
        }
        if ath != token_hash(request.access_token) {
            return Err(ProofError::WrongToken);
        }
        Ok((jti, iat))
    }
}

/// `ath` (RFC 9449 §4.2): base64url of the SHA-256 of the access token's ASCII.
pub fn token_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

/// The JWK thumbprint (RFC 7638, SHA-256, base64url) of a P-256 key: what `cnf.jkt` holds.
fn thumbprint(key: &EllipticCurveKeyParameters) -> String {
    Jwk {
        common: CommonParameters::default(),
        algorithm: AlgorithmParameters::EllipticCurve(key.clone()),
    }
    .thumbprint(ThumbprintHash::SHA256)
}

/// The key, when it is a public P-256 key with 32-byte coordinates.
fn public_p256_key(key: ProofKey) -> Option<EllipticCurveKeyParameters> {
    let is_coordinate = |c: &str| {
        URL_SAFE_NO_PAD
            .decode(c)
            .is_ok_and(|bytes| bytes.len() == 32)
    };
    let (x, y) = (key.x?, key.y?);
    let p256 = key.kty == "EC" && key.crv.as_deref() == Some("P-256");
    (p256 && key.d.is_none() && is_coordinate(&x) && is_coordinate(&y)).then_some(
        EllipticCurveKeyParameters {
            key_type: EllipticCurveKeyType::EC,
            curve: EllipticCurve::P256,
            x,
            y,
        },
    )
}

fn verify_signature(proof: &str, key: &EllipticCurveKeyParameters) -> Result<(), ProofError> {
    let (message, signature) = proof.rsplit_once('.').ok_or(ProofError::Malformed)?;
    let key = DecodingKey::from_ec_components(&key.x, &key.y).map_err(|_| ProofError::BadHeader)?;
    match jsonwebtoken::crypto::verify(signature, message.as_bytes(), &key, Algorithm::ES256) {
        Ok(true) => Ok(()),
        _ => Err(ProofError::BadSignature),
    }
}

/// `htu` names `url` (RFC 9449 §4.3 step 9): same scheme, host, port and path; query and
/// fragment ignored; both normalised by the URL parser (default ports, host case, dot segments).
fn same_resource(htu: &str, url: &Url) -> bool {
    let Ok(htu) = Url::parse(htu) else {
        return false;
    };
    htu.scheme() == url.scheme()
        && htu.host_str() == url.host_str()
        && htu.port_or_known_default() == url.port_or_known_default()
        && htu.path() == url.path()
}

#[cfg(test)]
#[path = "dpop_tests.rs"]
mod tests;
