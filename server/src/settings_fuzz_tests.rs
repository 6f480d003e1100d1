//! Fuzz targets for the settings (a `--config` TOML file and environment overrides) and for the
//! keycloak.json document: any input gives settings that work or an error naming a setting.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};

use super::*;
use crate::auth::Validator;
use crate::auth::fuzz_support::{
    corpus, fuzz, interesting_key, json_value, mutated, tricky_string,
};

/// Settings that loaded must be usable: every derived value the server needs at start-up.
fn usable(settings: &Settings) -> Result<(), TestCaseError> {
    settings
        .validate()
        .map_err(|e| TestCaseError::fail(format!("loaded but invalid: {e}")))?;
    let resolved = settings.resolve();
    prop_assert!(resolved.is_ok(), "{:?}", resolved.err());
    let resolved = resolved.unwrap();
    let _ = Validator::new(settings, &resolved);
    let _ = crate::csp::policy(&resolved.idp_browser_origin);
    let _ = crate::auth::RefreshPolicy::from_settings(settings);
    Ok(())
}

fn names_a_setting(error: &SettingsError) -> Result<(), TestCaseError> {
    match error {
        SettingsError::Invalid { setting, message } => {
            prop_assert!(Settings::names().iter().any(|n| n == setting), "{setting}");
            prop_assert!(!message.is_empty());
        }
        SettingsError::Load(e) => prop_assert!(!e.to_string().is_empty()),
    }
    Ok(())
}

#[test]
fn fuzz_settings_file() {
    let path =
        std::env::temp_dir().join(format!("server-fuzz-settings-{}.toml", std::process::id()));
    let seeds = corpus("settings");
    let check = |bytes: Vec<u8>| {
        std::fs::write(&path, &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        match Settings::load_from(Some(&path), |_| None) {
            Ok(settings) => usable(&settings),
            Err(e) => names_a_setting(&e),
        }
    };
    fuzz("settings-file", 256, &seeds.clone(), mutated(seeds), check);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn fuzz_settings_environment() {
    let names = Settings::names();
    let overrides = proptest::collection::vec(
        (
            proptest::sample::select(names),
            prop_oneof![
                tricky_string(),
                Just("0".to_owned()),
                Just("65536".to_owned()),
                Just("-1".to_owned()),
                Just("true".to_owned()),
                Just("http://[::1]:8081/".to_owned()),
                Just("RS256,HS256".to_owned()),
                Just("sqlite::memory:".to_owned()),
                "[0-9]{1,25}",
            ],
        ),
        1..5,
    );
    fuzz("settings-env", 256, &[], overrides, |pairs| {
        let env = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(n, _)| n.to_ascii_uppercase() == name)
                .map(|(_, v)| v.clone())
        };
        match Settings::load_from(None, env) {
            Ok(settings) => usable(&settings),
            Err(e) => names_a_setting(&e),
        }
    });
}

/// What the SPA does with `/keycloak.json`: parse it and derive the issuer and endpoints.
fn read_keycloak_json(bytes: &[u8]) {
    if let Ok(doc) = serde_json::from_slice::<api::KeycloakJson>(bytes) {
        let issuer = doc.issuer();
        assert!(doc.endpoint("certs").starts_with(&issuer));
    }
}

#[test]
fn fuzz_keycloak_json() {
    let served =
        serde_json::to_vec(&Settings::from_defaults().resolve().unwrap().keycloak_json).unwrap();
    let mut seeds = corpus("keycloak-json");
    seeds.push(served);
    fuzz(
        "keycloak-json-bytes",
        512,
        &seeds.clone(),
        mutated(seeds),
        |bytes| {
            read_keycloak_json(&bytes);
            Ok(())
        },
    );
    let documents =
        proptest::collection::vec((interesting_key(), json_value()), 0..8).prop_map(|fields| {
            let mut doc = json!({
                "realm": "mo", "auth-server-url": "http://127.0.0.1:8081/",
                "ssl-required": "external", "resource": "mo",
                "public-client": true, "confidential-port": 0
            });
            for (k, v) in fields {
                doc[k] = v;
            }
            doc
        });
    fuzz("keycloak-json-values", 512, &[], documents, |doc: Value| {
        read_keycloak_json(doc.to_string().as_bytes());
        Ok(())
    });
}
