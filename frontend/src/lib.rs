//! The organisation browser's single-page app: sign-in, routes, pages and shared components.

pub mod app;
pub mod auth;
pub mod components;
pub mod config;
pub mod error;
pub mod org;
pub mod pages;
pub mod routes;
pub mod split;
