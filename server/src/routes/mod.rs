//! HTTP handlers, one module per route group, and the API's input extractors.

pub mod employees;
pub mod health;
pub mod input;
pub mod keycloak_json;
pub mod me;
pub mod metrics;
pub mod org_units;
pub mod spa;
