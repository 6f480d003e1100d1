//! Reading `Authorization: Bearer <token>` (RFC 6750 §2.1), and why a request is not authenticated.

use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::TokenError;

/// Why a request was not authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unauthorized {
    /// No `Authorization: Bearer` at all (RFC 6750 §3.1: no error code in the challenge).
    #[error("no bearer token")]
    MissingToken,
    #[error("{0}")]
    InvalidRequest(&'static str),
    #[error("{0}")]
    InvalidToken(TokenError),
}

impl Unauthorized {
    /// A fixed snake_case name of the reason (a metric label): `missing_token`, `invalid_request`,
    /// or the token error's own ([`TokenError::label`]).
    pub fn label(&self) -> &'static str {
        match self {
            Unauthorized::MissingToken => "missing_token",
            Unauthorized::InvalidRequest(_) => "invalid_request",
            Unauthorized::InvalidToken(e) => e.label(),
        }
    }
}

/// Parses the header (RFC 6750 §2.1). The scheme is case-insensitive (RFC 7235 §2.1), so
/// `bearer x` is read like `Bearer x`; one or more spaces may follow it. More than one
/// `Authorization` header, a non-ASCII value or `Bearer` without a token is `invalid_request`;
/// another scheme (e.g. `Basic`) counts as no bearer token at all.
pub fn bearer_token(parts: &Parts) -> Result<&str, Unauthorized> {
    let mut values = parts.headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(Unauthorized::MissingToken);
    };
    if values.next().is_some() {
        return Err(Unauthorized::InvalidRequest(
            "more than one Authorization header",
        ));
    }
    let value = value
        .to_str()
        .map_err(|_| Unauthorized::InvalidRequest("Authorization header is not ASCII"))?
        .trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return Err(Unauthorized::MissingToken);
    }
    let token = rest.trim_start_matches(' ');
    if token.is_empty() {
        return Err(Unauthorized::InvalidRequest("bearer token missing"));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(values: &[&[u8]]) -> Parts {
        let mut builder = Request::builder().uri("/api/v1/me");
        for v in values {
            builder = builder.header(AUTHORIZATION, *v);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn parse(values: &[&[u8]]) -> Result<String, Unauthorized> {
        bearer_token(&parts(values)).map(str::to_owned)
    }

    #[test]
    fn header_forms() {
        assert_eq!(parse(&[b"Bearer abc"]).unwrap(), "abc");
        assert_eq!(parse(&[b"bearer abc"]).unwrap(), "abc");
        assert_eq!(parse(&[b"BEARER   abc"]).unwrap(), "abc");
        // `Bearer Bearer abc`: the token is "Bearer abc", which validation refuses as malformed.
        assert_eq!(parse(&[b"Bearer Bearer abc"]).unwrap(), "Bearer abc");
        assert_eq!(parse(&[]), Err(Unauthorized::MissingToken));
        assert_eq!(parse(&[b"Basic dTpw"]), Err(Unauthorized::MissingToken));
        assert_eq!(parse(&[b"Bearerabc"]), Err(Unauthorized::MissingToken));
        assert!(matches!(
            parse(&[b"Bearer"]),
            Err(Unauthorized::InvalidRequest(_))
        ));
        assert!(matches!(
            parse(&[b"Bearer   "]),
            Err(Unauthorized::InvalidRequest(_))
        ));
        assert!(matches!(
            parse(&[b"Bearer a", b"Bearer b"]),
            Err(Unauthorized::InvalidRequest(_))
        ));
        assert!(matches!(
            parse(&[b"Bearer \xff\xfe"]),
            Err(Unauthorized::InvalidRequest(_))
        ));
    }
}
