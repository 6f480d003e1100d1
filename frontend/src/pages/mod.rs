//! One module per routed page; `app.rs` maps paths to them.

pub mod landing;
pub mod me;
pub mod not_found;
pub mod unit;
pub mod units;
