//! Keycloak for the tests: the shared instance of the test run (reached with its admin account
//! through the admin REST API) and, for outage tests, an instance of a test's own that it stops
//! and starts.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;
use tokio::process::{Child, Command};

use crate::{TestResult, free_port, repo_root};

/// Where the shared Keycloak is (scripts/test starts one and sets this); without it, the dev
/// Keycloak of `./scripts/dev`.
pub const URL_VAR: &str = "E2E_KEYCLOAK_URL";
const DEFAULT_URL: &str = "http://127.0.0.1:8081/";
/// The bootstrap admin (`KC_BOOTSTRAP_ADMIN_USERNAME` / `_PASSWORD` of scripts/keycloak).
const ADMIN_USER_VAR: &str = "KC_BOOTSTRAP_ADMIN_USERNAME";
const ADMIN_PASSWORD_VAR: &str = "KC_BOOTSTRAP_ADMIN_PASSWORD";
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);
/// Dev mode rebuilds itself at every start: about 45 s on two cores, more under load.
const START_TIMEOUT: Duration = Duration::from_secs(240);
/// Admin tokens of the master realm live 60 s; one is reused until 10 s before that.
const ADMIN_TOKEN_REUSE: Duration = Duration::from_secs(50);

/// A Keycloak server and an admin session on it.
#[derive(Clone)]
pub struct Keycloak {
    base_url: String,
    http: reqwest::Client,
    admin_token: Arc<Mutex<Option<(String, Instant)>>>,
}

impl Keycloak {
    /// The shared Keycloak of this test run (`E2E_KEYCLOAK_URL`, else the dev one on :8081).
    pub fn shared() -> TestResult<Self> {
        let mut url = std::env::var(URL_VAR).unwrap_or_else(|_| DEFAULT_URL.to_owned());
        if !url.ends_with('/') {
            url.push('/');
        }
        Self::at(url)
    }

    fn at(base_url: String) -> TestResult<Self> {
        Ok(Self {
            base_url,
            http: reqwest::Client::builder().timeout(HTTP_TIMEOUT).build()?,
            admin_token: Arc::new(Mutex::new(None)),
        })
    }

    /// Keycloak's auth-server-url, e.g. `http://127.0.0.1:8081/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The port in `base_url`.
    pub fn port(&self) -> u16 {
        reqwest::Url::parse(&self.base_url)
            .ok()
            .and_then(|url| url.port_or_known_default())
            .unwrap_or(80)
    }

    /// Whether Keycloak answers (its master realm's discovery document).
    pub async fn is_up(&self) -> bool {
        let url = format!(
            "{}realms/master/.well-known/openid-configuration",
            self.base_url
        );
        matches!(self.http.get(url).send().await, Ok(r) if r.status().is_success())
    }

    /// An admin REST call: `{base_url}admin/realms{path}` with an optional JSON body; the answer's
    /// JSON (Null for an empty body). Any status but 2xx is an error naming the call.
    pub async fn admin(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> TestResult<Value> {
        let token = self.admin_token().await?;
        let url = format!("{}admin/realms{path}", self.base_url);
        let mut request = self.http.request(method.clone(), &url).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            return Err(format!("{method} {url}: {status}: {text:.500}").into());
        }
        Ok(if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)?
        })
    }

    async fn admin_token(&self) -> TestResult<String> {
        if let Ok(cached) = self.admin_token.lock()
            && let Some((token, at)) = cached.as_ref()
            && at.elapsed() < ADMIN_TOKEN_REUSE
        {
            return Ok(token.clone());
        }
        let user = std::env::var(ADMIN_USER_VAR).unwrap_or_else(|_| "admin".into());
        let password = std::env::var(ADMIN_PASSWORD_VAR).unwrap_or_else(|_| "admin".into());
        let url = format!(
            "{}realms/master/protocol/openid-connect/token",
            self.base_url
        );
        let response = self
            .http
            .post(&url)
            .form(&[
                ("grant_type", "password"),
                ("client_id", "admin-cli"),
                ("username", &user),
                ("password", &password),
            ])
            .send()
            .await
            .map_err(|e| {
                format!(
                    "no Keycloak at {} ({e}): scripts/test starts one and sets {URL_VAR}; \
                     for a single test run ./scripts/dev or scripts/keycloak first",
                    self.base_url
                )
            })?;
        if !response.status().is_success() {
            return Err(format!("admin sign-in at {url} failed: {}", response.status()).into());
        }
        #[derive(Deserialize)]
        struct Token {
            access_token: String,
        }
        let token = response.json::<Token>().await?.access_token;
        if let Ok(mut cached) = self.admin_token.lock() {
            *cached = Some((token.clone(), Instant::now()));
        }
        Ok(token)
    }
}

/// A Keycloak process of a test's own (scripts/keycloak, in memory, on a free port, from a private
/// copy of the distribution), for outages: `stop` kills it, `start` runs it again on the same port.
/// Nothing survives a restart (no realms, keys or sessions). Killed when dropped.
pub struct KeycloakProcess {
    port: u16,
    child: Option<Child>,
}

impl KeycloakProcess {
    /// Picks a free port; the process starts with `start`.
    pub fn new() -> Self {
        Self {
            port: free_port(),
            child: None,
        }
    }

    /// The instance's address (answers only while it runs).
    pub fn keycloak(&self) -> TestResult<Keycloak> {
        Keycloak::at(format!("http://127.0.0.1:{}/", self.port))
    }

    /// Starts Keycloak and waits until it answers.
    pub async fn start(&mut self) -> TestResult {
        self.stop().await;
        let root = repo_root();
        let home = self.home();
        let log_path = root.join(format!("target/e2e-keycloak-{}.log", self.port));
        let log = std::fs::File::create(&log_path)?;
        let started = Instant::now();
        let child = Command::new(root.join("scripts/keycloak"))
            .args(["--memory", "--port", &self.port.to_string(), "--home"])
            .arg(&home)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run scripts/keycloak: {e}"))?;
        self.child = Some(child);
        let keycloak = self.keycloak()?;
        while started.elapsed() < START_TIMEOUT {
            if keycloak.is_up().await {
                println!(
                    "own Keycloak on port {} up in {:.1} s",
                    self.port,
                    started.elapsed().as_secs_f64()
                );
                return Ok(());
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                return Err(
                    format!("Keycloak exited ({status}); see {}", log_path.display()).into(),
                );
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        self.stop().await;
        Err(format!(
            "Keycloak did not answer within {START_TIMEOUT:?}; see {}",
            log_path.display()
        )
        .into())
    }

    /// The private copy of the distribution (removed when this is dropped).
    fn home(&self) -> std::path::PathBuf {
        repo_root().join(format!("target/e2e-keycloak/{}", self.port))
    }

    /// Kills Keycloak (its whole process group: the script's shell and Java) and waits for it.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Some(pid) = child.id() {
                kill_group(pid);
            }
            let _ = child.wait().await;
        }
    }
}

impl Default for KeycloakProcess {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for KeycloakProcess {
    fn drop(&mut self) {
        if let Some(pid) = self.child.as_ref().and_then(Child::id) {
            kill_group(pid);
        }
        let _ = std::fs::remove_dir_all(self.home());
    }
}

fn kill_group(pid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status();
}
