//! The identity provider of one test: a realm of its own in Keycloak, made through the admin REST
//! API from `realm/mo-realm.json` with the test's origins and token lifetimes; tokens for every
//! grant, key rotation, Keycloak's event store, ending a user's sessions, and outages.

mod code_flow;
mod events;
mod keys;
mod realm;

pub(crate) use code_flow::form_action;
pub use events::{EventMark, Events};
pub use keys::KeyState;
pub use realm::{Realm, RealmClient, RealmUser};

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use server::test_support::DpopKey;

use crate::keycloak::{Keycloak, KeycloakProcess};
use crate::{TestResult, repo_root};

const HTTP_TIMEOUT: Duration = Duration::from_secs(15);
/// A public client that exists only in test realms: the password grant, for tests that need a
/// user's token without a browser (the `mo` client has no password grant). Its tokens carry the
/// same claims as `mo`'s (the uuid and `mo` audience mappers are copied), with `azp` = this.
pub const DIRECT_GRANT_CLIENT: &str = "e2e-direct-grant";
/// The user events a test realm stores (the realm file keeps Keycloak's defaults).
const COUNTED_EVENTS: &[&str] = &[
    "LOGIN",
    "LOGIN_ERROR",
    "CODE_TO_TOKEN",
    "CODE_TO_TOKEN_ERROR",
    "REFRESH_TOKEN",
    "REFRESH_TOKEN_ERROR",
    "LOGOUT",
    "LOGOUT_ERROR",
    "CLIENT_LOGIN",
    "CLIENT_LOGIN_ERROR",
];
/// The browser client of the realm file.
pub const BROWSER_CLIENT: &str = "mo";
/// Keycloak's client attribute "Require DPoP bound tokens".
pub const DPOP_ATTRIBUTE: &str = "dpop.bound.access.tokens";

/// What a test changes in its realm; `None`/empty keeps the realm file's values.
#[derive(Debug, Clone, Default)]
pub struct IdpOptions {
    /// The realm's `accessTokenLifespan`.
    pub access_token_ttl: Option<Duration>,
    /// The realm's `ssoSessionIdleTimeout`, which is also the refresh token's lifetime.
    pub refresh_token_ttl: Option<Duration>,
    /// App origins (e.g. `http://127.0.0.1:43123`) of the `mo` client: web origin, and
    /// `{origin}/callback` as redirect and post-logout URI. They replace the realm file's.
    pub extra_origins: Vec<String>,
    /// The `mo` client without "require DPoP-bound tokens" (the realm file requires them), and a
    /// server with `dpop = false`: the plain-bearer path.
    pub plain_bearer: bool,
}

/// A token endpoint response (Keycloak's members included).
#[derive(Debug, Clone, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub refresh_expires_in: u64,
    pub id_token: Option<String>,
    #[serde(default)]
    pub scope: String,
}

/// A realm of one test in Keycloak (the shared one, or a process of the test's own).
pub struct Idp {
    keycloak: Keycloak,
    /// Set when this test runs its own Keycloak (outage tests).
    process: Option<KeycloakProcess>,
    name: String,
    options: IdpOptions,
    realm: Realm,
    http: reqwest::Client,
    /// The DPoP key this test's own code flows (as the `mo` client) bind their tokens to.
    pub dpop: DpopKey,
}

impl Idp {
    /// A realm with the realm file's defaults in the shared Keycloak.
    pub async fn start() -> TestResult<Self> {
        Self::start_with(IdpOptions::default()).await
    }

    /// A realm with `options` in the shared Keycloak.
    pub async fn start_with(options: IdpOptions) -> TestResult<Self> {
        Self::create(Keycloak::shared()?, None, options).await
    }

    /// A realm in a Keycloak of this test's own, which `stop` and `start_again` control.
    pub async fn start_own(options: IdpOptions) -> TestResult<Self> {
        let mut process = KeycloakProcess::new();
        process.start().await?;
        let keycloak = process.keycloak()?;
        Self::create(keycloak, Some(process), options).await
    }

    /// An `Idp` for a Keycloak of this test's own that is not running yet (`start_again` starts
    /// it and makes the realm): for a server that starts before its IdP.
    pub fn not_started(options: IdpOptions) -> TestResult<Self> {
        let process = KeycloakProcess::new();
        let keycloak = process.keycloak()?;
        Ok(Self {
            keycloak,
            process: Some(process),
            name: unique_realm_name(),
            options,
            realm: Realm::load(&repo_root().join("realm/mo-realm.json"))?,
            http: reqwest::Client::builder().timeout(HTTP_TIMEOUT).build()?,
            dpop: DpopKey::generate(),
        })
    }

