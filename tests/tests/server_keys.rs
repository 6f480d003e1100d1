//! The server's key handling against the real dev IdP: rotation, removed keys, IdP outages at start
//! and while running, and single-flight JWKS refetching.

use std::time::Duration;

use e2e::TestResult;
use e2e::app::{AppServer, settings_for};
use e2e::checks::{decode_segment, expect_401, expect_me, with_segment};
use e2e::idp::DevIdp;
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde_json::json;

#[tokio::test]
async fn key_rotation_is_picked_up_without_restart() -> TestResult {
    let idp = DevIdp::start().await?;
    let server = AppServer::start(settings_for(&idp)).await?;
    let old = idp.password_token("bruce").await?.access_token;
    expect_me(server.me_with(&old).await?, "before rotation").await?;
    idp.reset_stats().await?;

    let rotated = idp.rotate_keys().await?;
    let new = idp.password_token("eline").await?.access_token;
    assert_eq!(
        decode_segment(new.split('.').next().unwrap_or_default())?["kid"],
        rotated.kid
    );
    expect_me(server.me_with(&new).await?, "after rotation").await?;
    expect_me(server.me_with(&old).await?, "old key still published").await?;
    assert_eq!(idp.stats().await?.certs, 1, "the rotation cost one refetch");

    Ok(())
}

#[tokio::test]
async fn kid_removed_while_running_is_refused_after_the_next_refetch() -> TestResult {
    let idp = DevIdp::start().await?;
    let server = AppServer::start(settings_for(&idp)).await?;
    let old = idp.password_token("bruce").await?.access_token;
    expect_me(server.me_with(&old).await?, "old key").await?;
    idp.rotate_keys().await?;
    idp.retire_old_keys().await?;
    let new = idp.password_token("bruce").await?.access_token;
    // Unknown kid: the first refetch after the initial load happens at once.
    expect_me(server.me_with(&new).await?, "new key").await?;
    expect_401(server.me_with(&old).await?, "kid of a removed key").await?;
    Ok(())
}

#[tokio::test]
async fn tokens_stay_valid_while_the_idp_is_down() -> TestResult {
    let mut idp = DevIdp::start().await?;
    let server = AppServer::start(settings_for(&idp)).await?;
    let bruce = idp.password_token("bruce").await?.access_token;
    let dipex = idp.client_credentials_token("dipex").await?.access_token;
    expect_me(server.me_with(&bruce).await?, "bruce, IdP up").await?;
    idp.stop().await;
    expect_me(server.me_with(&bruce).await?, "bruce, IdP down").await?;
    expect_me(server.me_with(&dipex).await?, "dipex, IdP down").await?;
    let ready = server.get("/health/ready", None).await?;
    assert_eq!(ready.status(), StatusCode::OK, "keys stay loaded");
    // An unknown kid while the IdP is down is a refusal, not an outage.
    let unknown = with_segment(&bruce, 0, &json!({"alg": "RS256", "kid": "unknown"}));
    expect_401(server.me_with(&unknown).await?, "unknown kid, IdP down").await?;
    expect_me(
        server.me_with(&bruce).await?,
        "bruce, after a failed refetch",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn idp_down_at_start_gives_503_then_200_once_it_is_up() -> TestResult {
    let mut idp = DevIdp::start().await?;
    let early = idp.password_token("bruce").await?.access_token;
    idp.stop().await;
    let mut settings = settings_for(&idp);
    settings.jwks_refetch_interval_seconds = 1;
    let server = AppServer::start(settings).await?;

    let response = server.me_with(&early).await?;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry_after: u64 = response
        .headers()
        .get(RETRY_AFTER)
        .ok_or("503 without Retry-After")?
        .to_str()?
        .parse()?;
    assert!(retry_after >= 1, "Retry-After {retry_after}");
    let body: api::ErrorBody = response.json().await?;
    assert_eq!(body.error, "temporarily_unavailable");
    let ready = server.get("/health/ready", None).await?;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let ready: api::Readiness = ready.json().await?;
    assert_eq!(ready.missing, vec!["signing_keys"]);
    // Malformed tokens are still 401, not 503.
    expect_401(
        server.me_with("garbage").await?,
        "garbage while keys missing",
    )
    .await?;

    idp.start_again().await?;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let token = idp.password_token("bruce").await?.access_token;
    expect_me(server.me_with(&token).await?, "after the IdP came up").await?;
    assert_eq!(
        server.get("/health/ready", None).await?.status(),
        StatusCode::OK
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_unknown_kids_cause_exactly_one_jwks_fetch() -> TestResult {
    let idp = DevIdp::start().await?;
    let server = std::sync::Arc::new(AppServer::start(settings_for(&idp)).await?);
    let good = idp.password_token("bruce").await?.access_token;
    expect_me(server.me_with(&good).await?, "keys loaded").await?;
    idp.reset_stats().await?;

    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let token = with_segment(
                &good,
                0,
                &json!({"alg": "RS256", "kid": format!("unknown-{i}")}),
            );
            let server = server.clone();
            tokio::spawn(async move { server.me_with(&token).await.map(|r| r.status()) })
        })
        .collect();
    for task in tasks {
        let status = task.await??;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        idp.stats().await?.certs,
        1,
        "exactly one JWKS fetch for 100 unknown kids"
    );
    expect_me(server.me_with(&good).await?, "known key afterwards").await?;
    assert_eq!(idp.stats().await?.certs, 1);
    Ok(())
}

#[tokio::test]
async fn keycloak_json_points_at_the_idp() -> TestResult {
    let idp = DevIdp::start().await?;
    let server = AppServer::start(settings_for(&idp)).await?;
    let kc: api::KeycloakJson = server.get("/keycloak.json", None).await?.json().await?;
    assert_eq!(kc.realm, "mo");
    assert_eq!(kc.auth_server_url, idp.base_url());
    assert_eq!(kc.resource, "mo");
    assert!(kc.public_client);
    assert_eq!(kc.issuer(), idp.issuer());
    assert_eq!(kc.endpoint("certs"), idp.oidc_endpoint("certs"));
    assert_eq!(idp.stats().await?.certs, 0, "keycloak.json needs no keys");
    Ok(())
}
