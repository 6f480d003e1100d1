//! Signing-key rotation the way an operator does it in Keycloak: a new `rsa-generated` key
//! provider with a higher priority, then the old ones made passive and disabled.

use reqwest::Method;
use serde_json::{Value, json};

use super::Idp;
use crate::TestResult;

const KEY_PROVIDER: &str = "org.keycloak.keys.KeyProvider";
/// The provider of the realm's RS256 signing keys (the RSA-OAEP one is `rsa-enc-generated`).
const RSA_SIGNING: &str = "rsa-generated";

/// The active RS256 signing key (`kid`) and every RS256 key the realm publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyState {
    pub kid: String,
    pub kids: Vec<String>,
}

impl Idp {
    /// A new RSA signing key with a higher priority than every other: new tokens carry its kid;
    /// the old keys stay published.
    pub async fn rotate_keys(&self) -> TestResult<KeyState> {
        let providers = self.signing_key_providers().await?;
        let top = providers
            .iter()
            .filter_map(|c| c["config"]["priority"][0].as_str()?.parse::<i64>().ok())
            .max()
            .unwrap_or(100);
        let realm_id = self.admin(Method::GET, "", None).await?["id"].clone();
        let component = json!({
            "name": format!("rotated-{}", providers.len()),
            "providerId": RSA_SIGNING,
            "providerType": KEY_PROVIDER,
            "parentId": realm_id,
            "config": { "priority": [(top + 10).to_string()], "algorithm": ["RS256"] },
        });
        self.admin(Method::POST, "/components", Some(&component))
            .await?;
        self.key_state().await
    }

    /// Every signing key but the active one is made passive (still published, signs nothing),
    /// then disabled (gone from the JWKS): their tokens can no longer be verified.
    pub async fn retire_old_keys(&self) -> TestResult<KeyState> {
        let providers = self.signing_key_providers().await?;
        let top = providers
            .iter()
            .filter_map(|c| c["config"]["priority"][0].as_str()?.parse::<i64>().ok())
            .max();
        for mut provider in providers {
            let priority = provider["config"]["priority"][0]
                .as_str()
                .and_then(|p| p.parse::<i64>().ok());
            if priority == top {
                continue;
            }
            let id = provider["id"]
                .as_str()
                .ok_or("a component without id")?
                .to_owned();
            for (setting, value) in [("active", "false"), ("enabled", "false")] {
                provider["config"][setting] = json!([value]);
                self.admin(Method::PUT, &format!("/components/{id}"), Some(&provider))
                    .await?;
            }
        }
        self.key_state().await
    }

    /// The active RS256 key and all published RS256 keys (`/admin/realms/{realm}/keys`).
    pub async fn key_state(&self) -> TestResult<KeyState> {
        let keys = self.admin(Method::GET, "/keys", None).await?;
        let kid = keys["active"]["RS256"]
            .as_str()
            .ok_or("the realm has no active RS256 key")?
            .to_owned();
        let kids = keys["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|k| k["algorithm"] == "RS256" && k["status"] != "DISABLED")
            .filter_map(|k| k["kid"].as_str().map(str::to_owned))
            .collect();
        Ok(KeyState { kid, kids })
    }

    async fn signing_key_providers(&self) -> TestResult<Vec<Value>> {
        let all = self
            .admin(
                Method::GET,
                &format!("/components?type={KEY_PROVIDER}"),
                None,
            )
            .await?;
        Ok(all
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["providerId"] == RSA_SIGNING)
            .cloned()
            .collect())
    }
}
