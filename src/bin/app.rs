//! Entry point of the page.

fn main() {
    yew::Renderer::<storage_doctor::app::App>::new().render();
}
