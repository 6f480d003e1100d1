//! The realm every browser test signs in to, and a session wired to the fake clock and HTTP.

use std::rc::Rc;

use frontend::{
    auth::{Session, dpop::DpopKey, endpoints::Endpoints, login::TokenSet},
    config::KeycloakJson,
};

use super::{FakeClock, FakeHttp, access_token, token_answer};

/// The realm's token endpoint at the dev Keycloak's address.
pub const TOKEN_URL: &str = "http://127.0.0.1:8081/realms/mo/protocol/openid-connect/token";

/// `keycloak.json` of realm `mo`, public client `mo`, at `auth_server_url`.
pub fn keycloak(auth_server_url: &str) -> KeycloakJson {
    KeycloakJson {
        realm: "mo".into(),
        auth_server_url: auth_server_url.into(),
        ssl_required: "external".into(),
        resource: "mo".into(),
        public_client: true,
        confidential_port: 0,
        dpop: false,
    }
}

/// The dev Keycloak's endpoints for an app served at the dev port.
pub fn endpoints() -> Endpoints {
    Endpoints::new(&keycloak("http://127.0.0.1:8081/"), "http://127.0.0.1:8080")
}

/// A session with a controllable clock and canned HTTP.
pub struct Harness {
    pub clock: Rc<FakeClock>,
    pub http: Rc<FakeHttp>,
    pub session: Session,
    /// Whether the session has a DPoP key (and its tokens are bound to it).
    pub dpop: bool,
}

pub fn harness() -> Harness {
    let clock = FakeClock::new();
    let http = FakeHttp::new();
    let session = Session::new(endpoints(), clock.clone(), http.clone());
    Harness {
        clock,
        http,
        session,
        dpop: false,
    }
}

/// A session with a DPoP key made by WebCrypto, as the app makes one when `keycloak.json` says so.
pub async fn harness_with_dpop() -> Harness {
    let clock = FakeClock::new();
    let http = FakeHttp::new();
    let key = Rc::new(DpopKey::generate().await.expect("a DPoP key"));
    let session = Session::with_dpop(endpoints(), clock.clone(), http.clone(), Some(key));
    Harness {
        clock,
        http,
        session,
        dpop: true,
    }
}

impl Harness {
    /// Signs in with an access token of `lifetime_s`, issued now.
    pub fn sign_in(&self, lifetime_s: i64, marker: &str) -> String {
        let token = access_token(self.clock.now_seconds(), lifetime_s, marker);
        self.session.accept(TokenSet {
            access_token: token.clone(),
            refresh_token: Some("refresh-1".into()),
            id_token: Some("id-token-1".into()),
            expires_in_seconds: Some(lifetime_s as u64),
            refresh_expires_in_seconds: None,
            dpop_bound: self.dpop,
        });
        token
    }

    /// How many requests reached the token endpoint.
    pub fn refreshes(&self) -> usize {
        self.http.sent_to(TOKEN_URL).len()
    }

    /// Queues the token endpoint's next answer: a fresh access token of `lifetime_s`.
    pub fn queue_refresh(&self, lifetime_s: i64, marker: &str) -> String {
        let token = access_token(self.clock.now_seconds(), lifetime_s, marker);
        self.http
            .answer(TOKEN_URL, token_answer(&token, "refresh-2", lifetime_s));
        token
    }
}
