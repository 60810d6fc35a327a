use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TagsProps {
    pub tags: Vec<String>,
}

/// A scenario's tags, as small labels.
#[function_component]
pub fn Tags(props: &TagsProps) -> Html {
    if props.tags.is_empty() {
        return Html::default();
    }
    html! {
        <ul class="tags" aria-label="tags">
            { for props.tags.iter().map(|t| html! { <li class="tag">{t.clone()}</li> }) }
        </ul>
    }
}
