//! Compiles `scripts/inventory.sl` to `$OUT_DIR/inventory.rs` (see `src/main.rs`).

fn main() {
    slight::build::compile("scripts/inventory.sl");
}
