//! The unit page's state: what one load brought (organisation, tree, unit), the forms' states
//! (kept across reloads) and reloading; the sections read it, the page owns it.

use std::sync::Arc;

use api::OrgUnit;
use leptos::prelude::*;
use uuid::Uuid;

use super::form::{FormError, FormState};
use crate::{
    auth::ApiClient,
    components::notices::Notices,
    org::{
        client::{self, Organisation},
        tree::OrgTree,
    },
};

/// The id of the page's one notice for an account that may change nothing (controls point at it).
pub const READ_ONLY_NOTICE_ID: &str = "read-only-notice";

/// One answer of the page's loads: the organisation, its tree and the unit (with `path`).
#[derive(Debug, Clone)]
pub struct Loaded {
    pub org: Arc<Organisation>,
    pub tree: Arc<OrgTree>,
    pub unit: OrgUnit,
}

/// The page's state, created once per page and kept across reloads (so forms keep their input).
#[derive(Clone, Copy)]
pub struct Page {
    pub uuid: Memo<Option<Uuid>>,
    pub data: RwSignal<Option<Loaded>>,
    pub loading: RwSignal<bool>,
    pub load_error: RwSignal<Option<String>>,
    pub rename: FormState,
    pub create: FormState,
    pub move_to: FormState,
    pub delete: FormState,
    pub add_owner: FormState,
    /// The last failed owner removal.
    pub remove_owner_error: RwSignal<Option<FormError>>,
    pub notices: Option<Notices>,
    pub(super) api: StoredValue<ApiClient>,
}

impl Page {
    pub fn api(&self) -> ApiClient {
        self.api.get_value()
    }

    /// The unit as last loaded.
    pub fn unit(&self) -> Option<OrgUnit> {
        self.data
            .with_untracked(|data| data.as_ref().map(|d| d.unit.clone()))
    }

    pub(super) fn forms(&self) -> [FormState; 5] {
        [
            self.rename,
            self.create,
            self.move_to,
            self.delete,
            self.add_owner,
        ]
    }

    /// (Re)loads the organisation and the unit; typed input is left alone.
    pub fn reload(&self) {
        let Some(uuid) = self.uuid.get_untracked() else {
            return;
        };
        let page = *self;
        page.loading.set(true);
        wasm_bindgen_futures::spawn_local(async move {
            let api = page.api();
            let (org, unit) = futures::join!(Organisation::load(&api), client::unit(&api, uuid));
            if page.uuid.try_get_untracked().flatten() != Some(uuid) {
                return; // another unit is on screen by now
            }
            match org.and_then(|org| unit.map(|unit| (org, unit))) {
                Ok((org, unit)) => {
                    let tree = Arc::new(OrgTree::new(org.units.clone()));
                    page.data.set(Some(Loaded {
                        org: Arc::new(org),
                        tree,
                        unit,
                    }));
                    page.load_error.set(None);
                }
                Err(err) => page.load_error.set(Some(err.to_string())),
            }
            page.loading.set(false);
        });
    }
}
