//! Who is signed in, as the access token describes them, and keycloak-js-style role checks.

use std::collections::BTreeMap;

use super::jwt::AccessClaims;

/// The signed-in user (from the access token; the API's `GET /api/v1/me` is the authority).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    pub username: Option<String>,
    pub name: Option<String>,
    pub realm_roles: Vec<String>,
    /// Roles per client (`resource_access`).
    pub resource_roles: BTreeMap<String, Vec<String>>,
}

impl User {
    pub fn from_claims(claims: &AccessClaims) -> Self {
        Self {
            username: claims.preferred_username.clone(),
            name: claims.name.clone(),
            realm_roles: claims.realm_access.roles.clone(),
            resource_roles: claims
                .resource_access
                .iter()
                .map(|(client, roles)| (client.clone(), roles.roles.clone()))
                .collect(),
        }
    }

    /// The name to greet the user with: full name, else username.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .filter(|name| !name.trim().is_empty())
            .or_else(|| self.username.clone())
            .unwrap_or_else(|| "Signed in".into())
    }

    /// keycloak-js `hasRealmRole`.
    pub fn has_realm_role(&self, role: &str) -> bool {
        self.realm_roles.iter().any(|held| held == role)
    }

    /// keycloak-js `hasResourceRole(role, resource)`.
    pub fn has_resource_role(&self, role: &str, resource: &str) -> bool {
        self.resource_roles
            .get(resource)
            .is_some_and(|roles| roles.iter().any(|held| held == role))
    }
}
