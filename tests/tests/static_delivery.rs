//! The app over the wire, as Chromium gets it: index.html names content-hashed assets that come
//! brotli-compressed and marked immutable, so a first visit transfers their compressed size and
//! a repeat visit transfers none of them.

use e2e::TestResult;
use e2e::app::Stack;
use e2e::browser::{Browser, wait_for};
use e2e::idp::IdpOptions;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING};
use serde_json::Value;

/// What Chromium 156 sends.
const BROWSER_ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

/// The `.js` and `.wasm` files index.html loads (`data-app-js`, `data-app-wasm`, and the loader
/// boot.js: `<script … src="/boot-<hash>.js">`).
fn app_assets(index: &str) -> Vec<String> {
    ["data-app-js=\"", "data-app-wasm=\"", "<script src=\""]
        .iter()
        .filter_map(|attribute| {
            let start = index.find(attribute)? + attribute.len();
            Some(index[start..start + index[start..].find('"')?].to_owned())
        })
        .collect()
}

#[tokio::test]
async fn the_app_arrives_compressed_once_and_comes_from_the_cache_after() -> TestResult {
    let stack = Stack::for_browser(IdpOptions::default()).await?;
    let http = reqwest::Client::new();
    let index = http.get(stack.url("/")).send().await?;
    assert_eq!(index.headers()[CACHE_CONTROL], "no-cache");
    let assets = app_assets(&index.text().await?);
    assert_eq!(assets.len(), 3, "{assets:?}");
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
        let script = r#"
            return performance.getEntriesByType("resource")
                .filter((e) => /\.(wasm|js)$/.test(new URL(e.name).pathname))
                .map((e) => ({ name: e.name, transfer: e.transferSize,
                               encoded: e.encodedBodySize, decoded: e.decodedBodySize }));
        "#;
        let entries: Vec<Value> =
            serde_json::from_value(client.execute(script, Vec::new()).await?)?;
        assert_eq!(entries.len(), 3, "{entries:?}");
        for entry in &entries {
            assert_eq!(entry["transfer"], 0, "from the cache: {entry}");
            let (encoded, decoded) = (entry["encoded"].as_u64(), entry["decoded"].as_u64());
            assert!(
                encoded.unwrap_or(0) * 2 < decoded.unwrap_or(0),
                "compressed: {entry}"
            );
        }
        println!("repeat visit: {entries:?}");
        Ok(())
    })
    .await
}
