//! The authenticated caller (`Principal`) and the access-token claims it is built from.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use uuid::Uuid;

use super::TokenError;

/// `aud` is a string or an array of strings (RFC 7519 §4.1.3).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub fn contains(&self, client: &str) -> bool {
        match self {
            Audience::One(a) => a == client,
            Audience::Many(all) => all.iter().any(|a| a == client),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Roles {
    #[serde(default)]
    pub roles: Vec<String>,
}

/// The claims of a Keycloak access token that the server reads. `exp`, `nbf` and `iss` are checked
/// by the validator before these are used.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: Option<String>,
    pub aud: Option<Audience>,
    pub azp: Option<String>,
    pub typ: Option<String>,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    /// OS2mo's custom claim: UUID text, or base64 of the 16 bytes in `bytes_le` order.
    pub uuid: Option<String>,
    pub realm_access: Option<Roles>,
    pub resource_access: Option<HashMap<String, Roles>>,
    /// The client of a service-account token (`client_id`; older Keycloak: `clientId`).
    pub client_id: Option<String>,
    #[serde(rename = "clientId")]
    pub client_id_legacy: Option<String>,
    /// RFC 7800 confirmation: `cnf.jkt` binds the token to a DPoP key (RFC 9449 §6.1).
    pub cnf: Option<Confirmation>,
    /// `exp` and `nbf` read as jsonwebtoken reads them (an integer, or a non-negative float
    /// rounded); `None` when absent or unreadable, which the validator has refused before.
    #[serde(default, deserialize_with = "numeric_date_field")]
    pub exp: Option<u64>,
    #[serde(default, deserialize_with = "numeric_date_field")]
    pub nbf: Option<u64>,
}

/// The `cnf` claim as DPoP uses it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Confirmation {
    /// The SHA-256 JWK thumbprint (RFC 7638) of the key the token is bound to.
    pub jkt: Option<String>,
}

/// A NumericDate (RFC 7519 §2) the way jsonwebtoken's time checks see it; never an error.
fn numeric_date_field<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    Ok(numeric_date(&serde_json::Value::deserialize(deserializer)?))
}

/// A NumericDate read as jsonwebtoken reads it: an integer, or a non-negative float rounded;
/// `None` for anything else.
pub(super) fn numeric_date(value: &serde_json::Value) -> Option<u64> {
    let serde_json::Value::Number(number) = value else {
        return None;
    };
    number.as_u64().or_else(|| {
        number
            .as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0 && *f < u64::MAX as f64)
            .map(|f| f.round() as u64)
    })
}

/// Who made the request, after the token was validated: an [`Identity`] shared behind one `Arc`,
/// so handing it to a handler (or out of the verified-token cache) is a reference-count
/// increment, not a copy of every string. Reads go through `Deref` (`principal.uuid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal(Arc<Identity>);

impl std::ops::Deref for Principal {
    type Target = Identity;

    fn deref(&self) -> &Identity {
        &self.0
    }
}

impl From<Identity> for Principal {
    fn from(identity: Identity) -> Self {
        Self(Arc::new(identity))
    }
}

/// What a validated token says about the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub sub: Option<String>,
    pub username: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub uuid: Option<Uuid>,
    pub realm_roles: BTreeSet<String>,
    /// Roles of `keycloak_mo_client` (`resource_access.{client}.roles`).
    pub client_roles: BTreeSet<String>,
    pub azp: Option<String>,
    /// A client_credentials token (an integration such as dipex), not a person.
    pub service_account: bool,
    /// The thumbprint of the DPoP key the token is bound to (`cnf.jkt`); such a token is only
    /// accepted with a proof made with that key.
    pub dpop_jkt: Option<String>,
}

impl Principal {
    /// Builds the principal from validated claims; `client` is `keycloak_mo_client`.
    pub fn from_claims(claims: Claims, client: &str) -> Result<Self, TokenError> {
        let uuid = claims.uuid.as_deref().map(parse_uuid).transpose()?;
        let realm_roles = claims
            .realm_access
            .map(|r| r.roles.into_iter().collect())
            .unwrap_or_default();
        let client_roles = claims
            .resource_access
            .and_then(|mut r| r.remove(client))
            .map(|r| r.roles.into_iter().collect())
            .unwrap_or_default();
        // Keycloak names a client's service-account user `service-account-{client}`. Without a
        // username, a token that names its client (`client_id`, older `clientId`) is a client's
        // own. `client_id` alone proves nothing: RFC 9068 access tokens carry it for users too.
        let service_account = match claims.preferred_username.as_deref() {
            Some(username) => username.starts_with("service-account-"),
            None => claims.client_id.is_some() || claims.client_id_legacy.is_some(),
        };
        let dpop_jkt = claims.cnf.and_then(|cnf| cnf.jkt);
        // Keycloak types a bound token `DPoP`; one that says so without a key is refused.
        if claims.typ.as_deref() == Some("DPoP") && dpop_jkt.is_none() {
            return Err(TokenError::NotBound);
        }
        Ok(Self::from(Identity {
            sub: claims.sub,
            username: claims.preferred_username,
            name: claims.name,
            email: claims.email,
            uuid,
            realm_roles,
            client_roles,
            azp: claims.azp,
            service_account,
            dpop_jkt,
        }))
    }
}

