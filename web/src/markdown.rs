//! Markdown of a scenario's `about`, rendered safely.
//!
//! The text is untrusted: scenarios will arrive in links. So:
//! - it is parsed with pulldown-cmark into a small tree ([`Node`]) that can
//!   only hold the elements listed in [`Elem`] — there is no way to express
//!   `<script>`, an event handler or a `style` in it;
//! - raw HTML (blocks and inline) becomes text, shown as written;
//! - a link is kept only if its destination is relative or its scheme is
//!   `http`, `https` or `mailto` ([`safe_href`]); otherwise its text stays,
//!   as plain text. Images become their alt text (no requests to hosts
//!   named by untrusted text);
//! - [`view`] turns the tree into Yew VNodes (text nodes are set as text,
//!   never parsed as HTML); nothing ever goes through `innerHTML`.

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};
use yew::prelude::*;

/// An element the renderer may produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem {
    P,
    /// `h2`..`h6`: Markdown levels shifted down by one, since the page's
    /// title is the `h1`.
    Heading(u8),
    BlockQuote,
    /// A code block: `<pre><code>`.
    Pre,
    Ul,
    Ol(Option<u64>),
    Li,
    Em,
    Strong,
    Del,
    Br,
    Hr,
}

/// The rendered tree of a Markdown text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Text(String),
    /// Inline code.
    Code(String),
    Elem(Elem, Vec<Node>),
    /// A link whose destination passed [`safe_href`].
    Link {
        href: String,
        /// Absolute (`http`, `https`, `mailto`): opens in a new tab.
        external: bool,
        title: String,
        children: Vec<Node>,
    },
}

/// What an open Markdown container turns into when it closes.
enum Frame {
    Elem(Elem),
    Link {
        href: String,
        external: bool,
        title: String,
    },
    /// Dropped wrapper (unsafe link, image, unsupported container): its
    /// contents go to the parent as they are.
    Transparent,
}

/// Parses Markdown into a safe tree. Never fails: any input is some text.
pub fn parse(markdown: &str) -> Vec<Node> {
    // (frame, children) for every open container; the root is at 0.
    let mut stack: Vec<(Frame, Vec<Node>)> = vec![(Frame::Transparent, Vec::new())];
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(tag) => {
                let frame = match tag {
                    Tag::Paragraph | Tag::HtmlBlock => Frame::Elem(Elem::P),
                    Tag::Heading { level, .. } => {
                        Frame::Elem(Elem::Heading((level as u8 + 1).min(6)))
                    }
                    Tag::BlockQuote(_) => Frame::Elem(Elem::BlockQuote),
                    Tag::CodeBlock(_) => Frame::Elem(Elem::Pre),
                    Tag::List(None) => Frame::Elem(Elem::Ul),
                    Tag::List(Some(start)) => Frame::Elem(Elem::Ol(Some(start))),
                    Tag::Item => Frame::Elem(Elem::Li),
                    Tag::Emphasis => Frame::Elem(Elem::Em),
                    Tag::Strong => Frame::Elem(Elem::Strong),
                    Tag::Strikethrough => Frame::Elem(Elem::Del),
                    Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        ..
                    } => {
                        let dest = match link_type {
                            LinkType::Email => CowStr::from(format!("mailto:{dest_url}")),
                            _ => dest_url,
                        };
                        match safe_href(&dest) {
                            Some((href, external)) => Frame::Link {
                                href,
                                external,
                                title: title.to_string(),
                            },
                            None => Frame::Transparent,
                        }
                    }
                    // Images: their alt text (the children) only.
                    _ => Frame::Transparent,
                };
                stack.push((frame, Vec::new()));
            }
            Event::End(end) => {
                // The root never closes: pulldown-cmark balances its events.
                if stack.len() < 2 {
                    continue;
                }
                let (frame, children) = stack.pop().expect("checked above");
                let parent = &mut stack.last_mut().expect("root stays").1;
                match frame {
                    Frame::Elem(Elem::Ol(start)) => {
                        // `<ol>` without a `start` attribute when it is 1.
                        let start = start.filter(|&s| s != 1);
                        parent.push(Node::Elem(Elem::Ol(start), children));
                    }
                    Frame::Elem(e) => parent.push(Node::Elem(e, children)),
                    Frame::Link {
                        href,
                        external,
                        title,
                    } => parent.push(Node::Link {
                        href,
                        external,
                        title,
                        children,
                    }),
                    Frame::Transparent => {
                        // An image's alt text, or the text of a dropped
                        // link, stays readable as text.
                        if matches!(end, TagEnd::Image) {
                            parent.push(Node::Text("[".into()));
                            parent.extend(children);
                            parent.push(Node::Text("]".into()));
                        } else {
                            parent.extend(children);
                        }
                    }
                }
            }
            // Raw HTML is shown as the text it is.
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => push_text(&mut stack, &t),
            Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                top(&mut stack).push(Node::Code(t.to_string()))
            }
            Event::FootnoteReference(t) => push_text(&mut stack, &format!("[^{t}]")),
            Event::SoftBreak => push_text(&mut stack, " "),
            Event::HardBreak => top(&mut stack).push(Node::Elem(Elem::Br, Vec::new())),
            Event::Rule => top(&mut stack).push(Node::Elem(Elem::Hr, Vec::new())),
            Event::TaskListMarker(done) => {
                push_text(&mut stack, if done { "[x] " } else { "[ ] " })
            }
        }
    }
    // Unbalanced input cannot happen, but if it did, keep what was read.
    while stack.len() > 1 {
        let (_, children) = stack.pop().expect("len > 1");
        top(&mut stack).extend(children);
    }
    stack.pop().map(|(_, nodes)| nodes).unwrap_or_default()
}

