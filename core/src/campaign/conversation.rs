//! A prompt that is a whole conversation, as TRL's conversational format and
//! OpenAssistant-style data have it: `{role, content}` messages, an optional system message
//! first, user and assistant turns, and a user turn last (the one the models answer).
//!
//! It is stored split so that everything written for a single-turn prompt keeps working:
//! the last user turn is `prompt.text`, the system message `prompt.system_prompt`, and only
//! the turns between them are new (`prompt.history`, JSON text). A single-turn prompt has
//! no history, and its identity (`crate::campaign::prompts::content_hash`) is unchanged.

use serde::{Deserialize, Serialize};

/// The roles a turn before the last can have.
const HISTORY_ROLES: [&str; 2] = ["user", "assistant"];

/// One turn of a conversation's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    pub role: String,
    pub content: String,
}

/// A prompt read from a list of messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub system: Option<String>,
    /// The turns between the system message and `last`, oldest first.
    pub history: Vec<Turn>,
    /// The last user turn: what the models answer.
    pub last: String,
}

/// Why a list of messages is not a prompt: said so that an import error can name the turn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    #[error("the message list is empty; expected at least one user message")]
    Empty,
    #[error("message {0} has role `{1}`; expected `system` (first only), `user` or `assistant`")]
    Role(usize, String),
    #[error("message {0} is a system message; only the first message may be")]
    LateSystem(usize),
    #[error("the last message has role `{0}`; a prompt ends with the user's turn")]
    LastNotUser(String),
    #[error("message {0} ({1}) is empty")]
    EmptyTurn(usize, String),
}

impl Conversation {
    /// Reads `(role, content)` messages. Turns need not alternate (TRL does not ask it), but
    /// every one says something, and the last is the user's.
    pub fn from_messages(messages: &[(String, String)]) -> Result<Self, ShapeError> {
        let (system, rest) = match messages.split_first() {
            None => return Err(ShapeError::Empty),
            Some(((role, content), rest)) if role == "system" => {
                (Some(content.clone()).filter(|s| !s.trim().is_empty()), rest)
            }
            Some(_) => (None, messages),
        };
        let first_number = messages.len() - rest.len() + 1;
        let mut history = Vec::with_capacity(rest.len());
        for (i, (role, content)) in rest.iter().enumerate() {
            let number = first_number + i;
            if role == "system" {
                return Err(ShapeError::LateSystem(number));
            }
            if !HISTORY_ROLES.contains(&role.as_str()) {
                return Err(ShapeError::Role(number, role.clone()));
            }
            if content.trim().is_empty() {
                return Err(ShapeError::EmptyTurn(number, role.clone()));
            }
            history.push(Turn {
                role: role.clone(),
                content: content.trim().to_string(),
            });
        }
        match history.pop() {
            None => Err(ShapeError::Empty),
            Some(last) if last.role == "user" => Ok(Conversation {
                system,
                history,
                last: last.content,
            }),
            Some(last) => Err(ShapeError::LastNotUser(last.role)),
        }
    }

    /// The history as stored in `prompt.history`; `None` for a single turn.
    pub fn history_text(&self) -> Option<String> {
        to_text(&self.history)
    }
}

/// `history` as stored in `prompt.history`; `None` when there is none.
pub fn to_text(history: &[Turn]) -> Option<String> {
    if history.is_empty() {
        return None;
    }
    serde_json::to_string(history).ok()
}

/// The history stored in `prompt.history`. Only swipeset writes the column, so text that
/// does not parse is a bug, not input; it reads as no history rather than failing a card.
pub fn from_text(text: Option<&str>) -> Vec<Turn> {
    text.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

/// The whole conversation as messages: the system message, the history, the last user turn.
pub fn messages<'a>(
    system: Option<&'a str>,
    history: &'a [Turn],
    last: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut messages = Vec::with_capacity(history.len() + 2);
    if let Some(system) = system.filter(|s| !s.trim().is_empty()) {
        messages.push(("system", system));
    }
    messages.extend(
        history
            .iter()
            .map(|t| (t.role.as_str(), t.content.as_str())),
    );
    messages.push(("user", last));
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(r, c)| (r.to_string(), c.to_string()))
            .collect()
    }

    #[test]
    fn a_conversation_splits_into_system_history_and_last_turn() {
        let c = Conversation::from_messages(&m(&[
            ("system", "Be brief."),
            ("user", "Hi"),
            ("assistant", "Hello!"),
            ("user", "  Name a prime.  "),
        ]))
        .unwrap();
        assert_eq!(c.system.as_deref(), Some("Be brief."));
        assert_eq!(c.last, "Name a prime.");
        assert_eq!(c.history.len(), 2);
        let stored = c.history_text().unwrap();
        assert_eq!(from_text(Some(&stored)), c.history);
        assert_eq!(
            messages(c.system.as_deref(), &c.history, &c.last),
            vec![
                ("system", "Be brief."),
                ("user", "Hi"),
                ("assistant", "Hello!"),
                ("user", "Name a prime."),
            ]
        );
    }

    #[test]
    fn a_single_user_turn_has_no_history() {
        let c = Conversation::from_messages(&m(&[("user", "Hi")])).unwrap();
        assert_eq!(c.history_text(), None);
        assert_eq!(c.system, None);
    }

    #[test]
    fn bad_shapes_name_the_message() {
        let err = |pairs: &[(&str, &str)]| Conversation::from_messages(&m(pairs)).unwrap_err();
        assert_eq!(err(&[]), ShapeError::Empty);
        assert_eq!(err(&[("system", "x")]), ShapeError::Empty);
        assert_eq!(
            err(&[("user", "a"), ("assistant", "b")]),
            ShapeError::LastNotUser("assistant".into())
        );
        assert_eq!(
            err(&[("user", "a"), ("system", "b"), ("user", "c")]),
            ShapeError::LateSystem(2)
        );
        assert_eq!(
            err(&[("user", "a"), ("tool", "b"), ("user", "c")]),
            ShapeError::Role(2, "tool".into())
        );
        assert_eq!(
            err(&[
                ("system", "s"),
                ("user", " "),
                ("assistant", "b"),
                ("user", "c")
            ]),
            ShapeError::EmptyTurn(2, "user".into())
        );
        assert_eq!(
            ShapeError::LateSystem(2).to_string(),
            "message 2 is a system message; only the first message may be"
        );
    }
}
