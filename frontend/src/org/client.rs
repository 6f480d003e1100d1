//! The organisation API as the pages call it (`/api/v1/...`), over the signed-in [`ApiClient`].

use api::{Employee, Me, MoveDestinations, NewOrgUnit, OrgUnit, OrgUnitPatch};
use oauth2::http::Method;
use uuid::Uuid;

use crate::{auth::ApiClient, error::Error};

pub const ME_PATH: &str = "/api/v1/me";
pub const UNITS_PATH: &str = "/api/v1/org-units";
pub const EMPLOYEES_PATH: &str = "/api/v1/employees";

fn unit_path(uuid: Uuid) -> String {
    format!("{UNITS_PATH}/{uuid}")
}

/// Everything the tree and the unit page show besides one unit's detail.
#[derive(Debug, Clone, PartialEq)]
pub struct Organisation {
    pub me: Me,
    pub units: Vec<OrgUnit>,
    pub employees: Vec<Employee>,
}

impl Organisation {
    /// The caller, every unit and every employee, fetched at the same time.
    pub async fn load(api: &ApiClient) -> Result<Self, Error> {
        let (me, units, employees) = futures::join!(
            api.get::<Me>(ME_PATH),
            api.get::<Vec<OrgUnit>>(UNITS_PATH),
            api.get::<Vec<Employee>>(EMPLOYEES_PATH),
        );
        Ok(Self {
            me: me?,
            units: units?,
            employees: employees?,
        })
    }

    /// An employee's name, or the uuid when the employee is unknown.
    pub fn person_name(&self, person: Uuid) -> String {
        self.employees
            .iter()
            .find(|employee| employee.uuid == person)
            .map_or_else(|| person.to_string(), |employee| employee.name.clone())
    }
}

/// One unit with its `path`.
pub async fn unit(api: &ApiClient, uuid: Uuid) -> Result<OrgUnit, Error> {
    api.get(&unit_path(uuid)).await
}

/// Where the caller may move the unit, as the server judges each destination.
pub async fn move_destinations(api: &ApiClient, uuid: Uuid) -> Result<MoveDestinations, Error> {
    api.get(&format!("{}/move-destinations", unit_path(uuid)))
        .await
}

/// Creates `name` under `parent`.
pub async fn create(api: &ApiClient, name: String, parent: Uuid) -> Result<OrgUnit, Error> {
    let body = NewOrgUnit {
        name,
        parent: Some(parent),
    };
    api.request(Method::POST, UNITS_PATH, Some(&body)).await
}

/// Renames and/or moves the unit at `version` (`parent: Some(None)` = top level).
pub async fn patch(api: &ApiClient, uuid: Uuid, patch: &OrgUnitPatch) -> Result<OrgUnit, Error> {
    api.request(Method::PATCH, &unit_path(uuid), Some(patch))
        .await
}

pub async fn delete(api: &ApiClient, uuid: Uuid) -> Result<(), Error> {
    api.request_no_content::<()>(Method::DELETE, &unit_path(uuid), None)
        .await
}

/// Adds (`add`) or removes `person` as an owner of `unit`.
pub async fn set_owner(api: &ApiClient, unit: Uuid, person: Uuid, add: bool) -> Result<(), Error> {
    let method = if add { Method::PUT } else { Method::DELETE };
    let path = format!("{}/owners/{person}", unit_path(unit));
    api.request_no_content::<()>(method, &path, None).await
}
