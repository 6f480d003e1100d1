//! API input: JSON bodies and uuid path parameters whose errors name the field, and the unit-name rule.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use model::{MAX_UNIT_NAME_CHARS, NameError};
use serde::de::DeserializeOwned;
use serde_json::error::Category;
use uuid::Uuid;

use crate::error::Error;

/// A JSON body. Unlike `axum::Json`, every refusal is an [`Error`]: syntax → 400 (`field: "body"`),
/// a missing, unknown or mistyped field → 422 naming it.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        if !is_json(req.headers()) {
            return Err(Error::bad_request(
                "body",
                "the body must be JSON (Content-Type: application/json)",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            Error::bad_request("body", format!("cannot read the body: {}", e.body_text()))
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mime = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Parses `bytes` as one JSON document of type `T`; errors name the field at fault.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            Category::Data => {
                let message = inner.to_string();
                Error::validation(field_of(&path, &message), message)
            }
            Category::Syntax | Category::Eof | Category::Io => {
                Error::bad_request("body", format!("malformed JSON: {inner}"))
            }
        }
    })?;
    deserializer
        .end()
        .map_err(|e| Error::bad_request("body", format!("malformed JSON: {e}")))?;
    Ok(value)
}

/// The field a data error is about: its path, or for errors at the top (`missing field `name``,
/// `unknown field `x``) the name in backticks, else `body`.
fn field_of(path: &str, message: &str) -> String {
    if path != "." && !path.is_empty() {
        return path.to_owned();
    }
    match message.split('`').nth(1) {
        Some(name) if !name.is_empty() => name.to_owned(),
        _ => "body".to_owned(),
    }
}

/// The `{uuid}` of `/api/v1/org-units/{uuid}…`.
pub struct UnitPath(pub Uuid);

/// `/api/v1/org-units/{uuid}/owners/{person_uuid}`.
pub struct OwnerPath {
    pub unit: Uuid,
    pub person: Uuid,
}

async fn uuid_params<S: Send + Sync, const N: usize>(
    parts: &mut Parts,
    state: &S,
    names: [&'static str; N],
) -> Result<[Uuid; N], Error> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|e| Error::bad_request("path", e.body_text()))?;
    let mut found = [Uuid::nil(); N];
    for (slot, name) in found.iter_mut().zip(names) {
        let text = params
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value)
            .ok_or_else(|| Error::Internal(format!("the route has no {{{name}}}")))?;
        *slot = Uuid::parse_str(text)
            .map_err(|_| Error::bad_request(name, format!("{name} in the path must be a UUID")))?;
    }
    Ok(found)
}

impl<S: Send + Sync> FromRequestParts<S> for UnitPath {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let [unit] = uuid_params(parts, state, ["uuid"]).await?;
        Ok(Self(unit))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for OwnerPath {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let [unit, person] = uuid_params(parts, state, ["uuid", "person_uuid"]).await?;
        Ok(Self { unit, person })
    }
}

/// A unit name as stored (the shared rule, [`model::unit_name`]), or 422 naming `name`.
pub fn unit_name(name: &str) -> Result<String, Error> {
    let message = match model::unit_name(name) {
        Ok(name) => return Ok(name.to_owned()),
        Err(NameError::Empty) => "name must not be empty".to_owned(),
        Err(NameError::TooLong { .. }) => {
            format!("name must be at most {MAX_UNIT_NAME_CHARS} characters")
        }
        Err(NameError::ForbiddenCharacter) => {
            "name must not contain control, invisible or text-direction characters".to_owned()
        }
    };
    Err(Error::validation("name", message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(body: &str) -> (u16, Option<String>) {
        let e = parse_json::<api::OrgUnitPatch>(body.as_bytes()).unwrap_err();
        (e.status().as_u16(), e.field().map(str::to_owned))
    }

    #[test]
    fn json_errors_name_the_field() {
        let field = |s: &str| Some(s.to_owned());
        assert_eq!(error_of("{"), (400, field("body")));
        assert_eq!(error_of("not json"), (400, field("body")));
        assert_eq!(error_of(r#"{"version": 1} trailing"#), (400, field("body")));
        assert_eq!(error_of("{}"), (422, field("version")));
        assert_eq!(error_of(r#"{"version": "one"}"#), (422, field("version")));
        assert_eq!(
            error_of(r#"{"version": 1, "parent": "nope"}"#),
            (422, field("parent"))
        );
        assert_eq!(
            error_of(r#"{"version": 1, "name": 5}"#),
            (422, field("name"))
        );
        assert_eq!(
            error_of(r#"{"version": 1, "nmae": "x"}"#),
            (422, field("nmae"))
        );
        assert_eq!(error_of("[]"), (422, field("body")));
        let ok: api::OrgUnitPatch = parse_json(br#"{"version": 2, "parent": null}"#).unwrap();
        assert_eq!(ok.parent, Some(None));
    }

    #[test]
    fn content_types() {
        let headers = |value: &str| {
            let mut h = HeaderMap::new();
            h.insert(CONTENT_TYPE, value.parse().unwrap());
            h
        };
        assert!(is_json(&headers("application/json")));
        assert!(is_json(&headers("Application/JSON; charset=utf-8")));
        assert!(is_json(&headers("application/merge-patch+json")));
        assert!(!is_json(&headers("text/plain")));
        assert!(!is_json(&HeaderMap::new()));
    }

    #[test]
    fn unit_names() {
        assert_eq!(unit_name("  Vej og Park ").unwrap(), "Vej og Park");
        assert_eq!(unit_name(&"ø".repeat(200)).unwrap().chars().count(), 200);
        for bad in [
            "",
            "   ",
            "\t\n",
            "a\u{0}b",
            "Skole\u{202E}gnidlaB",
            "a\u{2066}b",
            "a\u{200B}b",
            "a\u{200F}b",
            "\u{FEFF}Skoler",
        ] {
            assert_eq!(unit_name(bad).unwrap_err().field(), Some("name"), "{bad:?}");
        }
        assert!(unit_name(&"x".repeat(201)).is_err());
    }
}
