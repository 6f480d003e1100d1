//! The axum extractor that turns `Authorization: Bearer <token>` into a [`Principal`] or an [`Error`].

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::Principal;
use super::validate::ValidationError;
use crate::app::AppState;
use crate::error::{Error, Unauthorized};

/// Parses the header (RFC 6750 §2.1). The scheme is case-insensitive (RFC 7235 §2.1), so
/// `bearer x` is read like `Bearer x`; one or more spaces may follow it. More than one
/// `Authorization` header, a non-ASCII value or `Bearer` without a token is `invalid_request`;
/// another scheme (e.g. `Basic`) counts as no bearer token at all.
pub fn bearer_token(parts: &Parts) -> Result<&str, Unauthorized> {
    let mut values = parts.headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(Unauthorized::MissingToken);
    };
    if values.next().is_some() {
        return Err(Unauthorized::InvalidRequest(
            "more than one Authorization header",
        ));
    }
    let value = value
        .to_str()
        .map_err(|_| Unauthorized::InvalidRequest("Authorization header is not ASCII"))?
        .trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return Err(Unauthorized::MissingToken);
    }
    let token = rest.trim_start_matches(' ');
    if token.is_empty() {
        return Err(Unauthorized::InvalidRequest("bearer token missing"));
    }
    Ok(token)
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(values: &[&[u8]]) -> Parts {
        let mut builder = Request::builder().uri("/api/v1/me");
        for v in values {
            builder = builder.header(AUTHORIZATION, *v);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn parse(values: &[&[u8]]) -> Result<String, Unauthorized> {
        bearer_token(&parts(values)).map(str::to_owned)
    }

    #[test]
    fn header_forms() {
        assert_eq!(parse(&[b"Bearer abc"]).unwrap(), "abc");
        assert_eq!(parse(&[b"bearer abc"]).unwrap(), "abc");
        assert_eq!(parse(&[b"BEARER   abc"]).unwrap(), "abc");
        // `Bearer Bearer abc`: the token is "Bearer abc", which validation refuses as malformed.
        assert_eq!(parse(&[b"Bearer Bearer abc"]).unwrap(), "Bearer abc");
        assert_eq!(parse(&[]), Err(Unauthorized::MissingToken));
        assert_eq!(parse(&[b"Basic dTpw"]), Err(Unauthorized::MissingToken));
        assert_eq!(parse(&[b"Bearerabc"]), Err(Unauthorized::MissingToken));
        assert!(matches!(
            parse(&[b"Bearer"]),
            Err(Unauthorized::InvalidRequest(_))
        ));
        assert!(matches!(
            parse(&[b"Bearer   "]),
            Err(Unauthorized::InvalidRequest(_))
        ));
        assert!(matches!(
            parse(&[b"Bearer a", b"Bearer b"]),
            Err(Unauthorized::InvalidRequest(_))
        ));
        assert!(matches!(
            parse(&[b"Bearer \xff\xfe"]),
            Err(Unauthorized::InvalidRequest(_))
        ));
    }
}
