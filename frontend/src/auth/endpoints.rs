//! The realm's OpenID Connect endpoints, derived from `keycloak.json` (Keycloak's URL layout).

use crate::config::KeycloakJson;

/// The app's own path the IdP sends the browser back to, after sign-in and after sign-out.
pub const CALLBACK_PATH: &str = "/callback";

/// Every URL the session needs; built once from `keycloak.json` and the app's origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The public client the browser signs in with (`resource`).
    pub client_id: String,
    /// `{auth-server-url}realms/{realm}`: the `iss` every token must carry. A legacy
    /// `auth-server-url` ending in `/auth/` keeps that prefix.
    pub issuer: String,
    pub authorization: String,
    pub token: String,
    pub jwks: String,
    pub end_session: String,
    /// `{origin}/callback`, the redirect and post-logout redirect URI.
    pub redirect_uri: String,
    /// The app's own origin (`scheme://host:port`), where its API lives.
    pub app_origin: String,
}

impl Endpoints {
    /// Keycloak's layout below the issuer: `protocol/openid-connect/{auth,token,certs,logout}`.
    pub fn new(keycloak: &KeycloakJson, app_origin: &str) -> Self {
        Self {
            client_id: keycloak.resource.clone(),
            issuer: keycloak.issuer(),
            authorization: keycloak.endpoint("auth"),
            token: keycloak.endpoint("token"),
            jwks: keycloak.endpoint("certs"),
            end_session: keycloak.endpoint("logout"),
            redirect_uri: format!("{}{CALLBACK_PATH}", app_origin.trim_end_matches('/')),
            app_origin: app_origin.trim_end_matches('/').to_owned(),
        }
    }

    /// The endpoints for the page's own origin.
    pub fn for_this_origin(keycloak: &KeycloakJson) -> Self {
        let origin = web_sys::window()
            .and_then(|window| window.location().origin().ok())
            .unwrap_or_default();
        Self::new(keycloak, &origin)
    }
}
