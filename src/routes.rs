//! The page's routes: the URL fragment and nothing else (CONTRACTS.md § Page).
//!
//! `#/` the analyzer, `#/cors` the CORS rule check, `#/sas` the SAS decoder, `#/report/<payload>`
//! a shared report. Fragments never reach a server, which is what lets a shared report travel
//! in a link without being uploaded. Query strings and paths are ignored, so any sub-path works.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Analyzer,
    Cors,
    Sas,
    /// `#/report/<payload>`; the payload is checked when it is decoded, not here.
    SharedReport(String),
}

const REPORT_PREFIX: &str = "#/report/";

impl Route {
    /// Reads a `location.hash` value. Anything unknown is the analyzer: an old or mistyped link
    /// still opens the page.
    pub fn parse(hash: &str) -> Route {
        if let Some(payload) = hash.strip_prefix(REPORT_PREFIX) {
            return Route::SharedReport(payload.to_string());
        }
        match hash {
            // `#/report` without a payload is a link cut short: say so rather than ignore it.
            "#/report" => Route::SharedReport(String::new()),
            "#/cors" => Route::Cors,
            "#/sas" => Route::Sas,
            _ => Route::Analyzer,
        }
    }

    pub fn to_hash(&self) -> String {
        match self {
            Route::Analyzer => "#/".into(),
            Route::Cors => "#/cors".into(),
            Route::Sas => "#/sas".into(),
            Route::SharedReport(p) => format!("{REPORT_PREFIX}{p}"),
        }
    }
}

fn current_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// The page's address without its fragment: where a link to another route of this same copy
/// of the page starts.
pub fn page_address() -> String {
    let href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    match href.find('#') {
        Some(i) => href[..i].to_string(),
        None => href,
    }
}

/// The current route, re-rendering when the fragment changes (links, back/forward, or a pasted
/// share link in the same tab, which does not reload the page).
#[hook]
pub fn use_route() -> Route {
    let route = use_state(|| Route::parse(&current_hash()));
    {
        let route = route.clone();
        use_effect_with((), move |_| {
            let listener =
                Closure::<dyn Fn()>::new(move || route.set(Route::parse(&current_hash())));
            let window = web_sys::window();
            if let Some(w) = &window {
                let _ = w.add_event_listener_with_callback(
                    "hashchange",
                    listener.as_ref().unchecked_ref(),
                );
            }
            move || {
                if let Some(w) = &window {
                    let _ = w.remove_event_listener_with_callback(
                        "hashchange",
                        listener.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }
    (*route).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_of_the_contract() {
        assert_eq!(Route::parse(""), Route::Analyzer);
        assert_eq!(Route::parse("#"), Route::Analyzer);
        assert_eq!(Route::parse("#/"), Route::Analyzer);
        assert_eq!(Route::parse("#/cors"), Route::Cors);
        assert_eq!(Route::parse("#/sas"), Route::Sas);
        assert_eq!(
            Route::parse("#/report/eJzLSM3JyQcABiwCFQ"),
            Route::SharedReport("eJzLSM3JyQcABiwCFQ".into())
        );
        assert_eq!(Route::parse("#/report/"), Route::SharedReport("".into()));
        assert_eq!(Route::parse("#/report"), Route::SharedReport("".into()));
    }

    #[test]
    fn unknown_fragments_open_the_analyzer() {
        for h in [
            "#/CORS",
            "#/cors/",
            "#cors",
            "#/elsewhere",
            "#/reports/x",
            "#?a=b",
        ] {
            assert_eq!(Route::parse(h), Route::Analyzer, "{h}");
        }
    }

    #[test]
    fn routes_round_trip_through_their_fragment() {
        for r in [
            Route::Analyzer,
            Route::Cors,
            Route::Sas,
            Route::SharedReport("abc-_9".into()),
        ] {
            assert_eq!(Route::parse(&r.to_hash()), r);
        }
    }
}
