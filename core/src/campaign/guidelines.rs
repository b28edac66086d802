//! Guidelines are written in markdown by organisers and read by everyone: they become HTML
//! on the server through `super::markdown`, like everything else people write.

/// The guidelines as HTML that runs nothing and loads nothing.
pub fn to_safe_html(markdown: &str) -> String {
    super::markdown::to_safe_html(markdown, super::markdown::Flavor::Page)
}
