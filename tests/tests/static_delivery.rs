//! The app over the wire, as Chromium gets it: index.html names content-hashed assets that come
//! brotli-compressed and marked immutable, so a first visit transfers their compressed size and
//! a repeat visit transfers none of them. A first visit loads the main module only; the parts
//! (frontend/src/split.rs) come when a signed-in page needs them, and from the cache after.

use e2e::TestResult;
use e2e::app::Stack;
use e2e::browser::{Browser, screenshot, wait_for};
use e2e::idp::IdpOptions;
use e2e::ui::{api_as, click, sign_in, unit_uuid, wait_for_path, wait_for_text};
use fantoccini::Client;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING};
use serde_json::Value;

/// What Chromium 156 sends.
const BROWSER_ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

/// The `.js` and `.wasm` files index.html loads: the loader boot.js (`<script … src=…>`), the
/// main module (`data-app-wasm`), and what it preloads as modules (the glue, the parts' loader).
fn app_assets(index: &str) -> Vec<String> {
    let values_after = |needle: &'static str| {
        index.match_indices(needle).filter_map(move |(at, _)| {
            let start = at + needle.len();
            Some(index[start..start + index[start..].find('"')?].to_owned())
        })
    };
    values_after("<script src=\"")
        .chain(values_after("data-app-wasm=\""))
        .chain(values_after("rel=\"modulepreload\" href=\""))
        .collect()
}

/// The `.js` and `.wasm` files this document fetched, with their sizes (Resource Timing).
async fn fetched_code(client: &Client) -> TestResult<Vec<Value>> {
    let script = r#"
        return performance.getEntriesByType("resource")
            .filter((e) => /\.(wasm|js)$/.test(new URL(e.name).pathname))
            .map((e) => ({ name: e.name, transfer: e.transferSize,
                           encoded: e.encodedBodySize, decoded: e.decodedBodySize }));
    "#;
    Ok(serde_json::from_value(
        client.execute(script, Vec::new()).await?,
    )?)
}

/// The URL a Resource Timing entry (from `fetched_code`) fetched.
fn name_of(entry: &Value) -> &str {
    entry["name"].as_str().unwrap_or_default()
}

/// The parts among `entries`: every `.wasm` but the main module (`frontend-<hash>_bg.wasm`).
fn parts(entries: &[Value]) -> Vec<Value> {
    entries
        .iter()
        .filter(|entry| name_of(entry).ends_with(".wasm") && !name_of(entry).contains("/frontend-"))
        .cloned()
        .collect()
}

/// Whether `entries` hold the part whose file name starts with `stem` (`unit_page`, …).
fn has_part(entries: &[Value], stem: &str) -> bool {
    let prefix = format!("/{stem}-");
    entries.iter().any(|entry| name_of(entry).contains(&prefix))
}

/// Each entry came from the browser's cache, and was stored compressed (to under half its size,
/// but for the smallest parts, which have less to compress).
fn all_cached_and_compressed(entries: &[Value]) {
    for entry in entries {
        assert_eq!(entry["transfer"], 0, "from the cache: {entry}");
        let (encoded, decoded) = (entry["encoded"].as_u64(), entry["decoded"].as_u64());
        let (encoded, decoded) = (encoded.unwrap_or(0), decoded.unwrap_or(0));
        let ratio = if decoded < 4096 { 1 } else { 2 };
        assert!(
            0 < encoded && encoded * ratio < decoded,
            "compressed: {entry}"
        );
    }
}

