//! `#/edit`: the scenario editor. A plain textarea over the draft (see
//! `draft.rs`: autosaved in the browser), checked as you type by the core's
//! `scenario::parse` (debounced); an error is shown at its line (a marker
//! in the gutter, the line highlighted, the columns underlined, the message
//! beside it) and in full below, with its hint. The run under the editor
//! follows the last text that was valid. Upload and download of `.toml`
//! files; a share link carries the text itself.

use std::rc::Rc;

use dioscope::scenario::{self, limits, ScenarioError};
use dioscope::Scenario;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::components::scenario_page::about;
use crate::components::simulator::Simulator;
use crate::components::tags::Tags;
use crate::route::Route;
use crate::{browser, draft, share};

/// Milliseconds of quiet typing before the text is checked.
pub const DEBOUNCE_MS: i32 = 250;
/// The name of the draft in messages.
pub const FILE: &str = "draft.toml";

pub enum Msg {
    Input(String),
    Check(u32),
    Scroll,
    Upload,
    Uploaded(String, Result<String, String>),
    Download,
    Previous,
    /// Select the error's text in the textarea.
    GoToError,
}

pub struct Editor {
    text: String,
    /// Changes at every input (a check is for the text of its input).
    input: u32,
    /// What checking the text gave, once checked.
    checked: Option<Result<Rc<Scenario>, ScenarioError>>,
    /// The last valid scenario: the run shows it.
    last_ok: Option<Rc<Scenario>>,
    /// The draft is kept by the browser (false: only while the page lives).
    saved: bool,
    /// What an upload or download said.
    notice: Option<(bool, String)>,
    /// A check was marked as running ([`draft::running`]) and not yet drawn.
    running: bool,
    text_ref: NodeRef,
    gutter_ref: NodeRef,
    back_ref: NodeRef,
    file_ref: NodeRef,
}

fn check(text: &str) -> Result<Rc<Scenario>, ScenarioError> {
    scenario::parse(FILE, text).map(Rc::new)
}

/// Where an error is drawn: its line (0-based), and its columns as the
/// textarea shows them (tabs to the next multiple of 4).
fn spot(e: &ScenarioError) -> Option<(usize, usize, usize)> {
    if e.line == 0 {
        return None;
    }
    let mut vis = 0;
    let (col, len) = (e.col.max(1) as usize - 1, e.len.max(1) as usize);
    let mut start = 0;
    for (i, c) in e.source_line.chars().enumerate() {
        if i == col {
            start = vis;
        }
        vis = if c == '\t' {
            (vis / 4 + 1) * 4
        } else {
            vis + 1
        };
    }
    if col >= e.source_line.chars().count() {
        start = vis + col - e.source_line.chars().count();
    }
    Some((e.line as usize - 1, start, len))
}

/// The textarea selection (UTF-16 offsets) of an error's span.
fn selection(text: &str, e: &ScenarioError) -> Option<(u32, u32)> {
    if e.line == 0 {
        return None;
    }
    let mut off = 0usize;
    for (i, line) in text.split('\n').enumerate() {
        if i + 1 == e.line as usize {
            let before: usize = line
                .chars()
                .take(e.col.max(1) as usize - 1)
                .map(char::len_utf16)
                .sum();
            let span: usize = line
                .chars()
                .skip(e.col.max(1) as usize - 1)
                .take(e.len.max(1) as usize)
                .map(char::len_utf16)
                .sum();
            let a = off + before;
            return Some((a as u32, (a + span.max(1)) as u32));
        }
        off += line.encode_utf16().count() + 1;
    }
    None
}

/// What a file the user chose holds, or why it cannot be a scenario.
pub fn accept_upload(name: &str, size: f64, text: Option<&str>) -> Result<String, String> {
    if size > limits::MAX_TEXT as f64 {
        return Err(format!(
            "{name} is {} KB; a scenario is at most {} KB (a few tasks of a few ops).",
            (size / 1024.0).ceil() as u64,
            limits::MAX_TEXT / 1024
        ));
    }
    let Some(text) = text else {
        return Err(format!("{name} could not be read."));
    };
    if text.contains('\0') || text.contains('\u{FFFD}') {
        return Err(format!(
            "{name} is not a text file (a scenario is TOML text in UTF-8)."
        ));
    }
    Ok(text.to_string())
}

