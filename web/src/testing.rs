//! Test helpers: views rendered to HTML natively, with Yew's server
//! renderer (a dev-dependency feature; never in the wasm app).

use yew::BaseComponent;

/// The HTML a component renders with these props.
pub fn render<C: BaseComponent>(props: C::Properties) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    tokio::task::LocalSet::new().block_on(&rt, async move {
        yew::LocalServerRenderer::<C>::with_props(props)
            .hydratable(false)
            .render()
            .await
    })
}
