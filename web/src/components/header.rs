use yew::prelude::*;

use crate::route::Route;

/// The product name (a link home) and what it is, in one line.
#[function_component]
pub fn Header() -> Html {
    html! {
        <header class="site-header">
            <a class="brand" href={Route::List.href()}>{"dioscope"}</a>
            <p class="tagline">
                {"Watch the Linux page cache, direct I/O, mmap and writeback race, one step at a time."}
            </p>
            <nav class="site-nav" aria-label="main">
                <a href={Route::List.href()}>{"Scenarios"}</a>
                <a href={Route::Edit(None).href()}>{"Editor"}</a>
            </nav>
        </header>
    }
}
