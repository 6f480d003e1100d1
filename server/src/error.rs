//! The one error type of the server and its single mapping to HTTP (status, RFC 6750 and RFC 9449
//! challenges, Retry-After, JSON body).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::auth::dpop::PROOF_ALGORITHMS;
use crate::auth::{Scheme, Unauthorized};
use crate::rbac::Denied;
use crate::settings::SettingsError;
use crate::store::StoreError;
use crate::verdicts::{Conflict, Refusal};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{reason}")]
    Unauthorized {
        realm: Arc<str>,
        reason: Unauthorized,
        challenge: Challenge,
    },
    /// The IdP's keys were never obtained (it has been down since start-up).
    #[error("signing keys of the identity provider are not available yet")]
    KeysUnavailable { retry_after: Duration },
    #[error("{0}")]
    NotFound(&'static str),
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Malformed input: JSON that does not parse, a path parameter that is not a UUID.
    #[error("{message}")]
    BadRequest { field: String, message: String },
    /// Well-formed input with a bad value: a missing or mistyped field, an empty name, an unknown parent.
    #[error("{message}")]
    Validation { field: String, message: String },
    /// RBAC refused the write; the description names the rule.
    #[error("{0}")]
    Forbidden(#[from] Denied),
    /// The write conflicts with the stored state (stale version, children, a cycle); nothing was written.
    #[error("{0}")]
    Conflict(Conflict),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// Another write held the database's write lock beyond the lock timeout, no pooled connection
    /// was free in time, or the database could not be reached: nothing was written (the
    /// transaction rolled back, or never began); try again.
    #[error("the database is busy; nothing was written, try again")]
    Busy { retry_after: Duration },
    /// The request's headers are larger than the server reads (see `app::max_header_bytes`).
    #[error("request headers are larger than {limit} bytes")]
    HeadersTooLarge { limit: usize },
    #[error("database: {0}")]
    Database(sqlx::Error),
    #[error("{0}")]
    Internal(String),
}

/// Which `WWW-Authenticate` challenges a 401 carries: the scheme the request used, or for a
/// request without a token each scheme the server takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    Only(Scheme),
    /// `Bearer` and `DPoP` (a token of either kind would do).
    Either,
}

/// How long a client should wait after a busy database before it retries.
pub const BUSY_RETRY_AFTER: Duration = Duration::from_secs(1);

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Busy => Error::Busy {
                retry_after: BUSY_RETRY_AFTER,
            },
            StoreError::Database(error) => Error::Database(error),
            StoreError::Prepare(message) | StoreError::Corrupt(message) => Error::Internal(message),
        }
    }
}

/// Transactions the handlers open and commit themselves: the store's one busy rule applies.
impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        StoreError::from(error).into()
    }
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Denied(denied) => Error::Forbidden(denied),
            Refusal::WouldCycle => Error::Conflict(Conflict::WouldCycle),
            Refusal::HasChildren { children } => {
                Error::Conflict(Conflict::HasChildren { children })
            }
        }
    }
}

impl Error {
    pub fn unauthorized(realm: Arc<str>, reason: Unauthorized, challenge: Challenge) -> Self {
        Error::Unauthorized {
            realm,
            reason,
            challenge,
        }
    }

    pub fn bad_request(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::BadRequest {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The input field at fault, for the body's `field`.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::BadRequest { field, .. } | Error::Validation { field, .. } => {
                Some(field.as_str())
            }
            _ => None,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Error::KeysUnavailable { .. } | Error::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Error::HeadersTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Error::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Error::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Settings(_) | Error::Io(_) | Error::Database(_) | Error::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// The `error` field of the body (and of the `WWW-Authenticate` challenge where there is one).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthorized { reason, .. } => match reason {
                Unauthorized::MissingToken => "unauthorized",
                Unauthorized::InvalidRequest(_) => "invalid_request",
                Unauthorized::InvalidToken(_) => "invalid_token",
                Unauthorized::InvalidProof(_) => "invalid_dpop_proof",
            },
            Error::KeysUnavailable { .. } | Error::Busy { .. } => "temporarily_unavailable",
            Error::HeadersTooLarge { .. } => "request_header_fields_too_large",
            Error::NotFound(_) => "not_found",
            Error::MethodNotAllowed => "method_not_allowed",
            Error::BadRequest { .. } => "bad_request",
            Error::Validation { .. } => "validation_failed",
            Error::Forbidden(_) => "forbidden",
            Error::Conflict(conflict) => conflict.code().code(),
            _ => "internal_error",
        }
    }
}

