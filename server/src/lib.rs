//! The backend as a library: settings, the app, and `serve` for the binary and in-process tests.

pub mod app;
pub mod auth;
pub mod cli;
pub mod csp;
pub mod error;
pub mod list_cache;
pub mod metrics;
pub mod rbac;
pub mod routes;
pub mod settings;
pub mod state;
pub mod store;
pub mod verdicts;

#[cfg(any(test, feature = "test-support"))]
pub mod test_support;

use std::future::Future;

pub use app::app;
pub use error::Error;
pub use settings::{Resolved, Settings, SettingsError};
pub use state::AppState;
use tokio::net::TcpListener;

/// Serves the app on `listener` until the task is dropped.
pub async fn serve(settings: Settings, listener: TcpListener) -> Result<(), Error> {
    serve_with_shutdown(settings, listener, std::future::pending()).await
}

/// Migrates (and on first start seeds) the database, then serves the app on `listener` until
/// `shutdown` completes, then drains open requests. A database that cannot be prepared stops
/// start-up with an error naming the setting.
pub async fn serve_with_shutdown(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let state = AppState::new(settings)?;
    state.prepare_database().await?;
    tracing::info!(
        addr = %listener.local_addr()?,
        issuer = state.validator().issuer(),
        jwks = %state.jwks().url(),
        static_dir = %state.settings().static_dir.display(),
        "listening"
    );
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
