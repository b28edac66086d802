//! Rating: the card a rater sees, and what became of each swipe.

use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use crate::{CampaignInfo, Label};

/// Names a response in a request (`/api/rate`, `/api/undo`, `/api/skip`). `generation_id`,
/// the old name of `response_id`, is still read for one release (see docs/API.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseRef {
    #[serde(alias = "generation_id")]
    pub response_id: i32,
}

/// The old name of `response_id`, which every reply that carries a response's key still
/// sends beside it for one release (see docs/API.md). The replies serialise by hand to
/// write the key twice; they read back by derive, which ignores the old name.
const OLD_RESPONSE_ID: &str = "generation_id";

/// A response to rate. Blind: it never names the model (the model is revealed, if the
/// campaign allows, only in the answer to a rating).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Card {
    pub response_id: i32,
    pub prompt_id: i32,
    pub prompt: String,
    pub system_prompt: Option<String>,
    pub response: String,
    /// The prompt and the response as HTML the server made from their markdown, safe to
    /// insert as it is (nothing in it runs or loads); `None` where the campaign shows text
    /// as written (`render_markdown` off), and then the page shows `prompt` and `response`.
    #[serde(default)]
    pub prompt_html: Option<String>,
    #[serde(default)]
    pub response_html: Option<String>,
    /// Where the prompt is a conversation, its turns before `prompt` (the last user turn),
    /// oldest first, without the system message; empty for a single-turn prompt. The
    /// rating page shows `history_html` and never reads these, so its Wasm bundle leaves
    /// out the code that would (every byte of it is downloaded by a phone).
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub history: Vec<Turn>,
    /// The same turns as HTML the server made (folded in a `<details>`, each turn's
    /// markdown made safe, or its text escaped where the campaign shows text as written),
    /// safe to insert as it is; `None` without history.
    #[serde(default)]
    pub history_html: Option<String>,
}

/// One earlier turn of a conversation on a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    /// `user` or `assistant`.
    pub role: String,
    pub content: String,
}

/// The answer to "what should I rate next?". `campaign: None` means there is no campaign
/// yet; `card: None` with a campaign means this person has rated everything on offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextCardReply {
    pub campaign: Option<CampaignInfo>,
    pub card: Option<Card>,
    /// Who is rating on this browser, as an opaque key (`u` and the user's id, or `g` and a
    /// hash of the guest cookie): the page keeps its undelivered decisions and its cards
    /// under it, so on a shared phone nobody's decisions are sent under another's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rater: Option<String>,
}

/// Cards dealt to this person, each held for them for a few minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealReply {
    pub campaign: Option<CampaignInfo>,
    pub cards: Vec<Card>,
}

/// What became of a rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateStatus {
    /// Stored now.
    Recorded,
    /// This person had already rated the response; nothing changed.
    AlreadyRated,
    /// This rating (by `client_id`) was undone earlier; the retry changed nothing.
    Undone,
    /// The response already had all the ratings it needs and this person's hold on it had
    /// expired (others filled it); nothing was stored.
    NotNeeded,
}

/// The answer to a rating.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RateReply {
    pub response_id: i32,
    pub status: RateStatus,
    /// The label now stored: the one sent, or the earlier one if this was a repeat.
    pub label: Label,
    /// Who wrote the response, when the campaign reveals models after a swipe.
    pub model: Option<String>,
    /// The cards dealt with this rating, when the request asked for some (`deal`).
    #[serde(default)]
    pub cards: Vec<Card>,
}

/// What an undo did.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UndoReply {
    pub response_id: i32,
    /// `false` when there was no rating by this person to undo.
    pub undone: bool,
}

/// What a skip did.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SkipReply {
    pub response_id: i32,
    /// `false` when this person had already skipped it.
    pub skipped: bool,
}

