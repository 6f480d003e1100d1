//! The SQLite database: a lazily connecting pool (created when missing) and the readiness ping.

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

/// A pool that connects on first use, so start-up never waits for (or fails on) the database.
pub fn connect_lazy(database_url: &str) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(database_url)?.create_if_missing(true);
    Ok(SqlitePoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(3))
        .connect_lazy_with(options))
}

/// `SELECT 1`: does the database answer?
pub async fn ping(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(pool).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn in_memory_database_answers() {
        let pool = connect_lazy("sqlite::memory:").unwrap();
        ping(&pool).await.unwrap();
    }

    #[tokio::test]
    async fn file_database_is_created_when_missing() {
        let path = std::env::temp_dir().join(format!("server-db-{}.sqlite", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let pool = connect_lazy(&format!("sqlite:{}", path.display())).unwrap();
        ping(&pool).await.unwrap();
        assert!(path.exists());
        pool.close().await;
        std::fs::remove_file(&path).unwrap();
    }

    #[tokio::test]
    async fn unopenable_database_is_an_error_not_a_panic() {
        let pool = connect_lazy("sqlite:/nonexistent-dir/x/y.sqlite").unwrap();
        assert!(ping(&pool).await.is_err());
    }
}
