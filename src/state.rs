//! The page's state and its reducer (Yew's `use_reducer`): every change of what the page shows
//! goes through [`Action`], so transitions are testable without a browser.

use std::rc::Rc;

use yew::Reducible;

use storage_doctor_core::report::table::{Facets, FailureRow, RequestDetail, RowView, TableQuery};
use storage_doctor_core::report::timeline::Timeline;

use crate::components::timeline::{markers_of, Marker};
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
    /// Position of the file being read in the list of inputs (they are read in order).
    pub file_index: u32,
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
    /// The query changed here (the timeline's brush) and `rows` still answer the previous one:
    /// the table asks the worker again from the top.
    pub stale: bool,
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
    /// Requests over time (absent when no request has a time), and the error and warning
    /// findings' time ranges drawn above it. Both are set once per analysis: the timeline's
    /// bars re-render only when these pointers change.
    pub timeline: Option<Rc<Timeline>>,
    pub markers: Rc<Vec<Marker>>,
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
        timeline: Option<Rc<Timeline>>,
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
    /// The timeline's brush (or its inputs, keys, a finding's marker) set or cleared the time
    /// range of the table: inclusive ISO 8601 bounds, either open.
    TimeRange {
        from: Option<String>,
        to: Option<String>,
    },
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
                timeline,
            } => {
                if job != s.job {
                    return self;
                }
                s.markers = Rc::new(markers_of(&report.findings));
                s.timeline = timeline;
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
            Action::TimeRange { from, to } => {
                if s.phase != Phase::Done || (s.table.query.from == from && s.table.query.to == to)
                {
                    return self;
                }
                s.table.query.from = from;
                s.table.query.to = to;
                s.table.stale = true;
            }
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
            timeline: None,
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
    fn a_time_range_changes_the_query_and_marks_the_window_stale() {
        let s = Rc::new(State::default()).reduce(Action::Started {
            job: 1,
            files: vec![],
        });
        let range = |from: Option<&str>, to: Option<&str>| Action::TimeRange {
            from: from.map(str::to_string),
            to: to.map(str::to_string),
        };
        // Nothing to filter before the analysis is done.
        let same = s.clone().reduce(range(Some("2024-01-01T00:00:00Z"), None));
        assert!(Rc::ptr_eq(&s, &same));
        let timeline = storage_doctor_core::report::timeline::Timeline {
            start: 1_704_067_200,
            bucket_seconds: 1,
            buckets: vec![[1, 0, 0, 0, 0]],
            ..Default::default()
        };
        let done = s.reduce(Action::Finished {
            job: 1,
            report: ReportView::default(),
            requests: 3,
            facets: Facets::default(),
            failures: vec![],
            timeline: Some(Rc::new(timeline.clone())),
        });
        assert_eq!(done.timeline.as_deref(), Some(&timeline));
        let ranged = done.clone().reduce(range(
            Some("2024-01-01T00:00:00Z"),
            Some("2024-01-01T00:00:00.999999Z"),
        ));
        assert_eq!(
            ranged.table.query.from.as_deref(),
            Some("2024-01-01T00:00:00Z")
        );
        assert!(ranged.table.stale);
        // The bars' data is the same allocation: only the brush re-renders.
        assert!(Rc::ptr_eq(
            done.timeline.as_ref().unwrap(),
            ranged.timeline.as_ref().unwrap()
        ));
        assert!(Rc::ptr_eq(&done.markers, &ranged.markers));
        // The same range again changes nothing.
        let again = ranged.clone().reduce(range(
            Some("2024-01-01T00:00:00Z"),
            Some("2024-01-01T00:00:00.999999Z"),
        ));
        assert!(Rc::ptr_eq(&ranged, &again));
        // The worker's answer replaces the stale window.
        let answered = ranged.reduce(Action::Rows {
            job: 1,
            window: TableWindow {
                query: TableQuery {
                    from: Some("2024-01-01T00:00:00Z".into()),
                    to: Some("2024-01-01T00:00:00.999999Z".into()),
                    ..TableQuery::default()
                },
                total: 1,
                ..TableWindow::default()
            },
        });
        assert!(!answered.table.stale);
        let cleared = answered.reduce(range(None, None));
        assert_eq!(cleared.table.query, TableQuery::default());
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
