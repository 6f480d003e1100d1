//! The OAuth 2.0 side of signing in and out, with the `oauth2` crate: the authorization URL (PKCE
//! S256, `state`, `nonce`, scope `openid profile email`), the code exchange, the refresh grant,
//! and the end-session URL.

use oauth2::{
    AuthUrl, AuthorizationCode, Client, ClientId, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse,
    TokenUrl,
    basic::{
        BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
        BasicTokenIntrospectionResponse, BasicTokenType,
    },
    url::Url,
};
use serde::{Deserialize, Serialize};

use super::{
    endpoints::Endpoints,
    http::{HttpClient, oauth2_client},
    random::random_token,
    redirect_state::{PendingRedirect, RedirectKind},
};
use crate::error::Error;

/// The scopes every sign-in asks for.
pub const SCOPES: [&str; 3] = ["openid", "profile", "email"];

/// Members of a token response that plain OAuth 2.0 does not know: OpenID Connect's `id_token`
/// and Keycloak's `refresh_expires_in` (seconds until the refresh token, and so the session, can
/// no longer be used; 0 or absent = not known).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IdTokenField {
    pub id_token: Option<String>,
    #[serde(default)]
    pub refresh_expires_in: Option<u64>,
}
impl ExtraTokenFields for IdTokenField {}

type OidcTokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;
type OidcClient = Client<
    BasicErrorResponse,
    OidcTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// A token endpoint answer, reduced to what the session keeps.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    pub expires_in_seconds: Option<u64>,
    /// Keycloak's `refresh_expires_in`: how long the refresh token lasts (None when not sent or 0).
    pub refresh_expires_in_seconds: Option<u64>,
    /// `token_type: DPoP`: the access token is bound to the tab's DPoP key (RFC 9449 §5).
    pub dpop_bound: bool,
}

impl std::fmt::Debug for TokenSet {
    /// Never prints a token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("expires_in_seconds", &self.expires_in_seconds)
            .finish_non_exhaustive()
    }
}

/// Where to send the browser, and what to remember until it returns.
#[derive(Debug, Clone)]
pub struct Redirect {
    pub url: String,
    pub pending: PendingRedirect,
}

fn client(endpoints: &Endpoints) -> Result<OidcClient, Error> {
    let bad_url = |err: oauth2::url::ParseError| Error::InvalidConfig(err.to_string());
    Ok(Client::new(ClientId::new(endpoints.client_id.clone()))
        .set_auth_uri(AuthUrl::new(endpoints.authorization.clone()).map_err(bad_url)?)
        .set_token_uri(TokenUrl::new(endpoints.token.clone()).map_err(bad_url)?)
        .set_redirect_uri(RedirectUrl::new(endpoints.redirect_uri.clone()).map_err(bad_url)?))
}

/// A fresh authorization request. `SilentCheck` adds `prompt=none`; `return_to` must already be
/// a safe same-origin path.
pub fn authorization_redirect(
    endpoints: &Endpoints,
    kind: RedirectKind,
    return_to: String,
    retried: bool,
) -> Result<Redirect, Error> {
    let verifier = random_token()?;
    let challenge =
        PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier.clone()));
    let nonce = random_token()?;
    let state = random_token()?;
    let client = client(endpoints)?;
    let mut request = client
        .authorize_url(|| CsrfToken::new(state))
        .add_scopes(SCOPES.map(|scope| Scope::new(scope.into())))
        .add_extra_param("nonce", nonce.clone())
        .set_pkce_challenge(challenge);
    if kind == RedirectKind::SilentCheck {
        request = request.add_extra_param("prompt", "none");
    }
    let (url, state) = request.url();
    Ok(Redirect {
        url: url.into(),
        pending: PendingRedirect {
            kind,
            state: state.into_secret(),
            pkce_verifier: Some(verifier),
            nonce: Some(nonce),
            return_to,
            retried,
        },
    })
}

