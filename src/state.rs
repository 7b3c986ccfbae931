//! The page's state and its reducer (Yew's `use_reducer`): every change of what the page shows
//! goes through [`Action`], so transitions are testable without a browser.

use std::rc::Rc;

use yew::Reducible;

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
}

pub enum Action {
    /// A new analysis was sent to the worker.
    Started {
        job: u32,
        names: Vec<String>,
    },
    Progress {
        job: u32,
        progress: Progress,
    },
    Finished {
        job: u32,
        report: ReportView,
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
            Action::Started { job, names } => {
                s = State {
                    phase: Phase::Working,
                    job,
                    names,
                    ..State::default()
                };
            }
            Action::Progress { job, progress } => {
                if job != s.job || s.phase != Phase::Working {
                    return self;
                }
                s.progress = Some(progress);
            }
            Action::Finished { job, report } => {
                if job != s.job {
                    return self;
                }
                s.phase = Phase::Done;
                s.progress = None;
                s.report = Some(Rc::new(report));
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
            Action::Reset => s = State::default(),
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
            names: vec!["a".into()],
        });
        assert_eq!(s.phase, Phase::Working);
        let same = s.clone().reduce(Action::Finished {
            job: 1,
            report: ReportView::default(),
        });
        assert!(Rc::ptr_eq(&s, &same));
        let done = s.reduce(Action::Finished {
            job: 2,
            report: ReportView::default(),
        });
        assert_eq!(done.phase, Phase::Done);
    }

    #[test]
    fn cancel_returns_to_empty() {
        let s = Rc::new(State::default()).reduce(Action::Started {
            job: 1,
            names: vec![],
        });
        let s = s.reduce(Action::Cancelled { job: 1 });
        assert_eq!(s.phase, Phase::Empty);
        assert!(s.cancelled);
    }
}
