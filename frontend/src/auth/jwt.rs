//! Reading JSON Web Tokens: splitting, base64url-decoding, and the claims the app uses.

use std::collections::BTreeMap;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, de::DeserializeOwned};

/// A compact JWS split into its parts; nothing is verified yet.
#[derive(Debug, Clone)]
pub struct Jwt {
    pub header: Header,
    /// `header.payload`, the bytes the signature covers.
    pub signing_input: String,
    payload: Vec<u8>,
    pub signature: Vec<u8>,
}

/// The JOSE header members the checks look at.
#[derive(Debug, Clone, Deserialize)]
pub struct Header {
    pub alg: String,
    pub kid: Option<String>,
}

impl Jwt {
    /// Splits `token` into three base64url parts; fails on anything else.
    pub fn decode(token: &str) -> Result<Self, String> {
        let malformed = || "not a compact JWT (three dot-separated parts)".to_owned();
        let (signing_input, signature) = token.rsplit_once('.').ok_or_else(malformed)?;
        let (header, payload) = signing_input.split_once('.').ok_or_else(malformed)?;
        if payload.contains('.') {
            return Err(malformed());
        }
        let decode = |part: &str, what: &str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| format!("its {what} is not base64url"))
        };
        let header_json = decode(header, "header")?;
        let header = serde_json::from_slice(&header_json)
            .map_err(|err| format!("its header is not valid JSON ({err})"))?;
        Ok(Self {
            header,
            signing_input: signing_input.to_owned(),
            payload: decode(payload, "payload")?,
            signature: decode(signature, "signature")?,
        })
    }

    /// The payload as `T`.
    pub fn claims<T: DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_slice(&self.payload)
            .map_err(|err| format!("its claims are not valid ({err})"))
    }
}

/// Roles in Keycloak's `realm_access` / `resource_access.{client}` shape.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RoleList {
    #[serde(default)]
    pub roles: Vec<String>,
}

/// The access-token claims the app reads (it never verifies access tokens; the API does).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct AccessClaims {
    pub exp: Option<i64>,
    pub iat: Option<i64>,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    #[serde(default)]
    pub realm_access: RoleList,
    #[serde(default)]
    pub resource_access: BTreeMap<String, RoleList>,
}

impl AccessClaims {
    /// The claims of `access_token`, or empty ones when it is not a JWT (an opaque token).
    pub fn of(access_token: &str) -> Self {
        Jwt::decode(access_token)
            .and_then(|jwt| jwt.claims())
            .unwrap_or_default()
    }
}
