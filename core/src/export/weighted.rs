//! The `weighted` label policy: how much each rater's votes can be trusted, estimated from
//! the votes themselves, and for each response the probability that its true label is 👍.
//!
//! The model is the binary Dawid–Skene model ("two-coin"): each response has a hidden true
//! label, 👍 with prior probability `prior_up`; each rater has a *sensitivity* (the chance
//! they vote 👍 on a response that is truly 👍) and a *specificity* (the chance they vote 👎
//! on one that is truly 👎), and votes independently given the truth. It is fitted by
//! expectation–maximisation: starting from each response's share of 👍 votes, the raters'
//! rates are estimated from the current posteriors, then the posteriors from the rates, until
//! nothing moves. Each rate starts from two pseudo-votes of agreement and one of disagreement
//! (a Beta(2, 1) prior), so a rater with a handful of votes is not taken as perfect.
//!
//! A careful rater's vote moves a response's log-odds by `ln(sens / (1 - spec))` (👍) or
//! `ln((1 - sens) / spec)` (👎). A random clicker's rates come out near one half and an
//! always-👍 rater's sensitivity near one with specificity near zero: either way their votes
//! weigh almost nothing, which is the point (`crowd` below measures it).
//!
//! Memory: the campaign's votes are read once, a page at a time, into 12 bytes each (two
//! dense indices and the vote; 12 MB for a million ratings) beside a map from response and
//! rater ids to those indices, and the fit then runs in memory, where a round is two passes
//! over the votes. What stays for the rows is 12 bytes per rated response.

use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
};
use serde::Serialize;

use crate::CoreResult;
use crate::db::entities::{generation, gold_rating, rating};

pub mod crowd;

/// Ratings read per page while loading the votes.
const PAGE: u64 = 16_384;
/// The most EM rounds; the fit usually settles in a few dozen.
const MAX_ROUNDS: u32 = 500;
/// The fit has settled when no posterior moves by more than this in a round.
const SETTLED: f64 = 1e-6;
/// Pseudo-votes each rater's rates start from: agreeing, disagreeing.
const PRIOR_AGREE: f64 = 2.0;
const PRIOR_DISAGREE: f64 = 1.0;

/// One vote: the response and the rater as dense indices, and whether it was 👍.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vote {
    pub response: u32,
    pub rater: u32,
    pub up: bool,
}

/// One rater's fitted rates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Reliability {
    /// P(👍 vote | truly 👍).
    pub sensitivity: f64,
    /// P(👎 vote | truly 👎).
    pub specificity: f64,
}

impl Reliability {
    /// How far a vote moves a response's log-odds of 👍.
    fn weight(self, up: bool) -> f64 {
        if up {
            (self.sensitivity / (1.0 - self.specificity)).ln()
        } else {
            ((1.0 - self.sensitivity) / self.specificity).ln()
        }
    }

    /// Whether the rater's votes carry information at all: sensitivity + specificity = 1 is
    /// a rater whose vote does not depend on the response (random, or always the same).
    pub fn informative(self) -> bool {
        self.sensitivity + self.specificity > 1.2
    }
}

/// The fitted model over dense indices.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    pub prior_up: f64,
    pub raters: Vec<Reliability>,
    /// Per response: P(truly 👍 | votes).
    pub p_up: Vec<f64>,
    /// Per response: the log-odds the votes alone contribute (the evidence, without the
    /// prior). A label needs evidence on its side, never the prior alone.
    pub evidence: Vec<f64>,
    pub rounds: u32,
}

/// A vote on a gold card: the rater's vote and the label an admin expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoldVote {
    pub rater: u32,
    pub up: bool,
    pub truth: bool,
}

/// Fits the model to `votes` over `responses` responses and `raters` raters.
pub fn fit_votes(votes: &[Vote], responses: usize, raters: usize) -> Fitted {
    fit_with_gold(votes, &[], responses, raters)
}

