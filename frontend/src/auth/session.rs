//! The session: the one owner of the tokens (in memory only) and of the refresh timer, shared as
//! a Leptos context. Refreshes are scheduled before expiry and single-flight: every caller that
//! needs a fresh token awaits the same refresh.

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};

use futures::future::{FutureExt as _, Shared};
use leptos::prelude::*;
use send_wrapper::SendWrapper;

use super::{
    clock::{Clock, LocalFuture},
    endpoints::Endpoints,
    http::HttpClient,
    id_token,
    login::{self, TokenSet},
    navigation::{navigate, post_form},
    redirect_state::{self, PendingRedirect, RedirectKind},
    tokens::{HeldTokens, RETRY_FIRST_MS, RETRY_MAX_MS},
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
}

type RefreshFlight = Shared<LocalFuture<'static, Result<(), Error>>>;

struct Inner {
    endpoints: Endpoints,
    clock: Rc<dyn Clock>,
    http: Rc<dyn HttpClient>,
    tokens: RefCell<Option<HeldTokens>>,
    in_flight: RefCell<Option<RefreshFlight>>,
    /// Bumped whenever the timer is rescheduled or cancelled; older timers then do nothing.
    timer_generation: Cell<u64>,
    status: ArcRwSignal<SessionStatus>,
    notice: ArcRwSignal<Option<Error>>,
}

/// A cheap handle to the one session (clone it freely). The app runs on the browser's one
/// thread; `SendWrapper` only satisfies Leptos' `Send` bounds (and would panic off that thread).
#[derive(Clone)]
pub struct Session(SendWrapper<Rc<Inner>>);

