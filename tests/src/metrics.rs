//! The server's `/metrics` (Prometheus text format) as the tests read it: the sum of a metric's
//! samples whose labels match.

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
        Ok(sum_samples(&response.text().await?, name, labels))
    }

    /// JWKS fetches since the server started, successful or not.
    pub async fn jwks_fetches(&self) -> TestResult<u64> {
        // Counters are whole numbers; the cast cannot lose anything below 2^53.
        Ok(self.metric(JWKS_FETCHES, &[]).await? as u64)
    }
}

/// Sums the samples of `name` (exactly, not its `_created` or bucket siblings) whose label set
/// contains every `labels` pair.
pub fn sum_samples(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, label_text) = match series.split_once('{') {
                Some((metric, rest)) => (metric, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            if metric != name {
                return None;
            }
            let matches = labels
                .iter()
                .all(|(key, want)| label_text.contains(&format!("{key}=\"{want}\"")));
            matches.then(|| value.parse::<f64>().ok()).flatten()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::sum_samples;

    #[test]
    fn sums_matching_samples_only() {
        let text = "# HELP x y\nmo_a_total{outcome=\"ok\"} 2\nmo_a_total{outcome=\"failed\"} 1\n\
                    mo_a_created 17\nmo_b_total 5\n";
        assert_eq!(sum_samples(text, "mo_a_total", &[]), 3.0);
        assert_eq!(sum_samples(text, "mo_a_total", &[("outcome", "ok")]), 2.0);
        assert_eq!(sum_samples(text, "mo_b_total", &[]), 5.0);
        assert_eq!(sum_samples(text, "mo_c_total", &[]), 0.0);
    }
}