/// As [`fit_votes`], with votes on gold cards: each counts in its rater's rates with its
/// known truth in every round, so raters are measured against what is known, not only
/// against each other.
pub fn fit_with_gold(votes: &[Vote], gold: &[GoldVote], responses: usize, raters: usize) -> Fitted {
    // Start from each response's share of 👍 votes (a soft majority).
    let mut ups = vec![0.0f64; responses];
    let mut counts = vec![0.0f64; responses];
    for v in votes {
        counts[v.response as usize] += 1.0;
        if v.up {
            ups[v.response as usize] += 1.0;
        }
    }
    let mut p_up: Vec<f64> = ups
        .iter()
        .zip(&counts)
        .map(|(u, n)| if *n > 0.0 { u / n } else { 0.5 })
        .collect();
    let mut evidence = vec![0.0f64; responses];
    let mut reliabilities = vec![
        Reliability {
            sensitivity: 0.5,
            specificity: 0.5,
        };
        raters
    ];
    let rated = counts.iter().filter(|n| **n > 0.0).count() as f64;
    let mut prior_up = 0.5;
    let mut rounds = 0;
    while rounds < MAX_ROUNDS {
        rounds += 1;
        // M: the prior and each rater's rates from the current posteriors.
        let truly_up: f64 = p_up
            .iter()
            .zip(&counts)
            .filter(|(_, n)| **n > 0.0)
            .map(|(p, _)| p)
            .sum();
        prior_up = (truly_up + 1.0) / (rated + 2.0);
        let mut up_agree = vec![0.0f64; raters];
        let mut up_total = vec![0.0f64; raters];
        let mut down_agree = vec![0.0f64; raters];
        let mut down_total = vec![0.0f64; raters];
        let known = gold
            .iter()
            .map(|g| (g.rater, g.up, if g.truth { 1.0 } else { 0.0 }));
        let estimated = votes
            .iter()
            .map(|v| (v.rater, v.up, p_up[v.response as usize]));
        for (rater, up, t) in known.chain(estimated) {
            let j = rater as usize;
            up_total[j] += t;
            down_total[j] += 1.0 - t;
            if up {
                up_agree[j] += t;
            } else {
                down_agree[j] += 1.0 - t;
            }
        }
        let prior_total = PRIOR_AGREE + PRIOR_DISAGREE;
        for (j, r) in reliabilities.iter_mut().enumerate() {
            r.sensitivity = (up_agree[j] + PRIOR_AGREE) / (up_total[j] + prior_total);
            r.specificity = (down_agree[j] + PRIOR_AGREE) / (down_total[j] + prior_total);
        }
        // E: each response's posterior from the rates.
        evidence.iter_mut().for_each(|e| *e = 0.0);
        for v in votes {
            evidence[v.response as usize] += reliabilities[v.rater as usize].weight(v.up);
        }
        let prior_log_odds = (prior_up / (1.0 - prior_up)).ln();
        let mut moved = 0.0f64;
        for ((p, e), n) in p_up.iter_mut().zip(&evidence).zip(&counts) {
            let next = if *n > 0.0 {
                sigmoid(prior_log_odds + e)
            } else {
                prior_up
            };
            moved = moved.max((next - *p).abs());
            *p = next;
        }
        if moved < SETTLED {
            break;
        }
    }
    Fitted {
        prior_up,
        raters: reliabilities,
        p_up,
        evidence,
        rounds,
    }
}

/// The least log-odds the votes alone must give a label: they must make it at least one and
/// a half times as likely as the other. Weaker evidence is what careless raters leave
/// behind (their fitted rates are only near one half), and with a prior past the threshold
/// it would label responses that no careful rater saw. (Measured on `crowd`: with no floor,
/// 57 of 99 responses rated by clickers alone got a label at a threshold of 0.7; with this
/// one, 2; docs/BENCHMARKS.md.)
pub const MIN_EVIDENCE: f64 = 0.405_465_108_108_164_4; // ln 1.5

/// The side a response's votes alone favour (`Some(true)` for 👍), if they favour one by at
/// least `floor` (`MIN_EVIDENCE` in exports; `crowd` measures others).
pub fn side(evidence: f64, floor: f64) -> Option<bool> {
    (evidence != 0.0 && evidence.abs() >= floor).then_some(evidence > 0.0)
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A campaign's fit, as an export uses it: the posterior of each rated response by id, and
/// what the dataset card says about the model.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Posteriors {
    /// Sorted by response id: (id, P(👍), the side the votes alone favour).
    #[serde(skip)]
    by_response: Vec<(i32, f32, Option<bool>)>,
    pub summary: FitSummary,
}