impl Session {
    pub fn new(endpoints: Endpoints, clock: Rc<dyn Clock>, http: Rc<dyn HttpClient>) -> Self {
        Self(SendWrapper::new(Rc::new(Inner {
            endpoints,
            clock,
            http,
            tokens: RefCell::new(None),
            in_flight: RefCell::new(None),
            timer_generation: Cell::new(0),
            status: ArcRwSignal::new(SessionStatus::Starting),
            notice: ArcRwSignal::new(None),
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
        self.refresh().await?;
        self.current_access_token()
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

    /// Refreshes the tokens; concurrent callers share one token-endpoint request.
    pub async fn refresh(&self) -> Result<(), Error> {
        let flight = {
            let mut slot = self.0.in_flight.borrow_mut();
            if let Some(flight) = slot.as_ref() {
                flight.clone()
            } else {
                let session = self.clone();
                let refresh: LocalFuture<'static, Result<(), Error>> = Box::pin(async move {
                    let outcome = session.refresh_once().await;
                    session.0.in_flight.borrow_mut().take();
                    outcome
                });
                let flight = refresh.shared();
                *slot = Some(flight.clone());
                flight
            }
        };
        flight.await
    }

    async fn refresh_once(&self) -> Result<(), Error> {
        let used = self
            .0
            .tokens
            .borrow()
            .as_ref()
            .and_then(|held| held.set.refresh_token.clone())
            .ok_or_else(|| self.signed_out_error())?;
        let http = self.http();
        let outcome = login::refresh(&self.0.endpoints, http.as_ref(), &used).await;
        let still_current = self
            .0
            .tokens
            .borrow()
            .as_ref()
            .is_some_and(|held| held.set.refresh_token.as_deref() == Some(used.as_str()));
        if !still_current {
            // Signed out (or in again) while the request was out: its answer belongs to no one.
            return Err(self.signed_out_error());
        }
        match outcome {
            Ok(mut set) => {
                let previous_id_token = self
                    .0
                    .tokens
                    .borrow()
                    .as_ref()
                    .and_then(|held| held.set.id_token.clone());
                if set.refresh_token.is_none() {
                    // The same refresh token stays in use, and so does its end.
                    set.refresh_token = Some(used);
                    let now = self.0.clock.now_ms();
                    set.refresh_expires_in_seconds = self
                        .session_ends_at_ms()
                        .map(|ends| ((ends - now) / 1000.0).max(0.0) as u64);
                }
                match set.id_token.as_deref() {
                    None => set.id_token = previous_id_token,
                    Some(fresh) => {
                        let now_seconds = (self.0.clock.now_ms() / 1000.0) as i64;
                        let endpoints = &self.0.endpoints;
                        let checked = id_token::verify_refreshed(
                            http.as_ref(),
                            endpoints,
                            fresh,
                            previous_id_token.as_deref(),
                            now_seconds,
                        )
                        .await;
                        if let Err(err) = checked {
                            self.forget(SessionStatus::Ended);
                            return Err(err);
                        }
                    }
                }
                self.accept(set);
                Ok(())
            }
            Err(Error::SessionEnded) => {
                self.forget(SessionStatus::Ended);
                Err(Error::SessionEnded)
            }
            Err(err) => Err(err),
        }
    }

    /// (Re)starts the timer for the current tokens; any older timer is cancelled.
    fn schedule_refresh(&self) {
        let generation = self.0.timer_generation.get() + 1;
        self.0.timer_generation.set(generation);
        let Some(delay) = self.refresh_due_in_ms() else {
            return;
        };
        // The timer starts now, not when the task first runs.
        let wake_up = self.0.clock.sleep(delay);
        let session = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            wake_up.await;
            session.run_timer(generation).await;
        });
    }

    /// The timer fired: refresh, retrying network failures with backoff while the token lasts.
    async fn run_timer(&self, generation: u64) {
        let mut backoff = RETRY_FIRST_MS;
        while self.0.timer_generation.get() == generation {
            match self.refresh().await {
                Err(err) if err.is_network() => {
                    let now = self.0.clock.now_ms();
                    let left = self
                        .0
                        .tokens
                        .borrow()
                        .as_ref()
                        .map_or(0.0, |held| held.expires_at_ms - now);
                    if left <= 0.0 {
                        // Expired: the next API call tries again and reports the network error.
                        return;
                    }
                    self.0.clock.sleep(backoff.min(left)).await;
                    backoff = (backoff * 2.0).min(RETRY_MAX_MS);
                }
                // Success rescheduled the timer; other errors ended or left the session.
                _ => return,
            }
        }
    }

    /// A tab that becomes visible again checks at once (timers in hidden tabs run late).
    pub fn check_now(&self) {
        match self.refresh_due_in_ms() {
            Some(due) if due <= 0.0 => {
                let session = self.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = session.access_token().await;
                });
            }
            Some(_) => self.schedule_refresh(),
            None => {}
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
        let set = login::exchange_code(endpoints, http.as_ref(), code, verifier).await?;
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
        Ok(())
    }

    /// Sends the browser to the IdP to sign in, coming back to `return_to` (a same-origin path).
    pub fn sign_in(&self, return_to: &str) -> Result<(), Error> {
        self.redirect_to_idp(RedirectKind::SignIn, return_to, false)
    }

    pub(crate) fn redirect_to_idp(
        &self,
        kind: RedirectKind,
        return_to: &str,
        retried: bool,
    ) -> Result<(), Error> {
        let return_to = redirect_state::safe_return_path(return_to);
        let redirect = login::authorization_redirect(&self.0.endpoints, kind, return_to, retried)?;
        redirect_state::save(&redirect.pending)?;
        navigate(&redirect.url)
    }

    /// Forgets the tokens and posts the logout to the IdP's end-session endpoint.
    pub fn sign_out(&self) -> Result<(), Error> {
        // Not `Anonymous`: a protected page would start a sign-in and overtake the logout.
        let id_token = self.forget(SessionStatus::Leaving);
        let logout = login::end_session(&self.0.endpoints, id_token.as_deref())?;
        redirect_state::save(&logout.pending)?;
        post_form(&logout.action, &logout.fields)
    }
}