/// RP-initiated logout as a form POST to the end-session endpoint (OpenID Connect RP-Initiated
/// Logout §2 allows both methods): the ID token travels in the body, so it stays out of the
/// address bar, the history, the Referer and proxy logs.
#[derive(Debug, Clone)]
pub struct EndSession {
    /// The end-session endpoint (the form's `action`).
    pub action: String,
    /// `id_token_hint` (when there is an ID token), `post_logout_redirect_uri`, `client_id`,
    /// `state`: the form's fields, in this order.
    pub fields: Vec<(&'static str, String)>,
    pub pending: PendingRedirect,
}

/// The logout request for `id_token` (the hint Keycloak needs to skip its confirmation page).
pub fn end_session(endpoints: &Endpoints, id_token: Option<&str>) -> Result<EndSession, Error> {
    Url::parse(&endpoints.end_session).map_err(|err| Error::InvalidConfig(err.to_string()))?;
    let state = random_token()?;
    let mut fields = Vec::with_capacity(4);
    if let Some(id_token) = id_token {
        fields.push(("id_token_hint", id_token.to_owned()));
    }
    fields.push(("post_logout_redirect_uri", endpoints.redirect_uri.clone()));
    fields.push(("client_id", endpoints.client_id.clone()));
    fields.push(("state", state.clone()));
    Ok(EndSession {
        action: endpoints.end_session.clone(),
        fields,
        pending: PendingRedirect {
            kind: RedirectKind::SignOut,
            state,
            pkce_verifier: None,
            nonce: None,
            return_to: "/".into(),
            retried: false,
        },
    })
}

/// Exchanges an authorization code (with its PKCE verifier) at the token endpoint.
pub async fn exchange_code(
    endpoints: &Endpoints,
    http: &dyn HttpClient,
    code: String,
    pkce_verifier: String,
) -> Result<TokenSet, Error> {
    let client = client(endpoints)?;
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier))
        .request_async(&oauth2_client(http))
        .await
        .map_err(|err| token_error(err, false))?;
    Ok(token_set(&response))
}

/// The refresh grant. `invalid_grant` (the IdP session is gone) is [`Error::SessionEnded`].
pub async fn refresh(
    endpoints: &Endpoints,
    http: &dyn HttpClient,
    refresh_token: &str,
) -> Result<TokenSet, Error> {
    let client = client(endpoints)?;
    let refresh_token = RefreshToken::new(refresh_token.to_owned());
    let response = client
        .exchange_refresh_token(&refresh_token)
        .request_async(&oauth2_client(http))
        .await
        .map_err(|err| token_error(err, true))?;
    Ok(token_set(&response))
}

fn token_set(response: &OidcTokenResponse) -> TokenSet {
    TokenSet {
        access_token: response.access_token().secret().clone(),
        refresh_token: response.refresh_token().map(|token| token.secret().clone()),
        id_token: response.extra_fields().id_token.clone(),
        expires_in_seconds: response.expires_in().map(|lifetime| lifetime.as_secs()),
        refresh_expires_in_seconds: response
            .extra_fields()
            .refresh_expires_in
            .filter(|seconds| *seconds > 0),
        dpop_bound: response.token_type().as_ref().eq_ignore_ascii_case("dpop"),
    }
}

fn token_error(err: RequestTokenError<Error, BasicErrorResponse>, refreshing: bool) -> Error {
    match err {
        RequestTokenError::ServerResponse(answer) => {
            if refreshing && *answer.error() == BasicErrorResponseType::InvalidGrant {
                Error::SessionEnded
            } else {
                Error::IdentityProvider {
                    error: answer.error().to_string(),
                    description: answer
                        .error_description()
                        .map(|text| format!(" ({text})"))
                        .unwrap_or_default(),
                }
            }
        }
        RequestTokenError::Request(err) => err,
        RequestTokenError::Parse(err, _) => Error::TokenResponse(err.to_string()),
        RequestTokenError::Other(text) => Error::TokenResponse(text),
    }
}
