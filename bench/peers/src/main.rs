//! Serves the same `/api/v1/me` handler four ways on loopback ports, all trusting one IdP, and prints where.
//!
//! `peers IDP_BASE_URL` (e.g. `http://127.0.0.1:8081/`; realm `mo`, client `mo`). Prints one line
//! `NAME URL` per variant, then `ready`:
//! - `unprotected`: no auth; answers a fixed caller (the ceiling);
//! - `ours`: this repository's server auth (its `Principal` extractor on an `AppState`);
//! - `ours_no_cache`: the same with `verified_token_cache_entries = 0` (an RSA verify per request);
//! - `jwt_authorizer`: the `jwt-authorizer` crate, from the realm's JWKS, iss and aud checked;
//! - `keycloak_auth`: the `axum-keycloak-auth` crate, by OIDC discovery, aud checked.
//!
//! Every variant answers `api::Me` JSON built from what its auth gives the handler.

use std::net::SocketAddr;

use axum::extract::State;
use axum::routing::get;
use axum_keycloak_auth::decode::KeycloakToken;
use axum_keycloak_auth::instance::{KeycloakAuthInstance, KeycloakConfig};
use axum_keycloak_auth::layer::KeycloakAuthLayer;
use axum_keycloak_auth::{PassthroughMode, Url};
use jwt_authorizer::{IntoLayer, JwtAuthorizer, JwtClaims, Validation};
use serde::Deserialize;
use server::auth::Principal;
use server::{AppState, Settings};
use tokio::net::TcpListener;
use uuid::Uuid;

const REALM: &str = "mo";
const CLIENT: &str = "mo";
const ROUTE: &str = "/api/v1/me";

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let base = std::env::args()
        .nth(1)
        .ok_or("usage: peers IDP_BASE_URL (e.g. http://127.0.0.1:8081/)")?;
    let base = format!("{}/", base.trim_end_matches('/'));
    let issuer = format!("{base}realms/{REALM}");

    let unprotected = axum::Router::new().route(ROUTE, get(unprotected_me));
    let ours = axum::Router::new()
        .route(ROUTE, get(our_me))
        .with_state(AppState::new(settings(&base)?)?);
    let ours_no_cache = axum::Router::new()
        .route(ROUTE, get(our_me))
        .with_state(AppState::new(Settings {
            verified_token_cache_entries: 0,
            // Every request verified, none refused: the default bound (4 RSA checks at once)
            // answers the excess 503 by design, which `scripts/bench-flood` measures instead.
            max_concurrent_token_verifications: 64,
            ..settings(&base)?
        })?);
    let jwt_authorizer = {
        let validation = Validation::new().iss(&[&issuer]).aud(&[CLIENT]).leeway(30);
        let authorizer = JwtAuthorizer::<MeClaims>::from_jwks_url(&format!(
            "{issuer}/protocol/openid-connect/certs"
        ))
        .validation(validation)
        .build()
        .await?;
        axum07::Router::new()
            .route(ROUTE, axum07::routing::get(jwt_authorizer_me))
            .layer(authorizer.into_layer())
    };
    let keycloak_auth = {
        let instance = KeycloakAuthInstance::new(
            KeycloakConfig::builder()
                .server(Url::parse(&base)?)
                .realm(REALM.to_owned())
                .build(),
        );
        axum::Router::new().route(ROUTE, get(keycloak_me)).layer(
            KeycloakAuthLayer::<String, KeycloakExtra>::builder()
                .instance(instance)
                .passthrough_mode(PassthroughMode::Block)
                .persist_raw_claims(false)
                .expected_audiences(vec![CLIENT.to_owned()])
                .build(),
        )
    };

    let listeners = [
        listen().await?,
        listen().await?,
        listen().await?,
        listen().await?,
        listen().await?,
    ];
    let names = [
        "unprotected",
        "ours",
        "ours_no_cache",
        "jwt_authorizer",
        "keycloak_auth",
    ];
    for (name, listener) in names.iter().zip(&listeners) {
        println!("{name} http://{}{ROUTE}", listener.local_addr()?);
    }
    println!("ready");
    let [a, b, c, d, e] = listeners;
    let served = tokio::try_join!(
        axum::serve(a, unprotected).into_future(),
        axum::serve(b, ours).into_future(),
        axum::serve(c, ours_no_cache).into_future(),
        axum07::serve(d, jwt_authorizer).into_future(),
        axum::serve(e, keycloak_auth).into_future(),
    );
    served?;
    Ok(())
}

