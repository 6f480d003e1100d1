//! Several server instances on one PostgreSQL behind nginx (deploy/nginx-mo.conf), each a real
//! process: they migrate and seed once, agree on every write (two instances racing on one
//! version), keep answering when one is killed, and ride out a PostgreSQL restart with 503s.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use e2e::TestResult;
use e2e::cluster::{Cluster, Instance};
use e2e::database::{self, OwnPostgres};
use e2e::idp::IdpOptions;
use e2e::org_api::{Client, race};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::{Connection, PgConnection};

const BINARY: &str = env!("CARGO_BIN_EXE_server-instance");

/// A cluster of `n` instances on a fresh database of the run's PostgreSQL.
async fn cluster(n: usize) -> TestResult<Cluster> {
    let database_url = database::fresh_postgres_database(&database::shared_postgres()?).await?;
    Cluster::start(BINARY, n, database_url, IdpOptions::default()).await
}

/// How many units server/demo-organisation.json describes.
fn demo_units() -> TestResult<usize> {
    fn count(units: &serde_json::Value) -> usize {
        units.as_array().map_or(0, |units| {
            units.iter().map(|unit| 1 + count(&unit["children"])).sum()
        })
    }
    let path = e2e::repo_root().join("server/demo-organisation.json");
    let demo: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    Ok(count(&demo["units"]))
}

