//! Markdown of a scenario's `about`, rendered safely.
//!
//! The text is untrusted: scenarios arrive in links from strangers. It is
//! parsed as CommonMark by pulldown-cmark (the parser of rustdoc and
//! mdBook; strikethrough is the one extension on) and its events are
//! turned into a tree ([`Node`]) that can only hold the elements listed in
//! [`Elem`]: there is no way to express `<script>`, an event handler or a
//! `style` in it. So:
//! - raw HTML, block or inline, is never interpreted: it is text, shown as
//!   written;
//! - a link is kept only if its destination is `http`, `https` or
//!   relative ([`safe_href`]); otherwise its text stays, as plain text;
//! - an image never loads anything: it becomes its alt text in brackets;
//! - elements nested deeper than [`MAX_DEPTH`] are flattened into their
//!   parent, so that no input makes the tree (and the recursion that draws
//!   it) deep;
//! - [`view`] turns the tree into Yew VNodes (text nodes are set as text,
//!   never parsed as HTML); nothing ever goes through `innerHTML`.

use pulldown_cmark::{Event, HeadingLevel, LinkType, Options, Parser, Tag};
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
        /// Absolute (`http`, `https`): opens in a new tab.
        external: bool,
        title: String,
        children: Vec<Node>,
    },
}

/// The deepest nesting of elements kept; deeper ones are flattened into
/// their parent (their text stays).
pub const MAX_DEPTH: usize = 16;

/// Parses Markdown into a safe tree. Never fails: any input is some text.
pub fn parse(markdown: &str) -> Vec<Node> {
    let mut b = Builder {
        stack: vec![Frame {
            kind: Kind::Root,
            children: Vec::new(),
        }],
        depth: 0,
    };
    for event in Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH) {
        b.event(event);
    }
    // pulldown-cmark balances its Start and End events; close anything
    // left open all the same.
    while b.stack.len() > 1 {
        b.end();
    }
    b.stack.pop().map(|f| f.children).unwrap_or_default()
}

/// What an open element becomes when it ends.
enum Kind {
    Root,
    Elem(Elem),
    /// A link with a safe destination.
    Link {
        href: String,
        external: bool,
        title: String,
    },
    /// An image: its content is the alt text, shown as `[alt]`.
    Image,
    /// Raw HTML, shown as a paragraph of text.
    HtmlBlock,
    /// Its children go to the parent: an unsafe link (its text stays), an
    /// element nested too deep, or one the renderer does not draw. `block`:
    /// a space separates it from what follows.
    Flatten {
        block: bool,
    },
}

impl Kind {
    /// It makes an element of the tree (and counts in the depth).
    fn is_element(&self) -> bool {
        matches!(self, Kind::Elem(_) | Kind::Link { .. } | Kind::HtmlBlock)
    }

    fn is_block(&self) -> bool {
        match self {
            Kind::Elem(e) => !matches!(e, Elem::Em | Elem::Strong | Elem::Del | Elem::Br),
            Kind::HtmlBlock | Kind::Root => true,
            Kind::Link { .. } | Kind::Image => false,
            Kind::Flatten { block } => *block,
        }
    }
}

struct Frame {
    kind: Kind,
    children: Vec<Node>,
}

struct Builder {
    stack: Vec<Frame>,
    /// Open frames that will make an element (Elem, Link).
    depth: usize,
}

impl Builder {
    fn children(&mut self) -> &mut Vec<Node> {
        &mut self.stack.last_mut().expect("the root frame").children
    }

    fn text(&mut self, s: &str) {
        push_text(self.children(), s);
    }

