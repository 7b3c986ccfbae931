//! Progress of the running analysis: one bar for everything, one line per input with its own
//! state (read, being read with its bar, waiting), and Cancel.

use yew::prelude::*;

use crate::state::Progress;

#[derive(Properties, PartialEq)]
pub struct ProgressProps {
    pub progress: Option<Progress>,
    pub names: Vec<String>,
    pub on_cancel: Callback<()>,
}

fn mb(x: f64) -> String {
    format!("{:.1} MB", x / 1_000_000.0)
}

/// Where one input stands while the worker reads the inputs one after the other.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FileState {
    Read,
    Reading { done: f64, total: f64 },
    Waiting,
}

impl FileState {
    /// The state of input `index`, from the worker's latest progress message (none yet: the
    /// first input is about to be read).
    pub fn of(index: usize, progress: Option<&Progress>) -> FileState {
        let (current, done, total) =
            progress.map_or((0, 0.0, 0.0), |p| (p.file_index as usize, p.done, p.total));
        match index.cmp(&current) {
            std::cmp::Ordering::Less => FileState::Read,
            std::cmp::Ordering::Equal => FileState::Reading { done, total },
            std::cmp::Ordering::Greater => FileState::Waiting,
        }
    }

    fn word(self) -> &'static str {
        match self {
            FileState::Read => "read",
            FileState::Reading { .. } => "reading",
            FileState::Waiting => "waiting",
        }
    }

    /// What the line says after the name.
    pub fn label(self) -> String {
        match self {
            FileState::Reading { done, total } if total > 0.0 => {
                format!("{} of {}", mb(done), mb(total))
            }
            _ => self.word().to_string(),
        }
    }
}

#[component]
pub fn ProgressPanel(props: &ProgressProps) -> Html {
    let (value, max, label) = match &props.progress {
        Some(p) if p.all_total > 0.0 => (
            p.all_done,
            p.all_total,
            format!(
                "Reading {} — {} of {}",
                p.file_name,
                mb(p.all_done),
                mb(p.all_total)
            ),
        ),
        _ => (0.0, 1.0, format!("Reading {}", props.names.join(", "))),
    };
    let on_cancel = props.on_cancel.clone();
    // With one input the overall bar says it all; with several, each gets its line.
    let per_file = (props.names.len() > 1).then(|| {
        html! {
            <ol class="file-progress" aria-label="Inputs">
                { for props.names.iter().enumerate().map(|(i, name)| {
                    let st = FileState::of(i, props.progress.as_ref());
                    let bar_id = format!("file-progress-{i}");
                    html! {
                        <li data-file-progress={st.word()} key={i}>
                            <label for={bar_id.clone()} class="file-progress-name">{ name.clone() }</label>
                            { match st {
                                FileState::Reading { done, total } if total > 0.0 => html! {
                                    <progress id={bar_id} value={done.to_string()} max={total.to_string()}></progress>
                                },
                                FileState::Read => html! {
                                    <progress id={bar_id} value="1" max="1"></progress>
                                },
                                _ => html! {
                                    <progress id={bar_id} value="0" max="1"></progress>
                                },
                            } }
                            <span class="file-progress-state">{ st.label() }</span>
                        </li>
                    }
                }) }
            </ol>
        }
    });
    html! {
        <section class="progress-panel" aria-live="polite">
            <label for="ingest-progress">{ label }</label>
            <progress id="ingest-progress" data-progress="" value={value.to_string()} max={max.to_string()}></progress>
            { per_file.unwrap_or_default() }
            <button class="button" data-action="cancel" onclick={Callback::from(move |_: MouseEvent| on_cancel.emit(()))}>
                { "Cancel" }
            </button>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(file_index: u32, done: f64, total: f64) -> Progress {
        Progress {
            file_index,
            file_name: "x".into(),
            done,
            total,
            all_done: 0.0,
            all_total: 0.0,
        }
    }

    #[test]
    fn inputs_before_the_current_one_are_read_and_after_it_waiting() {
        let p = at(1, 4e6, 8e6);
        assert_eq!(FileState::of(0, Some(&p)), FileState::Read);
        assert_eq!(
            FileState::of(1, Some(&p)),
            FileState::Reading {
                done: 4e6,
                total: 8e6
            }
        );
        assert_eq!(FileState::of(2, Some(&p)), FileState::Waiting);
        assert_eq!(FileState::of(1, Some(&p)).label(), "4.0 MB of 8.0 MB");
    }

    #[test]
    fn before_any_message_the_first_input_is_being_read() {
        assert!(matches!(FileState::of(0, None), FileState::Reading { .. }));
        assert_eq!(FileState::of(0, None).label(), "reading");
        assert_eq!(FileState::of(1, None), FileState::Waiting);
    }
}
