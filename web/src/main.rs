//! The dioscope web app: a Yew front end over the `dioscope` core.
//!
//! The UI never models the kernel itself: it drives the core's engine
//! (`World`, `trace::Trace`, `explore::Explorer`), takes its scenario and
//! policy types, and draws the core's view of a run (`dioscope::view`):
//! lanes, steps, state, outcomes, every word. `session.rs` only decides
//! which run is on screen. `tests/imports.rs` holds the app to that.

mod app;
mod browser;
mod catalog;
mod components;
#[cfg(feature = "e2e")]
mod debug;
mod draft;
mod markdown;
mod route;
mod session;
mod share;
#[cfg(test)]
mod testing;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
