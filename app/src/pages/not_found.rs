use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    crate::browser::mark_hydrated();
    view! {
        <main class="screen">
            <section class="notice">
                <h2>"Page not found"</h2>
                <p><a href="/">"Back to rating"</a></p>
            </section>
        </main>
    }
}