#[tokio::test]
async fn three_instances_starting_at_once_migrate_once_seed_once_and_agree() -> TestResult {
    let cluster = cluster(3).await?;
    let mut db = PgConnection::connect(&cluster.settings.database_url).await?;
    let (migrations,): (i64,) = sqlx::query_as("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&mut db)
        .await?;
    assert_eq!(migrations as usize, server::store::MIGRATOR.iter().count());
    let (units,): (i64,) = sqlx::query_as("SELECT count(*) FROM org_units")
        .fetch_one(&mut db)
        .await?;
    assert_eq!(units as usize, demo_units()?, "the demo seeded once");
    let (employees,): (i64,) = sqlx::query_as("SELECT count(*) FROM employees")
        .fetch_one(&mut db)
        .await?;
    assert_eq!(employees, 3, "the realm's three people, once");
    db.close().await?;

    // A write through one instance is what every instance and nginx then read.
    let first = Client::login(&cluster.idp, &cluster.instances[0].origin(), "alvida").await?;
    let created = first.create("Made on the first instance", None).await?;
    let created = created.expect(StatusCode::CREATED, "create")?;
    let mut lists = Vec::new();
    for origin in cluster
        .instances
        .iter()
        .map(Instance::origin)
        .chain([cluster.nginx.origin()])
    {
        let client = Client::login(&cluster.idp, &origin, "bruce").await?;
        let units = client.units().await?;
        assert!(units.iter().any(|u| u.uuid.to_string() == created["uuid"]));
        lists.push(serde_json::to_value(units)?);
    }
    assert!(
        lists.windows(2).all(|w| w[0] == w[1]),
        "every instance answers the same list"
    );
    Ok(())
}

#[tokio::test]
async fn two_clients_on_two_instances_race_on_one_version_50_times() -> TestResult {
    let cluster = cluster(2).await?;
    let a = Client::login(&cluster.idp, &cluster.instances[0].origin(), "alvida").await?;
    let b = Client::login(&cluster.idp, &cluster.instances[1].origin(), "alvida").await?;
    race(&a, &b, 50).await
}

#[tokio::test]
async fn nginx_spreads_requests_and_a_killed_instance_is_skipped_then_back() -> TestResult {
    let mut cluster = cluster(2).await?;
    let via_nginx = Client::login(&cluster.idp, &cluster.nginx.origin(), "alvida").await?;
    for _ in 0..40 {
        via_nginx.units().await?;
    }
    // Requests without a DPoP proof are spread at random: each instance gets a fair share (8 or
    // fewer of 40 has a chance of about 1 in 10 000).
    for instance in &cluster.instances {
        let served = instance.api_requests().await?;
        assert!(
            served >= 9.0,
            "spread: instance {} answered {served} of 40",
            instance.port
        );
    }

    // Reads through nginx keep being answered while one instance is killed and is away.
    let reader = tokio::spawn(async move {
        let mut statuses: HashMap<u16, usize> = HashMap::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(6) {
            let answer = via_nginx
                .call(reqwest::Method::GET, "/api/v1/org-units", None)
                .await;
            let status = answer.map_or(0, |a| a.status.as_u16());
            *statuses.entry(status).or_default() += 1;
        }
        statuses
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    cluster.instances[0].kill().await?;
    let survivor = Client::login(&cluster.idp, &cluster.instances[1].origin(), "alvida").await?;
    survivor
        .create("Made while the first instance is down", None)
        .await?
        .expect(StatusCode::CREATED, "write to the survivor")?;
    let statuses = reader.await?;
    println!("reads through nginx around the kill: {statuses:?}");
    assert_eq!(
        statuses.keys().copied().collect::<Vec<_>>(),
        vec![200],
        "{statuses:?}"
    );

    // The killed instance starts again with the same command and serves, no manual steps.
    cluster.instances[0].start_again()?;
    cluster.instances[0].wait_ready().await?;
    let back = Client::login(&cluster.idp, &cluster.instances[0].origin(), "bruce").await?;
    assert!(
        back.units()
            .await?
            .iter()
            .any(|u| u.name == "Made while the first instance is down"),
        "the restarted instance reads what was written while it was away"
    );
    Ok(())
}

#[tokio::test]
async fn a_dpop_proof_replayed_through_nginx_is_refused_whichever_instance_is_next() -> TestResult {
    let cluster = cluster(2).await?;
    let nginx = cluster.nginx.origin();
    let idp = &cluster.idp;
    let token = idp
        .code_flow_tokens("eline", &format!("{nginx}/callback"))
        .await?;
    let url = format!("{nginx}/api/v1/me");
    let http = reqwest::Client::new();
    let send = |proof: String| {
        http.get(&url)
            .header("Authorization", format!("DPoP {}", token.access_token))
            .header("DPoP", proof)
            .send()
    };
    for round in 0..20 {
        let proof = idp.dpop.proof("GET", &url, Some(&token.access_token));
        let first = send(proof.clone()).await?.status();
        assert_eq!(first, StatusCode::OK, "round {round}");
        let replay = send(proof).await?;
        assert_eq!(replay.status(), StatusCode::UNAUTHORIZED, "round {round}");
        let body: api::ErrorBody = replay.json().await?;
        assert!(body.description.contains("used before"), "{body:?}");
    }
    // The proofs were spread over both instances, each refusing its own replays.
    for instance in &cluster.instances {
        let served = instance.api_requests().await?;
        assert!(
            served >= 4.0,
            "instance {} answered {served} of 40",
            instance.port
        );
    }
    Ok(())
}

#[tokio::test]
async fn clients_that_hang_up_mid_request_leave_no_transaction_open() -> TestResult {
    let cluster = cluster(1).await?;
    let origin = cluster.instances[0].origin();
    let admin = Client::login(&cluster.idp, &origin, "alvida").await?;
    let token = cluster.idp.password_token("alvida").await?.access_token;
    // Requests abandoned 0-20 ms after they were sent, 32 at a time: the server is
    // cut off at every stage of its read (BEGIN, the reads, COMMIT), as when a load test ends or
    // a tab closes.
    let request = format!(
        "GET /api/v1/org-units HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    let addr = format!("127.0.0.1:{}", cluster.instances[0].port);
    for round in 0..40u64 {
        let mut abandoned = tokio::task::JoinSet::new();
        for i in 0..32u64 {
            let (request, addr) = (request.clone(), addr.clone());
            let after = Duration::from_micros((round * 32 + i) * 137 % 20_000);
            abandoned.spawn(async move {
                use tokio::io::AsyncWriteExt;
                let mut socket = tokio::net::TcpStream::connect(addr).await?;
                socket.write_all(request.as_bytes()).await?;
                tokio::time::sleep(after).await;
                drop(socket);
                Ok::<(), std::io::Error>(())
            });
        }
        for done in abandoned.join_all().await {
            done?;
        }
        // A connection left inside an abandoned read would make the next write on it fail.
        let mut writes = tokio::task::JoinSet::new();
        for i in 0..8 {
            let admin = admin.clone();
            writes.spawn(async move {
                // 503 + Retry-After is the pool's back-pressure while the abandoned reads finish
                // (they run to completion now); only that or a 201 is right.
                loop {
                    let answer = admin
                        .create(&format!("Round {round} write {i}"), None)
                        .await?;
                    if answer.status != StatusCode::SERVICE_UNAVAILABLE {
                        return TestResult::Ok(answer);
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            });
        }
        for answer in writes.join_all().await {
            answer?.expect(
                StatusCode::CREATED,
                &format!("a write after hang-ups, round {round}"),
            )?;
        }
    }
    let mut db = PgConnection::connect(&cluster.settings.database_url).await?;
    let (open,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM pg_stat_activity \
         WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
    )
    .fetch_one(&mut db)
    .await?;
    assert_eq!(open, 0, "connections left idle in a transaction");
    db.close().await?;
    Ok(())
}

/// One writer's tally: answers by status, and the names sent in 200s and in 503s.
#[derive(Default, Debug)]
struct Tally {
    statuses: HashMap<u16, usize>,
    written: Vec<String>,
    maybe_written: Vec<String>,
}

/// Renames its own unit as fast as it can for `run_for`, learning the version again after a 503.
async fn rename_loop(client: Client, unit: uuid::Uuid, run_for: Duration) -> TestResult<Tally> {
    let mut tally = Tally::default();
    let started = Instant::now();
    let mut current: Option<api::OrgUnit> = None;
    let mut n = 0;
    while started.elapsed() < run_for {
        let Some(unit_now) = current.clone() else {
            let answer = client
                .call(
                    reqwest::Method::GET,
                    &format!("/api/v1/org-units/{unit}"),
                    None,
                )
                .await?;
            *tally.statuses.entry(answer.status.as_u16()).or_default() += 1;
            if answer.status == StatusCode::OK {
                current = Some(serde_json::from_value(answer.body)?);
            } else {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            continue;
        };
        n += 1;
        let name = format!("Restart writer {unit} #{n}");
        let answer = client.patch(&unit_now, json!({"name": name})).await?;
        *tally.statuses.entry(answer.status.as_u16()).or_default() += 1;
        match answer.status {
            StatusCode::OK => {
                current = Some(serde_json::from_value(answer.body)?);
                tally.written.push(name);
            }
            _ => {
                if answer.status == StatusCode::SERVICE_UNAVAILABLE {
                    tally.maybe_written.push(name);
                }
                current = None;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    Ok(tally)
}

#[tokio::test]
async fn a_postgres_restart_under_load_is_503_then_everything_works_again() -> TestResult {
    let mut postgres = OwnPostgres::start().await?;
    let database_url = database::fresh_postgres_database(&postgres.superuser_url()).await?;
    let cluster = Cluster::start(BINARY, 2, database_url, IdpOptions::default()).await?;
    let admin = Client::login(&cluster.idp, &cluster.nginx.origin(), "alvida").await?;
    let mut writers = Vec::new();
    for i in 0..4 {
        let unit = admin
            .create(&format!("Restart test unit {i}"), None)
            .await?
            .expect(StatusCode::CREATED, "create")?;
        let uuid: uuid::Uuid = serde_json::from_value(unit["uuid"].clone())?;
        let client = Client::login(&cluster.idp, &cluster.nginx.origin(), "alvida").await?;
        writers.push((
            uuid,
            tokio::spawn(rename_loop(client, uuid, Duration::from_secs(14))),
        ));
    }

    tokio::time::sleep(Duration::from_secs(3)).await;
    postgres.stop().await?;
    let gap = Instant::now();
    // While it is down: readiness names the database, reads are 503 with Retry-After.
    let ready = reqwest::get(format!("{}/health/ready", cluster.instances[0].origin())).await?;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let ready: api::Readiness = ready.json().await?;
    assert_eq!(ready.missing, vec!["database".to_owned()]);
    let down = admin
        .call(reqwest::Method::GET, "/api/v1/org-units", None)
        .await?;
    assert_eq!(
        down.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{:?}",
        down.body
    );
    tokio::time::sleep(Duration::from_secs(3).saturating_sub(gap.elapsed())).await;
    postgres.start_again().await?;
    println!("PostgreSQL was down for {:?}", gap.elapsed());

    let mut db = PgConnection::connect(&cluster.settings.database_url).await?;
    for (uuid, writer) in writers {
        let tally = writer.await??;
        println!("{uuid}: {:?}", tally.statuses);
        let unexpected: Vec<_> = tally
            .statuses
            .keys()
            .filter(|s| ![200, 503].contains(*s))
            .collect();
        assert!(
            unexpected.is_empty(),
            "only 200 and 503: {:?}",
            tally.statuses
        );
        assert!(
            tally.statuses.contains_key(&503),
            "the gap was seen: {:?}",
            tally.statuses
        );
        // Nothing lost, nothing half-done: the stored row is one whole write, the last 200 or a
        // later write whose 503 came after its commit.
        let (name, version): (String, i32) =
            sqlx::query_as("SELECT name, version FROM org_units WHERE uuid = $1")
                .bind(uuid.to_string())
                .fetch_one(&mut db)
                .await?;
        let last_ok = tally.written.last().ok_or("a write succeeded")?;
        assert!(
            name == *last_ok || tally.maybe_written.contains(&name),
            "stored {name:?}, last 200 {last_ok:?}"
        );
        let committed = tally.written.len() as i32;
        assert!(
            (1 + committed..=1 + committed + tally.maybe_written.len() as i32).contains(&version),
            "version {version} after {committed} acknowledged writes"
        );
    }
    db.close().await?;

    // Without restarting the servers: ready again, reads and writes answered.
    for instance in &cluster.instances {
        let ready = reqwest::get(format!("{}/health/ready", instance.origin())).await?;
        assert_eq!(
            ready.status(),
            StatusCode::OK,
            "instance {} ready",
            instance.port
        );
    }
    admin
        .create("After the restart", None)
        .await?
        .expect(StatusCode::CREATED, "a write after the restart")?;
    Ok(())
}
