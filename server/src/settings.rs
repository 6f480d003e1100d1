//! Settings: defaults from default-settings.toml, an optional `--config` file, UPPERCASE env overrides, validation.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{Config, File, FileFormat, Source};
use jsonwebtoken::Algorithm;
use serde::{Deserialize, Serialize};
use url::Url;

/// The embedded defaults; every setting has its default here and only here.
pub const DEFAULT_SETTINGS_TOML: &str = include_str!("../default-settings.toml");

/// Every setting of the server (names as in OS2mo). Build one with [`Settings::from_defaults`] and
/// change fields in code, or with [`Settings::load`] from defaults, a file and the environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub keycloak_schema: String,
    pub keycloak_host: String,
    pub keycloak_port: u16,
    pub keycloak_realm: String,
    pub keycloak_signing_alg: String,
    pub keycloak_auth_server_url: String,
    pub keycloak_ssl_required: String,
    pub keycloak_mo_client: String,
    pub keycloak_rbac_enabled: bool,
    pub keycloak_allow_plain_http: bool,
    pub listen: SocketAddr,
    pub database_url: String,
    pub database_max_connections: u32,
    pub database_acquire_timeout_seconds: u64,
    pub database_lock_timeout_seconds: u64,
    pub seed_realm_file: PathBuf,
    pub static_dir: PathBuf,
    pub jwks_refetch_interval_seconds: u64,
    pub jwks_max_age_seconds: u64,
    pub jwks_fetch_timeout_seconds: u64,
    pub clock_leeway_seconds: u64,
    pub max_token_bytes: usize,
    pub verified_token_cache_entries: usize,
    pub max_concurrent_token_verifications: usize,
}

/// Why the settings cannot be used; the message always names the setting.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("settings: {0}")]
    Load(#[from] config::ConfigError),
    #[error("invalid setting `{setting}`: {message}")]
    Invalid {
        setting: &'static str,
        message: String,
    },
}

/// `localhost` or a loopback address (127.0.0.0/8, ::1), with or without IPv6 brackets.
fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn invalid(setting: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        setting,
        message: message.into(),
    }
}

/// Upper bound of `verified_token_cache_entries` (an entry is well under 1 KiB).
const MAX_VERIFIED_TOKEN_CACHE_ENTRIES: usize = 1_000_000;

/// Upper bound of `max_concurrent_token_verifications`: more RSA checks at once than any machine
/// has cores for (and far below what a semaphore can hold, so no value makes start-up panic).
const MAX_TOKEN_VERIFICATION_SLOTS: usize = 4096;

/// The RSA algorithms a Keycloak realm can sign access tokens with; nothing else is ever allowed.
const RSA_ALGORITHMS: [(&str, Algorithm); 6] = [
    ("RS256", Algorithm::RS256),
    ("RS384", Algorithm::RS384),
    ("RS512", Algorithm::RS512),
    ("PS256", Algorithm::PS256),
    ("PS384", Algorithm::PS384),
    ("PS512", Algorithm::PS512),
];

/// Name of an allowed algorithm (`RS256`, ...), if it is one.
pub fn rsa_algorithm(name: &str) -> Option<Algorithm> {
    RSA_ALGORITHMS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, a)| *a)
}

impl Default for Settings {
    fn default() -> Self {
        Self::from_defaults()
    }
}

impl Settings {
    /// The defaults of default-settings.toml, nothing else (no file, no environment).
    pub fn from_defaults() -> Self {
        Self::load_from(None, |_| None).expect("default-settings.toml is valid")
    }

    /// Defaults, overridden by `config_file`, overridden by UPPERCASE environment variables; validated.
    pub fn load(config_file: Option<&Path>) -> Result<Self, SettingsError> {
        Self::load_from(config_file, |name| std::env::var(name).ok())
    }

