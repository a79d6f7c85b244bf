//! A closure capturing a parameter: a function literal with its captured values in `env`.
#[allow(non_upper_case_globals, clippy::all)]
static __n_MODULE: ::slight::__rt::Module = ::slight::__rt::Module::new(
    &[("closure.rs", "\n\n    (defun make-adder (n) (fun (x) (+ x n)))")],
    &[],
    &["make-adder"],
    &[::slight::__rt::Site::new(0, 37, 44, 3, 36, "lambda")],
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
fn __n_fn3(
    vm: &mut ::slight::__rt::Vm,
    env: &[::slight::__rt::Value],
    args: &[::slight::__rt::Value],
) -> ::slight::__rt::Res {
    let mut x__0: ::slight::__rt::Value = args[0].clone();
    Ok({
        let __nt1 = env[0].clone();
        ::slight::__rt::at(::slight::__rt::add(&x__0, &__nt1), vm, &__n_MODULE, 0)?
    })
}
#[allow(non_upper_case_globals, clippy::all)]
static __n_INFO3: ::slight::__rt::FnInfo = ::slight::__rt::FnInfo::new(
    None,
    1,
    false,
    __n_fn3,
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
    let mut n__0: ::slight::__rt::Value = __np0;
    Ok(::slight::__rt::closure(&__n_INFO3, Vec::from([n__0.clone()])))
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
    Some("make-adder"),
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
        ::slight::__rt::def_global(vm, &__n_MODULE, 0, __nt1)?
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
pub fn make_adder(
    vm: &mut ::slight::__rt::Vm,
    args: &[::slight::__rt::Value],
) -> Result<::slight::__rt::Value, ::slight::__rt::Error> {
    ::slight::__rt::call_static(vm, &__n_MODULE, &__n_FORMS, &__n_INFO1, args)
}
fn main() {}
