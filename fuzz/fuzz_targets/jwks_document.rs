//! A JWKS document as the key cache parses it: any bytes give a key set or an error, and a key
//! set holds only RSA signing keys of allowed algorithms.
#![no_main]

use jsonwebtoken::Algorithm;
use libfuzzer_sys::fuzz_target;
use server::auth::keyset::KeySet;

fuzz_target!(|data: &[u8]| {
    if let Ok(set) = KeySet::from_jwks(data, &[Algorithm::RS256, Algorithm::PS256], 2048) {
        for kid in set.kids() {
            assert!(set.find(Some(kid)).is_ok() || set.len() > 1, "{kid}");
        }
    }
});
