//! Memory accounting for the `memory` limit. [`CountingAllocator`] wraps the program's global
//! allocator and counts, per thread, the bytes allocated and not yet freed; a `Vm` reads its
//! thread's count (less what was live when the VM was made) at every time slice and before a
//! builtin makes a big string or collection. A library cannot choose the global allocator, so
//! the embedder installs it:
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOC: slight::CountingAllocator<std::alloc::System> = slight::CountingAllocator(std::alloc::System);
//! ```
//!
//! Without it, the `memory` limit is not enforced ([`counting`] is false). The count is an
//! estimate of the VM's use: everything its thread allocates counts (the host's own
//! allocations on that thread too), and memory freed on another thread than it was allocated
//! on is not subtracted from the right thread.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

/// A global allocator that counts live bytes per thread around another allocator `A`.
pub struct CountingAllocator<A>(pub A);

thread_local! {
    /// Bytes allocated minus bytes freed on this thread (const-initialised, no destructor: safe
    /// to touch from inside the allocator).
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

/// Set once a [`CountingAllocator`] has allocated: the counts mean something.
static COUNTING: AtomicBool = AtomicBool::new(false);

#[inline]
fn add(n: isize) {
    if !COUNTING.load(Ordering::Relaxed) {
        COUNTING.store(true, Ordering::Relaxed);
    }
    // During thread teardown the slot may be gone: that allocation is simply not counted.
    let _ = LIVE.try_with(|c| c.set(c.get().wrapping_add(n)));
}

// SAFETY: every call is forwarded unchanged to the wrapped allocator `A`, which upholds the
// `GlobalAlloc` contract; the counting touches only a const thread-local `Cell` (no allocation,
// no panic).
unsafe impl<A: GlobalAlloc> GlobalAlloc for CountingAllocator<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { self.0.alloc(layout) };
        if !p.is_null() {
            add(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { self.0.alloc_zeroed(layout) };
        if !p.is_null() {
            add(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.0.dealloc(ptr, layout) };
        add(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { self.0.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            add(new_size as isize - layout.size() as isize);
        }
        p
    }
}

/// True when a [`CountingAllocator`] is the global allocator (it has counted something).
pub fn counting() -> bool {
    COUNTING.load(Ordering::Relaxed)
}

/// This thread's live bytes (allocated and not freed), as counted so far.
pub(crate) fn thread_live() -> isize {
    LIVE.try_with(Cell::get).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_allocations_and_frees_of_this_thread() {
        let a = CountingAllocator(std::alloc::System);
        let before = thread_live();
        let layout = Layout::from_size_align(1000, 8).unwrap();
        // SAFETY: a non-zero layout; the block is reallocated and freed with matching layouts.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            assert_eq!(thread_live() - before, 1000);
            let q = a.realloc(p, layout, 3000);
            assert_eq!(thread_live() - before, 3000);
            a.dealloc(q, Layout::from_size_align(3000, 8).unwrap());
        }
        assert_eq!(thread_live(), before);
        assert!(counting());
    }
}