/// `Bearer realm="mo"[, error="...", error_description="..."]`, for DPoP with `algs` (RFC 9449
/// §7.1). The realm is validated at start-up and descriptions are fixed strings, so nothing here
/// needs escaping.
fn challenge(scheme: Scheme, realm: &str, reason: &Unauthorized) -> HeaderValue {
    let mut text = match scheme {
        Scheme::Bearer => format!("Bearer realm=\"{realm}\""),
        Scheme::Dpop => format!("DPoP realm=\"{realm}\", algs=\"{PROOF_ALGORITHMS}\""),
    };
    let error = match reason {
        Unauthorized::MissingToken => None,
        Unauthorized::InvalidRequest(d) => Some(("invalid_request", d.to_string())),
        Unauthorized::InvalidToken(e) => Some(("invalid_token", e.to_string())),
        Unauthorized::InvalidProof(e) => Some(("invalid_dpop_proof", e.to_string())),
    };
    if let Some((code, description)) = error {
        text.push_str(&format!(
            ", error=\"{code}\", error_description=\"{description}\""
        ));
    }
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let description = if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(error = %self, "request failed");
            "internal error".to_owned()
        } else {
            self.to_string()
        };
        let body = api::ErrorBody {
            error: self.code().to_owned(),
            description,
            field: self.field().map(str::to_owned),
            rule: match &self {
                Error::Forbidden(denied) => Some(denied.rule()),
                _ => None,
            },
        };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        match &self {
            Error::Unauthorized {
                realm,
                reason,
                challenge: which,
            } => {
                let schemes: &[Scheme] = match which {
                    Challenge::Only(scheme) => &[*scheme],
                    Challenge::Either => &[Scheme::Bearer, Scheme::Dpop],
                };
                for scheme in schemes {
                    headers.append(WWW_AUTHENTICATE, challenge(*scheme, realm, reason));
                }
            }
            Error::KeysUnavailable { retry_after } | Error::Busy { retry_after } => {
                let secs = retry_after.as_secs_f64().ceil().max(1.0) as u64;
                headers.insert(RETRY_AFTER, HeaderValue::from(secs));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::TokenError;

    fn realm() -> Arc<str> {
        Arc::from("mo")
    }

    const BEARER: Challenge = Challenge::Only(Scheme::Bearer);

    fn challenges(r: &Response) -> Vec<&str> {
        let all = r.headers().get_all(WWW_AUTHENTICATE).iter();
        all.map(|v| v.to_str().unwrap()).collect()
    }

    #[test]
    fn missing_token_has_a_bare_challenge_per_scheme() {
        let r = Error::unauthorized(realm(), Unauthorized::MissingToken, BEARER).into_response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(challenges(&r), ["Bearer realm=\"mo\""]);
        let r = Error::unauthorized(realm(), Unauthorized::MissingToken, Challenge::Either)
            .into_response();
        assert_eq!(
            challenges(&r),
            ["Bearer realm=\"mo\"", "DPoP realm=\"mo\", algs=\"ES256\""]
        );
    }

    #[test]
    fn a_bad_proof_is_invalid_dpop_proof() {
        let reason = Unauthorized::InvalidProof(crate::auth::ProofError::Replayed);
        let e = Error::unauthorized(realm(), reason, Challenge::Only(Scheme::Dpop));
        assert_eq!(e.code(), "invalid_dpop_proof");
        assert_eq!(
            challenges(&e.into_response()),
            [
                "DPoP realm=\"mo\", algs=\"ES256\", error=\"invalid_dpop_proof\", \
              error_description=\"DPoP proof was used before\""
            ]
        );
    }

    #[test]
    fn invalid_token_names_the_reason() {
        let reason = Unauthorized::InvalidToken(TokenError::Expired);
        let r = Error::unauthorized(realm(), reason, BEARER).into_response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.headers()[WWW_AUTHENTICATE],
            "Bearer realm=\"mo\", error=\"invalid_token\", error_description=\"token has expired\""
        );
    }

    #[test]
    fn keys_unavailable_is_503_with_retry_after() {
        let r = Error::KeysUnavailable {
            retry_after: Duration::from_millis(2500),
        }
        .into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[RETRY_AFTER], "3");
    }

    #[test]
    fn input_errors_name_the_field_and_403_names_the_rule() {
        let e = Error::validation("name", "must not be empty");
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.field(), Some("name"));
        assert_eq!(
            Error::bad_request("uuid", "x").status(),
            StatusCode::BAD_REQUEST
        );
        let e = Error::from(Denied::NoWriteRole);
        assert_eq!((e.status(), e.code()), (StatusCode::FORBIDDEN, "forbidden"));
        assert!(e.to_string().starts_with("no_write_role: "));
        assert_eq!(e.field(), None);
        let e = Error::from(Refusal::WouldCycle);
        assert_eq!(
            (e.status(), e.code()),
            (StatusCode::CONFLICT, "would_cycle")
        );
        let e = Error::from(Refusal::HasChildren { children: 2 });
        assert_eq!(e.code(), "has_children");
        assert_eq!(
            Error::Conflict(Conflict::StaleVersion { sent: 3 }).code(),
            "stale_version"
        );
    }

    #[test]
    fn internal_errors_do_not_leak_details() {
        let e = Error::Internal("secret detail".into());
        assert_eq!(e.code(), "internal_error");
        assert_eq!(
            e.into_response().status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
