//! Sixty-four annotators rate a campaign to completion at once, against real SQLite and
//! real PostgreSQL: afterwards every response has exactly its overlap of ratings, nobody
//! rated anything twice, and no slot is left held.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::backends;
use sea_orm::EntityTrait;
use swipeset_core::Label;
use swipeset_core::accounts::guests;
use swipeset_core::campaign::NewCampaign;
use swipeset_core::campaign::models;
use swipeset_core::campaign::prompts;
use swipeset_core::campaign::responses::{self, NewResponse};
use swipeset_core::db::entities::{generation, lease, rating};
use swipeset_core::rating::deal;
use swipeset_core::rating::rate::{self, NewRating};
use swipeset_core::rating::skip;

const ANNOTATORS: usize = 64;
const PROMPTS: usize = 20;
const MODELS: usize = 3;
const OVERLAP: i32 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_annotators_rate_a_campaign_to_completion() {
    for backend in backends() {
        let test_db = backend.fresh().await;
        let db = test_db.db.clone();
        let store = swipeset_core::Store::new(db.clone());
        let campaign = swipeset_core::campaign::create(
            &db,
            NewCampaign {
                overlap: OVERLAP,
                ..NewCampaign::new("crowd", "Crowd")
            },
        )
        .await
        .unwrap();
        let mut rows = Vec::new();
        let mut model_ids = Vec::new();
        for m in 0..MODELS {
            model_ids.push(
                models::ensure(&db, &format!("M{m}"), &format!("crowd/m{m}"))
                    .await
                    .unwrap()
                    .id,
            );
        }
        for p in 0..PROMPTS {
            let prompt = prompts::add(&db, campaign.id, &format!("prompt {p}"), None, None)
                .await
                .unwrap();
            for &model_id in &model_ids {
                rows.push(NewResponse::for_prompt(
                    &prompt,
                    model_id,
                    format!("answer {p}/{model_id}"),
                ));
            }
        }
        responses::add_many(&db, campaign.id, rows).await.unwrap();
        let total = (PROMPTS * MODELS) as u64;

        let mut annotators_running = tokio::task::JoinSet::new();
        for a in 0..ANNOTATORS {
            let db = db.clone();
            let store = store.clone();
            let campaign = campaign.clone();
            annotators_running.spawn(async move {
                let user = guests::browser_annotator(&db, &format!("annotator-{a}"))
                    .await
                    .unwrap();
                let mut idle_rounds = 0;
                loop {
                    let dealt = deal::deal(&store, &campaign, user.id, 2, &[], chrono::Utc::now())
                        .await
                        .unwrap();
                    if dealt.is_empty() {
                        let progress = swipeset_core::board::progress::progress(&db, &campaign)
                            .await
                            .unwrap();
                        if progress.completed == total {
                            return;
                        }
                        // Others hold the open slots; wait for them to rate or skip.
                        idle_rounds += 1;
                        assert!(idle_rounds < 4000, "annotator {a} starved: {progress:?}");
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        continue;
                    }
                    for (i, card) in dealt.into_iter().enumerate() {
                        // Some annotators pass on some cards; the slot goes to someone else.
                        if (a + i + card.response_id as usize).is_multiple_of(11) {
                            skip::skip(&store, user.id, card.response_id).await.unwrap();
                            continue;
                        }
                        let label = if (a + card.response_id as usize).is_multiple_of(3) {
                            Label::Down
                        } else {
                            Label::Up
                        };
                        let new = NewRating {
                            client_id: Some(format!("{a}-{}", card.response_id)),
                            ..NewRating::new(card.response_id, label)
                        };
                        rate::rate(&store, user.id, new).await.unwrap();
                    }
                }
            });
        }
        while let Some(done) = annotators_running.join_next().await {
            done.unwrap();
        }

        let all_ratings = rating::Entity::find().all(&db).await.unwrap();
        let pairs: HashSet<(i32, i32)> = all_ratings
            .iter()
            .map(|r| (r.user_id, r.generation_id))
            .collect();
        assert_eq!(
            pairs.len(),
            all_ratings.len(),
            "{backend:?}: someone rated a response twice"
        );
        for g in generation::Entity::find().all(&db).await.unwrap() {
            let stored = all_ratings
                .iter()
                .filter(|r| r.generation_id == g.id)
                .count() as i32;
            assert_eq!(
                stored, OVERLAP,
                "{backend:?}: generation {} has {stored} ratings",
                g.id
            );
            assert_eq!(
                g.rating_count, OVERLAP,
                "{backend:?}: counter of generation {}",
                g.id
            );
            assert_eq!(g.up_count + g.down_count, OVERLAP);
            assert_eq!(
                g.claimed_count, OVERLAP,
                "{backend:?}: slots of generation {}",
                g.id
            );
        }
        assert!(
            lease::Entity::find().all(&db).await.unwrap().is_empty(),
            "{backend:?}: leases left"
        );
        // The leaderboard's aggregates, moved by 64 annotators at once, equal a recount.
        let drift = swipeset_core::board::aggregates::rebuild(&db, false)
            .await
            .unwrap();
        assert!(
            drift.is_clean(),
            "{backend:?}: aggregates drifted: {drift:?}"
        );
        assert_eq!(drift.ratings, all_ratings.len());
    }
}
