//! The tokens held in memory and the timing rules: clock skew from `iat`, when to refresh.

use super::{jwt::AccessClaims, login::TokenSet};

/// Refresh when this much of the access token's life remains, or a quarter of its lifetime when
/// that is shorter (so 5-minute tokens refresh 30 s early and 15-second tokens after 11¼ s).
/// It is also the least validity an API call accepts before it refreshes first.
pub const REFRESH_MARGIN_MS: f64 = 30_000.0;
/// First wait before retrying a refresh that failed on the network; doubled each time.
pub const RETRY_FIRST_MS: f64 = 1_000.0;
/// Longest wait between refresh retries.
pub const RETRY_MAX_MS: f64 = 30_000.0;
/// Lifetime assumed for an access token that is no JWT and comes without `expires_in`.
pub const FALLBACK_LIFETIME_MS: f64 = 60_000.0;

/// How much earlier than expiry a token with `lifetime_ms` is refreshed.
pub fn refresh_margin_ms(lifetime_ms: f64) -> f64 {
    (lifetime_ms / 4.0).min(REFRESH_MARGIN_MS)
}

/// The tokens in memory, with expiry on the browser's clock.
pub(crate) struct HeldTokens {
    pub set: TokenSet,
    pub claims: AccessClaims,
    /// When the access token expires, on the browser's clock.
    pub expires_at_ms: f64,
    pub lifetime_ms: f64,
    /// When the refresh token (and with it the session) can no longer be used, on the browser's
    /// clock; `None` when the IdP did not say (`refresh_expires_in` absent or 0).
    pub session_ends_at_ms: Option<f64>,
    /// How far the browser's clock is ahead of the IdP's (from `iat`; 0 when not known).
    pub clock_skew_ms: f64,
}

impl HeldTokens {
    /// Clock skew comes from `iat`: the token was issued "now" on the browser's clock.
    pub fn new(set: TokenSet, now_ms: f64) -> Self {
        let claims = AccessClaims::of(&set.access_token);
        let (expires_at_ms, lifetime_ms, clock_skew_ms) = match (claims.exp, claims.iat) {
            (Some(exp), Some(iat)) if exp > iat => {
                let (exp_ms, iat_ms) = (exp as f64 * 1000.0, iat as f64 * 1000.0);
                let skew_ms = now_ms - iat_ms;
                (exp_ms + skew_ms, exp_ms - iat_ms, skew_ms)
            }
            _ => {
                let lifetime = set
                    .expires_in_seconds
                    .map_or(FALLBACK_LIFETIME_MS, |s| s as f64 * 1000.0);
                (now_ms + lifetime, lifetime, 0.0)
            }
        };
        let session_ends_at_ms = set
            .refresh_expires_in_seconds
            .map(|seconds| now_ms + seconds as f64 * 1000.0);
        Self {
            set,
            claims,
            expires_at_ms,
            lifetime_ms,
            session_ends_at_ms,
            clock_skew_ms,
        }
    }

    pub fn refresh_due_at_ms(&self) -> f64 {
        self.expires_at_ms - refresh_margin_ms(self.lifetime_ms)
    }
}
