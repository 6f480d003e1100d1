//! JWKS faults against real Keycloak tokens: the key endpoint answers garbage, HTTP 500 or never
//! answers. The server keeps the last good keys, every request returns within the fetch timeout
//! plus a margin, and once the endpoint is healthy again a rotation is picked up.

use std::time::{Duration, Instant};

use e2e::TestResult;
use e2e::app::{AppServer, settings_for};
use e2e::checks::{expect_401, expect_me, with_segment};
use e2e::idp::Idp;
use reqwest::StatusCode;
use serde_json::json;
use server::Settings;
use server::test_support::{JwksServer, Mode};

/// `jwks_fetch_timeout_seconds` in these tests.
const FETCH_TIMEOUT: Duration = Duration::from_secs(1);
/// Slack for scheduling on a busy 2-core machine.
const MARGIN: Duration = Duration::from_millis(1500);

/// The server trusts `idp`'s issuer but fetches keys from `jwks`; refetches allowed every second,
/// keys older than 2 s refreshed in the background, and no verified-token cache, so every request
/// runs the full key lookup and signature check.
fn settings(idp: &Idp, jwks: &JwksServer) -> Settings {
    let mut settings = settings_for(idp);
    settings.keycloak_port = jwks.addr.port();
    settings.jwks_fetch_timeout_seconds = FETCH_TIMEOUT.as_secs();
    settings.jwks_refetch_interval_seconds = 1;
    settings.jwks_max_age_seconds = 2;
    settings.verified_token_cache_entries = 0;
    settings
}

/// Sends `GET /api/v1/me` and checks it returned within the bound.
async fn timed_me(server: &AppServer, token: &str, case: &str) -> TestResult<reqwest::Response> {
    let started = Instant::now();
    let response = server.me_with(token).await?;
    let took = started.elapsed();
    if took > FETCH_TIMEOUT + MARGIN {
        return Err(format!("{case}: answered after {took:?}").into());
    }
    Ok(response)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_500_or_a_hanging_jwks_keeps_the_old_keys_and_requests_stay_bounded() -> TestResult
{
    let idp = Idp::start().await?;
    let jwks = JwksServer::relaying(idp.oidc_endpoint("certs").parse()?).await;
    let server = AppServer::start(settings(&idp, &jwks)).await?;
    let bruce = idp.password_token("bruce").await?.access_token;
    expect_me(
        timed_me(&server, &bruce, "keys loaded").await?,
        "keys loaded",
    )
    .await?;

    for behaviour in [Mode::Garbage, Mode::Status500, Mode::Hang] {
        jwks.set_mode(behaviour);
        let before = jwks.fetches();
        // Three seconds of use: the set passes max_age (2 s), so background refreshes hit the
        // broken endpoint while requests go on with the old keys.
        let started = Instant::now();
        let mut unknown_kid_calls = 0;
        while started.elapsed() < Duration::from_secs(3) {
            let case = format!("{behaviour:?}, known key");
            expect_me(timed_me(&server, &bruce, &case).await?, &case).await?;
            // An unknown kid forces a refetch (at most one a second): refused, in bounded time.
            let unknown = with_segment(
                &bruce,
                0,
                &json!({"alg": "RS256", "kid": format!("unknown-{unknown_kid_calls}")}),
            );
            let case = format!("{behaviour:?}, unknown kid");
            expect_401(timed_me(&server, &unknown, &case).await?, &case).await?;
            unknown_kid_calls += 1;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        assert!(
            jwks.fetches() > before,
            "{behaviour:?}: the server did try the broken endpoint"
        );
        let ready = server.get("/health/ready", None).await?;
        assert_eq!(ready.status(), StatusCode::OK, "{behaviour:?}: keys kept");
    }

    // Healthy again: a rotation is picked up at once (unknown kid → refetch → the new key).
    jwks.set_mode(Mode::Ok);
    idp.rotate_keys().await?;
    let rotated = idp.password_token("eline").await?.access_token;
    let me = expect_me(timed_me(&server, &rotated, "rotated").await?, "rotated").await?;
    assert_eq!(me.username.as_deref(), Some("eline"));
    expect_me(
        timed_me(&server, &bruce, "old key still published").await?,
        "old",
    )
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jwks_that_hangs_from_the_start_gives_a_bounded_503_then_recovers() -> TestResult {
    let idp = Idp::start().await?;
    let jwks = JwksServer::relaying(idp.oidc_endpoint("certs").parse()?).await;
    jwks.set_mode(Mode::Hang);
    let server = AppServer::start(settings(&idp, &jwks)).await?;
    let bruce = idp.password_token("bruce").await?.access_token;

    let response = timed_me(&server, &bruce, "hanging at start").await?;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
    let started = Instant::now();
    let ready = server.get("/health/ready", None).await?;
    assert!(
        started.elapsed() < FETCH_TIMEOUT + MARGIN,
        "readiness is bounded"
    );
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);

    jwks.set_mode(Mode::Ok);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    expect_me(timed_me(&server, &bruce, "recovered").await?, "recovered").await?;
    assert_eq!(
        server.get("/health/ready", None).await?.status(),
        StatusCode::OK
    );
    Ok(())
}
