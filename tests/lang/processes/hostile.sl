; What a process may not do to another: take over a registered name, catch its own kill, or
; spawn something that is not a function without a positioned error at the spawn.
(def server (spawn (fun () (receive (:stop :stopped)))))
(register 'server server)
; Another live process cannot take the name (and receive the server's messages).
(def thief (spawn (fun () (receive (:stop :stopped)))))
(try (register 'server thief) (catch e (error/message e)))
(== (whereis 'server) server)
; Registering the holder again is fine; once it has ended the name is free.
(register 'server server)
(send server :stop)
(timer/sleep 1)
(register 'server thief)
(== (whereis 'server) thief)
(send thief :stop)

; spawn checks what it can at the call.
(try (spawn 42) (catch e (error/message e)))
(try (spawn (fun (a b) a) 1) (catch e (error/message e)))
(try (spawn-link nil) (catch e (error/message e)))

; A kill cannot be caught; the victim's finally runs.
(def me (self))
(def victim (spawn (fun () (try (receive (:never 1)) (catch e (send me (list :caught e))) (finally (send me :finally))))))
(timer/sleep 1)
(kill victim)
(receive (m m) (after 100 :nothing))
(receive (m m) (after 100 :nothing))
(is-alive? victim)
