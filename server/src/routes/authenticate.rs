//! The axum extractor that authenticates an API request: the bearer token validated into a
//! [`Principal`], or the [`Error`] that refuses it (counted in the metrics, logged without the token).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::auth::validate::ValidationError;
use crate::auth::{Principal, Unauthorized, bearer_token};
use crate::error::Error;
use crate::state::AppState;

impl FromRequestParts<AppState> for Principal {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        // The realm (an `Arc`) is cloned on refusals only: no shared counter touched per request.
        let token = bearer_token(parts).map_err(|reason| {
            tracing::info!(%reason, "request refused");
            state.metrics().token_refused(reason.label());
            Error::unauthorized(state.realm(), reason)
        })?;
        match state.validator().validate(state.jwks(), token).await {
            Ok(principal) => {
                state.metrics().token_accepted();
                tracing::debug!(username = ?principal.username, azp = ?principal.azp, "authenticated");
                Ok(principal)
            }
            Err(ValidationError::Token(reason)) => {
                tracing::info!(%reason, "bearer token refused");
                state.metrics().token_refused(reason.label());
                Err(Error::unauthorized(
                    state.realm(),
                    Unauthorized::InvalidToken(reason),
                ))
            }
            Err(ValidationError::KeysUnavailable { retry_after }) => {
                state.metrics().token_refused("keys_unavailable");
                Err(Error::KeysUnavailable { retry_after })
            }
            Err(ValidationError::Overloaded { retry_after }) => {
                state.metrics().token_refused("overloaded");
                Err(Error::Busy { retry_after })
            }
        }
    }
}
