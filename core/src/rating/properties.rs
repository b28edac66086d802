//! Property tests of the assignment rules: whatever annotators do (take cards, rate,
//! undo, skip) and however time passes, a response never has more ratings than the
//! overlap, nobody is dealt a card they rated or skipped, the counters and the
//! leaderboard's aggregates agree with the rows, and expired leases free their slots.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::Label;
use crate::Store;
use crate::accounts::guests;
use crate::db::entities::{campaign, generation, lease, rating, skip};
use crate::rating::deal;
use crate::rating::leases;
use crate::rating::rate::{self, NewRating};
use crate::testing::{fresh_store, small_campaign};

const USERS: usize = 4;

#[derive(Debug, Clone)]
enum Op {
    Deal { user: usize, want: usize },
    Rate { user: usize, pick: usize, up: bool },
    Undo { user: usize },
    Skip { user: usize, pick: usize },
    Wait { minutes: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..USERS, 1..4usize).prop_map(|(user, want)| Op::Deal { user, want }),
        4 => (0..USERS, 0..4usize, any::<bool>()).prop_map(|(user, pick, up)| Op::Rate { user, pick, up }),
        1 => (0..USERS).prop_map(|user| Op::Undo { user }),
        1 => (0..USERS, 0..4usize).prop_map(|(user, pick)| Op::Skip { user, pick }),
        1 => (0..8i64).prop_map(|minutes| Op::Wait { minutes }),
    ]
}

struct World {
    store: Store,
    db: DatabaseConnection,
    campaign: campaign::Model,
    users: Vec<i32>,
    /// Cards dealt to each user and not yet rated or skipped, as the client would queue them.
    queues: Vec<Vec<i32>>,
    /// Each user's most recent rating, for undo.
    last_rated: Vec<Option<i32>>,
    now: DateTime<Utc>,
}

impl World {
    async fn new() -> Self {
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 3, 2).await; // 6 responses, overlap 2
        let mut users = Vec::new();
        for u in 0..USERS {
            users.push(
                guests::browser_annotator(&db, &format!("user-{u}"))
                    .await
                    .unwrap()
                    .id,
            );
        }
        Self {
            store,
            db,
            campaign,
            users,
            queues: vec![Vec::new(); USERS],
            last_rated: vec![None; USERS],
            now: Utc::now(),
        }
    }

    async fn apply(&mut self, op: &Op) {
        match *op {
            Op::Deal { user, want } => {
                let looked_before = self.store.lease_sweep().last();
                let dealt = deal::deal(
                    &self.store,
                    &self.campaign,
                    self.users[user],
                    want,
                    &self.queues[user],
                    self.now,
                )
                .await
                .unwrap();
                for card in dealt {
                    assert!(
                        !self.touched(user, card.response_id).await,
                        "dealt a card the user rated or skipped"
                    );
                    assert!(
                        !self.queues[user].contains(&card.response_id),
                        "dealt a card already queued"
                    );
                    self.queues[user].push(card.response_id);
                }
                // Dealing looks for lapsed leases at most once a second; when this deal
                // looked, every lease that had expired before it is gone.
                let looked = self.store.lease_sweep().last().expect("dealing looked");
                assert!(self.now - looked < chrono::Duration::seconds(1));
                if looked_before == Some(looked) {
                    return;
                }
                let stale = lease::Entity::find()
                    .filter(lease::Column::ExpiresAt.lt(self.now))
                    .all(&self.db)
                    .await
                    .unwrap();
                assert!(
                    stale.is_empty(),
                    "expired leases survived a deal: {stale:?}"
                );
            }
            Op::Rate { user, pick, up } => {
                if self.queues[user].is_empty() {
                    return;
                }
                let index = pick % self.queues[user].len();
                let id = self.queues[user].remove(index);
                let label = if up { Label::Up } else { Label::Down };
                let outcome = rate::rate(&self.store, self.users[user], NewRating::new(id, label))
                    .await
                    .unwrap();
                if outcome.status == swipeset_wire::RateStatus::Recorded {
                    self.last_rated[user] = Some(id);
                }
            }
            Op::Undo { user } => {
                if let Some(id) = self.last_rated[user].take()
                    && rate::undo(&self.store, self.users[user], id)
                        .await
                        .unwrap()
                        .undone
                {
                    self.queues[user].insert(0, id);
                }
            }
            Op::Skip { user, pick } => {
                if self.queues[user].is_empty() {
                    return;
                }
                let index = pick % self.queues[user].len();
                let id = self.queues[user].remove(index);
                crate::rating::skip::skip(&self.store, self.users[user], id)
                    .await
                    .unwrap();
            }
            Op::Wait { minutes } => {
                self.now += chrono::Duration::minutes(minutes);
                if minutes * 60 > leases::LEASE_DURATION.num_seconds() {
                    // The client's held cards lapsed; it would ask again.
                    for queue in &mut self.queues {
                        queue.clear();
                    }
                }
            }
        }
    }

    async fn touched(&self, user: usize, generation_id: i32) -> bool {
        let user_id = self.users[user];
        let rated = rating::Entity::find()
            .filter(rating::Column::UserId.eq(user_id))
            .filter(rating::Column::GenerationId.eq(generation_id))
            .one(&self.db)
            .await
            .unwrap()
            .is_some();
        let skipped = skip::Entity::find()
            .filter(skip::Column::UserId.eq(user_id))
            .filter(skip::Column::GenerationId.eq(generation_id))
            .one(&self.db)
            .await
            .unwrap()
            .is_some();
        rated || skipped
    }

    async fn check_counters(&self) {
        // The leaderboard's aggregates equal a recount from the ratings.
        let drift = crate::testing::recount(&self.db).await.unwrap();
        assert!(drift.is_clean(), "aggregates drifted: {drift:?}");
        let ratings = rating::Entity::find().all(&self.db).await.unwrap();
        let leases = lease::Entity::find().all(&self.db).await.unwrap();
        let mut per_user_generation = HashMap::new();
        for r in &ratings {
            *per_user_generation
                .entry((r.user_id, r.generation_id))
                .or_insert(0) += 1;
        }
        assert!(
            per_user_generation.values().all(|&n| n == 1),
            "a rating twice by one user"
        );
        for g in generation::Entity::find().all(&self.db).await.unwrap() {
            let stored = ratings.iter().filter(|r| r.generation_id == g.id).count() as i32;
            let ups = ratings
                .iter()
                .filter(|r| r.generation_id == g.id && r.label)
                .count() as i32;
            let held = leases.iter().filter(|l| l.generation_id == g.id).count() as i32;
            assert_eq!(g.rating_count, stored, "rating_count of {}", g.id);
            assert_eq!(g.up_count, ups, "up_count of {}", g.id);
            assert_eq!(g.down_count, stored - ups, "down_count of {}", g.id);
            assert_eq!(g.claimed_count, stored + held, "claimed_count of {}", g.id);
            assert!(
                g.rating_count <= self.campaign.overlap,
                "{} has {} ratings",
                g.id,
                g.rating_count
            );
            assert!(
                g.claimed_count <= self.campaign.overlap,
                "{} has {} slots taken",
                g.id,
                g.claimed_count
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn assignment_invariants_hold(ops in proptest::collection::vec(op(), 1..40)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let mut world = World::new().await;
            for op in &ops {
                world.apply(op).await;
                world.check_counters().await;
            }
        });
    }
}
