//! The axum extractor that authenticates an API request: the access token (Bearer, or DPoP with
//! its proof) validated into a [`Principal`], or the [`Error`] that refuses it (counted in the
//! metrics, logged without the token).

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::header::HOST;
use axum::http::request::Parts;
use url::Url;

use crate::auth::dpop::{ProofRefusal, ProvenRequest};
use crate::auth::validate::ValidationError;
use crate::auth::{Principal, ProofError, Scheme, TokenError, Unauthorized, presented_token};
use crate::error::{BUSY_RETRY_AFTER, Challenge, Error};
use crate::state::AppState;

impl FromRequestParts<AppState> for Principal {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let required = state.settings().dpop_required;
        let presented = presented_token(parts).map_err(|reason| {
            let challenge = if required {
                Challenge::Only(Scheme::Dpop)
            } else {
                Challenge::Either
            };
            refuse(state, reason, challenge)
        })?;
        let challenge = Challenge::Only(presented.scheme);
        let refuse_token = |reason| refuse(state, Unauthorized::InvalidToken(reason), challenge);
        if required && presented.scheme == Scheme::Bearer {
            let reason = Unauthorized::InvalidToken(TokenError::NotBound);
            return Err(refuse(state, reason, Challenge::Only(Scheme::Dpop)));
        }
        let principal = match state
            .validator()
            .validate(state.jwks(), presented.token)
            .await
        {
            Ok(principal) => principal,
            Err(ValidationError::Token(reason)) => return Err(refuse_token(reason)),
            Err(ValidationError::KeysUnavailable { retry_after }) => {
                state.metrics().token_refused("keys_unavailable");
                return Err(Error::KeysUnavailable { retry_after });
            }
            Err(ValidationError::Overloaded { retry_after }) => {
                state.metrics().token_refused("overloaded");
                return Err(Error::Busy { retry_after });
            }
        };
        match (presented.scheme, principal.dpop_jkt.as_deref()) {
            (Scheme::Bearer, None) => {}
            // RFC 9449 §7.2: a bound token presented as a bearer token is refused.
            (Scheme::Bearer, Some(_)) => return Err(refuse_token(TokenError::BoundToKey)),
            (Scheme::Dpop, None) => return Err(refuse_token(TokenError::NotBound)),
            (Scheme::Dpop, Some(jkt)) => {
                let urls = request_urls(state, parts);
                if urls.is_empty() {
                    let reason = Unauthorized::InvalidProof(ProofError::WrongUrl);
                    return Err(refuse(state, reason, challenge));
                }
                let request = ProvenRequest {
                    method: parts.method.as_str(),
                    urls: &urls,
                    access_token: presented.token,
                    jkt,
                };
                let now = jsonwebtoken::get_current_timestamp();
                match state.proofs().check(presented.proof, request, now) {
                    Ok(()) => {}
                    Err(ProofRefusal::Invalid(reason)) => {
                        return Err(refuse(state, Unauthorized::InvalidProof(reason), challenge));
                    }
                    Err(ProofRefusal::Busy) => {
                        state.metrics().token_refused("dpop_replay_memory_full");
                        return Err(Error::Busy {
                            retry_after: BUSY_RETRY_AFTER,
                        });
                    }
                }
            }
        }
        state.metrics().token_accepted();
        tracing::debug!(username = ?principal.username, azp = ?principal.azp, "authenticated");
        Ok(principal)
    }
}

/// Logs and counts a refusal (never the token) and makes its 401.
fn refuse(state: &AppState, reason: Unauthorized, challenge: Challenge) -> Error {
    tracing::info!(%reason, "request refused");
    state.metrics().token_refused(reason.label());
    Error::unauthorized(state.realm(), reason, challenge)
}

/// The URLs a client may have sent this request to, as a DPoP proof names them: each of
/// `public_origins` with the path, or without that setting `http://` and the `Host` header (the
/// authority for HTTP/2).
fn request_urls(state: &AppState, parts: &Parts) -> Vec<Url> {
    let path = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(parts.uri.path(), |original| original.path());
    let host = || match parts.headers.get(HOST) {
        Some(host) => host.to_str().ok(),
        None => parts.uri.authority().map(|authority| authority.as_str()),
    };
    let origins: Vec<String> = match state.public_origins() {
        [] => host()
            .map(|host| format!("http://{host}"))
            .into_iter()
            .collect(),
        listed => listed
            .iter()
            .map(|origin| origin.origin().ascii_serialization())
            .collect(),
    };
    // Text joined, not `Url::join`: a path such as `//other.host/x` stays a path.
    origins
        .iter()
        .filter_map(|origin| Url::parse(&format!("{origin}{path}")).ok())
        .collect()
}
