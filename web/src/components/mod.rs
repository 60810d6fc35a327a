//! The app's views. Each is a function component that takes what it shows
//! as props and calls no browser API of its own.

pub mod header;
pub mod not_found;
pub mod scenario_list;
pub mod scenario_page;
pub mod tags;
