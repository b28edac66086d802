//! Building blocks of the pages.

pub mod account_link;
pub mod card;
pub mod guidelines;
pub mod notices;
pub mod progress;
