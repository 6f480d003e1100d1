//! The org-unit API as the end-to-end tests drive it: a Keycloak realm plus the server seeded from
//! the realm file, an API client that logs in as a realm user or the dipex service account, and
//! the checks on its answers (verdicts, errors, subtrees).

use std::collections::HashMap;

use crate::TestResult;
use crate::app::{AppServer, settings_for};
use crate::database;
use crate::idp::Idp;
use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// The demo unit eline owns (a mid-level unit with sub-units).
pub const ELINE_UNIT: &str = "Social og Sundhed";

/// A Keycloak realm and a server that trusts it, seeded with the demo organisation and the realm's
/// users, on the database the run selects ([`database::for_test`]).
pub struct Org {
    pub idp: Idp,
    pub server: AppServer,
}

impl Org {
    pub async fn start() -> TestResult<Self> {
        let idp = Idp::start().await?;
        let mut settings = settings_for(&idp);
        settings.database_url = database::for_test(settings.database_url).await?;
        let server = AppServer::start(settings).await?;
        Ok(Self { idp, server })
    }

    /// An API client with a password-grant token of `username`, or for `dipex` a client-credentials token.
    pub async fn client(&self, who: &str) -> TestResult<Client> {
        Client::login(&self.idp, &self.server.origin, who).await
    }
}

/// One answer: the status and the JSON body (`Null` for an empty body).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    /// The body when the status is `want`, else an error showing both.
    pub fn expect(self, want: StatusCode, case: &str) -> TestResult<Value> {
        if self.status == want {
            Ok(self.body)
        } else {
            Err(format!(
                "{case}: expected {want}, got {}: {}",
                self.status, self.body
            )
            .into())
        }
    }

    /// A JSON error body with status `want` and `error` code `code`.
    pub fn expect_error(
        self,
        want: StatusCode,
        code: &str,
        case: &str,
    ) -> TestResult<api::ErrorBody> {
        let body: api::ErrorBody = serde_json::from_value(self.expect(want, case)?)?;
        if body.error != code {
            return Err(format!("{case}: error {:?}, expected {code:?}", body.error).into());
        }
        Ok(body)
    }

    /// 403 naming `rule` (in `rule` and as the description's first word).
    pub fn expect_denied(self, rule: &str, case: &str) -> TestResult {
        let body = self.expect_error(StatusCode::FORBIDDEN, "forbidden", case)?;
        if body.rule.map(api::Rule::name) != Some(rule)
            || !body.description.starts_with(&format!("{rule}: "))
        {
            return Err(
                format!("{case}: refused by {:?}, expected {rule}", body.description).into(),
            );
        }
        Ok(())
    }
}

/// The org-unit API with one bearer token.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    origin: String,
    token: String,
}

impl Client {
    pub async fn login(idp: &Idp, origin: &str, who: &str) -> TestResult<Self> {
        let tokens = if who == "dipex" {
            idp.client_credentials_token(who).await?
        } else {
            idp.password_token(who).await?
        };
        Ok(Self {
            http: reqwest::Client::new(),
            origin: origin.to_owned(),
            token: tokens.access_token,
        })
    }

    /// Sends `method path` with an optional JSON body; every non-empty answer must be JSON.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> TestResult<Answer> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.origin))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        self.answer(request, &format!("{method} {path}")).await
    }

    /// Sends a raw body with a content type, for malformed-input cases.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> TestResult<Answer> {
        let request = self
            .http
            .request(method.clone(), format!("{}{path}", self.origin))
            .bearer_auth(&self.token)
            .header(CONTENT_TYPE, content_type)
            .body(body.to_owned());
        self.answer(request, &format!("{method} {path}")).await
    }

    async fn answer(&self, request: reqwest::RequestBuilder, case: &str) -> TestResult<Answer> {
        let response = request.send().await?;
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("?").to_owned());
        let text = response.text().await?;
        if text.is_empty() {
            return Ok(Answer {
                status,
                body: Value::Null,
            });
        }
        if content_type.as_deref() != Some("application/json") {
            return Err(
                format!("{case}: {status} answered {content_type:?}, not JSON: {text}").into(),
            );
        }
        Ok(Answer {
            status,
            body: serde_json::from_str(&text)?,
        })
    }

    /// GET `path`, expecting 200 with a `T`.
    pub async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> TestResult<T> {
        let body = self
            .call(Method::GET, path, None)
            .await?
            .expect(StatusCode::OK, path)?;
        Ok(serde_json::from_value(body)?)
    }

    pub async fn units(&self) -> TestResult<Vec<api::OrgUnit>> {
        self.get("/api/v1/org-units").await
    }

    /// One unit, with its path.
    pub async fn unit(&self, uuid: Uuid) -> TestResult<api::OrgUnit> {
        self.get(&format!("/api/v1/org-units/{uuid}")).await
    }

    /// The unit called `name` (names are unique in the demo organisation).
    pub async fn unit_named(&self, name: &str) -> TestResult<api::OrgUnit> {
        named(&self.units().await?, name).cloned()
    }

    /// Where the caller may move the unit.
    pub async fn destinations(&self, uuid: Uuid) -> TestResult<api::MoveDestinations> {
        self.get(&format!("/api/v1/org-units/{uuid}/move-destinations"))
            .await
    }

    pub async fn me(&self) -> TestResult<api::Me> {
        self.get("/api/v1/me").await
    }

    pub async fn employees(&self) -> TestResult<Vec<api::Employee>> {
        self.get("/api/v1/employees").await
    }

    pub async fn create(&self, name: &str, parent: Option<Uuid>) -> TestResult<Answer> {
        let body = serde_json::json!({"name": name, "parent": parent});
        self.call(Method::POST, "/api/v1/org-units", Some(&body))
            .await
    }

    pub async fn patch(&self, unit: &api::OrgUnit, changes: Value) -> TestResult<Answer> {
        let mut body = changes;
        body["version"] = unit.version.into();
        self.call(
            Method::PATCH,
            &format!("/api/v1/org-units/{}", unit.uuid),
            Some(&body),
        )
        .await
    }

    pub async fn delete(&self, unit: Uuid) -> TestResult<Answer> {
        self.call(Method::DELETE, &format!("/api/v1/org-units/{unit}"), None)
            .await
    }

    /// PUT (`add`) or DELETE an owner.
    pub async fn owner(&self, add: bool, unit: Uuid, person: Uuid) -> TestResult<Answer> {
        let method = if add { Method::PUT } else { Method::DELETE };
        self.call(
            method,
            &format!("/api/v1/org-units/{unit}/owners/{person}"),
            None,
        )
        .await
    }
}

