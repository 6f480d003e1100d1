//! Headless Chromium driven through chromedriver with fantoccini; screenshots land in artifacts/.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::{TestResult, free_port, repo_root};

/// Flags that keep Chromium headless and quiet on a closed network.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
];

/// How long to wait for the page to show something before calling it a failure.
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(20);

/// A chromedriver process (in its own process group) and one Chromium session.
pub struct Browser {
    driver: DriverProcess,
    client: Client,
}

/// Owns the chromedriver process group and the folder holding Chromium's profile and temp files
/// from the moment the driver is spawned: dropping it kills the driver and every Chromium it
/// started, then removes the folder, even when a test panics half-way through start-up. (Left to
/// chromedriver, a killed session leaves its ~80 MB profile in the system's temp folder.)
struct DriverProcess {
    child: Child,
    folder: PathBuf,
}

impl Drop for DriverProcess {
    fn drop(&mut self) {
        kill_group(&self.child);
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

impl Browser {
    /// Runs `test` in a fresh browser and always closes it, whether the test passed or not.
    pub async fn run<T, F, Fut>(test: F) -> TestResult<T>
    where
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = TestResult<T>>,
    {
        let browser = Self::start().await?;
        let outcome = test(browser.client.clone()).await;
        browser.close().await;
        outcome
    }

    async fn start() -> TestResult<Self> {
        let driver_path = std::env::var("CHROMEDRIVER").unwrap_or("/usr/bin/chromedriver".into());
        let port = free_port();
        let folder =
            std::env::temp_dir().join(format!("mo-e2e-chromium-{}-{port}", std::process::id()));
        // Chromium's own temp files (its single-instance socket) go in the folder too; it is
        // made once the driver owns it, and before the driver starts a Chromium.
        let temp = folder.join("tmp");
        let child = spawn_in_own_group(
            Command::new(&driver_path)
                .arg(format!("--port={port}"))
                .env("TMPDIR", &temp)
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )
        .map_err(|e| format!("cannot start {driver_path} (run scripts/bootstrap): {e}"))?;
        let driver = DriverProcess { child, folder };
        std::fs::create_dir_all(&temp)?;
        let client = connect(port, &driver.folder.join("profile")).await?;
        Ok(Self { driver, client })
    }

    /// Ends the WebDriver session politely, then the driver's process group goes with `driver`.
    async fn close(self) {
        let _ = self.client.close().await;
        drop(self.driver);
    }
}

async fn connect(port: u16, profile: &std::path::Path) -> TestResult<Client> {
    let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|arg| arg.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    let capabilities = json!({
        "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": args }
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!("a json! object literal is an object")
    };
    let url = format!("http://127.0.0.1:{port}");
    let mut last_error = String::new();
    for _ in 0..100 {
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return Ok(client),
            Err(e) => last_error = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("chromedriver on port {port} never accepted a session: {last_error}").into())
}

/// Waits until an element matching `css` exists and returns its text.
pub async fn text_of(client: &Client, css: &str) -> TestResult<String> {
    let element = client
        .wait()
        .at_most(PAGE_TIMEOUT)
        .for_element(Locator::Css(css))
        .await;
    match element {
        Ok(element) => Ok(element.text().await?),
        Err(e) => Err(format!(
            "no element `{css}` within {PAGE_TIMEOUT:?}: {e}\n{}",
            describe_page(client).await
        )
        .into()),
    }
}

/// The current URL and the start of the page's visible text, for failure messages.
pub async fn describe_page(client: &Client) -> String {
    let url = client
        .current_url()
        .await
        .map_or_else(|e| format!("(no URL: {e})"), |url| url.to_string());
    let text = client
        .execute(
            "return document.body ? document.body.innerText : ''",
            Vec::new(),
        )
        .await
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default();
    let text: String = text.chars().take(600).collect();
    format!("page {url} shows:\n{text}")
}

/// Waits until an element matching `css` exists (returns nothing; for pages whose text varies).
pub async fn wait_for(client: &Client, css: &str) -> TestResult {
    client
        .wait()
        .at_most(PAGE_TIMEOUT)
        .for_element(Locator::Css(css))
        .await
        .map_err(|e| format!("no element `{css}` within {PAGE_TIMEOUT:?}: {e}"))?;
    Ok(())
}

/// Whether an element matching `css` is on the page right now (no waiting).
pub async fn is_present(client: &Client, css: &str) -> TestResult<bool> {
    Ok(!client.find_all(Locator::Css(css)).await?.is_empty())
}

/// Fills Keycloak's sign-in form (`#username`, `#password`) and submits it.
pub async fn login(client: &Client, username: &str, password: &str) -> TestResult {
    let field = client
        .wait()
        .at_most(PAGE_TIMEOUT)
        .for_element(Locator::Css("input#username"))
        .await
        .map_err(|e| {
            format!("the IdP's sign-in form did not appear within {PAGE_TIMEOUT:?}: {e}")
        })?;
    field.clear().await?;
    field.send_keys(username).await?;
    client
        .find(Locator::Css("input#password"))
        .await?
        .send_keys(password)
        .await?;
    client
        .find(Locator::Css("form button[type=submit]"))
        .await?
        .click()
        .await?;
    Ok(())
}

/// HTTP statuses of every request this page made to `path` (Resource Timing), oldest first.
pub async fn api_statuses(client: &Client, path: &str) -> TestResult<Vec<u64>> {
    let script = r#"
        return performance.getEntriesByType("resource")
            .filter((entry) => new URL(entry.name).pathname === arguments[0])
            .map((entry) => entry.responseStatus);
    "#;
    Ok(serde_json::from_value(
        client.execute(script, vec![json!(path)]).await?,
    )?)
}

/// The key of the one localStorage entry the app keeps (the app's `auth::sign_in_hint`: this
/// browser signed in here and has not signed out since; its value is `1`, never a token).
pub const SIGN_IN_HINT_KEY: &str = "org-browser.signed-in";
/// That entry as [`WebStorage::local`] lists it.
pub const SIGN_IN_HINT: &str = "org-browser.signed-in=1";

/// Sets the sign-in hint on the current page's origin, as a sign-in here does: the next load
/// makes the start-up check with the IdP.
pub async fn set_sign_in_hint(client: &Client) -> TestResult {
    client
        .execute(
            "localStorage.setItem(arguments[0], '1')",
            vec![json!(SIGN_IN_HINT_KEY)],
        )
        .await?;
    Ok(())
}

/// What the page's origin keeps in the browser: every web storage entry and `document.cookie`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct WebStorage {
    /// `key=value` per localStorage entry.
    pub local: Vec<String>,
    /// `key=value` per sessionStorage entry.
    pub session: Vec<String>,
    pub cookie: String,
}

impl WebStorage {
    /// Whether anything stored looks like a JWT (`eyJ` is base64url of `{"`) or contains `needle`.
    pub fn contains_token_like(&self, needles: &[&str]) -> bool {
        self.local
            .iter()
            .chain(&self.session)
            .chain(std::iter::once(&self.cookie))
            .any(|entry| {
                entry.contains("eyJ")
                    || needles
                        .iter()
                        .any(|needle| !needle.is_empty() && entry.contains(needle))
            })
    }
}

/// Reads [`WebStorage`] of the current page.
pub async fn web_storage(client: &Client) -> TestResult<WebStorage> {
    let script = r#"
        const entries = (storage) => Object.keys(storage).map((key) => key + "=" + storage.getItem(key));
        return { local: entries(localStorage), session: entries(sessionStorage), cookie: document.cookie };
    "#;
    Ok(serde_json::from_value(
        client.execute(script, Vec::new()).await?,
    )?)
}

/// The URL this document was loaded from: after a round trip to the IdP, the callback (with
/// `code` or `error`), however the app cleaned the address bar since.
pub async fn loaded_from(client: &Client) -> TestResult<String> {
    let value = client
        .execute(
            "return performance.getEntriesByType('navigation')[0].name",
            Vec::new(),
        )
        .await?;
    Ok(value.as_str().ok_or("no navigation entry")?.to_owned())
}

/// Saves a PNG of the current page as artifacts/screenshots/{name}.png and returns its path.
pub async fn screenshot(client: &Client, name: &str) -> TestResult<PathBuf> {
    let folder = repo_root().join("artifacts/screenshots");
    std::fs::create_dir_all(&folder)?;
    let path = folder.join(format!("{name}.png"));
    std::fs::write(&path, client.screenshot().await?)?;
    Ok(path)
}

fn spawn_in_own_group(command: &mut Command) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    command.process_group(0).spawn()
}

/// Ends chromedriver and every Chromium process it started (they share its process group).
fn kill_group(child: &Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stderr(Stdio::null())
        .status();
}