fn top(stack: &mut [(Frame, Vec<Node>)]) -> &mut Vec<Node> {
    &mut stack.last_mut().expect("the root is never popped").1
}

/// Appends text, merging with a preceding text node.
fn push_text(stack: &mut [(Frame, Vec<Node>)], text: &str) {
    let nodes = top(stack);
    if let Some(Node::Text(prev)) = nodes.last_mut() {
        prev.push_str(text);
    } else {
        nodes.push(Node::Text(text.to_string()));
    }
}

/// The `href` to use for a link destination from untrusted text, and
/// whether it is absolute, or `None` when it must not be a link.
///
/// Allowed: `http:`, `https:`, `mailto:` (any case), and relative
/// references (`#/scenario/x`, `other.html`, `//host/path`, `?q`).
/// Browsers strip leading and trailing C0 controls and spaces and remove
/// tabs and newlines anywhere before reading a URL's scheme, so this does
/// the same first (`java\tscript:` is `javascript:`) and returns the
/// cleaned string.
pub fn safe_href(dest: &str) -> Option<(String, bool)> {
    let cleaned: String = dest
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    // A scheme is ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) followed by ':'.
    let scheme_end = cleaned.find(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)));
    let has_scheme = cleaned.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme_end.is_some_and(|i| cleaned[i..].starts_with(':'));
    if !has_scheme {
        // Anything else that contains a ':' before any '/', '?' or '#' is
        // not a relative reference a browser would read as one; refuse it.
        let first_delim = cleaned.find(['/', '?', '#']).unwrap_or(cleaned.len());
        if cleaned[..first_delim].contains(':') {
            return None;
        }
        return Some((cleaned, false));
    }
    let scheme = cleaned[..scheme_end.expect("has_scheme")].to_ascii_lowercase();
    matches!(scheme.as_str(), "http" | "https" | "mailto").then_some((cleaned, true))
}

/// Renders a tree as Yew VNodes.
pub fn view(nodes: &[Node]) -> Html {
    nodes.iter().map(view_node).collect::<Html>()
}

