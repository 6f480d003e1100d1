//! Access-token authentication: reading the header, the JWKS cache, token validation, the
//! verified-token cache, DPoP proofs and the principal. No HTTP answers here: `routes::authenticate` makes them.

pub mod bearer;
pub mod dpop;
pub mod jwks;
pub mod keyset;
pub mod principal;
pub mod replay;
pub mod validate;
pub mod verified_tokens;

#[cfg(test)]
pub(crate) mod fuzz_support;
#[cfg(test)]
mod fuzz_tests;

pub use bearer::{Presented, Scheme, Unauthorized, presented_token};
pub use dpop::{ProofChecker, ProofError, ProofRules};
pub use jwks::{JwksCache, RefreshPolicy};
pub use principal::Principal;
pub use validate::Validator;
pub use verified_tokens::VerifiedTokens;

/// Why a bearer token was refused. Descriptions are fixed strings: they go into the
/// `WWW-Authenticate` header and never echo anything from the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token too long")]
    TooLong,
    #[error("token is not a signed JWT (three base64url segments)")]
    Malformed,
    #[error("token header is malformed")]
    BadHeader,
    #[error("token algorithm is not allowed")]
    AlgorithmNotAllowed,
    #[error("token uses critical header extensions")]
    CriticalHeader,
    #[error("token signing key is unknown")]
    UnknownKey,
    #[error("token has no key id")]
    NoKeyId,
    #[error("token signature is invalid")]
    BadSignature,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
    #[error("token lacks a required claim (exp, iss, azp)")]
    MissingClaim,
    #[error("token issuer is not this realm")]
    WrongIssuer,
    #[error("token is not for this client")]
    WrongAudience,
    #[error("token is not an access token")]
    WrongType,
    #[error("token uuid claim is neither a UUID nor base64 of 16 bytes")]
    BadUuid,
    #[error("token claims are malformed")]
    BadClaims,
    #[error("token is bound to a DPoP key: send it with the DPoP scheme and a proof")]
    BoundToKey,
    #[error("token is not bound to a DPoP key")]
    NotBound,
}

impl TokenError {
    /// The variant's fixed snake_case name (a metric label; never anything from the token).
    pub fn label(self) -> &'static str {
        match self {
            TokenError::TooLong => "too_long",
            TokenError::Malformed => "malformed",
            TokenError::BadHeader => "bad_header",
            TokenError::AlgorithmNotAllowed => "algorithm_not_allowed",
            TokenError::CriticalHeader => "critical_header",
            TokenError::UnknownKey => "unknown_key",
            TokenError::NoKeyId => "no_key_id",
            TokenError::BadSignature => "bad_signature",
            TokenError::Expired => "expired",
            TokenError::NotYetValid => "not_yet_valid",
            TokenError::MissingClaim => "missing_claim",
            TokenError::WrongIssuer => "wrong_issuer",
            TokenError::WrongAudience => "wrong_audience",
            TokenError::WrongType => "wrong_type",
            TokenError::BadUuid => "bad_uuid",
            TokenError::BadClaims => "bad_claims",
            TokenError::BoundToKey => "bound_to_key",
            TokenError::NotBound => "not_bound",
        }
    }
}
