//! Which database a `database_url` names, and the pool for it: SQLite (a file, or in-memory) or
//! PostgreSQL, behind one `Any` pool with each backend's connection set-up and transaction starts.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use url::Url;

/// The database behind a `database_url`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite:…`: one file (WAL: many readers, one writer) or `sqlite::memory:`.
    Sqlite,
    /// `postgres://…` or `postgresql://…`: one database for any number of server instances.
    Postgres,
}

impl Backend {
    /// The backend `database_url` names, or why it names none.
    pub fn of(database_url: &str) -> Result<Self, String> {
        if database_url.starts_with("sqlite:") {
            sqlx::sqlite::SqliteConnectOptions::from_str(database_url)
                .map_err(|e| e.to_string())?;
            Ok(Backend::Sqlite)
        } else if database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://")
        {
            sqlx::postgres::PgConnectOptions::from_str(database_url).map_err(|e| e.to_string())?;
            Ok(Backend::Postgres)
        } else {
            Err("must be a sqlite: or postgres:// URL".into())
        }
    }

    /// The backend a connection of the pool talks to.
    pub(super) fn of_connection(conn: &sqlx::AnyConnection) -> Self {
        if conn.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// How a read starts: one snapshot for all its statements (SQLite's deferred transaction takes
    /// one at its first read; PostgreSQL's default, read committed, would take one per statement).
    pub(super) fn begin_read(self) -> &'static str {
        match self {
            Backend::Sqlite => "BEGIN",
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        }
    }

    /// How a write starts: SQLite takes its one write lock at once (`BEGIN IMMEDIATE`); on
    /// PostgreSQL the transaction then takes [`WRITE_LOCK`] (see [`super::begin_write`]).
    pub(super) fn begin_write(self) -> &'static str {
        match self {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        }
    }
}

/// The PostgreSQL advisory lock every write transaction holds until it ends (any number of server
/// instances share it), so writes are serialised as on SQLite: each RBAC decision and tree check
/// sees every earlier write and nothing changes under it. The key is arbitrary but fixed ("MO").
pub(super) const WRITE_LOCK: &str = "SELECT pg_advisory_xact_lock(19791)";

/// The pool's limits and waits (settings `database_*`).
#[derive(Debug, Clone, Copy)]
pub struct PoolLimits {
    /// Connections at most (an in-memory SQLite database always gets exactly one).
    pub max_connections: u32,
    /// How long a request waits for a free connection (or a new one to open) before it gets 503.
    pub acquire_timeout: Duration,
    /// How long a statement waits for another transaction's lock before it fails (SQLite's busy
    /// timeout, PostgreSQL's `lock_timeout`).
    pub lock_timeout: Duration,
}

/// `sqlite::memory:` or `mode=memory`: a database that lives only inside this process.
pub fn is_in_memory(database_url: &str) -> bool {
    database_url.contains(":memory:") || database_url.contains("mode=memory")
}

/// `database_url` with any password replaced by `***`, for logs and error messages.
pub fn redacted(database_url: &str) -> String {
    match Url::parse(database_url) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => database_url.to_owned(),
    }
}

/// A SQLite file URL that creates the file when missing (`mode=rwc`) unless it names a mode.
fn with_create_mode(database_url: &str) -> String {
    if database_url.contains("mode=") || is_in_memory(database_url) {
        database_url.to_owned()
    } else if database_url.contains('?') {
        format!("{database_url}&mode=rwc")
    } else {
        format!("{database_url}?mode=rwc")
    }
}

/// A pool that connects on first use, so start-up never waits for (or fails on) the database;
/// a connection lost later is replaced on a later request. Every new connection is set up for its
/// backend: SQLite with foreign keys, the busy timeout and (files) WAL; PostgreSQL with the lock
/// timeout.
pub fn connect_lazy(
    database_url: &str,
    backend: Backend,
    limits: PoolLimits,
) -> Result<AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let url = match backend {
        Backend::Sqlite => with_create_mode(database_url),
        Backend::Postgres => database_url.to_owned(),
    };
    let options = AnyConnectOptions::from_str(&url)?;
    let in_memory = backend == Backend::Sqlite && is_in_memory(database_url);
    let lock_ms = limits.lock_timeout.as_millis();
    let set_up = match backend {
        Backend::Sqlite if in_memory => {
            format!("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {lock_ms};")
        }
        Backend::Sqlite => format!(
            "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {lock_ms}; \
             PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
        ),
        Backend::Postgres => format!("SET lock_timeout = {lock_ms}"),
    };
    let pool = AnyPoolOptions::new()
        .acquire_timeout(limits.acquire_timeout)
        .after_connect(move |conn, _| {
            let set_up = set_up.clone();
            Box::pin(async move {
                conn.execute(set_up.as_str()).await?;
                Ok(())
            })
        });
    // An in-memory database exists only while a connection to it is open: exactly one that never
    // expires.
    Ok(if in_memory {
        pool.max_connections(1)
            .idle_timeout(None::<Duration>)
            .max_lifetime(None::<Duration>)
            .connect_lazy_with(options)
    } else {
        pool.max_connections(limits.max_connections)
            .connect_lazy_with(options)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_are_told_by_scheme_and_bad_urls_say_why() {
        assert_eq!(Backend::of("sqlite:mo.sqlite"), Ok(Backend::Sqlite));
        assert_eq!(Backend::of("sqlite::memory:"), Ok(Backend::Sqlite));
        assert_eq!(
            Backend::of("postgres://mo:pw@db.internal:5432/mo"),
            Ok(Backend::Postgres)
        );
        assert_eq!(
            Backend::of("postgresql://mo@localhost/mo?sslmode=require"),
            Ok(Backend::Postgres)
        );
        assert!(Backend::of("mysql://x").unwrap_err().contains("sqlite:"));
        assert!(Backend::of("postgres://x/y?sslmode=nonsense").is_err());
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redacted("postgres://mo:s3cret@db:5432/mo"),
            "postgres://mo:***@db:5432/mo"
        );
        assert_eq!(redacted("postgres://mo@db/mo"), "postgres://mo@db/mo");
        assert_eq!(redacted("sqlite:mo.sqlite"), "sqlite:mo.sqlite");
    }

    #[test]
    fn sqlite_files_are_created_unless_a_mode_is_named() {
        assert_eq!(
            with_create_mode("sqlite:mo.sqlite"),
            "sqlite:mo.sqlite?mode=rwc"
        );
        assert_eq!(
            with_create_mode("sqlite:mo.sqlite?cache=shared"),
            "sqlite:mo.sqlite?cache=shared&mode=rwc"
        );
        assert_eq!(
            with_create_mode("sqlite:mo.sqlite?mode=ro"),
            "sqlite:mo.sqlite?mode=ro"
        );
        assert_eq!(with_create_mode("sqlite::memory:"), "sqlite::memory:");
    }

    #[test]
    fn in_memory_urls() {
        assert!(is_in_memory("sqlite::memory:"));
        assert!(is_in_memory("sqlite:file:x?mode=memory&cache=shared"));
        assert!(!is_in_memory("sqlite:mo.sqlite"));
    }
}