#[tokio::test]
async fn the_app_arrives_compressed_once_and_comes_from_the_cache_after() -> TestResult {
    let stack = Stack::for_browser(IdpOptions::default()).await?;
    let http = reqwest::Client::new();
    let index = http.get(stack.url("/")).send().await?;
    assert_eq!(index.headers()[CACHE_CONTROL], "no-cache");
    let assets = app_assets(&index.text().await?);
    assert_eq!(
        assets.len(),
        4,
        "boot.js, main .wasm, glue, parts' loader: {assets:?}"
    );
    let mut first_visit = 0;
    for asset in &assets {
        let answer = http
            .get(stack.url(asset))
            .header(ACCEPT_ENCODING, BROWSER_ACCEPT_ENCODING)
            .send()
            .await?;
        assert_eq!(answer.headers()[CONTENT_ENCODING], "br", "{asset}");
        assert_eq!(
            answer.headers()[CACHE_CONTROL],
            "public, max-age=31536000, immutable",
            "{asset}"
        );
        first_visit += answer.bytes().await?.len();
    }
    println!("first visit: {first_visit} B of .js + .wasm (brotli) for {assets:?}");

    Browser::run(|client| async move {
        // The first load fetches the app's files; the reload is the repeat visit.
        client.goto(&stack.url("/")).await?;
        wait_for(&client, "[data-testid=log-in]").await?;
        client.refresh().await?;
        wait_for(&client, "[data-testid=log-in]").await?;
        let entries = fetched_code(&client).await?;
        // The main module and its scripts only: no part is fetched for the landing page.
        assert_eq!(entries.len(), 4, "{entries:?}");
        all_cached_and_compressed(&entries);
        println!("repeat visit: {entries:?}");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn the_parts_come_when_a_signed_in_page_needs_them_and_from_the_cache_after() -> TestResult {
    let stack = Stack::for_browser(IdpOptions::default()).await?;
    let unit = unit_uuid(&api_as(&stack, "alvida").await?, "Teknik og Miljø").await?;
    let route = format!("/units/{unit}");
    Browser::run(|client| async move {
        sign_in(&client, &stack, "alvida", &route).await?;
        wait_for_text(&client, "[data-testid=unit-name]", "Teknik og Miljø").await?;
        let signed_in = parts(&fetched_code(&client).await?);
        let bytes: u64 = signed_in
            .iter()
            .filter_map(|entry| entry["transfer"].as_u64())
            .sum();
        println!(
            "signing in to a unit page fetched {} parts, {bytes} B",
            signed_in.len()
        );
        // The return from Keycloak's form fetched the sign-in's own part; this document (the
        // callback, its URL replaced) fetched the unit page's, the role's and the code they share.
        for part in ["unit_page", "role_from_server"] {
            assert!(has_part(&signed_in, part), "{part} fetched: {signed_in:?}");
        }

        // A reload signs in silently (the page comes back through /callback): every part from
        // the cache.
        client.refresh().await?;
        wait_for_text(&client, "[data-testid=unit-name]", "Teknik og Miljø").await?;
        let again = parts(&fetched_code(&client).await?);
        assert!(
            has_part(&again, "return_from_idp"),
            "the return from the IdP is a part: {again:?}"
        );
        all_cached_and_compressed(&again);
        println!("parts after a reload: {again:?}");
        Ok(())
    })
    .await
}

/// Makes the page's fetches of one part's module fail, as a lost connection would.
const FAIL_UNITS_PAGE_PART: &str = r#"
    const realFetch = window.fetch;
    window.fetch = function (input, init) {
        const url = input instanceof Request ? input.url : String(input);
        if (url.includes("/units_page-")) return Promise.reject(new TypeError("Failed to fetch"));
        return realFetch.apply(this, arguments);
    };
"#;

#[tokio::test]
async fn a_part_that_cannot_be_fetched_says_so_and_the_app_goes_on() -> TestResult {
    let stack = Stack::for_browser(IdpOptions::default()).await?;
    let unit = unit_uuid(&api_as(&stack, "alvida").await?, "Teknik og Miljø").await?;
    Browser::run(|client| async move {
        sign_in(&client, &stack, "alvida", &format!("/units/{unit}")).await?;
        wait_for_text(&client, "[data-testid=unit-name]", "Teknik og Miljø").await?;
        client.execute(FAIL_UNITS_PAGE_PART, Vec::new()).await?;

        // The tree's page is a part this tab has not fetched yet.
        click(&client, "[data-testid=nav-units]").await?;
        wait_for_path(&client, "/units").await?;
        let panel =
            wait_for_text(&client, ".panel--error", "This page could not be loaded").await?;
        assert!(
            panel.contains("Part of the app could not be loaded"),
            "{panel}"
        );
        screenshot(&client, "part-not-loaded").await?;
        // Still signed in, and the pages already fetched still work.
        wait_for(&client, "[data-testid=log-out]").await?;
        client.back().await?;
        wait_for_text(&client, "[data-testid=unit-name]", "Teknik og Miljø").await?;

        // Retry (a reload) fetches it: the tree's page shows.
        client.forward().await?;
        click(&client, ".panel--error button").await?;
        wait_for(&client, "[data-testid=tree-summary]").await?;
        Ok(())
    })
    .await
}
