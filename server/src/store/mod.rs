//! The SQLite store: the pool (file or in-memory), migrations, the first-start seed, write
//! transactions, and the store's own error ([`StoreError`]; `error.rs` maps it to HTTP).

pub mod employees;
pub mod seed;
pub mod units;

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use uuid::Uuid;

use crate::settings::Settings;

/// Why the store could not do what was asked; nothing was written (transactions roll back).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another connection holds SQLite's write lock beyond the busy timeout, or no pooled
    /// connection was free in time: transient, worth retrying.
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

/// Whether `error` says the database was locked or the pool had no connection in time.
pub fn is_busy(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => db
            .code()
            .and_then(|code| code.parse::<i64>().ok())
            .is_some_and(|code| matches!(code & 0xff, SQLITE_BUSY | SQLITE_LOCKED)),
        _ => false,
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if is_busy(&error) {
            tracing::warn!(%error, "database busy");
            StoreError::Busy
        } else {
            StoreError::Database(error)
        }
    }
}

/// The schema, embedded from server/migrations at build time.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How long a statement waits for another connection's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a request waits for a free pooled connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// Connections to a database file (WAL: many readers, one writer at a time).
const FILE_CONNECTIONS: u32 = 4;

/// `sqlite::memory:` or `mode=memory`: a database that lives only inside this process.
pub fn is_in_memory(database_url: &str) -> bool {
    database_url.contains(":memory:") || database_url.contains("mode=memory")
}

/// A pool that connects on first use, so start-up never waits for (or fails on) the database.
/// Files are created when missing and use WAL. An in-memory database exists only while a
/// connection to it is open, so it gets exactly one connection that never expires.
pub fn connect_lazy(database_url: &str) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(database_url)?
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT);
    let pool = SqlitePoolOptions::new().acquire_timeout(ACQUIRE_TIMEOUT);
    Ok(if is_in_memory(database_url) {
        pool.max_connections(1)
            .idle_timeout(None::<Duration>)
            .max_lifetime(None::<Duration>)
            .connect_lazy_with(options)
    } else {
        pool.max_connections(FILE_CONNECTIONS).connect_lazy_with(
            options
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal),
        )
    })
}

/// `SELECT 1`: does the database answer?
pub async fn ping(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(pool).await.map(|_| ())
}

/// Applies the migrations and seeds an empty database (see [`seed`]). The server runs this before
/// it serves; tests that build the app themselves call it too.
pub async fn prepare(pool: &SqlitePool, settings: &Settings) -> Result<(), StoreError> {
    MIGRATOR.run(pool).await.map_err(|e| {
        StoreError::Prepare(format!(
            "cannot migrate the database (setting `database_url` = {:?}): {e}",
            settings.database_url
        ))
    })?;
    seed::seed_if_empty(pool, &settings.seed_realm_file).await?;
    Ok(())
}

/// A write transaction that takes SQLite's write lock at once (`BEGIN IMMEDIATE`): the RBAC check
/// and the write see the same rows, and concurrent writers queue instead of failing at commit.
pub async fn begin_write(pool: &SqlitePool) -> Result<Transaction<'static, Sqlite>, StoreError> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

/// A UUID column's text; anything else means the database was changed behind the server's back.
fn parse_uuid(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text)
        .map_err(|e| StoreError::Corrupt(format!("bad uuid {text:?} in the database: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn in_memory_database_answers_and_keeps_its_tables() {
        let pool = connect_lazy("sqlite::memory:").unwrap();
        ping(&pool).await.unwrap();
        MIGRATOR.run(&pool).await.unwrap();
        let mut tx = begin_write(&pool).await.unwrap();
        sqlx::query("INSERT INTO employees (uuid, name, username) VALUES ('x', 'X', 'x')")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM employees")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(count, 1, "the same database on every use of the pool");
        // Two in-memory pools are two databases.
        let other = connect_lazy("sqlite::memory:").unwrap();
        assert!(
            sqlx::query("SELECT count(*) FROM employees")
                .fetch_one(&other)
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn file_database_is_created_when_missing_and_uses_wal() {
        let path = std::env::temp_dir().join(format!("server-db-{}.sqlite", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let pool = connect_lazy(&format!("sqlite:{}", path.display())).unwrap();
        ping(&pool).await.unwrap();
        assert!(path.exists());
        let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        pool.close().await;
        for suffix in ["", "-shm", "-wal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    #[test]
    fn busy_and_locked_are_told_from_other_errors() {
        assert!(is_busy(&sqlx::Error::PoolTimedOut));
        assert!(!is_busy(&sqlx::Error::RowNotFound));
        assert!(matches!(
            StoreError::from(sqlx::Error::PoolTimedOut),
            StoreError::Busy
        ));
    }

    #[tokio::test]
    async fn unopenable_database_is_an_error_not_a_panic() {
        let pool = connect_lazy("sqlite:/nonexistent-dir/x/y.sqlite").unwrap();
        assert!(ping(&pool).await.is_err());
        let settings = Settings::from_defaults();
        let error = prepare(&pool, &settings).await.unwrap_err();
        assert!(error.to_string().contains("database_url"), "{error}");
    }

    #[test]
    fn in_memory_urls() {
        assert!(is_in_memory("sqlite::memory:"));
        assert!(is_in_memory("sqlite:file:x?mode=memory&cache=shared"));
        assert!(!is_in_memory("sqlite:mo.sqlite"));
    }
}
