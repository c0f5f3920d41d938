//! Cursor paging of the long lists (runs, events, alerts), in the URL.
//!
//! The store pages backwards only: `before` is the cursor of the page the
//! reader is on (absent on the newest page), and the store hands back the
//! cursor of the next older one. To step back towards the newest without a
//! second kind of cursor, the URL also keeps `newer`: the cursors of the
//! pages passed on the way here, oldest-visited last. Every page is a plain
//! link, so it can be shared and reloaded and the back button works.

use leptos::prelude::*;
use leptos_router::params::ParamsMap;

use super::format::encode;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Paging {
    /// This page's cursor; `None` on the newest page.
    pub before: Option<i64>,
    /// The cursors of the newer pages visited, the nearest last (`None`
    /// for the newest page is left out: an empty trail leads there).
    pub newer: Vec<i64>,
}

impl Paging {
    /// From `?before=` and `?newer=` (dot-separated); junk is ignored.
    pub fn from_query(q: &ParamsMap) -> Paging {
        Paging {
            before: q.get("before").and_then(|b| b.parse().ok()),
            newer: q
                .get("newer")
                .map(|n| n.split('.').filter_map(|c| c.parse().ok()).collect())
                .unwrap_or_default(),
        }
    }

    /// The next older page, whose cursor the store returned.
    pub fn older(&self, next_cursor: i64) -> Paging {
        let mut newer = self.newer.clone();
        newer.extend(self.before);
        Paging {
            before: Some(next_cursor),
            newer,
        }
    }

    /// The next newer page; none on the newest page.
    pub fn newer(&self) -> Option<Paging> {
        self.before?;
        let mut newer = self.newer.clone();
        let before = newer.pop();
        Some(Paging { before, newer })
    }

    /// `path?params&before=..&newer=..`, leaving out empty values. Written
    /// into one string, not joined from a list: `join` would be one more
    /// generic in every page with a pager.
    pub fn href(&self, path: &str, params: &[(&'static str, String)]) -> String {
        let mut url = path.to_owned();
        let mut add = |key: &str, value: &str| {
            url.push(if url.len() == path.len() { '?' } else { '&' });
            url.push_str(key);
            url.push('=');
            url.push_str(&encode(value));
        };
        for (key, value) in params.iter().filter(|(_, v)| !v.is_empty()) {
            add(key, value);
        }
        if let Some(b) = self.before {
            add("before", &b.to_string());
        }
        if !self.newer.is_empty() {
            let mut trail = String::new();
            for n in &self.newer {
                if !trail.is_empty() {
                    trail.push('.');
                }
                trail.push_str(&n.to_string());
            }
            add("newer", &trail);
        }
        url
    }
}

/// This page's place and size from the URL, following navigation.
pub fn use_page(default_limit: u64) -> Signal<(Paging, u64)> {
    let query = leptos_router::hooks::use_query_map();
    Signal::derive(move || query.with(|q| (Paging::from_query(q), page_limit(q, default_limit))))
}

/// Rows a page shows: `?limit=` when given (the store clamps it), else
/// the page's own default.
pub fn page_limit(q: &ParamsMap, default: u64) -> u64 {
    q.get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(default)
}

/// "← Newer" and "Older →" under a list. `params` are the page's filters
/// (and `limit`), carried along so paging keeps them.
#[component]
pub fn Pager(
    path: &'static str,
    #[prop(into)] params: Signal<Vec<(&'static str, String)>>,
    paging: Paging,
    next_cursor: Option<i64>,
) -> impl IntoView {
    let newer = paging.newer();
    let older = next_cursor.map(|c| paging.older(c));
    (newer.is_some() || older.is_some()).then(|| {
        view! {
            <nav class="pager" aria-label="Pages">
                {newer
                    .map(|p| {
                        view! {
                            <a href=move || p.href(path, &params.read()) rel="prev">
                                "← Newer"
                            </a>
                        }
                    })}
                {older
                    .map(|p| {
                        view! {
                            <a href=move || p.href(path, &params.read()) rel="next">
                                "Older →"
                            </a>
                        }
                    })}
            </nav>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_then_newer_walks_back_to_the_newest_page() {
        let first = Paging::default();
        assert_eq!(first.newer(), None, "nothing is newer than the newest page");
        let second = first.older(300);
        let third = second.older(200);
        let fourth = third.older(100);
        assert_eq!(
            fourth,
            Paging {
                before: Some(100),
                newer: vec![300, 200]
            }
        );
        assert_eq!(fourth.newer(), Some(third.clone()));
        assert_eq!(third.newer(), Some(second.clone()));
        assert_eq!(second.newer(), Some(first));
    }

    #[test]
    fn links_keep_the_filters_and_survive_a_round_trip_through_the_url() {
        let page = Paging::default().older(300).older(200);
        let params = [
            ("status", "OPEN".to_owned()),
            ("job", "a b".to_owned()),
            ("type", String::new()),
        ];
        let href = page.href("/alerts", &params);
        assert_eq!(href, "/alerts?status=OPEN&job=a%20b&before=200&newer=300");
        let query = ParamsMap::from_iter([
            ("before".to_owned(), "200".to_owned()),
            ("newer".to_owned(), "300".to_owned()),
        ]);
        assert_eq!(Paging::from_query(&query), page);
        assert_eq!(Paging::default().href("/runs", &[]), "/runs");
    }
}
