//! Adaptive overlap: collect votes on a response until its label is settled, rather than
//! always `overlap` of them.
//!
//! **The rule.** A response is settled once one side leads by [`LEAD`] votes: two agreeing
//! votes settle it at once; a 1–1 split needs a third and, if that one splits it 2–1, a
//! fourth, and so on, up to the campaign's `overlap`, which becomes the most a contested
//! response gets. It is the sequential test that stops as soon as another vote could no
//! longer turn a majority around without a tie first, and needs no estimate of raters'
//! accuracy, so it behaves the same on the first day of a campaign as on the last.
//!
//! **How dealing stops.** `generation.settled` is set in the same write as the rating that
//! settles it (and recomputed by undoing, excluding, hiding or switching the setting). The
//! dealing index leads with it after the campaign, so the walk for the next card skips
//! settled responses by range, never row by row, however many there are. Raters who held a
//! settled response's card when it settled may still rate it (their slot was theirs).
//!
//! `cargo test -p swipeset-core --lib adaptive -- --nocapture` prints how many ratings a
//! simulated crowd needs with and without it (docs/BENCHMARKS.md).

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::CoreResult;
use crate::db::entities::{campaign, generation};

/// Votes one side must lead by for a response to be settled.
pub const LEAD: u64 = 2;

/// Whether `up` 👍 and `down` 👎 settle a response.
pub fn settled(up: u64, down: u64) -> bool {
    up.abs_diff(down) >= LEAD
}

/// `settled` as the database computes it from a generation's counters.
fn settled_expr() -> sea_orm::sea_query::SimpleExpr {
    Expr::cust("ABS(\"up_count\" - \"down_count\") >= 2")
}

