//! "A new version is available — Reload": shown when a newer build of the page has been
//! downloaded for offline use and waits to take over (see `pwa.rs`).

use web_sys::ServiceWorker;
use yew::prelude::*;

use crate::pwa;

#[component]
pub fn UpdateBanner() -> Html {
    let waiting = use_state(|| None::<ServiceWorker>);
    {
        let waiting = waiting.clone();
        use_effect_with((), move |_| {
            pwa::register(Callback::from(move |w: ServiceWorker| waiting.set(Some(w))));
        });
    }
    let Some(worker) = (*waiting).clone() else {
        return html! {};
    };
    let onclick = Callback::from(move |_: MouseEvent| pwa::apply_update(&worker));
    html! {
        <div class="update-banner" data-update-banner="" role="status">
            <span>{ "A new version is available — " }</span>
            <button class="button primary" data-action="reload" {onclick}>{ "Reload" }</button>
        </div>
    }
}
