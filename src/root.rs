//! The page's top level: picks the view for the route (a shared report, or the analyzer) and
//! keeps the update banner above every view.

use yew::prelude::*;

use crate::app::App;
use crate::components::shared_report::SharedReportPage;
use crate::components::update_banner::UpdateBanner;
use crate::routes::{use_route, Route};

#[component]
pub fn Root() -> Html {
    let route = use_route();
    html! {
        <>
            <UpdateBanner />
            {
                match route {
                    Route::SharedReport(payload) => html! { <SharedReportPage {payload} /> },
                    // The analyzer owns `#/`, `#/cors` and `#/sas`.
                    Route::Analyzer | Route::Cors | Route::Sas => html! { <App /> },
                }
            }
        </>
    }
}
