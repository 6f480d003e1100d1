//! Tests of token validation with deliberately bad tokens minted from keys made at test time.

use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};

use super::*;
use crate::auth::jwks::{KeySet, RefreshPolicy};
use crate::test_support::{JwksServer, Mode, TestKey, b64, claims, keys, mint, mint_with, now};

const ISSUER: &str = "http://idp.test/realms/mo";

fn validator() -> Validator {
    let mut s = Settings::from_defaults();
    s.keycloak_auth_server_url = "http://idp.test/".into();
    s.clock_leeway_seconds = 30;
    Validator::new(&s, &s.resolve().unwrap())
}

fn key_set(keys: &[&TestKey]) -> KeySet {
    let doc = json!({ "keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() });
    KeySet::from_jwks(
        doc.to_string().as_bytes(),
        &[Algorithm::RS256, Algorithm::PS256],
        2048,
    )
    .unwrap()
}

/// Validation against the key set {k1, k2} without a network.
fn check(token: &str) -> Result<Principal, TokenError> {
    let v = validator();
    let (alg, kid) = v.check_header(token)?;
    let set = key_set(&[&keys()[0], &keys()[1]]);
    let key = set
        .find(kid.as_deref())
        .map_err(|_| TokenError::UnknownKey)?;
    v.verify(token, alg, &key)
}

fn with(changes: Value) -> Value {
    let mut c = claims(ISSUER);
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn k1(c: &Value) -> String {
    mint(&keys()[0], c)
}

fn refused(token: &str, expected: TokenError) {
    assert_eq!(check(token).unwrap_err(), expected, "token {:.60}", token);
}

#[test]
fn a_good_token_gives_the_principal() {
    let p = check(&k1(&claims(ISSUER))).unwrap();
    assert_eq!(p.username.as_deref(), Some("bruce"));
    assert_eq!(p.email.as_deref(), Some("bruce@kung.fu"));
    assert_eq!(
        p.uuid.unwrap().to_string(),
        "c420894f-36ba-4cd5-b4f8-1b24bd8c53db"
    );
    assert!(p.client_roles.contains("reader"));
    assert!(!p.service_account);
}

#[test]
fn algorithm_allow_list() {
    let payload = b64(claims(ISSUER).to_string().as_bytes());
    let none = format!("{}.{payload}.", b64(br#"{"alg":"none","typ":"JWT"}"#));
    refused(&none, TokenError::Malformed);
    let none_sig = format!("{}.{payload}.c2ln", b64(br#"{"alg":"none","kid":"k1"}"#));
    refused(&none_sig, TokenError::AlgorithmNotAllowed);
    // HS256 keyed with the RSA public key (the classic key-confusion attack).
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k1".into());
    let secret = EncodingKey::from_secret(keys()[0].public_pem.as_bytes());
    let hs = jsonwebtoken::encode(&header, &claims(ISSUER), &secret).unwrap();
    refused(&hs, TokenError::AlgorithmNotAllowed);
    // RSA, but not on the allow-list (RS256 only).
    let mut header = Header::new(Algorithm::RS512);
    header.kid = Some("k1".into());
    refused(
        &mint_with(&header, &keys()[0], &claims(ISSUER)),
        TokenError::AlgorithmNotAllowed,
    );
    // The JWK says RS256; a PS256 token with that kid is refused even if PS256 is allowed.
    let mut s = Settings::from_defaults();
    s.keycloak_auth_server_url = "http://idp.test/".into();
    s.keycloak_signing_alg = "RS256,PS256".into();
    let v = Validator::new(&s, &s.resolve().unwrap());
    let mut header = Header::new(Algorithm::PS256);
    header.kid = Some("k1".into());
    let ps = mint_with(&header, &keys()[0], &claims(ISSUER));
    let (alg, _) = v.check_header(&ps).unwrap();
    let set = key_set(&[&keys()[0]]);
    let key = set.find(Some("k1")).unwrap();
    assert_eq!(
        v.verify(&ps, alg, &key).unwrap_err(),
        TokenError::AlgorithmNotAllowed
    );
}

#[test]
fn time_claims() {
    let t = now();
    refused(&k1(&with(json!({"exp": t - 3600}))), TokenError::Expired);
    refused(&k1(&with(json!({"exp": t - 31}))), TokenError::Expired);
    assert!(
        check(&k1(&with(json!({"exp": t - 10})))).is_ok(),
        "within leeway"
    );
    refused(&k1(&with(json!({"exp": null}))), TokenError::MissingClaim);
    let e = check(&k1(&with(json!({"exp": "soon"})))).unwrap_err();
    assert!(
        matches!(e, TokenError::MissingClaim | TokenError::BadClaims),
        "{e:?}"
    );
    refused(
        &k1(&with(json!({"nbf": t + 3600}))),
        TokenError::NotYetValid,
    );
    assert!(
        check(&k1(&with(json!({"nbf": t + 10})))).is_ok(),
        "within leeway"
    );
    assert!(check(&k1(&with(json!({"nbf": t - 10})))).is_ok());
}

#[test]
fn issuer_must_match_exactly() {
    for iss in [
        json!("http://idp.test/realms/other"),
        json!("http://idp.test/realms/mo/"),
        json!("https://idp.test/realms/mo"),
        json!("http://idp.test/auth/realms/mo"),
        json!(["http://idp.test/realms/mo"]),
    ] {
        let e = check(&k1(&with(json!({ "iss": iss.clone() })))).unwrap_err();
        assert!(
            matches!(e, TokenError::WrongIssuer | TokenError::BadClaims),
            "{iss}: {e:?}"
        );
    }
    let e = check(&k1(&with(json!({"iss": null})))).unwrap_err();
    assert!(
        matches!(e, TokenError::MissingClaim | TokenError::BadClaims),
        "{e:?}"
    );
}

#[test]
fn audience_rule_is_aud_contains_client_or_azp_equals_it() {
    let ok = |c: Value| assert!(check(&k1(&with(c.clone()))).is_ok(), "{c}");
    ok(json!({"aud": "mo", "azp": "other"}));
    ok(json!({"aud": ["account", "mo"], "azp": "other"}));
    ok(json!({"aud": null, "azp": "mo"}));
    ok(json!({"aud": "account", "azp": "mo"}));
    for c in [
        json!({"aud": "account", "azp": "other"}),
        json!({"aud": ["account"], "azp": null}),
        json!({"aud": null, "azp": null}),
        json!({"aud": "MO", "azp": "Mo"}),
    ] {
        refused(&k1(&with(c)), TokenError::WrongAudience);
    }
}

#[test]
fn only_access_tokens_get_in_claim_typ_bearer_or_header_at_jwt() {
    assert!(check(&k1(&claims(ISSUER))).is_ok(), "typ Bearer");
    // No typ is what Keycloak's JARM responses look like; ID, Refresh and Logout are its other
    // tokens signed by the same key.
    for typ in [
        json!(null),
        json!("ID"),
        json!("Refresh"),
        json!("Logout"),
        json!("bearer"),
    ] {
        refused(&k1(&with(json!({ "typ": typ }))), TokenError::WrongType);
    }
    let at_jwt = |typ: &str| {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(keys()[0].kid.clone());
        header.typ = Some(typ.to_owned());
        mint_with(&header, &keys()[0], &with(json!({"typ": null})))
    };
    for typ in ["at+jwt", "AT+JWT", "application/at+jwt"] {
        assert!(check(&at_jwt(typ)).is_ok(), "header typ {typ}");
    }
    refused(&at_jwt("JWT"), TokenError::WrongType);
}

#[test]
fn azp_is_required() {
    refused(&k1(&with(json!({"azp": null}))), TokenError::MissingClaim);
}

#[test]
fn signature_and_key_checks() {
    let good = k1(&claims(ISSUER));
    let parts: Vec<&str> = good.split('.').collect();
    // Tampered payload (a role added), original signature.
    let forged = with(json!({"realm_access": {"roles": ["admin"]}}));
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(forged.to_string().as_bytes()),
        parts[2]
    );
    refused(&tampered, TokenError::BadSignature);
    // Tampered signature: flip a byte of the decoded signature.
    let mut sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[2])
        .unwrap();
    sig[10] ^= 1;
    refused(
        &format!("{}.{}.{}", parts[0], parts[1], b64(&sig)),
        TokenError::BadSignature,
    );
    // Signed by k2 but claiming to be k1.
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("k1".into());
    refused(
        &mint_with(&header, &keys()[1], &claims(ISSUER)),
        TokenError::BadSignature,
    );
    // A key the set does not have.
    refused(&mint(&keys()[2], &claims(ISSUER)), TokenError::UnknownKey);
    // Critical header extensions are not understood, so refused.
    let mut header: Value = json!({"alg": "RS256", "kid": "k1", "crit": ["exp"], "exp": 1});
    let crit = format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        parts[1],
        parts[2]
    );
    refused(&crit, TokenError::CriticalHeader);
    header["crit"] = Value::Null;
    header.as_object_mut().unwrap().remove("crit");
    header["alg"] = json!(42);
    let bad = format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        parts[1],
        parts[2]
    );
    refused(&bad, TokenError::BadHeader);
}

#[test]
fn malformed_tokens() {
    let good = k1(&claims(ISSUER));
    let parts: Vec<&str> = good.split('.').collect();
    let cases = [
        String::new(),
        "a".into(),
        good[..good.len() / 2].to_string(),
        format!("{}.{}", parts[0], parts[1]),
        format!("{good}.{}", parts[2]),
        format!("{good}."),
        format!("{}..{}", parts[0], parts[2]),
        format!("{}.{}.{}=", parts[0], parts[1], parts[2]),
        format!("{}.{}!.{}", parts[0], parts[1], parts[2]),
        "Bearer x.y.z".into(),
        "not base64 at all".into(),
        format!("{}.{}.{}", "%%%", parts[1], parts[2]),
        format!("{}.{}.{}", b64(b"not json"), parts[1], parts[2]),
    ];
    for token in cases {
        let e = check(&token).unwrap_err();
        assert!(
            matches!(
                e,
                TokenError::Malformed | TokenError::BadHeader | TokenError::BadSignature
            ),
            "{token:.80}: {e:?}"
        );
    }
    // Truncated signature (still valid base64url).
    let truncated = &good[..good.len() - 5];
    assert!(check(truncated).is_err());
    // A payload that is not JSON is refused before any key or signature work.
    let header = b64(br#"{"alg":"RS256","kid":"k1"}"#);
    let payload = b64(b"[not json");
    let e = check(&format!("{header}.{payload}.{}", parts[2])).unwrap_err();
    assert!(matches!(e, TokenError::BadClaims), "{e:?}");
}

#[test]
fn length_is_bounded_before_parsing() {
    let huge = "a".repeat(100 * 1024);
    refused(&huge, TokenError::TooLong);
    let padded = k1(&with(json!({"pad": "x".repeat(20_000)})));
    refused(&padded, TokenError::TooLong);
    let fits = k1(&with(json!({"pad": "x".repeat(5_000)})));
    assert!(check(&fits).is_ok());
}

#[test]
fn bad_uuid_claim_is_refused() {
    refused(&k1(&with(json!({"uuid": "nope"}))), TokenError::BadUuid);
    assert!(check(&k1(&with(json!({"uuid": "T4kgxLo21Uy0+BskvYxT2w=="})))).is_ok());
}

/// A validator and a key cache for the settings `server` suggests.
fn validator_and_cache(server: &JwksServer) -> (Validator, Arc<JwksCache>) {
    let settings = server.settings();
    let jwks = JwksCache::new(
        settings.resolve().unwrap().jwks_url,
        vec![Algorithm::RS256],
        RefreshPolicy::from_settings(&crate::Settings::from_defaults()),
    )
    .unwrap();
    (
        Validator::new(&settings, &settings.resolve().unwrap()),
        jwks,
    )
}

#[tokio::test]
async fn validate_goes_through_the_cache() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let (v, jwks) = validator_and_cache(&server);
    let token = mint(&keys()[0], &claims(&server.issuer()));
    assert!(v.validate(&jwks, &token).await.is_ok());
    // A malformed token never reaches the network.
    let before = server.fetches();
    assert_eq!(
        v.validate(&jwks, "garbage").await.unwrap_err(),
        ValidationError::Token(TokenError::Malformed)
    );
    assert_eq!(server.fetches(), before);
    // Unknown kid: one refetch, then refused.
    let other = mint(&keys()[2], &claims(&server.issuer()));
    assert_eq!(
        v.validate(&jwks, &other).await.unwrap_err(),
        ValidationError::Token(TokenError::UnknownKey)
    );
    assert_eq!(server.fetches(), before + 1);
}

#[tokio::test]
async fn keys_never_obtained_is_not_the_tokens_fault() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    server.set_mode(Mode::Status500);
    let (v, jwks) = validator_and_cache(&server);
    let token = mint(&keys()[0], &claims(&server.issuer()));
    assert!(matches!(
        v.validate(&jwks, &token).await.unwrap_err(),
        ValidationError::KeysUnavailable { .. }
    ));
}
