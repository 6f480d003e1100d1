//! Bearer-token validation: shape and length, header, key by `kid`, signature, iss/exp/nbf/typ/audience.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;

use super::TokenError;
use super::jwks::{JwksCache, KeyError, VerifyKey};
use super::principal::{Claims, Principal};
use super::verified_tokens::{VerifiedToken, VerifiedTokens};
use crate::settings::{Settings, SettingsError, rsa_algorithm};

/// Why a request's token did not produce a principal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error(transparent)]
    Token(#[from] TokenError),
    /// No key set was ever obtained from the IdP: not the token's fault.
    #[error("signing keys not available")]
    KeysUnavailable { retry_after: Duration },
}

/// Checks access tokens of one realm and client.
///
/// The audience rule: a token is for us when its `aud` (string or array) contains
/// `keycloak_mo_client`, **or** its `azp` (authorized party: the client the token was issued to)
/// equals it. Keycloak puts the SPA's own client into `azp` and other audiences into `aud` (via
/// audience mappers, e.g. for a service account such as dipex); either shows the token was meant
/// for MO. A token with neither is refused.
///
/// Tokens that passed are remembered in a [`VerifiedTokens`] cache owned by this validator (clones
/// share it): the same token again costs a hash and a lookup instead of an RSA verification.
#[derive(Debug, Clone)]
pub struct Validator {
    issuer: String,
    client: String,
    algorithms: Vec<Algorithm>,
    leeway_seconds: u64,
    max_token_bytes: usize,
    verified: Arc<VerifiedTokens>,
}

#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    kid: Option<String>,
    crit: Option<serde_json::Value>,
}

impl Validator {
    pub fn new(settings: &Settings) -> Result<Self, SettingsError> {
        Ok(Self {
            issuer: settings.issuer()?,
            client: settings.keycloak_mo_client.clone(),
            algorithms: settings.signing_algorithms()?,
            leeway_seconds: settings.clock_leeway_seconds,
            max_token_bytes: settings.max_token_bytes,
            verified: Arc::new(VerifiedTokens::new(
                settings.verified_token_cache_entries,
                settings.clock_leeway_seconds,
            )),
        })
    }

