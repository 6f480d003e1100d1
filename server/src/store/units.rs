//! SQL for org units and their owners: every unit and owner in one read, and the single-row writes.

use std::collections::HashMap;

use uuid::Uuid;

use model::UnitTree;

use super::{Conn, StoreError, parse_uuid};

/// One row of `org_units`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRow {
    pub uuid: Uuid,
    pub name: String,
    pub parent: Option<Uuid>,
    pub version: i64,
}

/// Every unit (sorted by name) and every owner at one moment, and the tree built from them.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub units: Vec<UnitRow>,
    pub tree: UnitTree,
    index: HashMap<Uuid, usize>,
}

impl Snapshot {
    pub fn unit(&self, uuid: Uuid) -> Option<&UnitRow> {
        self.index.get(&uuid).map(|i| &self.units[*i])
    }
}

/// Reads every unit and owner (two statements; run it inside a transaction for one moment).
pub async fn load(conn: &mut Conn) -> Result<Snapshot, StoreError> {
    let rows: Vec<(String, String, Option<String>, i64)> =
        sqlx::query_as("SELECT uuid, name, parent, version FROM org_units ORDER BY name, uuid")
            .fetch_all(&mut *conn)
            .await?;
    let owner_rows: Vec<(String, String)> =
        sqlx::query_as("SELECT unit, person FROM org_unit_owners")
            .fetch_all(&mut *conn)
            .await?;
    let mut units = Vec::with_capacity(rows.len());
    for (uuid, name, parent, version) in rows {
        units.push(UnitRow {
            uuid: parse_uuid(&uuid)?,
            name,
            parent: parent.as_deref().map(parse_uuid).transpose()?,
            version,
        });
    }
    let mut owners = Vec::with_capacity(owner_rows.len());
    for (unit, person) in owner_rows {
        owners.push((parse_uuid(&unit)?, parse_uuid(&person)?));
    }
    let tree = UnitTree::new(units.iter().map(|u| (u.uuid, u.parent)), owners);
    let index = units.iter().enumerate().map(|(i, u)| (u.uuid, i)).collect();
    Ok(Snapshot { units, tree, index })
}

/// Inserts a new unit at version 1.
pub async fn insert(
    conn: &mut Conn,
    uuid: Uuid,
    name: &str,
    parent: Option<Uuid>,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO org_units (uuid, name, parent, version) VALUES ($1, $2, $3, 1)")
        .bind(uuid.to_string())
        .bind(name)
        .bind(parent.map(|p| p.to_string()))
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets name and parent and adds 1 to the version, only if the unit is still at `version`.
/// Returns whether a row changed.
pub async fn update(
    conn: &mut Conn,
    uuid: Uuid,
    name: &str,
    parent: Option<Uuid>,
    version: i64,
) -> Result<bool, StoreError> {
    let result = sqlx::query(
        "UPDATE org_units SET name = $1, parent = $2, version = version + 1 \
         WHERE uuid = $3 AND version = $4",
    )
    .bind(name)
    .bind(parent.map(|p| p.to_string()))
    .bind(uuid.to_string())
    .bind(version)
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Adds 1 to the unit's version (its owners changed).
pub async fn bump_version(conn: &mut Conn, uuid: Uuid) -> Result<(), StoreError> {
    sqlx::query("UPDATE org_units SET version = version + 1 WHERE uuid = $1")
        .bind(uuid.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes the unit and its owner rows (the schema refuses it while it has children).
pub async fn delete(conn: &mut Conn, uuid: Uuid) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM org_units WHERE uuid = $1")
        .bind(uuid.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Makes `person` an owner of `unit` (`owner`) or not; false when nothing changed (they already
/// were one, or were not one).
pub async fn set_owner(
    conn: &mut Conn,
    unit: Uuid,
    person: Uuid,
    owner: bool,
) -> Result<bool, StoreError> {
    let sql = if owner {
        "INSERT INTO org_unit_owners (unit, person) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    } else {
        "DELETE FROM org_unit_owners WHERE unit = $1 AND person = $2"
    };
    let result = sqlx::query(sql)
        .bind(unit.to_string())
        .bind(person.to_string())
        .execute(conn)
        .await?;
    Ok(result.rows_affected() == 1)
}
