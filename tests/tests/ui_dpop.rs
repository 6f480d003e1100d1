//! DPoP in the browser against Keycloak (the `mo` client requires DPoP-bound tokens): eline signs
//! in, every API call her tab makes carries `Authorization: DPoP` and a proof, and her token and
//! proofs taken out of the page are useless elsewhere — without a proof, with another key's, for
//! another URL or method, stale, or replayed; her refresh token without her key is refused by
//! Keycloak, and her tab keeps working.

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use e2e::TestResult;
use e2e::app::Stack;
use e2e::browser::{Browser, is_present, screenshot, text_of};
use e2e::checks::expect_401;
use e2e::idp::IdpOptions;
use e2e::ui::{click, sign_in, wait_for_text};
use fantoccini::Client;
use reqwest::Method;
use serde_json::Value;
use server::test_support::DpopKey;

/// Records the `Authorization` and `DPoP` headers of the page's API calls, and the refresh tokens
/// the token endpoint hands out (what malicious script in the page could see of them).
const CAPTURE: &str = r#"
    window.__calls = [];
    window.__refreshTokens = [];
    const realFetch = window.fetch;
    window.fetch = async function (input, init) {
        // The app passes Request objects (the parts' loader URLs); reading their headers leaves
        // the body alone.
        const request = input instanceof Request;
        const url = new URL(request ? input.url : String(input), location.href);
        const headers = new Headers((init && init.headers) || (request ? input.headers : {}));
        if (url.pathname.startsWith("/api/")) {
            window.__calls.push({
                method: (init && init.method) || (request ? input.method : "GET"),
                path: url.pathname,
                authorization: headers.get("authorization"),
                dpop: headers.get("dpop"),
            });
        }
        const response = await realFetch.apply(this, arguments);
        if (url.pathname.endsWith("/protocol/openid-connect/token")) {
            response.clone().json().then((body) => {
                if (body.refresh_token) window.__refreshTokens.push(body.refresh_token);
            }).catch(() => {});
        }
        return response;
    };
"#;

#[derive(Debug, Clone, serde::Deserialize)]
struct Call {
    method: String,
    path: String,
    authorization: Option<String>,
    dpop: Option<String>,
}

async fn calls(client: &Client) -> TestResult<Vec<Call>> {
    Ok(serde_json::from_value(
        client.execute("return window.__calls", Vec::new()).await?,
    )?)
}

fn claims(jwt: &str) -> TestResult<Value> {
    let payload = jwt.split('.').nth(1).ok_or("a JWT")?;
    Ok(serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload)?)?)
}

