//! The dioscope web app: a Yew front end over the `dioscope` core.
//!
//! The UI never models the kernel itself: everything it shows comes from
//! the core's API (`dioscope::library`, `trace::Trace`, `World`,
//! `explore::Explorer`); `session.rs` only decides which run is on screen.

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
