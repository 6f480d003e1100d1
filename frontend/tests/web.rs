//! Browser tests: mount real components in headless Chromium and check the DOM they render.
#![cfg(target_arch = "wasm32")]

use std::{cell::RefCell, collections::VecDeque, rc::Rc};

use frontend::{app::App, auth::boot::OnLoad};
use leptos::{mount::mount_to, prelude::*};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement, Response, ResponseInit};

wasm_bindgen_test_configure!(run_in_browser);

const KEYCLOAK_JSON: &str = r#"{
    "realm": "mo",
    "auth-server-url": "http://localhost:8081/auth/",
    "ssl-required": "external",
    "resource": "mo",
    "public-client": true,
    "confidential-port": 0
}"#;

/// How long a test waits for the DOM to reach an expected state.
const TIMEOUT_MS: i32 = 5_000;
const POLL_MS: i32 = 10;

fn window() -> web_sys::Window {
    web_sys::window().expect("tests run in a browser window")
}

/// A fresh element appended to `<body>` for one test to mount into.
fn container() -> HtmlElement {
    let document = window().document().expect("window has a document");
    let element: HtmlElement = document
        .create_element("div")
        .expect("create a div")
        .unchecked_into();
    document
        .body()
        .expect("document has a body")
        .append_child(&element)
        .expect("append the container");
    element
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .expect("setTimeout");
    });
    JsFuture::from(promise).await.expect("timer resolves");
}

/// Polls until `selector` matches inside `root`; panics with the rendered HTML on timeout.
async fn wait_for(root: &HtmlElement, selector: &str) -> Element {
    let mut waited = 0;
    loop {
        if let Some(found) = root.query_selector(selector).expect("valid selector") {
            return found;
        }
        assert!(
            waited < TIMEOUT_MS,
            "no `{selector}` after {TIMEOUT_MS} ms in: {}",
            root.inner_html()
        );
        sleep(POLL_MS).await;
        waited += POLL_MS;
    }
}

fn text(root: &HtmlElement, selector: &str) -> String {
    root.query_selector(selector)
        .expect("valid selector")
        .unwrap_or_else(|| panic!("no `{selector}` in: {}", root.inner_html()))
        .text_content()
        .unwrap_or_default()
}

/// The whole app, but start-up stays on the page (check-sso would leave for the IdP).
fn app_without_start_up_redirect() -> impl IntoView {
    view! { <App on_load=OnLoad::None /> }
}

/// How long a stubbed response takes, so the loading state can be seen.
const STUB_LATENCY_MS: i32 = 150;

/// Replaces `window.fetch` with canned responses, in order, each after [`STUB_LATENCY_MS`],
/// and records the requested URLs. Dropping it puts the browser's own `fetch` back.
struct FetchStub {
    original: JsValue,
    requested: Rc<RefCell<Vec<String>>>,
    _handler: Closure<dyn FnMut(JsValue) -> js_sys::Promise>,
}

impl FetchStub {
    fn install(responses: &[(u16, &str)]) -> Self {
        let queue: VecDeque<(u16, String)> = responses
            .iter()
            .map(|(status, body)| (*status, (*body).to_owned()))
            .collect();
        let queue = RefCell::new(queue);
        let requested = Rc::new(RefCell::new(Vec::new()));
        let log = Rc::clone(&requested);
        let handler = Closure::new(move |request: JsValue| {
            let url = js_sys::Reflect::get(&request, &"url".into())
                .ok()
                .and_then(|url| url.as_string())
                .unwrap_or_default();
            log.borrow_mut().push(url);
            let (status, body) = queue
                .borrow_mut()
                .pop_front()
                .expect("the test stubbed enough responses");
            let init = ResponseInit::new();
            init.set_status(status);
            let response =
                Response::new_with_opt_str_and_init(Some(&body), &init).expect("build a Response");
            js_sys::Promise::new(&mut |resolve, _reject| {
                window()
                    .set_timeout_with_callback_and_timeout_and_arguments_1(
                        &resolve,
                        STUB_LATENCY_MS,
                        &response,
                    )
                    .expect("setTimeout");
            })
        });
        let global = window();
        let original = js_sys::Reflect::get(&global, &"fetch".into()).expect("window.fetch");
        js_sys::Reflect::set(&global, &"fetch".into(), handler.as_ref()).expect("stub fetch");
        Self {
            original,
            requested,
            _handler: handler,
        }
    }

    fn requested(&self) -> Vec<String> {
        self.requested.borrow().clone()
    }
}

impl Drop for FetchStub {
    fn drop(&mut self) {
        js_sys::Reflect::set(&window(), &"fetch".into(), &self.original).expect("restore fetch");
    }
}

/// Mounts the app (no start-up redirect) at `/`; the runner's own URL comes back when dropped.
struct AtLanding {
    runner_url: String,
}

impl AtLanding {
    fn enter() -> Self {
        let runner_url = window().location().href().expect("href");
        window()
            .history()
            .expect("history")
            .replace_state_with_url(&JsValue::NULL, "", Some("/"))
            .expect("replaceState");
        Self { runner_url }
    }
}

impl Drop for AtLanding {
    fn drop(&mut self) {
        let history = window().history().expect("history");
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&self.runner_url));
    }
}