/// What the dataset card reports about a fit.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FitSummary {
    pub votes: u64,
    pub raters: u64,
    pub prior_up: f64,
    pub rounds: u32,
    /// Raters whose votes carry information (sensitivity + specificity above 1.2).
    pub informative_raters: u64,
    pub median_sensitivity: f64,
    pub median_specificity: f64,
    /// Votes on gold cards the rates were anchored by.
    pub gold_votes: u64,
}

impl Posteriors {
    /// P(👍) of a response and the side its votes alone favour (`Some(true)` for 👍), or
    /// `None` for a response without votes.
    pub fn of(&self, response_id: i32) -> Option<(f64, Option<bool>)> {
        let at = self
            .by_response
            .binary_search_by_key(&response_id, |(id, _, _)| *id)
            .ok()?;
        let (_, p, side) = self.by_response[at];
        Some((f64::from(p), side))
    }
}

#[derive(Debug, FromQueryResult)]
struct VoteRow {
    id: i32,
    generation_id: i32,
    user_id: i32,
    label: bool,
}

/// Reads `campaign_id`'s votes (inside the export's snapshot) and fits the model.
pub async fn fit(db: &impl ConnectionTrait, campaign_id: i32) -> CoreResult<Posteriors> {
    let mut responses: HashMap<i32, u32> = HashMap::new();
    let mut raters: HashMap<i32, u32> = HashMap::new();
    let mut votes = Vec::new();
    let mut after = 0;
    loop {
        let page = rating::Entity::find()
            .select_only()
            .columns([
                rating::Column::Id,
                rating::Column::GenerationId,
                rating::Column::UserId,
                rating::Column::Label,
            ])
            .join(JoinType::InnerJoin, rating::Relation::Generation.def())
            // As the export's scans: walk the ratings' primary key, never sort the campaign.
            .filter(
                Expr::col((generation::Entity, generation::Column::CampaignId))
                    .add(0)
                    .eq(campaign_id),
            )
            .filter(rating::Column::Id.gt(after))
            .order_by_asc(rating::Column::Id)
            .limit(PAGE)
            .into_model::<VoteRow>()
            .all(db)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for row in page {
            let next = responses.len() as u32;
            let response = *responses.entry(row.generation_id).or_insert(next);
            let next = raters.len() as u32;
            let rater = *raters.entry(row.user_id).or_insert(next);
            votes.push(Vote {
                response,
                rater,
                up: row.label,
            });
        }
    }
    // Gold votes anchor the raters who made them (a rater seen only on gold still gets
    // rates, though no response needs them).
    let mut gold = Vec::new();
    let gold_rows: Vec<(i32, bool, Option<bool>)> = gold_rating::Entity::find()
        .select_only()
        .column(gold_rating::Column::UserId)
        .column(gold_rating::Column::Label)
        .column(generation::Column::GoldLabel)
        .join(JoinType::InnerJoin, gold_rating::Relation::Generation.def())
        .filter(gold_rating::Column::CampaignId.eq(campaign_id))
        .into_tuple()
        .all(db)
        .await?;
    for (user_id, up, truth) in gold_rows {
        let Some(truth) = truth else { continue };
        let next = raters.len() as u32;
        let rater = *raters.entry(user_id).or_insert(next);
        gold.push(GoldVote { rater, up, truth });
    }
    let fitted = fit_with_gold(&votes, &gold, responses.len(), raters.len());
    let mut by_response: Vec<(i32, f32, Option<bool>)> = responses
        .into_iter()
        .map(|(id, index)| {
            let i = index as usize;
            let side = side(fitted.evidence[i], MIN_EVIDENCE);
            (id, fitted.p_up[i] as f32, side)
        })
        .collect();
    by_response.sort_unstable_by_key(|(id, _, _)| *id);
    Ok(Posteriors {
        by_response,
        summary: FitSummary {
            gold_votes: gold.len() as u64,
            ..summarise(&fitted, votes.len() as u64)
        },
    })
}

