//! Token validation cost: cold (header, key lookup, RSA verify, claims; cache off) and warm (a
//! token seen before: hash, exact comparison, lookup); a DPoP proof's check beside it (what a
//! DPoP-bound request costs on top).

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use server::auth::dpop::ProvenRequest;
use server::auth::{JwksCache, ProofChecker, ProofRules, RefreshPolicy, Validator};
use server::test_support::{DpopKey, JwksServer, claims, keys, mint};
use sha2::{Digest, Sha256};

fn token_validation(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let server = runtime.block_on(JwksServer::start(&[&keys()[0]]));
    let settings = server.settings();
    let jwks = runtime.block_on(async {
        JwksCache::new(
            settings.resolve().unwrap().jwks_url,
            settings.resolve().unwrap().signing_algorithms,
            RefreshPolicy::from_settings(&settings),
        )
        .unwrap()
    });
    let token = mint(&keys()[0], &claims(&server.issuer()));
    let mut uncached_settings = settings.clone();
    uncached_settings.verified_token_cache_entries = 0;
    let cold = Validator::new(&uncached_settings, &uncached_settings.resolve().unwrap());
    let warm = Validator::new(&settings, &settings.resolve().unwrap());
    // Keys loaded and the token remembered before anything is timed.
    runtime.block_on(cold.validate(&jwks, &token)).unwrap();
    runtime.block_on(warm.validate(&jwks, &token)).unwrap();

    let mut group = c.benchmark_group("token_validation");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("cold_rsa_verify_cache_off", |b| {
        b.iter(|| runtime.block_on(cold.validate(&jwks, &token)).unwrap())
    });
    // The signature check alone (what runs on a blocking thread): the RSA backend's cost.
    let (alg, kid) = cold.check_header(&token).unwrap();
    let key = runtime.block_on(jwks.key_for(kid.as_deref())).unwrap();
    group.bench_function("rsa_verify_only", |b| {
        b.iter(|| {
            cold.verify(std::hint::black_box(&token), alg, &key)
                .unwrap()
        })
    });
    group.bench_function("warm_cache_hit", |b| {
        b.iter(|| runtime.block_on(warm.validate(&jwks, &token)).unwrap())
    });
    // The cache's own part of a hit: hash, exact comparison, principal clone, time checks.
    let now = jsonwebtoken::get_current_timestamp();
    group.bench_function("cache_lookup_only", |b| {
        b.iter(|| {
            warm.verified_tokens()
                .lookup(std::hint::black_box(&token), now)
        })
    });
    // The extractor's part before validation: reading `Authorization: Bearer <token>`.
    let mut parts = axum::http::Request::builder()
        .body(())
        .unwrap()
        .into_parts()
        .0;
    let header = format!("Bearer {token}");
    parts.headers.insert(
        axum::http::header::AUTHORIZATION,
        header.parse().expect("header value"),
    );
    group.bench_function("bearer_header_parse", |b| {
        b.iter(|| server::auth::presented_token(std::hint::black_box(&parts)).is_ok())
    });
    // For comparison: what keying the cache by SHA-256 of the whole token used to cost per hit.
    group.bench_function("sha256_of_token", |b| {
        b.iter(|| Sha256::digest(std::hint::black_box(token.as_bytes())))
    });
    // A DPoP proof of a bound request: parse, claims, thumbprint, ES256 verify, replay memory.
    // Each iteration checks a fresh proof (signed before timing), as every request brings one.
    let key = DpopKey::generate();
    let urls = [url::Url::parse("https://mo.example/api/v1/org-units").unwrap()];
    let url = &urls[0];
    let checker = ProofChecker::new(
        ProofRules {
            max_age_seconds: 300,
            leeway_seconds: 30,
        },
        10_000_000,
    );
    let proofs: Vec<String> = (0..20_000)
        .map(|_| key.proof("GET", url.as_str(), Some(&token)))
        .collect();
    let mut next = proofs.iter().cycle();
    let now = jsonwebtoken::get_current_timestamp();
    group.bench_function("dpop_proof_check", |b| {
        b.iter(|| {
            let request = ProvenRequest {
                method: "GET",
                urls: &urls,
                access_token: &token,
                jkt: &key.thumbprint,
            };
            // Past the first round the proofs are replays: refused after the same work.
            let proof = next.next().map(String::as_str);
            let _ = checker.check(std::hint::black_box(proof), request, now);
        })
    });
    group.finish();
    assert_eq!(cold.verified_tokens().stats().hits, 0);
    assert!(warm.verified_tokens().stats().hits > 0);
    drop(server);
}

criterion_group!(benches, token_validation);
criterion_main!(benches);
