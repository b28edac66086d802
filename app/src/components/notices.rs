//! What the rating screen shows instead of a card: no campaign, nothing left, an error;
//! and what admin pages show above everything: what is wrong with the instance itself.

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
        let next = crate::page_url::path_and_query();
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

/// The server's warnings about the instance (a Space whose ratings a restart would wipe),
/// above every admin page. The server sends them to admins only; for anyone else this
/// renders nothing.
#[component]
pub fn InstanceNotices() -> impl IntoView {
    let me = Resource::new(|| (), |_| crate::api::me());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let notices = me.await.map(|m| m.notices).unwrap_or_default();
                // The headline (up to the first colon) in bold, the why and the fix after it.
                notices
                    .into_iter()
                    .map(|notice| {
                        let (head, rest) = match notice.split_once(": ") {
                            Some((head, rest)) => (format!("{head}:"), format!(" {rest}")),
                            None => (notice, String::new()),
                        };
                        view! { <p class="instance-notice" role="alert"><strong>{head}</strong>{rest}</p> }
                    })
                    .collect_view()
            })}
        </Transition>
    }
}
