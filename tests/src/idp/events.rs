//! Keycloak's own event store as the tests' counter of what the IdP did: sign-ins, code
//! exchanges, refreshes and logouts of one realm since a mark.

use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::Method;
use serde::Deserialize;

use super::Idp;
use crate::TestResult;

/// Keycloak's event page size; a test realm sees a few hundred events at most.
const MAX_EVENTS: usize = 10_000;

/// A point in time (milliseconds since the epoch, Keycloak's event clock on this machine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventMark(i64);

/// One stored user event.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub time: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub client_id: Option<String>,
    pub error: Option<String>,
}

/// The realm's user events since a mark, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Events(pub Vec<Event>);

impl Events {
    /// How many events have this type (e.g. `REFRESH_TOKEN`, `LOGIN_ERROR`).
    pub fn count(&self, kind: &str) -> usize {
        self.0.iter().filter(|event| event.kind == kind).count()
    }

    /// Requests the token endpoint answered: code exchanges and refreshes, successful or not.
    pub fn token_requests(&self) -> usize {
        [
            "CODE_TO_TOKEN",
            "CODE_TO_TOKEN_ERROR",
            "REFRESH_TOKEN",
            "REFRESH_TOKEN_ERROR",
        ]
        .iter()
        .map(|kind| self.count(kind))
        .sum()
    }

    /// Authorization requests that ended in a sign-in or an error (`prompt=none` included).
    pub fn authorizations(&self) -> usize {
        self.count("LOGIN") + self.count("LOGIN_ERROR")
    }

    /// Types in order, for failure messages.
    pub fn kinds(&self) -> Vec<&str> {
        self.0.iter().map(|event| event.kind.as_str()).collect()
    }
}

impl EventMark {
    pub fn now() -> Self {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis());
        Self(i64::try_from(millis).unwrap_or(i64::MAX))
    }
}

impl Idp {
    /// A mark to count events from.
    pub fn mark(&self) -> EventMark {
        EventMark::now()
    }

    /// The realm's user events at or after `since`, oldest first.
    pub async fn events_since(&self, since: EventMark) -> TestResult<Events> {
        let page = self
            .admin(Method::GET, &format!("/events?max={MAX_EVENTS}"), None)
            .await?;
        let mut events: Vec<Event> = serde_json::from_value(page)?;
        events.retain(|event| event.time >= since.0);
        events.sort_by_key(|event| event.time);
        Ok(Events(events))
    }
}
