//! The smallest app that does the SPA's job with the packages it is specified with (leptos,
//! leptos_router, gloo-net, web-sys, oauth2, base64, serde; sha2 comes with oauth2's PKCE):
//! `keycloak.json` over gloo-net, an authorization-code sign-in with PKCE S256 and `state`
//! (oauth2), the code exchange, and the org-unit list from the API with the access token (kept in
//! memory) in a router's three pages. No refresh, ID-token checks, DPoP, tabs, tree or forms: its
//! size is what the packages cost a first visit before any of the app's own features
//! (scripts/bundle-report builds it the way Trunk builds the app and prints its size).
//! Its few helpers (the fetch adapter, the random token, the pending sign-in) are written here
//! rather than taken from frontend/ on purpose: the floor must link none of the app's code.

use std::{cell::RefCell, future::Future, pin::Pin};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use leptos::prelude::*;
use leptos_router::{
    components::{A, Route, Router, Routes},
    hooks::use_query_map,
    path,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, TokenResponse, TokenUrl, basic::BasicClient,
};
use serde::{Deserialize, Serialize};

/// sessionStorage key of the PKCE verifier and `state` while the browser is at Keycloak.
const PENDING_KEY: &str = "bundle-floor.pending";

#[derive(Deserialize)]
struct KeycloakJson {
    realm: String,
    #[serde(rename = "auth-server-url")]
    auth_server_url: String,
    resource: String,
}

#[derive(Serialize, Deserialize)]
struct Pending {
    verifier: String,
    state: String,
}

#[derive(Clone, Deserialize)]
struct Unit {
    uuid: String,
    name: String,
}

#[derive(Clone, Deserialize)]
struct UnitList {
    units: Vec<Unit>,
}

