use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
#[cfg(feature = "ssr")]
use telltale_model::Alert;
use telltale_model::{AlertStatus, AlertType, Change};

#[cfg(feature = "ssr")]
use crate::components::alert_table::AlertTable;
use crate::components::loaded::{Loaded, action_error};
use crate::components::pager::{Pager, Paging, page_limit};
use crate::components::server_html::ServerHtml;
use crate::form_action::FormAction;
#[cfg(feature = "ssr")]
use crate::form_action::SubmitForm;
use crate::live::use_live;
use crate::server_fns::alerts::{CloseAlert, alerts_html};

/// Alerts, open first. Filters (`?status=`, `?type=`, `?job=`) are a plain
/// GET form, so they live in the address. Closing an alert is the only
/// action on the dashboard, offered to admins (everyone when auth is off);
/// viewers see the table without it.
#[component]
pub fn AlertsPage() -> impl IntoView {
    let live = use_live(&[Change::Alerts]);
    let query = use_query_map();
    let filter = move || {
        query.with(|q| Filter {
            status: q.get("status").unwrap_or_default(),
            alert_type: q.get("type").unwrap_or_default(),
            job: q.get("job").unwrap_or_default(),
            before: Paging::from_query(q).before,
            limit: page_limit(q, 500),
        })
    };
    // The filters as the URL has them, for the paging links.
    let params = move || {
        query.with(|q| {
            ["status", "type", "job", "limit"]
                .map(|k| (k, q.get(k).unwrap_or_default()))
                .to_vec()
        })
    };
    let close = FormAction::<CloseAlert>::new();
    // A close re-reads the list, so the row moves to the closed ones.
    let alerts = crate::data::data(
        move || (filter(), close.version().get(), live.get()),
        move |(f, _, _)| alerts_html(f.status, f.alert_type, f.job, f.before, f.limit),
    );
    view! {
        <Title text="Alerts" />
        <h1>"Alerts"</h1>
        <AlertFilterForm current=untrack(filter) />
        {action_error(close)}
        <Loaded data=alerts loading="Loading alerts…" let:loaded>
            // The close forms are in the server's markup: posted from here.
            <ServerHtml html=loaded.0 on_submit=Callback::new(move |ev| close.post_inside(ev)) />
            <Pager
                path="/alerts"
                params=Signal::derive(params)
                paging=untrack(|| query.with(Paging::from_query))
                next_cursor=loaded.1
            />
        </Loaded>
    }
}

/// The page's filters as its address has them (read by the server).
#[derive(Clone, PartialEq)]
struct Filter {
    status: String,
    alert_type: String,
    job: String,
    before: Option<i64>,
    limit: u64,
}

/// The filters, as a plain GET form showing those the page was loaded with.
#[component]
fn AlertFilterForm(current: Filter) -> impl IntoView {
    let status_is = |s: AlertStatus| current.status.eq_ignore_ascii_case(s.as_str());
    let type_is = |t: AlertType| current.alert_type.eq_ignore_ascii_case(t.as_str());
    let any_status = ![AlertStatus::Open, AlertStatus::Closed]
        .into_iter()
        .any(status_is);
    let any_type = !AlertType::ALL.into_iter().any(type_is);
    view! {
        <form method="get" action="/alerts" class="filters" role="search">
            <label for="alert-status">"Status"</label>
            <select id="alert-status" name="status">
                <option value="" selected=any_status>
                    "any"
                </option>
                {[AlertStatus::Open, AlertStatus::Closed]
                    .into_iter()
                    .map(|s| {
                        view! {
                            <option value=s.as_str() selected=status_is(s)>
                                {s.as_str()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <label for="alert-type">"Type"</label>
            <select id="alert-type" name="type">
                <option value="" selected=any_type>
                    "any"
                </option>
                {AlertType::ALL
                    .into_iter()
                    .map(|t| {
                        view! {
                            <option value=t.as_str() selected=type_is(t)>
                                {t.as_str()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <label for="alert-job">"Job"</label>
            <input
                id="alert-job"
                type="search"
                name="job"
                placeholder="exact job name"
                autocomplete="off"
                value=current.job.clone()
            />
            <button type="submit">"Filter"</button>
        </form>
    }
}

/// The count and the table, with a close form per open alert for admins;
/// rendered by [`alerts_html`].
#[cfg(feature = "ssr")]
#[component]
pub fn AlertList(alerts: Vec<Alert>, admin: bool) -> impl IntoView {
    let close = FormAction::<CloseAlert>::new();
    let close =
        admin.then(|| Callback::new(move |id| view! { <CloseForm id action=close /> }.into_any()));
    let open = alerts
        .iter()
        .filter(|a| a.status == AlertStatus::Open)
        .count();
    view! {
        <p class="count" data-testid="alert-count">
            {format!("{} alerts, {open} open", alerts.len())}
        </p>
        <AlertTable alerts close=close />
    }
}

/// Close one alert with a reason (required).
#[cfg(feature = "ssr")]
#[component]
fn CloseForm(id: i64, action: FormAction<CloseAlert>) -> impl IntoView {
    let field = format!("close-reason-{id}");
    view! {
        <SubmitForm action attr:class="close-alert">
            <input type="hidden" name="id" value=id />
            <label class="visually-hidden" for=field.clone()>
                {format!("Reason for closing alert {id}")}
            </label>
            <input id=field type="text" name="reason" required placeholder="reason" />
            <button type="submit">"Close"</button>
        </SubmitForm>
    }
}
