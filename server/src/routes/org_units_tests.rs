//! The org-unit routes in-process with minted tokens: claims Keycloak does not issue with this realm (an owner
//! without a uuid) and the app as tests build it (`AppState::new` + `prepare_database` + `app`).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::test_support::{JwksServer, claims, keys, mint};
use crate::{AppState, app};

/// The app's state on a fresh database seeded from the dev realm, trusting `server`'s keys.
async fn seeded_state(server: &JwksServer) -> AppState {
    let mut settings = server.settings();
    settings.seed_realm_file =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../realm/mo-realm.json");
    let state = AppState::new(settings).unwrap();
    state.prepare_database().await.unwrap();
    state
}

#[tokio::test]
async fn org_units_after_prepare_database_with_minted_tokens() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let state = seeded_state(&server).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/api/v1/org-units", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app(state)).await.unwrap() });
    let http = reqwest::Client::new();
    let token_with = |changes: Value| {
        let mut c = claims(&server.issuer());
        for (k, v) in changes.as_object().unwrap() {
            c[k] = v.clone();
        }
        mint(&keys()[0], &c)
    };
    // A token this realm never issues: the owner role without a uuid claim.
    let owner_without_uuid =
        token_with(json!({"realm_access": {"roles": ["owner"]}, "uuid": null}));
    let units: Vec<api::OrgUnit> = http
        .get(&base)
        .bearer_auth(&owner_without_uuid)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refused = api::Verdict::Refused {
        rule: api::Rule::OwnerWithoutUuid,
    };
    assert!(units.len() >= 15 && units.iter().all(|u| u.permissions.update == refused));
    let r = http
        .post(&base)
        .bearer_auth(&owner_without_uuid)
        .json(&json!({"name": "Ny", "parent": units[0].uuid}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: api::ErrorBody = r.json().await.unwrap();
    assert!(
        body.description.starts_with("owner_without_uuid: "),
        "{}",
        body.description
    );
    assert_eq!(
        body.rule,
        Some(api::Rule::OwnerWithoutUuid),
        "403 names the rule"
    );
    // The same claims with eline's uuid write under her unit.
    let eline = token_with(
        json!({"realm_access": {"roles": ["owner"]}, "uuid": "1c571f8f-0e3e-4ffa-9ff0-d35505781924"}),
    );
    let hers = units
        .iter()
        .find(|u| u.name == "Social og Sundhed")
        .unwrap();
    let r = http
        .post(&base)
        .bearer_auth(&eline)
        .json(&json!({"name": "Ny", "parent": hers.uuid}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/api/v1/org-units/")
    );
    // The list is kept per generation and kind of caller: after eline's write every caller's
    // list has the new unit, each with its own verdicts, in every encoding.
    let listed = |token: String, accept: &'static str| {
        let request = http
            .get(&base)
            .bearer_auth(token)
            .header("accept-encoding", accept);
        async move {
            let r = request.send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            assert_eq!(r.headers()["vary"], "accept-encoding");
            assert_eq!(r.headers()["cache-control"], "no-store");
            let encoding = r.headers().get("content-encoding").cloned();
            let body = r.bytes().await.unwrap();
            let mut json = Vec::new();
            match encoding.as_ref().map(|v| v.to_str().unwrap()) {
                Some("br") => {
                    std::io::Read::read_to_end(
                        &mut brotli::Decompressor::new(&body[..], 4096),
                        &mut json,
                    )
                    .unwrap();
                }
                Some("gzip") => {
                    std::io::Read::read_to_end(
                        &mut flate2::read::GzDecoder::new(&body[..]),
                        &mut json,
                    )
                    .unwrap();
                }
                Some("zstd") => json = zstd::decode_all(&body[..]).unwrap(),
                None => json = body.to_vec(),
                Some(other) => panic!("unexpected encoding {other}"),
            };
            (
                encoding,
                serde_json::from_slice::<Vec<api::OrgUnit>>(&json).unwrap(),
            )
        }
    };
    for accept in ["zstd", "br", "gzip", "identity", "br"] {
        let (encoding, theirs) = listed(owner_without_uuid.clone(), accept).await;
        assert_eq!(encoding.is_some(), accept != "identity", "{accept}");
        assert_eq!(
            theirs.len(),
            units.len() + 1,
            "{accept}: the new unit is listed"
        );
        assert!(theirs.iter().all(|u| u.permissions.update == refused));
        let (_, hers) = listed(eline.clone(), accept).await;
        let new = hers.iter().find(|u| u.name == "Ny").unwrap();
        assert_eq!(new.permissions.update, api::Verdict::Allowed, "{accept}");
    }
}

/// A polish still waiting out its delay holds no turn (it once held the only one through its
/// wait, so the list of the generation after it stayed unpolished), and one whose generation a
/// write has replaced leaves the kept body alone.
#[tokio::test]
async fn a_waiting_polish_holds_up_no_other_and_a_stale_one_changes_nothing() {
    use std::time::Duration;

    use super::polish;
    use crate::list_cache::{AccessKey, Encoding};
    use crate::rbac::tests::{NOBODY, caller};

    let server = JwksServer::start(&[&keys()[0]]).await;
    let state = seeded_state(&server).await;
    let mut tx = state.db().begin_read().await.unwrap();
    let generation = crate::store::units::generation(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    let key = AccessKey::of(&caller(true, false, Some(NOBODY)));
    let json = crate::list_cache::tests::list_like(5_000);
    let fast = Encoding::Zstd.encode(&json);
    let cache = state.list_cache();
    cache.keep_body(generation, key, Encoding::Zstd, fast.clone());

    let stale = polish(
        state.clone(),
        generation - 1,
        key,
        Encoding::Zstd,
        Duration::ZERO,
    );
    stale.await;
    assert_eq!(cache.body(generation, key, Encoding::Zstd).unwrap(), fast);

    let waiting = tokio::spawn(polish(
        state.clone(),
        generation - 1,
        key,
        Encoding::Zstd,
        Duration::from_secs(600),
    ));
    // The waiting one has started (and is asleep) before the current one runs.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let current = polish(
        state.clone(),
        generation,
        key,
        Encoding::Zstd,
        Duration::ZERO,
    );
    tokio::time::timeout(Duration::from_secs(30), current)
        .await
        .expect("not held up by the waiting one");
    let polished = cache.body(generation, key, Encoding::Zstd).unwrap();
    assert_eq!(polished, Encoding::Zstd.polished(&json));
    assert!(
        polished.len() < fast.len(),
        "{} {}",
        polished.len(),
        fast.len()
    );
    waiting.abort();
}
