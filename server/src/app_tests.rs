//! HTTP tests of the whole app on a local port, with a local JWKS endpoint and tokens minted in the test.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, RETRY_AFTER, WWW_AUTHENTICATE};
use serde_json::{Value, json};

use crate::test_support::{JwksServer, Mode, RunningApp as Running, b64, claims, keys, mint, now};

async fn assert_401(response: reqwest::Response, error: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()[WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.starts_with("Bearer realm=\"mo\""), "{challenge}");
    let body: api::ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error, error);
    if error != "unauthorized" {
        assert!(
            challenge.contains(&format!("error=\"{error}\"")),
            "{challenge}"
        );
    }
}

#[tokio::test]
async fn keycloak_json_and_liveness() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let app = Running::start(server.settings()).await;
    let r = app.get("/keycloak.json").await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "realm": "mo",
            "auth-server-url": format!("http://{}/", server.addr),
            "ssl-required": "external",
            "resource": "mo",
            "public-client": true,
            "confidential-port": 0,
            "dpop": true
        })
    );
    assert_eq!(app.get("/health/live").await.status(), StatusCode::OK);
    assert_eq!(
        server.fetches(),
        0,
        "start-up and keycloak.json need no keys"
    );
}

#[tokio::test]
async fn me_returns_the_principal() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let app = Running::start(server.settings()).await;
    let token = mint(&keys()[0], &claims(&server.issuer()));
    let r = app.me(&[&format!("Bearer {token}")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let me: api::Me = r.json().await.unwrap();
    assert_eq!(me.username.as_deref(), Some("bruce"));
    assert_eq!(me.name.as_deref(), Some("Bruce Lee"));
    assert_eq!(me.roles, vec!["offline_access"]);
    assert_eq!(me.client_roles, vec!["reader"]);
    assert!(!me.service_account);
    assert_eq!(
        me.access.role,
        api::AccountRole::ReadOnly,
        "bruce has no write role"
    );
    assert_eq!(
        me.access.write,
        api::Verdict::Refused {
            rule: api::Rule::NoWriteRole
        }
    );
    // The scheme is case-insensitive (RFC 7235), extra spaces are tolerated.
    assert_eq!(
        app.me(&[&format!("bearer {token}")]).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.me(&[&format!("BEARER   {token}")]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn refusals_are_401_with_a_challenge_and_never_500() {
    let server = JwksServer::start(&[&keys()[0], &keys()[1]]).await;
    let app = Running::start(server.settings()).await;
    let iss = server.issuer();
    let good = mint(&keys()[0], &claims(&iss));
    let with = |changes: Value| {
        let mut c = claims(&iss);
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        mint(&keys()[0], &c)
    };
    let payload = good.split('.').nth(1).unwrap().to_owned();
    let none = format!("{}.{payload}.", b64(br#"{"alg":"none"}"#));
    let bad_tokens = [
        none,
        with(json!({"exp": now() - 3600})),
        with(json!({"nbf": now() + 3600})),
        with(json!({"exp": null})),
        with(json!({"iss": "http://elsewhere/realms/mo"})),
        with(json!({"aud": "account", "azp": "other"})),
        mint(&keys()[2], &claims(&iss)),
        format!("{good}.extra"),
        good[..good.len() - 20].to_owned(),
        "not-base64!.x.y".to_owned(),
        // Over max_token_bytes (16 KiB), under the header limit (32 KiB, 431 beyond: app_fault_tests).
        "a".repeat(20 * 1024),
        format!("Bearer {good}"),
    ];
    for token in &bad_tokens {
        assert_401(app.me(&[&format!("Bearer {token}")]).await, "invalid_token").await;
    }
    assert_401(app.me(&[]).await, "unauthorized").await;
    assert_401(app.me(&["Basic YTpi"]).await, "unauthorized").await;
    assert_401(app.me(&["Bearer"]).await, "invalid_request").await;
    assert_401(app.me(&["Bearer "]).await, "invalid_request").await;
    assert_401(
        app.me(&[&format!("Bearer {good}"), &format!("Bearer {good}")])
            .await,
        "invalid_request",
    )
    .await;
    assert_401(app.me(&["bearer x"]).await, "invalid_token").await;
}

#[tokio::test]
async fn keys_never_obtained_is_503_with_retry_after_then_recovers() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    server.set_mode(Mode::Status500);
    let mut settings = server.settings();
    settings.jwks_refetch_interval_seconds = 1;
    let app = Running::start(settings).await;
    let token = mint(&keys()[0], &claims(&server.issuer()));
    let auth = format!("Bearer {token}");
    let r = app.me(&[&auth]).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers()[RETRY_AFTER], "1");
    let body: api::ErrorBody = r.json().await.unwrap();
    assert_eq!(body.error, "temporarily_unavailable");
    let r = app.get("/health/ready").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = r.text().await.unwrap();
    assert!(
        !body.contains("http://") && !body.contains("127.0.0.1"),
        "no URL: {body}"
    );
    let ready: api::Readiness = serde_json::from_str(&body).unwrap();
    assert_eq!(ready.missing, vec!["signing_keys"]);
    assert!(ready.database.ok);

    server.set_mode(Mode::Ok);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(app.me(&[&auth]).await.status(), StatusCode::OK);
    let r = app.get("/health/ready").await;
    assert_eq!(r.status(), StatusCode::OK);
    let ready: api::Readiness = r.json().await.unwrap();
    assert!(ready.ready && ready.missing.is_empty());
}

#[tokio::test]
async fn readiness_names_a_broken_database() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let mut settings = server.settings();
    settings.database_url = "sqlite:/nonexistent-dir/sub/mo.sqlite".into();
    let app = Running::start(settings).await;
    let r = app.get("/health/ready").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = r.text().await.unwrap();
    assert!(
        !body.contains("nonexistent") && !body.contains("sqlite"),
        "no raw error: {body}"
    );
    let ready: api::Readiness = serde_json::from_str(&body).unwrap();
    assert_eq!(ready.missing, vec!["database"]);
    assert!(ready.signing_keys.ok);
}

#[tokio::test]
async fn spa_files_fallback_and_security_headers() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let dir = std::env::temp_dir().join(format!("server-spa-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    let index = "<html><script type=\"module\" src=\"/boot.js\"></script></html>";
    std::fs::write(dir.join("index.html"), index).unwrap();
    std::fs::write(dir.join("assets/app.js"), "console.log(1)").unwrap();
    let mut settings = server.settings();
    settings.static_dir = dir.clone();
    let app = Running::start(settings).await;

    for path in [
        "/",
        "/index.html",
        "/organisation/123",
        "/callback?code=x&state=y",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let csp = r.headers()[CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains(&format!("connect-src 'self' http://{}", server.addr)),
            "{csp}"
        );
        assert!(
            !csp.contains("'sha256-") && !csp.contains("unsafe-inline"),
            "no inline script is admitted: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert_eq!(r.headers()["referrer-policy"], "no-referrer");
        assert_eq!(r.text().await.unwrap(), index);
    }
    let r = app.get("/assets/app.js").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), "console.log(1)");
    for path in [
        "/missing.wasm",
        "/api/v2/nothing",
        "/api",
        "/../etc/passwd.txt",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        let body: api::ErrorBody = r.json().await.unwrap();
        assert_eq!(body.error, "not_found");
    }
    let r = app
        .http
        .post(format!("{}/organisation/123", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn spa_not_built_is_a_clear_404() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let app = Running::start(server.settings()).await;
    let r = app.get("/").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let body: api::ErrorBody = r.json().await.unwrap();
    assert!(body.description.contains("index.html"));
}

#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every event of this test binary, at TRACE level, from the first call on.
///
/// A process-wide subscriber rather than a scoped one: tracing caches per-callsite interest, and a
/// callsite first hit by a parallel test without a subscriber could otherwise skip this test's
/// events. Other tests' lines land here too, which only makes the check stricter.
fn captured_logs() -> &'static LogBuffer {
    static LOGS: OnceLock<LogBuffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = LogBuffer::default();
        let writer = buffer.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        buffer
    })
}

#[tokio::test]
async fn logs_never_contain_tokens() {
    let buffer = captured_logs();
    let server = JwksServer::start(&[&keys()[0]]).await;
    let app = Running::start(server.settings()).await;
    let good = mint(&keys()[0], &claims(&server.issuer()));
    let expired = {
        let mut c = claims(&server.issuer());
        c["exp"] = json!(now() - 3600);
        mint(&keys()[0], &c)
    };
    assert_eq!(
        app.me(&[&format!("Bearer {good}")]).await.status(),
        StatusCode::OK
    );
    assert_401(
        app.me(&[&format!("Bearer {expired}")]).await,
        "invalid_token",
    )
    .await;
    let query = app.get(&format!("/api/v1/me?access_token={good}")).await;
    assert_eq!(
        query.status(),
        StatusCode::UNAUTHORIZED,
        "tokens in URLs are not read"
    );

    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("/api/v1/me"), "request logs are written");
    for token in [&good, &expired] {
        for part in token.split('.') {
            assert!(!logs.contains(part), "a token part is in the logs");
        }
    }
}

#[tokio::test]
async fn api_answers_are_never_stored_and_every_answer_isolates_its_window() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let app = Running::start(server.settings()).await;
    let token = mint(&keys()[0], &claims(&server.issuer()));
    let bearer = format!("Bearer {token}");
    for response in [
        app.me(&[&bearer]).await,
        app.me(&[]).await,
        app.get("/api/v1/no-such-route").await,
    ] {
        assert_eq!(
            response.headers()["cache-control"],
            "no-store",
            "{}",
            response.url()
        );
        assert_eq!(
            response.headers()["cross-origin-opener-policy"],
            "same-origin"
        );
    }
    let page = app.get("/keycloak.json").await;
    assert_eq!(page.headers()["cross-origin-opener-policy"], "same-origin");
    assert!(
        page.headers().get("strict-transport-security").is_none(),
        "plain http"
    );
    let csp = page.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("style-src 'self';"), "{csp}");

    // Behind a TLS-terminating proxy: HSTS.
    let proxied = app
        .http
        .get(format!("{}/keycloak.json", app.base))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(
        proxied.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
}
