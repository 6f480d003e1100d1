//! Browser entry point: mounts the app into the page's `<body>`.

use leptos::prelude::*;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(|| view! { <frontend::app::App /> });
}