/// Writes `$ty` with its `response_id` twice, under the new name and the old. The
/// struct is destructured, so a field added to it fails to compile until it is listed
/// here too. Fields after `;` are left out when empty (every card is sent to a phone,
/// and most have no conversation).
macro_rules! serialize_with_old_response_id {
    ($ty:ident { $($field:ident),* $(,)? $(; $($optional:ident),* $(,)?)? }) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let $ty { response_id, $($field,)* $($($optional),*)? } = self;
                let len = 2 + [$(stringify!($field)),*].len();
                let mut s = serializer.serialize_struct(stringify!($ty), len)?;
                s.serialize_field("response_id", response_id)?;
                s.serialize_field(OLD_RESPONSE_ID, response_id)?;
                $(s.serialize_field(stringify!($field), $field)?;)*
                $($(
                    if Empty::is_empty($optional) {
                        s.skip_field(stringify!($optional))?;
                    } else {
                        s.serialize_field(stringify!($optional), $optional)?;
                    }
                )*)?
                s.end()
            }
        }
    };
}

/// What a field left out when empty reads back as, by `#[serde(default)]`.
trait Empty {
    fn is_empty(&self) -> bool;
}

impl<T> Empty for Vec<T> {
    fn is_empty(&self) -> bool {
        Vec::is_empty(self)
    }
}

impl<T> Empty for Option<T> {
    fn is_empty(&self) -> bool {
        self.is_none()
    }
}

serialize_with_old_response_id!(Card {
    prompt_id,
    prompt,
    system_prompt,
    response,
    prompt_html,
    response_html;
    history,
    history_html,
});
serialize_with_old_response_id!(RateReply {
    status,
    label,
    model,
    cards,
});
serialize_with_old_response_id!(UndoReply { undone });
serialize_with_old_response_id!(SkipReply { skipped });

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> Card {
        Card {
            response_id: 7,
            prompt_id: 2,
            prompt: "p".into(),
            system_prompt: None,
            response: "r".into(),
            prompt_html: None,
            response_html: Some("<p>r</p>\n".into()),
            history: vec![Turn {
                role: "assistant".into(),
                content: "earlier".into(),
            }],
            history_html: None,
        }
    }

    #[test]
    fn replies_send_the_response_key_under_both_names_and_read_back() {
        let rate = RateReply {
            response_id: 7,
            status: RateStatus::Recorded,
            label: Label::Up,
            model: None,
            cards: vec![card()],
        };
        let json = serde_json::to_value(&rate).unwrap();
        assert_eq!(json["response_id"], 7);
        assert_eq!(json["generation_id"], 7);
        assert_eq!(json["cards"][0]["response_id"], 7);
        assert_eq!(json["cards"][0]["generation_id"], 7);
        assert_eq!(serde_json::from_value::<RateReply>(json).unwrap(), rate);

        let undo = UndoReply {
            response_id: 7,
            undone: true,
        };
        let json = serde_json::to_value(&undo).unwrap();
        assert_eq!(
            (json["response_id"].clone(), json["generation_id"].clone()),
            (7.into(), 7.into())
        );
        assert_eq!(serde_json::from_value::<UndoReply>(json).unwrap(), undo);

        let skip = SkipReply {
            response_id: 7,
            skipped: false,
        };
        let json = serde_json::to_value(&skip).unwrap();
        assert_eq!(
            (json["response_id"].clone(), json["generation_id"].clone()),
            (7.into(), 7.into())
        );
        assert_eq!(serde_json::from_value::<SkipReply>(json).unwrap(), skip);
    }

    #[test]
    fn a_card_reads_back_what_it_sends() {
        let json = serde_json::to_value(card()).unwrap();
        assert_eq!(json["generation_id"], 7);
        assert_eq!(serde_json::from_value::<Card>(json).unwrap(), card());
    }

    #[test]
    fn a_request_names_the_response_by_either_name_but_not_both() {
        let new: ResponseRef = serde_json::from_str(r#"{"response_id": 3}"#).unwrap();
        let old: ResponseRef = serde_json::from_str(r#"{"generation_id": 3}"#).unwrap();
        assert_eq!(new, old);
        assert!(
            serde_json::from_str::<ResponseRef>(r#"{"response_id": 3, "generation_id": 4}"#)
                .is_err()
        );
        assert!(serde_json::from_str::<ResponseRef>(r#"{}"#).is_err());
    }
}
