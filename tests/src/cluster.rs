//! Several server instances on one PostgreSQL behind nginx, as deploy/ documents it: each
//! instance a process of the server's own `main` (the `server-instance` binary) configured by
//! environment variables as an operator would, nginx with deploy/nginx-mo.conf.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use server::Settings;
use tokio::process::{Child, Command};

use crate::app::settings_for;
use crate::idp::{Idp, IdpOptions};
use crate::{TestResult, free_port, repo_root, wait_until_answering};

/// The deployment's nginx configuration (an `http`-context file), rendered with the test's ports.
pub const NGINX_CONF: &str = "deploy/nginx-mo.conf";
/// How nginx runs as a foreground process with everything under one folder (includes `mo.conf`).
pub const NGINX_LOCAL_CONF: &str = "deploy/nginx-local.conf";
/// Debian's nginx.
const NGINX: &str = "/usr/sbin/nginx";
/// A debug build migrates, seeds and loads the realm's keys in well under this.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// One server process; killed when dropped.
pub struct Instance {
    pub port: u16,
    binary: PathBuf,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
}

impl Instance {
    /// Starts `binary` with `settings` (listening on a free port) as its environment.
    pub fn spawn(binary: &Path, settings: &Settings) -> TestResult<Self> {
        let port = free_port();
        let mut settings = settings.clone();
        settings.listen = ([127, 0, 0, 1], port).into();
        let mut instance = Self {
            port,
            binary: binary.to_owned(),
            env: environment_of(&settings)?,
            log: std::env::temp_dir().join(format!("mo-e2e-instance-{port}.log")),
            child: None,
        };
        instance.start_again()?;
        Ok(instance)
    }

    /// `http://127.0.0.1:{port}`.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the process again (same port, same settings) after [`Instance::kill`].
    pub fn start_again(&mut self) -> TestResult {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let child = Command::new(&self.binary)
            .env_clear()
            .envs(self.env.iter().cloned())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("{}: {e}", self.binary.display()))?;
        self.child = Some(child);
        Ok(())
    }

    /// Waits until `/health/ready` answers 200 (database and signing keys).
    pub async fn wait_ready(&mut self) -> TestResult {
        let http = reqwest::Client::new();
        let url = format!("{}/health/ready", self.origin());
        let what = format!("instance {}", self.port);
        let log = self.log.clone();
        wait_until_answering(
            &mut self.child,
            &what,
            READY_TIMEOUT,
            || std::fs::read_to_string(&log).unwrap_or_default(),
            || async { http.get(&url).send().await.is_ok_and(|a| a.status() == 200) },
        )
        .await
    }

    /// SIGKILL, as a crash or an OOM kill would end it; answers once the process is gone.
    pub async fn kill(&mut self) -> TestResult {
        if let Some(mut child) = self.child.take() {
            child.kill().await?;
        }
        Ok(())
    }

    /// API requests (routes under `/api/`) this instance has answered (its own `/metrics`).
    pub async fn api_requests(&self) -> TestResult<f64> {
        let text = reqwest::get(format!("{}/metrics", self.origin()))
            .await?
            .text()
            .await?;
        Ok(server::metrics::parse(&text)
            .iter()
            .filter(|s| s.name == "mo_http_request_duration_seconds_count")
            .filter(|s| {
                s.labels
                    .iter()
                    .any(|(k, v)| k == "route" && v.starts_with("/api/"))
            })
            .map(|s| s.value)
            .sum())
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

/// The settings as the UPPERCASE environment variables the server reads.
fn environment_of(settings: &Settings) -> TestResult<Vec<(String, String)>> {
    let serde_json::Value::Object(fields) = serde_json::to_value(settings)? else {
        return Err("settings serialise to an object".into());
    };
    Ok(fields
        .into_iter()
        .map(|(name, value)| {
            let text = match value {
                serde_json::Value::String(text) => text,
                other => other.to_string(),
            };
            (name.to_ascii_uppercase(), text)
        })
        .collect())
}

/// nginx in front of some instances, with the deployment's configuration; stopped when dropped.
pub struct Nginx {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl Nginx {
    /// Renders [`NGINX_CONF`] for `port` and `upstreams` (scripts/nginx-site) and starts nginx with
    /// [`NGINX_LOCAL_CONF`] in a folder of its own.
    pub async fn start(port: u16, upstreams: &[u16]) -> TestResult<Self> {
        let dir = std::env::temp_dir().join(format!("mo-e2e-nginx-{port}"));
        std::fs::create_dir_all(dir.join("tmp"))?;
        let rendered = std::process::Command::new(repo_root().join("scripts/nginx-site"))
            .arg(port.to_string())
            .args(upstreams.iter().map(u16::to_string))
            .output()?;
        if !rendered.status.success() {
            return Err(format!(
                "scripts/nginx-site: {}",
                String::from_utf8_lossy(&rendered.stderr)
            )
            .into());
        }
        std::fs::write(dir.join("mo.conf"), rendered.stdout)?;
        std::fs::copy(repo_root().join(NGINX_LOCAL_CONF), dir.join("nginx.conf"))?;
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(&dir)
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("{NGINX}: {e} (scripts/bootstrap installs Debian's nginx)"))?;
        let mut nginx = Self {
            port,
            dir,
            child: Some(child),
        };
        nginx.wait_listening().await?;
        Ok(nginx)
    }

    async fn wait_listening(&mut self) -> TestResult {
        let port = self.port;
        let log = self.dir.join("error.log");
        wait_until_answering(
            &mut self.child,
            "nginx",
            Duration::from_secs(10),
            || std::fs::read_to_string(&log).unwrap_or_default(),
            || async move {
                tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
            },
        )
        .await
    }

    /// `http://127.0.0.1:{port}`.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A Keycloak realm (listing nginx's origin), `n` instances on `database_url`, nginx in front.
pub struct Cluster {
    pub idp: Idp,
    pub settings: Settings,
    pub instances: Vec<Instance>,
    pub nginx: Nginx,
}

impl Cluster {
    /// Starts everything and waits until every instance is ready. `binary` is the test's
    /// `env!("CARGO_BIN_EXE_server-instance")`.
    pub async fn start(
        binary: &str,
        n: usize,
        database_url: String,
        mut options: IdpOptions,
    ) -> TestResult<Self> {
        let nginx_port = free_port();
        options
            .extra_origins
            .push(format!("http://127.0.0.1:{nginx_port}"));
        let idp = Idp::start_with(options).await?;
        let mut settings = settings_for(&idp);
        settings.database_url = database_url;
        // Browsers reach the instances through nginx, whose origin DPoP proofs name.
        settings.public_origins = format!("http://127.0.0.1:{nginx_port}");
        let mut instances = (0..n)
            .map(|_| Instance::spawn(Path::new(binary), &settings))
            .collect::<TestResult<Vec<_>>>()?;
        for instance in &mut instances {
            instance.wait_ready().await?;
        }
        let ports: Vec<u16> = instances.iter().map(|i| i.port).collect();
        let nginx = Nginx::start(nginx_port, &ports).await?;
        Ok(Self {
            idp,
            settings,
            instances,
            nginx,
        })
    }
}
