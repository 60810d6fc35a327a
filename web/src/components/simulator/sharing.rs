//! Sharing a run: Copy link, Copy as text (the email text), the SVG
//! download, and the panel that shows what was copied (selected for
//! Ctrl+C when the browser keeps the clipboard from the page). The link,
//! the text and the SVG are the core's (see `crate::share`).

use yew::html::Scope;
use yew::prelude::*;

use super::{Msg, Simulator};
use crate::session::Simulation;
use crate::{browser, share};

pub enum ShareMsg {
    CopyLink,
    CopyText,
    Svg,
    /// The clipboard took copy number n (or not).
    Copied(u32, bool),
    Close,
}

/// What the share panel shows: the text last copied, and whether the
/// clipboard took it (if not, the text is selected for Ctrl+C).
struct Shared {
    what: &'static str,
    text: String,
    /// None while the clipboard has not answered.
    copied: Option<bool>,
    /// Which copy this is (an answer for an older one is ignored).
    n: u32,
}

#[derive(Default)]
pub struct SharePanel {
    shared: Option<Shared>,
    /// A message about sharing (a run too long for a link, ...).
    error: Option<String>,
    node: NodeRef,
    copies: u32,
    /// Select the shared text after the next render (the clipboard
    /// refused it: the user copies it by hand).
    select: bool,
}

impl SharePanel {
    /// Hides the panel (the scenario changed).
    pub fn close(&mut self) {
        self.shared = None;
        self.error = None;
    }

    /// Whether the view changes. `stem`: the scenario's file name stem.
    pub fn update(
        &mut self,
        sim: &Simulation,
        link: &Scope<Simulator>,
        stem: &str,
        msg: ShareMsg,
    ) -> bool {
        match msg {
            ShareMsg::CopyLink => {
                let url = share::link_at(sim, &browser::base_url(), sim.cursor);
                self.copy(link, "link", url);
            }
            ShareMsg::CopyText => {
                let text = share::email_link(sim, &browser::base_url())
                    .map(|url| share::email(sim, Some(&url)));
                self.copy(link, "text", text);
            }
            ShareMsg::Svg => {
                let name = format!("{stem}-{}.svg", sim.choice.preset);
                self.shared = None;
                self.error = (!browser::download(&name, "image/svg+xml", &share::svg(sim)))
                    .then(|| "This browser did not start the download.".to_string());
            }
            ShareMsg::Copied(n, ok) => match &mut self.shared {
                Some(sh) if sh.n == n => {
                    sh.copied = Some(ok);
                    self.select = !ok;
                }
                _ => return false,
            },
            ShareMsg::Close => self.close(),
        }
        true
    }

    /// Copies `text` (a link or the email text) and shows it.
    fn copy(&mut self, link: &Scope<Simulator>, what: &'static str, text: Result<String, String>) {
        match text {
            Ok(text) => {
                self.copies += 1;
                let n = self.copies;
                let link = link.clone();
                browser::copy(&text, move |ok| {
                    link.send_message(Msg::Share(ShareMsg::Copied(n, ok)))
                });
                self.shared = Some(Shared {
                    what,
                    text,
                    copied: None,
                    n,
                });
                self.error = None;
            }
            Err(e) => {
                self.shared = None;
                self.error = Some(e);
            }
        }
    }

    /// After a render: text the clipboard did not take is selected, for
    /// Ctrl+C.
    pub fn rendered(&mut self) {
        if std::mem::take(&mut self.select) {
            if let Some(el) = self.node.cast::<web_sys::HtmlInputElement>() {
                let _ = el.focus();
                el.select();
            } else if let Some(el) = self.node.cast::<web_sys::HtmlTextAreaElement>() {
                let _ = el.focus();
                el.select();
            }
        }
    }

    /// The buttons (in the policy bar).
    pub fn buttons(link: &Scope<Simulator>) -> Html {
        let on = |m: fn() -> ShareMsg| link.callback(move |_| Msg::Share(m()));
        html! {
            <span class="share-btns">
                <button onclick={on(|| ShareMsg::CopyLink)} data-testid="copy-link"
                    title="a link that reopens this run: scenario, policy, schedule, step and comparison">{"Copy link"}</button>
                <button onclick={on(|| ShareMsg::CopyText)} data-testid="copy-text"
                    title="the run as plain text for an email (72 columns), with its link">{"Copy as text"}</button>
                <button onclick={on(|| ShareMsg::Svg)} data-testid="download-svg"
                    title="the timeline as an SVG image, for slides">{"SVG ↓"}</button>
            </span>
        }
    }

    /// What was copied (or why nothing was).
    pub fn view(&self, link: &Scope<Simulator>) -> Html {
        let close = html! {
            <button class="close" onclick={link.callback(|_| Msg::Share(ShareMsg::Close))} aria-label="close" title="close">{"×"}</button>
        };
        if let Some(e) = &self.error {
            return html! {
                <div class="share-out error" data-testid="share-out" role="alert">
                    <p>{e.clone()}</p>{close}
                </div>
            };
        }
        let Some(sh) = &self.shared else {
            return Html::default();
        };
        let what = if sh.what == "link" {
            "The link"
        } else {
            "The text"
        };
        let (state, msg) = match sh.copied {
            None => ("pending", format!("{what}: copying…")),
            Some(true) => ("yes", format!("{what} is copied to the clipboard.")),
            Some(false) => (
                "no",
                format!("{what} is below, selected: the browser did not let the page use the clipboard, so press Ctrl+C (⌘C) to copy it."),
            ),
        };
        let field = if sh.what == "link" {
            html! { <input ref={self.node.clone()} class="share-text" readonly=true value={sh.text.clone()}
            data-testid="share-text" aria-label="the link" /> }
        } else {
            let rows = sh.text.lines().count().clamp(4, 18);
            html! { <textarea ref={self.node.clone()} class="share-text email" readonly=true rows={rows.to_string()}
            cols="74" wrap="off" data-testid="share-text" aria-label="the text for an email" value={sh.text.clone()} /> }
        };
        html! {
            <div class="share-out" data-testid="share-out" data-what={sh.what} data-copied={state} aria-live="polite">
                <p>{msg}</p>{close}
                {field}
            </div>
        }
    }
}
