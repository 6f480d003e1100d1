//! The target of scripts/bench-dpop: this server's app on a loopback port with a local JWKS (the
//! test kit's keys), and on disk what wrk sends — a plain bearer token, a DPoP-bound token, and
//! that many fresh proofs for `GET /api/v1/me` (each used once). Proofs are accepted for 300 s
//! here (the default is 30) so that all of them are still good when wrk sends the last.
//!
//! `cargo run --release -p server --example dpop_target -- DIR PROOFS` prints `ready URL` once
//! everything is written, then serves until killed.

use std::io::Write as _;

use serde_json::json;
use server::test_support::{DpopKey, JwksServer, RunningApp, claims, keys, mint};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().ok_or("usage: dpop_target DIR PROOFS")?);
    let proofs: usize = args
        .next()
        .ok_or("usage: dpop_target DIR PROOFS")?
        .parse()?;
    let jwks = JwksServer::start(&[&keys()[0]]).await;
    let mut settings = jwks.settings();
    settings.dpop_replay_cache_entries = proofs.max(1);
    settings.dpop_proof_max_age_seconds = 300;
    let app = RunningApp::start(settings).await;
    let url = format!("{}/api/v1/me", app.base);

    let bearer = mint(&keys()[0], &claims(&jwks.issuer()));
    let key = DpopKey::generate();
    let mut bound_claims = claims(&jwks.issuer());
    bound_claims["typ"] = json!("DPoP");
    bound_claims["cnf"] = json!({"jkt": key.thumbprint});
    let bound = mint(&keys()[0], &bound_claims);
    std::fs::write(dir.join("bearer.token"), &bearer)?;
    std::fs::write(dir.join("dpop.token"), &bound)?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("proofs"))?);
    for _ in 0..proofs {
        writeln!(out, "{}", key.proof("GET", &url, Some(&bound)))?;
    }
    out.flush()?;
    println!("ready {url}");
    std::future::pending::<()>().await;
    Ok(())
}
