//! `GET /keycloak.json`: where the browser finds the IdP (Keycloak adapter format, from the settings).

use axum::Json;
use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::response::IntoResponse;

use crate::state::AppState;

pub async fn get(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(CACHE_CONTROL, "no-cache")],
        Json(state.keycloak_json().clone()),
    )
}
