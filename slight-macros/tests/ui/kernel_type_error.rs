//! A kernel is checked at build time: a type error in a `defkernel` is a Rust compile error at
//! the Slight form at fault, and so is a name a kernel cannot see.
mod kernels {
    slight::slight! {
        (defkernel scale ((k i32) (xs (array f32)))
          (set-at! xs (gpu/id) (* k (at xs (gpu/id)))))
    }
}

mod unknown {
    slight::slight! {
        (defkernel fill ((xs (array f32)))
          (set-at! xs (gpu/id) (helper 1.0)))
    }
}

fn main() {}