    async fn create(
        keycloak: Keycloak,
        process: Option<KeycloakProcess>,
        options: IdpOptions,
    ) -> TestResult<Self> {
        let mut idp = Self {
            keycloak,
            process,
            name: unique_realm_name(),
            options,
            realm: Realm::load(&repo_root().join("realm/mo-realm.json"))?,
            http: reqwest::Client::builder().timeout(HTTP_TIMEOUT).build()?,
            dpop: DpopKey::generate(),
        };
        idp.import_realm().await?;
        Ok(idp)
    }

    /// This test's realm name (also the server's `keycloak_realm`).
    pub fn realm_name(&self) -> &str {
        &self.name
    }

    pub fn port(&self) -> u16 {
        self.keycloak.port()
    }

    /// Keycloak's auth-server-url: `http://127.0.0.1:{port}/`.
    pub fn base_url(&self) -> String {
        self.keycloak.base_url().to_owned()
    }

    /// `{base_url}realms/{realm}`.
    pub fn issuer(&self) -> String {
        format!("{}realms/{}", self.base_url(), self.name)
    }

    /// `{issuer}/protocol/openid-connect/{name}`, e.g. `auth`, `token`, `certs`, `userinfo`, `logout`.
    pub fn oidc_endpoint(&self, name: &str) -> String {
        format!("{}/protocol/openid-connect/{name}", self.issuer())
    }

    /// The realm file as imported (users, passwords, clients).
    pub fn realm(&self) -> &Realm {
        &self.realm
    }

