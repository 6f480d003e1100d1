//! IdP faults over real time: the IdP stopped for a full five minutes while holders of valid
//! tokens keep calling, and a retired key found by the background refresh alone (no new token).

use std::time::{Duration, Instant};

use e2e::TestResult;
use e2e::app::{AppServer, settings_for};
use e2e::checks::{decode_segment, expect_401, expect_me, with_segment};
use e2e::idp::{DevIdp, DevIdpOptions};
use reqwest::StatusCode;
use serde_json::json;

/// The outage the issue asks for: five minutes of wall time. `FAULT_OUTAGE_SECONDS` changes it
/// (e.g. longer soaks); scripts/test runs the default.
const OUTAGE: Duration = Duration::from_secs(300);
/// How often every token is tried during the outage.
const CALL_EVERY: Duration = Duration::from_secs(5);

fn outage() -> Duration {
    std::env::var("FAULT_OUTAGE_SECONDS")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .map_or(OUTAGE, Duration::from_secs)
}

/// Seconds from now until the token's `exp`.
fn lifetime_left(token: &str) -> TestResult<u64> {
    let claims = decode_segment(token.split('.').nth(1).ok_or("not a JWT")?)?;
    let exp = claims["exp"].as_u64().ok_or("no exp")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    Ok(exp.saturating_sub(now))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_tokens_keep_working_for_five_minutes_with_the_idp_stopped() -> TestResult {
    let outage = outage();
    let mut idp = DevIdp::start_with(DevIdpOptions {
        // Longer than the outage, so every token is still valid at its end.
        access_token_ttl: Some(outage + Duration::from_secs(120)),
        ..DevIdpOptions::default()
    })
    .await?;
    // Two servers: the default one (verified-token cache on) and one that verifies every
    // signature again. Both retry the key set every 5 s during the outage (max age 5 s), and
    // each retry fails against the stopped IdP.
    let mut cached = settings_for(&idp);
    cached.jwks_refetch_interval_seconds = 1;
    cached.jwks_max_age_seconds = 5;
    let mut uncached = cached.clone();
    uncached.verified_token_cache_entries = 0;
    let servers = [
        ("cached", AppServer::start(cached).await?),
        ("uncached", AppServer::start(uncached).await?),
    ];
    let tokens = [
        ("bruce", idp.password_token("bruce").await?.access_token),
        ("eline", idp.password_token("eline").await?.access_token),
        (
            "dipex",
            idp.client_credentials_token("dipex").await?.access_token,
        ),
    ];
    for (user, token) in &tokens {
        let left = lifetime_left(token)?;
        assert!(
            left > outage.as_secs() + 30,
            "{user}'s token lives {left} s, less than the outage"
        );
        for (name, server) in &servers {
            expect_me(
                server.me_with(token).await?,
                &format!("{name}/{user}, IdP up"),
            )
            .await?;
        }
    }

    idp.stop().await;
    let started = Instant::now();
    let mut rounds = 0u32;
    while started.elapsed() < outage {
        for (name, server) in &servers {
            for (user, token) in &tokens {
                let case = format!(
                    "{name}/{user} after {:?} without the IdP",
                    started.elapsed()
                );
                let me = expect_me(server.me_with(token).await?, &case).await?;
                if *user != "dipex" {
                    assert_eq!(me.username.as_deref(), Some(*user), "{case}");
                }
            }
            let ready = server.get("/health/ready", None).await?;
            assert_eq!(ready.status(), StatusCode::OK, "{name}: keys stay loaded");
        }
        if rounds.is_multiple_of(6) {
            // A kid nobody knows is a refusal, not an outage answer, all along.
            let unknown = with_segment(&tokens[0].1, 0, &json!({"alg": "RS256", "kid": "nope"}));
            expect_401(servers[1].1.me_with(&unknown).await?, "unknown kid").await?;
        }
        rounds += 1;
        tokio::time::sleep(CALL_EVERY).await;
    }
    println!(
        "{rounds} rounds over {:?} without the IdP: every call answered 200",
        started.elapsed()
    );
    assert!(rounds >= (outage.as_secs() / CALL_EVERY.as_secs()) as u32 / 2);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retired_key_is_dropped_by_the_background_refresh_without_any_new_token() -> TestResult {
    let idp = DevIdp::start().await?;
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
