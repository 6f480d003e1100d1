//! The session: the one owner of the tokens (in memory only) and of the refresh timer, shared as
//! a Leptos context. Its concerns are one module each: keeping tokens fresh (`refresh`), proofs
//! and schemes for the token endpoint and the API (`transport`), leaving for the IdP only when
//! it answers (`leaving`), and what the browser's other tabs say (`tabs`).

mod leaving;
mod refresh;
mod tabs;
mod transport;

pub use leaving::{IdpReachability, PROBE_RETRY_FIRST_MS, PROBE_RETRY_MAX_MS, PROBE_TIMEOUT_MS};
pub use refresh::WAKE_CHECK_AFTER_MS;
pub use tabs::{TAB_CHANNEL, TabMessage};

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};

use futures::future::Shared;
use leptos::prelude::*;
use send_wrapper::SendWrapper;

use super::{
    clock::{Clock, LocalFuture},
    dpop::DpopKey,
    endpoints::Endpoints,
    http::HttpClient,
    id_token,
    login::{self, TokenSet},
    redirect_state::PendingRedirect,
    sign_in_hint,
    tokens::HeldTokens,
    user::User,
};
use crate::error::Error;

/// What the UI shows about the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionStatus {
    /// Start-up has not decided yet (callback, check-sso).
    Starting,
    Anonymous,
    SignedIn(User),
    /// The IdP ended the session (`invalid_grant`): show a notice with a one-click sign-in.
    Ended,
    /// Signing out: the tokens are gone and the browser is on its way to the IdP.
    Leaving,
    /// Another tab of this browser signed out, so this one did too (no IdP request of its own).
    SignedOutElsewhere,
}

type RefreshFlight = Shared<LocalFuture<'static, Result<(), Error>>>;

struct Inner {
    endpoints: Endpoints,
    clock: Rc<dyn Clock>,
    http: Rc<dyn HttpClient>,
    /// The tab's DPoP key, when the app uses DPoP (`keycloak.json`'s `dpop`).
    dpop: Option<Rc<DpopKey>>,
    tokens: RefCell<Option<HeldTokens>>,
    in_flight: RefCell<Option<RefreshFlight>>,
    /// Bumped whenever the timer is rescheduled or cancelled; older timers then do nothing.
    timer_generation: Cell<u64>,
    /// When the IdP last gave this tab tokens (a sign-in or a refresh), on the browser's clock.
    confirmed_at_ms: Cell<f64>,
    status: ArcRwSignal<SessionStatus>,
    notice: ArcRwSignal<Option<Error>>,
    idp: ArcRwSignal<IdpReachability>,
    /// The redirect to the IdP waiting for it to answer, and whether a task waits for it.
    waiting: RefCell<Option<leaving::Waiting>>,
    gate_running: Cell<bool>,
    /// The channel to the browser's other tabs, once listening.
    tabs: RefCell<Option<web_sys::BroadcastChannel>>,
}

/// A cheap handle to the one session (clone it freely). The app runs on the browser's one
/// thread; `SendWrapper` only satisfies Leptos' `Send` bounds (and would panic off that thread).
#[derive(Clone)]
pub struct Session(SendWrapper<Rc<Inner>>);

impl Session {
    /// A session with plain bearer tokens.
    pub fn new(endpoints: Endpoints, clock: Rc<dyn Clock>, http: Rc<dyn HttpClient>) -> Self {
        Self::with_dpop(endpoints, clock, http, None)
    }

    /// A session whose tokens are bound to `dpop` (proofs at the token endpoint and the API).
    pub fn with_dpop(
        endpoints: Endpoints,
        clock: Rc<dyn Clock>,
        http: Rc<dyn HttpClient>,
        dpop: Option<Rc<DpopKey>>,
    ) -> Self {
        Self(SendWrapper::new(Rc::new(Inner {
            endpoints,
            clock,
            http,
            dpop,
            tokens: RefCell::new(None),
            in_flight: RefCell::new(None),
            timer_generation: Cell::new(0),
            confirmed_at_ms: Cell::new(0.0),
            status: ArcRwSignal::new(SessionStatus::Starting),
            notice: ArcRwSignal::new(None),
            idp: ArcRwSignal::new(IdpReachability::Answering),
            waiting: RefCell::new(None),
            gate_running: Cell::new(false),
            tabs: RefCell::new(None),
        })))
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.0.endpoints
    }

    pub(crate) fn http(&self) -> Rc<dyn HttpClient> {
        Rc::clone(&self.0.http)
    }

    /// The session's state for the UI (reactive).
    pub fn status(&self) -> ArcRwSignal<SessionStatus> {
        self.0.status.clone()
    }

    /// Whether the sign-in service answered when last asked (reactive).
    pub fn idp_reachability(&self) -> ArcRwSignal<IdpReachability> {
        self.0.idp.clone()
    }

    /// When the access token expires, on the browser's clock, if signed in.
    pub fn token_expires_at_ms(&self) -> Option<f64> {
        self.0
            .tokens
            .borrow()
            .as_ref()
            .map(|held| held.expires_at_ms)
    }

