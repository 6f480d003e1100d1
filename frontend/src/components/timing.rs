//! Timers for views: a "now" that ticks while the view lives, and a one-shot delay.

use std::{cell::Cell, rc::Rc};

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use crate::auth::clock::{BrowserClock, Clock};

/// Wall-clock milliseconds, updated every `every_ms` until the owning view is dropped.
pub fn ticking_now(every_ms: f64) -> ReadSignal<f64> {
    let clock = BrowserClock;
    let (now, set_now) = signal(clock.now_ms());
    let alive = Rc::new(Cell::new(true));
    {
        let alive = SendWrapper::new(alive.clone());
        on_cleanup(move || alive.set(false));
    }
    wasm_bindgen_futures::spawn_local(async move {
        loop {
            clock.sleep(every_ms).await;
            if !alive.get() {
                return;
            }
            set_now.set(clock.now_ms());
        }
    });
    now
}

/// Runs `then` after `ms` milliseconds (on the browser's event loop).
pub fn after(ms: f64, then: impl FnOnce() + 'static) {
    let wake_up = BrowserClock.sleep(ms);
    wasm_bindgen_futures::spawn_local(async move {
        wake_up.await;
        then();
    });
}

/// `HH:MM:SS` of a wall-clock time in milliseconds, in the browser's time zone.
pub fn clock_time(at_ms: f64) -> String {
    js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at_ms))
        .to_locale_time_string("en-GB")
        .as_string()
        .unwrap_or_default()
}
