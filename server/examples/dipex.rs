//! Backend-to-backend as OS2mo documents it for DIPEX: a client-credentials token from Keycloak (HTTP Basic client authentication), then `GET /api/v1/me` and `GET /api/v1/org-units` with it.
//!
//! `cargo run -p server --example dipex` talks to the dev setup (Keycloak on 8081, the server on
//! 5000); `-- --help` lists the flags and their environment variables. The secret and the token
//! are never printed.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use oauth2::basic::BasicClient;
use oauth2::{AuthType, ClientId, ClientSecret, RequestTokenError, TokenResponse, TokenUrl};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use url::Url;

/// The dev realm's secret of `dipex` (realm/mo-realm.json); any real deployment sets its own.
const DEV_SECRET: &str = "603f1c82-d012-4d04-9382-dbe659c533fb";

/// Gets a client-credentials token for an integration client and calls the MO API with it.
#[derive(Parser)]
struct Args {
    /// Keycloak's base URL, as in the server's `keycloak_auth_server_url`.
    #[arg(long, env = "KEYCLOAK_URL", default_value = "http://127.0.0.1:8081/")]
    keycloak: Url,
    #[arg(long, env = "KEYCLOAK_REALM", default_value = "mo")]
    realm: String,
    #[arg(long, env = "DIPEX_CLIENT_ID", default_value = "dipex")]
    client_id: String,
    /// The client's secret [default: the dev realm's].
    #[arg(
        long,
        env = "DIPEX_CLIENT_SECRET",
        default_value = DEV_SECRET,
        hide_default_value = true,
        hide_env_values = true
    )]
    client_secret: String,
    /// Base URL of the MO server.
    #[arg(long, env = "MO_API_URL", default_value = "http://127.0.0.1:5000")]
    api: Url,
}

#[derive(Debug, thiserror::Error)]
enum Error {
    #[error("{flag} {value} is not an http(s) URL with a host")]
    NotHttp { flag: &'static str, value: Url },
    #[error("--realm must be one non-empty path segment, not {0:?}")]
    BadRealm(String),
    #[error("HTTP client: {0}")]
    Client(reqwest::Error),
    #[error("Keycloak refused the token request at {url}: {detail}")]
    TokenRefused { url: Url, detail: String },
    #[error("token request to {url} failed: {detail}")]
    TokenRequest { url: Url, detail: String },
    #[error("GET {url} failed: {detail}")]
    Request { url: Url, detail: String },
    #[error("GET {url} answered {status}: {detail}")]
    Status {
        url: Url,
        status: StatusCode,
        detail: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Error> {
    if args.realm.is_empty() || args.realm.contains('/') {
        return Err(Error::BadRealm(args.realm));
    }
    // No redirects: a token endpoint that redirects is misconfigured (and oauth2 advises against
    // following them, against request forgery).
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(Error::Client)?;
    let realm = args.realm.as_str();
    let token_url = endpoint(
        &args.keycloak,
        "--keycloak",
        &["realms", realm, "protocol", "openid-connect", "token"],
    )?;
    let token = client_credentials_token(&http, &args, token_url).await?;

    let me_url = endpoint(&args.api, "--api", &["api", "v1", "me"])?;
    let me: api::Me = get_json(&http, me_url.clone(), &token).await?;
    println!("GET {me_url}");
    println!(
        "  username:        {}",
        me.username.as_deref().unwrap_or("-")
    );
    println!("  name:            {}", me.name.as_deref().unwrap_or("-"));
    println!("  client (azp):    {}", me.azp.as_deref().unwrap_or("-"));
    println!("  service account: {}", me.service_account);
    println!("  realm roles:     {}", list(&me.roles));
    println!("  client roles:    {}", list(&me.client_roles));

    let units_url = endpoint(&args.api, "--api", &["api", "v1", "org-units"])?;
    let units: Vec<api::OrgUnit> = get_json(&http, units_url.clone(), &token).await?;
    let top_level = units.iter().filter(|u| u.parent.is_none()).count();
    println!("GET {units_url}");
    println!("  {} units, {top_level} top-level", units.len());
    Ok(())
}

/// The client-credentials grant with the client id and secret in an HTTP Basic header.
async fn client_credentials_token(
    http: &reqwest::Client,
    args: &Args,
    url: Url,
) -> Result<String, Error> {
    let client = BasicClient::new(ClientId::new(args.client_id.clone()))
        .set_client_secret(ClientSecret::new(args.client_secret.clone()))
        .set_auth_type(AuthType::BasicAuth)
        .set_token_uri(TokenUrl::from_url(url.clone()));
    let response = client
        .exchange_client_credentials()
        .request_async(http)
        .await
        .map_err(|error| match error {
            RequestTokenError::ServerResponse(refusal) => Error::TokenRefused {
                url: url.clone(),
                detail: refusal.to_string(),
            },
            other => Error::TokenRequest {
                url: url.clone(),
                detail: chain(&other),
            },
        })?;
    let expires = response
        .expires_in()
        .map_or("no expiry given".to_owned(), |d| {
            format!("expires in {} s", d.as_secs())
        });
    println!(
        "token for client {:?} from {url} ({expires})",
        args.client_id
    );
    Ok(response.access_token().secret().clone())
}

/// `GET url` with `Authorization: Bearer {token}`; the JSON answer, or the API's error body.
async fn get_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: Url,
    token: &str,
) -> Result<T, Error> {
    let failed = |detail: String| Error::Request {
        url: url.clone(),
        detail,
    };
    let response = http
        .get(url.clone())
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| failed(chain(&e)))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| failed(chain(&e)))?;
    if !status.is_success() {
        let detail = match serde_json::from_slice::<api::ErrorBody>(&body) {
            Ok(e) => format!("{}: {}", e.error, e.description),
            Err(_) => String::from_utf8_lossy(&body).chars().take(300).collect(),
        };
        return Err(Error::Status {
            url,
            status,
            detail,
        });
    }
    serde_json::from_slice(&body).map_err(|e| failed(format!("not the expected JSON: {e}")))
}

/// `base` with `segments` appended to its path (each percent-encoded); query and fragment dropped.
fn endpoint(base: &Url, flag: &'static str, segments: &[&str]) -> Result<Url, Error> {
    let not_http = || Error::NotHttp {
        flag,
        value: base.clone(),
    };
    if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
        return Err(not_http());
    }
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.path_segments_mut()
        .map_err(|()| not_http())?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// An error and its causes, `outer: inner: innermost`.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "-".to_owned()
    } else {
        items.join(", ")
    }
}
