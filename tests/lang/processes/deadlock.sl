; A receive that no process can ever satisfy is an error (not a hang), with its position.
(def me (self))
(spawn (fun () (send me :only-one)))
(receive (:only-one :got-it))
(try (receive (:never 1)) (catch e (error/type e)))
(receive (:never 1))
