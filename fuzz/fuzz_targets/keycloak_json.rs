//! `keycloak.json` as the SPA reads it: parse it, then derive the issuer and endpoints.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = serde_json::from_slice::<api::KeycloakJson>(data) {
        let issuer = doc.issuer();
        for name in ["auth", "token", "certs", "logout"] {
            assert!(doc.endpoint(name).starts_with(&issuer));
        }
    }
});
