//! A fully typed defun becomes a plain native Rust function (plus its dynamic entry for the VM).
#[allow(non_upper_case_globals, clippy::all)]
static __n_MODULE: ::slight::__rt::Module = ::slight::__rt::Module::new(
    &[("typed_fn.rs", "\n\n    (defun square:i64 (n:i64) (* n n))")],
    &[],
    &["square"],
    &[
        ::slight::__rt::Site::new(0, 25, 30, 3, 24, "square"),
        ::slight::__rt::Site::new(0, 6, 40, 3, 5, "square"),
    ],
);
#[allow(clippy::all)]
pub fn square(n: i64) -> i64 {
    __nk_square(n, 64u32)
}
#[allow(non_snake_case, clippy::all)]
fn __nk_square(n: i64, __nb: u32) -> i64 {
    if __nb == 0 {
        return ::slight::__rt::deeper(|| __nk_square(n, 64u32));
    }
    ::slight::__rt::typed_tick();
    ::slight::__rt::checked(i64::checked_mul(n, n))
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
    let __na0 = ::slight::__rt::at(
        ::slight::__rt::arg_i64(&args[0]),
        vm,
        &__n_MODULE,
        0,
    )?;
    Ok(
        ::slight::__rt::int(
            ::slight::__rt::at(
                ::slight::__rt::catch_overflow(vm, || square(__na0)),
                vm,
                &__n_MODULE,
                1,
            )?,
        ),
    )
}
#[allow(non_upper_case_globals, clippy::all)]
static __n_INFO1: ::slight::__rt::FnInfo = ::slight::__rt::FnInfo::new(
    Some("square"),
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
    Ok(
        ::slight::__rt::def_global(
            vm,
            &__n_MODULE,
            0,
            ::slight::__rt::closure(&__n_INFO1, Vec::new()),
        )?,
    )
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
fn main() {}