impl Editor {
    fn set_text(&mut self, ctx: &Context<Self>, text: String, now: bool) {
        self.saved = draft::save(&text);
        self.text = text;
        self.input = self.input.wrapping_add(1);
        if now {
            self.check_now();
        } else {
            let n = self.input;
            let link = ctx.link().clone();
            let f = Closure::once_into_js(move || link.send_message(Msg::Check(n)));
            if let Some(w) = browser::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_1(
                    f.unchecked_ref(),
                    DEBOUNCE_MS,
                    &wasm_bindgen::JsValue::UNDEFINED,
                );
            }
        }
    }

    fn check_now(&mut self) {
        draft::running(&self.text);
        self.running = true;
        let r = check(&self.text);
        if let Ok(sc) = &r {
            if self.last_ok.as_deref() != Some(sc) {
                self.last_ok = Some(sc.clone());
            }
        }
        self.checked = Some(r);
    }

    /// Keeps the gutter and the highlight under the text as it scrolls.
    fn sync_scroll(&self) {
        let Some(ta) = self.text_ref.cast::<web_sys::HtmlTextAreaElement>() else {
            return;
        };
        let (top, left) = (ta.scroll_top(), ta.scroll_left());
        for (r, x) in [(&self.gutter_ref, 0), (&self.back_ref, left)] {
            if let Some(el) = r.cast::<web_sys::HtmlElement>() {
                let _ = el
                    .style()
                    .set_property("transform", &format!("translate({}px, {}px)", -x, -top));
            }
        }
    }

    fn error(&self) -> Option<&ScenarioError> {
        self.checked.as_ref().and_then(|r| r.as_ref().err())
    }

    fn status(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        match &self.checked {
            None => {
                html! { <p class="ed-status quiet" data-testid="editor-status" data-state="checking">{"Checking…"}</p> }
            }
            Some(Ok(sc)) => {
                let ops: usize = sc.tasks.iter().map(|t| t.ops.len()).sum();
                html! {
                    <p class="ed-status ok" data-testid="editor-status" data-state="ok">
                        <b>{"✓ Valid."}</b>{format!(" {} task{}, {ops} op{}, {} on {}, preset {}. The run below follows the text.",
                            sc.tasks.len(), if sc.tasks.len() == 1 { "" } else { "s" },
                            if ops == 1 { "" } else { "s" },
                            sc.setup.fs.name(), sc.setup.on_disk.name(), sc.setup.preset)}
                    </p>
                }
            }
            Some(Err(e)) => html! {
                <div class="ed-status bad" data-testid="editor-error" data-state="error"
                    data-line={e.line.to_string()} data-col={e.col.to_string()} role="alert">
                    <p class="ed-where">
                        if e.line > 0 {
                            <button class="linklike" onclick={link.callback(|_| Msg::GoToError)} data-testid="editor-goto"
                                title="select it in the text">{format!("Line {}, column {}", e.line, e.col)}</button>{": "}
                        }
                        <b data-testid="editor-error-msg">{e.msg.clone()}</b>
                    </p>
                    if let Some(h) = &e.hint { <p class="ed-hint" data-testid="editor-error-hint">{"Hint: "}{h.clone()}</p> }
                    <pre class="error">{e.to_string()}</pre>
                    if self.last_ok.is_some() {
                        <p class="quiet">{"The run below is of the last valid text."}</p>
                    }
                </div>
            },
        }
    }
}

/// What the ops are, for whoever writes a scenario (docs/scenario-format.md;
/// one text: cheaper in the download than an element per op).
const OPS: &str = "\
read R [direct] [dontcache]       a read(2) of pages R (P or P-Q)
write R [direct] [dsync]          a write(2)
        [dontcache] [uncached]
mmap-read P, mmap-write P         a load or a store through a
                                  shared mapping
read R direct into-mmap P         direct I/O into, or from, this
write R direct from-mmap P        task's own mapping (GUP)
fsync, fdatasync, sync-range R    data integrity
truncate N, punch R, falloc R     the file's size and extents
writeback, reclaim [R]            the kernel's work, on demand
fail-writes R, crash              a device error; a power failure";

