//! The org-unit API's edges with real tokens: bad input is JSON naming the field, refused writes
//! leave every row as it was, two PATCHes of one version race to exactly one winner, and with
//! RBAC switched off any authenticated caller writes.

use e2e::TestResult;
use e2e::app::{AppServer, settings_for};
use e2e::database;
use e2e::idp::Idp;
use e2e::org_api::{Client, ELINE_UNIT, Org, named, race, writes};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn bad_input_is_a_json_error_naming_the_field() -> TestResult {
    let org = Org::start().await?;
    let alvida = org.client("alvida").await?;
    let unit = alvida.unit_named("Sundhedsplejen").await?;
    let path = format!("/api/v1/org-units/{}", unit.uuid);
    let json = "application/json";
    let long = "x".repeat(201);
    let cases: Vec<(&str, Method, String, &str, String, StatusCode, &str)> = vec![
        (
            "not a uuid",
            Method::GET,
            "/api/v1/org-units/nope".into(),
            json,
            String::new(),
            StatusCode::BAD_REQUEST,
            "uuid",
        ),
        (
            "bad person",
            Method::PUT,
            format!("{path}/owners/nope"),
            json,
            String::new(),
            StatusCode::BAD_REQUEST,
            "person_uuid",
        ),
        (
            "malformed JSON",
            Method::POST,
            "/api/v1/org-units".into(),
            json,
            "{\"name\":".into(),
            StatusCode::BAD_REQUEST,
            "body",
        ),
        (
            "not JSON",
            Method::POST,
            "/api/v1/org-units".into(),
            "text/plain",
            "{\"name\":\"x\"}".into(),
            StatusCode::BAD_REQUEST,
            "body",
        ),
        (
            "no name",
            Method::POST,
            "/api/v1/org-units".into(),
            json,
            "{}".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            "blank name",
            Method::POST,
            "/api/v1/org-units".into(),
            json,
            "{\"name\":\"  \"}".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            "long name",
            Method::POST,
            "/api/v1/org-units".into(),
            json,
            json!({"name": long}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            "name not a string",
            Method::POST,
            "/api/v1/org-units".into(),
            json,
            "{\"name\":1}".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            "parent not a uuid",
            Method::POST,
            "/api/v1/org-units".into(),
            json,
            "{\"name\":\"x\",\"parent\":\"p\"}".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "parent",
        ),
        (
            "unknown parent",
            Method::POST,
            "/api/v1/org-units".into(),
            json,
            json!({"name": "x", "parent": uuid::Uuid::new_v4()}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "parent",
        ),
        (
            "unknown field",
            Method::POST,
            "/api/v1/org-units".into(),
            json,
            "{\"name\":\"x\",\"color\":1}".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "color",
        ),
        (
            "no version",
            Method::PATCH,
            path.clone(),
            json,
            "{\"name\":\"x\"}".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "version",
        ),
        (
            "nothing to change",
            Method::PATCH,
            path.clone(),
            json,
            "{\"version\":1}".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "body",
        ),
        (
            "empty new name",
            Method::PATCH,
            path.clone(),
            json,
            "{\"name\":\"\",\"version\":1}".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            "a bidi override in a new unit's name",
            Method::POST,
            "/api/v1/org-units".into(),
            json,
            json!({"name": "Skole\u{202E}gnidlaB"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            "a zero-width space in a new name",
            Method::PATCH,
            path.clone(),
            json,
            json!({"name": "Sundheds\u{200B}plejen", "version": unit.version}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            "unknown new parent",
            Method::PATCH,
            path.clone(),
            json,
            json!({"parent": uuid::Uuid::new_v4(), "version": 1}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "parent",
        ),
    ];
    for (case, method, path, content_type, body, status, field) in cases {
        let answer = alvida.raw(method, &path, content_type, &body).await?;
        let error: api::ErrorBody = serde_json::from_value(answer.expect(status, case)?)?;
        assert_eq!(
            error.field.as_deref(),
            Some(field),
            "{case}: {}",
            error.description
        );
    }
    let stored = alvida.units().await?;
    assert!(
        !stored
            .iter()
            .any(|u| u.name.chars().any(model::is_forbidden_in_unit_name)),
        "a refused name was stored"
    );
    let unknown = format!("/api/v1/org-units/{}", uuid::Uuid::new_v4());
    for method in [Method::GET, Method::DELETE] {
        let answer = alvida.call(method, &unknown, None).await?;
        answer.expect_error(StatusCode::NOT_FOUND, "not_found", "unknown unit")?;
    }
    let patch = alvida
        .call(
            Method::PATCH,
            &unknown,
            Some(&json!({"name": "x", "version": 1})),
        )
        .await?;
    patch.expect_error(StatusCode::NOT_FOUND, "not_found", "patch unknown unit")?;
    let wrong_method = alvida.call(Method::PUT, "/api/v1/org-units", None).await?;
    wrong_method.expect_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "PUT on the list",
    )?;
    Ok(())
}

/// Everything a client can read: every unit and every employee.
async fn state_of(client: &Client) -> TestResult<Value> {
    Ok(json!({"units": client.units().await?, "employees": client.employees().await?}))
}

#[tokio::test]
async fn a_rejected_write_changes_nothing() -> TestResult {
    let org = Org::start().await?;
    let alvida = org.client("alvida").await?;
    let eline = org.client("eline").await?;
    let units = alvida.units().await?;
    let before = state_of(&alvida).await?;
    let hers = named(&units, ELINE_UNIT)?;
    let root = named(&units, "Kolding Kommune")?;
    let child = named(&units, "Ældre og Sundhed")?;
    let stale = api::OrgUnit {
        version: hers.version + 5,
        ..hers.clone()
    };

    let refused = [
        (
            eline.patch(root, json!({"name": "Ny"})).await?,
            StatusCode::FORBIDDEN,
        ),
        (
            eline
                .patch(hers, json!({"name": "Ny", "parent": null}))
                .await?,
            StatusCode::FORBIDDEN,
        ),
        (eline.delete(root.uuid).await?, StatusCode::FORBIDDEN),
        (
            alvida.patch(&stale, json!({"name": "Ny"})).await?,
            StatusCode::CONFLICT,
        ),
        (
            alvida
                .patch(hers, json!({"name": "Ny", "parent": child.uuid}))
                .await?,
            StatusCode::CONFLICT,
        ),
        (alvida.delete(hers.uuid).await?, StatusCode::CONFLICT),
        (
            alvida
                .patch(hers, json!({"name": " ", "parent": null}))
                .await?,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            alvida.owner(true, hers.uuid, uuid::Uuid::new_v4()).await?,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            alvida.create("Ny", Some(uuid::Uuid::new_v4())).await?,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (i, (answer, status)) in refused.into_iter().enumerate() {
        answer.expect(status, &format!("refused write #{i}"))?;
    }
    assert_eq!(
        state_of(&alvida).await?,
        before,
        "no refused write left a trace"
    );
    Ok(())
}

#[tokio::test]
async fn two_patches_of_one_version_give_one_200_and_one_409() -> TestResult {
    let idp = Idp::start().await?;
    // On SQLite: the harness's in-memory database (one connection) and a WAL file with several
    // connections; on PostgreSQL a database of its own.
    let file = std::env::temp_dir().join(format!("mo-e2e-race-{}.sqlite", std::process::id()));
    let remove_file = || {
        for suffix in ["", "-shm", "-wal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    };
    remove_file();
    let databases = if database::postgres_selected()? {
        vec![database::for_test(String::new()).await?]
    } else {
        vec![
            "sqlite::memory:".to_owned(),
            format!("sqlite:{}", file.display()),
        ]
    };
    for database_url in databases {
        let mut settings = settings_for(&idp);
        settings.database_url = database_url.clone();
        let server = AppServer::start(settings).await?;
        let alvida = Client::login(&idp, &server.origin, "alvida").await?;
        let result = race(&alvida, &alvida, 8).await;
        drop(server);
        remove_file();
        result.map_err(|e| format!("{database_url}: {e}"))?;
    }
    Ok(())
}

#[tokio::test]
async fn with_rbac_disabled_any_authenticated_caller_writes() -> TestResult {
    let idp = Idp::start().await?;
    let mut settings = settings_for(&idp);
    settings.keycloak_rbac_enabled = false;
    let server = AppServer::start(settings).await?;
    let bruce = Client::login(&idp, &server.origin, "bruce").await?;
    assert_eq!(
        bruce.me().await?.access.role,
        api::AccountRole::EveryoneWrites
    );
    let units = bruce.units().await?;
    assert!(units.iter().all(|u| writes(&u.permissions)));
    let created = bruce.create("Bruces afdeling", None).await?;
    created.expect(StatusCode::CREATED, "bruce creates a top-level unit")?;
    Ok(())
}
