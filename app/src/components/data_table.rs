use leptos::prelude::*;

/// The dashboard's one table shape: a scrollable wrapper, a header row of
/// column names, and the rows given as children. The wrapper is a named,
/// focusable region: a table wider than a phone scrolls in it, and a
/// keyboard must be able to scroll it too.
#[component]
pub fn DataTable(
    /// Extra class on the table (e.g. `jobs`), for page-specific widths.
    class: &'static str,
    /// What the table lists: the name of its scrolling region.
    label: &'static str,
    headers: Vec<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-wrap" role="region" aria-label=label tabindex="0">
            <table class=format!("events {class}")>
                <thead>
                    <tr>{headers.into_iter().map(|h| view! { <th>{h}</th> }).collect_view()}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}

/// `items` with those `first` picks moved to the front, each group in the
/// order given. A stable sort on a boolean key says the same, but every
/// `sort_by_key` call ships its own merge sort in the browser bundle.
pub fn first_those<T>(items: Vec<T>, first: impl Fn(&T) -> bool) -> Vec<T> {
    let (mut front, back): (Vec<T>, Vec<T>) = items.into_iter().partition(|item| first(item));
    front.extend(back);
    front
}

#[cfg(test)]
mod tests {
    use super::first_those;

    #[test]
    fn the_chosen_come_first_and_each_group_keeps_its_order() {
        let items = vec![1, 8, 3, 6, 5, 4, 7, 2];
        assert_eq!(
            first_those(items, |n| n % 2 == 0),
            vec![8, 6, 4, 2, 1, 3, 5, 7]
        );
        assert_eq!(first_those(Vec::<u8>::new(), |_| true), Vec::<u8>::new());
    }
}
