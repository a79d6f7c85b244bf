; A ring of N processes (all spawned; the main process only waits) passes an integer token
; around M times: N*M messages. The head process counts the rounds.
; Usage: slight run ring.sl N M      Expected output: "rounds M" and "messages N*M"
(def args (sys/args))
(def n (json/parse (head args)))
(def rounds (json/parse (head (tail args))))
(def me (self))

(defun relay (next)
  (receive
    (:stop (send next :stop))
    (k (send next k) (relay next))))

(defun head-loop (next)
  (receive
    (:stop (send me :stopped))
    (0 (send me :rounds-done) (send next :stop) (head-loop next))
    (k (send next (- k 1)) (head-loop next))))

(defun ring-head ()
  (let ((next (loop ((i 1) (next (self))) (if (< i n) (recur (+ i 1) (spawn relay next)) next))))
    (send me :spawned)
    (send next (- rounds 1))
    (head-loop next)))

(def t0 (timer/now))
(spawn ring-head)
(receive (:spawned nil))
(def t1 (timer/now))
(receive (:rounds-done nil))
(def t2 (timer/now))
(receive (:stopped nil))
(print "rounds" rounds)
(print "messages" (* n rounds))
(print "spawn_ms" (- t1 t0))
(print "pass_ms" (- t2 t1))
