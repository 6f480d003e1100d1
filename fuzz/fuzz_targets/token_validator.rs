//! The whole token validator without a network: header, cheap claim checks, key lookup in a
//! fixed key set, signature, claims. Any bytes give a principal or a refusal; a principal only
//! for a token this target signed itself.
#![no_main]

use std::sync::OnceLock;

use jsonwebtoken::Algorithm;
use libfuzzer_sys::fuzz_target;
use server::auth::Validator;
use server::auth::keyset::KeySet;
use server::settings::Settings;
use server::test_support::{claims, keys, mint};

const ISSUER: &str = "http://idp.test/realms/mo";

struct Fixture {
    validator: Validator,
    keys: KeySet,
    good: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut settings = Settings::from_defaults();
        settings.keycloak_auth_server_url = "http://idp.test/".into();
        let jwks = serde_json::json!({ "keys": [keys()[0].jwk.clone()] });
        Fixture {
            validator: Validator::new(&settings, &settings.resolve().expect("default settings")),
            keys: KeySet::from_jwks(jwks.to_string().as_bytes(), &[Algorithm::RS256], 2048)
                .expect("a JWKS of one key"),
            good: mint(&keys()[0], &claims(ISSUER)),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((alg, kid)) = fixture.validator.check_header(token) else {
        return;
    };
    let Ok(key) = fixture.keys.find(kid.as_deref()) else {
        return;
    };
    if fixture.validator.verify(token, alg, &key).is_ok() {
        assert_eq!(token, fixture.good, "a token this target did not sign passed");
    }
});
