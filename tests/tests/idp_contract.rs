//! The dev IdP keeps the contract the server and the SPA rely on: Keycloak's URL layout, RS256 tokens with
//! Keycloak's claims for every realm user and the dipex service account, PKCE S256 only, key rotation.

use std::time::Duration;

use e2e::TestResult;
use e2e::idp::{DevIdp, DevIdpOptions};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use reqwest::{Url, redirect};
use serde_json::{Value, json};

/// A redirect URI the realm file registers for the public client (via its `http://127.0.0.1:8080/*`).
const REDIRECT_URI: &str = "http://127.0.0.1:8080/callback";

async fn jwks(idp: &DevIdp) -> TestResult<JwkSet> {
    Ok(reqwest::get(idp.oidc_endpoint("certs"))
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// Verifies a token's RS256 signature against the IdP's JWKS, its issuer, audience "mo" and expiry.
async fn verify(idp: &DevIdp, token: &str) -> TestResult<(Header, Value)> {
    let header = jsonwebtoken::decode_header(token)?;
    let kid = header.kid.clone().ok_or("the token header has no kid")?;
    let jwks = jwks(idp).await?;
    let jwk = jwks
        .find(&kid)
        .ok_or(format!("kid {kid} is not in the JWKS"))?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[idp.issuer()]);
    validation.set_audience(&["mo"]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    let data = jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk)?, &validation)?;
    Ok((header, data.claims))
}

fn assert_user_claims(idp: &DevIdp, claims: &Value, username: &str) {
    let user = idp.realm().user(username).expect("user in the realm file");
    assert_eq!(claims["typ"], "Bearer");
    assert_eq!(claims["azp"], "mo");
    assert_eq!(claims["sub"], json!(user.id));
    assert_eq!(claims["preferred_username"], username);
    assert_eq!(claims["name"], user.full_name());
    assert_eq!(claims["given_name"], json!(user.first_name));
    assert_eq!(claims["family_name"], json!(user.last_name));
    assert_eq!(claims["email"], json!(user.email));
    assert_eq!(claims["uuid"], json!(user.uuid()));
    assert_eq!(claims["realm_access"]["roles"], json!(user.realm_roles));
    assert!(claims["jti"].is_string(), "jti missing: {claims}");
    let scope = claims["scope"].as_str().expect("scope claim");
    assert!(
        scope.contains("profile") && scope.contains("email"),
        "scope {scope}"
    );
}

/// The Location of the authorization endpoint's answer to an authorization request with these PKCE parameters.
async fn authorize_redirect(idp: &DevIdp, pkce: &[(&str, &str)]) -> TestResult<Url> {
    let client = reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()?;
    let mut url = Url::parse(&idp.oidc_endpoint("auth"))?;
    url.query_pairs_mut()
        .append_pair("client_id", "mo")
        .append_pair("response_type", "code")
        .append_pair("scope", "openid")
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("state", "s1")
        .extend_pairs(pkce);
    let response = client.get(url.clone()).send().await?;
    assert!(
        response.status().is_redirection(),
        "status {}",
        response.status()
    );
    let location = response.headers()[reqwest::header::LOCATION].to_str()?;
    Ok(url.join(location)?)
}

#[tokio::test]
async fn discovery_and_certs_follow_keycloak_layout() -> TestResult {
    let idp = DevIdp::start().await?;
    let discovery: Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", idp.issuer()))
            .await?
            .error_for_status()?
            .json()
            .await?;
    assert_eq!(discovery["issuer"], idp.issuer());
    assert_eq!(
        idp.issuer(),
        format!("http://127.0.0.1:{}/realms/mo", idp.port())
    );
    for (member, endpoint) in [
        ("authorization_endpoint", "auth"),
        ("token_endpoint", "token"),
        ("jwks_uri", "certs"),
        ("userinfo_endpoint", "userinfo"),
        ("end_session_endpoint", "logout"),
    ] {
        assert_eq!(discovery[member], idp.oidc_endpoint(endpoint), "{member}");
    }
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        json!(["S256"])
    );

    let certs: Value = reqwest::get(idp.oidc_endpoint("certs"))
        .await?
        .json()
        .await?;
    let keys = certs["keys"].as_array().ok_or("certs has no keys")?;
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["kty"], "RSA");
    assert_eq!(keys[0]["alg"], "RS256");
    assert_eq!(keys[0]["use"], "sig");
    assert!(keys[0]["kid"].as_str().is_some_and(|kid| !kid.is_empty()));
    assert!(
        keys[0].get("d").is_none(),
        "the JWKS must not publish the private key"
    );
    Ok(())
}

#[tokio::test]
async fn password_grant_tokens_carry_keycloak_claims_for_every_user() -> TestResult {
    let idp = DevIdp::start().await?;
    for username in ["bruce", "eline", "alvida"] {
        let tokens = idp.password_token(username).await?;
        assert_eq!(tokens.token_type, "Bearer");
        assert!(
            tokens.refresh_token.is_some(),
            "{username}: no refresh token"
        );
        let (header, claims) = verify(&idp, &tokens.access_token).await?;
        assert_eq!(header.alg, Algorithm::RS256);
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        assert_user_claims(&idp, &claims, username);
    }
    let roles = |user: &str| idp.realm().user(user).map(|u| u.realm_roles.clone());
    assert_eq!(roles("bruce"), Some(vec![]));
    assert_eq!(roles("eline"), Some(vec!["owner".to_owned()]));
    assert_eq!(roles("alvida"), Some(vec!["admin".to_owned()]));

    let refused = reqwest::Client::new()
        .post(idp.oidc_endpoint("token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "mo"),
            ("username", "bruce"),
            ("password", "wrong"),
        ])
        .send()
        .await?;
    assert_eq!(refused.status(), reqwest::StatusCode::BAD_REQUEST);
    assert_eq!(refused.json::<Value>().await?["error"], "invalid_grant");
    Ok(())
}

