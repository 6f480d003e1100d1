//! The command line of the `server` binary: reads the settings, logs with tracing, serves until
//! Ctrl-C or SIGTERM. In the library so every binary that runs the server runs exactly this.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::Settings;
use clap::Parser;
use tracing_subscriber::EnvFilter;

/// Backend of the MO login: keycloak.json, bearer-token validation, the API and the built SPA.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// TOML file overriding default-settings.toml (environment variables in upper case override both).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// Parses the command line and runs the server on a multi-threaded Tokio runtime.
pub fn main() -> ExitCode {
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(run()),
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let settings = match Settings::load(args.config.as_deref()) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(settings.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "error: cannot listen on {} (setting `listen`): {error}",
                settings.listen
            );
            return ExitCode::from(2);
        }
    };
    match crate::serve_with_shutdown(settings, listener, shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
