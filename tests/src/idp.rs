//! The dev IdP (`node idp/launcher.mjs`) as a test fixture: a free port, the realm file's users and
//! clients, tokens for every grant, key rotation, request counters, and stop/start for outage tests.

mod code_flow;
mod realm;

pub(crate) use code_flow::form_action;

use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt as _, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

pub use realm::{Realm, RealmClient, RealmUser};

use crate::{TestResult, free_port, repo_root};

/// What the launcher prints on stdout once it listens; the issuer follows.
const READY_PREFIX: &str = "dev IdP ready: ";
const READY_TIMEOUT: Duration = Duration::from_secs(20);
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// How many of the IdP's last stderr lines a start-up failure reports.
const STDERR_TAIL_LINES: usize = 40;

/// Settings for one dev IdP process; `None`/empty keeps the realm file's defaults.
#[derive(Debug, Clone, Default)]
pub struct DevIdpOptions {
    /// `IDP_ACCESS_TOKEN_TTL` (whole seconds).
    pub access_token_ttl: Option<Duration>,
    /// `IDP_REFRESH_TOKEN_TTL` (whole seconds).
    pub refresh_token_ttl: Option<Duration>,
    /// `IDP_EXTRA_ORIGINS`: origins (e.g. `http://127.0.0.1:43123`) the public client may redirect to and call from.
    pub extra_origins: Vec<String>,
}

/// A token endpoint response (Keycloak's members included).
#[derive(Debug, Clone, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub refresh_expires_in: u64,
    pub id_token: Option<String>,
    #[serde(default)]
    pub scope: String,
}

/// The signing key (`kid`) and every published key after a rotation or retirement.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct KeyState {
    pub kid: String,
    pub kids: Vec<String>,
}

/// Requests counted per endpoint since start or the last reset.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub struct Stats {
    pub certs: u64,
    pub token: u64,
    pub auth: u64,
    pub userinfo: u64,
    pub logout: u64,
}

/// A running dev IdP. The node process is killed when this is dropped.
pub struct DevIdp {
    port: u16,
    options: DevIdpOptions,
    realm: Realm,
    child: Option<Child>,
    http: reqwest::Client,
}

impl DevIdp {
    /// Starts the IdP with the realm file's defaults on a free port.
    pub async fn start() -> TestResult<Self> {
        Self::start_with(DevIdpOptions::default()).await
    }

