//! The vendored pulldown-cmark (vendor/pulldown-cmark, DIOSCOPE-PATCH.md)
//! packs its HTML entity table; these check named entities through the
//! public parser, as the about texts use them.

use pulldown_cmark::{Event, Parser};

fn text_of(md: &str) -> String {
    Parser::new(md)
        .filter_map(|e| match e {
            Event::Text(t) => Some(t.into_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn named_entities_expand_as_commonmark_says() {
    assert_eq!(text_of("&amp; &copy; &AElig; &Dcaron;"), "& © Æ Ď");
    assert_eq!(text_of("&frac34; &HilbertSpace; &DifferentialD;"), "¾ ℋ ⅆ");
    assert_eq!(text_of("&ngE; &fjlig; &zwnj;"), "≧̸ fj \u{200c}");
    assert_eq!(text_of("&mdash;&hellip;&rarr;"), "—…→");
}

#[test]
fn unknown_names_stay_as_written() {
    assert_eq!(
        text_of("&MadeUpEntity; &x; &zzzz;"),
        "&MadeUpEntity; &x; &zzzz;"
    );
    assert_eq!(text_of("&copy"), "&copy");
}

#[test]
fn only_strikethrough_is_built_in_and_it_still_works() {
    // vendor/pulldown-cmark without its `extensions` feature: the options
    // the app never passes are compiled out (DIOSCOPE-PATCH.md)
    use pulldown_cmark::{Options, Tag};
    let md = "~~gone~~\n\n| a | b |\n|---|---|\n| 1 | 2 |\n";
    let all = Parser::new_ext(md, Options::all()).collect::<Vec<_>>();
    assert!(all
        .iter()
        .any(|e| matches!(e, Event::Start(Tag::Strikethrough))));
    assert!(!all.iter().any(|e| matches!(e, Event::Start(Tag::Table(_)))));
}

#[test]
fn reference_links_match_their_labels_ignoring_ascii_case() {
    // without `extensions`, labels fold ASCII case only (DIOSCOPE-PATCH.md)
    use pulldown_cmark::{LinkType, Tag};
    let md = "see [the thread][LKML 2020-07] and [that][lkml 2020-07]\n\n[lkml 2020-07]: https://lore.kernel.org/x\n";
    let links: Vec<String> = Parser::new(md)
        .filter_map(|e| match e {
            Event::Start(Tag::Link {
                link_type: LinkType::Reference,
                dest_url,
                ..
            }) => Some(dest_url.into_string()),
            _ => None,
        })
        .collect();
    assert_eq!(
        links,
        ["https://lore.kernel.org/x", "https://lore.kernel.org/x"]
    );
    assert_eq!(text_of("[x][NOPE]\n\n[nope]: /y\n[other]: /z\n"), "x");
}
