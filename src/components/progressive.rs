//! Drawing a long list over several short tasks.

use std::time::Duration;

use yew::prelude::*;

/// Ends the current main-thread task: what follows runs in a later one (a zero-delay timer), after
/// the browser has had the chance to paint and to handle input.
pub async fn yield_to_browser() {
    yew::platform::time::sleep(Duration::ZERO).await;
}

/// How many of `total` items to draw now: `first` at once, then `step` more after each yield to
/// the browser (a zero-delay timer), until all are drawn. A large log's findings drawn in one go
/// made one main-thread task of a third of a second, during which the page could not answer;
/// drawn this way, each task stays short and the first cards appear sooner. A `total` of 0
/// (nothing to draw) starts the count again for the next list.
#[hook]
pub fn use_drawn_progressively(total: usize, first: usize, step: usize) -> usize {
    let drawn = use_state(|| first);
    {
        let drawn = drawn.clone();
        use_effect_with((total, *drawn), move |&(total, n)| {
            if total == 0 && n != first {
                drawn.set(first);
            } else if n < total {
                yew::platform::spawn_local(async move {
                    yield_to_browser().await;
                    drawn.set(n + step.max(1));
                });
            }
        });
    }
    (*drawn).min(total)
}
