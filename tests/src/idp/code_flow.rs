//! The authorization-code flow without a browser: PKCE S256, state and nonce, the IdP's login form
//! through a cookie jar, the callback, and the code exchange.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Url, redirect};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use super::{BROWSER_CLIENT, HTTP_TIMEOUT, Idp, Tokens};
use crate::TestResult;

const MAX_REDIRECTS: usize = 10;

/// Where a followed chain of redirects ended: an IdP page, or the client's redirect URI.
enum Landing {
    Page { url: Url, html: String },
    Callback(Url),
}

impl Idp {
    /// The browser flow without a browser: authorization request with PKCE S256, state and nonce, the
    /// IdP's login form (fresh cookie jar), the callback, then the code exchange. Checks state and nonce.
    pub async fn code_flow_tokens(&self, username: &str, redirect_uri: &str) -> TestResult<Tokens> {
        let (verifier, state, nonce) = (random_token(), random_token(), random_token());
        let callback = self
            .authorization_response(
                username,
                redirect_uri,
                &[("state", &state), ("nonce", &nonce)],
                &verifier,
            )
            .await?;
        let params: HashMap<String, String> = callback.query_pairs().into_owned().collect();
        if let Some(error) = params.get("error") {
            return Err(format!(
                "authorization failed: {error}: {:?}",
                params.get("error_description")
            )
            .into());
        }
        if params.get("state") != Some(&state) {
            return Err("the callback's state does not match the request's".into());
        }
        let code = params.get("code").ok_or("the callback has no code")?;
        let form = [
            ("grant_type", "authorization_code"),
            ("client_id", BROWSER_CLIENT),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", &verifier),
        ];
        let tokens = self.token_request_proven(&form, self.own_key()).await?;
        let id_token = tokens
            .id_token
            .as_deref()
            .ok_or("the code flow returned no ID token")?;
        if jwt_claims(id_token)?["nonce"].as_str() != Some(nonce.as_str()) {
            return Err("the ID token's nonce does not match the request's".into());
        }
        Ok(tokens)
    }

    /// Signs `username` in at the authorization endpoint (PKCE S256 with `verifier`, plus `extra`
    /// parameters such as `state`, `nonce` or `response_mode`) and returns the callback URL the
    /// IdP redirects to, unvisited.
    pub async fn authorization_response(
        &self,
        username: &str,
        redirect_uri: &str,
        extra: &[(&str, &str)],
        verifier: &str,
    ) -> TestResult<Url> {
        let password = self.realm.password_of(username)?;
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()?;
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let mut authorize = Url::parse(&self.oidc_endpoint("auth"))?;
        authorize
            .query_pairs_mut()
            .append_pair("client_id", BROWSER_CLIENT)
            .append_pair("response_type", "code")
            .append_pair("scope", "openid profile email")
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .extend_pairs(extra);
        match follow(&browser, authorize, redirect_uri).await? {
            Landing::Callback(url) => Ok(url),
            Landing::Page { url, html } => {
                let action = form_action(&html).ok_or("the IdP's login page has no form")?;
                let response = browser
                    .post(url.join(&action)?)
                    .form(&[("username", username), ("password", password.as_str())])
                    .send()
                    .await?;
                let location = redirect_target(&url, &response)?.ok_or(format!(
                    "the login form did not accept {username} (status {})",
                    response.status()
                ))?;
                match follow(&browser, location, redirect_uri).await? {
                    Landing::Callback(url) => Ok(url),
                    Landing::Page { url, .. } => {
                        Err(format!("login ended on {url}, not the callback").into())
                    }
                }
            }
        }
    }

    /// The refresh-token grant for a token of the browser client (`mo`), as the SPA sends it
    /// (with a proof of [`Idp::dpop`] when the realm binds tokens).
    pub async fn code_flow_refresh(&self, refresh_token: &str) -> TestResult<Tokens> {
        self.code_flow_refresh_proven(refresh_token, self.own_key())
            .await
    }

    /// The refresh-token grant of the `mo` client with a proof by `key`, or none.
    pub async fn code_flow_refresh_proven(
        &self,
        refresh_token: &str,
        key: Option<&server::test_support::DpopKey>,
    ) -> TestResult<Tokens> {
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", BROWSER_CLIENT),
            ("refresh_token", refresh_token),
        ];
        self.token_request_proven(&form, key).await
    }

    /// This test's own DPoP key when the realm binds tokens.
    fn own_key(&self) -> Option<&server::test_support::DpopKey> {
        self.binds_tokens().then_some(&self.dpop)
    }
}

/// GETs `url` and follows redirects until the client's redirect URI or a page of the IdP.
async fn follow(
    browser: &reqwest::Client,
    mut url: Url,
    redirect_uri: &str,
) -> TestResult<Landing> {
    for _ in 0..MAX_REDIRECTS {
        if url.as_str().starts_with(redirect_uri) {
            return Ok(Landing::Callback(url));
        }
        let response = browser.get(url.clone()).send().await?;
        match redirect_target(&url, &response)? {
            Some(next) => url = next,
            None if response.status().is_success() => {
                return Ok(Landing::Page {
                    url,
                    html: response.text().await?,
                });
            }
            None => {
                return Err(format!(
                    "{url} answered {}: {}",
                    response.status(),
                    response.text().await?
                )
                .into());
            }
        }
    }
    Err(format!("more than {MAX_REDIRECTS} redirects from the authorization request").into())
}

/// The absolute Location of a redirect response, or None for any other response.
fn redirect_target(base: &Url, response: &reqwest::Response) -> TestResult<Option<Url>> {
    if !response.status().is_redirection() {
        return Ok(None);
    }
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .ok_or("a redirect without Location")?;
    Ok(Some(base.join(location.to_str()?)?))
}

/// The `action` of the first form in an HTML page, unescaped.
pub(crate) fn form_action(html: &str) -> Option<String> {
    let form = &html[html.find("<form")?..];
    let tag = &form[..form.find('>')?];
    let start = tag.find("action=\"")? + "action=\"".len();
    let end = start + tag[start..].find('"')?;
    Some(
        tag[start..end]
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// The claims of a JWT, decoded without checking its signature (for values the test itself sent).
fn jwt_claims(jwt: &str) -> TestResult<serde_json::Value> {
    let payload = jwt.split('.').nth(1).ok_or("not a JWT")?;
    Ok(serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload)?)?)
}

/// 64 random characters, valid as a PKCE verifier, state or nonce.
fn random_token() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}