#[wasm_bindgen_test]
async fn landing_shows_loading_then_the_realm_it_signs_in_with() {
    let fetch = FetchStub::install(&[(200, KEYCLOAK_JSON)]);
    let _at = AtLanding::enter();
    let root = container();
    let app = mount_to(root.clone(), app_without_start_up_redirect);

    let status = wait_for(&root, "[role=status]").await;
    assert!(
        status
            .text_content()
            .unwrap_or_default()
            .contains("Loading sign-in settings"),
        "a labelled loading state comes first"
    );
    wait_for(&root, "[data-testid=realm]").await;
    assert_eq!(
        text(&root, "h1"),
        "Your organisation, unit by unit",
        "the page says what the app is"
    );
    assert_eq!(text(&root, "[data-testid=realm]"), "mo");
    assert_eq!(
        text(&root, "[data-testid=auth-server-url]"),
        "http://localhost:8081/auth/"
    );
    assert_eq!(text(&root, "[data-testid=client]"), "mo");

    let requested = fetch.requested();
    assert!(requested[0].ends_with("/keycloak.json"), "{}", requested[0]);
    drop(app);
    root.remove();
}

#[wasm_bindgen_test]
async fn landing_reports_a_failed_load_and_retry_recovers() {
    let fetch = FetchStub::install(&[(503, "unavailable"), (200, KEYCLOAK_JSON)]);
    let _at = AtLanding::enter();
    let root = container();
    let app = mount_to(root.clone(), app_without_start_up_redirect);

    let alert = wait_for(&root, "[role=alert]").await;
    let message = alert.text_content().unwrap_or_default();
    assert!(
        message.contains("Sign-in settings could not be loaded"),
        "{message}"
    );
    assert!(message.contains("HTTP status 503"), "{message}");

    let retry: HtmlElement = wait_for(&root, "[role=alert] button")
        .await
        .unchecked_into();
    assert_eq!(retry.text_content().unwrap_or_default(), "Retry");
    retry.click();

    wait_for(&root, "[data-testid=realm]").await;
    assert!(root.query_selector("[role=alert]").unwrap().is_none());
    assert!(fetch.requested().len() >= 2);
    drop(app);
    root.remove();
}

#[wasm_bindgen_test]
async fn landing_without_a_backend_says_so() {
    // No stub: the test runner's own web server has no /keycloak.json.
    let _at = AtLanding::enter();
    let root = container();
    let app = mount_to(root.clone(), app_without_start_up_redirect);

    let alert = wait_for(&root, "[role=alert]").await;
    let message = alert.text_content().unwrap_or_default();
    assert!(message.contains("HTTP status 404"), "{message}");
    drop(app);
    root.remove();
}

#[wasm_bindgen_test]
async fn unknown_paths_render_not_found_and_link_back_to_the_landing() {
    let _fetch = FetchStub::install(&[(200, KEYCLOAK_JSON)]);
    let history = window().history().expect("history");
    let location = window().location();
    let runner_url = location.href().expect("href");
    history
        .replace_state_with_url(&JsValue::NULL, "", Some("/no/such/page"))
        .expect("replaceState");

    let root = container();
    let app = mount_to(root.clone(), app_without_start_up_redirect);

    let heading = wait_for(&root, "main h1").await;
    assert_eq!(heading.text_content().unwrap_or_default(), "Page not found");
    assert_eq!(text(&root, "main code"), "/no/such/page");

    let home: HtmlElement = wait_for(&root, "main a[href='/']").await.unchecked_into();
    home.click();
    wait_for(&root, "#landing-title").await;
    assert_eq!(location.pathname().expect("pathname"), "/");
    wait_for(&root, "[data-testid=realm]").await;

    drop(app);
    root.remove();
    history
        .replace_state_with_url(&JsValue::NULL, "", Some(&runner_url))
        .expect("restore the runner's URL");
}

#[wasm_bindgen_test]
async fn skip_link_moves_focus_to_the_main_content() {
    let _fetch = FetchStub::install(&[(200, KEYCLOAK_JSON)]);
    let root = container();
    let _app = mount_to(root.clone(), app_without_start_up_redirect);

    let skip: HtmlElement = wait_for(&root, "a.skip-link").await.unchecked_into();
    skip.click();
    let focused = window()
        .document()
        .and_then(|document| document.active_element())
        .map(|element| element.id());
    assert_eq!(focused.as_deref(), Some("main"));
    root.remove();
}

#[wasm_bindgen_test]
async fn an_anonymous_visitor_sees_log_in_buttons_and_the_realm() {
    let _fetch = FetchStub::install(&[(200, KEYCLOAK_JSON)]);
    let history = window().history().expect("history");
    let runner_url = window().location().href().expect("href");
    history
        .replace_state_with_url(&JsValue::NULL, "", Some("/"))
        .expect("replaceState");
    let root = container();
    let app = mount_to(root.clone(), app_without_start_up_redirect);

    let log_in = wait_for(&root, "[data-testid=log-in]").await;
    assert_eq!(log_in.text_content().unwrap_or_default(), "Log in");
    wait_for(&root, "header [data-testid=header-log-in]").await;
    assert_eq!(text(&root, "[data-testid=realm]"), "mo");
    assert!(
        root.query_selector("[data-testid=log-out]")
            .unwrap()
            .is_none(),
        "no Log out while anonymous"
    );
    assert!(
        root.query_selector("[data-testid=session-ended]")
            .unwrap()
            .is_none(),
        "no session-ended notice"
    );
    drop(app);
    root.remove();
    history
        .replace_state_with_url(&JsValue::NULL, "", Some(&runner_url))
        .expect("restore the runner's URL");
}
