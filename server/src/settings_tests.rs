//! Tests of settings: defaults, file and environment overrides, and errors that name the setting.

use super::*;
use std::collections::HashMap;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("server-settings-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn defaults_are_the_documented_ones() {
    let s = Settings::from_defaults();
    assert_eq!(s.keycloak_schema, "http");
    assert_eq!(s.keycloak_host, "127.0.0.1");
    assert_eq!(s.keycloak_port, 8081);
    assert_eq!(s.keycloak_realm, "mo");
    assert_eq!(s.keycloak_signing_alg, "RS256");
    assert_eq!(s.keycloak_auth_server_url, "http://127.0.0.1:8081/");
    assert_eq!(s.keycloak_ssl_required, "external");
    assert_eq!(s.keycloak_mo_client, "mo");
    assert!(s.keycloak_rbac_enabled);
    assert_eq!(s.listen, "127.0.0.1:5000".parse().unwrap());
    assert_eq!(s.static_dir, PathBuf::from("dist"));
    assert_eq!(s.database_url, "sqlite:mo.sqlite");
    let pool = s.pool_limits();
    assert_eq!(pool.max_connections, 8);
    assert_eq!(pool.acquire_timeout, std::time::Duration::from_secs(3));
    assert_eq!(pool.lock_timeout, std::time::Duration::from_secs(5));
    assert_eq!(s.seed_realm_file, PathBuf::from("realm/mo-realm.json"));
    assert_eq!(
        s.resolve().unwrap().issuer,
        "http://127.0.0.1:8081/realms/mo"
    );
    assert_eq!(
        s.resolve().unwrap().jwks_url.as_str(),
        "http://127.0.0.1:8081/realms/mo/protocol/openid-connect/certs"
    );
    assert_eq!(
        s.resolve().unwrap().idp_browser_origin,
        "http://127.0.0.1:8081"
    );
    assert_eq!(
        s.resolve().unwrap().signing_algorithms,
        vec![Algorithm::RS256]
    );
    assert_eq!(s.verified_token_cache_entries, 10_000);
}

#[test]
fn a_postgres_url_from_the_environment_is_accepted() {
    let s = Settings::load_from(None, |name| {
        (name == "DATABASE_URL").then(|| "postgres://mo:pw@db.internal:5432/mo".to_owned())
    })
    .unwrap();
    assert_eq!(
        crate::store::Backend::of(&s.database_url),
        Ok(crate::store::Backend::Postgres)
    );
}

#[test]
fn every_field_has_a_default_and_names_match() {
    let names = Settings::names();
    let json = serde_json::to_value(Settings::from_defaults()).unwrap();
    let mut fields: Vec<String> = json.as_object().unwrap().keys().cloned().collect();
    fields.sort();
    assert_eq!(names, fields);
}