    /// The cache of tokens verified before (for metrics and tests).
    pub fn verified_tokens(&self) -> &VerifiedTokens {
        &self.verified
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The whole check: a principal, or why not. A token verified before is answered from the
    /// cache (time re-checked, key still in the JWKS); any other goes through [`Self::validate_fresh`].
    pub async fn validate(
        &self,
        jwks: &Arc<JwksCache>,
        token: &str,
    ) -> Result<Principal, ValidationError> {
        if token.len() > self.max_token_bytes {
            return Err(TokenError::TooLong.into());
        }
        if !self.verified.is_enabled() {
            return self.validate_fresh(jwks, token).await.map(|(p, _)| p);
        }
        let generation = jwks.key_generation();
        jwks.note_use();
        self.verified.sync_with(generation, || jwks.current_keys());
        let now = jsonwebtoken::get_current_timestamp();
        if let Some(answer) = self.verified.lookup(token, now) {
            return answer.map_err(Into::into);
        }
        let (principal, verified) = self.validate_fresh(jwks, token).await?;
        // Remembered only with a key of the current set (a refetch may have run meanwhile),
        // tagged with that set's generation.
        if let Some(verified) = verified {
            let generation = jwks.key_generation();
            self.verified.sync_with(generation, || jwks.current_keys());
            let key_is_current = jwks.current_keys().is_some_and(|keys| {
                keys.still_has(verified.kid.as_deref(), &verified.key_fingerprint)
            });
            if key_is_current {
                let now = jsonwebtoken::get_current_timestamp();
                self.verified
                    .insert(token, verified, now, generation, || jwks.key_generation());
            }
        }
        Ok(principal)
    }

    /// The whole check without the cache: header, key, signature, claims. Also gives what the
    /// cache remembers of the token (`None` when it lacks a readable `exp`, never for a token
    /// that passed).
    pub async fn validate_fresh(
        &self,
        jwks: &Arc<JwksCache>,
        token: &str,
    ) -> Result<(Principal, Option<VerifiedToken>), ValidationError> {
        let (alg, kid) = self.check_header(token)?;
        let key = match jwks.key_for(kid.as_deref()).await {
            Ok(key) => key,
            Err(KeyError::Unavailable { retry_after }) => {
                return Err(ValidationError::KeysUnavailable { retry_after });
            }
            Err(KeyError::UnknownKid) => return Err(TokenError::UnknownKey.into()),
            Err(KeyError::AmbiguousKey) => return Err(TokenError::NoKeyId.into()),
        };
        let claims = self.verify_claims(token, alg, &key)?;
        let (exp, nbf) = (claims.exp, claims.nbf);
        let principal = Principal::from_claims(claims, &self.client)?;
        let verified = exp.map(|exp| VerifiedToken {
            principal: principal.clone(),
            kid,
            key_fingerprint: key.fingerprint,
            exp,
            nbf,
        });
        Ok((principal, verified))
    }

    /// Everything that needs no key: length first, then shape, then the header.
    pub fn check_header(&self, token: &str) -> Result<(Algorithm, Option<String>), TokenError> {
        if token.len() > self.max_token_bytes {
            return Err(TokenError::TooLong);
        }
        let segments: Vec<&str> = token.split('.').collect();
        let is_b64url = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if segments.len() != 3 || !segments.iter().all(|s| is_b64url(s)) {
            return Err(TokenError::Malformed);
        }
        let header_json = URL_SAFE_NO_PAD
            .decode(segments[0])
            .map_err(|_| TokenError::Malformed)?;
        let header: RawHeader =
            serde_json::from_slice(&header_json).map_err(|_| TokenError::BadHeader)?;
        if header.crit.is_some() {
            return Err(TokenError::CriticalHeader);
        }
        let alg = rsa_algorithm(&header.alg)
            .filter(|a| self.algorithms.contains(a))
            .ok_or(TokenError::AlgorithmNotAllowed)?;
        Ok((alg, header.kid))
    }

    /// Signature with `key`, then the claims.
    pub fn verify(
        &self,
        token: &str,
        alg: Algorithm,
        key: &VerifyKey,
    ) -> Result<Principal, TokenError> {
        Principal::from_claims(self.verify_claims(token, alg, key)?, &self.client)
    }

    /// Signature with `key`, then iss/exp/nbf/typ/audience; the claims that passed.
    fn verify_claims(
        &self,
        token: &str,
        alg: Algorithm,
        key: &VerifyKey,
    ) -> Result<Claims, TokenError> {
        if key.alg.is_some_and(|a| a != alg) {
            return Err(TokenError::AlgorithmNotAllowed);
        }
        let mut validation = Validation::new(alg);
        validation.algorithms = vec![alg];
        validation.leeway = self.leeway_seconds;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = false; // the audience rule below is aud OR azp
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.set_issuer(&[&self.issuer]);
        let data = jsonwebtoken::decode::<Claims>(token, &key.key, &validation)
            .map_err(|e| map_jwt_error(e.kind()))?;
        let claims = data.claims;
        if claims
            .typ
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case("Bearer"))
        {
            return Err(TokenError::WrongType);
        }
        let for_us = claims
            .aud
            .as_ref()
            .is_some_and(|a| a.contains(&self.client))
            || claims.azp.as_deref() == Some(self.client.as_str());
        if !for_us {
            return Err(TokenError::WrongAudience);
        }
        Ok(claims)
    }
}

fn map_jwt_error(kind: &ErrorKind) -> TokenError {
    match kind {
        ErrorKind::InvalidSignature => TokenError::BadSignature,
        ErrorKind::ExpiredSignature => TokenError::Expired,
        ErrorKind::ImmatureSignature => TokenError::NotYetValid,
        ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
        ErrorKind::MissingRequiredClaim(_) => TokenError::MissingClaim,
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            TokenError::AlgorithmNotAllowed
        }
        ErrorKind::InvalidToken | ErrorKind::Base64(_) | ErrorKind::Utf8(_) => {
            TokenError::Malformed
        }
        ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidKeyFormat => TokenError::BadSignature,
        _ => TokenError::BadClaims,
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
