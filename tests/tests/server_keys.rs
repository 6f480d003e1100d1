//! The server's key handling against Keycloak: rotation through the admin API, disabled keys (found
//! by an unknown kid or by the background refresh alone), and single-flight JWKS refetching,
//! counted in the server's own `/metrics`. Outages are in fault_idp.rs.

use std::time::{Duration, Instant};

use e2e::TestResult;
use e2e::app::{AppServer, settings_for};
use e2e::checks::{decode_segment, expect_401, expect_me, with_segment};
use e2e::idp::Idp;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn key_rotation_is_picked_up_without_restart() -> TestResult {
    let idp = Idp::start().await?;
    let server = AppServer::start(settings_for(&idp)).await?;
    let old = idp.password_token("bruce").await?.access_token;
    expect_me(server.me_with(&old).await?, "before rotation").await?;
    assert_eq!(
        server.jwks_fetches().await?,
        1,
        "the first token loads the keys"
    );

    let rotated = idp.rotate_keys().await?;
    let new = idp.password_token("eline").await?.access_token;
    assert_eq!(
        decode_segment(new.split('.').next().unwrap_or_default())?["kid"],
        rotated.kid
    );
    expect_me(server.me_with(&new).await?, "after rotation").await?;
    expect_me(server.me_with(&old).await?, "old key still published").await?;
    assert_eq!(
        server.jwks_fetches().await?,
        2,
        "the rotation cost one refetch"
    );

    Ok(())
}

#[tokio::test]
async fn kid_removed_while_running_is_refused_after_the_next_refetch() -> TestResult {
    let idp = Idp::start().await?;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_unknown_kids_cause_exactly_one_jwks_fetch() -> TestResult {
    let idp = Idp::start().await?;
    let server = std::sync::Arc::new(AppServer::start(settings_for(&idp)).await?);
    let good = idp.password_token("bruce").await?.access_token;
    expect_me(server.me_with(&good).await?, "keys loaded").await?;
    let before = server.jwks_fetches().await?;

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
        server.jwks_fetches().await? - before,
        1,
        "exactly one JWKS fetch for 100 unknown kids"
    );
    expect_me(server.me_with(&good).await?, "known key afterwards").await?;
    assert_eq!(server.jwks_fetches().await? - before, 1);
    Ok(())
}

#[tokio::test]
async fn keycloak_json_points_at_the_idp() -> TestResult {
    let idp = Idp::start().await?;
    let server = AppServer::start(settings_for(&idp)).await?;
    let kc: api::KeycloakJson = server.get("/keycloak.json", None).await?.json().await?;
    assert_eq!(kc.realm, idp.realm_name());
    assert_eq!(kc.auth_server_url, idp.base_url());
    assert_eq!(kc.resource, "mo");
    assert!(kc.public_client);
    assert_eq!(kc.issuer(), idp.issuer());
    assert_eq!(kc.endpoint("certs"), idp.oidc_endpoint("certs"));
    assert_eq!(
        server.jwks_fetches().await?,
        0,
        "keycloak.json needs no keys"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retired_key_is_dropped_by_the_background_refresh_without_any_new_token() -> TestResult {
    let idp = Idp::start().await?;
    let mut settings = settings_for(&idp);
    settings.jwks_refetch_interval_seconds = 1;
    settings.jwks_max_age_seconds = 2;
    let server = AppServer::start(settings).await?;
    let old = idp.password_token("bruce").await?.access_token;
    // Accepted twice: the second answer comes from the verified-token cache.
    expect_me(server.me_with(&old).await?, "old key").await?;
    expect_me(server.me_with(&old).await?, "old key, cached").await?;

    idp.rotate_keys().await?;
    idp.retire_old_keys().await?;
    // Only the old token is used: no unknown kid triggers a refetch. The set's age (2 s) does.
    let started = Instant::now();
    loop {
        let response = server.me_with(&old).await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            let body = expect_401(response, "old key retired").await?;
            assert!(body.description.contains("key"), "{}", body.description);
            break;
        }
        expect_me(response, "old key until the refresh").await?;
        if started.elapsed() > Duration::from_secs(10) {
            return Err("the retired key was still trusted after 10 s".into());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    println!("retired key refused after {:?}", started.elapsed());
    expect_401(server.me_with(&old).await?, "old key stays refused").await?;
    let new = idp.password_token("bruce").await?.access_token;
    expect_me(server.me_with(&new).await?, "new key").await?;
    expect_401(server.me_with(&old).await?, "old key after the new one").await?;
    Ok(())
}
