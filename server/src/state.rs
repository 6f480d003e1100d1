//! The application's state, built once from the settings: the validator and its key source, the
//! DPoP proof checker, the metrics, the database pool, the org-unit list cache, the documents
//! served as they are (`keycloak.json`, the CSP).

use std::sync::Arc;

use axum::http::HeaderValue;

use url::Url;

use crate::auth::{JwksCache, ProofChecker, ProofRules, RefreshPolicy, Validator};
use crate::csp;
use crate::error::Error;
use crate::list_cache::ListCache;
use crate::metrics::Metrics;
use crate::settings::Settings;
use crate::store::Store;

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    settings: Settings,
    realm: Arc<str>,
    validator: Validator,
    jwks: Arc<JwksCache>,
    proofs: ProofChecker,
    public_origins: Vec<Url>,
    metrics: Arc<Metrics>,
    db: Store,
    list_cache: ListCache,
    keycloak_json: api::KeycloakJson,
    csp: HeaderValue,
}

impl AppState {
    /// Validates the settings and builds the state (no network or database access yet).
    /// Needs a Tokio runtime.
    pub fn new(settings: Settings) -> Result<Self, Error> {
        let resolved = settings.resolve()?;
        let jwks = JwksCache::new(
            resolved.jwks_url.clone(),
            resolved.signing_algorithms.clone(),
            RefreshPolicy::from_settings(&settings),
        )
        .map_err(|e| Error::Internal(format!("HTTP client: {e}")))?;
        let validator = Validator::new(&settings, &resolved);
        Ok(Self {
            inner: Arc::new(Inner {
                realm: Arc::from(settings.keycloak_realm.as_str()),
                metrics: Arc::new(Metrics::new(jwks.clone(), validator.clone())),
                validator,
                jwks,
                proofs: ProofChecker::new(
                    ProofRules {
                        max_age_seconds: settings.dpop_proof_max_age_seconds,
                        leeway_seconds: settings.clock_leeway_seconds,
                    },
                    settings.dpop_replay_cache_entries,
                ),
                public_origins: resolved.public_origins,
                db: Store::connect_lazy(&settings.database_url, settings.pool_limits())?,
                list_cache: ListCache::default(),
                csp: csp::policy(&resolved.idp_browser_origin)?,
                keycloak_json: resolved.keycloak_json,
                settings,
            }),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    pub fn realm(&self) -> Arc<str> {
        self.inner.realm.clone()
    }

    pub fn validator(&self) -> &Validator {
        &self.inner.validator
    }

    pub fn jwks(&self) -> &Arc<JwksCache> {
        &self.inner.jwks
    }

    /// The DPoP proof checker and its replay memory.
    pub fn proofs(&self) -> &ProofChecker {
        &self.inner.proofs
    }

    /// `public_origins` (see [`crate::routes::authenticate`] for what none means).
    pub fn public_origins(&self) -> &[Url] {
        &self.inner.public_origins
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    pub fn db(&self) -> &Store {
        &self.inner.db
    }

    pub fn list_cache(&self) -> &ListCache {
        &self.inner.list_cache
    }

    /// Migrates the database and seeds an empty one ([`Store::prepare`]); the server does this
    /// before it serves. Without it the API's tables are missing (health checks still work).
    pub async fn prepare_database(&self) -> Result<(), Error> {
        Ok(self.db().prepare(&self.settings().seed_realm_file).await?)
    }

    pub fn keycloak_json(&self) -> &api::KeycloakJson {
        &self.inner.keycloak_json
    }

    /// The Content-Security-Policy every answer carries ([`csp::policy`]).
    pub fn csp(&self) -> &HeaderValue {
        &self.inner.csp
    }
}
