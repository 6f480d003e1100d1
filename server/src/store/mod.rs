//! The store: a SQLite or PostgreSQL database behind one pool ([`Store`]), its migrations, the
//! first-start seed, read and write transactions, and the store's own error ([`StoreError`];
//! `error.rs` maps it to HTTP).

pub mod connect;
pub mod employees;
pub mod seed;
pub mod units;

use sqlx::error::DatabaseError;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgDatabaseError;
use sqlx::sqlite::SqliteError;
use sqlx::{Any, AnyPool, Transaction};
use uuid::Uuid;

pub use connect::{Backend, PoolLimits, is_in_memory, redacted};

use std::path::Path;

/// A connection of the store's pool, whichever the backend (what the SQL functions take).
pub type Conn = sqlx::AnyConnection;
/// A transaction of the store ([`Store::begin_read`], [`Store::begin_write`]).
pub type Tx = Transaction<'static, Any>;

/// Why the store could not do what was asked; nothing was written (transactions roll back).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Transient, worth retrying: another transaction held a lock beyond the lock timeout, no
    /// pooled connection was free in time, or the database cannot be reached (restarting, a lost
    /// connection).
    #[error("the database is busy")]
    Busy,
    #[error("database: {0}")]
    Database(sqlx::Error),
    /// The database could not be migrated or seeded at start-up.
    #[error("{0}")]
    Prepare(String),
    /// The database holds what the server never writes (it was changed behind its back).
    #[error("{0}")]
    Corrupt(String),
}

/// SQLite's primary result codes for "another connection holds the lock" (`SQLITE_BUSY`,
/// `SQLITE_LOCKED`); extended codes (e.g. 517 `SQLITE_BUSY_SNAPSHOT`) carry them in the low byte.
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;

/// PostgreSQL's SQLSTATEs that mean "try again": serialization failure, deadlock, lock timeout,
/// statement cancelled, too many connections, and the server shutting down or starting up.
const POSTGRES_TRANSIENT: [&str; 8] = [
    "40001", "40P01", "55P03", "57014", "53300", "57P01", "57P02", "57P03",
];

/// Whether `error` is transient ([`StoreError::Busy`]): a lock held too long, no connection in
/// time, or the database unreachable.
pub fn is_busy(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            if let Some(sqlite) = db.try_downcast_ref::<SqliteError>() {
                sqlite
                    .code()
                    .and_then(|code| code.parse::<i64>().ok())
                    .is_some_and(|code| matches!(code & 0xff, SQLITE_BUSY | SQLITE_LOCKED))
            } else if let Some(postgres) = db.try_downcast_ref::<PgDatabaseError>() {
                let code = postgres.code();
                // Class 08: connection exceptions.
                code.starts_with("08") || POSTGRES_TRANSIENT.contains(&code)
            } else {
                false
            }
        }
        _ => false,
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if is_busy(&error) {
            tracing::warn!(%error, "database busy or unreachable");
            StoreError::Busy
        } else {
            StoreError::Database(error)
        }
    }
}

/// The schema, embedded from server/migrations at build time; the same SQL for both backends.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The database: a pool and which backend it talks to. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// `database_url` without its password, for messages.
    redacted_url: String,
}

