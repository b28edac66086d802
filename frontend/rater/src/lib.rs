//! The browser entry point of the rating page (`/`): hydrates `swipeset_app::RaterApp`, the
//! rating route alone. Link-time optimisation then leaves out every other page, so this
//! bundle is what a rater's phone downloads; the other pages load the full bundle
//! (`swipeset-frontend`).

// The app's deeply nested view types need more than the default 128 (release builds).
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(swipeset_app::RaterApp);
}
