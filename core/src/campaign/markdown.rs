//! Markdown written by people we do not trust becomes HTML here, on the server, with anything
//! that could run or load from elsewhere taken out: raw HTML in the source is shown as text,
//! links keep only `http`, `https`, `mailto` and paths on this site, images become their alt
//! text. Organisers' guidelines go through it, and so do prompts and model outputs on the
//! cards, which can hold anything a model was made to write.
//!
//! On a card two things differ. A single line break stays a line break, as chat interfaces
//! show model output (a poem or an address keeps its lines; markdown alone would join them).
//! And headings are demoted below the card's own "Prompt" and "Response" headings (`h3` and
//! down), so a response cannot break the page's outline.

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

/// What the markdown is, for where it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Guidelines, a page of their own.
    Page,
    /// A prompt or a response on a card.
    Card,
}

/// `markdown` as HTML that runs nothing and loads nothing.
pub fn to_safe_html(markdown: &str, flavor: Flavor) -> String {
    let card = flavor == Flavor::Card;
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
        Event::SoftBreak if card => Some(Event::HardBreak),
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) if card => Some(Event::Start(Tag::Heading {
            level: demoted(level),
            id,
            classes,
            attrs,
        })),
        Event::End(TagEnd::Heading(level)) if card => {
            Some(Event::End(TagEnd::Heading(demoted(level))))
        }
        other => Some(other),
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    if card {
        // Code and tables scroll sideways inside the card: reachable from the keyboard too.
        // (Every `<pre>` and `<table>` in the output is the renderer's own: the source's
        // raw HTML came out as text, `&lt;pre&gt;`.)
        out = out
            .replace("<pre>", "<pre tabindex=\"0\">")
            .replace("<table>", "<table tabindex=\"0\">");
    }
    out
}

/// A conversation's earlier turns on a card, as HTML made here like the rest of the card,
/// so the rating page only inserts it (a view per turn in the browser bundle cost 4 KB
/// of the phone's first visit): a `<details>` folded under one line, which opens with a
/// tap, from the keyboard and before the page hydrates. Each turn is markdown made safe
/// (`to_safe_html`), or with `markdown` off its text as written, escaped. Empty for no turns.
pub fn history_html<'a>(
    turns: impl ExactSizeIterator<Item = (&'a str, &'a str)>,
    markdown: bool,
) -> String {
    use pulldown_cmark_escape::escape_html;
    let count = turns.len();
    if count == 0 {
        return String::new();
    }
    let mut out = format!(
        "<details class=\"card-history\"><summary>{count} earlier turn{}</summary>\
         <ol tabindex=\"0\" aria-label=\"Earlier turns\">",
        if count == 1 { "" } else { "s" }
    );
    for (role, content) in turns {
        let (class, who) = match role {
            "assistant" => ("card-turn card-turn-assistant", "Assistant"),
            _ => ("card-turn card-turn-user", "User"),
        };
        out.push_str(&format!(
            "<li class=\"{class}\"><div class=\"card-label\">{who}</div>"
        ));
        if markdown {
            out.push_str("<div class=\"md\">");
            out.push_str(&to_safe_html(content, Flavor::Card));
        } else {
            out.push_str("<div class=\"card-turn-text\">");
            // Writing to a String cannot fail.
            let _ = escape_html(&mut out, content);
        }
        out.push_str("</div></li>");
    }
    out.push_str("</ol></details>");
    out
}

