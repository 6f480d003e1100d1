//! Checking an ID token (from the code exchange, and again from every refresh): RS256 signature
//! against the realm's JWKS with the browser's WebCrypto, then `iss`, `aud`, `azp`, `sub`, `exp`
//! and `nonce`. Nothing else is trusted.

use js_sys::{Array, Object, Reflect};
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::CryptoKey;

use super::{
    endpoints::Endpoints,
    http::{HttpClient, get_json},
    jwt::Jwt,
};
use crate::error::Error;

/// The only signature algorithm accepted (Keycloak's default); `none` and HMAC are refused.
pub const ALLOWED_ALG: &str = "RS256";
/// How far the browser's clock may be from the IdP's when judging `exp` (seconds).
pub const CLOCK_LEEWAY_SECONDS: i64 = 60;
const WEBCRYPTO_ALG: &str = "RSASSA-PKCS1-v1_5";

/// What a valid ID token from this sign-in must say.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The sign-in's nonce; `None` for an ID token from a refresh (OpenID Connect Core §12.2).
    pub nonce: Option<&'a str>,
    /// The user of the first ID token; a refreshed one must name the same `sub`.
    pub subject: Option<&'a str>,
    /// The browser's time, seconds since the epoch.
    pub now_seconds: i64,
}

/// A JSON Web Key Set (RFC 7517), as the realm publishes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Jwks {
    #[serde(default)]
    pub keys: Vec<Jwk>,
}

/// The members of a JSON Web Key the check uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Jwk {
    pub kty: String,
    pub kid: Option<String>,
    #[serde(rename = "use")]
    pub use_: Option<String>,
    pub alg: Option<String>,
    /// RSA modulus and exponent, base64url.
    pub n: Option<String>,
    pub e: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
struct IdClaims {
    iss: String,
    aud: Audience,
    azp: Option<String>,
    sub: Option<String>,
    exp: i64,
    nonce: Option<String>,
}

/// Fetches the realm's JSON Web Key Set.
pub async fn fetch_jwks(http: &dyn HttpClient, jwks_url: &str) -> Result<Jwks, Error> {
    let response = http.send(get_json(jwks_url)?).await?;
    if !response.status().is_success() {
        return Err(Error::IdToken(format!(
            "the realm's keys could not be loaded (HTTP {})",
            response.status().as_u16()
        )));
    }
    serde_json::from_slice(response.body())
        .map_err(|err| Error::IdToken(format!("the realm's keys are not valid JSON ({err})")))
}

/// Verifies `id_token` against `jwks` and `expected` and gives its `sub`; any failure is
/// [`Error::IdToken`].
pub async fn verify(id_token: &str, jwks: &Jwks, expected: Expected<'_>) -> Result<String, Error> {
    let refuse = Error::IdToken;
    let jwt = Jwt::decode(id_token).map_err(refuse)?;
    if jwt.header.alg != ALLOWED_ALG {
        return Err(refuse(format!(
            "it is signed with `{}`, only {ALLOWED_ALG} is accepted",
            jwt.header.alg
        )));
    }
    let key = signing_key(jwks, jwt.header.kid.as_deref())
        .ok_or_else(|| refuse("no key of the realm matches its key id".into()))?;
    if !verify_rs256(key, jwt.signing_input.as_bytes(), &jwt.signature).await? {
        return Err(refuse("its signature is not valid".into()));
    }

    let claims: IdClaims = jwt.claims().map_err(refuse)?;
    if claims.iss != expected.issuer {
        return Err(refuse(format!("it was issued by {}", claims.iss)));
    }
    let audience_ok = match &claims.aud {
        Audience::One(aud) => aud == expected.client_id,
        Audience::Many(auds) => {
            auds.iter().any(|aud| aud == expected.client_id)
                && (auds.len() == 1 || claims.azp.as_deref() == Some(expected.client_id))
        }
    };
    if !audience_ok
        || claims
            .azp
            .as_deref()
            .is_some_and(|azp| azp != expected.client_id)
    {
        return Err(refuse("it was issued to another client".into()));
    }
    let Some(subject) = claims.sub.as_deref().filter(|sub| !sub.is_empty()) else {
        return Err(refuse("it names no user (no `sub`)".into()));
    };
    if expected.subject.is_some_and(|first| first != subject) {
        return Err(refuse("it names another user than the sign-in".into()));
    }
    if claims.exp + CLOCK_LEEWAY_SECONDS <= expected.now_seconds {
        return Err(refuse("it has expired".into()));
    }
    if let Some(nonce) = expected.nonce
        && claims.nonce.as_deref() != Some(nonce)
    {
        return Err(refuse("its nonce does not match this sign-in".into()));
    }
    Ok(subject.to_owned())
}

