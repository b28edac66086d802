//! The swipeset web app: pages, components and the server functions they call. The same
//! code renders on the server (feature `ssr`) and hydrates in the browser (feature
//! `hydrate`); everything server-only sits behind `#[cfg(feature = "ssr")]`.

#![recursion_limit = "256"]

pub mod api;
pub mod browser;
pub mod bundle;
pub mod charts;
pub mod components;
pub mod deck;
pub mod page_url;
pub mod pages;

use leptos::prelude::*;
use leptos_router::StaticSegment;
use leptos_router::components::{Route, Router, Routes};

/// The HTML document around the app, rendered on the server only. The rating page is
/// rendered by `RaterApp` and loads the rater bundle; every other page by `App` with the
/// full bundle (see `bundle`).
pub fn shell(_options: LeptosOptions) -> impl IntoView {
    let bundle = bundle::for_this_request();
    let body = match bundle {
        bundle::Bundle::Rater => view! { <RaterApp /> }.into_any(),
        bundle::Bundle::Full => view! { <App /> }.into_any(),
    };
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
                <bundle::BundleScripts bundle />
                <Head bundle />
            </head>
            <body>{body}</body>
        </html>
    }
}

/// The `<head>` entries every page shares, written by the server: no page sets its own,
/// so neither bundle carries leptos_meta. The style sheet is the bundle's, versioned.
#[component]
fn Head(bundle: bundle::Bundle) -> impl IntoView {
    let css = use_context::<bundle::BundleVersions>()
        .unwrap_or_default()
        .url(&bundle.css_file());
    view! {
        <link rel="stylesheet" href=css />
        <meta name="theme-color" content="#14161f" />
        <meta name="description" content="Rate LLM responses with a swipe and build a KTO preference dataset." />
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <link rel="manifest" href="/manifest.webmanifest" />
        <link rel="apple-touch-icon" href="/apple-touch-icon.png" />
        <meta name="mobile-web-app-capable" content="yes" />
        <meta name="apple-mobile-web-app-status-bar-style" content="black-translucent" />
        <title>"swipeset"</title>
    }
}

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Routes fallback=pages::not_found::NotFound>
                <Route path=StaticSegment("") view=pages::rate::RoutedRatePage />
                <Route path=StaticSegment("leaderboard") view=pages::leaderboard::LeaderboardPage />
                <Route path=(StaticSegment("leaderboard"), StaticSegment("model")) view=pages::model::ModelPage />
                <Route path=StaticSegment("export") view=pages::export::ExportPage />
                <Route path=StaticSegment("login") view=pages::account::LoginPage />
                <Route path=StaticSegment("signup") view=pages::account::SignupPage />
                <Route path=StaticSegment("profile") view=pages::account::ProfilePage />
                <Route path=(StaticSegment("admin"), StaticSegment("users")) view=pages::users::UsersPage />
                <Route path=(StaticSegment("admin"), StaticSegment("campaigns")) view=pages::campaigns::CampaignsPage />
                <Route path=(StaticSegment("admin"), StaticSegment("campaign")) view=pages::campaigns::CampaignPage />
                <Route path=(StaticSegment("admin"), StaticSegment("raters")) view=pages::raters::RatersPage />
                <Route path=(StaticSegment("admin"), StaticSegment("audit")) view=pages::raters::AuditPage />
                <Route path=(StaticSegment("admin"), StaticSegment("flags")) view=pages::flags::FlagsPage />
                <Route path=StaticSegment("flag") view=pages::flag::FlagPage />
            </Routes>
        </Router>
    }
}

/// The rating page alone, without the router: what the server renders for `/` and the
/// rater bundle hydrates (see `bundle`). Its links are plain links: the next page comes
/// from the server, with the full bundle.
#[component]
pub fn RaterApp() -> impl IntoView {
    let campaign = page_url::query_param("campaign");
    view! { <pages::rate::RatePage campaign=Signal::stored(campaign) /> }
}
