//! The server's `/metrics` as the tests read it: the sum of a metric's samples whose labels match.

use crate::TestResult;
use crate::app::AppServer;

/// Fetches of the realm's JWKS, labelled by `outcome`.
pub const JWKS_FETCHES: &str = "mo_jwks_fetches_total";

impl AppServer {
    /// The sum of every sample of `name` whose labels include all of `labels`.
    pub async fn metric(&self, name: &str, labels: &[(&str, &str)]) -> TestResult<f64> {
        let response = self.get("/metrics", None).await?;
        if !response.status().is_success() {
            return Err(format!("/metrics answered {}", response.status()).into());
        }
        Ok(server::metrics::sum(&response.text().await?, name, labels))
    }

    /// JWKS fetches since the server started, successful or not.
    pub async fn jwks_fetches(&self) -> TestResult<u64> {
        // Counters are whole numbers; the cast cannot lose anything below 2^53.
        Ok(self.metric(JWKS_FETCHES, &[]).await? as u64)
    }
}
