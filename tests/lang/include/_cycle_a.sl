(include "_cycle_b.sl")
