//! SQL for org units and their owners: every unit and owner in one read, the units around one
//! unit (what a write's judgment needs, O(depth)), and the single-row writes.

use std::collections::HashMap;

use uuid::Uuid;

use model::UnitTree;

use super::{Backend, Conn, StoreError, parse_uuid};

/// One row of `org_units` (also read from a JSON array of its columns in this order).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct UnitRow {
    pub uuid: Uuid,
    pub name: String,
    pub parent: Option<Uuid>,
    pub version: i64,
}

/// Units (sorted by name) and their owners at one moment, and the tree built from them: every
/// unit ([`load`]) or the units around some ([`around`]).
#[derive(Debug, Clone, Default)]
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

/// A unit's columns as read: uuid, name, parent, version.
type Row = (String, String, Option<String>, i64);
/// A unit's columns and one of its owners (none: the unit has none, or was not asked for them).
type RowWithOwner = (String, String, Option<String>, i64, Option<String>);

/// Reads every unit and owner (two statements; run it inside a transaction for one moment), each
/// backend the way its driver hands them over fastest (20 000 units): PostgreSQL's rows as rows
/// (25 ms; as one JSON array 36 ms); SQLite's as one JSON array its database builds (20 ms), as
/// sqlx's SQLite driver passes each row through its worker thread (rows: 90 ms).
pub async fn load(conn: &mut Conn) -> Result<Snapshot, StoreError> {
    let (units, owners) = match Backend::of_connection(conn) {
        Backend::Postgres => {
            let rows: Vec<Row> =
                sqlx::query_as("SELECT uuid, name, parent, version FROM org_units")
                    .fetch_all(&mut *conn)
                    .await?;
            let owner_rows: Vec<(String, String)> =
                sqlx::query_as("SELECT unit, person FROM org_unit_owners")
                    .fetch_all(&mut *conn)
                    .await?;
            (unit_rows(rows)?, owner_pairs(owner_rows)?)
        }
        Backend::Sqlite => (
            json_array(
                conn,
                "SELECT json_group_array(json_array(uuid, name, parent, version)) FROM org_units",
            )
            .await?,
            json_array(
                conn,
                "SELECT json_group_array(json_array(unit, person)) FROM org_unit_owners",
            )
            .await?,
        ),
    };
    Ok(snapshot(units, owners))
}

/// The one value `sql` answers, a JSON array, read as `T`.
async fn json_array<T: serde::de::DeserializeOwned>(
    conn: &mut Conn,
    sql: &str,
) -> Result<T, StoreError> {
    let (json,): (String,) = sqlx::query_as(sql).fetch_one(&mut *conn).await?;
    serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("rows read as JSON: {e}")))
}

/// The units a judgment about `unit` (and a move of it under `new_parent`) looks at, for the
/// caller whose owned units count (`person`, see `Caller::owning_person`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Focus {
    pub unit: Option<Uuid>,
    pub new_parent: Option<Uuid>,
    pub person: Option<Uuid>,
}

/// The units around the focus, in one statement. `chain`: the ancestors (and selves) of the unit
/// `$1`, the new parent `$2` and every unit listing the person `$3` as an owner, walked up by
/// primary key, each with its owners; then, with no owner, the unit's sub-units, one other
/// sub-unit of its parent and one top-level unit other than it (by the index on `parent`; none
/// when `$1` is null).
const AROUND: &str = "WITH RECURSIVE chain(uuid, name, parent, version) AS ( \
     SELECT uuid, name, parent, version FROM org_units WHERE uuid = $1 \
     UNION SELECT uuid, name, parent, version FROM org_units WHERE uuid = $2 \
     UNION SELECT u.uuid, u.name, u.parent, u.version FROM org_units u \
         JOIN org_unit_owners o ON o.unit = u.uuid WHERE o.person = $3 \
     UNION SELECT u.uuid, u.name, u.parent, u.version FROM org_units u \
         JOIN chain c ON u.uuid = c.parent) \
     SELECT c.uuid, c.name, c.parent, c.version, o.person FROM chain c \
         LEFT JOIN org_unit_owners o ON o.unit = c.uuid \
     UNION ALL SELECT near.uuid, near.name, near.parent, near.version, NULL FROM ( \
         SELECT uuid, name, parent, version FROM org_units WHERE parent = $1 \
         UNION SELECT * FROM (SELECT uuid, name, parent, version FROM org_units \
             WHERE parent = (SELECT parent FROM org_units WHERE uuid = $1) AND uuid <> $1 \
             LIMIT 1) AS sibling \
         UNION SELECT * FROM (SELECT uuid, name, parent, version FROM org_units \
             WHERE parent IS NULL AND uuid <> $1 LIMIT 1) AS other_top) AS near";

