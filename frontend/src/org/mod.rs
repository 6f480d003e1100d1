//! The organisation as the pages see it: the unit tree and its filter, ownership badges, form
//! rules and refusal reasons (pure, tested in the browser), and the API calls that load and change it.

pub mod client;
pub mod rules;
pub mod tree;
