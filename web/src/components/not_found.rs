use yew::prelude::*;

use crate::route::Route;

#[derive(Properties, PartialEq)]
pub struct NotFoundProps {
    /// What was asked for, shown as text.
    pub what: String,
    /// "scenario" or "page".
    pub kind: &'static str,
}

/// A link that names nothing: say so, and offer the way back.
#[function_component]
pub fn NotFound(props: &NotFoundProps) -> Html {
    html! {
        <main class="not-found" data-testid="not-found">
            <h1>{format!("No {} named “{}”", props.kind, props.what)}</h1>
            <p>
                {"The link may be mistyped, or the scenario may have been renamed. "}
                <a href={Route::List.href()}>{"← All scenarios"}</a>
            </p>
        </main>
    }
}
