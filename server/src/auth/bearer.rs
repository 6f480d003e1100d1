//! Reading the credentials of a request: `Authorization: Bearer <token>` (RFC 6750 §2.1) or
//! `Authorization: DPoP <token>` with its `DPoP` proof header (RFC 9449 §7), and why a request
//! is not authenticated.

use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::TokenError;
use super::dpop::ProofError;

/// The header carrying a DPoP proof (RFC 9449 §4.1).
pub const DPOP_HEADER: &str = "dpop";

/// How the access token was presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Bearer,
    /// RFC 9449: the token is bound to a key, and the request carries a proof made with it.
    Dpop,
}

/// An access token as the request presented it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presented<'a> {
    pub scheme: Scheme,
    pub token: &'a str,
    /// The `DPoP` header (read for the DPoP scheme only).
    pub proof: Option<&'a str>,
}

/// Why a request was not authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unauthorized {
    /// No `Authorization: Bearer` or `DPoP` at all (RFC 6750 §3.1: no error code in the challenge).
    #[error("no bearer token")]
    MissingToken,
    #[error("{0}")]
    InvalidRequest(&'static str),
    #[error("{0}")]
    InvalidToken(TokenError),
    /// The DPoP proof is missing or wrong (RFC 9449 §7.1 `invalid_dpop_proof`).
    #[error("{0}")]
    InvalidProof(ProofError),
}

impl Unauthorized {
    /// A fixed snake_case name of the reason (a metric label): `missing_token`, `invalid_request`,
    /// the token error's own ([`TokenError::label`]) or the proof's (`dpop_` + [`ProofError::label`]).
    pub fn label(&self) -> &'static str {
        match self {
            Unauthorized::MissingToken => "missing_token",
            Unauthorized::InvalidRequest(_) => "invalid_request",
            Unauthorized::InvalidToken(e) => e.label(),
            Unauthorized::InvalidProof(e) => e.label(),
        }
    }
}

/// Parses the `Authorization` header (RFC 6750 §2.1, RFC 9449 §7.1). The scheme is
/// case-insensitive (RFC 7235 §2.1), so `bearer x` is read like `Bearer x`; one or more spaces
/// may follow it. More than one `Authorization` header, a non-ASCII value or a scheme without a
/// token is `invalid_request`; another scheme (e.g. `Basic`) counts as no token at all. With the
/// DPoP scheme, the `DPoP` header is read too: more than one is `invalid_dpop_proof`, none is left
/// for the proof check to refuse.
pub fn presented_token(parts: &Parts) -> Result<Presented<'_>, Unauthorized> {
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
    let scheme = if scheme.eq_ignore_ascii_case("Bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case("DPoP") {
        Scheme::Dpop
    } else {
        return Err(Unauthorized::MissingToken);
    };
    let token = rest.trim_start_matches(' ');
    if token.is_empty() {
        return Err(Unauthorized::InvalidRequest("access token missing"));
    }
    let proof = match scheme {
        Scheme::Bearer => None,
        Scheme::Dpop => dpop_header(parts)?,
    };
    Ok(Presented {
        scheme,
        token,
        proof,
    })
}

/// The one `DPoP` header, if any.
fn dpop_header(parts: &Parts) -> Result<Option<&str>, Unauthorized> {
    let mut proofs = parts.headers.get_all(DPOP_HEADER).iter();
    let Some(proof) = proofs.next() else {
        return Ok(None);
    };
    if proofs.next().is_some() {
        return Err(Unauthorized::InvalidProof(ProofError::MoreThanOne));
    }
    proof
        .to_str()
        .map(|proof| Some(proof.trim()))
        .map_err(|_| Unauthorized::InvalidProof(ProofError::Malformed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(values: &[&[u8]], proofs: &[&str]) -> Parts {
        let mut builder = Request::builder().uri("/api/v1/me");
        for v in values {
            builder = builder.header(AUTHORIZATION, *v);
        }
        for p in proofs {
            builder = builder.header(DPOP_HEADER, *p);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn parse(values: &[&[u8]]) -> Result<String, Unauthorized> {
        presented_token(&parts(values, &[])).map(|p| p.token.to_owned())
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

    #[test]
    fn dpop_scheme_reads_its_one_proof_header() {
        let read = |proofs: &[&str]| {
            presented_token(&parts(&[b"DPoP tok"], proofs))
                .map(|p| (p.scheme, p.token.to_owned(), p.proof.map(str::to_owned)))
        };
        let owned = |s: &str| s.to_owned();
        assert_eq!(
            read(&[" p.r.f "]),
            Ok((Scheme::Dpop, owned("tok"), Some(owned("p.r.f"))))
        );
        assert_eq!(read(&[]), Ok((Scheme::Dpop, owned("tok"), None)));
        assert_eq!(
            read(&["a", "b"]),
            Err(Unauthorized::InvalidProof(ProofError::MoreThanOne))
        );
        assert_eq!(parse(&[b"dpop tok"]).unwrap(), "tok");
        assert!(matches!(
            parse(&[b"DPoP "]),
            Err(Unauthorized::InvalidRequest(_))
        ));
        // A bearer token's request is not asked for a proof, whatever headers it has.
        let with_proofs = parts(&[b"Bearer tok"], &["a", "b"]);
        let bearer = presented_token(&with_proofs).unwrap();
        assert_eq!((bearer.scheme, bearer.proof), (Scheme::Bearer, None));
    }
}
