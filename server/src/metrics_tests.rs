//! `/metrics` over HTTP against the whole app (local JWKS endpoint, tokens minted in the test), and the exposition parser.

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::json;

use super::*;
use crate::settings::Settings;
use crate::test_support::{JwksServer, Mode, RunningApp, claims, keys, mint, now};

/// The app on a local port, with the answers these tests look at.
struct Running(RunningApp);

impl Running {
    async fn start(settings: Settings) -> Self {
        Self(RunningApp::start(settings).await)
    }

    /// `GET /api/v1/me` with `Authorization: Bearer {token}` (no header for `None`).
    async fn me(&self, token: Option<&str>) -> StatusCode {
        let header = token.map(|token| format!("Bearer {token}"));
        let values: Vec<&str> = header.iter().map(String::as_str).collect();
        self.0.me(&values).await.status()
    }

    async fn status(&self, method: &str, path: &str) -> StatusCode {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let url = format!("{}{path}", self.0.base);
        self.0
            .http
            .request(method, url)
            .send()
            .await
            .unwrap()
            .status()
    }

    async fn scrape(&self) -> String {
        let r = self.0.get("/metrics").await;
        assert_eq!(r.status(), StatusCode::OK, "no token needed");
        assert_eq!(r.headers()[CONTENT_TYPE], super::CONTENT_TYPE);
        let text = r.text().await.unwrap();
        assert!(text.ends_with("# EOF\n"), "{text}");
        text
    }
}

fn fetches(text: &str, outcome: &str) -> f64 {
    sum(text, "mo_jwks_fetches_total", &[("outcome", outcome)])
}

fn refused(text: &str, reason: &str) -> f64 {
    sum(text, "mo_tokens_refused_total", &[("reason", reason)])
}

fn cache(text: &str, result: &str) -> f64 {
    sum(
        text,
        "mo_verified_token_cache_lookups_total",
        &[("result", result)],
    )
}

#[tokio::test]
async fn a_valid_token_is_one_ok_fetch_one_acceptance_and_then_a_cache_hit() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let app = Running::start(server.settings()).await;
    let before = app.scrape().await;
    assert_eq!(fetches(&before, "ok"), 0.0, "start-up fetches nothing");
    assert_eq!(sum(&before, "mo_tokens_accepted_total", &[]), 0.0);

    let token = mint(&keys()[0], &claims(&server.issuer()));
    assert_eq!(app.me(Some(&token)).await, StatusCode::OK);
    let text = app.scrape().await;
    assert_eq!(fetches(&text, "ok"), 1.0, "{text}");
    assert_eq!(fetches(&text, "failed"), 0.0);
    assert_eq!(sum(&text, "mo_tokens_accepted_total", &[]), 1.0);
    assert_eq!((cache(&text, "hit"), cache(&text, "miss")), (0.0, 1.0));
    assert_eq!(sum(&text, "mo_jwks_unknown_kid_refetches_total", &[]), 0.0);

    assert_eq!(app.me(Some(&token)).await, StatusCode::OK);
    let text = app.scrape().await;
    assert_eq!((cache(&text, "hit"), cache(&text, "miss")), (1.0, 1.0));
    assert_eq!(sum(&text, "mo_tokens_accepted_total", &[]), 2.0);
    assert_eq!(fetches(&text, "ok"), 1.0, "the hit fetched nothing");
    assert_eq!(server.fetches(), 1);
    assert_eq!(sum(&text, "mo_tokens_refused_total", &[]), 0.0);
}

#[tokio::test]
async fn an_unknown_kid_counts_one_refetch_and_rate_limited_ones_none() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let app = Running::start(server.settings()).await;
    let iss = server.issuer();
    assert_eq!(
        app.me(Some(&mint(&keys()[0], &claims(&iss)))).await,
        StatusCode::OK
    );
    // The IdP rotates in k2: a k2 token refetches once and is accepted.
    server.set_keys(&[&keys()[0], &keys()[1]]);
    assert_eq!(
        app.me(Some(&mint(&keys()[1], &claims(&iss)))).await,
        StatusCode::OK
    );
    let text = app.scrape().await;
    assert_eq!(sum(&text, "mo_jwks_unknown_kid_refetches_total", &[]), 1.0);
    assert_eq!(fetches(&text, "ok"), 2.0);
    // k3 within the refetch interval: refused without a fetch.
    assert_eq!(
        app.me(Some(&mint(&keys()[2], &claims(&iss)))).await,
        StatusCode::UNAUTHORIZED
    );
    let text = app.scrape().await;
    assert_eq!(sum(&text, "mo_jwks_unknown_kid_refetches_total", &[]), 1.0);
    assert_eq!(fetches(&text, "ok"), 2.0);
    assert_eq!(refused(&text, "unknown_key"), 1.0);
    assert_eq!(sum(&text, "mo_tokens_accepted_total", &[]), 2.0);
}

