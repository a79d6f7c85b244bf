//! An untyped defun: a function over `Value` and a public wrapper `greet(vm, args)`.
#[allow(non_upper_case_globals, clippy::all)]
static __n_MODULE: ::slight::__rt::Module = ::slight::__rt::Module::new(
    &[("untyped_fn.rs", "\n\n    (defun greet (name) (string/concat \"hi \" name))")],
    &["\"hi \""],
    &["string/concat", "greet"],
    &[::slight::__rt::Site::new(0, 26, 52, 3, 25, "greet")],
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
    let mut name__0: ::slight::__rt::Value = __np0;
    Ok({
        let __nt1 = ::slight::__rt::konst(vm, &__n_MODULE, 0);
        let __nt2 = name__0.clone();
        ::slight::__rt::at(
            ::slight::__rt::tail_call_global(
                vm,
                &__n_MODULE,
                0,
                Vec::from([__nt1, __nt2]),
            ),
            vm,
            &__n_MODULE,
            0,
        )?
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
    Some("greet"),
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
        ::slight::__rt::def_global(vm, &__n_MODULE, 1, __nt1)?
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
pub fn greet(
    vm: &mut ::slight::__rt::Vm,
    args: &[::slight::__rt::Value],
) -> Result<::slight::__rt::Value, ::slight::__rt::Error> {
    ::slight::__rt::call_static(vm, &__n_MODULE, &__n_FORMS, &__n_INFO1, args)
}
fn main() {}
