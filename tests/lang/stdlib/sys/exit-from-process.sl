; sys/exit in a spawned process ends the whole program, the main process included, while
; it waits for a message and another process spins.
(spawn (fun () (loop () (recur))))
(spawn (fun () (timer/sleep 5) (sys/exit 4)))
(receive (x x))
(print "never printed")