    fn leaf(&mut self, n: Node) {
        self.children().push(n);
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(_) => self.end(),
            // Raw HTML, in a block or inline, is text.
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => self.text(&t),
            Event::Code(t) => self.leaf(Node::Code(t.into_string())),
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.leaf(Node::Elem(Elem::Br, Vec::new())),
            Event::Rule => self.leaf(Node::Elem(Elem::Hr, Vec::new())),
            // Not enabled by the options above; shown as written if ever.
            Event::InlineMath(t) => self.text(&format!("${t}$")),
            Event::DisplayMath(t) => self.text(&format!("$${t}$$")),
            Event::FootnoteReference(t) => self.text(&format!("[^{t}]")),
            Event::TaskListMarker(done) => self.text(if done { "[x] " } else { "[ ] " }),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        let kind = match tag {
            Tag::Paragraph => Kind::Elem(Elem::P),
            Tag::Heading { level, .. } => Kind::Elem(Elem::Heading(heading_level(level))),
            Tag::BlockQuote(_) => Kind::Elem(Elem::BlockQuote),
            Tag::CodeBlock(_) => Kind::Elem(Elem::Pre),
            Tag::HtmlBlock => Kind::HtmlBlock,
            Tag::List(None) => Kind::Elem(Elem::Ul),
            Tag::List(Some(1)) => Kind::Elem(Elem::Ol(None)),
            Tag::List(Some(n)) => Kind::Elem(Elem::Ol(Some(n))),
            Tag::Item => Kind::Elem(Elem::Li),
            Tag::Emphasis => Kind::Elem(Elem::Em),
            Tag::Strong => Kind::Elem(Elem::Strong),
            Tag::Strikethrough => Kind::Elem(Elem::Del),
            Tag::Link {
                link_type,
                dest_url,
                title,
                ..
            } => {
                // An email autolink's destination is the bare address.
                let dest = if link_type == LinkType::Email {
                    format!("mailto:{dest_url}")
                } else {
                    dest_url.into_string()
                };
                match safe_href(&dest) {
                    Some((href, external)) => Kind::Link {
                        href,
                        external,
                        title: title.into_string(),
                    },
                    None => Kind::Flatten { block: false },
                }
            }
            Tag::Image { .. } => Kind::Image,
            Tag::Subscript | Tag::Superscript => Kind::Flatten { block: false },
            _ => Kind::Flatten { block: true },
        };
        let kind = if kind.is_element() && self.depth >= MAX_DEPTH {
            Kind::Flatten {
                block: kind.is_block(),
            }
        } else {
            kind
        };
        if kind.is_element() {
            self.depth += 1;
        }
        self.stack.push(Frame {
            kind,
            children: Vec::new(),
        });
    }

    fn end(&mut self) {
        if self.stack.len() <= 1 {
            return;
        }
        let Frame { kind, mut children } = self.stack.pop().expect("checked above");
        if kind.is_element() {
            self.depth -= 1;
        }
        match kind {
            Kind::Root => unreachable!("the root frame is never popped here"),
            Kind::Elem(e) => self.leaf(Node::Elem(e, children)),
            Kind::Link {
                href,
                external,
                title,
            } => self.leaf(Node::Link {
                href,
                external,
                title,
                children,
            }),
            Kind::Image => self.text(&format!("[{}]", plain_text(&children))),
            Kind::HtmlBlock => {
                // Each line of an HTML block ends with its line break.
                if let Some(Node::Text(t)) = children.last_mut() {
                    t.truncate(t.trim_end().len());
                }
                self.leaf(Node::Elem(Elem::P, children));
            }
            Kind::Flatten { block } => {
                for n in children {
                    match n {
                        Node::Text(t) => self.text(&t),
                        n => self.leaf(n),
                    }
                }
                if block {
                    self.text(" ");
                }
            }
        }
    }
}

/// Markdown's `#` is the page's `h2`: the page's title is its `h1`.
fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 2,
        HeadingLevel::H2 => 3,
        HeadingLevel::H3 => 4,
        HeadingLevel::H4 => 5,
        HeadingLevel::H5 | HeadingLevel::H6 => 6,
    }
}

fn push_text(out: &mut Vec<Node>, s: &str) {
    if s.is_empty() {
        return;
    }
    if let Some(Node::Text(prev)) = out.last_mut() {
        prev.push_str(s);
    } else {
        out.push(Node::Text(s.to_string()));
    }
}

/// Every text in a tree, concatenated (an image's alt text).
fn plain_text(nodes: &[Node]) -> String {
    let mut s = String::new();
    for n in nodes {
        match n {
            Node::Text(t) | Node::Code(t) => s.push_str(t),
            Node::Elem(Elem::Br, _) => s.push(' '),
            Node::Elem(_, c) | Node::Link { children: c, .. } => s.push_str(&plain_text(c)),
        }
    }
    s
}

