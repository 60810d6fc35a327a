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
