//! Routing by URL fragment, so that every view is a link and the app works
//! from any static host (no server-side routes).
//!
//! | fragment              | view                     |
//! |-----------------------|--------------------------|
//! | (empty), `#`, `#/`    | the scenario list        |
//! | `#/scenario/<id>`     | one bundled scenario     |
//! | `#/link/<payload>`    | a permalink: a whole session (`dioscope::link`) |
//! | `#/edit`              | the scenario editor, on the draft kept in the browser |
//! | `#/edit/new`          | the editor on a new draft from the template (then `#/edit`) |
//! | `#/edit/<id>`         | the editor on a copy of a bundled scenario (then `#/edit`) |
//! | anything else         | "no such page"           |
//!
//! To add a route: add a variant, a case in [`Route::parse`] and in
//! [`Route::href`], and a view in `app.rs`.

/// A view of the app, as named by the URL fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `#/`: the list of bundled scenarios.
    List,
    /// `#/scenario/<id>`: one bundled scenario, by id (its file name without
    /// `.toml`). The id is percent-decoded and may name no scenario.
    Scenario(String),
    /// `#/link/<payload>`: a permalink's payload (percent-decoded; decoded
    /// and validated by the view, since it is untrusted).
    Link(String),
    /// `#/edit`: the draft (`None`), or `#/edit/<from>` to start a new
    /// draft from `new` (the template) or a bundled scenario's id. The app
    /// replaces the latter by `#/edit` once the draft is made, so that a
    /// reload keeps the edits.
    Edit(Option<String>),
    /// A fragment that names no view (kept, decoded, to show it).
    NotFound(String),
}

impl Route {
    /// The route for a URL fragment (`location.hash`, with or without `#`).
    pub fn parse(fragment: &str) -> Route {
        let f = fragment.strip_prefix('#').unwrap_or(fragment);
        let path = f.strip_prefix('/').unwrap_or(f);
        let path = path.strip_suffix('/').unwrap_or(path);
        if path.is_empty() {
            return Route::List;
        }
        if path == "edit" {
            return Route::Edit(None);
        }
        // A link's payload is kept whole (it may be `#/link/` with nothing
        // after it: the view says so).
        if let Some(p) = f.strip_prefix("/link/") {
            return Route::Link(percent_decode(p));
        }
        match path.split_once('/') {
            Some(("scenario", id)) if !id.is_empty() => Route::Scenario(percent_decode(id)),
            Some(("edit", from)) if !from.is_empty() => Route::Edit(Some(percent_decode(from))),
            _ => Route::NotFound(percent_decode(f)),
        }
    }

    /// The `href` of a link to this route (a fragment).
    pub fn href(&self) -> String {
        match self {
            Route::List => "#/".to_string(),
            Route::Scenario(id) => format!("#/scenario/{}", percent_encode(id)),
            Route::Link(p) => format!("#/link/{}", percent_encode(p)),
            Route::Edit(None) => "#/edit".to_string(),
            Route::Edit(Some(from)) => format!("#/edit/{}", percent_encode(from)),
            Route::NotFound(what) => format!("#{}", percent_encode(what)),
        }
    }
}

/// Decodes `%XX` escapes; invalid escapes and invalid UTF-8 are kept as
/// they are (lossily), never an error: the result is only displayed or
/// compared with scenario ids.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Escapes everything but unreserved characters (RFC 3986) and `/`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_routes() {
        for f in ["", "#", "#/", "/", "#//"] {
            assert_eq!(Route::parse(f), Route::List, "{f:?}");
        }
    }

    #[test]
    fn scenario_routes() {
        assert_eq!(
            Route::parse("#/scenario/btrfs-dio-mmap-eio"),
            Route::Scenario("btrfs-dio-mmap-eio".into())
        );
        assert_eq!(
            Route::parse("#/scenario/a%20b/"),
            Route::Scenario("a b".into())
        );
        // `#/scenario/` without an id names nothing.
        assert_eq!(
            Route::parse("#/scenario/"),
            Route::NotFound("/scenario/".into())
        );
    }

    #[test]
    fn unknown_routes() {
        assert_eq!(Route::parse("#/nope"), Route::NotFound("/nope".into()));
        assert_eq!(Route::parse("#x%3Cy"), Route::NotFound("x<y".into()));
    }

    #[test]
    fn link_and_edit_routes() {
        assert_eq!(
            Route::parse("#/link/1.abc-_"),
            Route::Link("1.abc-_".into())
        );
        assert_eq!(Route::parse("#/link/"), Route::Link(String::new()));
        // A payload is taken whole, slashes and all (the decoder judges it).
        assert_eq!(Route::parse("#/link/1.a/b/"), Route::Link("1.a/b/".into()));
        assert_eq!(Route::parse("#/edit"), Route::Edit(None));
        assert_eq!(Route::parse("#/edit/"), Route::Edit(None));
        assert_eq!(Route::parse("#/edit/new"), Route::Edit(Some("new".into())));
        assert_eq!(
            Route::parse("#/edit/dio-write-vs-mmap-store"),
            Route::Edit(Some("dio-write-vs-mmap-store".into()))
        );
        // The core's links open this route.
        let url = dioscope::link::Session::default().url("http://h/").unwrap();
        let frag = &url[url.find('#').unwrap()..];
        assert!(matches!(Route::parse(frag), Route::Link(p) if !p.is_empty()));
    }

    #[test]
    fn href_round_trips() {
        for r in [
            Route::List,
            Route::Link("1.AbC_-".into()),
            Route::Edit(None),
            Route::Edit(Some("new".into())),
            Route::Scenario("btrfs-dio-mmap-eio".into()),
            Route::Scenario("odd id/with <stuff> & ünïcode%".into()),
        ] {
            assert_eq!(Route::parse(&r.href()), r, "{}", r.href());
        }
    }

    #[test]
    fn percent_decoding_is_total() {
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("%C3%BC"), "ü");
        // Invalid UTF-8 is replaced, not an error.
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
    }
}
