//! Brief success notices: one at a time, announced politely (`role="status"`), gone after a few seconds.

use leptos::prelude::*;

use super::timing::after;

/// How long a notice stays on screen.
pub const NOTICE_MS: f64 = 5_000.0;

/// The app's notice slot, shared as a context (cheap to copy).
#[derive(Debug, Clone, Copy)]
pub struct Notices {
    current: RwSignal<Option<(u64, String)>>,
}

impl Default for Notices {
    fn default() -> Self {
        Self::new()
    }
}

impl Notices {
    pub fn new() -> Self {
        Self {
            current: RwSignal::new(None),
        }
    }

    /// Shows `message` for [`NOTICE_MS`], replacing any notice on screen.
    pub fn show(&self, message: impl Into<String>) {
        let id = self
            .current
            .with_untracked(|current| current.as_ref().map_or(1, |(id, _)| id + 1));
        self.current.set(Some((id, message.into())));
        let current = self.current;
        after(NOTICE_MS, move || {
            if current
                .try_with_untracked(|shown| shown.as_ref().is_some_and(|(shown, _)| *shown == id))
                == Some(true)
            {
                current.set(None);
            }
        });
    }

    pub fn message(&self) -> Option<String> {
        self.current.get().map(|(_, message)| message)
    }
}

/// The live region that shows the current notice (always in the page, so it is announced).
#[component]
pub fn NoticeRegion() -> impl IntoView {
    let notices = use_context::<Notices>();
    view! {
        <div class="toast-region" role="status" aria-live="polite" data-testid="notice">
            {move || {
                notices
                    .and_then(|notices| notices.message())
                    .map(|message| view! { <p class="toast">{message}</p> })
            }}
        </div>
    }
}
