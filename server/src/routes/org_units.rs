//! `/api/v1/org-units`: list, read, create, rename/move, delete and owners; each write checks the
//! caller's roles before it opens its transaction and the whole RBAC decision inside it, on the
//! units around the ones it touches (O(depth), not O(units)).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, LOCATION, VARY};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::caller;
use super::input::{ApiJson, OwnerPath, UnitPath, unit_name};
use crate::auth::Principal;
use crate::error::Error;
use crate::list_cache::{AccessKey, Encoding, POLISH_AFTER, POLISH_MIN_BYTES};
use crate::rbac::{Access, Caller, Destination, Operation};
use crate::state::AppState;
use crate::store::units::{self, Focus, Snapshot, UnitRow};
use crate::store::{Conn, Tx, employees};
use crate::verdicts::{self, Conflict};

const NO_SUCH_UNIT: &str = "no such organisation unit";

/// The rows at one moment (all of them, or those around a unit) and the caller's access to them.
struct View {
    snapshot: Arc<Snapshot>,
    access: Access,
}

impl View {
    fn new(snapshot: Arc<Snapshot>, caller: &Caller) -> Self {
        let access = Access::new(caller.clone(), &snapshot.tree);
        Self { snapshot, access }
    }

    /// Every unit: for lists and for what needs the whole tree.
    async fn load(conn: &mut Conn, caller: &Caller) -> Result<Self, Error> {
        Ok(Self::new(Arc::new(units::load(conn).await?), caller))
    }

    /// The units around `unit` (and `new_parent`): enough to judge and answer for them alone.
    async fn around(
        conn: &mut Conn,
        caller: &Caller,
        unit: Option<Uuid>,
        new_parent: Option<Uuid>,
    ) -> Result<Self, Error> {
        let focus = Focus {
            unit,
            new_parent,
            person: caller.owning_person(),
        };
        Ok(Self::new(
            Arc::new(units::around(conn, focus).await?),
            caller,
        ))
    }

    fn unit(&self, uuid: Uuid) -> Result<&UnitRow, Error> {
        self.snapshot
            .unit(uuid)
            .ok_or(Error::NotFound(NO_SUCH_UNIT))
    }

    /// A parent named in the body must exist (422 naming `parent`).
    fn require_parent(&self, parent: Option<Uuid>) -> Result<(), Error> {
        match parent {
            Some(parent) if !self.snapshot.tree.contains(parent) => Err(Error::validation(
                "parent",
                format!("parent {parent} is not an organisation unit"),
            )),
            _ => Ok(()),
        }
    }

    /// The RBAC decision and the tree's rules for `operation` (403 or 409 when refused).
    fn judge(&self, operation: &Operation) -> Result<(), Error> {
        Ok(verdicts::judge(
            &self.access,
            &self.snapshot.tree,
            operation,
        )?)
    }

    /// The API shape of `row` with the caller's verdicts, and its path when `with_path`.
    fn to_api(&self, row: &UnitRow, with_path: bool) -> api::OrgUnit {
        let tree = &self.snapshot.tree;
        api::OrgUnit {
            uuid: row.uuid,
            name: row.name.clone(),
            parent: row.parent,
            owners: tree.owners(row.uuid).to_vec(),
            version: row.version,
            permissions: verdicts::permissions(&self.access, tree, row.uuid),
            path: with_path.then(|| tree.path(row.uuid)),
        }
    }

    /// One unit's answer, with its path.
    fn answer(&self, uuid: Uuid) -> Result<api::OrgUnit, Error> {
        Ok(self.to_api(self.unit(uuid)?, true))
    }

    /// The answer for `uuid` as it stands in `tx` (after a write, or for a read of one unit):
    /// the units around it read and the unit answered with its path.
    async fn answer_around(
        tx: &mut Tx,
        caller: &Caller,
        uuid: Uuid,
    ) -> Result<api::OrgUnit, Error> {
        Self::around(tx, caller, Some(uuid), None)
            .await?
            .answer(uuid)
    }
}

/// Reads every unit in one read transaction, so units and owners come from the same moment.
async fn read_view(state: &AppState, caller: &Caller) -> Result<View, Error> {
    let mut tx = state.db().begin_read().await?;
    let view = View::load(&mut tx, caller).await?;
    tx.commit().await?;
    Ok(view)
}

