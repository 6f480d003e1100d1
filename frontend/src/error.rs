//! The crate's one error type: everything that can go wrong loading settings, signing in and calling the API.

/// Why something failed, worded for the person using the app (no token ever appears in a message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    // --- Loading /keycloak.json ---
    #[error("The server could not be reached ({0}).")]
    Unreachable(String),
    #[error("The server answered with HTTP status {0}.")]
    Status(u16),
    #[error("The server's answer is not a valid keycloak.json ({0}).")]
    InvalidConfig(String),

    // --- Signing in (the redirect and its return) ---
    #[error("The sign-in answer does not belong to a sign-in started here (state mismatch).")]
    StateMismatch,
    #[error("No sign-in was in progress in this tab.")]
    NoPendingSignIn,
    #[error("The sign-in answer has no authorization code.")]
    MissingCode,
    #[error("The sign-in answer comes from another issuer ({0}).")]
    WrongIssuer(String),
    #[error("The sign-in answer does not say which server sent it, so it was not accepted.")]
    MissingIssuer,
    #[error("Sign-in was refused or cancelled{0}.")]
    AccessDenied(String),
    #[error("The sign-in server reported an error: {error}{description}.")]
    IdentityProvider { error: String, description: String },
    #[error("The identity token was refused: {0}.")]
    IdToken(String),
    #[error("The sign-in server's token answer was not usable: {0}.")]
    TokenResponse(String),
    #[error("The browser refused a needed feature: {0}.")]
    Browser(String),

    // --- The session ---
    #[error("You are not signed in.")]
    NotSignedIn,
    #[error("Your session has ended; sign in again to continue.")]
    SessionEnded,

    // --- Calling the API ---
    #[error("The server did not accept your sign-in (401).")]
    Unauthorized,
    /// 403: `rule` is the rule that refused (the server's name for it), `description` its words.
    #[error("You may not do this: {description}")]
    Forbidden {
        rule: Option<api::Rule>,
        description: String,
    },
    #[error("Not found.")]
    NotFound,
    /// 409: `code` says which conflict (stale version, cycle, sub-units) when the server named one.
    #[error("This conflicts with the current state: {description}")]
    Conflict {
        code: Option<api::ConflictCode>,
        description: String,
    },
    /// 422: the input was refused; `field` names the input at fault when the server said.
    #[error("The server could not process this request: {description}")]
    Unprocessable {
        description: String,
        field: Option<String>,
    },
    #[error("The network request failed ({0}).")]
    Network(String),
    #[error("The server's answer could not be read ({0}).")]
    InvalidResponse(String),

    // --- Loading the app itself ---
    /// A part of the app fetched on first use (crate::split) could not be fetched.
    #[error(
        "Part of the app could not be loaded from the server; check the connection and try again."
    )]
    PartNotLoaded,
}

impl Error {
    /// Network failures are worth retrying; everything else is a definite answer.
    pub fn is_network(&self) -> bool {
        matches!(
            self,
            Self::Network(_) | Self::Unreachable(_) | Self::PartNotLoaded
        )
    }
}
