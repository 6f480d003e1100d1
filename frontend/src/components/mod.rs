//! Small presentational building blocks shared by the pages.

pub mod error_panel;
pub mod loading;
