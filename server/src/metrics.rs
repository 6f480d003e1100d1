//! Prometheus metrics: the registry and every metric family, the request-latency middleware, and a parser of the exposition for tests that scrape `/metrics`.
//!
//! Every name starts with `mo_`. The token counters and the latency histogram are
//! prometheus-client metrics kept here (an atomic add per event). The JWKS and verified-token
//! cache counts are kept by those caches themselves (under the JWKS cache's fetch bookkeeping, and
//! per-shard atomics of the token cache) and only read when `/metrics` is scraped, so a cache hit
//! costs nothing extra. Labels come from small fixed sets; never from a token, a user or a raw URL.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::auth::{JwksCache, Validator};

/// What `GET /metrics` answers: the OpenMetrics text format prometheus-client writes.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Request-latency buckets in seconds: 0.25 ms doubling to 4.1 s (15 buckets, then `+Inf`).
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusedLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    /// The route template (`/api/v1/org-units/{uuid}`), or `fallback` (static files, the SPA,
    /// unknown paths).
    route: Cow<'static, str>,
    /// `2xx`, `4xx`, ...
    status: &'static str,
}

/// The registry and the metric families; one per [`crate::AppState`].
pub struct Metrics {
    registry: Registry,
    tokens_accepted: Counter,
    tokens_refused: Family<RefusedLabels, Counter>,
    requests: Family<RequestLabels, Histogram, fn() -> Histogram>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// The families, reading the JWKS counts from `jwks` and the cache counts from `validator`'s
    /// verified-token cache at every scrape.
    pub fn new(jwks: Arc<JwksCache>, validator: Validator) -> Self {
        // `register` ends each help text with a period; the collector's carry their own.
        let mut registry = Registry::with_prefix("mo");
        let tokens_accepted = Counter::default();
        registry.register(
            "tokens_accepted",
            "Requests whose bearer token was accepted",
            tokens_accepted.clone(),
        );
        let tokens_refused = Family::<RefusedLabels, Counter>::default();
        registry.register(
            "tokens_refused",
            "Requests refused by the bearer check, by reason (missing_token, invalid_request, \
             keys_unavailable, or the token check that failed)",
            tokens_refused.clone(),
        );
        let requests = Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register_with_unit(
            "http_request_duration",
            "HTTP request latency, by method, route template and status class",
            Unit::Seconds,
            requests.clone(),
        );
        registry.register_collector(Box::new(CacheCollector { jwks, validator }));
        Self {
            registry,
            tokens_accepted,
            tokens_refused,
            requests,
        }
    }

    pub fn token_accepted(&self) {
        self.tokens_accepted.inc();
    }

    /// `reason` is a fixed label such as [`crate::auth::Unauthorized::label`].
    pub fn token_refused(&self, reason: &'static str) {
        self.tokens_refused
            .get_or_create(&RefusedLabels { reason })
            .inc();
    }

    /// The whole exposition, ending in `# EOF`.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }

    fn observe_request(&self, labels: RequestLabels, seconds: f64) {
        self.requests.get_or_create(&labels).observe(seconds);
    }
}

/// Middleware: times every request and files it under its method, route template and status
/// class. Runs inside the router (so the matched route is known) around everything else.
pub async fn record_request(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = method_label(request.method().as_str());
    let route = match request.extensions().get::<MatchedPath>() {
        Some(path) => Cow::Owned(path.as_str().to_owned()),
        None => Cow::Borrowed("fallback"),
    };
    let response = next.run(request).await;
    let status = match response.status().as_u16() / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    };
    let labels = RequestLabels {
        method,
        route,
        status,
    };
    metrics.observe_request(labels, started.elapsed().as_secs_f64());
    response
}

/// The standard methods by name, anything else as `other` (bounded label values).
fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

/// Reads the JWKS cache's and the verified-token cache's own counters at scrape time.
struct CacheCollector {
    jwks: Arc<JwksCache>,
    validator: Validator,
}

impl std::fmt::Debug for CacheCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheCollector").finish_non_exhaustive()
    }
}

impl Collector for CacheCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let jwks = self.jwks.status();
        let cache = self.validator.verified_tokens().stats();
        counter_family(
            &mut encoder,
            "jwks_fetches",
            "Finished fetches of the realm's JWKS (initial load, unknown-kid refetch, max-age \
             refresh, retry), by outcome.",
            "outcome",
            &[
                ("ok", jwks.completed - jwks.failed),
                ("failed", jwks.failed),
            ],
        )?;
        ConstCounter::new(jwks.unknown_kid_refetches).encode(encoder.encode_descriptor(
            "jwks_unknown_kid_refetches",
            "JWKS refetches started for a token whose kid was not in the key set.",
            None,
            MetricType::Counter,
        )?)?;
        counter_family(
            &mut encoder,
            "verified_token_cache_lookups",
            "Lookups in the verified-token cache, by result (a hit skips the signature check).",
            "result",
            &[("hit", cache.hits), ("miss", cache.misses)],
        )
    }
}

/// A counter with one label, one sample per `(label value, count)`.
fn counter_family(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    label: &str,
    counts: &[(&str, u64)],
) -> Result<(), std::fmt::Error> {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for &(value, count) in counts {
        ConstCounter::new(count).encode(family.encode_family(&[(label, value)])?)?;
    }
    Ok(())
}

#[cfg(any(test, feature = "test-support"))]
/// One sample line of a text exposition: `name{label="value",...} value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

#[cfg(any(test, feature = "test-support"))]
/// The samples of an OpenMetrics (or Prometheus) text exposition, in order; comment lines and
/// lines that do not parse are skipped. For tests that scrape `/metrics`.
pub fn parse(text: &str) -> Vec<Sample> {
    text.lines().filter_map(parse_line).collect()
}

#[cfg(any(test, feature = "test-support"))]
/// The sum of the samples called `name` (counters end in `_total`) whose labels include every
/// pair in `labels`; 0 when there is none. E.g. `sum(&text, "mo_jwks_fetches_total",
/// &[("outcome", "ok")])`.
pub fn sum(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    parse(text)
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.iter().any(|(sk, sv)| sk == k && sv == v))
        })
        .map(|s| s.value)
        .sum()
}

#[cfg(any(test, feature = "test-support"))]
fn parse_line(line: &str) -> Option<Sample> {
    if line.starts_with('#') {
        return None;
    }
    let name_end = line.find(['{', ' '])?;
    let (name, mut rest) = line.split_at(name_end);
    let mut labels = Vec::new();
    if let Some(inner) = rest.strip_prefix('{') {
        rest = inner;
        loop {
            rest = rest.trim_start_matches(',');
            if let Some(after) = rest.strip_prefix('}') {
                rest = after;
                break;
            }
            let (key, after) = rest.split_once("=\"")?;
            let (value, after) = unescape_until_quote(after)?;
            labels.push((key.to_owned(), value));
            rest = after;
        }
    }
    let value = rest.split_whitespace().next()?.parse().ok()?;
    Some(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// A label value up to its closing quote (`\\`, `\"` and `\n` unescaped), and what follows it.
#[cfg(any(test, feature = "test-support"))]
fn unescape_until_quote(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &text[i + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => value.push('\n'),
                other => value.push(other),
            },
            c => value.push(c),
        }
    }
    None
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