impl Store {
    /// A store for `database_url` that connects on first use ([`connect::connect_lazy`]).
    pub fn connect_lazy(database_url: &str, limits: PoolLimits) -> Result<Self, StoreError> {
        let backend = Backend::of(database_url).map_err(StoreError::Prepare)?;
        let pool = connect::connect_lazy(database_url, backend, limits)?;
        Ok(Self {
            pool,
            backend,
            redacted_url: redacted(database_url),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// `SELECT 1`: does the database answer?
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Applies the migrations and seeds an empty database with the demo and the people of
    /// `seed_realm_file` (see [`seed`]); the server runs this
    /// before it serves, and tests that build the app themselves call it too. Instances starting
    /// at once against one PostgreSQL migrate once (the migrator holds an advisory lock) and seed
    /// once (the seed is a write transaction that looks for rows first).
    pub async fn prepare(&self, seed_realm_file: &Path) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(|e| {
            StoreError::Prepare(format!(
                "cannot migrate the database (setting `database_url` = {:?}): {e}",
                self.redacted_url
            ))
        })?;
        seed::seed_if_empty(self, seed_realm_file).await?;
        Ok(())
    }

    /// A read transaction: every statement in it sees the same moment.
    pub async fn begin_read(&self) -> Result<Tx, StoreError> {
        Ok(self.pool.begin_with(self.backend.begin_read()).await?)
    }

    /// A write transaction that holds the database's one write lock from its start: the RBAC
    /// check and the write see the same rows, and concurrent writers (of any instance) queue for
    /// up to the lock timeout instead of failing at commit.
    pub async fn begin_write(&self) -> Result<Tx, StoreError> {
        let mut tx = self.pool.begin_with(self.backend.begin_write()).await?;
        if self.backend == Backend::Postgres {
            sqlx::query(connect::WRITE_LOCK).execute(&mut *tx).await?;
        }
        Ok(tx)
    }
}

/// A UUID column's text; anything else means the database was changed behind the server's back.
fn parse_uuid(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text)
        .map_err(|e| StoreError::Corrupt(format!("bad uuid {text:?} in the database: {e}")))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The pool limits of these tests (the server's come from its settings).
    pub(crate) const LIMITS: PoolLimits = PoolLimits {
        max_connections: 4,
        acquire_timeout: std::time::Duration::from_secs(1),
        lock_timeout: std::time::Duration::from_secs(5),
    };

    /// A store on a fresh in-memory SQLite database (not migrated).
    pub(crate) fn in_memory() -> Store {
        Store::connect_lazy("sqlite::memory:", LIMITS).unwrap()
    }

    #[tokio::test]
    async fn in_memory_database_answers_and_keeps_its_tables() {
        let store = in_memory();
        store.ping().await.unwrap();
        MIGRATOR.run(store.pool()).await.unwrap();
        let mut tx = store.begin_write().await.unwrap();
        sqlx::query("INSERT INTO employees (uuid, name, username) VALUES ('x', 'X', 'x')")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM employees")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(count, 1, "the same database on every use of the pool");
        // Two in-memory stores are two databases.
        let other = in_memory();
        assert!(
            sqlx::query("SELECT count(*) FROM employees")
                .fetch_one(other.pool())
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn file_database_is_created_when_missing_and_uses_wal_and_foreign_keys() {
        let path = std::env::temp_dir().join(format!("server-db-{}.sqlite", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let store = Store::connect_lazy(&format!("sqlite:{}", path.display()), LIMITS).unwrap();
        assert_eq!(store.backend(), Backend::Sqlite);
        store.ping().await.unwrap();
        assert!(path.exists());
        let mut conn = store.pool().acquire().await.unwrap();
        let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let (keys,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(keys, 1);
        let (busy,): (i64,) = sqlx::query_as("PRAGMA busy_timeout")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(busy, LIMITS.lock_timeout.as_millis() as i64);
        drop(conn);
        store.pool().close().await;
        for suffix in ["", "-shm", "-wal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    #[test]
    fn busy_and_locked_are_told_from_other_errors() {
        assert!(is_busy(&sqlx::Error::PoolTimedOut));
        assert!(is_busy(&sqlx::Error::Io(
            std::io::ErrorKind::ConnectionReset.into()
        )));
        assert!(!is_busy(&sqlx::Error::RowNotFound));
        assert!(matches!(
            StoreError::from(sqlx::Error::PoolTimedOut),
            StoreError::Busy
        ));
    }

    #[tokio::test]
    async fn unopenable_database_is_an_error_not_a_panic() {
        let store = Store::connect_lazy("sqlite:/nonexistent-dir/x/y.sqlite", LIMITS).unwrap();
        assert!(store.ping().await.is_err());
        let error = store.prepare(Path::new("")).await.unwrap_err();
        assert!(error.to_string().contains("database_url"), "{error}");
    }

    #[tokio::test]
    async fn an_unreachable_postgres_is_busy_within_the_acquire_timeout_and_hides_the_password() {
        // A loopback port nothing listens on (bound, then closed).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("postgres://mo:s3cret@127.0.0.1:{port}/mo");
        let store = Store::connect_lazy(&url, LIMITS).unwrap();
        assert_eq!(store.backend(), Backend::Postgres);
        let started = std::time::Instant::now();
        let error = StoreError::from(store.ping().await.unwrap_err());
        assert!(matches!(error, StoreError::Busy), "{error:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let error = store.prepare(Path::new("")).await.unwrap_err().to_string();
        assert!(
            !error.contains("s3cret") && error.contains("***"),
            "{error}"
        );
    }
}
