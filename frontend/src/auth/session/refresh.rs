//! Keeping the session fresh: refreshes are single-flight, the timer refreshes before expiry and
//! retries while the sign-in service does not answer (saying so), and a tab that wakes up checks
//! its session with the IdP at once.

use futures::future::FutureExt as _;

use super::{IdpReachability, Session, SessionStatus, TabMessage};
use crate::{
    auth::{
        clock::LocalFuture,
        id_token, login,
        tokens::{RETRY_FIRST_MS, RETRY_MAX_MS},
    },
    error::Error,
    split::part,
};

/// A tab that wakes up (visible again, back online) asks the IdP about its session when its
/// tokens are at least this old: at once after a real absence, not on every quick tab switch.
pub const WAKE_CHECK_AFTER_MS: f64 = 10_000.0;

impl Session {
    /// Refreshes the tokens; concurrent callers share one token-endpoint request.
    pub async fn refresh(&self) -> Result<(), Error> {
        let flight = {
            let mut slot = self.0.in_flight.borrow_mut();
            if let Some(flight) = slot.as_ref() {
                flight.clone()
            } else {
                let session = self.clone();
                let refresh: LocalFuture<'static, Result<(), Error>> = Box::pin(async move {
                    let outcome = match refreshed(session.clone()).await {
                        Ok(refreshing) => refreshing.await,
                        Err(err) => Err(err),
                    };
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
        let outcome = login::refresh(&self.0.endpoints, self.token_http().as_ref(), &used).await;
        let http = self.http();
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
                // The others share the IdP session: they check theirs now (no token crosses).
                self.tell_other_tabs(TabMessage::SessionEnded);
                Err(Error::SessionEnded)
            }
            Err(err) => Err(err),
        }
    }

    /// (Re)starts the timer for the current tokens; any older timer is cancelled.
    pub(super) fn schedule_refresh(&self) {
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
                    self.set_idp(IdpReachability::NotAnswering {
                        next_try_at_ms: now + backoff,
                    });
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

    /// A tab that wakes up (visible again, back online) checks at once: a refresh when the tokens
    /// are older than [`WAKE_CHECK_AFTER_MS`] (which also tells it whether the IdP session still
    /// exists), else only the timer is set again (timers in hidden tabs run late).
    pub fn check_now(&self) {
        let Some(due) = self.refresh_due_in_ms() else {
            return;
        };
        let age = self.0.clock.now_ms() - self.0.confirmed_at_ms.get();
        if due <= 0.0 || age >= WAKE_CHECK_AFTER_MS {
            let session = self.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(err) = session.refresh().await
                    && err.is_network()
                {
                    // The timer goes on retrying; say so meanwhile.
                    let next_try_at_ms = session.0.clock.now_ms() + RETRY_FIRST_MS;
                    session.set_idp(IdpReachability::NotAnswering { next_try_at_ms });
                }
            });
        } else {
            self.schedule_refresh();
        }
    }
}

part! {
    /// One refresh at the token endpoint: a part of its own (crate::split), as a first visit holds
    /// no tokens to refresh.
    fn refreshed(session: Session) -> LocalFuture<'static, Result<(), Error>> {
        Box::pin(async move { session.refresh_once().await })
    }
}
