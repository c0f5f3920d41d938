//! The browser entry: hydrates the page the server rendered.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Every page is a lazy route (`cargo leptos build --split` puts each in
    // its own module), so hydration waits for the page's module: what
    // `leptos::mount::hydrate_lazy` does, plus marking the page hydrated
    // only once all of it is. An effect in the app would run while the
    // page's module is still loading, and a test (or an operator) would
    // click on HTML nothing listens to yet.
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document()
            .body()
            .expect("a page has a <body>");
        let mounted = leptos::mount::hydrate_from_async(body, telltale_app::App).await;
        mounted.forget();
        telltale_app::mark_hydrated();
    });
}
