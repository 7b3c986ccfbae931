//! The page's state and its reducer (Yew's `use_reducer`): every change of what the page shows
//! goes through [`Action`], so transitions are testable without a browser.

use std::rc::Rc;

use yew::Reducible;

use storage_doctor_core::report::table::{Facets, FailureRow, RequestDetail, RowView, TableQuery};

use crate::protocol::{FileJob, RawText};
use crate::report_view::ReportView;

/// What the page is doing (`<main data-state>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Phase {
    #[default]
    Empty,
    Working,
    Done,
    Error,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Empty => "empty",
            Phase::Working => "working",
            Phase::Done => "done",
            Phase::Error => "error",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Progress {
    pub file_name: String,
    pub done: f64,
    pub total: f64,
    pub all_done: f64,
    pub all_total: f64,
}

/// The slice of the requests table the page holds (the worker has the rest).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct TableWindow {
    pub query: TableQuery,
    /// Rows matching the query.
    pub total: u32,
    /// Position of `rows[0]` in the filtered, sorted order.
    pub start: u32,
    pub rows: Vec<RowView>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct State {
    pub phase: Phase,
    /// Id of the analysis in flight; messages of older ones are ignored.
    pub job: u32,
    /// Names of the inputs being analysed.
    pub names: Vec<String>,
    pub progress: Option<Progress>,
    pub report: Option<Rc<ReportView>>,
    pub error: Option<String>,
    /// Set when the user cancelled: shown instead of the report.
    pub cancelled: bool,
    /// The inputs of the current analysis (re-sent when files are added or a format is forced).
    pub files: Vec<FileJob>,
    /// Correlated requests in the analysis, their facets and the failure summary.
    pub requests: u32,
    pub facets: Facets,
    pub failures: Vec<FailureRow>,
    pub table: TableWindow,
    /// The request opened in the detail panel, with its raw lines.
    pub detail: Option<Rc<(RequestDetail, Vec<RawText>)>>,
    /// Show times in the browser's time zone instead of UTC.
    pub local_time: bool,
}

pub enum Action {
    /// A new analysis was sent to the worker.
    Started {
        job: u32,
        files: Vec<FileJob>,
    },
    Progress {
        job: u32,
        progress: Progress,
    },
    Finished {
        job: u32,
        report: ReportView,
        requests: u32,
        facets: Facets,
        failures: Vec<FailureRow>,
    },
    Rows {
        job: u32,
        window: TableWindow,
    },
    Detail {
        job: u32,
        detail: RequestDetail,
        raw: Vec<RawText>,
    },
    CloseDetail,
    ToggleLocalTime,
    Cancelled {
        job: u32,
    },
    Failed {
        job: u32,
        message: String,
    },
    /// Back to the landing state.
    Reset,
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Started { job, files } => {
                s = State {
                    phase: Phase::Working,
                    job,
                    names: files.iter().map(|f| f.name.clone()).collect(),
                    files,
                    local_time: s.local_time,
                    ..State::default()
                };
            }
            Action::Progress { job, progress } => {
                if job != s.job || s.phase != Phase::Working {
                    return self;
                }
                s.progress = Some(progress);
            }
            Action::Finished {
                job,
                report,
                requests,
                facets,
                failures,
            } => {
                if job != s.job {
                    return self;
                }
                s.phase = Phase::Done;
                s.progress = None;
                s.report = Some(Rc::new(report));
                s.requests = requests;
                s.facets = facets;
                s.failures = failures;
                s.table = TableWindow {
                    total: requests,
                    ..TableWindow::default()
                };
            }
            Action::Rows { job, window } => {
                if job != s.job {
                    return self;
                }
                s.table = window;
            }
            Action::Detail { job, detail, raw } => {
                if job != s.job {
                    return self;
                }
                s.detail = Some(Rc::new((detail, raw)));
            }
            Action::CloseDetail => s.detail = None,
            Action::ToggleLocalTime => s.local_time = !s.local_time,
            Action::Cancelled { job } => {
                if job != s.job {
                    return self;
                }
                s.phase = Phase::Empty;
                s.progress = None;
                s.cancelled = true;
            }
            Action::Failed { job, message } => {
                if job != s.job {
                    return self;
                }
                s.phase = Phase::Error;
                s.progress = None;
                s.error = Some(message);
            }
            Action::Reset => {
                s = State {
                    local_time: s.local_time,
                    ..State::default()
                }
            }
        }
        Rc::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_messages_are_ignored() {
        let s = Rc::new(State::default());
        let s = s.reduce(Action::Started {
            job: 2,
            files: vec![],
        });
        assert_eq!(s.phase, Phase::Working);
        let finished = |job| Action::Finished {
            job,
            report: ReportView::default(),
            requests: 7,
            facets: Facets::default(),
            failures: vec![],
        };
        let same = s.clone().reduce(finished(1));
        assert!(Rc::ptr_eq(&s, &same));
        let done = s.reduce(finished(2));
        assert_eq!(done.phase, Phase::Done);
        assert_eq!(done.table.total, 7);
        let stale = done.clone().reduce(Action::Rows {
            job: 1,
            window: TableWindow::default(),
        });
        assert!(Rc::ptr_eq(&done, &stale));
    }

    #[test]
    fn cancel_returns_to_empty() {
        let s = Rc::new(State::default()).reduce(Action::Started {
            job: 1,
            files: vec![],
        });
        let s = s.reduce(Action::Cancelled { job: 1 });
        assert_eq!(s.phase, Phase::Empty);
        assert!(s.cancelled);
    }
}
