//! The Keycloak adapter configuration the backend publishes at `/keycloak.json`, and loading it.

pub use api::KeycloakJson;
use gloo_net::http::Request;

/// Where the backend serves the adapter configuration, on the app's own origin.
pub const KEYCLOAK_JSON_URL: &str = "/keycloak.json";

/// Why the adapter configuration could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("The server could not be reached ({0}).")]
    Unreachable(String),
    #[error("The server answered with HTTP status {0}.")]
    Status(u16),
    #[error("The server's answer is not a valid keycloak.json ({0}).")]
    Invalid(String),
}

/// Fetches and parses [`KEYCLOAK_JSON_URL`].
pub async fn load() -> Result<KeycloakJson, ConfigError> {
    let response = Request::get(KEYCLOAK_JSON_URL)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|err| ConfigError::Unreachable(err.to_string()))?;
    if !response.ok() {
        return Err(ConfigError::Status(response.status()));
    }
    response
        .json()
        .await
        .map_err(|err| ConfigError::Invalid(err.to_string()))
}
