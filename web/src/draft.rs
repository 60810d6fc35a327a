//! The editor's draft: one scenario text, autosaved in the browser
//! (`localStorage`) at every change, so that a reload loses nothing. Starting
//! another draft (new from the template, a bundled scenario, a link's
//! scenario, an uploaded file) keeps the one it replaces as the previous
//! draft, which the editor offers to go back to.

use dioscope::library;

use crate::browser;

/// Storage keys (versioned: a later format can move on without reading
/// these wrongly).
pub const KEY: &str = "dioscope.draft.v1";
pub const PREVIOUS: &str = "dioscope.draft.v1.previous";

thread_local! {
    static GENERATION: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Changes each time a draft is started or swapped (the editor is keyed by
/// it, so that it reloads the text).
pub fn generation() -> u32 {
    GENERATION.with(|g| g.get())
}

fn bump() {
    GENERATION.with(|g| g.set(g.get().wrapping_add(1)));
}

/// The draft's text: the one saved, else the template.
pub fn text() -> String {
    browser::load(KEY).unwrap_or_else(|| library::TEMPLATE.to_string())
}

/// Saves the draft as it is typed; false if the browser would not keep it
/// (it then lasts as long as the page).
pub fn save(text: &str) -> bool {
    browser::save(KEY, text)
}

/// The previous draft, if there is one different from the current.
pub fn previous() -> Option<String> {
    let p = browser::load(PREVIOUS)?;
    (p != text()).then_some(p)
}

/// Starts a new draft with `text`; the current one becomes the previous.
pub fn replace(text: &str) {
    if let Some(cur) = browser::load(KEY) {
        if cur != text {
            browser::save(PREVIOUS, &cur);
        }
    }
    browser::save(KEY, text);
    bump();
}

/// Goes back to the previous draft (the current one becomes the previous).
pub fn swap() {
    if let Some(p) = previous() {
        let cur = text();
        browser::save(PREVIOUS, &cur);
        browser::save(KEY, &p);
        bump();
    }
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
    }
}
