//! Start-up without iframes: finish a redirect that came back to `/callback`, else act on the
//! keycloak-js-style `onLoad` setting — check-sso is one top-level `prompt=none` redirect, made
//! when this browser has signed in here before ([`sign_in_hint`]).

use super::{
    callback::{self, CallbackOutcome, CallbackParams},
    clock::LocalFuture,
    discovery,
    endpoints::CALLBACK_PATH,
    redirect_state::{self, RedirectKind},
    session::Session,
    sign_in_hint,
};
use crate::{error::Error, split::part};

/// The build-time start-up mode (like keycloak-js `onLoad`), read from the `APP_ON_LOAD`
/// environment variable when the app is compiled: `check-sso` (the default), `check-sso-always`,
/// `login-required` or `none`.
pub const ON_LOAD_SETTING: Option<&str> = option_env!("APP_ON_LOAD");

/// What start-up does when the URL holds no callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnLoad {
    /// One silent `prompt=none` redirect when this browser has signed in here and not signed out
    /// since (or when that cannot be known): a live IdP session signs the user in without a form.
    /// A browser that never signed in here shows the page at once instead of bouncing off the IdP
    /// (1.6 s on Lighthouse's slow phone); a session begun in another app of the realm then takes
    /// one click on "Log in", and no form.
    #[default]
    CheckSso,
    /// keycloak-js's check-sso: the silent redirect on every load without tokens, so a session
    /// begun in another app of the realm signs the user in here on the first visit too.
    CheckSsoAlways,
    /// Straight to the IdP's sign-in (form if needed).
    LoginRequired,
    /// Nothing until the user asks to sign in or opens a protected page.
    None,
}

impl OnLoad {
    /// `check-sso`, `check-sso-always`, `login-required` or `none`; anything else is the
    /// default, check-sso.
    pub fn parse(setting: &str) -> Self {
        match setting.trim() {
            "check-sso-always" => Self::CheckSsoAlways,
            "login-required" => Self::LoginRequired,
            "none" => Self::None,
            _ => Self::CheckSso,
        }
    }

    /// The mode this build was compiled with ([`ON_LOAD_SETTING`]).
    pub fn from_build() -> Self {
        ON_LOAD_SETTING.map(Self::parse).unwrap_or_default()
    }

    /// The redirect start-up makes, given whether this browser has signed in here before
    /// ([`sign_in_hint::recorded`]; `None`: unknown).
    pub fn start_up_redirect(self, signed_in_before: Option<bool>) -> Option<RedirectKind> {
        match self {
            Self::None => None,
            Self::LoginRequired => Some(RedirectKind::SignIn),
            Self::CheckSso if signed_in_before == Some(false) => None,
            Self::CheckSso | Self::CheckSsoAlways => Some(RedirectKind::SilentCheck),
        }
    }
}

/// Whether the page can render or is on its way to the IdP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    Ready,
    Redirecting,
}

/// Decides the session's first state; may leave the page for the IdP.
pub async fn start(session: &Session, on_load: OnLoad) -> Started {
    let Some(window) = web_sys::window() else {
        session.set_anonymous(Some(Error::Browser("no window".into())));
        return Started::Ready;
    };
    let location = window.location();
    let path = location.pathname().unwrap_or_default();
    let query = location.search().unwrap_or_default();
    if path == CALLBACK_PATH {
        // Whatever the callback says, the check that set the marker has come back.
        redirect_state::take_sso_check_marker();
        let params = CallbackParams::from_query(&query);
        return match return_from_idp(session.clone(), params).await {
            Ok(finishing) => finishing.await,
            // The URL keeps the answer: a reload fetches the part and finishes the sign-in.
            Err(err) => {
                session.set_anonymous(Some(err));
                Started::Ready
            }
        };
    }
    // A marker still set means the last check left and never came back: do not loop.
    let check_never_came_back = redirect_state::take_sso_check_marker();
    let redirect = on_load.start_up_redirect(sign_in_hint::recorded());
    let Some(kind) = redirect.filter(|_| !check_never_came_back) else {
        session.set_anonymous(None);
        return Started::Ready;
    };
    let here = format!("{path}{query}");
    match session.leave_at_start(kind, &here).await {
        Ok(true) => Started::Redirecting,
        // The IdP does not answer: the page shows, saying so, and leaves once it answers.
        Ok(false) => {
            session.set_anonymous(None);
            Started::Ready
        }
        Err(err) => {
            redirect_state::take_sso_check_marker();
            session.set_anonymous(Some(err));
            Started::Ready
        }
    }
}

