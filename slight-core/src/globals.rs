//! The global name table: every global name gets a fixed index once, so compiled code refers to
//! globals by index and late binding only replaces the value stored at that index.

use std::collections::HashMap;

#[derive(Debug, Default, Clone)]
pub struct GlobalNames {
    index: HashMap<String, u32>,
    names: Vec<String>,
    /// Set once user code defines the global: calls to a redefined core operator stop being
    /// compiled inline from then on.
    user_defined: Vec<bool>,
}

impl GlobalNames {
    pub fn new() -> Self {
        Self::default()
    }

    /// The index of `name`, allocating one on first use.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.index.insert(name.to_string(), i);
        self.names.push(name.to_string());
        self.user_defined.push(false);
        i
    }

    pub fn lookup(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    pub fn name(&self, index: u32) -> &str {
        &self.names[index as usize]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn mark_user_defined(&mut self, index: u32) {
        self.user_defined[index as usize] = true;
    }

    /// Undoes [`mark_user_defined`](Self::mark_user_defined) for a definition that failed to compile.
    pub fn unmark_user_defined(&mut self, index: u32) {
        self.user_defined[index as usize] = false;
    }

    pub fn is_user_defined(&self, name: &str) -> bool {
        self.lookup(name).is_some_and(|i| self.user_defined[i as usize])
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }
}