/// Recomputes `settled` for `generation_id` after its votes changed, in a campaign with
/// adaptive overlap (a no-op otherwise: there it stays `false`).
pub(crate) async fn settle(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    generation_id: i32,
) -> CoreResult<()> {
    if !campaign.adaptive_overlap {
        return Ok(());
    }
    generation::Entity::update_many()
        .col_expr(generation::Column::Settled, settled_expr())
        .filter(generation::Column::Id.eq(generation_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Recomputes `settled` for every response of `campaign` with adaptive overlap (a no-op
/// otherwise: there it stays `false`), after votes moved on many responses at once (an
/// exclusion, a repair of the counters) or the setting was switched on. Only rows that
/// change are written.
pub(crate) async fn settle_all(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
) -> CoreResult<()> {
    if !campaign.adaptive_overlap {
        return Ok(());
    }
    set_all(db, campaign, settled_expr()).await
}

/// Deals every response of `campaign` up to the overlap again: adaptive overlap was
/// switched off.
pub(crate) async fn unsettle_all(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
) -> CoreResult<()> {
    set_all(db, campaign, Expr::value(false)).await
}

/// Sets `settled` to `want` on the campaign's responses where it differs.
async fn set_all(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    want: sea_orm::sea_query::SimpleExpr,
) -> CoreResult<()> {
    generation::Entity::update_many()
        .col_expr(generation::Column::Settled, want.clone())
        .filter(generation::Column::CampaignId.eq(campaign.id))
        .filter(Expr::col(generation::Column::Settled).ne(want))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::weighted::crowd::Draw;

    #[test]
    fn two_agreeing_votes_or_a_lead_of_two_settle() {
        assert!(!settled(0, 0));
        assert!(!settled(1, 0));
        assert!(settled(2, 0));
        assert!(settled(0, 2));
        assert!(!settled(1, 1));
        assert!(!settled(2, 1));
        assert!(settled(3, 1));
    }

    /// What a way of collecting votes cost and gave, on one simulated crowd.
    #[derive(Debug, Default, Clone, PartialEq, Eq)]
    struct Collected {
        ratings: u64,
        /// 👍 votes among them: what the leaderboard's rate is made of.
        up_votes: u64,
        /// Each response's majority label (`None` for a tie or fewer than two votes).
        labels: Vec<Option<bool>>,
        wrong: u64,
    }

    impl Collected {
        fn decided(&self) -> usize {
            self.labels.iter().flatten().count()
        }
    }

    /// The votes each response would get, in the order raters would come, from distinct
    /// raters of a crowd (careful raters of varying accuracy, random and always-👍
    /// clickers, as `export::weighted::crowd`), with its truth: drawn once, so every way of
    /// collecting reads the same votes and differs only in where it stops.
    fn crowd_votes(responses: usize, seed: u64, most: usize) -> Vec<(bool, Vec<bool>)> {
        let mut draw = Draw::new(seed);
        let raters: Vec<(f64, f64)> = (0..30)
            .map(|_| (0.75 + 0.2 * draw.unit(), 0.6 + 0.3 * draw.unit()))
            .chain(std::iter::repeat_n((0.5, 0.5), 10))
            .chain(std::iter::repeat_n((1.0, 0.0), 5))
            .collect();
        (0..responses)
            .map(|_| {
                let truth = draw.unit() < 0.75;
                let mut used: Vec<usize> = Vec::new();
                while used.len() < most {
                    let j = draw.below(raters.len());
                    if !used.contains(&j) {
                        used.push(j);
                    }
                }
                let votes = used
                    .into_iter()
                    .map(|j| {
                        let (sensitivity, specificity) = raters[j];
                        if truth {
                            draw.unit() < sensitivity
                        } else {
                            draw.unit() >= specificity
                        }
                    })
                    .collect();
                (truth, votes)
            })
            .collect()
    }

    /// Takes each response's votes until `stop(up, down)`.
    fn collect(crowd: &[(bool, Vec<bool>)], stop: impl Fn(u64, u64) -> bool) -> Collected {
        let mut out = Collected::default();
        for (truth, votes) in crowd {
            let (mut up, mut down) = (0u64, 0u64);
            for &vote in votes {
                if stop(up, down) {
                    break;
                }
                if vote {
                    up += 1;
                } else {
                    down += 1;
                }
            }
            out.ratings += up + down;
            out.up_votes += up;
            let label = (up + down >= 2 && up != down).then_some(up > down);
            if label.is_some_and(|l| l != *truth) {
                out.wrong += 1;
            }
            out.labels.push(label);
        }
        out
    }

    #[test]
    fn adaptive_overlap_needs_fewer_ratings_for_as_many_labels() {
        let responses = 3_000;
        for seed in [17, 18, 19] {
            let crowd = crowd_votes(responses, seed, 5);
            let fixed3 = collect(&crowd, |u, d| u + d >= 3);
            let fixed5 = collect(&crowd, |u, d| u + d >= 5);
            let adaptive3 = collect(&crowd, |u, d| settled(u, d) || u + d >= 3);
            let adaptive5 = collect(&crowd, |u, d| settled(u, d) || u + d >= 5);
            println!(
                "seed {seed}, {responses} responses: ratings / labels / wrong labels / 👍 share of votes"
            );
            for (name, c) in [
                ("fixed 3", &fixed3),
                ("adaptive, at most 3", &adaptive3),
                ("fixed 5", &fixed5),
                ("adaptive, at most 5", &adaptive5),
            ] {
                println!(
                    "  {name:<20} {:>6} / {:>5} / {:>4} / {:.3}",
                    c.ratings,
                    c.decided(),
                    c.wrong,
                    c.up_votes as f64 / c.ratings as f64
                );
            }
            // Against overlap 3: the very same labels (a 2–0 start is that label either
            // way, a 1–1 start waits for the third vote either way), for a fifth fewer
            // ratings.
            assert_eq!(adaptive3.labels, fixed3.labels);
            assert!(adaptive3.ratings * 100 < fixed3.ratings * 85, "{seed}");
            // At most 5: fewer ratings than a fixed 3, and fewer wrong labels.
            assert!(adaptive5.ratings < fixed3.ratings, "{seed}");
            assert!(adaptive5.wrong < fixed3.wrong, "{seed}");
            assert!(adaptive5.ratings * 100 < fixed5.ratings * 70, "{seed}");
        }
    }

    #[tokio::test]
    async fn a_settled_response_is_dealt_no_more_and_a_split_one_gets_more() {
        use crate::Label;
        use crate::accounts::guests;
        use crate::campaign::{self, NewCampaign};
        use crate::rating::deal::deal;
        use crate::rating::rate::{self, NewRating};
        use crate::testing::{fresh_store, response_ids, small_campaign};
        use chrono::Utc;

        let store = fresh_store().await;
        let db = store.db().clone();
        let made = small_campaign(&db, 1, 2).await; // 2 responses
        let adaptive = campaign::update(
            &db,
            &made.slug,
            NewCampaign {
                overlap: 4,
                adaptive_overlap: true,
                ..NewCampaign::new(made.slug.clone(), "Adaptive")
            },
        )
        .await
        .unwrap();
        let ids = response_ids(&db, adaptive.id).await;
        let (agreed, split) = (ids[0], ids[1]);
        let mut raters = Vec::new();
        for name in ["a", "b", "c", "d", "e"] {
            raters.push(guests::browser_annotator(&db, name).await.unwrap().id);
        }
        // Two agreeing votes on one, a split on the other.
        for (rater, response, label) in [
            (raters[0], agreed, Label::Up),
            (raters[1], agreed, Label::Up),
            (raters[0], split, Label::Up),
            (raters[1], split, Label::Down),
        ] {
            let reply = rate::rate(&store, rater, NewRating::new(response, label))
                .await
                .unwrap();
            assert_eq!(reply.status, swipeset_wire::RateStatus::Recorded);
        }
        let dealt = deal(&store, &adaptive, raters[2], 5, &[], Utc::now())
            .await
            .unwrap();
        let dealt: Vec<i32> = dealt.iter().map(|c| c.response_id).collect();
        assert_eq!(dealt, vec![split], "the settled response is not dealt");
        // A rating sent for the settled one without a lease is not needed.
        let late = rate::rate(&store, raters[3], NewRating::new(agreed, Label::Down))
            .await
            .unwrap();
        assert_eq!(late.status, swipeset_wire::RateStatus::NotNeeded);
        let progress = crate::board::progress::progress(&db, &adaptive)
            .await
            .unwrap();
        assert_eq!((progress.completed, progress.target), (1, 8));
        // Undoing one of the two agreeing votes unsettles it.
        rate::undo(&store, raters[1], agreed).await.unwrap();
        let dealt = deal(&store, &adaptive, raters[4], 5, &[], Utc::now())
            .await
            .unwrap();
        assert!(dealt.iter().any(|c| c.response_id == agreed), "{dealt:?}");
        // Switching adaptive overlap off deals every response up to the overlap again.
        rate::rate(&store, raters[1], NewRating::new(agreed, Label::Up))
            .await
            .unwrap();
        let fixed = campaign::update(
            &db,
            &made.slug,
            NewCampaign {
                overlap: 4,
                adaptive_overlap: false,
                ..NewCampaign::new(made.slug.clone(), "Fixed")
            },
        )
        .await
        .unwrap();
        let dealt = deal(&store, &fixed, raters[3], 5, &[], Utc::now())
            .await
            .unwrap();
        assert!(dealt.iter().any(|c| c.response_id == agreed), "{dealt:?}");
        assert!(crate::testing::recount(&db).await.unwrap().is_clean());
    }
}