part! {
    /// The return from the IdP (the code exchange, the ID token's checks): a part of its own
    /// (crate::split), since a first visit has nothing to return from.
    fn return_from_idp(session: Session, params: CallbackParams) -> LocalFuture<'static, Started> {
        Box::pin(async move { finish_callback(&session, &params).await })
    }
}

async fn finish_callback(session: &Session, params: &CallbackParams) -> Started {
    let pending = redirect_state::take();
    // Only a code for a sign-in of this tab without `iss` needs the IdP's word on RFC 9207
    // (Keycloak always sends `iss`, so this costs no request there).
    let code_without_iss = params.iss.is_none()
        && params.code.is_some()
        && pending.as_ref().is_some_and(|pending| {
            pending.kind != RedirectKind::SignOut
                && params.state.as_deref() == Some(pending.state.as_str())
        });
    let iss_required = code_without_iss
        && discovery::iss_parameter_required(session.http().as_ref(), session.endpoints()).await;
    match callback::evaluate(params, pending, &session.endpoints().issuer, iss_required) {
        CallbackOutcome::Exchange { code, pending } => {
            let return_to = redirect_state::safe_return_path(&pending.return_to);
            match session.complete_sign_in(code, pending).await {
                Ok(()) => replace_url(&return_to),
                Err(err) => {
                    session.set_anonymous(Some(err));
                    replace_url("/");
                }
            }
        }
        CallbackOutcome::Anonymous { return_to } => {
            // The IdP has no session for this browser: the next load need not ask it.
            sign_in_hint::forget();
            session.set_anonymous(None);
            replace_url(&redirect_state::safe_return_path(&return_to));
        }
        CallbackOutcome::SignedOut => {
            session.set_anonymous(None);
            replace_url("/");
        }
        CallbackOutcome::RetrySignIn { pending } => {
            match session.leave_for_idp(pending.kind, &pending.return_to, true, false) {
                Ok(()) => return Started::Redirecting,
                Err(err) => {
                    session.set_anonymous(Some(err));
                    replace_url("/");
                }
            }
        }
        CallbackOutcome::Failed(err) => {
            // Never back to a protected route here: it would start another sign-in (a loop).
            session.set_anonymous(Some(err));
            replace_url("/");
        }
    }
    Started::Ready
}

/// Drops `code`, `state`, `session_state` and `iss` with the rest of the callback URL, without a
/// reload and without a history entry.
fn replace_url(path: &str) {
    if let Some(history) = web_sys::window().and_then(|window| window.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path));
    }
}

/// Checks the session at once whenever the tab wakes up: visible again, or back online (for the
/// page's lifetime).
pub fn watch_wake_ups(session: &Session) {
    use wasm_bindgen::{JsCast, closure::Closure};

    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(document) = window.document() else {
        return;
    };
    let on_visible = {
        let session = session.clone();
        let watched = document.clone();
        Closure::<dyn Fn()>::new(move || {
            if watched.visibility_state() == web_sys::VisibilityState::Visible {
                session.check_now();
            }
        })
    };
    let on_online = {
        let session = session.clone();
        Closure::<dyn Fn()>::new(move || session.check_now())
    };
    let _ = document
        .add_event_listener_with_callback("visibilitychange", on_visible.as_ref().unchecked_ref());
    let _ = window.add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
    // The listeners live as long as the page.
    on_visible.forget();
    on_online.forget();
}
