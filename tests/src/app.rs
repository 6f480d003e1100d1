//! The app under test: the server in-process on a free port, alone or with a Keycloak realm that
//! trusts it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::header::AUTHORIZATION;
use server::Settings;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::database;
use crate::idp::{Idp, IdpOptions};
use crate::{TestResult, repo_root};

/// Settings that trust `idp`: the server kit's settings for its address (in-memory database, at
/// most one unknown-kid JWKS refetch a minute), with its realm and browser-facing base URL, the
/// demo organisation seeded with the realm file's users, the release build in dist/, and the
/// default JWKS fetch timeout (Keycloak shares the machine with the browser tests).
pub fn settings_for(idp: &Idp) -> Settings {
    let mut settings =
        server::test_support::settings_for(SocketAddr::from(([127, 0, 0, 1], idp.port())));
    let defaults = Settings::from_defaults();
    settings.keycloak_auth_server_url = idp.base_url();
    settings.keycloak_realm = idp.realm_name().to_owned();
    settings.seed_realm_file = repo_root().join("realm/mo-realm.json");
    settings.static_dir = repo_root().join("dist");
    settings.jwks_fetch_timeout_seconds = defaults.jwks_fetch_timeout_seconds;
    settings
}

/// The server running in this process; shut down gracefully when dropped.
pub struct AppServer {
    /// The server's origin, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub origin: String,
    http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl AppServer {
    /// Serves `settings` on a free loopback port.
    pub async fn start(settings: Settings) -> TestResult<Self> {
        Self::start_on(TcpListener::bind("127.0.0.1:0").await?, settings)
    }

    /// Serves `settings` on `listener` (bound by the caller, e.g. to know the origin early).
    pub fn start_on(listener: TcpListener, mut settings: Settings) -> TestResult<Self> {
        let addr: SocketAddr = listener.local_addr()?;
        settings.listen = addr;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let stop = async {
                let _ = stopped.await;
            };
            if let Err(e) = server::serve_with_shutdown(settings, listener, stop).await {
                eprintln!("server stopped with an error: {e}");
            }
        });
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self {
            origin: format!("http://{addr}"),
            http,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    /// `{origin}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// GET `path`, with a bearer token when given.
    pub async fn get(&self, path: &str, bearer: Option<&str>) -> TestResult<reqwest::Response> {
        let mut request = self.http.get(self.url(path));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        Ok(request.send().await?)
    }

    /// `GET /api/v1/me` with these `Authorization` header values (none, one, or several).
    pub async fn me(&self, authorization: &[&str]) -> TestResult<reqwest::Response> {
        let mut request = self.http.get(self.url("/api/v1/me"));
        for value in authorization {
            request = request.header(AUTHORIZATION, *value);
        }
        Ok(request.send().await?)
    }

    /// `GET /api/v1/me` with `Authorization: Bearer {token}`.
    pub async fn me_with(&self, token: &str) -> TestResult<reqwest::Response> {
        self.get("/api/v1/me", Some(token)).await
    }

    /// `method` `path` with `Authorization: DPoP {token}` and `proof` (none when `None`).
    pub async fn call_dpop(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        proof: Option<&str>,
    ) -> TestResult<reqwest::Response> {
        let mut request = self
            .http
            .request(method, self.url(path))
            .header(AUTHORIZATION, format!("DPoP {token}"));
        if let Some(proof) = proof {
            request = request.header("DPoP", proof);
        }
        Ok(request.send().await?)
    }

    /// `GET /api/v1/me` with a DPoP-bound `token` and a fresh proof by `key`.
    pub async fn me_dpop(
        &self,
        token: &str,
        key: &server::test_support::DpopKey,
    ) -> TestResult<reqwest::Response> {
        let proof = key.proof("GET", &self.url("/api/v1/me"), Some(token));
        self.call_dpop(reqwest::Method::GET, "/api/v1/me", token, Some(&proof))
            .await
    }
}

impl Drop for AppServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A Keycloak realm that lists the app's origin for the `mo` client, plus the server with a SQLite
/// file (or a PostgreSQL database when the run selects it: [`database::for_test`]).
pub struct Stack {
    pub idp: Idp,
    pub server: AppServer,
    pub settings: Settings,
    database: PathBuf,
}

impl Stack {
    pub async fn start() -> TestResult<Self> {
        Self::start_with(IdpOptions::default()).await
    }

    /// Makes the realm with `options` (plus the app's origin) and then starts the server.
    pub async fn start_with(options: IdpOptions) -> TestResult<Self> {
        Self::start_customised(options, |_| {}).await
    }

    /// As [`Stack::start_with`], with `customise` applied to the server's settings last.
    pub async fn start_customised(
        mut options: IdpOptions,
        customise: impl FnOnce(&mut Settings),
    ) -> TestResult<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        options.extra_origins.push(format!("http://{addr}"));
        let idp = Idp::start_with(options).await?;

        let database = std::env::temp_dir().join(format!(
            "mo-e2e-{}-{}.sqlite",
            std::process::id(),
            addr.port()
        ));
        let mut settings = settings_for(&idp);
        settings.listen = addr;
        settings.dpop = idp.binds_tokens();
        settings.database_url =
            database::for_test(format!("sqlite:{}", database.display())).await?;
        customise(&mut settings);
        let server = AppServer::start_on(listener, settings.clone())?;
        Ok(Self {
            idp,
            server,
            settings,
            database,
        })
    }

    /// A stack for browser tests: `options`, and the release build the browser loads must exist.
    pub async fn for_browser(options: IdpOptions) -> TestResult<Self> {
        Self::for_browser_customised(options, |_| {}).await
    }

    /// A stack for browser tests whose server settings `customise` changes.
    pub async fn for_browser_customised(
        options: IdpOptions,
        customise: impl FnOnce(&mut Settings),
    ) -> TestResult<Self> {
        let stack = Self::start_customised(options, customise).await?;
        stack.require_release_build()?;
        Ok(stack)
    }

    /// `{origin}{path}` of the server.
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// Fails with a clear message when the release build the browser tests load is missing.
    fn require_release_build(&self) -> TestResult {
        let index = self.settings.static_dir.join("index.html");
        if index.is_file() {
            Ok(())
        } else {
            Err(format!(
                "{} is missing: run `trunk build --release` (scripts/test does)",
                index.display()
            )
            .into())
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        for suffix in ["", "-shm", "-wal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.database.display()));
        }
    }
}
