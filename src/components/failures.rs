//! The failure summary: operations × status × error code, with counts — the table engineers
//! otherwise build by hand in KQL.

use storage_doctor_core::report::table::FailureRow;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FailuresProps {
    pub rows: Vec<FailureRow>,
    /// Filters the requests table to one line of the summary.
    pub on_pick: Callback<FailureRow>,
}

#[component]
pub fn FailureSummary(props: &FailuresProps) -> Html {
    if props.rows.is_empty() {
        return html! {};
    }
    html! {
        <section class="failure-summary" aria-label="Failure summary">
            <h2>{ "Failures by operation" }</h2>
            <div class="table-wrap">
                <table>
                    <thead>
                        <tr>
                            <th scope="col">{ "operation" }</th>
                            <th scope="col">{ "status" }</th>
                            <th scope="col">{ "error code" }</th>
                            <th scope="col" class="num">{ "requests" }</th>
                            <th scope="col" class="num">{ "observations" }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for props.rows.iter().take(50).map(|r| {
                            let pick = props.on_pick.clone();
                            let row = r.clone();
                            html! {
                                <tr>
                                    <td>
                                        <button class="link" onclick={Callback::from(move |_: MouseEvent| pick.emit(row.clone()))}
                                            title="Show these requests in the table">
                                            { if r.operation.is_empty() { "(unknown)".to_string() } else { r.operation.clone() } }
                                        </button>
                                    </td>
                                    <td>{ if r.status == 0 { "no response".to_string() } else { r.status.to_string() } }</td>
                                    <td>{ &r.error_code }</td>
                                    <td class="num">{ r.requests }</td>
                                    <td class="num">{ r.attempts }</td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            </div>
        </section>
    }
}
