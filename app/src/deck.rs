//! The browser's deck: the cards queued for this person and the decisions waiting to be
//! sent. Plain state with no browser or network in it, so its rules are unit-tested:
//! the next card is always already here, a decision is never lost (it stays in the outbox
//! until the server acknowledges it), and undo either cancels a decision that has not
//! left yet or sends an undo after it.

use std::collections::VecDeque;

use crate::api::{Card, Label};

/// Refill when fewer cards than this are queued.
pub const LOW_WATER: usize = 3;
/// How many to ask for at a time.
pub const REFILL: usize = 4;
/// How many cards the page keeps once it has nothing more urgent to do, for a phone that
/// loses its network (each is still held for this person only for the lease time).
pub const KEEP: usize = 20;

/// Where the browser saves a deck's undelivered decisions and its cards: per rater
/// (`NextCardReply::rater`) and campaign, so that on a shared phone one person's decisions
/// are never sent under another's name. Signing out removes them all (`forget_saved`).
pub const OUTBOX_PREFIX: &str = "swipeset.outbox.";
pub const CARDS_PREFIX: &str = "swipeset.deck.";

pub fn outbox_key(rater: &str, campaign: &str) -> String {
    format!("{OUTBOX_PREFIX}{rater}.{campaign}")
}

pub fn cards_key(rater: &str, campaign: &str) -> String {
    format!("{CARDS_PREFIX}{rater}.{campaign}")
}

/// Before outboxes were kept per rater they were saved under the campaign alone.
pub fn unkeyed_outbox_key(campaign: &str) -> String {
    format!("{OUTBOX_PREFIX}{campaign}")
}

/// Forgets every saved outbox and deck in this browser (on sign-out).
pub fn forget_saved() {
    crate::browser::remove_prefixed(&[OUTBOX_PREFIX, CARDS_PREFIX]);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Rate(Label),
    Skip,
}

/// A request the server has not acknowledged yet. Serialisable: the outbox is saved in
/// the browser, so a reload or a closed tab while offline loses no decision; an outbox
/// saved before the rename still names its responses `generation_id`, and is read back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outgoing {
    Rate {
        client_id: String,
        #[serde(alias = "generation_id")]
        response_id: i32,
        label: Label,
        decision_ms: Option<i32>,
    },
    Skip {
        #[serde(alias = "generation_id")]
        response_id: i32,
    },
    Undo {
        #[serde(alias = "generation_id")]
        response_id: i32,
    },
}

#[derive(Debug, Clone)]
struct Queued {
    id: u64,
    outgoing: Outgoing,
    in_flight: bool,
}

/// The most recent decision, kept for undo.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided {
    pub card: Card,
    pub verdict: Verdict,
    outbox_id: u64,
}

/// How many delivered decisions the deck remembers (`SavedCards::done`).
const DONE_KEPT: usize = 200;

/// The cards a page saves for its next visit, and the responses whose decisions the server
/// has acknowledged lately: a page opened offline is the service worker's copy from the last
/// visit, whose card was most likely decided since, and must not be shown again.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SavedCards {
    pub cards: Vec<Card>,
    pub done: Vec<i32>,
}

#[derive(Debug, Clone, Default)]
pub struct Deck {
    cards: VecDeque<Card>,
    outbox: VecDeque<Queued>,
    /// Responses whose rating or skip the server acknowledged, newest last.
    done: VecDeque<i32>,
    last: Option<Decided>,
    next_id: u64,
    /// When the current card appeared, in milliseconds of the page's clock.
    shown_at_ms: Option<f64>,
    /// The server had nothing more to deal at the last refill.
    pub exhausted: bool,
}

impl Deck {
    pub fn new(cards: impl IntoIterator<Item = Card>) -> Self {
        Self {
            cards: cards.into_iter().collect(),
            ..Self::default()
        }
    }

    pub fn current(&self) -> Option<&Card> {
        self.cards.front()
    }

    /// Notes when the current card became visible, for the decision time. The page calls
    /// it whenever the top card may have changed: only the first call for a card counts.
    pub fn shown(&mut self, now_ms: f64) {
        if self.shown_at_ms.is_none() && !self.cards.is_empty() {
            self.shown_at_ms = Some(now_ms);
        }
    }

    /// The current card is covered (by the guidelines): its clock starts again at the next
    /// `shown`, so reading them does not count as deciding.
    pub fn hidden(&mut self) {
        self.shown_at_ms = None;
    }

