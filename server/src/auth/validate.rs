//! Bearer-token validation: shape and length, header, key by `kid`, signature, iss/exp/nbf, an
//! access token's `typ`, `azp` and the audience.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use tokio::sync::Semaphore;

use super::TokenError;
use super::jwks::{JwksCache, KeyError, VerifyKey};
use super::principal::{Claims, Principal, numeric_date};
use super::verified_tokens::{VerifiedToken, VerifiedTokens};
use crate::settings::{Resolved, Settings, rsa_algorithm};

/// Why a request's token did not produce a principal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error(transparent)]
    Token(#[from] TokenError),
    /// No key set was ever obtained from the IdP: not the token's fault.
    #[error("signing keys not available")]
    KeysUnavailable { retry_after: Duration },
    /// Every signature-check slot is taken (`max_concurrent_token_verifications`): try again soon.
    #[error("too many token verifications at once")]
    Overloaded { retry_after: Duration },
}

/// What a caller over the verification bound is told to wait.
const OVERLOADED_RETRY_AFTER: Duration = Duration::from_secs(1);

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
    /// One permit per RSA verification that may run at once (on a blocking thread).
    verify_slots: Arc<Semaphore>,
}

#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    kid: Option<String>,
    crit: Option<serde_json::Value>,
    typ: Option<String>,
}

impl Validator {
    /// The validator the settings describe (`resolved` = `settings.resolve()`).
    pub fn new(settings: &Settings, resolved: &Resolved) -> Self {
        Self {
            issuer: resolved.issuer.clone(),
            client: settings.keycloak_mo_client.clone(),
            algorithms: resolved.signing_algorithms.clone(),
            leeway_seconds: settings.clock_leeway_seconds,
            max_token_bytes: settings.max_token_bytes,
            verified: Arc::new(VerifiedTokens::new(
                settings.verified_token_cache_entries,
                settings.clock_leeway_seconds,
            )),
            verify_slots: Arc::new(Semaphore::new(settings.max_concurrent_token_verifications)),
        }
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
        let header = self.read_header(token)?;
        let alg = self.allowed_algorithm(&header.alg)?;
        let kid = header.kid;
        // Everything that needs no key runs before the key lookup and the RSA verification,
        // the only expensive work an anonymous caller can cause.
        self.check_claims_cheaply(token, header.typ.as_deref())?;
        let key = match jwks.key_for(kid.as_deref()).await {
            Ok(key) => key,
            Err(KeyError::Unavailable { retry_after }) => {
                return Err(ValidationError::KeysUnavailable { retry_after });
            }
            Err(KeyError::UnknownKid) => return Err(TokenError::UnknownKey.into()),
            Err(KeyError::AmbiguousKey) => return Err(TokenError::NoKeyId.into()),
        };
        let claims = self.verify_off_the_workers(token, alg, key.clone()).await?;
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

    /// Length first, then shape, then the header: the algorithm (from the allow-list) and `kid`.
    pub fn check_header(&self, token: &str) -> Result<(Algorithm, Option<String>), TokenError> {
        let header = self.read_header(token)?;
        Ok((self.allowed_algorithm(&header.alg)?, header.kid))
    }

    /// The header's `alg`, when it is on the allow-list.
    fn allowed_algorithm(&self, alg: &str) -> Result<Algorithm, TokenError> {
        rsa_algorithm(alg)
            .filter(|a| self.algorithms.contains(a))
            .ok_or(TokenError::AlgorithmNotAllowed)
    }

    fn read_header(&self, token: &str) -> Result<RawHeader, TokenError> {
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
        Ok(header)
    }

    /// The claim checks that need no key, on the unverified payload: an access token (`typ`),
    /// this realm (`iss`), for this client (audience rule), `azp`, and `exp`/`nbf` with leeway.
    /// A forged token that fails any of these never costs a key lookup or a signature check;
    /// one that passes is checked again with its signature.
    fn check_claims_cheaply(
        &self,
        token: &str,
        header_typ: Option<&str>,
    ) -> Result<(), TokenError> {
        let payload = token.split('.').nth(1).ok_or(TokenError::Malformed)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Malformed)?;
        let claims: serde_json::Value =
            serde_json::from_slice(&payload).map_err(|_| TokenError::BadClaims)?;
        let text = |name: &str| claims.get(name).and_then(serde_json::Value::as_str);
        if !is_access_token(header_typ, text("typ")) {
            return Err(TokenError::WrongType);
        }
        match claims.get("iss") {
            None => return Err(TokenError::MissingClaim),
            Some(iss) if iss.as_str() != Some(self.issuer.as_str()) => {
                return Err(TokenError::WrongIssuer);
            }
            Some(_) => {}
        }
        let aud_has_us = match claims.get("aud") {
            Some(serde_json::Value::String(aud)) => *aud == self.client,
            Some(serde_json::Value::Array(all)) => all.iter().any(|a| *a == *self.client),
            _ => false,
        };
        if !aud_has_us && text("azp") != Some(self.client.as_str()) {
            return Err(TokenError::WrongAudience);
        }
        if text("azp").is_none() {
            return Err(TokenError::MissingClaim);
        }
        let now = jsonwebtoken::get_current_timestamp();
        let exp = claims.get("exp").and_then(numeric_date);
        match exp {
            None => return Err(TokenError::MissingClaim),
            Some(exp) if exp.saturating_add(self.leeway_seconds) < now => {
                return Err(TokenError::Expired);
            }
            Some(_) => {}
        }
        if claims
            .get("nbf")
            .and_then(numeric_date)
            .is_some_and(|nbf| nbf > now.saturating_add(self.leeway_seconds))
        {
            return Err(TokenError::NotYetValid);
        }
        Ok(())
    }

