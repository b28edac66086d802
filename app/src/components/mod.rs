//! Building blocks of the pages.

pub mod card;
pub mod guidelines;
pub mod notices;
pub mod progress;
