//! Managing a job's monitoring (admins): declare one before its first run,
//! edit its policy, pause, resume, retire or delete it; and the audit log
//! of those changes (everyone who may read). Plain HTML forms: they work
//! without JavaScript. Nothing here touches the work itself.

use leptos::prelude::*;
use leptos_meta::Title;
#[cfg(feature = "ssr")]
use telltale_model::{AuditEntry, JobStatus};

use crate::components::loaded::{Loaded, action_error};
use crate::components::server_html::{Markup, ServerHtml};
#[cfg(feature = "ssr")]
use crate::components::time::Time;
use crate::error::AppError;
use crate::form_action::{FormAction, SubmitForm};
use crate::server_fns::auth::may_administer;
use crate::server_fns::badges::SetBadgePublic;
use crate::server_fns::jobs::{CreateJob, DeleteJob, EditJob, JobAction, PolicyForm, audit_html};
use crate::server_fns::pings::RegeneratePing;

/// Whether the caller may change things (asked once per page).
fn admin_data() -> crate::data::Data<Result<bool, AppError>> {
    crate::data::data(
        || (),
        |_| async { Ok::<_, AppError>(may_administer().await.unwrap_or(false)) },
    )
}

/// One labelled text field of the policy form.
#[component]
fn Field(
    name: &'static str,
    label: &'static str,
    value: Option<String>,
    #[prop(optional)] hint: &'static str,
) -> impl IntoView {
    let id = format!("job-{name}");
    view! {
        <label for=id.clone()>{label}</label>
        <input id=id type="text" name=format!("policy[{name}]") value=value.unwrap_or_default() placeholder=hint />
    }
}

/// The policy fields, filled in with `v`.
#[component]
fn PolicyFields(v: PolicyForm) -> impl IntoView {
    view! {
        <Field name="schedule" label="Schedule" value=v.schedule hint="every 15m, or 0 2 * * *" />
        <Field name="timezone" label="Time zone" value=v.timezone hint="Europe/Berlin" />
        <Field name="grace_seconds" label="Grace (s)" value=v.grace_seconds />
        <Field name="start_grace_seconds" label="Start grace (s)" value=v.start_grace_seconds />
        <Field name="max_runtime_seconds" label="Max runtime (s)" value=v.max_runtime_seconds />
        <Field name="min_runtime_seconds" label="Min runtime (s)" value=v.min_runtime_seconds />
        <Field name="failure_threshold" label="Failures before FAILURE" value=v.failure_threshold />
        <Field name="repeat_interval_seconds" label="Repeat alerts every (s)" value=v.repeat_interval_seconds />
        <Field name="depends_on" label="Depends on job" value=v.depends_on />
        <Field name="description" label="Description" value=v.description />
        <Field name="tags" label="Tags" value=v.tags hint="db, nightly" />
        <Field name="channels" label="Always notify channels" value=v.channels hint="dba-pager, #render" />
        <input type="hidden" name="policy[flags]" value="1" />
        <Flag name="alert_on_failure" label="Alert when a run fails" on=v.alert_on_failure.is_some() />
        <Flag name="alert_on_miss" label="Alert when a run is missed" on=v.alert_on_miss.is_some() />
    }
}

/// One checkbox of the policy form.
#[component]
fn Flag(name: &'static str, label: &'static str, on: bool) -> impl IntoView {
    let id = format!("job-{name}");
    view! {
        <label for=id.clone()>{label}</label>
        <input id=id type="checkbox" name=format!("policy[{name}]") checked=on />
    }
}

/// The page that declares a job before its first run (`/new-job`, linked
/// from the jobs list): the form for admins, a sentence for viewers. A page
/// of its own so that the jobs list carries none of this code.
#[component]
pub fn NewJobPage() -> impl IntoView {
    let create = FormAction::<CreateJob>::new();
    let admin = admin_data();
    view! {
        <Title text="Declare a job" />
        <h1>"Declare a job"</h1>
        <p class="muted">
            "A job is made by its first event; declaring it first gives it a schedule, a ping URL "
            "and alerts before it ever runs. "
            <a href="/jobs">"Back to the jobs"</a>
        </p>
        <Loaded data=admin loading="" let:admin>
            {if admin {
                view! {
                    <section class="manage" data-testid="new-job">
                        {action_error(create)}
                        <SubmitForm action=create attr:class="job-form">
                            <label for="job-name">"Name"</label>
                            <input id="job-name" type="text" name="name" required />
                            <PolicyFields v=PolicyForm::blank() />
                            <button type="submit">"Create job"</button>
                        </SubmitForm>
                    </section>
                }
                    .into_any()
            } else {
                view! { <p class="muted">"An admin declares jobs; you can read them."</p> }.into_any()
            }}
        </Loaded>
    }
}

#[cfg(feature = "ssr")]
fn form_of(s: &JobStatus) -> PolicyForm {
    PolicyForm::of(&s.job.policy, &s.job.managed)
}

/// The actions of a job's page (management, ping URL, badge), made by the
/// page so that it can read the job again when an edit or a pause, resume
/// or retirement completes, and only then. A new ping URL or a badge
/// switch answers with the section's new state, shown in place: the other
/// sections, an open form with what was typed in it, stay as they are.
#[derive(Clone, Copy, Default)]
pub struct ManageActions {
    edit: FormAction<EditJob>,
    act: FormAction<JobAction>,
    delete: FormAction<DeleteJob>,
    pub regenerate: FormAction<RegeneratePing>,
    pub toggle: FormAction<SetBadgePublic>,
}

