//! The realm file (`realm/mo-realm.json`, Keycloak's realm-export format) as the tests read it: users,
//! passwords, uuids, roles and clients, so nothing in the tests duplicates it.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::TestResult;

/// The parts of `realm/mo-realm.json` (Keycloak's realm-export format) that tests need.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Realm {
    #[serde(rename = "realm")]
    pub name: String,
    #[serde(default)]
    pub users: Vec<RealmUser>,
    #[serde(default)]
    pub clients: Vec<RealmClient>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RealmUser {
    pub username: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    #[serde(default)]
    pub attributes: HashMap<String, Vec<String>>,
    #[serde(default)]
    credentials: Vec<RealmCredential>,
    #[serde(default)]
    pub realm_roles: Vec<String>,
    /// Set on a client's service-account user.
    pub service_account_client_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct RealmCredential {
    #[serde(rename = "type")]
    kind: String,
    value: Option<String>,
    #[serde(default)]
    temporary: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RealmClient {
    pub client_id: String,
    #[serde(default)]
    pub public_client: bool,
    pub secret: Option<String>,
    #[serde(default)]
    pub direct_access_grants_enabled: bool,
    #[serde(default)]
    pub service_accounts_enabled: bool,
}

impl Realm {
    pub fn load(path: &Path) -> TestResult<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Ok(serde_json::from_str(&text)
            .map_err(|e| format!("cannot parse {}: {e}", path.display()))?)
    }

    pub fn user(&self, username: &str) -> Option<&RealmUser> {
        self.users.iter().find(|u| u.username == username)
    }

    /// The password of realm user `username`, or an error naming them.
    pub fn password_of(&self, username: &str) -> TestResult<String> {
        Ok(self
            .user(username)
            .and_then(RealmUser::password)
            .ok_or(format!("{username} has a password in the realm file"))?
            .to_owned())
    }

    /// The `uuid` attribute of realm user `username` (also their employee uuid).
    pub fn uuid_of(&self, username: &str) -> TestResult<uuid::Uuid> {
        let user = self
            .user(username)
            .ok_or(format!("{username} in the realm file"))?;
        Ok(user
            .uuid()
            .ok_or(format!("{username} has a uuid"))?
            .parse()?)
    }

    pub fn client(&self, client_id: &str) -> Option<&RealmClient> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }

    /// The service-account user of a client with `serviceAccountsEnabled`.
    pub fn service_account(&self, client_id: &str) -> Option<&RealmUser> {
        self.users
            .iter()
            .find(|u| u.service_account_client_id.as_deref() == Some(client_id))
    }
}

impl RealmUser {
    /// The permanent password credential, if the user has one.
    pub fn password(&self) -> Option<&str> {
        self.credentials
            .iter()
            .find(|c| c.kind == "password" && !c.temporary)
            .and_then(|c| c.value.as_deref())
    }

    /// The `uuid` user attribute (OS2mo's employee UUID), also the `uuid` claim.
    pub fn uuid(&self) -> Option<&str> {
        self.attributes
            .get("uuid")
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    /// "First Last", Keycloak's `name` claim.
    pub fn full_name(&self) -> String {
        [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    }
}