    /// Takes every verification slot until the permit is dropped (tests of the bound).
    #[cfg(test)]
    pub(crate) async fn take_all_verify_slots(&self) -> tokio::sync::OwnedSemaphorePermit {
        let slots = u32::try_from(self.verify_slots.available_permits()).unwrap_or(u32::MAX);
        self.verify_slots
            .clone()
            .acquire_many_owned(slots)
            .await
            .expect("the semaphore is never closed")
    }

    /// The RSA verification on a blocking thread, if one of the `max_concurrent_token_verifications`
    /// slots is free right now; otherwise [`ValidationError::Overloaded`] at once, so a flood of
    /// forged tokens gets 503s instead of a queue that grows and starves everyone else.
    async fn verify_off_the_workers(
        &self,
        token: &str,
        alg: Algorithm,
        key: Arc<VerifyKey>,
    ) -> Result<Claims, ValidationError> {
        let overloaded = ValidationError::Overloaded {
            retry_after: OVERLOADED_RETRY_AFTER,
        };
        let Ok(permit) = self.verify_slots.clone().try_acquire_owned() else {
            return Err(overloaded);
        };
        let (token, issuer, leeway) = (token.to_owned(), self.issuer.clone(), self.leeway_seconds);
        let verified = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            verify_signature(&token, alg, &key, &issuer, leeway)
        })
        .await;
        // A verification that panicked is the server's fault, never a 500 or a pass: retry later.
        verified.map_err(|_| overloaded)?.map_err(Into::into)
    }

    /// Signature with `key`, then the claims.
    pub fn verify(
        &self,
        token: &str,
        alg: Algorithm,
        key: &VerifyKey,
    ) -> Result<Principal, TokenError> {
        let header = self.read_header(token)?;
        self.check_claims_cheaply(token, header.typ.as_deref())?;
        let claims = verify_signature(token, alg, key, &self.issuer, self.leeway_seconds)?;
        Principal::from_claims(claims, &self.client)
    }
}

/// Signature with `key`, then iss/exp/nbf again (jsonwebtoken's own checks); the claims that
/// passed. Callers ran [`Validator::check_claims_cheaply`] first.
fn verify_signature(
    token: &str,
    alg: Algorithm,
    key: &VerifyKey,
    issuer: &str,
    leeway_seconds: u64,
) -> Result<Claims, TokenError> {
    if key.alg.is_some_and(|a| a != alg) {
        return Err(TokenError::AlgorithmNotAllowed);
    }
    let mut validation = Validation::new(alg);
    validation.algorithms = vec![alg];
    validation.leeway = leeway_seconds;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.validate_aud = false; // the audience rule (aud OR azp) ran in the cheap checks
    validation.set_required_spec_claims(&["exp", "iss"]);
    validation.set_issuer(&[issuer]);
    let data = jsonwebtoken::decode::<Claims>(token, &key.key, &validation)
        .map_err(|e| map_jwt_error(e.kind()))?;
    Ok(data.claims)
}

/// An access token says so: Keycloak's claim `typ: "Bearer"` (`"DPoP"` when it is bound to a DPoP
/// key), or the RFC 9068 header `typ: at+jwt` (a media type, so case-insensitive, with or without
/// `application/`). A missing `typ` is not an access token: Keycloak's ID tokens say `ID`, its
/// refresh and logout tokens `Refresh` and `Logout`, and its JARM authorization responses carry no
/// `typ` at all, all signed by the same key.
fn is_access_token(header_typ: Option<&str>, claim_typ: Option<&str>) -> bool {
    let at_jwt = header_typ.is_some_and(|typ| {
        let typ = typ.strip_prefix("application/").unwrap_or(typ);
        typ.eq_ignore_ascii_case("at+jwt")
    });
    at_jwt || matches!(claim_typ, Some("Bearer" | "DPoP"))
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
