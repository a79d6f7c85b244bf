; log/ prints `[LEVEL] args...` (print form, space-separated) to the program output.
(log/info "hello" 42 1.5 (list 1 "two") :k nil true)
(log/info)
(log/warn "careful")
(log/error "failed:" "x.txt")
(log/info "unicode: héllo 😀" "quoted \"s\"" (map/create :a "b"))

; the default minimum level is :info, so debug messages are hidden
(log/debug "hidden")
(log/enable :debug)
(log/debug "shown" 1)
(log/info "shown too")

; raising the level hides the lower ones (a string works too)
(log/enable "warn")
(log/info "hidden")
(log/warn "shown")
(log/enable :error)
(log/warn "hidden")
(log/error "shown")

; disable silences everything; enable without a level keeps the level
(log/disable)
(log/error "hidden")
(log/enable)
(log/error "back")
(log/warn "still hidden")
(log/enable :info)
(log/info "info again")

; log/error does not raise
(try (log/error "no throw") (catch e "caught"))

; bad levels and arguments
(log/enable :verbose)
(log/enable "INFO")
(log/enable 1)
(log/enable nil)
(log/enable :info :debug)
(log/disable 1)
(log/info "level unchanged after errors")
