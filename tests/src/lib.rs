//! Harness for the end-to-end tests: real Keycloak (a realm per test), in-process server, headless
//! Chromium.

pub mod app;
pub mod browser;
pub mod checks;
pub mod cluster;
pub mod database;
pub mod forged_flow;
pub mod idp;
pub mod keycloak;
pub mod metrics;
pub mod org_api;
pub mod sources;
pub mod ui;

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::process::Child;

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

/// Polls `answers` every 100 ms until it says yes; fails if `child` (a server the test started,
/// called `what`) exits first, with `log` (its output, read then) in the message, or after `timeout`.
pub async fn wait_until_answering<F, Fut>(
    child: &mut Option<Child>,
    what: &str,
    timeout: Duration,
    log: impl Fn() -> String,
    mut answers: F,
) -> TestResult
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if answers().await {
            return Ok(());
        }
        if let Some(status) = child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
            return Err(format!("{what} exited with {status}: {}", log()).into());
        }
        if Instant::now() > deadline {
            return Err(format!("{what} did not answer within {timeout:?}: {}", log()).into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
