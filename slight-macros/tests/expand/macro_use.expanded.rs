//! A macro defined and used in the same block: it runs at build time, only its expansion is
//! compiled.
#[allow(non_upper_case_globals, clippy::all)]
static __n_MODULE: ::slight::__rt::Module = ::slight::__rt::Module::new(
    &[
        (
            "macro_use.rs",
            "\n\n\n    (defmacro twice (e) (list (quote +) e e))\n    (defun double (x) (twice x))",
        ),
    ],
    &["+"],
    &["double"],
    &[
        ::slight::__rt::Site::new(0, 7, 48, 4, 5, "toplevel"),
        ::slight::__rt::Site::new(0, 71, 80, 5, 23, "double"),
    ],
);
#[allow(non_snake_case, unused_mut, unused_variables, unused_parens, clippy::all)]
fn __ns_double(__nvm: &mut ::slight::__rt::Vm, x: i64) -> ::slight::__rt::SpecRes<i64> {
    Ok(::slight::__rt::spec_checked(i64::checked_add(x, x))?)
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
fn __n_fn3(
    vm: &mut ::slight::__rt::Vm,
    env: &[::slight::__rt::Value],
    args: &[::slight::__rt::Value],
) -> ::slight::__rt::Res {
    let mut e__0: ::slight::__rt::Value = args[0].clone();
    Ok({
        let __nt1 = ::slight::__rt::konst(vm, &__n_MODULE, 0);
        let __nt2 = e__0.clone();
        let __nt3 = e__0.clone();
        ::slight::__rt::list(Vec::from([__nt1, __nt2, __nt3]))
    })
}
#[allow(non_upper_case_globals, clippy::all)]
static __n_INFO3: ::slight::__rt::FnInfo = ::slight::__rt::FnInfo::new(
    Some("twice"),
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
fn __n_form2(vm: &mut ::slight::__rt::Vm) -> ::slight::__rt::Res {
    let env = &[] as &[::slight::__rt::Value];
    let args = &[] as &[::slight::__rt::Value];
    Ok({
        let __nt1 = ::slight::__rt::closure(&__n_INFO3, Vec::new());
        ::slight::__rt::at(
            ::slight::__rt::def_macro(vm, "twice", __nt1),
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
fn __n_d1(
    vm: &mut ::slight::__rt::Vm,
    __np0: ::slight::__rt::Value,
) -> ::slight::__rt::Res {
    let env = &[] as &[::slight::__rt::Value];
    match (&__np0,) {
        (
            ::slight::__rt::Value::Int(__ns0),
        ) if ::slight::__rt::spec_on(vm)
            && ::slight::__rt::holds(vm, &__n_MODULE, 0, &__n_INFO1) => {
            let __nr = __ns_double(vm, *__ns0);
            return ::slight::__rt::spec_result(vm, __nr, move |vm| __n_d1(vm, __np0));
        }
        _ => {}
    };
    let mut x__0: ::slight::__rt::Value = __np0;
    Ok(::slight::__rt::at(::slight::__rt::add(&x__0, &x__0), vm, &__n_MODULE, 1)?)
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
    Some("double"),
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
fn __n_form4(vm: &mut ::slight::__rt::Vm) -> ::slight::__rt::Res {
    let env = &[] as &[::slight::__rt::Value];
    let args = &[] as &[::slight::__rt::Value];
    Ok({
        let __nt1 = ::slight::__rt::closure(&__n_INFO1, Vec::new());
        ::slight::__rt::def_global(vm, &__n_MODULE, 0, __nt1)?
    })
}
#[allow(non_upper_case_globals, clippy::all)]
static __n_FORMS: [::slight::__rt::Form; 2] = [__n_form2, __n_form4];
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
pub fn double(
    vm: &mut ::slight::__rt::Vm,
    args: &[::slight::__rt::Value],
) -> Result<::slight::__rt::Value, ::slight::__rt::Error> {
    ::slight::__rt::call_static(vm, &__n_MODULE, &__n_FORMS, &__n_INFO1, args)
}
fn main() {}
