//! Leaving for the IdP only when it answers: before any top-level redirect (sign-in, the silent
//! check, sign-out) the app asks the IdP for its keys with a short timeout. While it does not
//! answer, the app stays on its own origin, says so ([`IdpReachability`]), tries again with
//! backoff, and leaves as soon as it answers — never onto the browser's "site can't be reached"
//! page, whose Reload would reload the dead IdP instead of the app.

use futures::future::{Either, select};

use leptos::prelude::{GetUntracked as _, Set as _};

use super::{Session, SessionStatus, TabMessage};
use crate::{
    auth::{
        http::get_json,
        login::{self, EndSession, Redirect},
        navigation::{navigate, post_form},
        redirect_state::{self, RedirectKind},
        sign_in_hint,
    },
    error::Error,
};

/// How long the IdP has to answer before the app says it is unavailable.
pub const PROBE_TIMEOUT_MS: f64 = 3_000.0;
/// First wait before asking again; doubled after each miss up to [`PROBE_RETRY_MAX_MS`].
pub const PROBE_RETRY_FIRST_MS: f64 = 1_000.0;
/// Longest wait between two tries (short: someone is waiting to sign in).
pub const PROBE_RETRY_MAX_MS: f64 = 10_000.0;

/// Whether the sign-in service answered the last time the app asked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IdpReachability {
    Answering,
    /// It did not answer; the next try is at this time (browser's clock, ms).
    NotAnswering {
        next_try_at_ms: f64,
    },
}

/// A redirect to the IdP waiting for it to answer, built when it was asked for (so a bad
/// configuration is reported at once, and nothing is built twice).
pub(super) enum Waiting {
    Authorize {
        redirect: Redirect,
        /// Set the start-up check-sso marker just before leaving.
        mark_sso_check: bool,
    },
    /// RP-initiated logout.
    Logout(EndSession),
}

impl Session {
    /// Sends the browser to the IdP to sign in, coming back to `return_to` (a same-origin path),
    /// as soon as the IdP answers.
    pub fn sign_in(&self, return_to: &str) -> Result<(), Error> {
        self.leave_for_idp(RedirectKind::SignIn, return_to, false, false)
    }

    /// Forgets the tokens, tells the other tabs, and posts the logout to the IdP's end-session
    /// endpoint as soon as it answers (the status stays `Leaving` meanwhile, so no page starts a
    /// sign-in that would overtake the logout).
    pub fn sign_out(&self) -> Result<(), Error> {
        let id_token = self.forget(SessionStatus::Leaving);
        sign_in_hint::forget();
        self.tell_other_tabs(TabMessage::SignedOut);
        let logout = login::end_session(&self.0.endpoints, id_token.as_deref())?;
        self.wait_and_leave(Waiting::Logout(logout));
        Ok(())
    }

    /// Queues a redirect of `kind` (replacing any redirect still waiting) and leaves once the IdP
    /// answers. An unusable configuration is reported at once.
    pub(crate) fn leave_for_idp(
        &self,
        kind: RedirectKind,
        return_to: &str,
        retried: bool,
        mark_sso_check: bool,
    ) -> Result<(), Error> {
        let waiting = self.authorize(kind, return_to, retried, mark_sso_check)?;
        self.wait_and_leave(waiting);
        Ok(())
    }

    /// The authorization request of `kind`, back to `return_to` made a safe same-origin path.
    fn authorize(
        &self,
        kind: RedirectKind,
        return_to: &str,
        retried: bool,
        mark_sso_check: bool,
    ) -> Result<Waiting, Error> {
        let return_to = redirect_state::safe_return_path(return_to);
        let redirect = login::authorization_redirect(&self.0.endpoints, kind, return_to, retried)?;
        Ok(Waiting::Authorize {
            redirect,
            mark_sso_check,
        })
    }

    fn wait_and_leave(&self, waiting: Waiting) {
        *self.0.waiting.borrow_mut() = Some(waiting);
        if self.0.gate_running.replace(true) {
            return;
        }
        let session = self.clone();
        wasm_bindgen_futures::spawn_local(async move { session.run_gate().await });
    }

    /// Asks until the IdP answers, then takes the waiting redirect (the newest one queued).
    async fn run_gate(&self) {
        let mut backoff = PROBE_RETRY_FIRST_MS;
        while !self.idp_answers().await {
            let next_try_at_ms = self.0.clock.now_ms() + backoff;
            self.set_idp(IdpReachability::NotAnswering { next_try_at_ms });
            self.0.clock.sleep(backoff).await;
            backoff = (backoff * 2.0).min(PROBE_RETRY_MAX_MS);
        }
        self.set_idp(IdpReachability::Answering);
        self.0.gate_running.set(false);
        let waiting = self.0.waiting.borrow_mut().take();
        if let Some(waiting) = waiting
            && let Err(err) = self.leave_now(waiting)
        {
            redirect_state::take_sso_check_marker();
            self.0.notice.set(Some(err));
        }
    }

    /// Whether the IdP serves its keys within [`PROBE_TIMEOUT_MS`] (the same request the ID
    /// token check makes, so it also proves the browser may read the IdP's answers).
    pub async fn idp_answers(&self) -> bool {
        let Ok(request) = get_json(&self.0.endpoints.jwks) else {
            return false;
        };
        let http = self.http();
        let timeout = self.0.clock.sleep(PROBE_TIMEOUT_MS);
        match select(http.send(request), timeout).await {
            Either::Left((Ok(response), _)) => response.status().is_success(),
            _ => false,
        }
    }

    /// Start-up's redirect (check-sso or login-required, with the loop marker): leaves at once
    /// when the IdP answers (`true`), else says so and waits for it like [`Self::sign_in`].
    pub(crate) async fn leave_at_start(
        &self,
        kind: RedirectKind,
        return_to: &str,
    ) -> Result<bool, Error> {
        let waiting = self.authorize(kind, return_to, false, true)?;
        if self.idp_answers().await {
            return self.leave_now(waiting).map(|()| true);
        }
        let next_try_at_ms = self.0.clock.now_ms();
        self.set_idp(IdpReachability::NotAnswering { next_try_at_ms });
        self.wait_and_leave(waiting);
        Ok(false)
    }

    /// Leaves now: a top-level navigation to the authorization endpoint, or the logout POST.
    fn leave_now(&self, waiting: Waiting) -> Result<(), Error> {
        match waiting {
            Waiting::Authorize {
                redirect,
                mark_sso_check,
            } => {
                if mark_sso_check {
                    redirect_state::mark_sso_check()?;
                }
                redirect_state::save(&redirect.pending)?;
                navigate(&redirect.url)
            }
            Waiting::Logout(logout) => {
                redirect_state::save(&logout.pending)?;
                post_form(&logout.action, &logout.fields)
            }
        }
    }

    /// Records what the IdP did, waking the UI only on a change.
    pub(super) fn set_idp(&self, reachability: IdpReachability) {
        if self.0.idp.get_untracked() != reachability {
            self.0.idp.set(reachability);
        }
    }
}