    /// Decides on the current card: it leaves the deck and its request joins the outbox.
    pub fn decide(&mut self, verdict: Verdict, client_id: String, now_ms: f64) -> Option<&Decided> {
        let card = self.cards.pop_front()?;
        let decision_ms = self
            .shown_at_ms
            .take()
            .map(|shown| (now_ms - shown).clamp(0.0, i32::MAX as f64) as i32);
        let outgoing = match verdict {
            Verdict::Rate(label) => Outgoing::Rate {
                client_id,
                response_id: card.response_id,
                label,
                decision_ms,
            },
            Verdict::Skip => Outgoing::Skip {
                response_id: card.response_id,
            },
        };
        let outbox_id = self.enqueue(outgoing);
        self.last = Some(Decided {
            card,
            verdict,
            outbox_id,
        });
        self.last.as_ref()
    }

    /// Takes back the last decision and puts its card on top again. A decision still in
    /// the outbox is simply cancelled; a rating already sent gets an undo sent after it.
    pub fn undo(&mut self) -> Option<Card> {
        let last = self.last.take()?;
        match self.outbox.iter().position(|q| q.id == last.outbox_id) {
            Some(index) if !self.outbox[index].in_flight => {
                self.outbox.remove(index);
            }
            _ => {
                if matches!(last.verdict, Verdict::Rate(_)) {
                    self.enqueue(Outgoing::Undo {
                        response_id: last.card.response_id,
                    });
                }
            }
        }
        self.cards.push_front(last.card.clone());
        self.shown_at_ms = None;
        Some(last.card)
    }

    /// Cards the server should not deal again: the queued ones and those whose decision
    /// has not been acknowledged (they are still held for this person).
    pub fn holding(&self) -> Vec<i32> {
        let queued = self.cards.iter().map(|c| c.response_id);
        let deciding = self.outbox.iter().filter_map(|q| match q.outgoing {
            Outgoing::Rate { response_id, .. } | Outgoing::Skip { response_id } => {
                Some(response_id)
            }
            Outgoing::Undo { .. } => None,
        });
        queued.chain(deciding).collect()
    }

    /// Every request not yet acknowledged, oldest first: what the browser saves.
    pub fn unsent(&self) -> Vec<Outgoing> {
        self.outbox.iter().map(|q| q.outgoing.clone()).collect()
    }

    /// Puts saved requests (from before a reload) at the front of the outbox, and takes
    /// the cards they decide off the deck: the page may have been dealt them again.
    pub fn restore(&mut self, saved: Vec<Outgoing>) {
        if saved.is_empty() {
            return;
        }
        let top = self.current().map(|c| c.response_id);
        let current = std::mem::take(&mut self.outbox);
        for outgoing in saved {
            if let Outgoing::Rate { response_id, .. } | Outgoing::Skip { response_id } = outgoing {
                self.cards.retain(|c| c.response_id != response_id);
            }
            self.enqueue(outgoing);
        }
        self.outbox.extend(current);
        if self.current().map(|c| c.response_id) != top {
            // The card on screen was decided before the reload: the next one is timed anew.
            self.shown_at_ms = None;
        }
    }

    /// Adds dealt cards, ignoring any already queued. An empty deal means the server has
    /// nothing more for now.
    pub fn add_cards(&mut self, cards: Vec<Card>) {
        self.exhausted = cards.is_empty();
        let known = self.holding();
        for card in cards {
            if !known.contains(&card.response_id)
                && !self.cards.iter().any(|c| c.response_id == card.response_id)
            {
                self.cards.push_back(card);
            }
        }
    }

    pub fn wants_more(&self) -> bool {
        self.cards.len() < LOW_WATER && !self.exhausted
    }

    /// How many more cards to ask for when idle, to keep `KEEP` for offline use (at most
    /// `max` at a time); 0 when the deck is full or the server had nothing more.
    pub fn top_up(&self, max: usize) -> usize {
        if self.exhausted {
            return 0;
        }
        KEEP.saturating_sub(self.cards.len()).min(max)
    }

    /// What the browser saves for the next visit (see `SavedCards`).
    pub fn saved_cards(&self) -> SavedCards {
        SavedCards {
            cards: self.cards.iter().cloned().collect(),
            done: self.done.iter().copied().collect(),
        }
    }

    /// Takes back the decisions an earlier visit had delivered: their cards leave the deck
    /// (the one on screen too, when the page is the service worker's old copy).
    pub fn restore_done(&mut self, done: Vec<i32>) {
        let top = self.current().map(|c| c.response_id);
        self.done = done.into_iter().collect();
        let done = &self.done;
        self.cards.retain(|c| !done.contains(&c.response_id));
        if self.current().map(|c| c.response_id) != top {
            self.shown_at_ms = None;
        }
    }

