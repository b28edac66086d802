//! The browser entry point: hydrates the server-rendered page with the swipeset app.

// The app's deeply nested view types need more than the default 128 (release builds).
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(swipeset_app::App);
}