fn summarise(fitted: &Fitted, votes: u64) -> FitSummary {
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
    };
    FitSummary {
        votes,
        raters: fitted.raters.len() as u64,
        prior_up: fitted.prior_up,
        rounds: fitted.rounds,
        informative_raters: fitted.raters.iter().filter(|r| r.informative()).count() as u64,
        median_sensitivity: median(fitted.raters.iter().map(|r| r.sensitivity).collect()),
        median_specificity: median(fitted.raters.iter().map(|r| r.specificity).collect()),
        gold_votes: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vote(response: u32, rater: u32, up: bool) -> Vote {
        Vote {
            response,
            rater,
            up,
        }
    }

    #[test]
    fn agreeing_careful_raters_outweigh_a_contrarian() {
        // Raters 0-2 agree with each other on ten responses; rater 3 always says the
        // opposite. On a response where rater 3 is alone against one careful rater, the
        // careful rater wins; majority would call it a tie.
        let mut votes = Vec::new();
        for r in 0..10u32 {
            let truth = r % 2 == 0;
            for j in 0..3 {
                votes.push(vote(r, j, truth));
            }
            votes.push(vote(r, 3, !truth));
        }
        votes.push(vote(10, 0, true));
        votes.push(vote(10, 3, false));
        let fitted = fit_votes(&votes, 11, 4);
        assert!(fitted.p_up[10] > 0.9, "{:?}", fitted.p_up[10]);
        assert!(fitted.raters[3].sensitivity < 0.3 && fitted.raters[3].specificity < 0.3);
        for r in 0..10 {
            assert_eq!(fitted.p_up[r] > 0.5, r % 2 == 0);
        }
    }

    #[test]
    fn a_random_or_always_up_rater_carries_no_weight() {
        let mut votes = Vec::new();
        for r in 0..400u32 {
            let truth = r % 4 != 0;
            votes.push(vote(r, 0, truth));
            votes.push(vote(r, 1, truth));
            // Rater 2 always votes 👍, rater 3 flips a coin whatever the response.
            votes.push(vote(r, 2, true));
            let coin = (u64::from(r).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 63) == 1;
            votes.push(vote(r, 3, coin));
        }
        let fitted = fit_votes(&votes, 400, 4);
        assert!(fitted.raters[0].informative() && fitted.raters[1].informative());
        assert!(!fitted.raters[2].informative(), "{:?}", fitted.raters[2]);
        assert!(!fitted.raters[3].informative(), "{:?}", fitted.raters[3]);
        assert!(fitted.raters[2].weight(true).abs() < 0.3);
        assert!(fitted.raters[3].weight(true).abs() < 0.3);
    }

    #[test]
    fn responses_without_votes_keep_the_prior_and_no_evidence() {
        let fitted = fit_votes(&[vote(0, 0, true), vote(0, 1, true)], 2, 2);
        assert_eq!(fitted.evidence[1], 0.0);
        assert!((fitted.p_up[1] - fitted.prior_up).abs() < 1e-12);
    }

    #[test]
    fn gold_votes_measure_raters_against_known_labels() {
        // Two always-👍 raters and one careful rater on 20 responses, half truly 👎.
        let truth = |r: u32| r.is_multiple_of(2);
        let mut votes = Vec::new();
        for r in 0..20 {
            votes.push(vote(r, 0, truth(r)));
            votes.push(vote(r, 1, true));
            votes.push(vote(r, 2, true));
        }
        let without = fit_votes(&votes, 20, 3);
        // Ten gold cards expecting 👎: the careful rater gets them right, the others wrong.
        let gold: Vec<GoldVote> = (0..10)
            .flat_map(|_| {
                [
                    GoldVote {
                        rater: 0,
                        up: false,
                        truth: false,
                    },
                    GoldVote {
                        rater: 1,
                        up: true,
                        truth: false,
                    },
                    GoldVote {
                        rater: 2,
                        up: true,
                        truth: false,
                    },
                ]
            })
            .collect();
        let with = fit_with_gold(&votes, &gold, 20, 3);
        // Mean P(👍) of the truly 👎 responses.
        let down = |f: &Fitted| {
            (0..20u32)
                .filter(|&r| !truth(r))
                .map(|r| f.p_up[r as usize])
                .sum::<f64>()
                / 10.0
        };
        println!(
            "P(👍) of truly 👎 responses {:.2} -> {:.2}; specificity of an always-👍 rater {:.2} -> {:.2}",
            down(&without),
            down(&with),
            without.raters[1].specificity,
            with.raters[1].specificity
        );
        // Measured against what is known, the always-👍 raters lose their weight and the
        // truly 👎 responses move towards 👎.
        assert!(with.raters[1].specificity < 0.2, "{:?}", with.raters[1]);
        assert!(
            without.raters[1].specificity > 0.5,
            "{:?}",
            without.raters[1]
        );
        assert!(down(&with) < down(&without) - 0.1);
    }
}
