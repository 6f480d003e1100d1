//! The proof rules one by one, with proofs signed by a test key and then spoiled.

use serde_json::json;

use super::*;
use crate::test_support::{DpopKey, now};

const URL: &str = "https://mo.example/api/v1/org-units";
const TOKEN: &str = "header.payload.signature";

fn checker() -> ProofChecker {
    ProofChecker::new(
        ProofRules {
            max_age_seconds: 30,
            leeway_seconds: 5,
        },
        100,
    )
}

fn check_as(
    checker: &ProofChecker,
    key: &DpopKey,
    proof: &str,
    method: &str,
    url: &str,
) -> Result<(), ProofRefusal> {
    let urls = [Url::parse(url).unwrap()];
    let request = ProvenRequest {
        method,
        urls: &urls,
        access_token: TOKEN,
        jkt: &key.thumbprint,
    };
    checker.check(Some(proof), request, now() as u64)
}

fn refused(error: ProofError) -> Result<(), ProofRefusal> {
    Err(ProofRefusal::Invalid(error))
}

#[test]
fn a_good_proof_passes_once() {
    let (checker, key) = (checker(), DpopKey::generate());
    let proof = key.proof("GET", URL, Some(TOKEN));
    assert_eq!(check_as(&checker, &key, &proof, "GET", URL), Ok(()));
    assert_eq!(
        check_as(&checker, &key, &proof, "GET", URL),
        refused(ProofError::Replayed)
    );
    // Query and fragment do not count; default ports and host case are normalised.
    let other = key.proof(
        "GET",
        "https://MO.example:443/api/v1/org-units?x=1#f",
        Some(TOKEN),
    );
    assert_eq!(check_as(&checker, &key, &other, "GET", URL), Ok(()));
    assert_eq!(checker.replay_memory().len(), 2);
}

#[test]
fn the_proof_must_be_for_this_request_and_token() {
    let (checker, key) = (checker(), DpopKey::generate());
    let check = |proof: &str| check_as(&checker, &key, proof, "PATCH", URL);
    assert_eq!(
        check(&key.proof("GET", URL, Some(TOKEN))),
        refused(ProofError::WrongMethod)
    );
    assert_eq!(
        check(&key.proof("patch", URL, Some(TOKEN))),
        refused(ProofError::WrongMethod)
    );
    for url in [
        "https://mo.example/api/v1/me",
        "http://mo.example/api/v1/org-units",
        "https://mo.example:8443/api/v1/org-units",
        "https://evil.example/api/v1/org-units",
        "/api/v1/org-units",
    ] {
        assert_eq!(
            check(&key.proof("PATCH", url, Some(TOKEN))),
            refused(ProofError::WrongUrl),
            "{url}"
        );
    }
    assert_eq!(
        check(&key.proof("PATCH", URL, Some("another.access.token"))),
        refused(ProofError::WrongToken)
    );
    assert_eq!(
        check(&key.proof("PATCH", URL, None)),
        refused(ProofError::MissingClaim)
    );
    let stranger = DpopKey::generate();
    assert_eq!(
        check(&stranger.proof("PATCH", URL, Some(TOKEN))),
        refused(ProofError::WrongKey)
    );
    assert_eq!(
        checker.check(
            None,
            ProvenRequest {
                method: "PATCH",
                urls: &[Url::parse(URL).unwrap()],
                access_token: TOKEN,
                jkt: &key.thumbprint,
            },
            now() as u64
        ),
        refused(ProofError::Missing)
    );
    assert!(
        checker.replay_memory().is_empty(),
        "refused proofs are not remembered"
    );
}

#[test]
fn iat_must_be_recent_and_not_ahead() {
    let (checker, key) = (checker(), DpopKey::generate());
    let with_iat = |iat: i64| {
        let mut claims = key.claims("GET", URL, Some(TOKEN));
        claims["iat"] = json!(iat);
        key.sign(&claims)
    };
    let check = |proof: &str| check_as(&checker, &key, proof, "GET", URL);
    assert_eq!(check(&with_iat(now() - 31)), refused(ProofError::Stale));
    assert_eq!(check(&with_iat(now() - 25)), Ok(()));
    assert_eq!(check(&with_iat(now() + 4)), Ok(()));
    assert_eq!(
        check(&with_iat(now() + 7)),
        refused(ProofError::FromTheFuture)
    );
    let mut claims = key.claims("GET", URL, Some(TOKEN));
    claims["iat"] = json!("now");
    assert_eq!(check(&key.sign(&claims)), refused(ProofError::MissingClaim));
    claims["iat"] = json!(now());
    claims["jti"] = json!("x".repeat(MAX_JTI_BYTES + 1));
    assert_eq!(check(&key.sign(&claims)), refused(ProofError::MissingClaim));
}

