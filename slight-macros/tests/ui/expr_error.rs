//! Errors in expression position: an unknown special-form shape and a wrong arity.
fn main() {
    let n = 3;
    let _a: i64 = slight::slight! { (if) };
    let _b: i64 = slight::slight! { (list/length (list n) n) };
}
