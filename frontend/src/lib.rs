//! The organisation browser's single-page app: its routes, pages and shared components.

pub mod app;
pub mod components;
pub mod config;
pub mod pages;
