(include "_cycle_a.sl")
