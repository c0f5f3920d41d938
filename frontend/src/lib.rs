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

/// Room for wasm-split to lay the static data out again. It gives each
/// module's share of the data its own aligned block, and when that adds up
/// to more than the linked segment, even by 16 bytes, it keeps all of the
/// data in the shared module ("Overlong segment 0 … putting it in main
/// module"): every page's strings, 27 KB more gzipped on every page.
/// Nothing reads this block, so wasm-split leaves it out of every module it
/// writes; it only makes the linked segment long enough for that padding
/// (at most 15 bytes for each of the ~220 modules). `check_split_data` in
/// `scripts/lib.sh` fails the build if the data lands there again.
#[used]
static SPLIT_DATA_SLACK: [u8; 4096] = [0xa5; 4096];
