//! The few browser APIs the app calls for sharing, editing and playing:
//! the clipboard, downloads, `localStorage`, reading an uploaded file, the
//! page's address, the clock, timers and animation frames, classes on
//! `<html>`. Each degrades to "not available" (natively, in tests, or
//! where the browser refuses) instead of failing: callers show a
//! fallback.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::js_sys::{self, Function, Reflect};

/// The browser window; `None` natively (views are also rendered in native
/// tests, where there is no browser).
pub fn window() -> Option<web_sys::Window> {
    if cfg!(target_arch = "wasm32") {
        web_sys::window()
    } else {
        None
    }
}

/// Milliseconds since the page loaded (`performance.now()`); 0 natively.
pub fn now() -> f64 {
    window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Sets or clears a class on `<html>` (presentation mode styles the
/// whole page).
pub fn html_class(class: &str, on: bool) {
    let root = window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element());
    if let Some(el) = root {
        let list = el.class_list();
        let _ = if on {
            list.add_1(class)
        } else {
            list.remove_1(class)
        };
    }
}

/// Calls `f` with the frame's time at the next animation frame.
pub fn after_frame(f: impl FnOnce(f64) + 'static) {
    let f = Closure::once_into_js(f);
    if let Some(w) = window() {
        let _ = w.request_animation_frame(f.unchecked_ref());
    }
}

/// Calls `f` once the browser has done what it has to (a zero timeout:
/// the page draws and takes clicks in between).
pub fn after_task(f: impl FnOnce() + 'static) {
    let f = Closure::once_into_js(f);
    if let Some(w) = window() {
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(f.unchecked_ref(), 0);
    }
}

/// The app's address without its fragment (the base of permalinks).
pub fn base_url() -> String {
    let href = window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_else(|| "http://127.0.0.1:8080/".into());
    href.split('#').next().unwrap_or_default().to_string()
}

/// Goes to a fragment (`#/edit`), as a link would.
pub fn go(fragment: &str) {
    if let Some(w) = window() {
        let _ = w.location().set_hash(fragment);
    }
}

/// Replaces the current fragment without a new history entry and without
/// a `hashchange` (the caller shows the view itself).
pub fn replace_fragment(fragment: &str) {
    if let Some(h) = window().and_then(|w| w.history().ok()) {
        let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(fragment));
    }
}

/// Calls `ok` or `err` when a promise settles (one of them runs, once).
fn on_settled(p: &JsValue, ok: impl FnOnce(JsValue) + 'static, err: impl FnOnce() + 'static) {
    let then = Reflect::get(p, &"then".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok());
    let Some(then) = then else {
        err();
        return;
    };
    let ok = Closure::once_into_js(ok);
    let err = Closure::once_into_js(move |_: JsValue| err());
    let _ = then.call2(p, &ok, &err);
}

/// Writes `text` to the clipboard; `done(true)` once it is there,
/// `done(false)` if there is no clipboard API (an insecure page) or the
/// browser refused.
pub fn copy(text: &str, done: impl Fn(bool) + 'static) {
    let clip = window()
        .and_then(|w| Reflect::get(&w.navigator(), &"clipboard".into()).ok())
        .filter(|c| c.is_object());
    let write = clip.as_ref().and_then(|c| {
        Reflect::get(c, &"writeText".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
    });
    let (Some(clip), Some(write)) = (clip, write) else {
        done(false);
        return;
    };
    match write.call1(&clip, &JsValue::from_str(text)) {
        Ok(p) => {
            let done = std::rc::Rc::new(done);
            let d2 = done.clone();
            on_settled(&p, move |_| done(true), move || d2(false));
        }
        Err(_) => done(false),
    }
}

/// Offers `text` as a file download named `name` (a Blob and an object
/// URL; the text is never parsed as markup). False if the browser cannot.
pub fn download(name: &str, mime: &str, text: &str) -> bool {
    let Some(w) = window() else { return false };
    let Some(doc) = w.document() else {
        return false;
    };
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else {
        return false;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return false;
    };
    let Some(a) = doc
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    else {
        return false;
    };
    a.set_href(&url);
    a.set_download(name);
    a.click();
    // Let the download start before the URL is released.
    let f = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(f.unchecked_ref(), 10_000);
    true
}

/// Reads a file the user chose, as text; `done(Err)` if it cannot be read.
pub fn read_text(file: &web_sys::File, done: impl Fn(Result<String, ()>) + 'static) {
    let p: JsValue = file.text().into();
    let done = std::rc::Rc::new(done);
    let d2 = done.clone();
    on_settled(
        &p,
        move |v| done(v.as_string().ok_or(())),
        move || d2(Err(())),
    );
}

/// `localStorage`, if the browser lets the page use it.
fn storage() -> Option<web_sys::Storage> {
    window().and_then(|w| w.local_storage().ok().flatten())
}

thread_local! {
    /// Where values go when there is no `localStorage` (natively, in
    /// tests, or when the browser refuses it): they last as long as the page.
    static MEMORY: std::cell::RefCell<Vec<(String, String)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A saved value: the page's own copy if saving it failed, else the
/// browser's.
pub fn load(key: &str) -> Option<String> {
    let mem = MEMORY.with(|m| {
        m.borrow()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    });
    mem.or_else(|| storage().and_then(|s| s.get_item(key).ok().flatten()))
}

/// Saves a value; false if it was kept only for this page (no storage, or
/// the browser refused: full, private mode).
pub fn save(key: &str, value: &str) -> bool {
    let stored = storage().is_some_and(|s| s.set_item(key, value).is_ok());
    MEMORY.with(|m| {
        let mut m = m.borrow_mut();
        m.retain(|(k, _)| k != key);
        if !stored {
            m.push((key.to_string(), value.to_string()));
        }
    });
    stored
}