impl Identity {
    pub fn has_realm_role(&self, role: &str) -> bool {
        self.realm_roles.contains(role)
    }

    /// The JSON of `/api/v1/me`, with `access` as RBAC decides it.
    pub fn to_me(&self, access: api::AccountAccess) -> api::Me {
        api::Me {
            username: self.username.clone(),
            name: self.name.clone(),
            email: self.email.clone(),
            uuid: self.uuid,
            roles: self.realm_roles.iter().cloned().collect(),
            client_roles: self.client_roles.iter().cloned().collect(),
            azp: self.azp.clone(),
            service_account: self.service_account,
            access,
        }
    }
}

/// OS2mo's rule: a UUID in text form, else base64 of 16 bytes in `bytes_le` order (AD objectGUID).
pub fn parse_uuid(value: &str) -> Result<Uuid, TokenError> {
    if let Ok(uuid) = Uuid::parse_str(value) {
        return Ok(uuid);
    }
    let bytes = STANDARD.decode(value).map_err(|_| TokenError::BadUuid)?;
    let bytes: [u8; 16] = bytes.try_into().map_err(|_| TokenError::BadUuid)?;
    Ok(Uuid::from_bytes_le(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: serde_json::Value) -> Claims {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn uuid_text_and_base64_bytes_le() {
        let text = "c420894f-36ba-4cd5-b4f8-1b24bd8c53db";
        let uuid = Uuid::parse_str(text).unwrap();
        assert_eq!(parse_uuid(text).unwrap(), uuid);
        assert_eq!(parse_uuid(&text.to_uppercase()).unwrap(), uuid);
        // Python: base64.b64encode(UUID(text).bytes_le) == b"T4kgxLo21Uy0+BskvYxT2w=="
        let b64 = STANDARD.encode(uuid.to_bytes_le());
        assert_eq!(b64, "T4kgxLo21Uy0+BskvYxT2w==");
        assert_eq!(parse_uuid(&b64).unwrap(), uuid);
        assert_eq!(parse_uuid("not-a-uuid"), Err(TokenError::BadUuid));
        assert_eq!(
            parse_uuid(&STANDARD.encode([1u8; 15])),
            Err(TokenError::BadUuid)
        );
    }

    #[test]
    fn person_with_roles() {
        let c = claims(json!({
            "iss": "x", "sub": "s", "azp": "mo", "aud": ["mo", "account"],
            "preferred_username": "eline", "name": "Eline", "email": "e@x",
            "uuid": "1c571f8f-0e3e-4ffa-9ff0-d35505781924",
            "realm_access": {"roles": ["owner", "offline_access"]},
            "resource_access": {"mo": {"roles": ["reader"]}, "account": {"roles": ["view-profile"]}}
        }));
        let p = Principal::from_claims(c, "mo").unwrap();
        assert_eq!(p.username.as_deref(), Some("eline"));
        assert!(p.has_realm_role("owner"));
        assert_eq!(p.client_roles.iter().collect::<Vec<_>>(), vec!["reader"]);
        assert!(!p.service_account);
        let access = api::AccountAccess {
            role: api::AccountRole::Owner,
            write: api::Verdict::Allowed,
            create_top_level: api::Verdict::Allowed,
        };
        let me = p.to_me(access);
        assert_eq!(me.access, access);
        assert_eq!(me.roles, vec!["offline_access", "owner"]);
        assert_eq!(
            me.uuid.unwrap().to_string(),
            "1c571f8f-0e3e-4ffa-9ff0-d35505781924"
        );
    }

    #[test]
    fn service_account() {
        let c = claims(json!({
            "iss": "x", "azp": "dipex", "aud": "mo",
            "preferred_username": "service-account-dipex",
            "realm_access": {"roles": ["admin"]}
        }));
        let p = Principal::from_claims(c, "mo").unwrap();
        assert!(p.service_account);
        assert!(p.has_realm_role("admin"));
        assert!(p.uuid.is_none());
        let c = claims(json!({"iss": "x", "client_id": "dipex"}));
        assert!(Principal::from_claims(c, "mo").unwrap().service_account);
        // RFC 9068 tokens carry client_id for users too.
        let c = claims(json!({"iss": "x", "client_id": "mo", "preferred_username": "bruce"}));
        assert!(!Principal::from_claims(c, "mo").unwrap().service_account);
    }

    #[test]
    fn dpop_binding() {
        let c = claims(json!({"iss": "x", "typ": "DPoP", "cnf": {"jkt": "thumb"}}));
        let p = Principal::from_claims(c, "mo").unwrap();
        assert_eq!(p.dpop_jkt.as_deref(), Some("thumb"));
        let c = claims(json!({"iss": "x", "typ": "DPoP"}));
        assert_eq!(Principal::from_claims(c, "mo"), Err(TokenError::NotBound));
        let c = claims(json!({"iss": "x", "typ": "Bearer"}));
        assert_eq!(Principal::from_claims(c, "mo").unwrap().dpop_jkt, None);
    }

    #[test]
    fn bad_uuid_claim_is_a_token_error() {
        let c = claims(json!({"iss": "x", "uuid": "nope"}));
        assert_eq!(Principal::from_claims(c, "mo"), Err(TokenError::BadUuid));
    }
}
