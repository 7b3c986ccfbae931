//! Offline use: registers the service worker (`assets/sw.js`, given this build's file list by
//! `cargo xtask dist`) and tells the page when a newer build has been downloaded and waits.
//!
//! A waiting build takes over only when the user asks (the "Reload" of the update banner):
//! swapping the files under a page that is in the middle of an analysis would mix two builds.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{ServiceWorker, ServiceWorkerRegistration, ServiceWorkerState};
use yew::Callback;

/// The message `sw.js` answers by activating the waiting build.
const SKIP_WAITING: &str = "skip-waiting";

/// Whether this copy of the page ships its offline files: the hosted build links its manifest,
/// the single-file build has neither manifest nor service worker. Browsers offer service workers
/// only on http(s) in secure contexts.
fn offline_files_shipped() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let protocol = window.location().protocol().unwrap_or_default();
    let has_api = js_sys::Reflect::has(&window.navigator(), &JsValue::from_str("serviceWorker"))
        .unwrap_or(false);
    let has_manifest = window
        .document()
        .and_then(|d| d.query_selector("link[rel=manifest]").ok().flatten())
        .is_some();
    (protocol == "https:" || protocol == "http:") && has_api && has_manifest
}

fn has_controller() -> bool {
    web_sys::window()
        .map(|w| w.navigator().service_worker().controller().is_some())
        .unwrap_or(false)
}

/// Registers `./sw.js` (relative, so its scope is the folder the page is served from) and calls
/// `on_waiting` with each newer build once it is installed and waiting.
pub fn register(on_waiting: Callback<ServiceWorker>) {
    if !offline_files_shipped() {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let promise = window.navigator().service_worker().register("./sw.js");
    spawn_local(async move {
        // A failed registration (a host that does not serve sw.js, private browsing) only means
        // no offline copy; the page works the same.
        let Ok(reg) = JsFuture::from(promise).await else {
            return;
        };
        let reg: ServiceWorkerRegistration = reg.unchecked_into();
        // A build downloaded during an earlier visit may already wait. Without a controller this
        // is the first install, not an update.
        if let Some(w) = reg.waiting() {
            if has_controller() {
                on_waiting.emit(w);
            }
        }
        let found_in = reg.clone();
        let on_update_found = Closure::<dyn Fn()>::new(move || {
            let Some(installing) = found_in.installing() else {
                return;
            };
            let worker = installing.clone();
            let on_waiting = on_waiting.clone();
            let on_state = Closure::<dyn Fn()>::new(move || {
                if worker.state() == ServiceWorkerState::Installed && has_controller() {
                    on_waiting.emit(worker.clone());
                }
            });
            installing.set_onstatechange(Some(on_state.as_ref().unchecked_ref()));
            // Lives as long as that service worker object, which the browser owns.
            on_state.forget();
        });
        reg.set_onupdatefound(Some(on_update_found.as_ref().unchecked_ref()));
        // One registration per page load: the listener lives as long as the page.
        on_update_found.forget();
    });
}

/// Activates the waiting build and reloads the page once it controls it.
pub fn apply_update(waiting: &ServiceWorker) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let reload = Closure::once_into_js(move || {
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
    });
    let _ = window
        .navigator()
        .service_worker()
        .add_event_listener_with_callback("controllerchange", reload.unchecked_ref());
    let _ = waiting.post_message(&JsValue::from_str(SKIP_WAITING));
}
