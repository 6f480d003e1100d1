//! The realm file after Keycloak imported it keeps the contract the server and the SPA rely on, and
//! is what a careful operator would run: Keycloak's URL layout and keys, Keycloak's claims (the
//! `uuid` claim in access and ID tokens), PKCE S256 only, no password grant for `mo`, exact
//! redirect URIs, refresh-token rotation, brute-force protection, events, and a `uuid` attribute
//! that takes both UUID text and an AD objectGUID.

use e2e::TestResult;
use e2e::idp::{BROWSER_CLIENT, DIRECT_GRANT_CLIENT, DPOP_ATTRIBUTE, Idp};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use reqwest::{Method, StatusCode};
use reqwest::{Url, redirect};
use serde_json::{Value, json};

/// A redirect URI the realm file registers for the public client.
const REDIRECT_URI: &str = "http://127.0.0.1:8080/callback";

async fn jwks(idp: &Idp) -> TestResult<JwkSet> {
    Ok(reqwest::get(idp.oidc_endpoint("certs"))
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// Verifies a token's RS256 signature against the IdP's JWKS, its issuer, audience "mo" and expiry.
async fn verify(idp: &Idp, token: &str) -> TestResult<(Header, Value)> {
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

async fn assert_user_claims(idp: &Idp, claims: &Value, username: &str, azp: &str) -> TestResult {
    let user = idp.realm().user(username).ok_or("user in the realm file")?;
    if azp == BROWSER_CLIENT && idp.binds_tokens() {
        // "Require DPoP bound tokens": typed `DPoP`, bound to the flow's key (RFC 9449 §6.1).
        assert_eq!(claims["typ"], "DPoP");
        assert_eq!(claims["cnf"]["jkt"], idp.dpop.thumbprint.as_str());
    } else {
        assert_eq!(claims["typ"], "Bearer");
        assert!(claims.get("cnf").is_none(), "{claims}");
    }
    assert_eq!(claims["azp"], azp);
    assert_eq!(claims["sub"], json!(idp.user_id(username).await?));
    assert_eq!(claims["preferred_username"], username);
    assert_eq!(claims["name"], user.full_name());
    assert_eq!(claims["given_name"], json!(user.first_name));
    assert_eq!(claims["family_name"], json!(user.last_name));
    assert_eq!(claims["email"], json!(user.email));
    assert_eq!(claims["uuid"], json!(user.uuid()));
    if user.realm_roles.is_empty() {
        // Keycloak leaves the claim out for a user without realm roles.
        assert!(claims.get("realm_access").is_none(), "{claims}");
    } else {
        assert_eq!(claims["realm_access"]["roles"], json!(user.realm_roles));
    }
    assert!(claims["jti"].is_string(), "jti missing: {claims}");
    let scope = claims["scope"].as_str().ok_or("scope claim")?;
    assert!(
        scope.contains("profile") && scope.contains("email"),
        "scope {scope}"
    );
    Ok(())
}

/// The authorization endpoint's answer to a request with these PKCE parameters: the redirect's
/// Location, or None when it shows the sign-in page (200).
async fn authorize(idp: &Idp, pkce: &[(&str, &str)]) -> TestResult<Option<Url>> {
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
    if response.status() == StatusCode::OK {
        return Ok(None);
    }
    assert!(
        response.status().is_redirection(),
        "status {}",
        response.status()
    );
    let location = response.headers()[reqwest::header::LOCATION].to_str()?;
    Ok(Some(url.join(location)?))
}

#[tokio::test]
async fn discovery_and_certs_follow_keycloak_layout() -> TestResult {
    let idp = Idp::start().await?;
    let discovery: Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", idp.issuer()))
            .await?
            .error_for_status()?
            .json()
            .await?;
    assert_eq!(discovery["issuer"], idp.issuer());
    assert_eq!(
        idp.issuer(),
        format!(
            "http://127.0.0.1:{}/realms/{}",
            idp.port(),
            idp.realm_name()
        )
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
    // Keycloak announces plain too; the realm's `mo` client requires S256 (tested below).
    let methods = discovery["code_challenge_methods_supported"]
        .as_array()
        .ok_or("code_challenge_methods_supported")?;
    assert!(methods.contains(&json!("S256")), "{methods:?}");
    assert_eq!(
        discovery["authorization_response_iss_parameter_supported"],
        true
    );

    // Two RSA keys: the RS256 signing key and the RSA-OAEP encryption key, no private parts.
    let certs: Value = reqwest::get(idp.oidc_endpoint("certs"))
        .await?
        .json()
        .await?;
    let keys = certs["keys"].as_array().ok_or("certs has no keys")?;
    let uses: Vec<(&Value, &Value)> = keys.iter().map(|k| (&k["alg"], &k["use"])).collect();
    assert!(uses.contains(&(&json!("RS256"), &json!("sig"))), "{uses:?}");
    assert!(
        uses.contains(&(&json!("RSA-OAEP"), &json!("enc"))),
        "{uses:?}"
    );
    for key in keys {
        assert_eq!(key["kty"], "RSA");
        assert!(key.get("d").is_none(), "a private key in the JWKS: {key}");
    }
    Ok(())
}

#[tokio::test]
async fn the_imported_realm_is_what_an_operator_would_run() -> TestResult {
    let idp = Idp::start().await?;
    let realm = idp.admin(Method::GET, "", None).await?;
    assert_eq!(realm["revokeRefreshToken"], true, "refresh-token rotation");
    assert_eq!(realm["refreshTokenMaxReuse"], 0);
    assert_eq!(realm["bruteForceProtected"], true);
    assert_eq!(realm["eventsEnabled"], true);

    let clients = idp.admin(Method::GET, "/clients", None).await?;
    let mo = clients
        .as_array()
        .and_then(|all| all.iter().find(|c| c["clientId"] == BROWSER_CLIENT))
        .ok_or("the mo client")?;
    assert_eq!(mo["publicClient"], true);
    assert_eq!(mo["directAccessGrantsEnabled"], false, "no password grant");
    assert_eq!(mo["implicitFlowEnabled"], false);
    assert_eq!(mo["attributes"]["pkce.code.challenge.method"], "S256");
    assert_eq!(
        mo["attributes"][DPOP_ATTRIBUTE], "true",
        "DPoP-bound tokens required"
    );
    let uris = |value: &Value| -> Vec<String> {
        value
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    let post_logout: Vec<String> = mo["attributes"]["post.logout.redirect.uris"]
        .as_str()
        .ok_or("post-logout URIs")?
        .split("##")
        .map(str::to_owned)
        .collect();
    for uri in uris(&mo["redirectUris"]).iter().chain(&post_logout) {
        assert!(!uri.contains('*') && uri.ends_with("/callback"), "{uri}");
    }
    for origin in uris(&mo["webOrigins"]) {
        assert!(!origin.contains('*') && origin != "+", "{origin}");
    }

    // Keycloak itself refuses the password grant for `mo` (asked with a proof, so the refusal is
    // about the grant, not the missing proof).
    let token_url = idp.oidc_endpoint("token");
    let response = reqwest::Client::new()
        .post(&token_url)
        .header("DPoP", idp.dpop.proof("POST", &token_url, None))
        .form(&[
            ("grant_type", "password"),
            ("client_id", BROWSER_CLIENT),
            ("username", "eline"),
            ("password", &idp.realm().password_of("eline")?),
        ])
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await?;
    assert!(status.is_client_error(), "{status}: {body}");
    assert_eq!(body["error"], "unauthorized_client", "{body}");
    Ok(())
}

#[tokio::test]
async fn tokens_carry_keycloak_claims_for_every_user() -> TestResult {
    let idp = Idp::start().await?;
    for username in ["bruce", "eline", "alvida"] {
        let tokens = idp.password_token(username).await?;
        assert_eq!(tokens.token_type, "Bearer");
        let (header, claims) = verify(&idp, &tokens.access_token).await?;
        assert_eq!(header.alg, Algorithm::RS256);
        assert_user_claims(&idp, &claims, username, DIRECT_GRANT_CLIENT).await?;
    }
    // A wrong password: the token endpoint answers 400 invalid_grant.
    let response = reqwest::Client::new()
        .post(idp.oidc_endpoint("token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", DIRECT_GRANT_CLIENT),
            ("username", "eline"),
            ("password", "not-her-password"),
        ])
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await?;
    assert_eq!(body["error"], "invalid_grant", "{body}");
    Ok(())
}

#[tokio::test]
async fn client_credentials_token_is_the_dipex_service_account() -> TestResult {
    let idp = Idp::start().await?;
    let tokens = idp.client_credentials_token("dipex").await?;
    assert!(tokens.refresh_token.is_none(), "RFC 6749 4.4.3");
    let (_, claims) = verify(&idp, &tokens.access_token).await?;
    assert_eq!(claims["azp"], "dipex");
    assert_eq!(claims["preferred_username"], "service-account-dipex");
    assert_eq!(claims["realm_access"]["roles"], json!(["admin"]));
    Ok(())
}

#[tokio::test]
async fn code_flow_with_pkce_s256_carries_uuid_and_refresh_rotates() -> TestResult {
    let idp = Idp::start().await?;
    let tokens = idp.code_flow_tokens("eline", REDIRECT_URI).await?;
    let (_, claims) = verify(&idp, &tokens.access_token).await?;
    assert_user_claims(&idp, &claims, "eline", BROWSER_CLIENT).await?;
    let eline_uuid = idp.realm().uuid_of("eline")?.to_string();
    assert_eq!(claims["uuid"], eline_uuid, "uuid in the access token");
    let (_, id_claims) = verify(&idp, tokens.id_token.as_deref().ok_or("no ID token")?).await?;
    assert_eq!(id_claims["uuid"], eline_uuid, "uuid in the ID token");
    assert_eq!(id_claims["typ"], "ID");
    assert_eq!(id_claims["name"], claims["name"]);

    // Rotation: each refresh gives a new refresh token; a used one is refused.
    let first = tokens.refresh_token.as_deref().ok_or("no refresh token")?;
    let refreshed = idp.code_flow_refresh(first).await?;
    assert_ne!(refreshed.refresh_token.as_deref(), Some(first));
    let replay = idp.code_flow_refresh(first).await;
    assert!(
        replay
            .as_ref()
            .is_err_and(|e| e.to_string().contains("invalid_grant")),
        "a used refresh token: {replay:?}"
    );
    Ok(())
}

#[tokio::test]
async fn pkce_plain_and_missing_are_refused() -> TestResult {
    let idp = Idp::start().await?;
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    for pkce in [
        vec![
            ("code_challenge", challenge),
            ("code_challenge_method", "plain"),
        ],
        vec![("code_challenge", challenge)],
        vec![],
    ] {
        let location = authorize(&idp, &pkce)
            .await?
            .ok_or(format!("{pkce:?} was shown the sign-in page"))?;
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
    let accepted = authorize(
        &idp,
        &[
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await?;
    assert!(
        accepted.is_none(),
        "S256 leads to the sign-in page: {accepted:?}"
    );
    Ok(())
}

#[tokio::test]
async fn the_uuid_attribute_takes_uuid_text_and_an_ad_object_guid() -> TestResult {
    let idp = Idp::start().await?;
    let id = idp.user_id("bruce").await?;
    let mut user = idp
        .admin(Method::GET, &format!("/users/{id}"), None)
        .await?;
    // Python: base64.b64encode(UUID("c420894f-36ba-4cd5-b4f8-1b24bd8c53db").bytes_le)
    for accepted in [
        "T4kgxLo21Uy0+BskvYxT2w==",
        "C420894F-36BA-4CD5-B4F8-1B24BD8C53DB",
        "c420894f-36ba-4cd5-b4f8-1b24bd8c53db",
    ] {
        user["attributes"]["uuid"] = json!([accepted]);
        idp.admin(Method::PUT, &format!("/users/{id}"), Some(&user))
            .await
            .map_err(|e| format!("uuid {accepted}: {e}"))?;
    }
    for refused in ["not-a-uuid", "T4kgxLo21Uy0+BskvYxT2w", "c420894f"] {
        user["attributes"]["uuid"] = json!([refused]);
        let outcome = idp
            .admin(Method::PUT, &format!("/users/{id}"), Some(&user))
            .await;
        assert!(outcome.is_err(), "uuid {refused} was accepted");
    }
    Ok(())
}
