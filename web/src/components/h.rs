//! Compact element builders for views drawn many times over (cells,
//! badges, rows). Each `html!` element expands into a few hundred bytes of
//! wasm at every place it is written; these are plain, non-generic
//! functions, so each use is a call. Used where it keeps the download
//! under budget; `html!` stays where it reads better (listeners, the
//! page's skeleton).
//!
//! Text is always set as text (a `VText`), never parsed as HTML.

use yew::virtual_dom::{VNode, VTag, VText};
use yew::{AttrValue, Html};

/// `<tag class=…>kids</tag>`; an empty class is left out.
pub fn el(tag: &'static str, class: AttrValue, kids: Vec<Html>) -> Html {
    let mut t = VTag::new(AttrValue::Static(tag));
    if !class.is_empty() {
        t.add_attribute("class", class);
    }
    t.add_children(kids);
    t.into()
}

/// `<tag class=…>text</tag>`.
pub fn el_t(tag: &'static str, class: &'static str, text: AttrValue) -> Html {
    el(tag, AttrValue::Static(class), vec![VText::new(text).into()])
}

/// Static text.
pub fn t(s: &'static str) -> Html {
    VText::new(AttrValue::Static(s)).into()
}

/// Text made at run time.
pub fn ts(s: String) -> Html {
    VText::new(AttrValue::from(s)).into()
}

/// Sets an attribute on an element built here (no-op on anything else).
pub fn attr(mut h: Html, key: &'static str, value: AttrValue) -> Html {
    if let VNode::VTag(tag) = &mut h {
        std::rc::Rc::make_mut(tag).add_attribute(key, value);
    }
    h
}

/// A class list: `base`, then each `(on, class)` that is on.
pub fn cls(base: &'static str, extra: &[(bool, &'static str)]) -> AttrValue {
    if extra.iter().all(|(on, _)| !on) {
        return AttrValue::Static(base);
    }
    let mut s = String::from(base);
    for (on, c) in extra {
        if *on {
            s.push(' ');
            s.push_str(c);
        }
    }
    AttrValue::from(s)
}

/// A list of nodes (a fragment).
pub fn list(kids: Vec<Html>) -> Html {
    kids.into_iter().collect()
}
