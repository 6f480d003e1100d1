//! The app's top level: load the sign-in settings, start the session, then route inside the
//! layout every page shares (skip link, header with the account area, main landmark).

use std::rc::Rc;

use leptos::{ev, html, prelude::*};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};
use send_wrapper::SendWrapper;

use crate::{
    auth::{
        ApiClient, Session,
        boot::{self, OnLoad, Started},
        clock::BrowserClock,
        dpop::DpopKey,
        endpoints::Endpoints,
        http::FetchClient,
    },
    components::{
        account_menu::{AccountMenu, MainNav},
        error_panel::ErrorPanel,
        idp_notice::IdpUnavailableNotice,
        loading::Loading,
        notices::{NoticeRegion, Notices},
        protected::Protected,
        session_expiry::SessionExpiryNotice,
        session_notice::SessionEndedNotice,
    },
    config::{self, KeycloakJson},
    pages::{landing::Landing, me::MePage, not_found::NotFound, unit::UnitPage, units::UnitsPage},
    split::part,
};

/// The product name shown in the header (and in `index.html`'s `<title>`).
pub const APP_NAME: &str = "Org Browser";

/// The whole app.
#[component]
pub fn App(
    /// What start-up does (keycloak-js `onLoad`); when not given, the build's setting
    /// ([`OnLoad::from_build`], check-sso unless `APP_ON_LOAD` said otherwise).
    #[prop(optional)]
    on_load: Option<OnLoad>,
) -> impl IntoView {
    let on_load = on_load.unwrap_or_else(OnLoad::from_build);
    let keycloak = LocalResource::new(load_settings);
    move || match keycloak.get() {
        None => view! {
            <Layout>
                <Loading label="Loading sign-in settings…" />
            </Layout>
        }
        .into_any(),
        Some(Err(err)) => view! {
            <Layout>
                <ErrorPanel
                    title="Sign-in settings could not be loaded"
                    message=format!("{err} Check that the server is running, then retry.")
                    on_retry=move || keycloak.refetch()
                />
            </Layout>
        }
        .into_any(),
        Some(Ok((config, dpop))) => view! { <SessionRoot config dpop on_load /> }.into_any(),
    }
}

/// `keycloak.json`, and the tab's DPoP key when it says the app uses DPoP.
async fn load_settings() -> Result<(KeycloakJson, Option<Rc<DpopKey>>), crate::error::Error> {
    let config = config::load().await?;
    let dpop = match config.dpop {
        true => Some(Rc::new(DpopKey::generate().await?)),
        false => None,
    };
    Ok((config, dpop))
}

/// Owns the one [`Session`] (a context, with the settings and the API client), runs start-up,
/// and mounts the router once the address bar holds the real route (no callback parameters).
#[component]
fn SessionRoot(config: KeycloakJson, dpop: Option<Rc<DpopKey>>, on_load: OnLoad) -> impl IntoView {
    let session = Session::with_dpop(
        Endpoints::for_this_origin(&config),
        Rc::new(BrowserClock),
        Rc::new(FetchClient),
        dpop,
    );
    boot::watch_wake_ups(&session);
    session.listen_to_other_tabs();
    provide_context(config);
    provide_context(ApiClient::new(session.clone()));
    provide_context(session.clone());
    provide_context(Notices::new());

    let started = ArcRwSignal::new(None::<Started>);
    {
        let started = started.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let outcome = boot::start(&session, on_load).await;
            started.set(Some(outcome));
        });
    }
    move || match started.get() {
        Some(Started::Ready) => view! { <RoutedApp /> }.into_any(),
        Some(Started::Redirecting) => view! {
            <Layout>
                <Loading label="Taking you to sign-in…" />
            </Layout>
        }
        .into_any(),
        None => view! {
            <Layout>
                <Loading label="Checking your sign-in…" />
            </Layout>
        }
        .into_any(),
    }
}

#[component]
fn RoutedApp() -> impl IntoView {
    view! {
        <Router>
            <Layout routed=true>
                <Routes fallback=NotFound>
                    <Route path=path!("") view=Landing />
                    <Route
                        path=path!("/units")
                        view=|| view! { <Protected>{page_part(units_page)}</Protected> }
                    />
                    <Route
                        path=path!("/units/:uuid")
                        view=|| view! { <Protected>{page_part(unit_page)}</Protected> }
                    />
                    <Route
                        path=path!("/me")
                        view=|| view! { <Protected>{page_part(me_page)}</Protected> }
                    />
                </Routes>
            </Layout>
        </Router>
    }
}

part! {
    /// The organisation's units (`/units`): a part of its own (crate::split).
    fn units_page() -> AnyView {
        view! { <UnitsPage /> }.into_any()
    }
}

part! {
    /// One unit (`/units/:uuid`): a part of its own.
    fn unit_page() -> AnyView {
        view! { <UnitPage /> }.into_any()
    }
}

part! {
    /// The signed-in user's page (`/me`): a part of its own.
    fn me_page() -> AnyView {
        view! { <MePage /> }.into_any()
    }
}

/// A page that is a part of its own: a loading state until its module is there, or a panel
/// that says it could not be loaded and offers to reload.
fn page_part<F>(page: fn() -> F) -> impl IntoView
where
    F: Future<Output = Result<AnyView, crate::error::Error>> + 'static,
{
    view! {
        <Suspense fallback=|| view! { <Loading label="Loading the page…" /> }>
            // The future stays on the browser's one thread: the wrapper only satisfies `Send`.
            {Suspend::new(SendWrapper::new(async move {
                page().await.unwrap_or_else(|err| {
                    view! {
                        <ErrorPanel
                            title="This page could not be loaded"
                            message=err.to_string()
                            on_retry=reload
                        />
                    }
                    .into_any()
                })
            }))}
        </Suspense>
    }
}

/// Loads the page again (what a part that could not be fetched needs: a fresh index.html may
/// name a newer build).
fn reload() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

/// Skip link, header and main landmark. `routed` adds the account area and the session notice
/// (they need the router and the session).
#[component]
fn Layout(#[prop(optional)] routed: bool, children: Children) -> impl IntoView {
    let main = NodeRef::<html::Main>::new();
    // The router would turn `#main` into a navigation; move focus to the content instead.
    let skip_to_main = move |ev: ev::MouseEvent| {
        ev.prevent_default();
        if let Some(main) = main.get() {
            let _ = main.focus();
        }
    };

    view! {
        <a class="skip-link" href="#main" on:click=skip_to_main>
            "Skip to content"
        </a>
        <header class="app-header">
            <div class="app-header__inner">
                <a href="/" class="brand">
                    <img class="brand__mark" src="/logo.svg" alt="" width="28" height="28" />
                    {APP_NAME}
                </a>
                {routed.then(|| view! { <MainNav /> <AccountMenu /> })}
            </div>
        </header>
        {routed
            .then(|| {
                view! {
                    <IdpUnavailableNotice />
                    <SessionEndedNotice />
                    <SessionExpiryNotice />
                }
            })}
        <main id="main" class="app-main" tabindex="-1" node_ref=main>
            {children()}
        </main>
        {routed.then(|| view! { <NoticeRegion /> })}
    }
}
