//! Guidelines are written in markdown by organisers and read by everyone: they become HTML
//! here, on the server, with anything that could run or load from elsewhere taken out. Raw
//! HTML in the source is shown as text; links keep only `http`, `https`, `mailto` and paths
//! on this site; images become their alt text.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

pub fn to_safe_html(markdown: &str) -> String {
    let events = Parser::new_ext(
        markdown,
        Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES,
    )
    .filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Some(Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        })),
        // The alt text between these stays, as text.
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        other => Some(other),
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let allowed = lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("mailto:")
        || (lower.starts_with('/') && !lower.starts_with("//"))
        || lower.starts_with('#');
    if allowed { url } else { CowStr::Borrowed("#") }
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn markdown_becomes_html() {
        let html = to_safe_html("Rate **fluency**, not *length*.\n\n- one\n- two");
        assert!(html.contains("<strong>fluency</strong>"), "{html}");
        assert!(html.contains("<em>length</em>"), "{html}");
        assert!(html.contains("<li>one</li>"), "{html}");
    }

    #[test]
    fn nothing_runs_and_nothing_loads() {
        let html = to_safe_html(
            "<script>alert(1)</script>\n\n[x](javascript:alert(1)) [y](https://ok.example) \
             <img src=x onerror=alert(1)> ![pic](https://tracker.example/p.png)",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("href=\"https://ok.example\""), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("pic"), "the alt text stays: {html}");
    }
}