/// The `href` to use for a link destination from untrusted text, and
/// whether it is absolute, or `None` when it must not be a link.
///
/// Allowed: `http:` and `https:` (any case), and relative references
/// (`#/scenario/x`, `other.html`, `//host/path`, `?q`). Browsers strip
/// leading and trailing C0 controls and spaces and remove tabs and
/// newlines anywhere before reading a URL's scheme, so this does the same
/// first (`java\tscript:` is `javascript:`) and returns the cleaned string.
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
    matches!(scheme.as_str(), "http" | "https").then_some((cleaned, true))
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

    fn depth(nodes: &[Node]) -> usize {
        nodes
            .iter()
            .map(|n| match n {
                Node::Elem(_, c) | Node::Link { children: c, .. } => 1 + depth(c),
                _ => 0,
            })
            .max()
            .unwrap_or(0)
    }

    /// The elements of rendered output: each tag's name and attributes
    /// (text is escaped, so every `<` starts a tag; attribute values
    /// are quoted and hold no `"`).
    fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
        let mut out = Vec::new();
        let mut rest = html;
        while let Some(i) = rest.find('<') {
            rest = &rest[i + 1..];
            if rest.starts_with('/') {
                continue;
            }
            let name_len = rest
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len());
            let name = rest[..name_len].to_string();
            rest = &rest[name_len..];
            let mut attrs = Vec::new();
            loop {
                rest = rest.trim_start_matches([' ', '/']);
                if rest.is_empty() || rest.starts_with('>') {
                    break;
                }
                let end = rest.find(['=', ' ', '>']).unwrap_or(rest.len());
                let name = rest[..end].to_string();
                rest = &rest[end..];
                let mut value = String::new();
                if let Some(v) = rest.strip_prefix("=\"") {
                    let (v, r) = v.split_once('"').unwrap_or((v, ""));
                    value = v.to_string();
                    rest = r;
                }
                attrs.push((name, value));
            }
            out.push((name, attrs));
        }
        out
    }

    /// Only the allowed elements, with only the attributes the renderer
    /// sets.
    fn assert_only_safe_markup(html: &str, what: &str) {
        for (tag, attrs) in tags(html) {
            assert!(
                ALLOWED_TAGS.contains(&tag.as_str()),
                "{what}: <{tag}> in {html}"
            );
            for (a, v) in attrs {
                assert!(
                    ["href", "title", "target", "rel", "start"].contains(&a.as_str()),
                    "{what}: <{tag} {a}> in {html}"
                );
                if a == "href" {
                    let v = v.replace("&quot;", "\"").replace("&amp;", "&");
                    assert!(safe_href(&v).is_some(), "{what}: href {v:?} in {html}");
                }
            }
        }
    }

    const ALLOWED_TAGS: &[&str] = &[
        "p",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "code",
        "ul",
        "ol",
        "li",
        "em",
        "strong",
        "del",
        "br",
        "hr",
        "a",
    ];

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
        // The HTML block is a paragraph of text, as written.
        assert_eq!(
            nodes[1],
            Node::Elem(
                Elem::P,
                vec![Node::Text("<script>\nalert(2)\n</script>".into())]
            )
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
    fn raw_html_of_every_kind_is_text() {
        for md in [
            "<div onclick=\"alert(1)\">\n*not emphasis*\n</div>",
            "<style>body { display: none }</style>",
            "<!-- a comment -->",
            "<?php echo 1; ?>",
            "<![CDATA[ x ]]>",
            "<!DOCTYPE html>",
            "<iframe src=\"javascript:alert(1)\"></iframe>",
            "a <svg onload=alert(1)></svg> b",
            "> <a href=\"javascript:alert(1)\">quoted</a>",
            "- <b onmouseover=alert(1)>item</b>",
        ] {
            let html = render(md);
            assert_only_safe_markup(&html, md);
            assert!(html.contains("&lt;"), "{md:?}: {html}");
        }
        // The content of an HTML block is not Markdown either.
        assert_eq!(
            text(&parse("<div>\n*not emphasis*\n</div>")),
            "<div>\n*not emphasis*\n</div>"
        );
    }

    #[test]
    fn markdown_images_become_alt_text() {
        for md in [
            "![a diagram](http://tracker.example/x.png)",
            "![a diagram][i]\n\n[i]: http://tracker.example/x.png",
            "![a *diagram*](<http://tracker.example/x.png> \"t\")",
        ] {
            let nodes = parse(md);
            assert_eq!(links(&nodes), Vec::<String>::new(), "{md}");
            assert_eq!(text(&nodes), "[a diagram]", "{md}");
            let html = render(md);
            assert!(!html.contains("<img"), "{md}: {html}");
            assert!(!html.contains("tracker"), "{md}: {html}");
        }
        // An image inside a link: the link stays, the image is its text.
        let nodes = parse("[![logo](https://x/l.png)](https://kernel.org)");
        assert_eq!(links(&nodes), vec!["https://kernel.org"]);
        assert_eq!(text(&nodes), "[logo]");
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
            "[click](blob:https://x/y)",
            "[click](mailto:someone@example.org)",
            "[click][r]\n\n[r]: javascript:alert(1)",
            "[click]\n\n[click]: <javascript:alert(1)> \"t\"",
        ] {
            let nodes = parse(md);
            assert_eq!(links(&nodes), Vec::<String>::new(), "{md}");
            assert_eq!(text(&nodes), "click", "{md}");
            let html = render(md);
            assert!(!html.contains("<a"), "{md}: {html}");
        }
        // An autolink with a refused scheme stays visible as text.
        for (md, shown) in [
            ("<javascript:alert(1)>", "javascript:alert(1)"),
            ("<you@example.org>", "you@example.org"),
            ("<mailto:me@example.org>", "mailto:me@example.org"),
        ] {
            let nodes = parse(md);
            assert_eq!(links(&nodes), Vec::<String>::new(), "{md}");
            assert_eq!(text(&nodes), shown, "{md}");
        }
    }

    #[test]
    fn safe_links_are_links() {
        let nodes = parse(
            "[lkml](https://lore.kernel.org/x \"thread\"), [h](HTTP://a.b), \
             <https://kernel.org>, [next](#/scenario/x), [rel](notes.html), [ref][r]\n\n\
             [r]: https://lwn.net/Articles/1/",
        );
        assert_eq!(
            links(&nodes),
            vec![
                "https://lore.kernel.org/x",
                "HTTP://a.b",
                "https://kernel.org",
                "#/scenario/x",
                "notes.html",
                "https://lwn.net/Articles/1/",
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
        assert_eq!(safe_href("hTTp://x"), Some(("hTTp://x".into(), true)));
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
        assert_eq!(safe_href("mailto:a@b.c"), None);
        assert_eq!(safe_href("ftp://a.b/c"), None);
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
        assert_eq!(
            render("Setext\n======\n\nSub\n---"),
            "<h2>Setext</h2><h3>Sub</h3>"
        );
    }

    #[test]
    fn list_items_with_continuation_lines() {
        let md = "Each policy:\n\n- **linux-5.8** (`warn-eio`): log a warning,\n  carry on.\n- **fail**: the write fails.\n\nAfter.";
        let nodes = parse(md);
        assert_eq!(nodes.len(), 3, "{nodes:?}");
        let Node::Elem(Elem::Ul, items) = &nodes[1] else {
            panic!("{nodes:?}")
        };
        assert_eq!(items.len(), 2);
        assert_eq!(
            text(&items[0..1]),
            "linux-5.8 (warn-eio): log a warning, carry on."
        );
        assert_eq!(
            render("- a\n\n- b"),
            "<ul><li><p>a</p></li><li><p>b</p></li></ul>"
        );
        assert_eq!(
            render("- a\n  - b\n  - c\n- d"),
            "<ul><li>a<ul><li>b</li><li>c</li></ul></li><li>d</li></ul>"
        );
    }

    #[test]
    fn blocks() {
        assert_eq!(
            render("> quoted *text*\nlazy\n\n```toml\n<b>x</b> **y**\n```\n\n---\n\n## Title ##"),
            "<blockquote><p>quoted <em>text</em> lazy</p></blockquote>\
             <pre><code>&lt;b&gt;x&lt;/b&gt; **y**\n</code></pre><hr><h3>Title</h3>"
        );
        assert_eq!(
            render("    indented code\n"),
            "<pre><code>indented code\n</code></pre>"
        );
        assert_eq!(render("a  \nb\\\nc"), "<p>a<br>b<br>c</p>");
        assert_eq!(
            render("***both*** ~~gone~~ __strong__"),
            "<p><em><strong>both</strong></em> <del>gone</del> <strong>strong</strong></p>"
        );
        // No extension but strikethrough: a table is text.
        assert_eq!(render("| a |\n|---|\n| b |"), "<p>| a | |---| | b |</p>");
    }

    #[test]
    fn underscores_inside_words_and_unclosed_delimiters_are_text() {
        assert_eq!(
            text(&parse(
                "dio_warn_stale_pagecache and i_size, 2 * 3 * 4, **open, `tick, [x]("
            )),
            "dio_warn_stale_pagecache and i_size, 2 * 3 * 4, **open, `tick, [x]("
        );
        assert_eq!(
            text(&parse("\\*not em\\* &amp; &#65; &bogus; &#0;")),
            "*not em* & A &bogus; \u{FFFD}"
        );
    }

    #[test]
    fn deep_nesting_is_flattened() {
        for md in [
            ">".repeat(10_000) + " deep",
            "- ".repeat(5_000) + "deep",
            "*".repeat(10_000) + "deep" + &"*".repeat(10_000),
            "[".repeat(10_000) + "deep" + &"](x)".repeat(10_000),
            "~~x ".repeat(5_000) + "deep" + &" y~~".repeat(5_000),
            "> - *a ".repeat(3_000) + "deep",
            "<div>".repeat(10_000) + "deep",
        ] {
            let nodes = parse(&md);
            assert!(depth(&nodes) <= MAX_DEPTH, "{}", depth(&nodes));
            assert!(text(&nodes).contains("deep"));
            assert!(render(&md).contains("deep"));
        }
        // Up to the limit, nothing is lost.
        let nodes = parse(&(">".repeat(MAX_DEPTH - 1) + " q"));
        assert_eq!(depth(&nodes), MAX_DEPTH);
    }

    #[test]
    fn every_bundled_about_renders_without_markdown_left_over() {
        for b in dioscope::library::bundled() {
            let s = b.parse().unwrap();
            let nodes = parse(&s.about);
            let t = text(&nodes);
            assert!(!t.contains("**"), "{}: {t}", b.id());
            assert!(!t.contains('`'), "{}: {t}", b.id());
            assert!(!t.contains("]("), "{}: {t}", b.id());
            // The lead paragraph the list and the page show first.
            assert!(
                matches!(nodes.first(), Some(Node::Elem(Elem::P, _))),
                "{}: {nodes:?}",
                b.id()
            );
        }
    }

    #[test]
    fn any_input_parses_and_renders_without_markup() {
        // A small deterministic fuzz: strings over Markdown's and HTML's
        // special characters, tabs and multi-byte characters never panic,
        // and never produce an element outside the allowed set, an event
        // handler or a link outside http(s) and relative ones.
        let alphabet: Vec<char> = "*_~`[]()<>!#>-+1.)\\&;:/= \t\nahé€😀\"'".chars().collect();
        let pieces = [
            "<script>x</script>",
            "[a](javascript:x)",
            "<img src=x onerror=y>",
            "![i](http://t/x.png)",
            "<a href=\"javascript:x\">",
            "\n\n",
            "\n> ",
            "\n- ",
            "\n```\n",
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..3000 {
            let mut s = String::new();
            let n = (next() % 40) as usize;
            for _ in 0..n {
                let r = next();
                if r % 8 == 0 {
                    s.push_str(pieces[(r / 8 % pieces.len() as u64) as usize]);
                } else {
                    s.push(alphabet[(r / 8 % alphabet.len() as u64) as usize]);
                }
            }
            let html = render(&format!("{s}<script>x</script>[a](javascript:x)"));
            assert_only_safe_markup(&html, &s);
            for href in links(&parse(&s)) {
                assert!(safe_href(&href).is_some(), "{s:?}: {href}");
            }
        }
    }
}
