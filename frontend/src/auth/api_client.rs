//! Calling the app's API as the signed-in user: a fresh token from the session, `Authorization:
//! Bearer` (or `DPoP` with a proof, for a DPoP-bound token), one forced refresh and retry on 401,
//! and typed errors.

use api::{ConflictCode, ErrorBody};
use oauth2::http::{
    Method, Request, StatusCode,
    header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE},
};
use serde::{Serialize, de::DeserializeOwned};

use super::{http::HttpResponse, session::Session};
use crate::error::Error;

/// The API's client; cheap to clone (it shares the session).
#[derive(Clone)]
pub struct ApiClient {
    session: Session,
}

impl ApiClient {
    pub fn new(session: Session) -> Self {
        Self { session }
    }

    /// `GET {path}` (same origin, e.g. `/api/v1/me`) as JSON.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        parse_json(&self.exchange(Method::GET, path, None).await?)
    }

    /// Any method with an optional JSON body; the answer is parsed as JSON.
    pub async fn request<T: DeserializeOwned, B: Serialize>(
        &self,
        method: Method,
        path: &str,
        json_body: Option<&B>,
    ) -> Result<T, Error> {
        let body = to_json(json_body)?;
        parse_json(&self.exchange(method, path, body).await?)
    }

    /// Any method with an optional JSON body, for answers without a body (e.g. 204).
    pub async fn request_no_content<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        json_body: Option<&B>,
    ) -> Result<(), Error> {
        let body = to_json(json_body)?;
        self.exchange(method, path, body).await.map(drop)
    }

    /// Sends the request with a fresh token (once more after a 401, with a replaced token) and
    /// turns a refusal into its [`Error`]; the body of a success is left to the caller. Not
    /// generic, so one copy serves every answer type.
    async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, Error> {
        let token = self.session.access_token().await?;
        let mut response = self.send(&method, path, body.as_deref(), &token).await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            let token = self.session.replace_rejected_token(&token).await?;
            response = self.send(&method, path, body.as_deref(), &token).await?;
        }
        success_body(response)
    }

    async fn send(
        &self,
        method: &Method,
        path: &str,
        json_body: Option<&[u8]>,
        token: &str,
    ) -> Result<HttpResponse, Error> {
        let (http, scheme) = self.session.api_http(token);
        let mut request = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(ACCEPT, "application/json")
            .header(AUTHORIZATION, format!("{scheme} {token}"));
        let body = match json_body {
            Some(json) => {
                request = request.header(CONTENT_TYPE, "application/json");
                json.to_vec()
            }
            None => Vec::new(),
        };
        let request = request
            .body(body)
            .map_err(|err| Error::Browser(err.to_string()))?;
        http.send(request).await
    }

    /// keycloak-js `hasRealmRole`, for the signed-in user.
    pub fn has_realm_role(&self, role: &str) -> bool {
        self.session
            .user()
            .is_some_and(|user| user.has_realm_role(role))
    }

    /// keycloak-js `hasResourceRole`, for the signed-in user.
    pub fn has_resource_role(&self, role: &str, resource: &str) -> bool {
        self.session
            .user()
            .is_some_and(|user| user.has_resource_role(role, resource))
    }
}

/// The JSON of a request body, serialised before anything is sent.
fn to_json<B: Serialize>(json_body: Option<&B>) -> Result<Option<Vec<u8>>, Error> {
    json_body
        .map(serde_json::to_vec)
        .transpose()
        .map_err(|err| Error::Browser(err.to_string()))
}

/// A success answer's JSON as `T`.
fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|err| Error::InvalidResponse(err.to_string()))
}

/// The body of a 2xx answer, or the refusal as its typed [`Error`].
fn success_body(response: HttpResponse) -> Result<Vec<u8>, Error> {
    let status = response.status();
    if status.is_success() {
        return Ok(response.into_body());
    }
    let body = serde_json::from_slice::<ErrorBody>(response.body()).ok();
    let field = body.as_ref().and_then(|body| body.field.clone());
    let rule = body.as_ref().and_then(|body| body.rule);
    let code = body
        .as_ref()
        .and_then(|body| ConflictCode::from_code(&body.error));
    let reason = || {
        body.map(|body| body.description).unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("no reason given")
                .into()
        })
    };
    Err(match status {
        StatusCode::UNAUTHORIZED => Error::Unauthorized,
        StatusCode::FORBIDDEN => Error::Forbidden {
            rule,
            description: reason(),
        },
        StatusCode::NOT_FOUND => Error::NotFound,
        StatusCode::CONFLICT => Error::Conflict {
            code,
            description: reason(),
        },
        StatusCode::UNPROCESSABLE_ENTITY => Error::Unprocessable {
            description: reason(),
            field,
        },
        other => Error::Status(other.as_u16()),
    })
}
