//! Page data: resources whose values travel from the server's render to
//! the browser as JSON, decoded by the same code as server-function
//! answers.
//!
//! Leptos's default resource codec decodes with `serde_json::from_str`,
//! server functions with `serde_json::from_slice`: two JSON readers, so
//! the bundle carried every model type's deserializer twice. Decoding the
//! resource's string as bytes keeps one copy of each (smaller bundle, same
//! JSON on the wire).

use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// JSON written by `serde_json`, read back through its byte-slice reader.
pub struct Json;

impl<T: Serialize> Encoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(val: &T) -> Result<String, Self::Error> {
        // Markup is in the page already: the value sent beside it for
        // hydration leaves it out (see `Markup`).
        crate::components::server_html::without_markup(|| serde_json::to_string(val))
    }
}

impl<T: DeserializeOwned> Decoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(val: &str) -> Result<T, Self::Error> {
        serde_json::from_slice(val.as_bytes())
    }
}

/// What pages load: a resource on the [`Json`] codec.
pub type Data<T> = Resource<T, Json>;

/// [`Resource::new`] on the [`Json`] codec: `fetcher` runs whenever
/// `source` changes (on the server once, its value sent with the page).
#[track_caller]
pub fn data<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Data<T>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}
