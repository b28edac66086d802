//! One line of progress: what you rated, and how far the whole campaign is.

use leptos::prelude::*;

use crate::api::ProgressReply;

#[component]
pub fn ProgressLine(progress: ProgressReply) -> impl IntoView {
    let percent = (progress.totals.ratings.min(progress.totals.target) * 100)
        .checked_div(progress.totals.target)
        .unwrap_or(0);
    view! {
        <div class="progress" data-rated-by-you=progress.rated_by_you>
            <p class="progress-text">
                <span>"You rated " <strong>{progress.rated_by_you}</strong></span>
                <span class="progress-campaign">
                    {progress.totals.ratings} " of " {progress.totals.target} " ratings"
                </span>
            </p>
            <div
                class="progress-bar"
                role="progressbar"
                aria-label="Campaign progress"
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow=percent
            >
                <div class="progress-fill" style=format!("width: {percent}%")></div>
            </div>
        </div>
    }
}
