//! The HTTP application: the router, security headers, request limits, request logging, compression
//! and static files.

use axum::Router;
use axum::handler::Handler;
use axum::http::HeaderName;
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_SECURITY_POLICY, COOKIE, REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::error::Error;
use crate::metrics;
use crate::routes::{employees, health, keycloak_json, me, org_units, spa};
use crate::settings::Settings;
use crate::state::AppState;

/// Largest request body accepted (the API takes small JSON documents).
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Request headers (names + values of all of them) may take this many bytes besides the bearer
/// token: 16 KiB, ample for a browser's cookies, user agent and accept headers.
const HEADER_BYTES_BESIDES_TOKEN: usize = 16 * 1024;

/// The request-header limit: `max_token_bytes` (default 16 KiB) + [`HEADER_BYTES_BESIDES_TOKEN`],
/// i.e. 32 KiB by default. Larger headers are answered 431 before any route, extractor or token
/// check runs. (Below this, hyper itself stops reading a request head at its ~400 KB buffer and
/// at 100 header lines.)
pub fn max_header_bytes(settings: &Settings) -> usize {
    settings.max_token_bytes + HEADER_BYTES_BESIDES_TOKEN
}

/// Runs the rest of the request in a task of its own, so it finishes even when the client goes
/// away: hyper drops a request's future when its connection closes, and a database transaction
/// cancelled inside its `BEGIN` leaves sqlx's pooled connection in a transaction it does not know
/// of (the next request on it would run inside that one, e.g. a write inside a read-only
/// snapshot). Every route that opens a transaction goes through this; a panic is a 500.
async fn run_to_completion(request: Request<axum::body::Body>, next: Next) -> Response {
    match tokio::spawn(next.run(request)).await {
        Ok(response) => response,
        Err(error) => Error::Internal(format!("request task failed: {error}")).into_response(),
    }
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/v1/me", get(me::get))
        .route(
            "/v1/org-units",
            get(org_units::list).post(org_units::create),
        )
        .route(
            "/v1/org-units/{uuid}",
            get(org_units::get)
                .patch(org_units::update)
                .delete(org_units::delete),
        )
        .route(
            "/v1/org-units/{uuid}/move-destinations",
            get(org_units::move_destinations),
        )
        .route(
            "/v1/org-units/{uuid}/owners/{person_uuid}",
            put(org_units::add_owner).delete(org_units::remove_owner),
        )
        .route("/v1/employees", get(employees::list))
        .route_layer(middleware::from_fn(run_to_completion))
        .method_not_allowed_fallback(api_method_not_allowed)
        .fallback(api_not_found)
        // Personal data must not stay in the browser's disk cache after logout.
        .layer(SetResponseHeaderLayer::overriding(
            CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        // JSON answers compressed when the client accepts it (brotli or gzip; tiny ones are not).
        // They carry no secret a request could probe for (tokens only ever travel in requests).
        .layer(CompressionLayer::new());
    // The build's `.br` and `.gz` files beside each asset, chosen by Accept-Encoding; cache
    // headers by name (spa::cache_static).
    let static_files = ServeDir::new(&state.settings().static_dir)
        .append_index_html_on_directories(false)
        .precompressed_br()
        .precompressed_gzip()
        .call_fallback_on_method_not_allowed(true)
        .fallback(spa::fallback.with_state(state.clone()));
    let static_files = tower::ServiceBuilder::new()
        .layer(middleware::from_fn(spa::cache_static))
        .service(static_files);
    let csp = state.csp().clone();

    Router::new()
        .route("/keycloak.json", get(keycloak_json::get))
        .route("/health/live", get(health::live))
        .route(
            "/health/ready",
            get(health::ready).route_layer(middleware::from_fn(run_to_completion)),
        )
        .route("/metrics", get(crate::routes::metrics::get))
        .nest("/api", api)
        .route("/", get(spa::index))
        .route("/index.html", get(spa::index))
        .fallback_service(static_files)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            max_header_bytes(state.settings()),
            limit_header_bytes,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            CONTENT_SECURITY_POLICY,
            csp,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            CROSS_ORIGIN_OPENER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(middleware::from_fn(hsts_over_https))
        // Request logs carry method, path (never the query) and status; no headers.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        // Router layers wrap each route (and the fallback) after routing, so the matched route
        // template is known here; the latency covers every layer above (logging included).
        .layer(middleware::from_fn_with_state(
            state.metrics().clone(),
            metrics::record_request,
        ))
        // Outermost: whatever logs a header sees `Authorization: Sensitive`.
        .layer(SetSensitiveRequestHeadersLayer::new([AUTHORIZATION, COOKIE]))
        .with_state(state)
}

/// `Cross-Origin-Opener-Policy` (not among the `http` crate's constants).
const CROSS_ORIGIN_OPENER_POLICY: HeaderName =
    HeaderName::from_static("cross-origin-opener-policy");

/// HSTS for one year when the request came over https: directly, or through a TLS-terminating
/// proxy that says so in `X-Forwarded-Proto`. (Browsers ignore the header over plain http, so a
/// forged `X-Forwarded-Proto` gains nothing.)
async fn hsts_over_https(request: Request<axum::body::Body>, next: Next) -> Response {
    let https = request.uri().scheme_str() == Some("https")
        || request
            .headers()
            .get("x-forwarded-proto")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|proto| proto.eq_ignore_ascii_case("https"));
    let mut response = next.run(request).await;
    if https {
        response.headers_mut().insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// Refuses a request whose headers exceed `limit` bytes with 431, before anything reads them.
async fn limit_header_bytes(
    axum::extract::State(limit): axum::extract::State<usize>,
    request: Request<axum::body::Body>,
    next: Next,
) -> Response {
    let size: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if size > limit {
        return Error::HeadersTooLarge { limit }.into_response();
    }
    next.run(request).await
}

async fn api_not_found() -> Error {
    Error::NotFound("no such API endpoint")
}

async fn api_method_not_allowed() -> Error {
    Error::MethodNotAllowed
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "app_fault_tests.rs"]
mod fault_tests;

#[cfg(test)]
#[path = "app_dpop_tests.rs"]
mod dpop_tests;

#[cfg(test)]
#[path = "app_static_tests.rs"]
mod static_tests;
