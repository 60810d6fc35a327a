//! The editor's draft: one scenario text, autosaved in the browser
//! (`localStorage`) at every change, so that a reload loses nothing.
//!
//! Nothing the user wrote is dropped without a trace. Starting another
//! draft (new from the template, a bundled scenario, a link's scenario,
//! an uploaded file) keeps the one it replaces among the earlier drafts,
//! newest first, up to [`KEPT`]; so does a save that finds the stored
//! draft changed by another tab. The editor's "Back to the previous
//! draft" goes through them in turn, the current one joining the end, so
//! it comes round again. When the list is full, an untouched template or
//! bundled scenario goes before any text the user wrote (a click brings
//! those back). (It was one draft deep: a second upload, or a second tab
//! typing, lost the user's text; the browser fuzz of stop 24.)

use std::cell::RefCell;

use dioscope::library;

use crate::browser;

/// Storage keys (versioned: a later format can move on without reading
/// these wrongly).
pub const KEY: &str = "dioscope.draft.v1";
/// The earlier drafts, newest first, separated by [`SEP`].
pub const EARLIER: &str = "dioscope.draft.v1.earlier";
/// A control character TOML does not allow anywhere: no scenario has it.
const SEP: char = '\u{1e}';
/// Where one earlier draft was kept before [`EARLIER`]; still read.
pub const PREVIOUS: &str = "dioscope.draft.v1.previous";

/// The draft being checked and run, until the page has drawn it. Still
/// set when the page loads again, it stopped the page (a bug in dioscope),
/// and it is not run again until it is changed: else every visit to the
/// editor would stop again, and the text could only be had by clearing
/// the browser's storage (the browser fuzz of stop 24 found such a draft).
pub const RUNNING: &str = "dioscope.draft.v1.running";

/// Earlier drafts kept.
pub const KEPT: usize = 10;

