use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The sign-in form. A plain HTML form that posts to `/auth/login`: it works
/// the same with JavaScript off and after hydration (no client-side logic
/// touches the password). The server answers with a redirect to `next`, or
/// back here with `?error=`.
#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".to_owned());
    let error = move || {
        query.read().get("error").map(|code| match code.as_str() {
            "invalid" => "Wrong email or password.",
            _ => "Could not sign in. Try again.",
        })
    };
    view! {
        <Title text="Sign in" />
        <section class="login">
            <h1>"Sign in"</h1>
            {move || error().map(|message| view! { <p class="error" role="alert">{message}</p> })}
            <form method="post" action="/auth/login" class="login-form">
                <input type="hidden" name="next" prop:value=next value=next />
                <label for="login-email">"Email"</label>
                <input
                    id="login-email"
                    type="email"
                    name="email"
                    autocomplete="username"
                    required
                    autofocus
                />
                <label for="login-password">"Password"</label>
                <input
                    id="login-password"
                    type="password"
                    name="password"
                    autocomplete="current-password"
                    required
                />
                <button type="submit">"Sign in"</button>
            </form>
        </section>
    }
}