/// An ID token that came with a refresh, checked like the first one before it replaces it (it is
/// the logout hint): signature, issuer, audience, `azp`, expiry, and the same `sub` as `previous`.
pub async fn verify_refreshed(
    http: &dyn HttpClient,
    endpoints: &Endpoints,
    id_token: &str,
    previous: Option<&str>,
    now_seconds: i64,
) -> Result<(), Error> {
    let jwks = fetch_jwks(http, &endpoints.jwks).await?;
    let first = previous.and_then(subject_of);
    let expected = Expected {
        issuer: &endpoints.issuer,
        client_id: &endpoints.client_id,
        nonce: None,
        subject: first.as_deref(),
        now_seconds,
    };
    verify(id_token, &jwks, expected).await.map(drop)
}

/// The `sub` of an ID token verified before (decoded, not checked again).
fn subject_of(id_token: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Subject {
        sub: Option<String>,
    }
    Jwt::decode(id_token).ok()?.claims::<Subject>().ok()?.sub
}

/// The RSA signing key with `kid` (or the only RSA signing key when the token names none).
fn signing_key<'a>(jwks: &'a Jwks, kid: Option<&str>) -> Option<&'a Jwk> {
    let mut candidates = jwks.keys.iter().filter(|key| {
        key.kty == "RSA"
            && key.use_.as_deref().is_none_or(|usage| usage == "sig")
            && key.alg.as_deref().is_none_or(|alg| alg == ALLOWED_ALG)
    });
    match kid {
        Some(kid) => candidates.find(|key| key.kid.as_deref() == Some(kid)),
        None => {
            let first = candidates.next()?;
            candidates.next().is_none().then_some(first)
        }
    }
}

/// A plain JS object with these string members.
fn js_object(members: &[(&str, &str)]) -> Result<Object, JsValue> {
    let object = Object::new();
    for (name, value) in members {
        Reflect::set(&object, &JsValue::from_str(name), &JsValue::from_str(value))?;
    }
    Ok(object)
}

/// RSASSA-PKCS1-v1_5 with SHA-256 through `crypto.subtle`.
async fn verify_rs256(jwk: &Jwk, data: &[u8], signature: &[u8]) -> Result<bool, Error> {
    let browser = |err: JsValue| Error::Browser(format!("WebCrypto: {err:?}"));
    let subtle = web_sys::window()
        .ok_or_else(|| Error::Browser("no window".into()))?
        .crypto()
        .map_err(browser)?
        .subtle();
    let (Some(n), Some(e)) = (jwk.n.as_deref(), jwk.e.as_deref()) else {
        return Err(Error::IdToken(
            "the realm's key has no RSA modulus or exponent".into(),
        ));
    };
    // Only the public parts, so a key's own `key_ops`/`ext` cannot stop the import.
    let key_data = js_object(&[("kty", "RSA"), ("n", n), ("e", e)]).map_err(browser)?;
    let algorithm = js_object(&[("name", WEBCRYPTO_ALG), ("hash", "SHA-256")]).map_err(browser)?;
    let usages = Array::of1(&JsValue::from_str("verify"));
    let import = subtle
        .import_key_with_object("jwk", &key_data, &algorithm, false, &usages)
        .map_err(browser)?;
    let key: CryptoKey = JsFuture::from(import)
        .await
        .map_err(|_| Error::IdToken("the realm's key could not be imported".into()))?
        .unchecked_into();
    let verified = subtle
        .verify_with_str_and_u8_array_and_u8_array(WEBCRYPTO_ALG, &key, signature, data)
        .map_err(browser)?;
    Ok(JsFuture::from(verified).await.map_err(browser)?.as_bool() == Some(true))
}
