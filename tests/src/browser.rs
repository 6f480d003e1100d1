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

/// Owns the chromedriver process group from the moment it is spawned: dropping it kills the
/// driver and every Chromium it started, even when a test panics half-way through start-up.
struct DriverProcess(Child);

impl Drop for DriverProcess {
    fn drop(&mut self) {
        kill_group(&self.0);
        let _ = self.0.wait();
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
        let driver = spawn_in_own_group(
            Command::new(&driver_path)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )
        .map(DriverProcess)
        .map_err(|e| format!("cannot start {driver_path} (run scripts/bootstrap): {e}"))?;
        let client = connect(port).await?;
        Ok(Self { driver, client })
    }

    /// Ends the WebDriver session politely, then the driver's process group goes with `driver`.
    async fn close(self) {
        let _ = self.client.close().await;
        drop(self.driver);
    }
}

async fn connect(port: u16) -> TestResult<Client> {
    let capabilities = json!({
        "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": CHROMIUM_ARGS }
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
        .await
        .map_err(|e| format!("no element `{css}` within {PAGE_TIMEOUT:?}: {e}"))?;
    Ok(element.text().await?)
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