    /// Adds the cards an earlier visit saved behind the queued ones, leaving out any queued
    /// or decided: the fallback when the server cannot be reached for more (online, the
    /// server's deal is fresher: others may have filled those cards' slots since). Unlike
    /// a deal, no cards says nothing about the server.
    pub fn add_saved_cards(&mut self, cards: Vec<Card>) {
        let exhausted = self.exhausted;
        let cards: Vec<Card> = cards
            .into_iter()
            .filter(|c| !self.done.contains(&c.response_id))
            .collect();
        if !cards.is_empty() {
            self.add_cards(cards);
        }
        self.exhausted = exhausted && self.cards.is_empty();
    }

    /// The next request to send, marked as in flight; `None` while one is in flight
    /// (requests go one at a time, in order) or the outbox is empty.
    pub fn next_to_send(&mut self) -> Option<(u64, Outgoing)> {
        let front = self.outbox.front_mut()?;
        if front.in_flight {
            return None;
        }
        front.in_flight = true;
        Some((front.id, front.outgoing.clone()))
    }

    /// The server acknowledged request `id`.
    pub fn acknowledged(&mut self, id: u64) {
        let Some(index) = self.outbox.iter().position(|q| q.id == id) else {
            return;
        };
        let Some(queued) = self.outbox.remove(index) else {
            return;
        };
        match queued.outgoing {
            Outgoing::Rate { response_id, .. } | Outgoing::Skip { response_id } => {
                self.done.push_back(response_id);
                if self.done.len() > DONE_KEPT {
                    self.done.pop_front();
                }
            }
            Outgoing::Undo { response_id } => self.done.retain(|&r| r != response_id),
        }
    }

    /// Request `id` failed in a way worth retrying: it goes back to waiting.
    pub fn retry_later(&mut self, id: u64) {
        if let Some(q) = self.outbox.iter_mut().find(|q| q.id == id) {
            q.in_flight = false;
        }
    }

    /// Requests the server has not acknowledged yet.
    pub fn pending(&self) -> usize {
        self.outbox
            .iter()
            .filter(|q| !matches!(q.outgoing, Outgoing::Undo { .. }))
            .count()
    }

