//! Leaving the page for the IdP: a top-level navigation or a top-level form POST (never an
//! iframe or a popup).

use wasm_bindgen::JsCast as _;

use crate::error::Error;

/// A top-level form POST (no iframe, no popup): a hidden form with these fields, submitted.
pub fn post_form(action: &str, fields: &[(&'static str, String)]) -> Result<(), Error> {
    let browser = |_| Error::Browser("the browser refused to send the logout".into());
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or_else(|| Error::Browser("no document".into()))?;
    let form: web_sys::HtmlFormElement = document
        .create_element("form")
        .map_err(browser)?
        .unchecked_into();
    form.set_method("post");
    form.set_action(action);
    form.set_hidden(true);
    for (name, value) in fields {
        let input: web_sys::HtmlInputElement = document
            .create_element("input")
            .map_err(browser)?
            .unchecked_into();
        input.set_type("hidden");
        input.set_name(name);
        input.set_value(value);
        form.append_child(&input).map_err(browser)?;
    }
    document
        .body()
        .ok_or_else(|| Error::Browser("no body".into()))?
        .append_child(&form)
        .map_err(browser)?;
    form.submit().map_err(browser)
}

/// A top-level navigation (no iframe, no popup).
pub fn navigate(url: &str) -> Result<(), Error> {
    web_sys::window()
        .ok_or_else(|| Error::Browser("no window".into()))?
        .location()
        .assign(url)
        .map_err(|_| Error::Browser("the browser refused to leave the page".into()))
}