    /// A problem to show on the landing page (e.g. a refused sign-in), reactive.
    pub fn notice(&self) -> ArcRwSignal<Option<Error>> {
        self.0.notice.clone()
    }

    /// The signed-in user, from the access token's claims.
    pub fn user(&self) -> Option<User> {
        self.0
            .tokens
            .borrow()
            .as_ref()
            .map(|held| User::from_claims(&held.claims))
    }

    /// Milliseconds until the scheduled refresh (negative when due), if signed in.
    pub fn refresh_due_in_ms(&self) -> Option<f64> {
        let now = self.0.clock.now_ms();
        self.0
            .tokens
            .borrow()
            .as_ref()
            .map(|held| held.refresh_due_at_ms() - now)
    }

    /// The browser's clock, in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> f64 {
        self.0.clock.now_ms()
    }

    /// When the session can no longer be refreshed (the refresh token's end, from Keycloak's
    /// `refresh_expires_in`), on the browser's clock; `None` when signed out or not known.
    pub fn session_ends_at_ms(&self) -> Option<f64> {
        self.0
            .tokens
            .borrow()
            .as_ref()
            .and_then(|held| held.session_ends_at_ms)
    }

    /// Takes tokens from the token endpoint: signed in, refresh timer scheduled.
    pub fn accept(&self, set: TokenSet) {
        let held = HeldTokens::new(set, self.0.clock.now_ms());
        let user = User::from_claims(&held.claims);
        *self.0.tokens.borrow_mut() = Some(held);
        self.0.confirmed_at_ms.set(self.0.clock.now_ms());
        self.set_idp(IdpReachability::Answering);
        self.0.notice.set(None);
        self.0.status.set(SessionStatus::SignedIn(user));
        self.schedule_refresh();
    }

    /// Forgets the tokens (memory only) and cancels the timer; returns the ID token for logout.
    fn forget(&self, status: SessionStatus) -> Option<String> {
        self.0
            .timer_generation
            .set(self.0.timer_generation.get() + 1);
        let held = self.0.tokens.borrow_mut().take();
        self.0.status.set(status);
        held.and_then(|held| held.set.id_token)
    }

    /// Start-up decided: nobody is signed in.
    pub fn set_anonymous(&self, notice: Option<Error>) {
        self.forget(SessionStatus::Anonymous);
        self.0.notice.set(notice);
    }

    /// An access token with at least the refresh margin of validity left, refreshing first when
    /// needed (awaiting the refresh already in flight, if any).
    pub async fn access_token(&self) -> Result<String, Error> {
        let due = self
            .refresh_due_in_ms()
            .ok_or_else(|| self.signed_out_error())?;
        if due > 0.0 {
            return self.current_access_token();
        }
        match self.refresh().await {
            // The IdP does not answer: the token still works until it expires.
            Err(err) if err.is_network() && self.token_expires_in_ms() > 0.0 => {}
            outcome => outcome?,
        }
        self.current_access_token()
    }

    /// Milliseconds the access token has left (0 when signed out).
    fn token_expires_in_ms(&self) -> f64 {
        let now = self.0.clock.now_ms();
        self.token_expires_at_ms().map_or(0.0, |at| at - now)
    }

    /// After the API refused `rejected` (401): refresh once unless a newer token already exists.
    pub async fn replace_rejected_token(&self, rejected: &str) -> Result<String, Error> {
        if self.current_access_token()? == rejected {
            self.refresh().await?;
        }
        self.current_access_token()
    }

    fn current_access_token(&self) -> Result<String, Error> {
        self.0
            .tokens
            .borrow()
            .as_ref()
            .map(|held| held.set.access_token.clone())
            .ok_or_else(|| self.signed_out_error())
    }

    fn signed_out_error(&self) -> Error {
        if self.0.status.get_untracked() == SessionStatus::Ended {
            Error::SessionEnded
        } else {
            Error::NotSignedIn
        }
    }

    /// Exchanges the callback's code, checks the ID token, and signs in.
    pub async fn complete_sign_in(
        &self,
        code: String,
        pending: PendingRedirect,
    ) -> Result<(), Error> {
        let (Some(verifier), Some(nonce)) = (pending.pkce_verifier, pending.nonce) else {
            return Err(Error::MissingCode);
        };
        let http = self.http();
        let endpoints = &self.0.endpoints;
        let token_http = self.token_http();
        let set = login::exchange_code(endpoints, token_http.as_ref(), code, verifier).await?;
        let token = set
            .id_token
            .as_deref()
            .ok_or_else(|| Error::IdToken("the token answer has no ID token".into()))?;
        let jwks = id_token::fetch_jwks(http.as_ref(), &endpoints.jwks).await?;
        let expected = id_token::Expected {
            issuer: &endpoints.issuer,
            client_id: &endpoints.client_id,
            nonce: Some(&nonce),
            subject: None,
            now_seconds: (self.0.clock.now_ms() / 1000.0) as i64,
        };
        id_token::verify(token, &jwks, expected).await?;
        self.accept(set);
        sign_in_hint::remember();
        self.tell_other_tabs(TabMessage::SignedIn);
        Ok(())
    }
}
