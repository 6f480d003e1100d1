//! Small building blocks shared by the pages and the layout.

pub mod account_menu;
pub mod error_panel;
pub mod idp_notice;
pub mod loading;
pub mod notices;
pub mod protected;
pub mod row_window;
pub mod session_expiry;
pub mod session_notice;
pub mod timing;
