//! Settings: defaults from default-settings.toml, an optional `--config` file, UPPERCASE env overrides, validation.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{Config, File, FileFormat, Source};
use jsonwebtoken::Algorithm;
use serde::{Deserialize, Serialize};

mod resolved;
pub use resolved::Resolved;

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
    pub dpop: bool,
    pub dpop_required: bool,
    pub dpop_proof_max_age_seconds: u64,
    pub dpop_replay_cache_entries: usize,
    pub public_origins: String,
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
        if !(5..=300).contains(&self.dpop_proof_max_age_seconds) {
            return Err(invalid("dpop_proof_max_age_seconds", "must be 5-300"));
        }
        if !(1..=10_000_000).contains(&self.dpop_replay_cache_entries) {
            return Err(invalid("dpop_replay_cache_entries", "must be 1-10000000"));
        }
        if self.dpop_required && !self.dpop {
            return Err(invalid(
                "dpop_required",
                "needs dpop = true, or the app's own sign-in could never call the API",
            ));
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
