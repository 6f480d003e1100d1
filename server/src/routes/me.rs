//! `GET /api/v1/me`: the validated caller as JSON, with what RBAC lets the account do in general.

use axum::Json;
use axum::extract::State;

use crate::auth::Principal;
use crate::state::AppState;
use crate::verdicts;

pub async fn get(State(state): State<AppState>, principal: Principal) -> Json<api::Me> {
    Json(principal.to_me(verdicts::account(&super::caller(&state, &principal))))
}
