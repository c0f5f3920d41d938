use leptos::prelude::*;

/// The dashboard's one table shape: a scrollable wrapper, a header row of
/// column names, and the rows given as children.
#[component]
pub fn DataTable(
    /// Extra class on the table (e.g. `jobs`), for page-specific widths.
    class: &'static str,
    headers: Vec<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class=format!("events {class}")>
                <thead>
                    <tr>{headers.into_iter().map(|h| view! { <th>{h}</th> }).collect_view()}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}
