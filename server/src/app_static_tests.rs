//! What goes over the wire: the build's precompressed files by Accept-Encoding, cache rules by file
//! name (content-hashed: a year, immutable; others and index.html: ask again), and API answers
//! compressed for clients that accept it.

use std::io::Read as _;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, AUTHORIZATION, CACHE_CONTROL, CONTENT_ENCODING, VARY};

use crate::routes::spa::IMMUTABLE;
use crate::test_support::{JwksServer, RunningApp, claims, keys, mint};

const WASM: &str = "frontend-0123456789abcdef_bg.wasm";

/// A build folder like Trunk's with scripts/precompress run on it (the variants' bytes are made
/// distinct so the test can tell which one came back).
fn build_folder() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("server-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<html></html>").unwrap();
    std::fs::write(dir.join(WASM), b"\0asm raw").unwrap();
    std::fs::write(dir.join(format!("{WASM}.br")), b"brotli bytes").unwrap();
    std::fs::write(dir.join(format!("{WASM}.gz")), b"gzip bytes").unwrap();
    std::fs::write(dir.join("boot.js"), "import('/x.js')").unwrap();
    dir
}

async fn get(app: &RunningApp, path: &str, accept: Option<&str>) -> reqwest::Response {
    let mut request = app.http.get(format!("{}{path}", app.base));
    if let Some(accept) = accept {
        request = request.header(ACCEPT_ENCODING, accept);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn assets_come_precompressed_and_content_hashed_ones_are_kept_for_a_year() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let mut settings = server.settings();
    let folder = build_folder();
    settings.static_dir = folder.clone();
    let app = RunningApp::start(settings).await;
    let path = format!("/{WASM}");
    for (accept, encoding, body) in [
        (Some("gzip, deflate, br"), Some("br"), "brotli bytes"),
        (Some("gzip"), Some("gzip"), "gzip bytes"),
        (None, None, "\0asm raw"),
    ] {
        let r = get(&app, &path, accept).await;
        assert_eq!(r.status(), StatusCode::OK);
        let headers = r.headers().clone();
        assert_eq!(headers[CACHE_CONTROL], IMMUTABLE, "{accept:?}");
        assert_eq!(headers["content-type"], "application/wasm", "{accept:?}");
        assert_eq!(
            headers.get(CONTENT_ENCODING).map(|v| v.to_str().unwrap()),
            encoding
        );
        assert!(headers[VARY].to_str().unwrap().contains("accept-encoding"));
        assert_eq!(r.text().await.unwrap(), body, "{accept:?}");
    }
    // A file not named by its content, and the page itself: used, but asked for again.
    let boot = get(&app, "/boot.js", Some("br")).await;
    assert_eq!(boot.headers()[CACHE_CONTROL], "no-cache");
    assert!(
        boot.headers().get(CONTENT_ENCODING).is_none(),
        "no .br of it"
    );
    for page in ["/", "/units"] {
        assert_eq!(
            get(&app, page, None).await.headers()[CACHE_CONTROL],
            "no-cache"
        );
    }
    let missing = get(&app, "/frontend-0123456789abcdee_bg.wasm", Some("br")).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let kept = missing
        .headers()
        .get(CACHE_CONTROL)
        .map(|v| v.to_str().unwrap());
    assert_ne!(kept, Some(IMMUTABLE), "a 404 is never kept");
    std::fs::remove_dir_all(folder).unwrap();
}

#[tokio::test]
async fn api_answers_are_compressed_for_clients_that_accept_it() {
    let server = JwksServer::start(&[&keys()[0]]).await;
    let app = RunningApp::start(server.settings()).await;
    let token = mint(&keys()[0], &claims(&server.issuer()));
    let list = |accept: &'static str| {
        app.http
            .get(format!("{}/api/v1/me", app.base))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .header(ACCEPT_ENCODING, accept)
            .send()
    };
    let plain = list("identity").await.unwrap();
    assert!(plain.headers().get(CONTENT_ENCODING).is_none());
    let plain = plain.bytes().await.unwrap();
    let zipped = list("gzip").await.unwrap();
    assert_eq!(zipped.status(), StatusCode::OK);
    assert_eq!(zipped.headers()[CONTENT_ENCODING], "gzip");
    assert_eq!(zipped.headers()[CACHE_CONTROL], "no-store");
    let zipped = zipped.bytes().await.unwrap();
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&zipped[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain);
    let br = list("br").await.unwrap();
    assert_eq!(br.headers()[CONTENT_ENCODING], "br");
}