    pub async fn start_with(options: DevIdpOptions) -> TestResult<Self> {
        let realm = Realm::load(&repo_root().join("realm/mo-realm.json"))?;
        let http = reqwest::Client::builder().timeout(HTTP_TIMEOUT).build()?;
        let mut idp = Self {
            port: free_port(),
            options,
            realm,
            child: None,
            http,
        };
        idp.spawn().await?;
        Ok(idp)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `IDP_PUBLIC_URL`, Keycloak's auth-server-url: `http://127.0.0.1:{port}/`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// `{base_url}realms/{realm}`.
    pub fn issuer(&self) -> String {
        format!("{}realms/{}", self.base_url(), self.realm.name)
    }

    /// `{issuer}/protocol/openid-connect/{name}`, e.g. `auth`, `token`, `certs`, `userinfo`, `logout`.
    pub fn oidc_endpoint(&self, name: &str) -> String {
        format!("{}/protocol/openid-connect/{name}", self.issuer())
    }

    pub fn realm(&self) -> &Realm {
        &self.realm
    }

    /// Keycloak's direct access grant for a realm user, with the password from the realm file.
    pub async fn password_token(&self, username: &str) -> TestResult<Tokens> {
        let password = self
            .realm_user(username)?
            .password()
            .ok_or(format!("{username} has no password"))?;
        let client_id = self.public_client_id()?;
        self.token_request(&[
            ("grant_type", "password"),
            ("client_id", client_id),
            ("username", username),
            ("password", password),
        ])
        .await
    }

    /// The client-credentials grant with the client's secret from the realm file.
    pub async fn client_credentials_token(&self, client_id: &str) -> TestResult<Tokens> {
        let client = self
            .realm
            .client(client_id)
            .ok_or(format!("no client {client_id} in the realm file"))?;
        let secret = client
            .secret
            .as_deref()
            .ok_or(format!("client {client_id} has no secret"))?;
        self.token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
        ])
        .await
    }

    /// The refresh-token grant for the public client.
    pub async fn refresh(&self, refresh_token: &str) -> TestResult<Tokens> {
        let client_id = self.public_client_id()?;
        self.token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    /// A new RSA key becomes the signing key; the old ones stay in the JWKS.
    pub async fn rotate_keys(&self) -> TestResult<KeyState> {
        self.dev_call(reqwest::Method::POST, "rotate-keys")
            .await?
            .json()
            .await
            .map_err(Into::into)
    }

    /// The JWKS shrinks to the current signing key.
    pub async fn retire_old_keys(&self) -> TestResult<KeyState> {
        self.dev_call(reqwest::Method::POST, "retire-old-keys")
            .await?
            .json()
            .await
            .map_err(Into::into)
    }

    pub async fn stats(&self) -> TestResult<Stats> {
        self.dev_call(reqwest::Method::GET, "stats")
            .await?
            .json()
            .await
            .map_err(Into::into)
    }

    pub async fn reset_stats(&self) -> TestResult {
        self.dev_call(reqwest::Method::POST, "stats/reset")
            .await
            .map(drop)
    }

    /// Kills the IdP (an outage); the port stays reserved for `start_again`.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // An error means the process is already gone, which is what stop wants.
            let _ = child.kill().await;
        }
    }

    /// Starts the IdP again on the same port (stopping it first if it runs). Keys, sessions and
    /// refresh tokens do not survive: a restarted IdP is a new one at the same address.
    pub async fn start_again(&mut self) -> TestResult {
        self.stop().await;
        self.spawn().await
    }

    fn realm_user(&self, username: &str) -> TestResult<&RealmUser> {
        Ok(self
            .realm
            .user(username)
            .ok_or(format!("no user {username} in the realm file"))?)
    }

    fn public_client_id(&self) -> TestResult<&str> {
        Ok(&self
            .realm
            .public_client()
            .ok_or("the realm file has no public client")?
            .client_id)
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> TestResult<Tokens> {
        let response = self
            .http
            .post(self.oidc_endpoint("token"))
            .form(form)
            .send()
            .await?;
        let status = response.status();
        if !status.is_success() {
            let grant = form
                .iter()
                .find(|(k, _)| *k == "grant_type")
                .map_or("?", |(_, v)| v);
            return Err(format!(
                "{grant} token request failed with {status}: {}",
                response.text().await?
            )
            .into());
        }
        Ok(response.json().await?)
    }

    async fn dev_call(&self, method: reqwest::Method, path: &str) -> TestResult<reqwest::Response> {
        let response = self
            .http
            .request(method, format!("{}_dev/{path}", self.base_url()))
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(format!("/_dev/{path} failed with {}", response.status()).into());
        }
        Ok(response)
    }

    async fn spawn(&mut self) -> TestResult {
        let root = repo_root();
        if !root.join("idp/node_modules/oidc-provider").is_dir() {
            return Err(format!(
                "the dev IdP's npm packages are missing ({}): run scripts/bootstrap",
                root.join("idp/node_modules").display()
            )
            .into());
        }
        let mut command = Command::new("node");
        command
            .arg(root.join("idp/launcher.mjs"))
            .current_dir(&root)
            .env("IDP_PORT", self.port.to_string())
            .env("IDP_PUBLIC_URL", self.base_url())
            .env("IDP_REALM_FILE", root.join("realm/mo-realm.json"))
            .env("IDP_EXTRA_ORIGINS", self.options.extra_origins.join(","))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (name, ttl) in [
            ("IDP_ACCESS_TOKEN_TTL", self.options.access_token_ttl),
            ("IDP_REFRESH_TOKEN_TTL", self.options.refresh_token_ttl),
        ] {
            match ttl {
                Some(ttl) => command.env(name, ttl.as_secs().max(1).to_string()),
                None => command.env_remove(name),
            };
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot run node (Node 20+ must be on PATH): {e}"))?;
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let stderr_task = drain_lines(
            child.stderr.take().ok_or("node's stderr is not piped")?,
            Some(stderr_tail.clone()),
        );
        let mut stdout =
            BufReader::new(child.stdout.take().ok_or("node's stdout is not piped")?).lines();

        let ready = tokio::time::timeout(READY_TIMEOUT, async {
            while let Some(line) = stdout.next_line().await? {
                if let Some(issuer) = line.strip_prefix(READY_PREFIX) {
                    return Ok(Some(issuer.to_owned()));
                }
            }
            Ok::<_, std::io::Error>(None)
        })
        .await;
        let problem = match ready {
            Ok(Ok(Some(issuer))) if issuer == self.issuer() => {
                drain_lines(stdout.into_inner(), None);
                self.child = Some(child);
                return Ok(());
            }
            Ok(Ok(Some(issuer))) => {
                format!("it serves issuer {issuer}, expected {}", self.issuer())
            }
            Ok(Ok(None)) => "it exited before it was ready".to_owned(),
            Ok(Err(e)) => format!("reading its output failed: {e}"),
            Err(_) => format!("it was not ready within {READY_TIMEOUT:?}"),
        };
        // Best effort: the process may already have exited.
        let _ = child.kill().await;
        // Once the process is gone its stderr closes; the tail is complete after this short wait.
        let _ = tokio::time::timeout(Duration::from_secs(2), stderr_task).await;
        let tail = stderr_tail
            .lock()
            .map(|lines| Vec::from(lines.clone()).join("\n"))
            .unwrap_or_default();
        Err(format!(
            "the dev IdP on port {} failed to start: {problem}\n--- its stderr ---\n{tail}",
            self.port
        )
        .into())
    }
}

impl Drop for DevIdp {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            // kill_on_drop also does this; killing here makes the intent explicit and immediate.
            let _ = child.start_kill();
        }
    }
}

/// Reads a child's output to the end so it never blocks on a full pipe, keeping the last lines if asked.
fn drain_lines(
    output: impl AsyncRead + Unpin + Send + 'static,
    keep: Option<Arc<Mutex<VecDeque<String>>>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut lines = BufReader::new(output).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(Ok(mut tail)) = keep.as_ref().map(|k| k.lock()) {
                if tail.len() == STDERR_TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        }
    })
}
