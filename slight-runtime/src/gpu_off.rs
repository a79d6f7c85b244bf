//! GPU objects in a build without the `gpu` feature: there are none. `Value::Gpu` keeps its
//! place in the value type, but nothing can make one; the `gpu/` builtins stay in the table
//! and raise `gpu/NAME: this build has no GPU support (feature "gpu")`.

/// A GPU object as Slight code sees it (`Value::Gpu`): uninhabited in this build.
pub enum GpuObject {}

impl GpuObject {
    /// How `print` shows it.
    pub fn describe(&self) -> String {
        match *self {}
    }

    /// What `type/of` says.
    pub fn type_name(&self) -> &'static str {
        match *self {}
    }
}