    fn enqueue(&mut self, outgoing: Outgoing) -> u64 {
        self.next_id += 1;
        self.outbox.push_back(Queued {
            id: self.next_id,
            outgoing,
            in_flight: false,
        });
        self.next_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(id: i32) -> Card {
        Card {
            response_id: id,
            prompt_id: id,
            prompt: format!("prompt {id}"),
            system_prompt: None,
            response: format!("response {id}"),
            prompt_html: None,
            response_html: None,
            history: Vec::new(),
            history_html: None,
        }
    }

    fn ids(deck: &Deck) -> Vec<i32> {
        deck.cards.iter().map(|c| c.response_id).collect()
    }

    #[test]
    fn a_decision_moves_the_card_to_the_outbox_with_its_decision_time() {
        let mut deck = Deck::new([card(1), card(2)]);
        deck.shown(1_000.0);
        deck.decide(Verdict::Rate(Label::Up), "c1".into(), 3_500.0);
        assert_eq!(deck.current().map(|c| c.response_id), Some(2));
        assert_eq!(deck.pending(), 1);
        let (id, outgoing) = deck.next_to_send().unwrap();
        assert_eq!(
            outgoing,
            Outgoing::Rate {
                client_id: "c1".into(),
                response_id: 1,
                label: Label::Up,
                decision_ms: Some(2_500)
            }
        );
        assert_eq!(deck.next_to_send(), None, "one request at a time");
        deck.acknowledged(id);
        assert_eq!(deck.pending(), 0);
    }

    /// The decision time of the newest rating in the outbox.
    fn last_decision_ms(deck: &Deck) -> Option<i32> {
        match deck.unsent().last() {
            Some(Outgoing::Rate { decision_ms, .. }) => *decision_ms,
            other => panic!("the newest request is not a rating: {other:?}"),
        }
    }

    #[test]
    fn each_card_is_timed_from_when_it_was_first_shown() {
        let mut deck = Deck::new([card(1), card(2), card(3)]);
        deck.shown(1_000.0);
        deck.shown(1_800.0); // the page noticed again: the clock keeps running
        deck.decide(Verdict::Rate(Label::Up), "c1".into(), 2_000.0);
        assert_eq!(last_decision_ms(&deck), Some(1_000));

        // Card 2 is decided without having been shown: its time is unknown, not card 1's.
        deck.decide(Verdict::Rate(Label::Down), "c2".into(), 9_000.0);
        assert_eq!(last_decision_ms(&deck), None);

        // Covered by the guidelines, then shown again: the covered time does not count.
        deck.shown(10_000.0);
        deck.hidden();
        deck.shown(25_000.0);
        deck.decide(Verdict::Rate(Label::Up), "c3".into(), 26_500.0);
        assert_eq!(last_decision_ms(&deck), Some(1_500));
    }

    #[test]
    fn an_undone_card_is_timed_again_when_it_is_back() {
        let mut deck = Deck::new([card(1), card(2)]);
        deck.shown(0.0);
        deck.decide(Verdict::Rate(Label::Up), "c1".into(), 4_000.0);
        deck.shown(4_100.0); // card 2 appears
        deck.undo();
        deck.shown(5_000.0); // card 1 is back on top
        deck.decide(Verdict::Rate(Label::Down), "c1".into(), 5_700.0);
        assert_eq!(last_decision_ms(&deck), Some(700));
    }

    #[test]
    fn a_restored_outbox_keeps_the_clock_of_the_card_still_on_top() {
        let mut deck = Deck::new([card(2), card(3)]);
        deck.shown(1_000.0);
        deck.restore(vec![Outgoing::Skip { response_id: 9 }]);
        deck.decide(Verdict::Rate(Label::Up), "c2".into(), 3_000.0);
        assert_eq!(last_decision_ms(&deck), Some(2_000));

        // The card on top had been decided before the reload: the next one is not timed
        // with its clock.
        let mut deck = Deck::new([card(2), card(3)]);
        deck.shown(1_000.0);
        deck.restore(vec![Outgoing::Skip { response_id: 2 }]);
        deck.decide(Verdict::Rate(Label::Up), "c3".into(), 3_000.0);
        assert_eq!(last_decision_ms(&deck), None);
    }

    #[test]
    fn undo_before_sending_cancels_the_request() {
        let mut deck = Deck::new([card(1), card(2)]);
        deck.decide(Verdict::Rate(Label::Down), "c1".into(), 0.0);
        assert_eq!(deck.undo().map(|c| c.response_id), Some(1));
        assert_eq!(ids(&deck), vec![1, 2]);
        assert_eq!(deck.pending(), 0);
        assert_eq!(deck.next_to_send(), None, "nothing goes to the server");
        assert_eq!(deck.undo(), None, "one undo per decision");
    }

    #[test]
    fn undo_after_sending_sends_an_undo_after_the_rating() {
        let mut deck = Deck::new([card(1), card(2)]);
        deck.decide(Verdict::Rate(Label::Up), "c1".into(), 0.0);
        let (rate_id, _) = deck.next_to_send().unwrap(); // in flight
        deck.undo();
        assert_eq!(ids(&deck), vec![1, 2]);
        deck.acknowledged(rate_id);
        let (_, outgoing) = deck.next_to_send().unwrap();
        assert_eq!(outgoing, Outgoing::Undo { response_id: 1 });
    }

    #[test]
    fn a_failed_request_is_kept_and_retried_in_order() {
        let mut deck = Deck::new([card(1), card(2), card(3)]);
        deck.decide(Verdict::Rate(Label::Up), "c1".into(), 0.0);
        deck.decide(Verdict::Skip, "unused".into(), 0.0);
        let (first, _) = deck.next_to_send().unwrap();
        deck.retry_later(first);
        assert_eq!(deck.pending(), 2, "nothing is dropped");
        let (again, outgoing) = deck.next_to_send().unwrap();
        assert_eq!(again, first, "the failed one goes first");
        assert!(matches!(outgoing, Outgoing::Rate { response_id: 1, .. }));
        deck.acknowledged(again);
        let (_, outgoing) = deck.next_to_send().unwrap();
        assert_eq!(outgoing, Outgoing::Skip { response_id: 2 });
    }

    #[test]
    fn refills_below_the_low_water_mark_without_duplicates() {
        let mut deck = Deck::new([card(1)]);
        assert!(deck.wants_more());
        deck.decide(Verdict::Rate(Label::Up), "c1".into(), 0.0);
        assert_eq!(
            deck.holding(),
            vec![1],
            "the unacknowledged card is still held"
        );
        deck.add_cards(vec![card(2), card(3), card(3)]);
        assert_eq!(ids(&deck), vec![2, 3]);
        deck.add_cards(vec![]);
        assert!(deck.exhausted);
        assert!(!deck.wants_more());
    }

    #[test]
    fn a_saved_outbox_comes_back_first_and_its_cards_do_not() {
        let mut before = Deck::new([card(1), card(2), card(3)]);
        before.decide(Verdict::Rate(Label::Up), "c1".into(), 0.0);
        before.decide(Verdict::Skip, "c2".into(), 0.0);
        let saved = before.unsent();
        let json = serde_json::to_string(&saved).unwrap();
        assert!(json.contains("\"kind\":\"rate\""), "{json}");

        // After a reload the server deals card 1 again (the rating never arrived).
        let mut after = Deck::new([card(1), card(3)]);
        after.restore(serde_json::from_str(&json).unwrap());
        assert_eq!(ids(&after), vec![3], "decided cards are not shown again");
        assert_eq!(after.pending(), 2);
        let (first, outgoing) = after.next_to_send().unwrap();
        assert!(matches!(outgoing, Outgoing::Rate { response_id: 1, .. }));
        after.acknowledged(first);
        // A refill that deals a card still waiting to be sent does not show it either.
        after.add_cards(vec![card(2), card(4)]);
        assert_eq!(ids(&after), vec![3, 4]);
    }

    #[test]
    fn an_outbox_saved_under_the_old_field_name_is_still_sent() {
        let json = r#"[{"kind":"rate","client_id":"c1","generation_id":1,"label":"up","decision_ms":900},
                       {"kind":"skip","generation_id":2},{"kind":"undo","generation_id":3}]"#;
        let saved: Vec<Outgoing> = serde_json::from_str(json).unwrap();
        assert_eq!(
            saved,
            vec![
                Outgoing::Rate {
                    client_id: "c1".into(),
                    response_id: 1,
                    label: Label::Up,
                    decision_ms: Some(900),
                },
                Outgoing::Skip { response_id: 2 },
                Outgoing::Undo { response_id: 3 },
            ]
        );
        assert!(
            serde_json::to_string(&saved)
                .unwrap()
                .contains("\"response_id\":1")
        );
    }

