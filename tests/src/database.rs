//! The database under test: SQLite unless `E2E_DATABASE=postgres` (then a fresh database per test
//! in the PostgreSQL cluster at `E2E_POSTGRES_URL`, which scripts/test starts), and PostgreSQL
//! clusters of a test's own that it stops and starts.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use sqlx::{Connection, PgConnection};
use tokio::process::{Child, Command};
use uuid::Uuid;

use crate::{TestResult, free_port, repo_root, wait_until_answering};

/// `sqlite` (the default) or `postgres`: which database the org-unit tests run against.
pub const KIND_VAR: &str = "E2E_DATABASE";
/// The superuser URL of the test run's PostgreSQL cluster, e.g. `postgres://postgres@127.0.0.1:5433/postgres`.
pub const POSTGRES_URL_VAR: &str = "E2E_POSTGRES_URL";
/// initdb plus the first start take 1-3 s; under a full test run, more.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Whether this run's org-unit tests use PostgreSQL (`E2E_DATABASE=postgres`).
pub fn postgres_selected() -> TestResult<bool> {
    match std::env::var(KIND_VAR).as_deref() {
        Err(_) | Ok("sqlite") => Ok(false),
        Ok("postgres") => Ok(true),
        Ok(other) => Err(format!("{KIND_VAR}={other:?}: use \"sqlite\" or \"postgres\"").into()),
    }
}

/// The shared cluster's superuser URL, or a message saying how to get one.
pub fn shared_postgres() -> TestResult<String> {
    std::env::var(POSTGRES_URL_VAR).map_err(|_| {
        format!(
            "{POSTGRES_URL_VAR} is not set: these tests need PostgreSQL; scripts/test starts one \
             (or run `scripts/postgres --port 5433 --data /tmp/mo-pg` and set \
             {POSTGRES_URL_VAR}=postgres://postgres@127.0.0.1:5433/postgres)"
        )
        .into()
    })
}

/// A new, empty database in the cluster at `superuser_url`; its URL.
pub async fn fresh_postgres_database(superuser_url: &str) -> TestResult<String> {
    let name = format!("mo_test_{}", Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(superuser_url).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let mut url = url_of(superuser_url)?;
    url.set_path(&name);
    Ok(url.to_string())
}

/// The database URL one test's server uses: `sqlite_url` unless PostgreSQL is selected.
pub async fn for_test(sqlite_url: String) -> TestResult<String> {
    if postgres_selected()? {
        fresh_postgres_database(&shared_postgres()?).await
    } else {
        Ok(sqlite_url)
    }
}

fn url_of(text: &str) -> TestResult<url::Url> {
    Ok(text.parse().map_err(|e| format!("{text}: {e}"))?)
}

/// A PostgreSQL cluster of one test (scripts/postgres on a free port, data in a temporary
/// folder): stopped and started by the test, killed and removed when dropped.
pub struct OwnPostgres {
    port: u16,
    data: PathBuf,
    child: Option<Child>,
}

impl OwnPostgres {
    /// Makes the cluster and starts it; answers once it accepts connections.
    pub async fn start() -> TestResult<Self> {
        let port = free_port();
        let data = std::env::temp_dir().join(format!("mo-e2e-pg-{}-{port}", std::process::id()));
        let mut postgres = Self {
            port,
            data,
            child: None,
        };
        postgres.start_again().await?;
        Ok(postgres)
    }

    /// The superuser URL (database `postgres`).
    pub fn superuser_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the (stopped) cluster again on the same port and data; answers once it accepts
    /// connections.
    pub async fn start_again(&mut self) -> TestResult {
        let log = std::fs::File::create(format!("{}.log", self.data.display()))?;
        let child = Command::new(repo_root().join("scripts/postgres"))
            .args(["--port", &self.port.to_string(), "--data"])
            .arg(&self.data)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()?;
        self.child = Some(child);
        let url = self.superuser_url();
        let log = format!("{}.log", self.data.display());
        wait_until_answering(
            &mut self.child,
            "PostgreSQL",
            START_TIMEOUT,
            || std::fs::read_to_string(&log).unwrap_or_default(),
            || async {
                match PgConnection::connect(&url).await {
                    Ok(conn) => conn.close().await.is_ok(),
                    Err(_) => false,
                }
            },
        )
        .await
    }

    /// A fast shutdown (SIGINT: open transactions roll back, clients are disconnected), as
    /// `pg_ctl restart -m fast` does; answers once the process has exited.
    pub async fn stop(&mut self) -> TestResult {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if let Some(pid) = child.id() {
            Command::new("kill")
                .args(["-INT", &pid.to_string()])
                .status()
                .await?;
        }
        tokio::time::timeout(Duration::from_secs(30), child.wait()).await??;
        Ok(())
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.data);
        let _ = std::fs::remove_file(format!("{}.log", self.data.display()));
        let _ = std::fs::remove_file(format!("{}.initdb.log", self.data.display()));
    }
}
