//! `GET /api/v1/employees`: the people who can own units.

use axum::Json;
use axum::extract::State;

use crate::auth::Principal;
use crate::error::Error;
use crate::state::AppState;
use crate::store::employees;

/// Every employee (`uuid`, `name`, `username`), sorted by name; any authenticated caller.
pub async fn list(
    State(state): State<AppState>,
    _principal: Principal,
) -> Result<Json<Vec<api::Employee>>, Error> {
    let mut conn = state.db().pool().acquire().await?;
    Ok(Json(employees::list(&mut conn).await?))
}