    /// The admin API of this realm: `{base}admin/realms/{realm}{path}`.
    pub async fn admin(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> TestResult<Value> {
        self.keycloak
            .admin(method, &format!("/{}{path}", self.name), body)
            .await
    }

    /// The password grant for a realm user (through [`DIRECT_GRANT_CLIENT`]).
    pub async fn password_token(&self, username: &str) -> TestResult<Tokens> {
        let password = self.realm.password_of(username)?;
        self.token_request(&[
            ("grant_type", "password"),
            ("client_id", DIRECT_GRANT_CLIENT),
            ("scope", "openid"),
            ("username", username),
            ("password", &password),
        ])
        .await
    }

    /// The client-credentials grant with the client's secret from the realm file (HTTP Basic).
    pub async fn client_credentials_token(&self, client_id: &str) -> TestResult<Tokens> {
        let client = self
            .realm
            .client(client_id)
            .ok_or(format!("no client {client_id} in the realm file"))?;
        let secret = client
            .secret
            .as_deref()
            .ok_or(format!("client {client_id} has no secret"))?;
        let response = self
            .http
            .post(self.oidc_endpoint("token"))
            .basic_auth(client_id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await?;
        token_response(response, "client_credentials").await
    }

    /// The refresh-token grant for a token of [`DIRECT_GRANT_CLIENT`].
    pub async fn refresh(&self, refresh_token: &str) -> TestResult<Tokens> {
        self.token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", DIRECT_GRANT_CLIENT),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    /// Ends every session of `username` (the admin's "Sign out" on the user): their refresh
    /// tokens get `invalid_grant` from now on.
    pub async fn end_sessions_of(&self, username: &str) -> TestResult {
        let id = self.user_id(username).await?;
        self.admin(Method::POST, &format!("/users/{id}/logout"), None)
            .await
            .map(drop)
    }

    /// Keycloak's user id (the `sub` of their tokens) of a realm user.
    pub async fn user_id(&self, username: &str) -> TestResult<String> {
        let users = self
            .admin(
                Method::GET,
                &format!("/users?exact=true&username={username}"),
                None,
            )
            .await?;
        Ok(users[0]["id"]
            .as_str()
            .ok_or(format!("no user {username} in realm {}", self.name))?
            .to_owned())
    }

    /// Kills this test's own Keycloak (an outage). Only for [`Idp::start_own`].
    pub async fn stop(&mut self) -> TestResult {
        self.process
            .as_mut()
            .ok_or("stop needs a Keycloak of the test's own (Idp::start_own)")?
            .stop()
            .await;
        Ok(())
    }

    /// Starts this test's own Keycloak again on the same port and makes the realm anew (same
    /// name and issuer; new keys, no sessions: a new IdP at the same address).
    pub async fn start_again(&mut self) -> TestResult {
        self.process
            .as_mut()
            .ok_or("start_again needs a Keycloak of the test's own (Idp::start_own)")?
            .start()
            .await?;
        self.import_realm().await
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> TestResult<Tokens> {
        self.token_request_proven(form, None).await
    }

    /// A token request with a DPoP proof by `key` (RFC 9449 §5), when given.
    async fn token_request_proven(
        &self,
        form: &[(&str, &str)],
        key: Option<&DpopKey>,
    ) -> TestResult<Tokens> {
        let grant = form
            .iter()
            .find(|(k, _)| *k == "grant_type")
            .map_or("?", |(_, v)| v);
        let url = self.oidc_endpoint("token");
        let mut request = self.http.post(&url).form(form);
        if let Some(key) = key {
            request = request.header("DPoP", key.proof("POST", &url, None));
        }
        token_response(request.send().await?, grant).await
    }

    /// Whether this realm's `mo` client requires DPoP-bound tokens.
    pub fn binds_tokens(&self) -> bool {
        !self.options.plain_bearer
    }

    /// Creates the realm from the realm file with this test's name, origins and lifetimes.
    async fn import_realm(&mut self) -> TestResult {
        let text = std::fs::read_to_string(repo_root().join("realm/mo-realm.json"))?;
        let representation = test_realm(serde_json::from_str(&text)?, &self.name, &self.options)?;
        self.keycloak
            .admin(Method::POST, "", Some(&representation))
            .await
            .map(drop)
    }
}

async fn token_response(response: reqwest::Response, grant: &str) -> TestResult<Tokens> {
    let status = response.status();
    if !status.is_success() {
        return Err(format!(
            "{grant} token request failed with {status}: {}",
            response.text().await?
        )
        .into());
    }
    Ok(response.json().await?)
}

/// `e2e-{process}-{n}`: unique within the Keycloak for this run.
fn unique_realm_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    format!(
        "e2e-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The realm file as one test's realm: its name; user ids dropped (Keycloak's ids are unique
/// across realms); the `mo` client's origins and URIs; token lifetimes; the direct-grant client.
fn test_realm(mut realm: Value, name: &str, options: &IdpOptions) -> TestResult<Value> {
    realm["realm"] = json!(name);
    realm["eventsEnabled"] = json!(true);
    // Keycloak stores refreshes only when asked (not among its default event types).
    realm["enabledEventTypes"] = json!(COUNTED_EVENTS);
    if let Some(ttl) = options.access_token_ttl {
        realm["accessTokenLifespan"] = json!(ttl.as_secs().max(1));
    }
    if let Some(ttl) = options.refresh_token_ttl {
        realm["ssoSessionIdleTimeout"] = json!(ttl.as_secs().max(1));
    }
    let plain_bearer = options.plain_bearer;
    for user in realm["users"]
        .as_array_mut()
        .ok_or("realm file without users")?
    {
        if let Some(user) = user.as_object_mut() {
            user.remove("id");
        }
    }
    let clients = realm["clients"]
        .as_array_mut()
        .ok_or("realm file without clients")?;
    let browser = clients
        .iter_mut()
        .find(|c| c["clientId"] == BROWSER_CLIENT)
        .ok_or("realm file without the mo client")?;
    if plain_bearer && let Some(attributes) = browser["attributes"].as_object_mut() {
        attributes.remove(DPOP_ATTRIBUTE);
    }
    if !options.extra_origins.is_empty() {
        let callbacks: Vec<String> = options
            .extra_origins
            .iter()
            .map(|origin| format!("{origin}/callback"))
            .collect();
        browser["redirectUris"] = json!(callbacks);
        browser["webOrigins"] = json!(options.extra_origins);
        browser["attributes"]["post.logout.redirect.uris"] = json!(callbacks.join("##"));
    }
    let mut direct = json!({
        "clientId": DIRECT_GRANT_CLIENT,
        "name": "End-to-end tests: password grant",
        "enabled": true,
        "protocol": "openid-connect",
        "publicClient": true,
        "standardFlowEnabled": false,
        "directAccessGrantsEnabled": true,
    });
    for member in [
        "protocolMappers",
        "defaultClientScopes",
        "optionalClientScopes",
    ] {
        direct[member] = browser[member].clone();
    }
    clients.push(direct);
    Ok(realm)
}
