//! `try` with `catch` and `finally`.
#[allow(non_upper_case_globals, clippy::all)]
static __n_MODULE: ::slight::__rt::Module = ::slight::__rt::Module::new(
    &[
        (
            "try_catch.rs",
            "\n\n    (defun safe (f) (try (f) (catch e (error/message e)) (finally (print \"done\"))))",
        ),
    ],
    &["\"done\""],
    &["error/message", "print", "safe"],
    &[
        ::slight::__rt::Site::new(0, 27, 30, 3, 26, "safe"),
        ::slight::__rt::Site::new(0, 40, 57, 3, 39, "safe"),
        ::slight::__rt::Site::new(0, 68, 82, 3, 67, "safe"),
    ],
);
#[allow(
    unused_mut,
    unused_variables,
    unused_assignments,
    unused_braces,
    unreachable_code,
    non_snake_case,
    non_upper_case_globals,
    break_with_label_and_loop,
    unused_parens,
    clippy::all
)]
fn __n_d1(
    vm: &mut ::slight::__rt::Vm,
    __np0: ::slight::__rt::Value,
) -> ::slight::__rt::Res {
    let env = &[] as &[::slight::__rt::Value];
    let mut f__0: ::slight::__rt::Value = __np0;
    let mut e__1: ::slight::__rt::Value = ::slight::__rt::Value::Nil;
    Ok({
        let __nt1: ::slight::__rt::Res = || -> ::slight::__rt::Res {
            Ok({
                let __nt2 = f__0.clone();
                ::slight::__rt::at(
                    ::slight::__rt::call(vm, &__nt2, &[]),
                    vm,
                    &__n_MODULE,
                    0,
                )?
            })
        }();
        let __nt1: ::slight::__rt::Res = match __nt1 {
            Ok(__nv) => Ok(__nv),
            Err(__nt3) if ::slight::__rt::catchable(&__nt3) => {
                let __nb: ::slight::__rt::Res = || -> ::slight::__rt::Res {
                    e__1 = ::slight::__rt::caught(__nt3);
                    Ok(::slight::__rt::Value::Nil)
                }();
                match __nb {
                    Ok(_) => {
                        || -> ::slight::__rt::Res {
                            Ok({
                                let __nt4 = e__1.clone();
                                ::slight::__rt::at(
                                    ::slight::__rt::call_global(vm, &__n_MODULE, 0, &[__nt4]),
                                    vm,
                                    &__n_MODULE,
                                    1,
                                )?
                            })
                        }()
                    }
                    __nerr => __nerr,
                }
            }
            Err(__nt3) => Err(__nt3),
        };
        let _ = {
            let __nt5 = ::slight::__rt::konst(vm, &__n_MODULE, 0);
            ::slight::__rt::at(
                ::slight::__rt::call_global(vm, &__n_MODULE, 1, &[__nt5]),
                vm,
                &__n_MODULE,
                2,
            )?
        };
        __nt1?
    })
}
#[allow(
    unused_mut,
    unused_variables,
    unused_assignments,
    unused_braces,
    unreachable_code,
    non_snake_case,
    non_upper_case_globals,
    break_with_label_and_loop,
    unused_parens,
    clippy::all
)]
fn __n_fn1(
    vm: &mut ::slight::__rt::Vm,
    env: &[::slight::__rt::Value],
    args: &[::slight::__rt::Value],
) -> ::slight::__rt::Res {
    __n_d1(vm, args[0].clone())
}
#[allow(non_upper_case_globals, clippy::all)]
static __n_INFO1: ::slight::__rt::FnInfo = ::slight::__rt::FnInfo::new(
    Some("safe"),
    1,
    false,
    __n_fn1,
);
#[allow(
    unused_mut,
    unused_variables,
    unused_assignments,
    unused_braces,
    unreachable_code,
    non_snake_case,
    non_upper_case_globals,
    break_with_label_and_loop,
    unused_parens,
    clippy::all
)]
fn __n_form2(vm: &mut ::slight::__rt::Vm) -> ::slight::__rt::Res {
    let env = &[] as &[::slight::__rt::Value];
    let args = &[] as &[::slight::__rt::Value];
    Ok({
        let __nt1 = ::slight::__rt::closure(&__n_INFO1, Vec::new());
        ::slight::__rt::def_global(vm, &__n_MODULE, 2, __nt1)?
    })
}
#[allow(non_upper_case_globals, clippy::all)]
static __n_FORMS: [::slight::__rt::Form; 1] = [__n_form2];
#[allow(non_snake_case, dead_code, clippy::all)]
pub fn run(
    vm: &mut ::slight::__rt::Vm,
) -> Result<::slight::__rt::Value, ::slight::__rt::Error> {
    ::slight::__rt::run_program(vm, &__n_MODULE, &__n_FORMS)
}
#[allow(non_snake_case, dead_code, clippy::all)]
pub fn register(vm: &mut ::slight::__rt::Vm) -> Result<(), ::slight::__rt::Error> {
    ::slight::__rt::run_program(vm, &__n_MODULE, &__n_FORMS).map(|_| ())
}
#[allow(non_snake_case, dead_code, clippy::all)]
pub fn run_each(vm: &mut ::slight::__rt::Vm, each: &mut ::slight::__rt::EachForm) -> () {
    ::slight::__rt::run_forms(vm, &__n_MODULE, &__n_FORMS, each)
}
#[allow(non_snake_case, dead_code, clippy::all)]
pub fn safe(
    vm: &mut ::slight::__rt::Vm,
    args: &[::slight::__rt::Value],
) -> Result<::slight::__rt::Value, ::slight::__rt::Error> {
    ::slight::__rt::call_static(vm, &__n_MODULE, &__n_FORMS, &__n_INFO1, args)
}
fn main() {}