/// Two levels down, `h6` at the most: under the card's `h2` labels.
fn demoted(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H4,
        HeadingLevel::H3 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
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
    use super::{Flavor, to_safe_html};

    #[test]
    fn markdown_becomes_html() {
        let html = to_safe_html(
            "Rate **fluency**, not *length*.\n\n- one\n- two",
            Flavor::Page,
        );
        assert!(html.contains("<strong>fluency</strong>"), "{html}");
        assert!(html.contains("<em>length</em>"), "{html}");
        assert!(html.contains("<li>one</li>"), "{html}");
    }

    #[test]
    fn nothing_runs_and_nothing_loads() {
        for flavor in [Flavor::Page, Flavor::Card] {
            let html = to_safe_html(
                "<script>alert(1)</script>\n\n[x](javascript:alert(1)) [y](https://ok.example) \
                 <img src=x onerror=alert(1)> ![pic](https://tracker.example/p.png)",
                flavor,
            );
            assert!(!html.contains("<script"), "{html}");
            assert!(html.contains("&lt;script&gt;"), "{html}");
            assert!(!html.contains("javascript:"), "{html}");
            assert!(html.contains("href=\"https://ok.example\""), "{html}");
            assert!(!html.contains("<img"), "{html}");
            assert!(html.contains("pic"), "the alt text stays: {html}");
        }
    }

    /// What model outputs have been made to write: raw HTML in every place markdown allows
    /// it, scheme tricks in links, SVG, and unicode that hides or reorders text.
    #[test]
    fn hostile_model_output_stays_text() {
        let hostile = [
            "<svg onload=alert(1)><circle r=5/></svg>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<a href=\"javascript:alert(1)\">click</a>",
            "[tab](java\tscript:alert(1)) [entity](jav&#x61;script:alert(1)) [data](data:text/html,<script>alert(1)</script>)",
            "[upper](JAVASCRIPT:alert(1)) [spaced]( javascript:alert(1)) [vb](vbscript:msgbox(1))",
            "[protocol-relative](//evil.example/x)",
            "<div style=\"background:url(javascript:alert(1))\">styled</div>",
            "```html\n<script>alert(1)</script>\n```",
            "`<img src=x onerror=alert(1)>`",
            "<details open ontoggle=alert(1)>x</details>",
            "\u{202e}txt.exe\u{202c} and zero\u{200b}width and <scr\u{200b}ipt>",
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        ];
        for source in hostile {
            let html = to_safe_html(source, Flavor::Card);
            for tag in [
                "<svg", "<iframe", "<script", "<img", "<style", "<div", "<details", "<math",
            ] {
                assert!(!html.contains(tag), "{tag} in {html:?} from {source:?}");
            }
            for scheme in ["javascript:", "vbscript:", "data:"] {
                assert!(
                    !html
                        .to_ascii_lowercase()
                        .contains(&format!("<a href=\"{scheme}")),
                    "{scheme} link in {html:?}"
                );
            }
            assert!(!html.contains("<a href=\"//"), "{html:?}");
            // Every tag is one the renderer wrote: none carries an attribute from the source.
            assert!(!html.contains("<a href=\"j"), "{html:?}");
        }
    }

    #[test]
    fn a_card_keeps_its_lines_and_its_code() {
        let poem = to_safe_html(
            "An old silent pond\nA frog jumps into the pond\nSplash! Silence again.",
            Flavor::Card,
        );
        assert_eq!(poem.matches("<br />").count(), 2, "{poem}");
        let code = to_safe_html(
            "Use this:\n\n```rust\nfn main() {\n    println!(\"<hi>\");\n}\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |",
            Flavor::Card,
        );
        assert!(
            code.contains("<pre tabindex=\"0\"><code class=\"language-rust\">"),
            "{code}"
        );
        assert!(code.contains("    println!(\"&lt;hi&gt;\");"), "{code}");
        assert!(code.contains("<table tabindex=\"0\">"), "{code}");
        let raw = to_safe_html("<pre>x</pre>\n\n`<table>`", Flavor::Card);
        assert!(
            !raw.contains("tabindex"),
            "the source's own tags stay text: {raw}"
        );
        let heading = to_safe_html("# Title\n\n## Part", Flavor::Card);
        assert!(
            heading.contains("<h3>Title</h3>") && heading.contains("<h4>Part</h4>"),
            "{heading}"
        );
        assert!(to_safe_html("# Title", Flavor::Page).contains("<h1>"));
    }
}
