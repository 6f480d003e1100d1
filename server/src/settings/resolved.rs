//! What the settings mean, worked out once from checked values: the issuer, the JWKS URL, the
//! algorithm allow-list, the browser-facing origins and `keycloak.json`.

use jsonwebtoken::Algorithm;
use url::Url;

use super::{Settings, SettingsError, invalid, rsa_algorithm};

impl Settings {
    /// What the settings mean, worked out once from values checked first: the issuer, the JWKS
    /// URL, the algorithm allow-list, the IdP's browser origin and `keycloak.json`. The error
    /// names the first bad setting.
    pub fn resolve(&self) -> Result<Resolved, SettingsError> {
        self.check_values()?;
        let signing_algorithms = self.signing_algorithms()?;
        let auth_server_url = self.auth_server_url()?;
        Ok(Resolved {
            issuer: format!("{auth_server_url}realms/{}", self.keycloak_realm),
            jwks_url: self.jwks_url(&auth_server_url)?,
            signing_algorithms,
            idp_browser_origin: auth_server_url.origin().ascii_serialization(),
            public_origins: self.public_origins()?,
            keycloak_json: api::KeycloakJson {
                realm: self.keycloak_realm.clone(),
                auth_server_url: auth_server_url.to_string(),
                ssl_required: self.keycloak_ssl_required.clone(),
                resource: self.keycloak_mo_client.clone(),
                public_client: true,
                confidential_port: 0,
                dpop: self.dpop,
            },
        })
    }

    /// The allow-list of token algorithms from `keycloak_signing_alg` (comma-separated, RSA only).
    fn signing_algorithms(&self) -> Result<Vec<Algorithm>, SettingsError> {
        let mut algs = Vec::new();
        for name in self.keycloak_signing_alg.split(',').map(str::trim) {
            let alg = rsa_algorithm(name).ok_or_else(|| {
                invalid(
                    "keycloak_signing_alg",
                    format!(
                        "{name:?} is not allowed; use RS256, RS384, RS512, PS256, PS384 or PS512"
                    ),
                )
            })?;
            if !algs.contains(&alg) {
                algs.push(alg);
            }
        }
        Ok(algs)
    }

    /// `keycloak_auth_server_url`, checked and ending in exactly one `/`.
    fn auth_server_url(&self) -> Result<Url, SettingsError> {
        let setting = "keycloak_auth_server_url";
        let mut url = Url::parse(&self.keycloak_auth_server_url)
            .map_err(|e| invalid(setting, format!("not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(invalid(setting, "must be an http(s) URL with a host"));
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(invalid(setting, "must not have a query, fragment or user"));
        }
        let path = format!("{}/", url.path().trim_end_matches('/'));
        url.set_path(&path);
        Ok(url)
    }

    /// Where the backend fetches the JWKS: the backend's view of the IdP (schema, host, port) and
    /// the path of the browser-facing `auth_server_url`.
    fn jwks_url(&self, auth_server_url: &Url) -> Result<Url, SettingsError> {
        let host = if self.keycloak_host.contains(':') && !self.keycloak_host.starts_with('[') {
            format!("[{}]", self.keycloak_host)
        } else {
            self.keycloak_host.clone()
        };
        let raw = format!(
            "{}://{}:{}{}realms/{}/protocol/openid-connect/certs",
            self.keycloak_schema,
            host,
            self.keycloak_port,
            auth_server_url.path(),
            self.keycloak_realm
        );
        Url::parse(&raw).map_err(|e| invalid("keycloak_host", format!("gives a bad URL: {e}")))
    }

    /// `public_origins`: "" (none), or comma-separated http(s) origins (no path, query or user).
    fn public_origins(&self) -> Result<Vec<Url>, SettingsError> {
        self.public_origins
            .split(',')
            .map(str::trim)
            .filter(|origin| !origin.is_empty())
            .map(public_origin)
            .collect()
    }
}

/// One origin of `public_origins`.
fn public_origin(origin: &str) -> Result<Url, SettingsError> {
    let setting = "public_origins";
    let url = Url::parse(origin).map_err(|e| invalid(setting, format!("not a URL: {e}")))?;
    let bare = url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty();
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() || !bare {
        return Err(invalid(
            setting,
            "must be origins such as \"https://mo.example.dk\" (no path, query or user)",
        ));
    }
    Ok(url)
}

/// What the settings mean ([`Settings::resolve`]): worked out once, from checked values, so
/// nothing built from it has an error left to handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The `iss` every accepted token carries: `{keycloak_auth_server_url}realms/{keycloak_realm}`.
    pub issuer: String,
    /// Where the backend fetches the realm's keys.
    pub jwks_url: Url,
    /// The token algorithms allowed, each once.
    pub signing_algorithms: Vec<Algorithm>,
    /// The IdP's origin as the browser sees it (for the CSP), e.g. `http://127.0.0.1:8081`.
    pub idp_browser_origin: String,
    /// `public_origins`: the origins DPoP proofs may name (none: the request's Host, over http).
    pub public_origins: Vec<Url>,
    /// The document served at `/keycloak.json`.
    pub keycloak_json: api::KeycloakJson,
}
