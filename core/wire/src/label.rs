//! The verdict of one rating. Stored as a boolean (`true` = 👍) because that is exactly the
//! KTO `label` column, and spoken as `"up"`/`"down"` in the API so a request reads plainly.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    /// 👍: the response is acceptable.
    Up,
    /// 👎: the response is not acceptable.
    Down,
}

impl Label {
    pub fn is_up(self) -> bool {
        matches!(self, Label::Up)
    }

    pub fn from_is_up(up: bool) -> Self {
        if up { Label::Up } else { Label::Down }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_plain_words() {
        assert_eq!(serde_json::to_string(&Label::Up).unwrap(), "\"up\"");
        assert_eq!(
            serde_json::from_str::<Label>("\"down\"").unwrap(),
            Label::Down
        );
        assert!(serde_json::from_str::<Label>("\"maybe\"").is_err());
    }

    #[test]
    fn round_trips_through_the_stored_boolean() {
        for label in [Label::Up, Label::Down] {
            assert_eq!(Label::from_is_up(label.is_up()), label);
        }
    }
}
