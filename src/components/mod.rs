//! One file per view. Components are small and get what they show through props; actions go
//! up through callbacks (Yew's function_todomvc shape).

pub mod cors_forms;
pub mod detail;
pub mod drop_zone;
pub mod failures;
pub mod findings;
pub mod inputs;
pub mod progress;
pub mod progressive;
pub mod requests;
pub mod share;
pub mod shared_report;
pub mod time;
pub mod timeline;
pub mod tools;
pub mod update_banner;