#[tokio::test]
async fn eline_signs_in_with_dpop_and_her_stolen_tokens_are_useless() -> TestResult {
    let stack = Stack::for_browser(IdpOptions {
        access_token_ttl: Some(Duration::from_secs(15)),
        ..IdpOptions::default()
    })
    .await?;
    Browser::run(|client| async move {
        sign_in(&client, &stack, "eline", "/me").await?;
        client.execute(CAPTURE, Vec::new()).await?;
        // Calls made inside the page (no reload: the capture stays): the account page's own
        // refresh, then the unit list through the header's link.
        click(&client, "[data-testid=me-refresh]").await?;
        wait_for_text(&client, "[data-testid=me-username]", "eline").await?;
        click(&client, "[data-testid=nav-units]").await?;
        wait_for_text(&client, "#units-title", "Organisation").await?;
        let seen = calls(&client).await?;
        assert!(seen.len() >= 2, "{seen:?}");
        for call in &seen {
            let authorization = call.authorization.as_deref().unwrap_or_default();
            assert!(authorization.starts_with("DPoP "), "{call:?}");
            let proof = call.dpop.as_deref().ok_or(format!("no proof: {call:?}"))?;
            let proof_claims = claims(proof)?;
            assert_eq!(proof_claims["htm"], call.method.as_str(), "{call:?}");
            assert_eq!(proof_claims["htu"], stack.url(&call.path), "{call:?}");
        }
        let me = seen
            .iter()
            .find(|call| call.path == "/api/v1/me")
            .ok_or("the account page called /api/v1/me")?
            .clone();
        let token = me.authorization.as_deref().unwrap_or_default()["DPoP ".len()..].to_owned();
        let proof = me.dpop.clone().unwrap_or_default();
        let token_claims = claims(&token)?;
        assert_eq!(token_claims["typ"], "DPoP");
        assert!(token_claims["cnf"]["jkt"].is_string(), "{token_claims}");

        // The stolen token and proof, from another client.
        let server = &stack.server;
        let get = Method::GET;
        let replayed = server
            .call_dpop(get.clone(), "/api/v1/me", &token, Some(&proof))
            .await?;
        let body = expect_401(replayed, "the proof again").await?;
        assert!(body.description.contains("used before"), "{body:?}");
        let bearer = server.me_with(&token).await?;
        let body = expect_401(bearer, "as a bearer token").await?;
        assert!(body.description.contains("bound to a DPoP key"), "{body:?}");
        let none = server
            .call_dpop(get.clone(), "/api/v1/me", &token, None)
            .await?;
        let body = expect_401(none, "without a proof").await?;
        assert!(body.description.contains("proof missing"), "{body:?}");
        let thief = DpopKey::generate();
        let own = thief.proof("GET", &server.url("/api/v1/me"), Some(&token));
        let other_key = server
            .call_dpop(get.clone(), "/api/v1/me", &token, Some(&own))
            .await?;
        let body = expect_401(other_key, "a proof of another key").await?;
        assert!(body.description.contains("another key"), "{body:?}");
        let units = seen
            .iter()
            .find(|call| call.path.starts_with("/api/v1/org-units"))
            .ok_or("the unit list called /api/v1/org-units")?;
        let units_proof = units.dpop.clone().unwrap_or_default();
        let elsewhere = server
            .call_dpop(get.clone(), "/api/v1/me", &token, Some(&units_proof))
            .await?;
        let body = expect_401(elsewhere, "a proof for another URL").await?;
        assert!(body.description.contains("another URL"), "{body:?}");
        // The list's GET proof on a POST to the same URL (creating a unit).
        let post = server
            .call_dpop(Method::POST, &units.path, &token, Some(&units_proof))
            .await?;
        let body = expect_401(post, "a proof for another method").await?;
        assert!(body.description.contains("another method"), "{body:?}");

        // Her refresh token, taken from the token endpoint's answer: Keycloak refuses it without
        // her key, and with the thief's.
        let started = Instant::now();
        let stolen = loop {
            let value = client
                .execute("return window.__refreshTokens.at(-1) || null", Vec::new())
                .await?;
            if let Value::String(token) = value {
                break token;
            }
            if started.elapsed() > Duration::from_secs(30) {
                return Err("the tab did not refresh within 30 s".into());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        let idp = &stack.idp;
        let without = idp.code_flow_refresh_proven(&stolen, None).await;
        assert!(without.is_err(), "a refresh without a proof: {without:?}");
        let with_thief = idp.code_flow_refresh_proven(&stolen, Some(&thief)).await;
        let refusal = with_thief
            .err()
            .ok_or("Keycloak took the thief's key")?
            .to_string();
        assert!(refusal.contains("invalid_grant"), "{refusal}");

        // A proof older than the API accepts (30 s) is refused as stale, not as anything else.
        let wait = Duration::from_secs(31).saturating_sub(started.elapsed());
        tokio::time::sleep(wait).await;
        let stale = server
            .call_dpop(get, &units.path, &token, Some(&units_proof))
            .await?;
        let body = expect_401(stale, "a stale proof").await?;
        assert!(body.description.contains("too old"), "{body:?}");

        // Her tab goes on: no session-ended notice, her next calls succeed.
        click(&client, "[data-testid=account-name]").await?;
        click(&client, "[data-testid=me-refresh]").await?;
        wait_for_text(&client, "[data-testid=me-username]", "eline").await?;
        assert!(
            !is_present(&client, "[role=alert]").await?,
            "{}",
            text_of(&client, "main").await?
        );
        screenshot(&client, "dpop-signed-in").await?;
        Ok(())
    })
    .await
}