/// Two PATCHes of the unit "Kommunikation" at one version, sent at once by `first` and `second`
/// (one client twice, or clients of two instances), `rounds` times: exactly one 200 and one 409
/// each round, and the stored row is the winner's.
pub async fn race(first: &Client, second: &Client, rounds: usize) -> TestResult {
    let client = first;
    for round in 0..rounds {
        let unit = client.unit_named("Kommunikation").await?;
        let a_name = json!({"name": format!("Kommunikation A{round}")});
        let b_name = json!({"name": format!("Kommunikation B{round}")});
        let (a, b) = tokio::join!(first.patch(&unit, a_name), second.patch(&unit, b_name));
        let (a, b) = (a?, b?);
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "round {round}"
        );
        let winner = if a.status == StatusCode::OK {
            a.body
        } else {
            b.body
        };
        let winner: api::OrgUnit = serde_json::from_value(winner)?;
        let stored = client.unit(unit.uuid).await?;
        assert_eq!(stored.name, winner.name, "the stored row is the winner's");
        assert_eq!(
            (stored.version, winner.version),
            (unit.version + 1, unit.version + 1)
        );
        // Put the name back for the next round's lookup.
        client
            .patch(&stored, json!({"name": "Kommunikation"}))
            .await?
            .expect(StatusCode::OK, "reset")?;
    }
    Ok(())
}

pub fn named<'a>(units: &'a [api::OrgUnit], name: &str) -> TestResult<&'a api::OrgUnit> {
    Ok(units
        .iter()
        .find(|u| u.name == name)
        .ok_or(format!("no unit named {name}"))?)
}

/// The units at or below `root`, by walking each unit's parents (independent of the server's walk).
pub fn subtree_of(units: &[api::OrgUnit], root: Uuid) -> Vec<Uuid> {
    let parents: HashMap<Uuid, Option<Uuid>> = units.iter().map(|u| (u.uuid, u.parent)).collect();
    units
        .iter()
        .filter(|u| {
            let mut at = Some(u.uuid);
            while let Some(unit) = at {
                if unit == root {
                    return true;
                }
                at = parents.get(&unit).copied().flatten();
            }
            false
        })
        .map(|u| u.uuid)
        .collect()
}

/// The five verdicts of `p`: update, create_child, move, delete, manage_owners.
pub fn verdicts(p: &api::Permissions) -> [api::Verdict; 5] {
    [
        p.update,
        p.create_child,
        p.move_unit,
        p.delete,
        p.manage_owners,
    ]
}

/// Whether the roles let the caller write the unit: rename, create under it and manage its owners
/// allowed (the verdicts that do not depend on the tree's shape, as delete and move do).
pub fn writes(p: &api::Permissions) -> bool {
    [p.update, p.create_child, p.manage_owners]
        .iter()
        .all(|v| v.is_allowed())
}

/// Whether every one of the five verdicts is refused by `rule`.
pub fn refused_by(p: &api::Permissions, rule: api::Rule) -> bool {
    verdicts(p).iter().all(|v| v.refusal() == Some(rule))
}

/// The uuid of a realm user (the `uuid` attribute, also their employee uuid).
pub fn person(org: &Org, username: &str) -> TestResult<Uuid> {
    org.idp.realm().uuid_of(username)
}