impl Component for Editor {
    type Message = Msg;
    type Properties = ();

    fn create(_ctx: &Context<Self>) -> Self {
        let text = draft::text();
        let stopped = draft::stopped_the_page(&text);
        let mut e = Editor {
            text,
            input: 0,
            checked: None,
            last_ok: None,
            saved: true,
            running: false,
            notice: stopped.then(|| (true, "This draft stopped dioscope the last time it ran (a bug: please report it with the text). Your text is here; it runs again once you change it.".to_string())),
            text_ref: NodeRef::default(),
            gutter_ref: NodeRef::default(),
            back_ref: NodeRef::default(),
            file_ref: NodeRef::default(),
        };
        if !stopped {
            e.check_now();
        }
        e
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Input(t) => {
                self.set_text(ctx, t, false);
                // The text is the textarea's own; redraw only the line count.
                return self.checked.is_some();
            }
            Msg::Check(n) => {
                if n != self.input {
                    return false;
                }
                self.check_now();
            }
            Msg::Scroll => {
                self.sync_scroll();
                return false;
            }
            Msg::Upload => {
                let input = self.file_ref.cast::<web_sys::HtmlInputElement>();
                let file = input
                    .as_ref()
                    .and_then(|i| i.files())
                    .and_then(|f| f.get(0));
                let (Some(input), Some(file)) = (input, file) else {
                    return false;
                };
                // The same file can be chosen again.
                input.set_value("");
                let name = file.name();
                if let Err(e) = accept_upload(&name, file.size(), Some("")) {
                    self.notice = Some((true, e));
                    return true;
                }
                let link = ctx.link().clone();
                browser::read_text(&file, move |r| {
                    let r = accept_upload(&name, 0.0, r.as_deref().ok());
                    link.send_message(Msg::Uploaded(name.clone(), r));
                });
            }
            Msg::Uploaded(name, r) => match r {
                Ok(text) => {
                    draft::replace(&text);
                    self.set_text(ctx, text, true);
                    self.notice = Some((false, format!("Opened {name}; your previous draft is kept (see “Back to the previous draft”).")));
                }
                Err(e) => self.notice = Some((true, e)),
            },
            Msg::Download => {
                let title = self
                    .last_ok
                    .as_ref()
                    .map(|s| s.title.clone())
                    .unwrap_or_default();
                let name = format!("{}.toml", share::file_stem("", &title));
                self.notice = (!browser::download(&name, "application/toml", &self.text))
                    .then(|| (true, "This browser did not start the download.".to_string()));
            }
            Msg::Previous => {
                draft::swap();
                let t = draft::text();
                self.set_text(ctx, t, true);
                self.notice = None;
            }
            Msg::GoToError => {
                let Some(e) = self.error() else {
                    return false;
                };
                let sel = selection(&self.text, e);
                if let (Some((a, b)), Some(ta)) =
                    (sel, self.text_ref.cast::<web_sys::HtmlTextAreaElement>())
                {
                    let _ = ta.focus();
                    let _ = ta.set_selection_range(a, b);
                    // Bring the line to the middle (the browser does not
                    // scroll to a selection made by a script): where the
                    // highlight of that line is drawn.
                    let band = self
                        .back_ref
                        .cast::<web_sys::Element>()
                        .and_then(|b| b.first_element_child())
                        .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok());
                    if let Some(band) = band {
                        ta.set_scroll_top((band.offset_top() - ta.client_height() / 2).max(0));
                    }
                    self.sync_scroll();
                }
                return false;
            }
        }
        true
    }

    fn rendered(&mut self, _ctx: &Context<Self>, _first: bool) {
        self.sync_scroll();
        // the run is drawn (a panic would not get here)
        if std::mem::take(&mut self.running) {
            browser::after_task(draft::ran);
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let lines = self.text.split('\n').count().max(1);
        let mut numbers = String::with_capacity(lines * 4);
        for i in 1..=lines {
            numbers.push_str(&i.to_string());
            numbers.push('\n');
        }
        let err = self.error();
        let spot = err.and_then(spot);
        let mark = match (err, spot) {
            (Some(e), Some((line, start, len))) => {
                let top = format!("--l: {line}");
                let line_len = e.source_line.chars().count();
                html! {
                    <>
                        <div class="ed-band" style={top} data-testid="editor-error-line" data-line={(line + 1).to_string()}>
                            <span class="ed-squiggle" style={format!("--c: {start}; --n: {len}")}></span>
                            <span class="ed-inline" style={format!("--c: {}", line_len.max(start + len) + 3)}>{"◀ "}{e.msg.clone()}</span>
                        </div>
                    </>
                }
            }
            _ => Html::default(),
        };
        let gutter_mark = match (err, spot) {
            (Some(e), Some((line, _, _))) => html! {
                <span class="ed-mark" style={format!("--l: {line}")} title={e.msg.clone()} data-testid="editor-gutter-mark"
                    data-line={(line + 1).to_string()}>{"●"}</span>
            },
            _ => Html::default(),
        };
        let oninput = link.callback(|e: InputEvent| {
            let el: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            Msg::Input(el.value())
        });
        let upload_click = {
            let r = self.file_ref.clone();
            Callback::from(move |_| {
                if let Some(i) = r.cast::<web_sys::HtmlInputElement>() {
                    i.click();
                }
            })
        };
        let previous = draft::previous().is_some();
        let stale = !matches!(self.checked, Some(Ok(_)));
        let run = match &self.last_ok {
            Some(sc) => html! {
                <section class={classes!("ed-run", stale.then_some("stale"))} data-testid="editor-run" aria-label="the scenario's run">
                    <div class="title-row">
                        <h2 class="page-title" data-testid="scenario-title">{sc.title.clone()}</h2>
                        <Tags tags={sc.tags.clone()} />
                    </div>
                    { about(&sc.about) }
                    <Simulator scenario={sc.clone()} id="" />
                </section>
            },
            None => {
                html! { <p class="quiet">{"The run appears here once the text is a valid scenario."}</p> }
            }
        };
        html! {
            <main class="wide editor-page" data-testid="editor-page">
                <div class="title-row">
                    <a class="back" href={Route::List.href()}>{"← All scenarios"}</a>
                    <h1 class="page-title">{"Scenario editor"}</h1>
                </div>
                <div class="ed-toolbar">
                    <a class="button-link" href={Route::Edit(Some("new".into())).href()} data-testid="editor-new"
                        title="start a new draft from a commented template (this one is kept as the previous draft)">{"New from template"}</a>
                    <button class="button-link" onclick={upload_click} data-testid="editor-upload-button"
                        title={format!("open a .toml file (at most {} KB)", limits::MAX_TEXT / 1024)}>{"Upload .toml"}</button>
                    <input ref={self.file_ref.clone()} type="file" accept=".toml,text/plain,application/toml" class="visually-hidden"
                        onchange={link.callback(|_| Msg::Upload)} data-testid="editor-upload" tabindex="-1" aria-hidden="true" />
                    <button class="button-link" onclick={link.callback(|_| Msg::Download)} data-testid="editor-download"
                        title="save the text as a .toml file">{"Download .toml"}</button>
                    if previous {
                        <button class="button-link" onclick={link.callback(|_| Msg::Previous)} data-testid="editor-previous"
                            title="go back through the earlier drafts kept in this browser; this one is kept too">{"↩ Back to the previous draft"}</button>
                    }
                    <span class="ed-saved" data-testid="editor-saved">
                        { if self.saved { "Saved in this browser as you type." } else { "Not saved: this browser does not let the page keep it. Download it to keep it." } }
                    </span>
                </div>
                if let Some((bad, n)) = &self.notice {
                    <p class={classes!("ed-notice", bad.then_some("bad"))} data-testid="editor-notice" role="status">{n.clone()}</p>
                }
                <div class="ed-wrap">
                    <div class="ed" style={format!("--lines: {lines}")}>
                        <div class="ed-gutter" aria-hidden="true">
                            <div class="ed-inner" ref={self.gutter_ref.clone()}>
                                <pre class="ed-lines">{numbers}</pre>
                                {gutter_mark}
                            </div>
                        </div>
                        <div class="ed-back" aria-hidden="true">
                            <div class="ed-inner" ref={self.back_ref.clone()}>{mark}</div>
                        </div>
                        <textarea ref={self.text_ref.clone()} class="ed-text" value={self.text.clone()} {oninput}
                            onscroll={link.callback(|_| Msg::Scroll)} spellcheck="false" wrap="off"
                            autocapitalize="off" autocomplete="off" aria-label="the scenario, in TOML"
                            data-testid="editor-text" />
                    </div>
                    <aside class="ed-side">
                        { self.status(ctx) }
                        <details class="ed-help">
                            <summary>{"Ops a task can do"}</summary>
                            <pre>{OPS}</pre>
                            <p class="quiet">{"The policy menu under the text lists the presets and knobs; \
                                the template's comments say what each field means."}</p>
                        </details>
                    </aside>
                </div>
                { run }
            </main>
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ScenarioError {
        check(text).unwrap_err()
    }

    #[test]
    fn an_error_is_drawn_at_its_line_and_columns() {
        let t = dioscope::library::TEMPLATE.replace("fs = \"xfs\"", "fs = \"zfs\"");
        let e = err(&t);
        let line = t.lines().position(|l| l.contains("zfs")).unwrap();
        assert_eq!(e.line as usize, line + 1);
        assert_eq!(spot(&e), Some((line, 5, 5)));
        let (a, b) = selection(&t, &e).unwrap();
        let utf16: Vec<u16> = t.encode_utf16().collect();
        assert_eq!(
            String::from_utf16(&utf16[a as usize..b as usize]).unwrap(),
            "\"zfs\""
        );

        // Tabs count to the next multiple of 4; non-ASCII before the span
        // counts once per character (UTF-16 for the selection).
        let t = "title = \"é\"\n[setup]\n\tfs = \"zfs\"\n";
        let e = err(t);
        assert_eq!((e.line, e.col), (3, 7));
        assert_eq!(spot(&e), Some((2, 9, 5)));
        let (a, _) = selection(t, &e).unwrap();
        assert_eq!(
            a as usize,
            "title = \"é\"\n[setup]\n\tfs = ".encode_utf16().count()
        );
    }

    #[test]
    fn the_editor_shows_the_draft_its_error_at_its_line_and_the_last_valid_run() {
        use crate::testing::render;
        // No draft yet: the template, valid, and its run.
        let html = render::<Editor>(());
        assert!(html.contains("data-state=\"ok\""), "{html}");
        assert!(html.contains(">My race</h2>"), "{html}");
        assert!(html.contains("data-testid=\"simulator\""), "{html}");
        // A draft with an error: shown at its line (marker, highlight and
        // message), and no run yet (nothing valid was seen).
        let bad = dioscope::library::TEMPLATE.replace("pages = 2 ", "pages = 99");
        draft::save(&bad);
        let html = render::<Editor>(());
        let line = bad
            .lines()
            .position(|l| l.starts_with("pages = 99"))
            .unwrap()
            + 1;
        for id in ["editor-error", "editor-gutter-mark", "editor-error-line"] {
            let at = html
                .find(&format!("data-testid=\"{id}\""))
                .unwrap_or_else(|| panic!("{id}: {html}"));
            let tag = &html[html[..at].rfind('<').unwrap()..at + html[at..].find('>').unwrap()];
            assert!(
                tag.contains(&format!("data-line=\"{line}\"")),
                "{id}: {tag}"
            );
        }
        assert!(html.contains("a file has 1 to 64 pages"), "{html}");
        assert!(!html.contains("data-testid=\"simulator\""), "{html}");
    }

    #[test]
    fn uploads_are_bounded_and_must_be_text() {
        assert!(accept_upload("a.toml", 10.0, Some("title = \"a\"")).is_ok());
        let big = accept_upload("big.toml", (limits::MAX_TEXT + 1) as f64, None).unwrap_err();
        assert!(big.contains("at most 64 KB"), "{big}");
        let bin = accept_upload("x.png", 10.0, Some("\u{FFFD}PNG\0")).unwrap_err();
        assert!(bin.contains("not a text file"), "{bin}");
    }
}
