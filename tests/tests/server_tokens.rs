//! The server against Keycloak, token by token: real tokens of every user and of the dipex
//! service account accepted; every kind of bad token or header refused with 401 + WWW-Authenticate.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use e2e::TestResult;
use e2e::app::{AppServer, settings_for};
use e2e::checks::{b64, decode_segment, expect_401, expect_me, with_segment};
use e2e::idp::{DIRECT_GRANT_CLIENT, Idp, IdpOptions};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A redirect URI the realm file registers for the public client.
const REDIRECT_URI: &str = "http://127.0.0.1:8080/callback";

#[tokio::test]
async fn real_tokens_of_every_user_and_the_dipex_service_account_are_accepted() -> TestResult {
    let idp = Idp::start().await?;
    let server = AppServer::start(settings_for(&idp)).await?;
    for username in ["bruce", "eline", "alvida"] {
        let user = idp.realm().user(username).ok_or("user in realm file")?;
        let token = idp.password_token(username).await?.access_token;
        let me = expect_me(server.me_with(&token).await?, username).await?;
        assert_eq!(me.username.as_deref(), Some(username));
        assert_eq!(me.name.as_deref(), Some(user.full_name().as_str()));
        assert_eq!(me.email, user.email);
        assert_eq!(me.uuid.map(|u| u.to_string()).as_deref(), user.uuid());
        let mut roles = user.realm_roles.clone();
        roles.sort();
        assert_eq!(me.roles, roles, "{username}");
        assert_eq!(me.azp.as_deref(), Some(DIRECT_GRANT_CLIENT));
        assert!(!me.service_account);
    }
    // The browser's flow (authorization code + PKCE) gives an equally good token.
    // Bound to the flow's DPoP key (the realm's `mo` client requires it): sent with a proof.
    let token = idp
        .code_flow_tokens("eline", REDIRECT_URI)
        .await?
        .access_token;
    let me = expect_me(
        server.me_dpop(&token, &idp.dpop).await?,
        "eline (code flow)",
    )
    .await?;
    assert_eq!(me.roles, vec!["owner"]);
    assert_eq!(me.azp.as_deref(), Some("mo"));

    let token = idp.client_credentials_token("dipex").await?.access_token;
    let me = expect_me(server.me_with(&token).await?, "dipex").await?;
    assert!(me.service_account);
    assert_eq!(me.azp.as_deref(), Some("dipex"));
    assert_eq!(me.username.as_deref(), Some("service-account-dipex"));
    assert_eq!(me.roles, vec!["admin"]);
    assert_eq!(
        server.jwks_fetches().await?,
        1,
        "one JWKS fetch for all of these"
    );
    Ok(())
}

/// The RSA public key of the IdP's JWKS entry `kid`, as PEM (what an attacker uses as HMAC secret).
async fn public_key_pem(idp: &Idp, kid: &str) -> TestResult<String> {
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    let jwks: Value = reqwest::get(idp.oidc_endpoint("certs"))
        .await?
        .json()
        .await?;
    let key = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == kid))
        .ok_or("signing key in the JWKS")?;
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().ok_or("n")?)?;
    let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().ok_or("e")?)?;
    let public = rsa::RsaPublicKey::new(
        rsa::BigUint::from_bytes_be(&n),
        rsa::BigUint::from_bytes_be(&e),
    )?;
    Ok(public.to_public_key_pem(LineEnding::LF)?)
}

