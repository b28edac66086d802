//! Building blocks of the pages.

pub mod card;
pub mod notices;
pub mod progress;
