//! Rust tokens that have no Slight meaning are rejected at their own span.
fn main() {
    let _a: i64 = slight::slight! { (+ 1 2u8) };
    let _b: i64 = slight::slight! { (f { x }) };
    let _c: String = slight::slight! { (string/concat 'c' "d") };
}