    /// As [`Settings::load`] with the environment given as a function (for tests).
    pub fn load_from(
        config_file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        let mut builder =
            Config::builder().add_source(File::from_str(DEFAULT_SETTINGS_TOML, FileFormat::Toml));
        if let Some(path) = config_file {
            builder = builder.add_source(File::from(path).format(FileFormat::Toml).required(true));
        }
        for name in Self::names() {
            if let Some(value) = env(&name.to_ascii_uppercase()) {
                builder = builder.set_override(name.as_str(), value)?;
            }
        }
        let settings: Settings = builder.build()?.try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    /// The names of all settings (the keys of default-settings.toml).
    pub fn names() -> Vec<String> {
        let defaults = Config::builder()
            .add_source(File::from_str(DEFAULT_SETTINGS_TOML, FileFormat::Toml))
            .build()
            .and_then(|c| c.collect())
            .expect("default-settings.toml is valid");
        let mut names: Vec<String> = defaults.into_keys().collect();
        names.sort();
        names
    }

    /// Checks every value; the error names the first bad setting.
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.resolve().map(drop)
    }

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
            keycloak_json: api::KeycloakJson {
                realm: self.keycloak_realm.clone(),
                auth_server_url: auth_server_url.to_string(),
                ssl_required: self.keycloak_ssl_required.clone(),
                resource: self.keycloak_mo_client.clone(),
                public_client: true,
                confidential_port: 0,
            },
        })
    }

    /// The checks of single values (the URLs and the algorithm list are checked by `resolve`).
    fn check_values(&self) -> Result<(), SettingsError> {
        if !matches!(self.keycloak_schema.as_str(), "http" | "https") {
            return Err(invalid("keycloak_schema", "must be \"http\" or \"https\""));
        }
        if self.keycloak_host.is_empty()
            || self
                .keycloak_host
                .contains(|c: char| c.is_whitespace() || "/?#@".contains(c))
        {
            return Err(invalid(
                "keycloak_host",
                "must be a host name or IP address",
            ));
        }
        // The URL parser's IDNA back end is ASCII-only (see the workspace Cargo.toml).
        for (setting, value) in [
            ("keycloak_host", &self.keycloak_host),
            ("keycloak_auth_server_url", &self.keycloak_auth_server_url),
        ] {
            if !value.is_ascii() {
                return Err(invalid(
                    setting,
                    "must be ASCII: write an international domain name in punycode (xn--...)",
                ));
            }
        }
        if self.keycloak_port == 0 {
            return Err(invalid("keycloak_port", "must be 1-65535"));
        }
        if !is_simple_name(&self.keycloak_realm) {
            return Err(invalid(
                "keycloak_realm",
                "must be letters, digits, '.', '_' or '-'",
            ));
        }
        if !matches!(
            self.keycloak_ssl_required.as_str(),
            "all" | "external" | "none"
        ) {
            return Err(invalid(
                "keycloak_ssl_required",
                "must be \"all\", \"external\" or \"none\"",
            ));
        }
        if self.keycloak_schema == "http"
            && !is_loopback_host(&self.keycloak_host)
            && !self.keycloak_allow_plain_http
        {
            return Err(invalid(
                "keycloak_schema",
                "is \"http\" for a host that is not loopback, so the signing keys would travel \
                 unprotected: use \"https\", or set keycloak_allow_plain_http = true if that \
                 network is trusted",
            ));
        }
        if !(1..=MAX_TOKEN_VERIFICATION_SLOTS).contains(&self.max_concurrent_token_verifications) {
            return Err(invalid(
                "max_concurrent_token_verifications",
                format!("must be from 1 to {MAX_TOKEN_VERIFICATION_SLOTS}"),
            ));
        }
        if !is_simple_name(&self.keycloak_mo_client) {
            return Err(invalid(
                "keycloak_mo_client",
                "must be letters, digits, '.', '_' or '-'",
            ));
        }
        crate::store::Backend::of(&self.database_url)
            .map_err(|message| invalid("database_url", message))?;
        if !(1..=1000).contains(&self.database_max_connections) {
            return Err(invalid("database_max_connections", "must be 1-1000"));
        }
        if !(1..=300).contains(&self.database_acquire_timeout_seconds) {
            return Err(invalid("database_acquire_timeout_seconds", "must be 1-300"));
        }
        if !(1..=300).contains(&self.database_lock_timeout_seconds) {
            return Err(invalid("database_lock_timeout_seconds", "must be 1-300"));
        }
        if self.static_dir.as_os_str().is_empty() {
            return Err(invalid("static_dir", "must not be empty"));
        }
        if !(1..=3600).contains(&self.jwks_refetch_interval_seconds) {
            return Err(invalid("jwks_refetch_interval_seconds", "must be 1-3600"));
        }
        if self.jwks_max_age_seconds < self.jwks_refetch_interval_seconds {
            return Err(invalid(
                "jwks_max_age_seconds",
                "must be at least jwks_refetch_interval_seconds",
            ));
        }
        if !(1..=120).contains(&self.jwks_fetch_timeout_seconds) {
            return Err(invalid("jwks_fetch_timeout_seconds", "must be 1-120"));
        }
        if self.clock_leeway_seconds > 300 {
            return Err(invalid("clock_leeway_seconds", "must be 0-300"));
        }
        if !(1024..=1024 * 1024).contains(&self.max_token_bytes) {
            return Err(invalid("max_token_bytes", "must be 1024-1048576"));
        }
        if self.verified_token_cache_entries > MAX_VERIFIED_TOKEN_CACHE_ENTRIES {
            return Err(invalid(
                "verified_token_cache_entries",
                "must be 0-1000000 (0 disables the cache)",
            ));
        }
        Ok(())
    }

    /// The database pool's limits from the `database_*` settings.
    pub fn pool_limits(&self) -> crate::store::PoolLimits {
        crate::store::PoolLimits {
            max_connections: self.database_max_connections,
            acquire_timeout: Duration::from_secs(self.database_acquire_timeout_seconds),
            lock_timeout: Duration::from_secs(self.database_lock_timeout_seconds),
        }
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
    /// The document served at `/keycloak.json`.
    pub keycloak_json: api::KeycloakJson,
}

/// Safe in URL paths and in a quoted `WWW-Authenticate` parameter.
fn is_simple_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "settings_fuzz_tests.rs"]
mod fuzz_tests;
