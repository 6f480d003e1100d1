//! Reading what the IdP sent back to `/callback` and deciding what it means, before any network
//! call: `state` must match the one-use pending redirect, then code or error (Keycloak guide §2.3).

use oauth2::url::form_urlencoded;

use super::redirect_state::{PendingRedirect, RedirectKind};
use crate::error::Error;

/// The query parameters of an authorization or logout response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// RFC 9207 issuer identification, when the IdP sends it.
    pub iss: Option<String>,
}

impl CallbackParams {
    /// Parses `location.search` (with or without the leading `?`). `session_state` and unknown
    /// parameters are ignored; the whole query is dropped from the address bar afterwards.
    pub fn from_query(query: &str) -> Self {
        let mut params = Self::default();
        for (name, value) in form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
            let slot = match &*name {
                "code" => &mut params.code,
                "state" => &mut params.state,
                "error" => &mut params.error,
                "error_description" => &mut params.error_description,
                "iss" => &mut params.iss,
                _ => continue,
            };
            slot.get_or_insert_with(|| value.into_owned());
        }
        params
    }
}

/// What the app does with a callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// Exchange `code` with the pending redirect's verifier, check the ID token, go to `return_to`.
    Exchange {
        code: String,
        pending: PendingRedirect,
    },
    /// Stay anonymous and show `return_to` (`login_required` after a silent check).
    Anonymous { return_to: String },
    /// Back from the end-session endpoint: the landing, signed out.
    SignedOut,
    /// `temporarily_unavailable` + `authentication_expired`: start the same sign-in once more.
    RetrySignIn { pending: PendingRedirect },
    /// Show this error on the landing page.
    Failed(Error),
}

/// Decides what `params` mean given the pending redirect (already removed from storage: one use).
/// `iss` (RFC 9207) must equal `issuer` when present, and must be present when `iss_required`
/// (the IdP announces `authorization_response_iss_parameter_supported`, as Keycloak does).
pub fn evaluate(
    params: &CallbackParams,
    pending: Option<PendingRedirect>,
    issuer: &str,
    iss_required: bool,
) -> CallbackOutcome {
    let Some(pending) = pending else {
        return CallbackOutcome::Failed(Error::NoPendingSignIn);
    };
    if params.state.as_deref() != Some(pending.state.as_str()) {
        return CallbackOutcome::Failed(Error::StateMismatch);
    }
    if pending.kind == RedirectKind::SignOut {
        return CallbackOutcome::SignedOut;
    }
    match params.iss.as_deref() {
        Some(iss) if iss != issuer => {
            return CallbackOutcome::Failed(Error::WrongIssuer(iss.to_owned()));
        }
        None if iss_required => return CallbackOutcome::Failed(Error::MissingIssuer),
        _ => {}
    }
    if let Some(error) = params.error.as_deref() {
        let description = params.error_description.clone().unwrap_or_default();
        return match error {
            "login_required" | "interaction_required" | "consent_required"
                if pending.kind == RedirectKind::SilentCheck =>
            {
                CallbackOutcome::Anonymous {
                    return_to: pending.return_to,
                }
            }
            "access_denied" => {
                CallbackOutcome::Failed(Error::AccessDenied(if description.is_empty() {
                    String::new()
                } else {
                    format!(": {description}")
                }))
            }
            "temporarily_unavailable"
                if description == "authentication_expired" && !pending.retried =>
            {
                CallbackOutcome::RetrySignIn { pending }
            }
            _ => CallbackOutcome::Failed(Error::IdentityProvider {
                error: error.to_owned(),
                description: if description.is_empty() {
                    String::new()
                } else {
                    format!(" ({description})")
                },
            }),
        };
    }
    match params.code.clone() {
        Some(code) if !code.is_empty() && pending.pkce_verifier.is_some() => {
            CallbackOutcome::Exchange { code, pending }
        }
        _ => CallbackOutcome::Failed(Error::MissingCode),
    }
}