#[test]
fn the_header_must_be_a_dpop_proof_with_a_public_p256_key() {
    let (checker, key) = (checker(), DpopKey::generate());
    let claims = key.claims("GET", URL, Some(TOKEN));
    let check = |proof: &str| check_as(&checker, &key, proof, "GET", URL);

    let mut header = key.header();
    header.typ = Some("JWT".into());
    assert_eq!(
        check(&key.sign_with(&header, &claims)),
        refused(ProofError::BadHeader)
    );
    header.typ = None;
    assert_eq!(
        check(&key.sign_with(&header, &claims)),
        refused(ProofError::BadHeader)
    );
    let mut header = key.header();
    header.jwk = None;
    assert_eq!(
        check(&key.sign_with(&header, &claims)),
        refused(ProofError::BadHeader)
    );

    // A proof that carries a private key, or another curve, or an RSA key: refused.
    let good = key.sign(&claims);
    let (head, rest) = good.split_once('.').unwrap();
    let mut head: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(head).unwrap()).unwrap();
    for (member, value) in [
        ("d", json!("AAAA")),
        ("crv", json!("P-384")),
        ("kty", json!("RSA")),
        ("x", json!("c2hvcnQ")),
    ] {
        let mut spoiled = head.clone();
        spoiled["jwk"][member] = value;
        let proof = format!("{}.{rest}", URL_SAFE_NO_PAD.encode(spoiled.to_string()));
        assert_eq!(check(&proof), refused(ProofError::BadHeader), "{member}");
    }
    head["alg"] = json!("RS256");
    let proof = format!("{}.{rest}", URL_SAFE_NO_PAD.encode(head.to_string()));
    assert_eq!(check(&proof), refused(ProofError::AlgorithmNotAllowed));
    head["alg"] = json!("none");
    let proof = format!("{}.{rest}", URL_SAFE_NO_PAD.encode(head.to_string()));
    assert_eq!(check(&proof), refused(ProofError::AlgorithmNotAllowed));
}

#[test]
fn signatures_and_shapes() {
    let (checker, key) = (checker(), DpopKey::generate());
    let check = |proof: &str| check_as(&checker, &key, proof, "GET", URL);
    let good = key.proof("GET", URL, Some(TOKEN));
    let (message, _) = good.rsplit_once('.').unwrap();
    let other = key.proof("GET", URL, Some(TOKEN));
    let (_, other_signature) = other.rsplit_once('.').unwrap();
    assert_eq!(
        check(&format!("{message}.{other_signature}")),
        refused(ProofError::BadSignature)
    );
    assert_eq!(
        check(&format!("{message}.")),
        refused(ProofError::Malformed)
    );
    assert_eq!(check("a.b"), refused(ProofError::Malformed));
    assert_eq!(check("!!.??.**"), refused(ProofError::Malformed));
    assert_eq!(
        check(&"a".repeat(MAX_PROOF_BYTES + 1)),
        refused(ProofError::Malformed)
    );
    // The claims replaced after signing.
    let (head, _) = good.split_once('.').unwrap();
    let forged = key.claims("GET", URL, Some(TOKEN));
    let (_, signature) = good.rsplit_once('.').unwrap();
    let proof = format!(
        "{head}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(forged.to_string())
    );
    assert_eq!(check(&proof), refused(ProofError::BadSignature));
}

#[test]
fn a_full_replay_memory_makes_callers_wait() {
    let checker = ProofChecker::new(
        ProofRules {
            max_age_seconds: 30,
            leeway_seconds: 5,
        },
        1,
    );
    let key = DpopKey::generate();
    let first = key.proof("GET", URL, Some(TOKEN));
    assert_eq!(check_as(&checker, &key, &first, "GET", URL), Ok(()));
    let second = key.proof("GET", URL, Some(TOKEN));
    assert_eq!(
        check_as(&checker, &key, &second, "GET", URL),
        Err(ProofRefusal::Busy)
    );
}

#[test]
fn thumbprints_are_rfc_7638() {
    // RFC 7638 §3.1 uses an RSA key; this is the same computation for EC, checked against the
    // test key's own (independent) formula.
    let key = DpopKey::generate();
    let jwk = &key.jwk;
    let params = EllipticCurveKeyParameters {
        key_type: EllipticCurveKeyType::EC,
        curve: EllipticCurve::P256,
        x: jwk["x"].as_str().unwrap().into(),
        y: jwk["y"].as_str().unwrap().into(),
    };
    assert_eq!(thumbprint(&params), key.thumbprint);
    assert_eq!(
        token_hash("abc"),
        "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
    );
}