#[tokio::test]
async fn client_credentials_token_is_the_dipex_service_account() -> TestResult {
    let idp = DevIdp::start().await?;
    let tokens = idp.client_credentials_token("dipex").await?;
    assert!(
        tokens.refresh_token.is_none(),
        "client credentials must not get a refresh token"
    );
    assert_eq!(tokens.refresh_expires_in, 0);
    let (_, claims) = verify(&idp, &tokens.access_token).await?;
    let account = idp
        .realm()
        .service_account("dipex")
        .ok_or("no dipex service account")?;
    assert_eq!(claims["typ"], "Bearer");
    assert_eq!(claims["azp"], "dipex");
    assert_eq!(claims["sub"], json!(account.id));
    assert_eq!(claims["preferred_username"], "service-account-dipex");
    assert_eq!(claims["realm_access"]["roles"], json!(["admin"]));
    Ok(())
}

#[tokio::test]
async fn code_flow_with_pkce_s256_then_refresh() -> TestResult {
    let idp = DevIdp::start_with(DevIdpOptions {
        extra_origins: vec!["http://127.0.0.1:43123".to_owned()],
        ..DevIdpOptions::default()
    })
    .await?;
    for redirect_uri in [REDIRECT_URI, "http://127.0.0.1:43123/app/"] {
        let tokens = idp.code_flow_tokens("eline", redirect_uri).await?;
        let (_, claims) = verify(&idp, &tokens.access_token).await?;
        assert_user_claims(&idp, &claims, "eline");
        let (_, id_claims) = verify(&idp, tokens.id_token.as_deref().ok_or("no ID token")?).await?;
        assert_eq!(id_claims["uuid"], claims["uuid"]);
        assert_eq!(id_claims["name"], claims["name"]);
        assert_eq!(id_claims["email"], claims["email"]);

        let refreshed = idp
            .refresh(tokens.refresh_token.as_deref().ok_or("no refresh token")?)
            .await?;
        let (_, refreshed_claims) = verify(&idp, &refreshed.access_token).await?;
        assert_user_claims(&idp, &refreshed_claims, "eline");
        assert_ne!(refreshed_claims["jti"], claims["jti"]);
    }
    Ok(())
}

#[tokio::test]
async fn pkce_plain_and_missing_are_refused() -> TestResult {
    let idp = DevIdp::start().await?;
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    for pkce in [
        vec![
            ("code_challenge", challenge),
            ("code_challenge_method", "plain"),
        ],
        vec![("code_challenge", challenge)],
        vec![],
    ] {
        let location = authorize_redirect(&idp, &pkce).await?;
        let params: Vec<(String, String)> = location.query_pairs().into_owned().collect();
        assert!(location.as_str().starts_with(REDIRECT_URI), "{location}");
        assert!(
            params.contains(&("error".to_owned(), "invalid_request".to_owned())),
            "{pkce:?}: {location}"
        );
        assert!(
            !params.iter().any(|(k, _)| k == "code"),
            "{pkce:?}: {location}"
        );
    }
    let accepted = authorize_redirect(
        &idp,
        &[
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await?;
    assert!(
        accepted.path().contains("/login-actions/"),
        "S256 must lead to the login page: {accepted}"
    );
    Ok(())
}

#[tokio::test]
async fn key_rotation_changes_the_signing_kid_and_retire_drops_old_keys() -> TestResult {
    let idp = DevIdp::start_with(DevIdpOptions {
        access_token_ttl: Some(Duration::from_secs(60)),
        ..DevIdpOptions::default()
    })
    .await?;
    let before = idp.password_token("alvida").await?;
    let old_kid = jsonwebtoken::decode_header(&before.access_token)?
        .kid
        .ok_or("no kid")?;
    assert_eq!(before.expires_in, 60);
    idp.reset_stats().await?;

    let rotated = idp.rotate_keys().await?;
    assert_ne!(rotated.kid, old_kid);
    assert_eq!(rotated.kids, vec![rotated.kid.clone(), old_kid.clone()]);
    let after = idp.password_token("alvida").await?;
    let (header, _) = verify(&idp, &after.access_token).await?;
    assert_eq!(header.kid.as_deref(), Some(rotated.kid.as_str()));
    verify(&idp, &before.access_token).await?;

    let retired = idp.retire_old_keys().await?;
    assert_eq!(retired.kids, vec![rotated.kid.clone()]);
    assert!(jwks(&idp).await?.find(&old_kid).is_none());
    assert!(
        verify(&idp, &before.access_token).await.is_err(),
        "a token of a retired key must not verify"
    );

    let stats = idp.stats().await?;
    assert_eq!(
        (stats.token, stats.certs, stats.auth),
        (1, 4, 0),
        "{stats:?}"
    );
    Ok(())
}

#[tokio::test]
async fn stop_and_start_again_serve_the_same_issuer() -> TestResult {
    let mut idp = DevIdp::start().await?;
    let issuer = idp.issuer();
    idp.stop().await;
    assert!(
        reqwest::get(idp.oidc_endpoint("certs")).await.is_err(),
        "the IdP must be down after stop"
    );
    idp.start_again().await?;
    assert_eq!(idp.issuer(), issuer);
    let tokens = idp.password_token("bruce").await?;
    verify(&idp, &tokens.access_token).await?;
    Ok(())
}
