//! What the rating screen shows instead of a card: no campaign, nothing left, an error.

use leptos::prelude::*;

use crate::api::{ApiError, ErrorCode};

#[component]
pub fn NoCampaign() -> impl IntoView {
    view! {
        <section class="notice" role="status">
            <h2>"No campaign yet"</h2>
            <p>
                "An organiser needs to create one. To try swipeset, start it with "
                <code>"swipeset serve --demo"</code> "."
            </p>
        </section>
    }
}

#[component]
pub fn AllRated(title: String, slug: String) -> impl IntoView {
    view! {
        <section class="notice notice-done" role="status">
            <p class="notice-emoji" aria-hidden="true">"🎉"</p>
            <h2>"You rated everything"</h2>
            <p>"Every response in " <strong>{title}</strong> " that needs your rating has it. Thank you!"</p>
            <p><a class="notice-link" href=format!("/leaderboard?campaign={slug}")>"See the leaderboard"</a></p>
        </section>
    }
}

#[component]
pub fn ErrorNotice(error: ApiError) -> impl IntoView {
    let heading = match error.code {
        ErrorCode::Network | ErrorCode::Unavailable => "Can't reach swipeset right now",
        ErrorCode::NotFound => "Not found",
        ErrorCode::BadRequest => "That didn't work",
        ErrorCode::Internal => "Something went wrong",
        ErrorCode::Unauthorized => "Sign in to go on",
        ErrorCode::Forbidden => "Not allowed",
        ErrorCode::Conflict => "That clashes with what is there",
        ErrorCode::TooManyRequests => "Too many tries",
    };
    let sign_in = (error.code == ErrorCode::Unauthorized).then(|| {
        let location = leptos_router::hooks::use_location();
        let next = format!(
            "{}{}",
            location.pathname.get_untracked(),
            location.search.get_untracked()
        );
        let href = format!("/login?next={}", crate::browser::encode_component(&next));
        view! { <p><a class="notice-link" href=href>"Sign in"</a></p> }
    });
    view! {
        <section class="notice notice-error" role="alert">
            <h2>{heading}</h2>
            <p>{error.message}</p>
            {sign_in}
        </section>
    }
}
