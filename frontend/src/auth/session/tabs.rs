//! What the browser's other tabs of this app say, over a BroadcastChannel (no iframe, no
//! third-party cookie, and never a token: the messages are bare words). A sign-out in one tab
//! signs every tab out at once; a sign-in lets an anonymous tab sign itself in with its own
//! `prompt=none` round trip; a session the IdP ended makes the others ask the IdP about theirs.
//! Tabs never share tokens, so refresh-token rotation cannot make them fight.

use wasm_bindgen::{JsCast as _, closure::Closure};

use leptos::prelude::{GetUntracked as _, Set as _};

use super::{Session, SessionStatus};
use crate::auth::redirect_state::RedirectKind;

/// The channel's name (channels are per origin, so only this app's tabs hear it).
pub const TAB_CHANNEL: &str = "org-browser.session";

/// What one tab tells the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TabMessage {
    /// A sign-in completed (a code exchange, not a refresh).
    SignedIn,
    /// The user signed out.
    SignedOut,
    /// The IdP refused a refresh: the session it shares with the others is gone.
    SessionEnded,
}

impl TabMessage {
    pub fn as_str(self) -> &'static str {
        match self {
            TabMessage::SignedIn => "signed-in",
            TabMessage::SignedOut => "signed-out",
            TabMessage::SessionEnded => "session-ended",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::SignedIn, Self::SignedOut, Self::SessionEnded]
            .into_iter()
            .find(|message| message.as_str() == text)
    }
}

impl Session {
    /// Listens to the other tabs for the page's lifetime (once; later calls do nothing).
    pub fn listen_to_other_tabs(&self) {
        if self.0.tabs.borrow().is_some() {
            return;
        }
        let Ok(channel) = web_sys::BroadcastChannel::new(TAB_CHANNEL) else {
            return;
        };
        let session = self.clone();
        let listener =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                if let Some(message) = event
                    .data()
                    .as_string()
                    .as_deref()
                    .and_then(TabMessage::parse)
                {
                    session.hear_from_another_tab(message);
                }
            });
        channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
        listener.forget();
        *self.0.tabs.borrow_mut() = Some(channel);
    }

    pub(super) fn tell_other_tabs(&self, message: TabMessage) {
        if let Some(channel) = self.0.tabs.borrow().as_ref() {
            let _ = channel.post_message(&message.as_str().into());
        }
    }

    /// What this tab does when another one says `message`.
    pub fn hear_from_another_tab(&self, message: TabMessage) {
        let status = self.0.status.get_untracked();
        match message {
            TabMessage::SignedOut => {
                if matches!(status, SessionStatus::SignedIn(_) | SessionStatus::Ended) {
                    self.forget(SessionStatus::SignedOutElsewhere);
                }
            }
            TabMessage::SignedIn => {
                if matches!(
                    status,
                    SessionStatus::Anonymous | SessionStatus::SignedOutElsewhere
                ) {
                    let here = web_sys::window()
                        .and_then(|window| {
                            let location = window.location();
                            Some(format!(
                                "{}{}",
                                location.pathname().ok()?,
                                location.search().ok()?
                            ))
                        })
                        .unwrap_or_else(|| "/".into());
                    let leaving = self.leave_for_idp(RedirectKind::SilentCheck, &here, false, true);
                    if let Err(err) = leaving {
                        self.0.notice.set(Some(err));
                    }
                }
            }
            TabMessage::SessionEnded => {
                if matches!(status, SessionStatus::SignedIn(_)) {
                    let session = self.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        let _ = session.refresh().await;
                    });
                }
            }
        }
    }
}