fn view_node(node: &Node) -> Html {
    match node {
        Node::Text(t) => html! { {t.clone()} },
        Node::Code(t) => html! { <code>{t.clone()}</code> },
        Node::Link {
            href,
            external,
            title,
            children,
        } => {
            let title = (!title.is_empty()).then(|| AttrValue::from(title.clone()));
            if *external {
                html! {
                    <a href={href.clone()} {title} target="_blank" rel="noopener noreferrer">
                        {view(children)}
                    </a>
                }
            } else {
                html! { <a href={href.clone()} {title}>{view(children)}</a> }
            }
        }
        Node::Elem(e, children) => {
            let inner = view(children);
            match *e {
                Elem::P => html! { <p>{inner}</p> },
                Elem::Heading(level) => {
                    let tag = match level {
                        0..=2 => "h2",
                        3 => "h3",
                        4 => "h4",
                        5 => "h5",
                        _ => "h6",
                    };
                    html! { <@{tag}>{inner}</@> }
                }
                Elem::BlockQuote => html! { <blockquote>{inner}</blockquote> },
                Elem::Pre => html! { <pre><code>{inner}</code></pre> },
                Elem::Ul => html! { <ul>{inner}</ul> },
                Elem::Ol(start) => {
                    let start = start.map(|s| AttrValue::from(s.to_string()));
                    html! { <ol {start}>{inner}</ol> }
                }
                Elem::Li => html! { <li>{inner}</li> },
                Elem::Em => html! { <em>{inner}</em> },
                Elem::Strong => html! { <strong>{inner}</strong> },
                Elem::Del => html! { <del>{inner}</del> },
                Elem::Br => html! { <br /> },
                Elem::Hr => html! { <hr /> },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders Markdown through [`view`] to an HTML string, the way the
    /// browser gets it (Yew's server renderer escapes text the same way the
    /// DOM holds it: as text).
    fn render(markdown: &str) -> String {
        #[derive(Properties, PartialEq)]
        struct Props {
            text: String,
        }
        #[function_component]
        fn Md(props: &Props) -> Html {
            view(&parse(&props.text))
        }
        crate::testing::render::<Md>(Props {
            text: markdown.to_string(),
        })
    }

    /// Every text in the tree, concatenated.
    fn text(nodes: &[Node]) -> String {
        nodes
            .iter()
            .map(|n| match n {
                Node::Text(t) | Node::Code(t) => t.clone(),
                Node::Elem(_, c) | Node::Link { children: c, .. } => text(c),
            })
            .collect()
    }

    fn links(nodes: &[Node]) -> Vec<String> {
        nodes
            .iter()
            .flat_map(|n| match n {
                Node::Link { href, children, .. } => {
                    let mut v = vec![href.clone()];
                    v.extend(links(children));
                    v
                }
                Node::Elem(_, c) => links(c),
                _ => vec![],
            })
            .collect()
    }

    #[test]
    fn basic_markdown() {
        let nodes = parse("Task **A** writes `page 0`, *then*:\n\n1. one\n2. two\n");
        assert_eq!(
            nodes,
            vec![
                Node::Elem(
                    Elem::P,
                    vec![
                        Node::Text("Task ".into()),
                        Node::Elem(Elem::Strong, vec![Node::Text("A".into())]),
                        Node::Text(" writes ".into()),
                        Node::Code("page 0".into()),
                        Node::Text(", ".into()),
                        Node::Elem(Elem::Em, vec![Node::Text("then".into())]),
                        Node::Text(":".into()),
                    ]
                ),
                Node::Elem(
                    Elem::Ol(None),
                    vec![
                        Node::Elem(Elem::Li, vec![Node::Text("one".into())]),
                        Node::Elem(Elem::Li, vec![Node::Text("two".into())]),
                    ]
                ),
            ]
        );
        assert_eq!(
            render("# Watch\n\nTask **A** and `fsync`"),
            "<h2>Watch</h2><p>Task <strong>A</strong> and <code>fsync</code></p>"
        );
    }

    #[test]
    fn script_tags_are_text() {
        let md = "Hello <script>alert(1)</script> there\n\n<script>\nalert(2)\n</script>\n";
        let nodes = parse(md);
        let t = text(&nodes);
        assert!(t.contains("<script>alert(1)</script>"), "{t:?}");
        assert!(t.contains("alert(2)"), "{t:?}");
        let html = render(md);
        assert!(!html.contains("<script"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
    }

    #[test]
    fn img_onerror_is_text() {
        let md = "<img src=x onerror=alert(1)>\n\nand inline <img src=y onerror=\"alert(2)\"> too";
        let t = text(&parse(md));
        assert!(t.contains("<img src=x onerror=alert(1)>"), "{t:?}");
        assert!(t.contains("<img src=y onerror=\"alert(2)\">"), "{t:?}");
        let html = render(md);
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
    }

    #[test]
    fn markdown_images_become_alt_text() {
        let nodes = parse("![a diagram](http://tracker.example/x.png)");
        assert_eq!(links(&nodes), Vec::<String>::new());
        assert_eq!(text(&nodes), "[a diagram]");
        assert!(!render("![a diagram](http://tracker.example/x.png)").contains("<img"));
    }

    #[test]
    fn javascript_links_are_not_links() {
        for md in [
            "[click](javascript:alert(1))",
            "[click](JaVaScRiPt:alert(1))",
            "[click](  javascript:alert(1))",
            "[click](java&#9;script:alert(1))",
            "[click](&#x6A;avascript:alert(1))",
            "[click](<java\tscript:alert(1)>)",
            "[click](data:text/html,<script>alert(1)</script>)",
            "[click](vbscript:msgbox)",
            "[click](file:///etc/passwd)",
            "[click][r]\n\n[r]: javascript:alert(1)",
        ] {
            let nodes = parse(md);
            assert_eq!(links(&nodes), Vec::<String>::new(), "{md}");
            assert_eq!(text(&nodes), "click", "{md}");
            let html = render(md);
            assert!(!html.contains("<a"), "{md}: {html}");
        }
        // An autolink with a bad scheme stays visible as text.
        let nodes = parse("<javascript:alert(1)>");
        assert_eq!(links(&nodes), Vec::<String>::new());
        assert_eq!(text(&nodes), "javascript:alert(1)");
    }

    #[test]
    fn safe_links_are_links() {
        let nodes = parse(
            "[lkml](https://lore.kernel.org/x \"thread\"), [h](HTTP://a.b), \
             <mailto:me@example.org>, <you@example.org>, [next](#/scenario/x), [rel](notes.html)",
        );
        assert_eq!(
            links(&nodes),
            vec![
                "https://lore.kernel.org/x",
                "HTTP://a.b",
                "mailto:me@example.org",
                "mailto:you@example.org",
                "#/scenario/x",
                "notes.html",
            ]
        );
        let html = render("[lkml](https://lore.kernel.org/x \"thread\") [next](#/scenario/x)");
        assert_eq!(
            html,
            "<p><a href=\"https://lore.kernel.org/x\" title=\"thread\" target=\"_blank\" \
             rel=\"noopener noreferrer\">lkml</a> <a href=\"#/scenario/x\">next</a></p>"
        );
    }

    #[test]
    fn safe_href_policy() {
        assert_eq!(safe_href("https://x"), Some(("https://x".into(), true)));
        assert_eq!(
            safe_href(" \u{1}https://x "),
            Some(("https://x".into(), true))
        );
        assert_eq!(safe_href("//host/p"), Some(("//host/p".into(), false)));
        assert_eq!(safe_href("a/b:c"), Some(("a/b:c".into(), false)));
        assert_eq!(safe_href("?q=a:b"), Some(("?q=a:b".into(), false)));
        assert_eq!(safe_href(""), Some(("".into(), false)));
        assert_eq!(safe_href("java\nscript:x"), None);
        assert_eq!(safe_href("\u{0}javascript:x"), None);
        assert_eq!(safe_href("1abc:x"), None);
        assert_eq!(safe_href("blob:https://x"), None);
    }

    #[test]
    fn attributes_cannot_be_injected() {
        // A title or href with quotes stays inside its attribute.
        let html = render("[x](https://a.b/\"onmouseover=alert(1) \"t\\\" onclick=x\")");
        assert_eq!(
            html,
            "<p><a href=\"https://a.b/&quot;onmouseover=alert(1)\" title=\"t&quot; onclick=x\" \
             target=\"_blank\" rel=\"noopener noreferrer\">x</a></p>"
        );
    }

    #[test]
    fn headings_shift_down_and_lists_keep_their_start() {
        let nodes = parse("###### six\n\n3. three\n4. four");
        assert!(matches!(nodes[0], Node::Elem(Elem::Heading(6), _)));
        assert!(matches!(nodes[1], Node::Elem(Elem::Ol(Some(3)), _)));
        assert_eq!(render("3. three"), "<ol start=\"3\"><li>three</li></ol>");
    }
}
