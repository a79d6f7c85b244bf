; Two spawned processes exchange M messages in total (M/2 round trips, an integer each way;
; each knows the other's pid, so a message is a bare integer).
; Usage: slight run pingpong.sl M    Expected output: "messages M" and "last M/2-1"
(def m (json/parse (head (sys/args))))
(def me (self))

(defun ponger (pinger)
  (receive
    (:stop nil)
    (k (send pinger k) (ponger pinger))))

(defun pinger (trips)
  (let ((pong (spawn ponger (self))))
    (loop ((i 0) (last -1))
      (if (< i trips)
          (begin (send pong i)
                 (recur (+ i 1) (receive (k k))))
          (begin (send pong :stop) (send me (list :done last)))))))

(def t0 (timer/now))
(spawn pinger (math/div m 2))
(def last (receive ((:done last) last)))
(def t1 (timer/now))
(print "messages" m)
(print "last" last)
(print "pass_ms" (- t1 t0))