#[test]
fn file_overrides_defaults_and_env_overrides_file() {
    let path = temp_file(
        "layers.toml",
        "keycloak_host = \"keycloak\"\nkeycloak_port = 443\nkeycloak_schema = \"https\"\n",
    );
    let s = Settings::load_from(Some(&path), env(&[("KEYCLOAK_PORT", "8443")])).unwrap();
    assert_eq!(s.keycloak_host, "keycloak");
    assert_eq!(s.keycloak_schema, "https");
    assert_eq!(s.keycloak_port, 8443);
    let s = Settings::load_from(
        None,
        env(&[("KEYCLOAK_RBAC_ENABLED", "false"), ("LISTEN", "0.0.0.0:80")]),
    )
    .unwrap();
    assert!(!s.keycloak_rbac_enabled);
    assert_eq!(s.listen.port(), 80);
    // Lower-case names are not read from the environment.
    let s = Settings::load_from(None, env(&[("keycloak_port", "1")])).unwrap();
    assert_eq!(s.keycloak_port, 8081);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn internal_host_and_legacy_auth_path() {
    let mut s = Settings::from_defaults();
    s.keycloak_host = "keycloak".into();
    s.keycloak_port = 8080;
    s.keycloak_auth_server_url = "https://login.example.org/auth".into();
    // Plain http to a host that is not loopback needs the operator's explicit yes.
    s.keycloak_allow_plain_http = true;
    s.validate().unwrap();
    assert_eq!(
        s.resolve().unwrap().issuer,
        "https://login.example.org/auth/realms/mo"
    );
    assert_eq!(
        s.resolve().unwrap().jwks_url.as_str(),
        "http://keycloak:8080/auth/realms/mo/protocol/openid-connect/certs"
    );
    assert_eq!(
        s.resolve().unwrap().idp_browser_origin,
        "https://login.example.org"
    );
    assert_eq!(
        s.resolve().unwrap().keycloak_json.auth_server_url,
        "https://login.example.org/auth/"
    );
}

#[test]
fn plain_http_for_the_signing_keys_only_to_loopback_unless_allowed() {
    for host in ["keycloak", "10.0.0.7", "idp.example.org", "[2001:db8::1]"] {
        let mut s = Settings::from_defaults();
        s.keycloak_host = host.into();
        let message = s.validate().unwrap_err().to_string();
        assert!(
            message.contains("keycloak_schema") && message.contains("keycloak_allow_plain_http"),
            "{host}: {message}"
        );
        s.keycloak_schema = "https".into();
        s.validate().unwrap();
        s.keycloak_schema = "http".into();
        s.keycloak_allow_plain_http = true;
        s.validate().unwrap();
    }
    for host in [
        "127.0.0.1",
        "127.1.2.3",
        "localhost",
        "LOCALHOST",
        "::1",
        "[::1]",
    ] {
        let mut s = Settings::from_defaults();
        s.keycloak_host = host.into();
        s.validate().unwrap_or_else(|e| panic!("{host}: {e}"));
    }
}

fn error_of(pairs: &[(&str, &str)]) -> String {
    Settings::load_from(None, env(pairs))
        .unwrap_err()
        .to_string()
}

#[test]
fn bad_values_name_the_setting() {
    let cases: &[(&str, &str, &str)] = &[
        ("KEYCLOAK_PORT", "eighty", "keycloak_port"),
        ("KEYCLOAK_PORT", "70000", "keycloak_port"),
        ("KEYCLOAK_PORT", "0", "keycloak_port"),
        ("KEYCLOAK_SCHEMA", "ftp", "keycloak_schema"),
        ("KEYCLOAK_HOST", "", "keycloak_host"),
        ("KEYCLOAK_REALM", "m o", "keycloak_realm"),
        ("KEYCLOAK_SIGNING_ALG", "HS256", "keycloak_signing_alg"),
        ("KEYCLOAK_SIGNING_ALG", "none", "keycloak_signing_alg"),
        (
            "KEYCLOAK_AUTH_SERVER_URL",
            "not a url",
            "keycloak_auth_server_url",
        ),
        (
            "KEYCLOAK_AUTH_SERVER_URL",
            "ftp://x/",
            "keycloak_auth_server_url",
        ),
        (
            "KEYCLOAK_SSL_REQUIRED",
            "sometimes",
            "keycloak_ssl_required",
        ),
        ("KEYCLOAK_MO_CLIENT", "", "keycloak_mo_client"),
        ("KEYCLOAK_RBAC_ENABLED", "maybe", "keycloak_rbac_enabled"),
        ("LISTEN", "localhost", "listen"),
        ("DATABASE_URL", "mysql://x/mo", "database_url"),
        (
            "DATABASE_URL",
            "postgres://x/mo?sslmode=sometimes",
            "database_url",
        ),
        ("DATABASE_MAX_CONNECTIONS", "0", "database_max_connections"),
        (
            "DATABASE_ACQUIRE_TIMEOUT_SECONDS",
            "0",
            "database_acquire_timeout_seconds",
        ),
        (
            "DATABASE_LOCK_TIMEOUT_SECONDS",
            "301",
            "database_lock_timeout_seconds",
        ),
        (
            "JWKS_REFETCH_INTERVAL_SECONDS",
            "0",
            "jwks_refetch_interval_seconds",
        ),
        (
            "JWKS_FETCH_TIMEOUT_SECONDS",
            "-1",
            "jwks_fetch_timeout_seconds",
        ),
        ("CLOCK_LEEWAY_SECONDS", "3600", "clock_leeway_seconds"),
        ("MAX_TOKEN_BYTES", "10", "max_token_bytes"),
        (
            "VERIFIED_TOKEN_CACHE_ENTRIES",
            "1000001",
            "verified_token_cache_entries",
        ),
        (
            "VERIFIED_TOKEN_CACHE_ENTRIES",
            "-1",
            "verified_token_cache_entries",
        ),
        // Found by the settings fuzz test: a non-ASCII host reached the ASCII-only IDNA back end.
        ("KEYCLOAK_HOST", "kommunē.dk", "keycloak_host"),
        (
            "KEYCLOAK_AUTH_SERVER_URL",
            "https://Kø.dk/",
            "keycloak_auth_server_url",
        ),
        // Found by the settings fuzz test: a huge value made the semaphore panic at start-up.
        (
            "MAX_CONCURRENT_TOKEN_VERIFICATIONS",
            "18446744073709551615",
            "max_concurrent_token_verifications",
        ),
        (
            "MAX_CONCURRENT_TOKEN_VERIFICATIONS",
            "0",
            "max_concurrent_token_verifications",
        ),
    ];
    for (var, value, setting) in cases {
        let message = error_of(&[(var, value)]);
        assert!(
            message.contains(setting),
            "{var}={value:?} gave {message:?}, which does not name {setting}"
        );
    }
}

#[test]
fn unknown_setting_in_file_is_an_error() {
    let path = temp_file("typo.toml", "keycloak_hots = \"x\"\n");
    let message = Settings::load_from(Some(&path), |_| None)
        .unwrap_err()
        .to_string();
    assert!(message.contains("keycloak_hots"), "{message}");
    std::fs::remove_file(path).unwrap();
}

#[test]
fn missing_config_file_is_an_error() {
    let missing = Path::new("/nonexistent/settings.toml");
    assert!(Settings::load_from(Some(missing), |_| None).is_err());
}

#[test]
fn algorithm_list() {
    let mut s = Settings::from_defaults();
    s.keycloak_signing_alg = "RS256, PS256,RS256".into();
    assert_eq!(
        s.resolve().unwrap().signing_algorithms,
        vec![Algorithm::RS256, Algorithm::PS256]
    );
    s.keycloak_signing_alg = "RS256,ES256".into();
    assert!(s.validate().is_err());
}

#[test]
fn dpop_settings() {
    let s = Settings::load_from(
        None,
        env(&[(
            "PUBLIC_ORIGINS",
            "https://mo.example.dk, http://127.0.0.1:8080",
        )]),
    )
    .unwrap();
    let origins: Vec<String> = s
        .resolve()
        .unwrap()
        .public_origins
        .iter()
        .map(|url| url.origin().ascii_serialization())
        .collect();
    assert_eq!(origins, ["https://mo.example.dk", "http://127.0.0.1:8080"]);
    assert!(
        Settings::from_defaults()
            .resolve()
            .unwrap()
            .public_origins
            .is_empty()
    );
    for (setting, value) in [
        ("PUBLIC_ORIGINS", "https://mo.example.dk/app"),
        ("PUBLIC_ORIGINS", "mo.example.dk"),
        ("DPOP_PROOF_MAX_AGE_SECONDS", "1"),
        ("DPOP_REPLAY_CACHE_ENTRIES", "0"),
    ] {
        let message = error_of(&[(setting, value)]);
        assert!(message.contains(&setting.to_ascii_lowercase()), "{message}");
    }
    let message = error_of(&[("DPOP", "false"), ("DPOP_REQUIRED", "true")]);
    assert!(message.contains("dpop_required"), "{message}");
}
