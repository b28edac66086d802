//! Rating: how a swipe is stored. Which card comes next (`deal`) and when a response has
//! votes enough (`adaptive`), the short lease a dealt card holds on its slot (`leases`),
//! storing and undoing a rating (`rate`), gold cards that measure raters (`gold`), new
//! guests' votes held back until they have shown they read the cards (`hold_back`), passing
//! on a card (`skip`), and the properties every sequence of those keeps (`properties`, a
//! property test over random interleavings).

pub mod adaptive;
pub mod deal;
pub mod gold;
pub mod hold_back;
pub mod leases;
#[cfg(test)]
mod properties;
pub mod rate;
pub mod skip;