async fn listen() -> std::io::Result<TcpListener> {
    TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await
}

/// The server's settings for an IdP at `base` (browser and backend see the same URL).
fn settings(base: &str) -> Result<Settings, Failure> {
    let url = Url::parse(base)?;
    let mut s = Settings::from_defaults();
    s.keycloak_schema = url.scheme().to_owned();
    s.keycloak_host = url.host_str().ok_or("IdP URL without host")?.to_owned();
    s.keycloak_port = url.port_or_known_default().ok_or("IdP URL without port")?;
    s.keycloak_auth_server_url = base.to_owned();
    s.keycloak_realm = REALM.to_owned();
    s.keycloak_mo_client = CLIENT.to_owned();
    s.database_url = "sqlite::memory:".to_owned();
    s.validate()?;
    Ok(s)
}

fn me(
    username: Option<String>,
    name: Option<String>,
    email: Option<String>,
    uuid: Option<Uuid>,
    roles: Vec<String>,
    azp: Option<String>,
) -> api::Me {
    // What the account may do, worked out as our handler does it, so every peer answers alike.
    let caller = server::rbac::Caller {
        rbac_enabled: true,
        admin: roles.iter().any(|r| r == server::rbac::ADMIN_ROLE),
        owner: roles.iter().any(|r| r == server::rbac::OWNER_ROLE),
        uuid,
    };
    api::Me {
        username,
        name,
        email,
        uuid,
        roles,
        client_roles: Vec::new(),
        azp,
        service_account: false,
        access: server::verdicts::account(&caller),
    }
}

async fn unprotected_me() -> axum::Json<api::Me> {
    axum::Json(me(
        Some("bruce".into()),
        Some("Bruce Lee".into()),
        Some("bruce@kung.fu".into()),
        Some(Uuid::from_u128(0xc420894f_36ba_4cd5_b4f8_1b24bd8c53db)),
        Vec::new(),
        Some(CLIENT.into()),
    ))
}

async fn our_me(State(state): State<AppState>, principal: Principal) -> axum::Json<api::Me> {
    let caller = server::rbac::Caller::new(&principal, state.settings().keycloak_rbac_enabled);
    axum::Json(principal.to_me(server::verdicts::account(&caller)))
}

#[derive(Debug, Clone, Deserialize)]
struct RealmAccess {
    #[serde(default)]
    roles: Vec<String>,
}

/// The claims the jwt-authorizer handler reads.
#[derive(Debug, Clone, Deserialize)]
struct MeClaims {
    preferred_username: Option<String>,
    name: Option<String>,
    email: Option<String>,
    uuid: Option<Uuid>,
    azp: Option<String>,
    realm_access: Option<RealmAccess>,
}

async fn jwt_authorizer_me(JwtClaims(c): JwtClaims<MeClaims>) -> axum07::Json<api::Me> {
    let roles = c.realm_access.map(|r| r.roles).unwrap_or_default();
    axum07::Json(me(
        c.preferred_username,
        c.name,
        c.email,
        c.uuid,
        roles,
        c.azp,
    ))
}

/// The claims the axum-keycloak-auth handler reads beyond the standard ones (its default
/// `ProfileAndEmail` has no `name` or `uuid`).
#[derive(Debug, Clone, Deserialize)]
struct KeycloakExtra {
    preferred_username: Option<String>,
    name: Option<String>,
    email: Option<String>,
    uuid: Option<Uuid>,
}

async fn keycloak_me(
    axum::Extension(token): axum::Extension<KeycloakToken<String, KeycloakExtra>>,
) -> axum::Json<api::Me> {
    let extra = token.extra;
    let roles = token.roles.iter().map(|r| r.role().to_string()).collect();
    axum::Json(me(
        extra.preferred_username,
        extra.name,
        extra.email,
        extra.uuid,
        roles,
        Some(token.authorized_party),
    ))
}
