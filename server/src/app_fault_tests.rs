//! Fault tests of the whole app: a database locked by another connection (503 + Retry-After or a
//! delayed but complete write, never a partial one) and oversized request headers (431 up front).

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, RETRY_AFTER};
use serde_json::json;
use sqlx::{Connection, SqliteConnection};

use super::*;
use crate::test_support::{JwksServer, claims, keys, mint};

/// The app on a SQLite file, prepared (migrated and seeded), with an admin token.
struct Fixture {
    base: String,
    http: reqwest::Client,
    admin: String,
    /// A signed-in caller without a write role (like bruce).
    reader: String,
    database: std::path::PathBuf,
    _jwks: JwksServer,
}

impl Fixture {
    async fn start(name: &str) -> Self {
        let jwks = JwksServer::start(&[&keys()[0]]).await;
        let database =
            std::env::temp_dir().join(format!("server-fault-{name}-{}.sqlite", std::process::id()));
        remove_database(&database);
        let mut settings = jwks.settings();
        settings.database_url = format!("sqlite:{}", database.display());
        settings.seed_realm_file = "".into();
        let state = AppState::new(settings).unwrap();
        state.prepare_database().await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app(state)).await.unwrap() });
        let mut admin = claims(&jwks.issuer());
        admin["realm_access"] = json!({"roles": ["admin"]});
        let mut reader = claims(&jwks.issuer());
        reader["realm_access"] = json!({"roles": []});
        Self {
            base,
            http: reqwest::Client::new(),
            admin: mint(&keys()[0], &admin),
            reader: mint(&keys()[0], &reader),
            database,
            _jwks: jwks,
        }
    }

    fn url(&self) -> String {
        format!("sqlite:{}", self.database.display())
    }

    /// Every row of both tables, as text, in a fixed order: equal means byte-identical data.
    async fn dump(&self) -> Vec<String> {
        let mut conn = SqliteConnection::connect(&self.url()).await.unwrap();
        let units: Vec<(String, String, Option<String>, i64)> =
            sqlx::query_as("SELECT uuid, name, parent, version FROM org_units ORDER BY uuid")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        let owners: Vec<(String, String)> =
            sqlx::query_as("SELECT unit, person FROM org_unit_owners ORDER BY unit, person")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        units
            .iter()
            .map(|u| format!("{u:?}"))
            .chain(owners.iter().map(|o| format!("{o:?}")))
            .collect()
    }

    /// Some unit and its version.
    async fn a_unit(&self) -> (String, i64) {
        let mut conn = SqliteConnection::connect(&self.url()).await.unwrap();
        sqlx::query_as("SELECT uuid, version FROM org_units ORDER BY name LIMIT 1")
            .fetch_one(&mut conn)
            .await
            .unwrap()
    }

    async fn rename(&self, unit: &str, name: &str, version: i64) -> reqwest::Response {
        self.http
            .patch(format!("{}/api/v1/org-units/{unit}", self.base))
            .bearer_auth(&self.admin)
            .json(&json!({"name": name, "version": version}))
            .send()
            .await
            .unwrap()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        remove_database(&self.database);
    }
}

