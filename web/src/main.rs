//! The dioscope web app: a Yew front end over the `dioscope` core.
//!
//! The UI never models the kernel itself: everything it shows comes from
//! the core's API (`dioscope::library`, and later the engine).

mod app;
mod catalog;
mod components;
mod markdown;
mod route;
#[cfg(test)]
mod testing;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
