fn main() {
    println!(
        "State {} bytes, World {} bytes, Path {} bytes",
        std::mem::size_of::<dioscope::world::State>(),
        std::mem::size_of::<dioscope::World>(),
        std::mem::size_of::<dioscope::paths::Path>()
    );
}
