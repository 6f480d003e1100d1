//! The Keycloak adapter configuration the backend publishes at `/keycloak.json`, and loading it.

pub use api::KeycloakJson;
use gloo_net::http::Request;

use crate::error::Error;

/// Where the backend serves the adapter configuration, on the app's own origin.
pub const KEYCLOAK_JSON_URL: &str = "/keycloak.json";

/// Fetches and parses [`KEYCLOAK_JSON_URL`].
pub async fn load() -> Result<KeycloakJson, Error> {
    let response = Request::get(KEYCLOAK_JSON_URL)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|err| Error::Unreachable(err.to_string()))?;
    if !response.ok() {
        return Err(Error::Status(response.status()));
    }
    response
        .json()
        .await
        .map_err(|err| Error::InvalidConfig(err.to_string()))
}