/// Reads the units `verdicts` needs to judge writes of `focus.unit` and report its verdicts, in
/// O(depth × (1 + units listing the person) + sub-units): the focus units' ancestors with their
/// owners, the unit's sub-units, one sibling and one other top-level unit (one statement; run it
/// inside the write transaction). Only judgments about the focus units hold on its tree.
pub async fn around(conn: &mut Conn, focus: Focus) -> Result<Snapshot, StoreError> {
    let text = |uuid: Option<Uuid>| uuid.map(|u| u.to_string());
    let found: Vec<RowWithOwner> = sqlx::query_as(AROUND)
        .bind(text(focus.unit))
        .bind(text(focus.new_parent))
        .bind(text(focus.person))
        .fetch_all(&mut *conn)
        .await?;
    let mut owner_rows = Vec::new();
    let mut rows = Vec::with_capacity(found.len());
    for (uuid, name, parent, version, person) in found {
        if let Some(person) = person {
            owner_rows.push((uuid.clone(), person));
        }
        rows.push((uuid, name, parent, version));
    }
    Ok(snapshot(unit_rows(rows)?, owner_pairs(owner_rows)?))
}

/// Units as read in text columns, their uuids parsed.
fn unit_rows(rows: Vec<Row>) -> Result<Vec<UnitRow>, StoreError> {
    rows.into_iter()
        .map(|(uuid, name, parent, version)| {
            Ok(UnitRow {
                uuid: parse_uuid(&uuid)?,
                name,
                parent: parent.as_deref().map(parse_uuid).transpose()?,
                version,
            })
        })
        .collect()
}

/// (unit, person) pairs as read in text columns, parsed.
fn owner_pairs(rows: Vec<(String, String)>) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
    rows.iter()
        .map(|(unit, person)| Ok((parse_uuid(unit)?, parse_uuid(person)?)))
        .collect()
}

/// The snapshot of `units` (each once, however often listed) and `owners` (unit, person). The
/// units are sorted here, by name then uuid, byte by byte on either backend (as the browser sorts
/// them): the databases' sorts differ (PostgreSQL's follows its locale) and cost more.
fn snapshot(mut units: Vec<UnitRow>, owners: Vec<(Uuid, Uuid)>) -> Snapshot {
    units.sort_unstable_by(|a, b| (&a.name, a.uuid).cmp(&(&b.name, b.uuid)));
    units.dedup_by_key(|unit| unit.uuid);
    let tree = UnitTree::new(units.iter().map(|u| (u.uuid, u.parent)), owners);
    let index = units.iter().enumerate().map(|(i, u)| (u.uuid, i)).collect();
    Snapshot { units, tree, index }
}

/// The organisation's generation: how many writes of units or owners have committed (read it in
/// the transaction that reads the rows, so the two belong together).
pub async fn generation(conn: &mut Conn) -> Result<i64, StoreError> {
    let (generation,): (i64,) =
        sqlx::query_as("SELECT generation FROM org_generation WHERE id = 1")
            .fetch_one(conn)
            .await?;
    Ok(generation)
}

/// Adds 1 to the generation; every write below calls it in its transaction.
async fn changed(conn: &mut Conn) -> Result<(), StoreError> {
    sqlx::query("UPDATE org_generation SET generation = generation + 1 WHERE id = 1")
        .execute(conn)
        .await?;
    Ok(())
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
        .execute(&mut *conn)
        .await?;
    changed(conn).await
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
    .execute(&mut *conn)
    .await?;
    let updated = result.rows_affected() == 1;
    if updated {
        changed(conn).await?;
    }
    Ok(updated)
}

/// Adds 1 to the unit's version (its owners changed).
pub async fn bump_version(conn: &mut Conn, uuid: Uuid) -> Result<(), StoreError> {
    sqlx::query("UPDATE org_units SET version = version + 1 WHERE uuid = $1")
        .bind(uuid.to_string())
        .execute(&mut *conn)
        .await?;
    changed(conn).await
}

/// Deletes the unit and its owner rows (the schema refuses it while it has children).
pub async fn delete(conn: &mut Conn, uuid: Uuid) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM org_units WHERE uuid = $1")
        .bind(uuid.to_string())
        .execute(&mut *conn)
        .await?;
    changed(conn).await
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
        .execute(&mut *conn)
        .await?;
    let set = result.rows_affected() == 1;
    if set {
        changed(conn).await?;
    }
    Ok(set)
}

#[cfg(test)]
#[path = "units_tests.rs"]
mod tests;
