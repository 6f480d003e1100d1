//! Harness for the end-to-end tests: real Keycloak (a realm per test), in-process server, headless
//! Chromium.

pub mod app;
pub mod browser;
pub mod checks;
pub mod forged_flow;
pub mod idp;
pub mod keycloak;
pub mod metrics;
pub mod org_api;
pub mod sources;
pub mod ui;

use std::path::PathBuf;

/// Errors in tests are reported, not panicked, so a browser is always closed before failing.
pub type TestResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The repository's root folder (this crate lives in `tests/`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent folder")
        .to_path_buf()
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("the loopback interface can bind an ephemeral port")
}
