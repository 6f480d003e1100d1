//! DPoP over HTTP: bound tokens with proofs for the request, and every way of presenting them
//! wrongly, each a 401 with the RFC 9449 challenge (never a 500); `dpop_required` and
//! `public_origins`.

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use serde_json::json;

use crate::settings::Settings;
use crate::test_support::{DpopKey, JwksServer, RunningApp, claims, keys, mint};

const ME: &str = "/api/v1/me";

/// A token of bruce bound to `key`, as Keycloak types one.
fn bound_token(server: &JwksServer, key: &DpopKey) -> String {
    let mut claims = claims(&server.issuer());
    claims["typ"] = json!("DPoP");
    claims["cnf"] = json!({"jkt": key.thumbprint});
    mint(&keys()[0], &claims)
}

async fn call(
    app: &RunningApp,
    method: reqwest::Method,
    path: &str,
    authorization: &str,
    proof: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .http
        .request(method, format!("{}{path}", app.base))
        .header(AUTHORIZATION, authorization);
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    request.send().await.unwrap()
}

async fn refused(response: reqwest::Response, scheme: &str, error: &str, description: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()[WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.starts_with(scheme), "{challenge}");
    assert!(
        challenge.contains(&format!("error=\"{error}\"")),
        "{challenge}"
    );
    assert!(
        challenge.contains(description),
        "{challenge} lacks {description}"
    );
    let body: api::ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error, error);
}

async fn start(change: impl FnOnce(&mut Settings)) -> (JwksServer, RunningApp) {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let mut settings = server.settings();
    change(&mut settings);
    let app = RunningApp::start(settings).await;
    (server, app)
}

#[tokio::test]
async fn a_bound_token_needs_a_fresh_proof_for_each_request() {
    let (server, app) = start(|_| {}).await;
    let key = DpopKey::generate();
    let token = bound_token(&server, &key);
    let authorization = format!("DPoP {token}");
    let url = format!("{}{ME}", app.base);
    let get = reqwest::Method::GET;

    let proof = key.proof("GET", &url, Some(&token));
    let ok = call(&app, get.clone(), ME, &authorization, Some(&proof)).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let again = call(&app, get.clone(), ME, &authorization, Some(&proof)).await;
    refused(
        again,
        "DPoP realm=\"mo\", algs=\"ES256\"",
        "invalid_dpop_proof",
        "used before",
    )
    .await;

    let cases = [
        (None, "DPoP proof missing"),
        (
            Some(key.proof("POST", &url, Some(&token))),
            "another method",
        ),
        (
            Some(key.proof("GET", &format!("{url}/x"), Some(&token))),
            "another URL",
        ),
        (
            Some(key.proof("GET", &url, Some("other"))),
            "another access token",
        ),
        (
            Some(DpopKey::generate().proof("GET", &url, Some(&token))),
            "another key",
        ),
        (Some("not.a.proof".to_owned()), "DPoP proof"),
    ];
    for (proof, description) in cases {
        let response = call(&app, get.clone(), ME, &authorization, proof.as_deref()).await;
        refused(response, "DPoP", "invalid_dpop_proof", description).await;
    }
    let mut stale = key.claims("GET", &url, Some(&token));
    stale["iat"] = json!(crate::test_support::now() - 31);
    let response = call(
        &app,
        get.clone(),
        ME,
        &authorization,
        Some(&key.sign(&stale)),
    )
    .await;
    refused(response, "DPoP", "invalid_dpop_proof", "too old").await;

    // The bound token as a bearer token, even with a good proof beside it.
    let proof = key.proof("GET", &url, Some(&token));
    let response = call(
        &app,
        get.clone(),
        ME,
        &format!("Bearer {token}"),
        Some(&proof),
    )
    .await;
    refused(response, "Bearer", "invalid_token", "bound to a DPoP key").await;

    // An unbound token in DPoP clothing.
    let plain = mint(&keys()[0], &claims(&server.issuer()));
    let proof = key.proof("GET", &url, Some(&plain));
    let response = call(&app, get, ME, &format!("DPoP {plain}"), Some(&proof)).await;
    refused(response, "DPoP", "invalid_token", "not bound").await;
}

/// The `WWW-Authenticate` values of a request without credentials.
async fn challenges_without_a_token(app: &RunningApp) -> Vec<String> {
    let response = app.me(&[]).await;
    let all = response.headers().get_all(WWW_AUTHENTICATE).iter();
    all.map(|v| v.to_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn without_a_token_both_schemes_are_offered_and_required_dpop_refuses_bearer() {
    let (server, app) = start(|_| {}).await;
    let challenges = challenges_without_a_token(&app).await;
    assert_eq!(
        challenges,
        ["Bearer realm=\"mo\"", "DPoP realm=\"mo\", algs=\"ES256\""]
    );
    let plain = mint(&keys()[0], &claims(&server.issuer()));
    assert_eq!(
        app.me(&[&format!("Bearer {plain}")]).await.status(),
        StatusCode::OK
    );

    let (server, app) = start(|s| s.dpop_required = true).await;
    let challenges = challenges_without_a_token(&app).await;
    assert_eq!(challenges, ["DPoP realm=\"mo\", algs=\"ES256\""]);
    let plain = mint(&keys()[0], &claims(&server.issuer()));
    let response = app.me(&[&format!("Bearer {plain}")]).await;
    refused(response, "DPoP", "invalid_token", "not bound").await;
    let key = DpopKey::generate();
    let token = bound_token(&server, &key);
    let proof = key.proof("GET", &format!("{}{ME}", app.base), Some(&token));
    let ok = call(
        &app,
        reqwest::Method::GET,
        ME,
        &format!("DPoP {token}"),
        Some(&proof),
    )
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn proofs_name_one_of_the_public_origins_when_they_are_set() {
    let origins = "https://mo.example.dk, http://127.0.0.1:8080";
    let (server, app) = start(|s| s.public_origins = origins.into()).await;
    let key = DpopKey::generate();
    let token = bound_token(&server, &key);
    let authorization = format!("DPoP {token}");
    let get = reqwest::Method::GET;
    let direct = key.proof("GET", &format!("{}{ME}", app.base), Some(&token));
    let response = call(&app, get.clone(), ME, &authorization, Some(&direct)).await;
    refused(response, "DPoP", "invalid_dpop_proof", "another URL").await;
    let public = key.proof("GET", &format!("https://mo.example.dk{ME}"), Some(&token));
    let response = call(&app, get, ME, &authorization, Some(&public)).await;
    assert_eq!(response.status(), StatusCode::OK);
}