#[tokio::test]
async fn bad_tokens_and_headers_are_refused_with_401_and_a_challenge() -> TestResult {
    let idp = Idp::start().await?;
    let server = AppServer::start(settings_for(&idp)).await?;
    let good = idp.password_token("bruce").await?.access_token;
    expect_me(server.me_with(&good).await?, "bruce").await?;

    let parts: Vec<&str> = good.split('.').collect();
    let header = decode_segment(parts[0])?;
    let payload = decode_segment(parts[1])?;
    let kid = header["kid"].as_str().ok_or("kid")?.to_owned();

    let alg_none = format!("{}.{}.", b64(br#"{"alg":"none","typ":"JWT"}"#), parts[1]);
    let alg_none_kid = with_segment(&good, 0, &json!({"alg": "none", "kid": kid}));
    let hs256 = {
        let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        h.kid = Some(kid.clone());
        let secret = public_key_pem(&idp, &kid).await?;
        jsonwebtoken::encode(
            &h,
            &payload,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )?
    };
    let mut forged = payload.clone();
    forged["realm_access"] = json!({"roles": ["admin"]});
    let tampered_payload = with_segment(&good, 1, &forged);
    let mut sig = URL_SAFE_NO_PAD.decode(parts[2])?;
    sig[5] ^= 0x01;
    let tampered_signature = format!("{}.{}.{}", parts[0], parts[1], b64(&sig));
    let unknown_kid = with_segment(
        &good,
        0,
        &json!({"alg": "RS256", "typ": "JWT", "kid": "unknown"}),
    );
    let mut no_exp = payload.clone();
    no_exp.as_object_mut().ok_or("claims")?.remove("exp");
    let mut future_nbf = payload.clone();
    future_nbf["nbf"] = json!(payload["iat"].as_i64().ok_or("iat")? + 3600);
    let mut past_exp = payload.clone();
    past_exp["exp"] = json!(payload["iat"].as_i64().ok_or("iat")? - 3600);
    let mut wrong_iss = payload.clone();
    wrong_iss["iss"] = json!("http://127.0.0.1:1/realms/mo");
    let mut wrong_aud = payload.clone();
    wrong_aud["aud"] = json!("account");
    wrong_aud["azp"] = json!("other");

    let cases: Vec<(&str, String)> = vec![
        ("alg none", alg_none),
        ("alg none with kid", alg_none_kid),
        ("HS256 keyed with the public key", hs256),
        ("tampered payload", tampered_payload),
        ("tampered signature", tampered_signature),
        ("unknown kid", unknown_kid),
        // Claim changes on an IdP token break its signature. The claim rules themselves (no exp,
        // future nbf, ...) are checked on correctly signed tokens with keys the server's unit
        // tests make (server/src/app_tests.rs, server/src/auth/validate_tests.rs); expiry, issuer
        // and audience also with real tokens in the tests below.
        ("no exp (forged)", with_segment(&good, 1, &no_exp)),
        (
            "nbf in the future (forged)",
            with_segment(&good, 1, &future_nbf),
        ),
        ("expired (forged)", with_segment(&good, 1, &past_exp)),
        ("wrong iss (forged)", with_segment(&good, 1, &wrong_iss)),
        (
            "wrong aud and azp (forged)",
            with_segment(&good, 1, &wrong_aud),
        ),
        ("truncated", good[..good.len() - 10].to_owned()),
        (
            "truncated to two segments",
            format!("{}.{}", parts[0], parts[1]),
        ),
        ("extra segment", format!("{good}.{}", parts[2])),
        ("JWE-like five segments", format!("{good}.a.b")),
        ("not base64", "@@@.###.$$$".to_owned()),
        (
            "not JSON",
            format!("{}.{}.{}", b64(b"nope"), b64(b"nope"), parts[2]),
        ),
        // Over max_token_bytes (16 KiB) but under the 32 KiB header limit: refused as too long.
        ("20 KB", "a".repeat(20 * 1024)),
        (
            "20 KB of JWT shape",
            format!("{}.{}.{}", parts[0], "A".repeat(20 * 1024), parts[2]),
        ),
        ("duplicate scheme", format!("Bearer {good}")),
    ];
    for (case, token) in &cases {
        let body = expect_401(server.me_with(token).await?, case).await?;
        assert_eq!(body.error, "invalid_token", "{case}");
    }
    // Beyond the request-header limit nothing reads the token: 431.
    let response = server.me_with(&"a".repeat(100 * 1024)).await?;
    assert_eq!(
        response.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );

    let header_cases: Vec<(&str, Vec<String>, &str)> = vec![
        ("no Authorization header", vec![], "unauthorized"),
        (
            "Basic scheme",
            vec!["Basic YnJ1Y2U6YnJ1Y2U=".into()],
            "unauthorized",
        ),
        (
            "Bearer with no token",
            vec!["Bearer".into()],
            "invalid_request",
        ),
        (
            "Bearer and spaces",
            vec!["Bearer    ".into()],
            "invalid_request",
        ),
        ("empty value", vec![String::new()], "unauthorized"),
        (
            "scheme glued to token",
            vec![format!("Bearer{good}")],
            "unauthorized",
        ),
        (
            "two Authorization headers",
            vec![format!("Bearer {good}"), format!("Bearer {good}")],
            "invalid_request",
        ),
        (
            "lower-case scheme, bad token",
            vec!["bearer abc".into()],
            "invalid_token",
        ),
        (
            "upper-case scheme, bad token",
            vec!["BEARER abc.def.ghi".into()],
            "invalid_token",
        ),
    ];
    for (case, values, error) in &header_cases {
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let body = expect_401(server.me(&values).await?, case).await?;
        assert_eq!(body.error, *error, "{case}");
    }
    // The scheme is case-insensitive (RFC 7235 §2.1): a good token with `bearer` is accepted.
    expect_me(
        server.me(&[&format!("bearer {good}")]).await?,
        "lower-case scheme",
    )
    .await?;
    // Still fine afterwards: nothing above broke the server or its key cache.
    expect_me(server.me_with(&good).await?, "bruce again").await?;
    Ok(())
}

#[tokio::test]
async fn expired_real_token_is_refused() -> TestResult {
    let idp = Idp::start_with(IdpOptions {
        access_token_ttl: Some(Duration::from_secs(1)),
        ..IdpOptions::default()
    })
    .await?;
    let mut settings = settings_for(&idp);
    settings.clock_leeway_seconds = 0;
    let server = AppServer::start(settings).await?;
    let token = idp.password_token("bruce").await?.access_token;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let body = expect_401(server.me_with(&token).await?, "expired").await?;
    assert_eq!(body.error, "invalid_token");
    assert!(body.description.contains("expired"), "{}", body.description);
    Ok(())
}

#[tokio::test]
async fn tokens_of_another_issuer_or_client_are_refused() -> TestResult {
    let idp = Idp::start().await?;
    let bruce = idp.password_token("bruce").await?.access_token;
    let dipex = idp.client_credentials_token("dipex").await?.access_token;

    // Same keys, but the server expects iss http://localhost:{port}/realms/mo.
    let mut settings = settings_for(&idp);
    settings.keycloak_auth_server_url = format!("http://localhost:{}/", idp.port());
    let server = AppServer::start(settings).await?;
    for (case, token) in [("bruce, wrong iss", &bruce), ("dipex, wrong iss", &dipex)] {
        let body = expect_401(server.me_with(token).await?, case).await?;
        assert!(
            body.description.contains("issuer"),
            "{case}: {}",
            body.description
        );
    }
    drop(server);

    // Right issuer, but the server is for client "other": neither aud nor azp names it.
    let mut settings = settings_for(&idp);
    settings.keycloak_mo_client = "other".into();
    let server = AppServer::start(settings).await?;
    for (case, token) in [
        ("bruce, wrong aud/azp", &bruce),
        ("dipex, wrong aud/azp", &dipex),
    ] {
        let body = expect_401(server.me_with(token).await?, case).await?;
        assert!(
            body.description.contains("client"),
            "{case}: {}",
            body.description
        );
    }
    Ok(())
}

#[tokio::test]
async fn keycloak_tokens_that_are_not_access_tokens_are_refused() -> TestResult {
    let idp = Idp::start().await?;
    let server = AppServer::start(settings_for(&idp)).await?;
    let tokens = idp.code_flow_tokens("eline", REDIRECT_URI).await?;
    expect_me(
        server.me_dpop(&tokens.access_token, &idp.dpop).await?,
        "the access token (DPoP-bound, with a proof)",
    )
    .await?;

    // A JARM authorization response (response_mode=query.jwt): signed by the realm's key, for
    // `mo`, and without any `typ`. Anyone with a session can get one with prompt=none.
    let callback = idp
        .authorization_response(
            "eline",
            REDIRECT_URI,
            &[
                ("state", "s"),
                ("nonce", "n"),
                ("response_mode", "query.jwt"),
            ],
            "a-pkce-verifier-that-is-long-enough-for-the-forty-three-minimum",
        )
        .await?;
    let jarm = callback
        .query_pairs()
        .find(|(key, _)| key == "response")
        .map(|(_, value)| value.into_owned())
        .ok_or(format!("no JARM response in {callback}"))?;
    let jarm_claims = decode_segment(jarm.split('.').nth(1).ok_or("JARM is a JWT")?)?;
    assert!(jarm_claims.get("typ").is_none(), "{jarm_claims}");
    assert_eq!(jarm_claims["aud"], "mo", "{jarm_claims}");

    let id_token = tokens.id_token.clone().ok_or("an ID token")?;
    let refresh_token = tokens.refresh_token.clone().ok_or("a refresh token")?;
    for (case, token, reason) in [
        ("the ID token (typ ID)", &id_token, "not an access token"),
        ("the JARM response (no typ)", &jarm, "not an access token"),
        (
            "the refresh token (typ Refresh, HS512)",
            &refresh_token,
            "algorithm",
        ),
    ] {
        let body = expect_401(server.me_with(token).await?, case).await?;
        assert_eq!(body.error, "invalid_token", "{case}");
        assert!(
            body.description.contains(reason),
            "{case}: {}",
            body.description
        );
    }
    Ok(())
}
