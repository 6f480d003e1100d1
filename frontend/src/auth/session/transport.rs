//! How the session's requests travel: to the token endpoint with a DPoP proof when the tab has a
//! key, and to the API with `Authorization: DPoP` and a proof bound to the token, or `Bearer`.

use std::rc::Rc;

use super::Session;
use crate::auth::{dpop::Proving, http::HttpClient};

impl Session {
    /// HTTP for the token endpoint: with a DPoP proof on each request when the session has a key.
    pub(super) fn token_http(&self) -> Rc<dyn HttpClient> {
        self.proving(None)
    }

    /// HTTP for the API with `access_token`, and the `Authorization` scheme to send it with: a
    /// proof carrying the token's hash when the token is DPoP-bound, else plain `Bearer`.
    pub(crate) fn api_http(&self, access_token: &str) -> (Rc<dyn HttpClient>, &'static str) {
        let bound = self
            .0
            .tokens
            .borrow()
            .as_ref()
            .is_some_and(|held| held.set.dpop_bound);
        if bound && self.0.dpop.is_some() {
            (self.proving(Some(access_token.to_owned())), "DPoP")
        } else {
            (self.http(), "Bearer")
        }
    }

    fn proving(&self, access_token: Option<String>) -> Rc<dyn HttpClient> {
        match &self.0.dpop {
            Some(key) => Rc::new(Proving {
                inner: self.http(),
                key: Rc::clone(key),
                now_seconds: (self.idp_now_ms() / 1000.0) as i64,
                access_token,
                origin: self.0.endpoints.app_origin.clone(),
            }),
            None => self.http(),
        }
    }

    /// Now on the IdP's clock: the browser's, corrected by the skew the last token showed (a
    /// proof's `iat` must be within seconds of the server's time).
    fn idp_now_ms(&self) -> f64 {
        let skew = self
            .0
            .tokens
            .borrow()
            .as_ref()
            .map_or(0.0, |held| held.clock_skew_ms);
        self.0.clock.now_ms() - skew
    }
}
