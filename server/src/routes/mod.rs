//! HTTP handlers, one module per route group, and the API's input extractors.

pub mod authenticate;
pub mod employees;
pub mod health;
pub mod input;
pub mod keycloak_json;
pub mod me;
pub mod metrics;
pub mod org_units;
pub mod spa;

use crate::auth::Principal;
use crate::rbac::Caller;
use crate::state::AppState;

/// What RBAC looks at in the request's caller, under this server's `keycloak_rbac_enabled`.
fn caller(state: &AppState, principal: &Principal) -> Caller {
    Caller::new(principal, state.settings().keycloak_rbac_enabled)
}