thread_local! {
    static GENERATION: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    /// The draft as this page last read or wrote it: a stored draft that
    /// differs was written by another tab.
    static MINE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Changes each time a draft is started or swapped (the editor is keyed by
/// it, so that it reloads the text).
pub fn generation() -> u32 {
    GENERATION.with(|g| g.get())
}

fn bump() {
    GENERATION.with(|g| g.set(g.get().wrapping_add(1)));
}

fn mine(text: &str) {
    MINE.with(|m| *m.borrow_mut() = Some(text.to_string()));
}

/// The draft's text: the one saved, else the template.
pub fn text() -> String {
    let t = browser::load(KEY).unwrap_or_else(|| library::TEMPLATE.to_string());
    mine(&t);
    t
}

/// Saves the draft as it is typed; false if the browser would not keep it
/// (it then lasts as long as the page). A draft another tab stored since
/// this page read it is kept as an earlier draft first.
pub fn save(text: &str) -> bool {
    if let Some(stored) = browser::load(KEY) {
        let theirs = MINE.with(|m| m.borrow().as_deref() != Some(stored.as_str()));
        if theirs && stored != text {
            keep(&stored);
        }
    }
    mine(text);
    browser::save(KEY, text)
}

/// Whether `text` is the user's work, which only this storage holds.
fn is_work(text: &str) -> bool {
    !text.trim().is_empty()
        && text != library::TEMPLATE
        && !library::bundled().any(|b| b.text == text)
}

/// The earlier drafts, newest first.
pub fn earlier() -> Vec<String> {
    browser::load(EARLIER)
        .or_else(|| browser::load(PREVIOUS))
        .unwrap_or_default()
        .split(SEP)
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect()
}

fn set_earlier(drafts: &[String]) {
    browser::save(EARLIER, &drafts.join("\u{1e}"));
}

/// Keeps `text` as the newest earlier draft (once).
fn keep(text: &str) {
    // (a text with the separator is not a scenario, but it is kept too)
    let text = text.replace(SEP, "\u{fffd}");
    if !text.trim().is_empty() {
        let mut v = earlier();
        v.retain(|t| *t != text);
        v.insert(0, text);
        trim(&mut v);
        set_earlier(&v);
    }
}

/// At most [`KEPT`]: the oldest that is not work goes first.
fn trim(v: &mut Vec<String>) {
    while v.len() > KEPT {
        let i = v.iter().rposition(|t| !is_work(t)).unwrap_or(v.len() - 1);
        v.remove(i);
    }
}

/// The earlier draft "Back to the previous draft" goes to, if any.
pub fn previous() -> Option<String> {
    let cur = browser::load(KEY);
    earlier().into_iter().find(|p| Some(p) != cur.as_ref())
}

/// Starts a new draft with `text`; the current one is kept.
pub fn replace(text: &str) {
    if let Some(cur) = browser::load(KEY) {
        if cur != text {
            keep(&cur);
        }
    }
    mine(text);
    browser::save(KEY, text);
    bump();
}

/// Goes back to the previous draft; the current one joins the end of the
/// earlier drafts, so that going back again and again comes round to it.
pub fn swap() {
    let Some(p) = previous() else {
        return;
    };
    let cur = text();
    let mut v = earlier();
    v.retain(|t| *t != p && *t != cur);
    v.push(cur.replace(SEP, "\u{fffd}"));
    trim(&mut v);
    set_earlier(&v);
    mine(&p);
    browser::save(KEY, &p);
    bump();
}

/// Marks `text` as being checked and run; [`ran`] once it is drawn.
pub fn running(text: &str) {
    browser::save(RUNNING, text);
}

pub fn ran() {
    browser::save(RUNNING, "");
}

/// Whether `text` stopped the page the last time it ran.
pub fn stopped_the_page(text: &str) -> bool {
    browser::load(RUNNING).as_deref() == Some(text)
}

/// The text `#/edit/<from>` starts from: `new` is the template, else a
/// bundled scenario by id.
pub fn source(from: &str) -> Option<&'static str> {
    if from == "new" {
        Some(library::TEMPLATE)
    } else {
        library::find(from).map(|b| b.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_are_kept_and_the_previous_one_too() {
        // Natively the browser's storage is the page's memory.
        assert_eq!(text(), library::TEMPLATE, "no draft yet: the template");
        assert_eq!(previous(), None);
        let g = generation();
        save("title = \"mine\"");
        assert_eq!(text(), "title = \"mine\"");
        let bundled = source("dio-write-vs-mmap-store").unwrap();
        replace(bundled);
        assert_ne!(generation(), g);
        assert_eq!(text(), bundled);
        assert_eq!(previous().as_deref(), Some("title = \"mine\""));
        swap();
        assert_eq!(text(), "title = \"mine\"");
        assert_eq!(previous().as_deref(), Some(bundled));
        // Starting the same text again keeps the previous one.
        replace("title = \"mine\"");
        assert_eq!(previous().as_deref(), Some(bundled));
        assert_eq!(source("new"), Some(library::TEMPLATE));
        assert_eq!(source("no-such-scenario"), None);

        // Two uploads, two templates, two links in a row: every text the
        // user wrote is still there, newest first, and "Back" goes
        // through them all and comes round.
        save("title = \"one\"");
        replace("title = \"two\"");
        replace(library::TEMPLATE);
        save("title = \"three\"");
        replace(library::TEMPLATE);
        replace(bundled);
        assert_eq!(text(), bundled);
        // ("mine" was typed over in place: that is editing, not a new
        // draft; the template is kept once)
        let t = library::TEMPLATE;
        let all = [t, "title = \"three\"", "title = \"two\"", "title = \"one\""];
        assert_eq!(earlier()[..4], all);
        let mut seen = Vec::new();
        for _ in 0..4 {
            swap();
            seen.push(text());
        }
        assert_eq!(seen, all);
        swap();
        assert_eq!(text(), bundled, "round again");

        // Another tab stored its draft since this page read the draft:
        // this page's next keystroke keeps the other tab's text.
        browser::save(KEY, "title = \"other tab\"");
        save("title = \"three!\"");
        assert_eq!(text(), "title = \"three!\"");
        assert_eq!(earlier()[0], "title = \"other tab\"");
        // At most KEPT are kept: the untouched ones go first, then the
        // oldest.
        assert!(earlier().iter().any(|e| e == t));
        for i in 0..KEPT + 3 {
            replace(&format!("title = \"n{i}\""));
        }
        let e = earlier();
        assert_eq!(e.len(), KEPT);
        assert_eq!(e[0], format!("title = \"n{}\"", KEPT + 1));
        assert!(!e.iter().any(|x| x == t || x == bundled), "{e:?}");
    }

    #[test]
    fn a_draft_that_stopped_the_page_is_known_until_it_ran() {
        running("title = \"x\"");
        assert!(stopped_the_page("title = \"x\""));
        assert!(!stopped_the_page("title = \"y\""));
        ran();
        assert!(!stopped_the_page("title = \"x\""));
    }

    #[test]
    fn an_earlier_draft_stored_before_the_list_existed_is_read() {
        browser::save(PREVIOUS, "title = \"old\"");
        assert_eq!(earlier(), ["title = \"old\""]);
        replace("title = \"new\"");
        swap();
        assert_eq!(text(), "title = \"old\"");
        assert_eq!(previous().as_deref(), Some("title = \"new\""));
    }
}
