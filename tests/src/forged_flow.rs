//! The attacker's side of the browser attack tests: an authorization request with parameters the
//! test chooses (another tab's `state` and PKCE verifier, a different `nonce`), signed in through
//! Keycloak's sign-in form with a cookie jar of its own, ending at the callback URL (code not redeemed).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Url, redirect};
use sha2::{Digest as _, Sha256};

use crate::TestResult;
use crate::idp::{Idp, form_action};

const MAX_STEPS: usize = 12;

/// What goes into the authorization request.
#[derive(Debug, Clone)]
pub struct ChosenRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub nonce: String,
    /// The PKCE verifier whose S256 challenge is sent.
    pub pkce_verifier: String,
}

/// The app's sessionStorage record of a redirect in progress (`org-browser.pending-redirect`).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct PendingRedirect {
    pub kind: String,
    pub state: String,
    pub pkce_verifier: Option<String>,
    pub nonce: Option<String>,
    pub return_to: String,
    pub retried: bool,
}

/// Runs the authorization request as `username` and returns the callback URL the IdP redirects
/// to (with `code` and `state`), without visiting it.
pub async fn authorize(idp: &Idp, username: &str, request: &ChosenRequest) -> TestResult<Url> {
    let password = idp
        .realm()
        .user(username)
        .and_then(|user| user.password())
        .ok_or(format!("{username} has no password in the realm file"))?
        .to_owned();
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()?;
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(request.pkce_verifier.as_bytes()));
    let mut url = Url::parse(&idp.oidc_endpoint("auth"))?;
    url.query_pairs_mut()
        .append_pair("client_id", &request.client_id)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile email")
        .append_pair("redirect_uri", &request.redirect_uri)
        .append_pair("state", &request.state)
        .append_pair("nonce", &request.nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let mut form_sent = false;
    for _ in 0..MAX_STEPS {
        if url.as_str().starts_with(&request.redirect_uri) {
            return Ok(url);
        }
        let response = http.get(url.clone()).send().await?;
        if response.status().is_redirection() {
            url = next_location(&url, &response)?;
            continue;
        }
        let status = response.status();
        let html = response.text().await?;
        if !status.is_success() || form_sent {
            return Err(
                format!("{url} answered {status} instead of a redirect: {html:.300}").into(),
            );
        }
        let action = form_action(&html).ok_or("the IdP's page has no form")?;
        let posted = http
            .post(url.join(&action)?)
            .form(&[("username", username), ("password", password.as_str())])
            .send()
            .await?;
        if !posted.status().is_redirection() {
            return Err(format!("the IdP's form refused {username}: {}", posted.status()).into());
        }
        url = next_location(&url, &posted)?;
        form_sent = true;
    }
    Err(format!("no callback after {MAX_STEPS} steps").into())
}

fn next_location(base: &Url, response: &reqwest::Response) -> TestResult<Url> {
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .ok_or("a redirect without Location")?;
    Ok(base.join(location.to_str()?)?)
}