fn remove_database(path: &std::path::Path) {
    for suffix in ["", "-shm", "-wal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// Another connection that holds SQLite's write lock (`BEGIN EXCLUSIVE`) until it is dropped or
/// ends its transaction.
async fn lock_database(url: &str) -> SqliteConnection {
    let mut conn = SqliteConnection::connect(url).await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut conn)
        .await
        .unwrap();
    conn
}

#[tokio::test]
async fn a_write_to_a_locked_database_is_503_with_retry_after_and_writes_nothing() {
    let app = Fixture::start("locked").await;
    let (unit, version) = app.a_unit().await;
    let before = app.dump().await;
    let mut holder = lock_database(&app.url()).await;

    let started = Instant::now();
    let response = app.rename(&unit, "Renamed while locked", version).await;
    let waited = started.elapsed();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()[RETRY_AFTER], "1");
    let body: api::ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error, "temporarily_unavailable");
    assert!(body.description.contains("nothing was written"), "{body:?}");
    // The write waited for the lock (busy_timeout, 5 s) before giving up, and not much longer.
    assert!(
        (Duration::from_secs(4)..Duration::from_secs(9)).contains(&waited),
        "answered after {waited:?}"
    );

    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    drop(holder);
    assert_eq!(app.dump().await, before, "the data is byte-identical");
    // The same request succeeds once the lock is gone: the refusal was not a stale version.
    let response = app.rename(&unit, "Renamed after the lock", version).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_caller_without_a_write_role_is_refused_at_once_even_while_the_database_is_locked() {
    let app = Fixture::start("reader").await;
    let (unit, _) = app.a_unit().await;
    let holder = lock_database(&app.url()).await;
    let started = Instant::now();
    let response = app
        .http
        .delete(format!("{}/api/v1/org-units/{unit}", app.base))
        .bearer_auth(&app.reader)
        .send()
        .await
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: api::ErrorBody = response.json().await.unwrap();
    assert!(body.description.contains("no_write_role"), "{body:?}");
    // No write transaction was opened: no wait for the lock (SQLite's busy timeout is 5 s).
    assert!(waited < Duration::from_secs(1), "answered after {waited:?}");
    drop(holder);
}

#[tokio::test]
async fn a_write_waits_for_a_lock_released_within_the_busy_timeout_and_is_fully_applied() {
    let app = Fixture::start("released").await;
    let (unit, version) = app.a_unit().await;
    let before = app.dump().await;
    let mut holder = lock_database(&app.url()).await;

    let request = {
        let (http, admin) = (app.http.clone(), app.admin.clone());
        let url = format!("{}/api/v1/org-units/{unit}", app.base);
        tokio::spawn(async move {
            http.patch(url)
                .bearer_auth(admin)
                .json(&json!({"name": "Renamed after waiting", "version": version}))
                .send()
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!request.is_finished(), "the write waits for the lock");
    sqlx::query("COMMIT").execute(&mut holder).await.unwrap();

    let response = request.await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let changed: api::OrgUnit = response.json().await.unwrap();
    assert_eq!(changed.name, "Renamed after waiting");
    assert_eq!(changed.version, version + 1);
    let after = app.dump().await;
    let differing: Vec<_> = after.iter().filter(|row| !before.contains(row)).collect();
    assert_eq!(
        differing.len(),
        1,
        "exactly the renamed row changed: {differing:?}"
    );
    assert!(differing[0].contains("Renamed after waiting"));
}

#[test]
fn busy_and_locked_sqlite_errors_are_503_and_others_are_500() {
    let e = Error::from(sqlx::Error::PoolTimedOut);
    assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
    let e = Error::from(sqlx::Error::RowNotFound);
    assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn oversized_headers_are_431_before_any_token_check() {
    let jwks = JwksServer::start(&[&keys()[0]]).await;
    let settings = jwks.settings();
    let limit = max_header_bytes(&settings);
    assert_eq!(limit, 32 * 1024, "the default limit");
    let state = AppState::new(settings).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app(state)).await.unwrap() });
    let http = reqwest::Client::new();
    let good = mint(&keys()[0], &claims(&jwks.issuer()));

    for (case, value) in [
        ("64 KB bearer", format!("Bearer {}", "a".repeat(64 * 1024))),
        (
            "bearer one byte past the limit",
            format!("Bearer {}", "a".repeat(limit)),
        ),
    ] {
        let started = Instant::now();
        let response = http
            .get(format!("{base}/api/v1/me"))
            .header(AUTHORIZATION, value)
            .send()
            .await
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(2), "{case}: quick");
        assert_eq!(
            response.status(),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "{case}"
        );
        assert!(
            response.headers().get("www-authenticate").is_none(),
            "{case}"
        );
        let body: api::ErrorBody = response.json().await.unwrap();
        assert_eq!(body.error, "request_header_fields_too_large", "{case}");
    }
    // Many small headers count too.
    let mut request = http.get(format!("{base}/health/live"));
    for i in 0..40 {
        request = request.header(format!("x-filler-{i}"), "f".repeat(1000));
    }
    let response = request.send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    assert_eq!(
        jwks.fetches(),
        0,
        "no token was checked, so no keys were fetched"
    );

    // Just under the limit is served.
    let response = http
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
