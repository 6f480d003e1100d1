//! JSON shapes exchanged between the server and the single-page app (serde only, builds for wasm32).

mod org;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use org::{
    ConflictCode, Employee, MoveDestinations, NewOrgUnit, OrgUnit, OrgUnitPatch, Permissions, Rule,
    Verdict,
};

/// `GET /keycloak.json`: what the browser needs to find the IdP, in the Keycloak adapter format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeycloakJson {
    pub realm: String,
    /// Browser-facing base URL of the IdP, ending in `/` (e.g. `http://127.0.0.1:8081/`).
    #[serde(rename = "auth-server-url")]
    pub auth_server_url: String,
    #[serde(rename = "ssl-required")]
    pub ssl_required: String,
    /// The public client the browser logs in with.
    pub resource: String,
    #[serde(rename = "public-client")]
    pub public_client: bool,
    #[serde(rename = "confidential-port")]
    pub confidential_port: u16,
    /// Not in Keycloak's adapter format: whether the app binds its tokens to a DPoP key (RFC
    /// 9449) and proves it on every call. Absent = false (plain bearer tokens).
    #[serde(default)]
    pub dpop: bool,
}

impl KeycloakJson {
    /// The realm's issuer: `{auth-server-url}realms/{realm}`.
    pub fn issuer(&self) -> String {
        let base = self.auth_server_url.trim_end_matches('/');
        format!("{base}/realms/{}", self.realm)
    }

    /// `{issuer}/protocol/openid-connect/{endpoint}`, e.g. `auth`, `token`, `logout`.
    pub fn endpoint(&self, endpoint: &str) -> String {
        format!("{}/protocol/openid-connect/{endpoint}", self.issuer())
    }
}

/// `GET /api/v1/me`: the caller as the server sees it after validating the bearer token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// `preferred_username` (for a service account: `service-account-{client}`).
    pub username: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    /// OS2mo's `uuid` claim: the employee this login belongs to.
    pub uuid: Option<Uuid>,
    /// Realm roles (`realm_access.roles`), sorted; RBAC uses `admin` and `owner`.
    pub roles: Vec<String>,
    /// Roles of the MO client (`resource_access.{client}.roles`), sorted.
    pub client_roles: Vec<String>,
    /// The client the token was issued to (`azp`).
    pub azp: Option<String>,
    /// True for a client_credentials token (e.g. an integration such as dipex).
    pub service_account: bool,
    /// What the account may do in general, as the server's RBAC decides it.
    pub access: AccountAccess,
}

/// The account's role as RBAC applies it (not a list of realm roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountRole {
    /// Writes every unit (the realm role `admin`).
    Admin,
    /// Writes the units it owns, directly or through a unit above (the realm role `owner`).
    Owner,
    /// Reads everything and writes nothing.
    ReadOnly,
    /// RBAC is off on this server (`keycloak_rbac_enabled = false`): every signed-in account writes.
    EveryoneWrites,
}

/// `Me.access`: what the account may do wherever it looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountAccess {
    pub role: AccountRole,
    /// Whether it may write anything at all (refused with `no_write_role` or `owner_without_uuid`).
    pub write: Verdict,
    /// Whether it may create top-level units (and make units top-level).
    pub create_top_level: Verdict,
}

/// Every error body the server sends: `{"error": "...", "description": "..."}`, plus `field` when
/// one input field is at fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Machine-readable code, e.g. `invalid_token`, `invalid_request`, `unauthorized`,
    /// `temporarily_unavailable`, `not_found`, `forbidden`, `bad_request`, `validation_failed`,
    /// `internal_error`, and for a 409 the [`ConflictCode`] (`stale_version`, `would_cycle`,
    /// `has_children`).
    pub error: String,
    /// Human-readable explanation; never contains the token. A 403 starts with the rule that
    /// refused (e.g. `not_owner: ...`).
    pub description: String,
    /// A 403's rule, the same name a refused [`Verdict`] carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Rule>,
    /// The input field at fault (`name`, `parent`, `version`, `uuid`, `person_uuid`, `body`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// `GET /health/ready`: 200 when every check passes, else 503 with `missing` naming what is not ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readiness {
    pub ready: bool,
    /// Names of the failing checks (`signing_keys`, `database`); empty when ready.
    pub missing: Vec<String>,
    pub signing_keys: Check,
    pub database: Check,
}

/// One readiness check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub ok: bool,
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keycloak_json_uses_the_adapter_field_names() {
        let k = KeycloakJson {
            realm: "mo".into(),
            auth_server_url: "http://127.0.0.1:8081/".into(),
            ssl_required: "external".into(),
            resource: "mo".into(),
            public_client: true,
            confidential_port: 0,
            dpop: true,
        };
        let v = serde_json::to_value(&k).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "realm": "mo",
                "auth-server-url": "http://127.0.0.1:8081/",
                "ssl-required": "external",
                "resource": "mo",
                "public-client": true,
                "confidential-port": 0,
                "dpop": true
            })
        );
        assert_eq!(k.issuer(), "http://127.0.0.1:8081/realms/mo");
        assert_eq!(
            k.endpoint("token"),
            "http://127.0.0.1:8081/realms/mo/protocol/openid-connect/token"
        );
    }

    #[test]
    fn legacy_auth_prefix_is_kept_in_the_issuer() {
        let k = KeycloakJson {
            realm: "mo".into(),
            auth_server_url: "https://kc.example/auth/".into(),
            ssl_required: "external".into(),
            resource: "mo".into(),
            public_client: true,
            confidential_port: 0,
            dpop: false,
        };
        assert_eq!(k.issuer(), "https://kc.example/auth/realms/mo");
    }
}
