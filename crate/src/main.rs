//! The `dioscope` command-line tool.
fn main() {
    for b in dioscope::library::bundled() {
        match b.parse() {
            Ok(s) => println!("{:<32} {}", b.id(), s.title),
            Err(e) => eprintln!("{e}"),
        }
    }
}
