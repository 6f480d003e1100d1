//! The realm's OpenID discovery document, read only for what the callback needs: whether the IdP
//! announces RFC 9207's `iss` in authorization responses (Keycloak does), so that a callback
//! without it is refused.

use serde::Deserialize;

use super::{
    endpoints::Endpoints,
    http::{HttpClient, get_json},
};

#[derive(Deserialize)]
struct Discovery {
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
}

/// Whether a callback must carry `iss`. Fails closed: when the document cannot be read, the
/// answer is yes (a callback from this IdP carries it anyway).
pub async fn iss_parameter_required(http: &dyn HttpClient, endpoints: &Endpoints) -> bool {
    let url = format!("{}/.well-known/openid-configuration", endpoints.issuer);
    let Ok(request) = get_json(&url) else {
        return true;
    };
    match http.send(request).await {
        Ok(response) if response.status().is_success() => {
            serde_json::from_slice::<Discovery>(response.body()).map_or(true, |doc| {
                doc.authorization_response_iss_parameter_supported
            })
        }
        _ => true,
    }
}