impl ManageActions {
    /// Changes each time an edit, pause, resume or retirement completes.
    pub fn version(&self) -> (usize, usize) {
        (self.edit.version().get(), self.act.version().get())
    }
}

/// The job page's management section (admins): edit, pause or resume,
/// retire, delete. The forms come as server markup (`forms`, rendered by
/// [`ManageForms`]) and post from here, where their errors show.
#[component]
pub fn JobManage(forms: Markup, actions: ManageActions) -> impl IntoView {
    let ManageActions {
        edit, act, delete, ..
    } = actions;
    let post = Callback::new(move |ev: leptos::ev::SubmitEvent| {
        edit.post_inside(ev.clone());
        act.post_inside(ev.clone());
        delete.post_inside(ev);
    });
    view! {
        <h2 id="manage">"Manage"</h2>
        <p class="muted">
            "Each field you change here becomes the operator's: a producer's value for it is ignored from then on."
        </p>
        {action_error(edit)}
        {action_error(act)}
        {action_error(delete)}
        <ServerHtml html=forms on_submit=post />
    }
}

/// The management forms of `status`'s job, for [`JobManage`].
#[cfg(feature = "ssr")]
#[component]
pub fn ManageForms(status: JobStatus) -> impl IntoView {
    let job = status.job.name.clone();
    let paused = !status.job.policy.check_enabled;
    let retired = status.job.managed.retired_at.is_some();
    let values = form_of(&status);
    let (edit, act, delete) = (FormAction::new(), FormAction::new(), FormAction::new());
    view! {
        <EditForm job=job.clone() values edit />
        {(!retired).then(|| view! { <Actions job=job.clone() paused act /> })}
        <DeleteForm job delete />
    }
}

#[cfg(feature = "ssr")]
#[component]
fn EditForm(job: String, values: PolicyForm, edit: FormAction<EditJob>) -> impl IntoView {
    view! {
        <details class="manage" data-testid="edit-job">
            <summary>"Edit the policy"</summary>
            <SubmitForm action=edit attr:class="job-form">
                <input type="hidden" name="job" value=job />
                <PolicyFields v=values />
                <button type="submit">"Save"</button>
            </SubmitForm>
        </details>
    }
}

#[cfg(feature = "ssr")]
#[component]
fn Actions(job: String, paused: bool, act: FormAction<JobAction>) -> impl IntoView {
    let (toggle, label) = if paused {
        ("resume", "Resume checks")
    } else {
        ("pause", "Pause checks")
    };
    let retire_job = job.clone();
    view! {
        <div class="manage-actions">
            <SubmitForm action=act>
                <input type="hidden" name="job" value=job />
                <input type="hidden" name="action" value=toggle />
                <button type="submit">{label}</button>
            </SubmitForm>
            <SubmitForm action=act>
                <input type="hidden" name="job" value=retire_job />
                <input type="hidden" name="action" value="retire" />
                <button type="submit">"Retire (close its alerts, keep its history)"</button>
            </SubmitForm>
        </div>
    }
}

#[cfg(feature = "ssr")]
#[component]
fn DeleteForm(job: String, delete: FormAction<DeleteJob>) -> impl IntoView {
    view! {
        <details class="manage danger" data-testid="delete-job">
            <summary>"Delete the job and all its history"</summary>
            <SubmitForm action=delete attr:class="job-form">
                <input type="hidden" name="job" value=job />
                <label for="delete-confirm">"Type the job's name to confirm"</label>
                <input id="delete-confirm" type="text" name="confirm" required autocomplete="off" />
                <button type="submit">"Delete for good"</button>
            </SubmitForm>
        </details>
    }
}

/// The audit log, of `job` alone when given.
#[component]
pub fn AuditLog(job: Option<String>) -> impl IntoView {
    // Every operator change announces a change of jobs: read it again then.
    let live = crate::live::use_live(&[
        telltale_model::Change::Jobs,
        telltale_model::Change::Workers,
    ]);
    let entries = crate::data::data(move || live.get(), move |_| audit_html(job.clone()));
    view! {
        <h2 id="audit">"Changes by operators"</h2>
        <Loaded data=entries loading="Loading the audit log…" let:html>
            <ServerHtml html />
        </Loaded>
    }
}

/// The audit log's rows, rendered by [`audit_html`].
#[cfg(feature = "ssr")]
#[component]
pub fn AuditTable(entries: Vec<AuditEntry>) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="muted">"No change by an operator yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap" role="region" aria-label="Changes by operators" tabindex="0">
            <table class="events audit" data-testid="audit">
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"Who"</th>
                        <th scope="col">"What"</th>
                        <th scope="col">"Job or worker"</th>
                        <th scope="col">"Before → after"</th>
                    </tr>
                </thead>
                <tbody>
                    {entries
                        .into_iter()
                        .map(|e| {
                            let subject = e.job_name.clone().or(e.worker_id.clone()).unwrap_or_default();
                            view! {
                                <tr>
                                    <td><Time at=e.at /></td>
                                    <td>{e.actor}</td>
                                    <td>{e.action}</td>
                                    <td class="mono">{subject}</td>
                                    <td>
                                        <details data-key=format!("audit-{}", e.id)>
                                            <summary>"show"</summary>
                                            <pre class="mono">{format!("{:#}\n→\n{:#}", e.before, e.after)}</pre>
                                        </details>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
