//! The swipeset web app: pages, components and the server functions they call. The same
//! code renders on the server (feature `ssr`) and hydrates in the browser (feature
//! `hydrate`); everything server-only sits behind `#[cfg(feature = "ssr")]`.

#![recursion_limit = "256"]

pub mod api;
pub mod browser;
pub mod bundle;
pub mod components;
pub mod deck;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{Link, Meta, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::StaticSegment;
use leptos_router::components::{Route, Router, Routes};

/// The HTML document around the app, rendered on the server only. The rating page is
/// rendered by `RaterApp` and loads the rater bundle; every other page by `App` with the
/// full bundle (see `bundle`).
pub fn shell(_options: LeptosOptions) -> impl IntoView {
    let bundle = bundle::for_this_request();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
                <bundle::BundleScripts bundle />
                <MetaTags />
            </head>
            <body>
                {match bundle {
                    bundle::Bundle::Rater => view! { <RaterApp /> }.into_any(),
                    bundle::Bundle::Full => view! { <App /> }.into_any(),
                }}
            </body>
        </html>
    }
}

/// The `<head>` entries every page shares, the same in both apps below (hydration compares).
#[component]
fn Head() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="swipeset" href="/pkg/swipeset.css" />
        <Title text="swipeset" />
        <Meta name="theme-color" content="#14161f" />
        <Meta name="description" content="Rate LLM responses with a swipe and build a KTO preference dataset." />
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml" />
        <Link rel="manifest" href="/manifest.webmanifest" />
        <Link rel="apple-touch-icon" href="/apple-touch-icon.png" />
        <Meta name="mobile-web-app-capable" content="yes" />
        <Meta name="apple-mobile-web-app-status-bar-style" content="black-translucent" />
    }
}

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Head />
        <Router>
            <Routes fallback=pages::not_found::NotFound>
                <Route path=StaticSegment("") view=pages::rate::RatePage />
                <Route path=StaticSegment("leaderboard") view=pages::leaderboard::LeaderboardPage />
                <Route path=StaticSegment("export") view=pages::export::ExportPage />
                <Route path=StaticSegment("login") view=pages::account::LoginPage />
                <Route path=StaticSegment("signup") view=pages::account::SignupPage />
                <Route path=StaticSegment("profile") view=pages::account::ProfilePage />
                <Route path=(StaticSegment("admin"), StaticSegment("users")) view=pages::users::UsersPage />
                <Route path=(StaticSegment("admin"), StaticSegment("campaigns")) view=pages::campaigns::CampaignsPage />
                <Route path=(StaticSegment("admin"), StaticSegment("campaign")) view=pages::campaigns::CampaignPage />
            </Routes>
        </Router>
    }
}

/// The rating page alone: what the rater bundle hydrates on `/`.
#[component]
pub fn RaterApp() -> impl IntoView {
    view! {
        <Head />
        <Router>
            <Routes fallback=pages::not_found::Elsewhere>
                <Route path=StaticSegment("") view=pages::rate::RatePage />
            </Routes>
        </Router>
    }
}
