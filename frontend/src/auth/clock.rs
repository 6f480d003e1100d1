//! Time as the session sees it: "now" and "wake me later", behind a trait so tests can drive it.

use std::{future::Future, pin::Pin};

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// A future the browser's single thread polls (nothing here is `Send`).
pub type LocalFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Wall-clock milliseconds and sleeping; [`BrowserClock`] in the app, a fake one in tests.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> f64;
    /// Resolves after `ms` milliseconds (at once for zero or less).
    fn sleep(&self, ms: f64) -> LocalFuture<'static, ()>;
}

/// `Date.now()` and `setTimeout`.
#[derive(Debug, Clone, Copy, Default)]
pub struct BrowserClock;

impl Clock for BrowserClock {
    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn sleep(&self, ms: f64) -> LocalFuture<'static, ()> {
        // setTimeout takes a 32-bit delay; longer waits are clamped (the timer re-checks anyway).
        let delay = ms.clamp(0.0, f64::from(i32::MAX)) as i32;
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            let scheduled = web_sys::window().map(|window| {
                window.set_timeout_with_callback_and_timeout_and_arguments_0(
                    resolve.unchecked_ref(),
                    delay,
                )
            });
            if !matches!(scheduled, Some(Ok(_))) {
                let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
            }
        });
        Box::pin(async move {
            let _ = JsFuture::from(promise).await;
        })
    }
}
