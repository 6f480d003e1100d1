//! `GET /api/v1/me`: the validated caller as JSON.

use axum::Json;
use axum::extract::State;

use crate::app::AppState;
use crate::auth::Principal;

pub async fn get(State(state): State<AppState>, principal: Principal) -> Json<api::Me> {
    Json(principal.to_me(state.settings().keycloak_rbac_enabled))
}