/// `GET /api/v1/org-units`: every unit, flat, with the caller's permissions, in the best encoding
/// the client accepts. O(units) once per data generation and kind of caller (`list_cache`), then
/// one query and the kept body.
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let caller = caller(&state, &principal);
    let (key, encoding) = (
        AccessKey::of(&caller),
        Encoding::preferred(headers.get(ACCEPT_ENCODING)),
    );
    let cache = state.list_cache();
    let mut tx = state.db().begin_read().await?;
    let generation = units::generation(&mut tx).await?;
    if let Some(body) = cache.body(generation, key, encoding) {
        tx.commit().await?;
        return Ok(encoded(body, encoding));
    }
    let snapshot = match cache.snapshot(generation) {
        Some(snapshot) => snapshot,
        None => {
            let snapshot = Arc::new(units::load(&mut tx).await?);
            cache.keep_snapshot(generation, snapshot.clone());
            snapshot
        }
    };
    tx.commit().await?;
    // The verdicts, the JSON and its compression: CPU work off the request workers.
    let body = tokio::task::spawn_blocking(move || {
        let view = View::new(snapshot, &caller);
        let units: Vec<api::OrgUnit> = view
            .snapshot
            .units
            .iter()
            .map(|row| view.to_api(row, false))
            .collect();
        // Sized for the whole list at once (~325 B a unit) instead of growing by doubling.
        let mut json = Vec::with_capacity(units.len() * 384);
        serde_json::to_writer(&mut json, &units).map(|()| encoding.encode(&json))
    })
    .await
    .map_err(listing_failed)?
    .map_err(listing_failed)?;
    let first = cache.keep_body(generation, key, encoding, body.clone());
    if first && encoding.polishes() && body.len() >= POLISH_MIN_BYTES {
        tokio::spawn(polish(
            state.clone(),
            generation,
            key,
            encoding,
            POLISH_AFTER,
        ));
    }
    Ok(encoded(body, encoding))
}

/// The list's encoding task failed (it panicked or the JSON could not be made): a 500.
fn listing_failed(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("listing units: {e}"))
}

/// Once `generation` has lasted `after`, polishes its list for `key` in `encoding`
/// ([`ListCache::polish`](crate::list_cache::ListCache::polish), which asks the database for the
/// current generation once its turn has come).
async fn polish(
    state: AppState,
    generation: i64,
    key: AccessKey,
    encoding: Encoding,
    after: Duration,
) {
    tokio::time::sleep(after).await;
    let current = async {
        let mut tx = state.db().begin_read().await.ok()?;
        let current = units::generation(&mut tx).await.ok()?;
        tx.commit().await.ok()?;
        Some(current)
    };
    state
        .list_cache()
        .polish(generation, key, encoding, current)
        .await;
}

/// A JSON answer already encoded (the compression layer leaves it as it is).
fn encoded(body: axum::body::Bytes, encoding: Encoding) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(value) = encoding.header() {
        headers.insert(CONTENT_ENCODING, value);
    }
    response
}

/// `GET /api/v1/org-units/{uuid}`: one unit with its `path`, read around it.
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    UnitPath(uuid): UnitPath,
) -> Result<Json<api::OrgUnit>, Error> {
    let mut tx = state.db().begin_read().await?;
    let unit = View::answer_around(&mut tx, &caller(&state, &principal), uuid).await?;
    tx.commit().await?;
    Ok(Json(unit))
}

/// `GET /api/v1/org-units/{uuid}/move-destinations`: where the caller may move the unit, each
/// destination judged like the PATCH that would move it there. O(units × depth).
pub async fn move_destinations(
    State(state): State<AppState>,
    principal: Principal,
    UnitPath(uuid): UnitPath,
) -> Result<Json<api::MoveDestinations>, Error> {
    let view = read_view(&state, &caller(&state, &principal)).await?;
    view.unit(uuid)?;
    Ok(Json(verdicts::move_destinations(
        &view.access,
        &view.snapshot.tree,
        uuid,
    )))
}

/// `POST /api/v1/org-units` → 201 with the unit and its `Location`.
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<api::NewOrgUnit>,
) -> Result<Response, Error> {
    let name = unit_name(&body.name)?;
    let caller = caller(&state, &principal);
    caller.may_write()?;
    let mut tx = state.db().begin_write().await?;
    let view = View::around(&mut tx, &caller, body.parent, None).await?;
    view.require_parent(body.parent)?;
    view.judge(&Operation::Create {
        parent: body.parent,
    })?;
    let uuid = Uuid::new_v4();
    units::insert(&mut tx, uuid, &name, body.parent).await?;
    let unit = View::answer_around(&mut tx, &caller, uuid).await?;
    tx.commit().await?;
    let location = format!("/api/v1/org-units/{uuid}");
    Ok((StatusCode::CREATED, [(LOCATION, location)], Json(unit)).into_response())
}

