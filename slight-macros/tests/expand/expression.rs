//! One expression over a Rust variable: runs on the thread's VM, converts to the inferred type.
fn main() {
    let n = 21;
    let _v: i64 = slight::slight! { (* n 2) };
}
