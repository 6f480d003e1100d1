//! Signing in with Keycloak (OpenID Connect code flow + PKCE), one module per concern; tokens live
//! in memory only, in the [`session::Session`].

pub mod api_client;
pub mod boot;
pub mod callback;
pub mod clock;
pub mod discovery;
pub mod dpop;
pub mod endpoints;
pub mod http;
pub mod id_token;
pub mod jwt;
pub mod login;
pub mod navigation;
pub mod random;
pub mod redirect_state;
pub mod session;
pub mod sign_in_hint;
pub mod tokens;
pub mod user;

pub use api_client::ApiClient;
pub use session::{IdpReachability, Session, SessionStatus, TabMessage};
