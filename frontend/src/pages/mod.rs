//! One module per routed page; `app.rs` maps paths to them.

pub mod landing;
pub mod not_found;
