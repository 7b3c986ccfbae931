//! Entry point of the page.

fn main() {
    yew::Renderer::<storage_doctor::root::Root>::new().render();
}
