//! One expression over a Rust variable: runs on the thread's VM, converts to the inferred type.
fn main() {
    let n = 21;
    let _v: i64 = {
        #[allow(non_upper_case_globals, clippy::all)]
        static __n_MODULE: ::slight::__rt::Module = ::slight::__rt::Module::new(
            &[("expression.rs", "\n\n\n                                    (* n 2)")],
            &[],
            &[],
            &[::slight::__rt::Site::new(0, 39, 46, 4, 37, "toplevel")],
        );
        ::slight::__rt::with_thread_vm(|vm| {
            let env = &[] as &[::slight::__rt::Value];
            let __n_r = || -> ::slight::__rt::Res {
                Ok({
                    let __nt1 = ::slight::__rt::from_rust(&n);
                    ::slight::__rt::at(
                        ::slight::__rt::mul_i(&__nt1, 2),
                        vm,
                        &__n_MODULE,
                        0,
                    )?
                })
            }();
            ::slight::__rt::expect_value(vm, __n_r)
        })
    };
}
