; sys/exit ends the program at once: try cannot catch it, its finally blocks run, and
; neither the later forms nor the other processes run.
(def spinner (spawn (fun () (loop () (recur)))))
(try (sys/exit 3) (catch e (print "caught")) (finally (print "finally ran")))
(print "never printed")