    #[test]
    fn saved_cards_go_behind_the_queued_ones_without_the_decided_ones() {
        // An earlier visit was dealt 1..=5, delivered its decision on card 1 and decided
        // card 2 without delivering it.
        let mut before = Deck::new((1..=5).map(card));
        before.decide(Verdict::Rate(Label::Up), "c1".into(), 0.0);
        let (id, _) = before.next_to_send().unwrap();
        before.acknowledged(id);
        before.decide(Verdict::Skip, "c2".into(), 0.0);
        let saved = before.saved_cards();
        assert_eq!(saved.done, vec![1]);

        // Offline, the page opens from the service worker's copy, made when card 1 was
        // dealt: card 1 is not shown again, nor card 2, still in the outbox.
        let mut deck = Deck::new([card(1)]);
        deck.restore(before.unsent());
        deck.restore_done(saved.done);
        assert_eq!(ids(&deck), Vec::<i32>::new());
        deck.add_saved_cards(saved.cards);
        assert_eq!(ids(&deck), vec![3, 4, 5]);
        assert_eq!(deck.pending(), 1);

        // A page that had no card left gets the saved ones, and is no longer exhausted.
        let mut deck = Deck::new([]);
        deck.exhausted = true;
        deck.add_saved_cards(vec![card(5)]);
        assert_eq!(ids(&deck), vec![5]);
        assert!(!deck.exhausted);
        deck.add_saved_cards(vec![]);
        assert!(
            !deck.exhausted,
            "nothing saved says nothing about the server"
        );
    }

    #[test]
    fn an_acknowledged_undo_takes_its_card_off_the_done_list() {
        let mut deck = Deck::new([card(1), card(2)]);
        deck.decide(Verdict::Rate(Label::Up), "c1".into(), 0.0);
        let (rating, _) = deck.next_to_send().unwrap();
        deck.acknowledged(rating);
        assert_eq!(deck.saved_cards().done, vec![1]);
        deck.undo();
        let (undo, _) = deck.next_to_send().unwrap();
        deck.acknowledged(undo);
        assert_eq!(deck.saved_cards().done, Vec::<i32>::new());
        assert_eq!(ids(&deck), vec![1, 2]);
    }

    #[test]
    fn the_deck_tops_up_to_keep_in_steps_until_the_server_runs_dry() {
        let mut deck = Deck::new((1..=3).map(card));
        assert_eq!(deck.top_up(10), 10);
        deck.add_cards((4..=14).map(card).collect());
        assert_eq!(deck.top_up(10), KEEP - 14);
        deck.add_cards((15..=40).map(card).collect());
        assert_eq!(deck.top_up(10), 0, "full");
        let mut dry = Deck::new([card(1)]);
        dry.add_cards(vec![]);
        assert_eq!(dry.top_up(10), 0, "the server had nothing more");
    }
}