/// `PATCH /api/v1/org-units/{uuid}` `{name?, parent?, version}` → 200 with the unit. A parent
/// equal to the current one is no move; a refusal is 403 (RBAC) or 409 `would_cycle`, then a
/// stale version is 409 `stale_version`; nothing is written on any of them.
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    UnitPath(uuid): UnitPath,
    ApiJson(patch): ApiJson<api::OrgUnitPatch>,
) -> Result<Json<api::OrgUnit>, Error> {
    let new_name = patch.name.as_deref().map(unit_name).transpose()?;
    if new_name.is_none() && patch.parent.is_none() {
        return Err(Error::validation(
            "body",
            "nothing to change: send name and/or parent",
        ));
    }
    let caller = caller(&state, &principal);
    caller.may_write()?;
    let mut tx = state.db().begin_write().await?;
    let view = View::around(&mut tx, &caller, Some(uuid), patch.parent.flatten()).await?;
    let current = view.unit(uuid)?;
    let new_parent = patch.parent.filter(|parent| *parent != current.parent);
    let operation = match new_parent {
        None => Operation::Update { unit: uuid },
        Some(parent) => {
            view.require_parent(parent)?;
            let to = parent.map_or(Destination::TopLevel, Destination::Parent);
            Operation::Move { unit: uuid, to }
        }
    };
    view.judge(&operation)?;
    let stale = Error::Conflict(Conflict::StaleVersion {
        sent: patch.version,
    });
    if patch.version != current.version {
        return Err(stale);
    }
    let name = new_name.unwrap_or_else(|| current.name.clone());
    let parent = new_parent.unwrap_or(current.parent);
    // Also the guard when another writer got in between (the UPDATE names the version).
    if !units::update(&mut tx, uuid, &name, parent, patch.version).await? {
        return Err(stale);
    }
    let unit = View::answer_around(&mut tx, &caller, uuid).await?;
    tx.commit().await?;
    Ok(Json(unit))
}

/// `DELETE /api/v1/org-units/{uuid}` → 204; a unit with sub-units is 409 `has_children`.
pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    UnitPath(uuid): UnitPath,
) -> Result<StatusCode, Error> {
    let caller = caller(&state, &principal);
    caller.may_write()?;
    let mut tx = state.db().begin_write().await?;
    let view = View::around(&mut tx, &caller, Some(uuid), None).await?;
    view.unit(uuid)?;
    view.judge(&Operation::Delete { unit: uuid })?;
    units::delete(&mut tx, uuid).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The common part of the owner writes: the unit exists and the caller may manage its owners.
async fn owners_write(state: &AppState, principal: &Principal, unit: Uuid) -> Result<Tx, Error> {
    let caller = caller(state, principal);
    caller.may_write()?;
    let mut tx = state.db().begin_write().await?;
    let view = View::around(&mut tx, &caller, Some(unit), None).await?;
    view.unit(unit)?;
    view.judge(&Operation::ManageOwners { unit })?;
    Ok(tx)
}

/// `PUT /api/v1/org-units/{uuid}/owners/{person_uuid}` → 204 (also when already an owner);
/// a person who is not an employee is 422 naming `person_uuid`.
pub async fn add_owner(
    State(state): State<AppState>,
    principal: Principal,
    OwnerPath { unit, person }: OwnerPath,
) -> Result<StatusCode, Error> {
    let mut tx = owners_write(&state, &principal, unit).await?;
    if !employees::exists(&mut tx, person).await? {
        return Err(Error::validation(
            "person_uuid",
            format!("{person} is not an employee"),
        ));
    }
    if units::set_owner(&mut tx, unit, person, true).await? {
        units::bump_version(&mut tx, unit).await?;
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/org-units/{uuid}/owners/{person_uuid}` → 204; 404 when not an owner.
pub async fn remove_owner(
    State(state): State<AppState>,
    principal: Principal,
    OwnerPath { unit, person }: OwnerPath,
) -> Result<StatusCode, Error> {
    let mut tx = owners_write(&state, &principal, unit).await?;
    if !units::set_owner(&mut tx, unit, person, false).await? {
        return Err(Error::NotFound("that person is not an owner of this unit"));
    }
    units::bump_version(&mut tx, unit).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
#[path = "org_units_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "org_units_around_tests.rs"]
mod around_tests;
