//! HTTP handlers, one module per route group.

pub mod health;
pub mod keycloak_json;
pub mod me;
pub mod spa;