/// Every failure, as the sentence the page shows.
#[derive(Debug, Clone)]
struct Failure(String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

fn failure(err: impl std::fmt::Display) -> Failure {
    Failure(err.to_string())
}

thread_local! {
    /// The access token, in memory only.
    static ACCESS_TOKEN: RefCell<Option<String>> = const { RefCell::new(None) };
}

type Oidc = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

async fn oidc_client() -> Result<Oidc, Failure> {
    let config: KeycloakJson = gloo_net::http::Request::get("/keycloak.json")
        .send()
        .await
        .map_err(failure)?
        .json()
        .await
        .map_err(failure)?;
    let base = format!(
        "{}realms/{}/protocol/openid-connect",
        config.auth_server_url, config.realm
    );
    let origin = window()
        .location()
        .origin()
        .map_err(|_| failure("no origin"))?;
    Ok(BasicClient::new(ClientId::new(config.resource))
        .set_auth_uri(AuthUrl::new(format!("{base}/auth")).map_err(failure)?)
        .set_token_uri(TokenUrl::new(format!("{base}/token")).map_err(failure)?)
        .set_redirect_uri(RedirectUrl::new(format!("{origin}/callback")).map_err(failure)?))
}

/// 32 bytes from the browser's CSPRNG, base64url.
fn random_token() -> Result<String, Failure> {
    let mut bytes = [0u8; 32];
    window()
        .crypto()
        .and_then(|crypto| crypto.get_random_values_with_u8_array(&mut bytes))
        .map_err(|_| failure("no crypto.getRandomValues"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn session_storage() -> Result<web_sys::Storage, Failure> {
    window()
        .session_storage()
        .ok()
        .flatten()
        .ok_or_else(|| failure("no sessionStorage"))
}

/// oauth2's HTTP client: the browser's fetch through gloo-net.
fn fetch(
    request: oauth2::HttpRequest,
) -> Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, Failure>>>> {
    Box::pin(async move {
        let (parts, body) = request.into_parts();
        let mut builder =
            gloo_net::http::RequestBuilder::new(&parts.uri.to_string()).method(parts.method);
        for (name, value) in &parts.headers {
            if let Ok(value) = value.to_str() {
                builder = builder.header(name.as_str(), value);
            }
        }
        let response = builder
            .body(js_sys::Uint8Array::from(body.as_slice()))
            .map_err(failure)?
            .send()
            .await
            .map_err(failure)?;
        let mut answer = oauth2::http::Response::builder().status(response.status());
        if let Some(media_type) = response.headers().get("content-type") {
            answer = answer.header("content-type", media_type);
        }
        answer
            .body(response.binary().await.map_err(failure)?)
            .map_err(failure)
    })
}

async fn sign_in() -> Result<(), Failure> {
    let client = oidc_client().await?;
    let verifier = random_token()?;
    let challenge =
        PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier.clone()));
    let state = random_token()?;
    let (url, state) = client
        .authorize_url(|| CsrfToken::new(state))
        .set_pkce_challenge(challenge)
        .url();
    let pending = Pending {
        verifier,
        state: state.into_secret(),
    };
    session_storage()?
        .set_item(
            PENDING_KEY,
            &serde_json::to_string(&pending).map_err(failure)?,
        )
        .map_err(|_| failure("sessionStorage refused"))?;
    window()
        .location()
        .set_href(url.as_str())
        .map_err(|_| failure("no navigation"))
}

async fn complete_sign_in(code: String, state: String) -> Result<(), Failure> {
    let storage = session_storage()?;
    let pending = storage.get_item(PENDING_KEY).ok().flatten();
    let _ = storage.remove_item(PENDING_KEY);
    let pending: Pending =
        serde_json::from_str(&pending.ok_or_else(|| failure("no sign-in"))?).map_err(failure)?;
    if pending.state != state {
        return Err(failure("state does not match"));
    }
    let tokens = oidc_client()
        .await?
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
        .request_async(&fetch)
        .await
        .map_err(failure)?;
    ACCESS_TOKEN.with(|token| *token.borrow_mut() = Some(tokens.access_token().secret().clone()));
    Ok(())
}

async fn units() -> Result<UnitList, Failure> {
    let token = ACCESS_TOKEN
        .with(|token| token.borrow().clone())
        .ok_or_else(|| failure("not signed in"))?;
    gloo_net::http::Request::get("/api/v1/org-units")
        .header("authorization", &format!("Bearer {token}"))
        .send()
        .await
        .map_err(failure)?
        .json()
        .await
        .map_err(failure)
}

#[component]
fn Landing() -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    let on_click = move |_| {
        leptos::task::spawn_local(async move {
            if let Err(err) = sign_in().await {
                problem.set(Some(err.0));
            }
        })
    };
    view! {
        <h1>"Organisation"</h1>
        <button on:click=on_click>"Log in"</button>
        <p>{move || problem.get()}</p>
    }
}

#[component]
fn Callback() -> impl IntoView {
    let query = use_query_map();
    let (code, state) = query.with_untracked(|query| (query.get("code"), query.get("state")));
    let signed_in = LocalResource::new(move || {
        let (code, state) = (
            code.clone().unwrap_or_default(),
            state.clone().unwrap_or_default(),
        );
        complete_sign_in(code, state)
    });
    view! {
        <Suspense fallback=|| "Signing in…">
            {move || signed_in.get().map(|outcome| match outcome {
                Ok(()) => view! { <A href="/units">"Units"</A> }.into_any(),
                Err(err) => err.0.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Units() -> impl IntoView {
    let list = LocalResource::new(units);
    view! {
        <Suspense fallback=|| "Loading…">
            {move || list.get().map(|outcome| match outcome {
                Ok(list) => view! {
                    <ul>
                        <For each=move || list.units.clone() key=|unit| unit.uuid.clone() let:unit>
                            <li>{unit.name}</li>
                        </For>
                    </ul>
                }.into_any(),
                Err(err) => err.0.into_any(),
            })}
        </Suspense>
    }
}

fn main() {
    leptos::mount::mount_to_body(|| {
        view! {
            <Router>
                <Routes fallback=|| "Not found">
                    <Route path=path!("/") view=Landing />
                    <Route path=path!("/callback") view=Callback />
                    <Route path=path!("/units") view=Units />
                </Routes>
            </Router>
        }
    });
}
