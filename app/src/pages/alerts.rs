use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use telltale_model::{Alert, AlertStatus, AlertType, Change};

use crate::components::alert_table::AlertTable;
use crate::components::loaded::{Loaded, action_error};
use crate::components::pager::{Pager, Paging, page_limit};
use crate::error::AppError;
use crate::form_action::{FormAction, SubmitForm};
use crate::live::use_live;
use crate::server_fns::alerts::{CloseAlert, list_alerts};
use crate::server_fns::auth::may_administer;

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
    // Whether to offer the close form, asked with the first read and then
    // kept: a role does not change while the page is open. Unknown (a
    // failed call) counts as no: the button would only earn a 403. One
    // resource for both, not two, is a resource's code less in the page.
    let admin = StoredValue::new(None::<bool>);
    // A close re-reads the list, so the row moves to the closed ones.
    let alerts = crate::data::data(
        move || (filter(), close.version().get(), live.get()),
        move |(f, _, _)| async move {
            let may_close = match admin.get_value() {
                Some(known) => known,
                None => {
                    let known = may_administer().await.unwrap_or(false);
                    admin.set_value(Some(known));
                    known
                }
            };
            let alerts = list_alerts(f.status, f.alert_type, f.job, f.before, f.limit).await?;
            Ok::<_, AppError>((alerts, may_close))
        },
    );
    view! {
        <Title text="Alerts" />
        <h1>"Alerts"</h1>
        <AlertFilterForm current=untrack(filter) />
        {action_error(close)}
        <Loaded data=alerts loading="Loading alerts…" let:loaded>
            <AlertList
                alerts=loaded.0
                admin=loaded.1
                close
                limit=Some(untrack(filter).limit)
                params=Signal::derive(params)
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

/// The count, the table (with a close form per open alert for admins) and
/// the pager.
#[component]
fn AlertList(
    alerts: Vec<Alert>,
    admin: bool,
    close: FormAction<CloseAlert>,
    limit: Option<u64>,
    params: Signal<Vec<(&'static str, String)>>,
) -> impl IntoView {
    let close =
        admin.then(|| Callback::new(move |id| view! { <CloseForm id action=close /> }.into_any()));
    let open = alerts
        .iter()
        .filter(|a| a.status == AlertStatus::Open)
        .count();
    // Newest first by id: a full page has older ones after it.
    let full = Some(alerts.len() as u64) == limit;
    let next_cursor = alerts.last().filter(|_| full).map(|a| a.id);
    let paging = untrack(|| use_query_map().with(Paging::from_query));
    view! {
        <p class="count" data-testid="alert-count">
            {format!("{} alerts, {open} open", alerts.len())}
        </p>
        <AlertTable alerts close=close />
        <Pager path="/alerts" params paging next_cursor />
    }
}

/// Close one alert with a reason (required).
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
