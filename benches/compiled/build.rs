//! Compiles the benchmark programs (`benches/programs/*.sl`, untyped) and the typed fib
//! (`scripts/typed_fib.sl`) to Rust modules in `$OUT_DIR` with `slight::build`.

use slight::build::{Build, Printer};

/// The programs of `benches/programs/` timed on both paths (see `src/main.rs`).
const PROGRAMS: &[&str] = &["fib", "loop", "closures", "lists", "strings"];

fn main() {
    Build::new("scripts/typed_fib.sl").compile();
    for name in PROGRAMS {
        Build::new(format!("../programs/{name}.sl")).printer(Printer::Fast).out_name(format!("prog_{name}")).compile();
    }
}