#[tokio::test]
async fn refusals_are_counted_by_reason_and_never_show_the_token() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let app = Running::start(server.settings()).await;
    let mut expired = claims(&server.issuer());
    expired["exp"] = json!(now() - 3600);
    let expired = mint(&keys()[0], &expired);
    assert_eq!(app.me(Some("garbage")).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(Some("garbage")).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(Some(&expired)).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(None).await, StatusCode::UNAUTHORIZED);
    let text = app.scrape().await;
    assert_eq!(refused(&text, "malformed"), 2.0, "{text}");
    assert_eq!(refused(&text, "expired"), 1.0);
    assert_eq!(refused(&text, "missing_token"), 1.0);
    assert_eq!(sum(&text, "mo_tokens_refused_total", &[]), 4.0);
    assert_eq!(sum(&text, "mo_tokens_accepted_total", &[]), 0.0);
    assert!(!text.contains("garbage"));
    for part in expired.split('.') {
        assert!(!text.contains(part), "a token part is in the metrics");
    }
}

#[tokio::test]
async fn jwks_endpoint_down_is_a_failed_fetch() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    server.set_mode(Mode::Status500);
    let app = Running::start(server.settings()).await;
    let token = mint(&keys()[0], &claims(&server.issuer()));
    assert_eq!(app.me(Some(&token)).await, StatusCode::SERVICE_UNAVAILABLE);
    let text = app.scrape().await;
    assert_eq!((fetches(&text, "ok"), fetches(&text, "failed")), (0.0, 1.0));
    assert_eq!(refused(&text, "keys_unavailable"), 1.0);

    // Unreachable: nothing listens on the port any more.
    let settings = server.settings();
    drop(server);
    let app = Running::start(settings).await;
    assert_eq!(app.me(Some(&token)).await, StatusCode::SERVICE_UNAVAILABLE);
    let text = app.scrape().await;
    assert_eq!((fetches(&text, "ok"), fetches(&text, "failed")), (0.0, 1.0));
}

#[tokio::test]
async fn latency_is_filed_by_route_template_method_and_status_class() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let app = Running::start(server.settings()).await;
    let unit = "/api/v1/org-units/0b8d5f4e-1c2a-4e3b-9f6d-7a8b9c0d1e2f";
    assert_eq!(app.status("GET", unit).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.status("GET", unit).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.status("GET", "/health/live").await, StatusCode::OK);
    assert_eq!(
        app.status("GET", "/no/such/3f2a").await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.status("BREW", "/health/live").await.as_u16(), 405);
    let text = app.scrape().await;
    let count =
        |labels: &[(&str, &str)]| sum(&text, "mo_http_request_duration_seconds_count", labels);
    let template = "/api/v1/org-units/{uuid}";
    let labels = [("method", "GET"), ("route", template), ("status", "4xx")];
    assert_eq!(count(&labels), 2.0, "{text}");
    let live = [("route", "/health/live"), ("status", "2xx")];
    assert_eq!(count(&live), 1.0);
    assert_eq!(
        count(&[("method", "other"), ("route", "/health/live")]),
        1.0
    );
    assert_eq!(count(&[("route", "fallback"), ("status", "4xx")]), 1.0);
    assert!(!text.contains("0b8d5f4e") && !text.contains("3f2a") && !text.contains("BREW"));
    let inf = [("route", template), ("le", "+Inf")];
    assert_eq!(
        sum(&text, "mo_http_request_duration_seconds_bucket", &inf),
        2.0
    );
    assert!(sum(&text, "mo_http_request_duration_seconds_sum", &labels) > 0.0);
}

#[test]
fn parse_reads_names_labels_values_and_skips_comments() {
    let text = "# HELP x_total X.\n# TYPE x counter\nx_total{a=\"1\",b=\"q\\\"u\\\\o\\nte\"} 3\n\
                x_total{a=\"2\"} 4.5 # {trace=\"t\"} 1.0\nup 1\nh_bucket{le=\"+Inf\"} 7\n\
                not a sample\n# EOF\n";
    let samples = parse(text);
    assert_eq!(samples.len(), 4, "{samples:?}");
    assert_eq!(
        samples[0],
        Sample {
            name: "x_total".into(),
            labels: vec![("a".into(), "1".into()), ("b".into(), "q\"u\\o\nte".into())],
            value: 3.0,
        }
    );
    assert_eq!(sum(text, "x_total", &[]), 7.5);
    assert_eq!(sum(text, "x_total", &[("a", "2")]), 4.5);
    assert_eq!(sum(text, "x_total", &[("a", "3")]), 0.0);
    assert_eq!(sum(text, "up", &[]), 1.0);
    assert_eq!(sum(text, "h_bucket", &[("le", "+Inf")]), 7.0);
    assert_eq!(parse("x{a=\"unterminated} 1\n"), vec![]);
}

#[test]
fn every_refusal_reason_has_its_own_snake_case_label() {
    use crate::auth::TokenError::*;
    let all = [
        TooLong,
        Malformed,
        BadHeader,
        AlgorithmNotAllowed,
        CriticalHeader,
        UnknownKey,
        NoKeyId,
        BadSignature,
        Expired,
        NotYetValid,
        MissingClaim,
        WrongIssuer,
        WrongAudience,
        WrongType,
        BadUuid,
        BadClaims,
    ];
    let labels: std::collections::HashSet<_> = all.iter().map(|e| e.label()).collect();
    assert_eq!(labels.len(), all.len());
    for label in labels {
        assert!(label.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
    }
}
