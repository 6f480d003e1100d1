//! `/health/live` (the process answers) and `/health/ready` (signing keys loaded, database answers).

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::auth::jwks::KeyError;
use crate::state::AppState;

pub async fn live() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "live" }))
}

/// Tries to load the keys if none are loaded yet (as the refresh policy allows), pings the
/// database, and says what is missing.
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let signing_keys = match state.jwks().ensure_loaded().await {
        Ok(n) => api::Check {
            ok: true,
            detail: format!("{n} signing key(s) loaded"),
        },
        Err(e) => {
            // The IdP's internal URL and the fetch error are for operators: the log, not the
            // (anonymous) caller.
            let last_error = state.jwks().status().last_error.unwrap_or_default();
            tracing::warn!(url = %state.jwks().url(), error = %last_error, "not ready: no signing keys");
            let detail = match e {
                KeyError::Unavailable { retry_after } => format!(
                    "no signing keys from the identity provider yet; next attempt in {}s",
                    retry_after.as_secs().max(1)
                ),
                other => other.to_string(),
            };
            api::Check { ok: false, detail }
        }
    };
    let database = match tokio::time::timeout(Duration::from_secs(5), state.db().ping()).await {
        Ok(Ok(())) => api::Check {
            ok: true,
            detail: "SELECT 1 answered".into(),
        },
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "not ready: database");
            api::Check {
                ok: false,
                detail: "the database answered with an error".into(),
            }
        }
        Err(_) => api::Check {
            ok: false,
            detail: "database did not answer within 5s".into(),
        },
    };
    let mut missing = Vec::new();
    if !signing_keys.ok {
        missing.push("signing_keys".to_owned());
    }
    if !database.ok {
        missing.push("database".to_owned());
    }
    let ready = missing.is_empty();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = api::Readiness {
        ready,
        missing,
        signing_keys,
        database,
    };
    (status, Json(body))
}
