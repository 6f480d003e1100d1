//! SQL for employees: the people who can own units (seeded from the realm's users).

use uuid::Uuid;

use super::{Conn, StoreError, parse_uuid};

/// Every employee, sorted by name.
pub async fn list(conn: &mut Conn) -> Result<Vec<api::Employee>, StoreError> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT uuid, name, username FROM employees ORDER BY name, username")
            .fetch_all(conn)
            .await?;
    rows.into_iter()
        .map(|(uuid, name, username)| {
            Ok(api::Employee {
                uuid: parse_uuid(&uuid)?,
                name,
                username,
            })
        })
        .collect()
}

pub async fn exists(conn: &mut Conn, uuid: Uuid) -> Result<bool, StoreError> {
    let found: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM employees WHERE uuid = $1")
        .bind(uuid.to_string())
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

pub async fn insert(conn: &mut Conn, employee: &api::Employee) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO employees (uuid, name, username) VALUES ($1, $2, $3)")
        .bind(employee.uuid.to_string())
        .bind(&employee.name)
        .bind(&employee.username)
        .execute(conn)
        .await?;
    Ok(())
}
